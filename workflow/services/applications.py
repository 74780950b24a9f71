"""Decisions on applications (申报书): the applicant's and the office's."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import recipients
from notifications.kinds import APPLICATION_TRANSITIONS, Kind
from notifications.messenger import notify
from workflow import access, audit
from workflow.choices import (
    ApplicationState,
    AttachmentKind,
    CallState,
    FormalCheckOutcome,
    Function,
    FundingSource,
    Role,
)
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import (
    Application,
    ApplicationFunding,
    Attachment,
    Call,
    FormalCheck,
    Organisation,
)
from workflow.rules.publicity import require_approvable
from workflow.rules.submission import ApplicationContent, CallTerms, submission_problems
from workflow.rules.uploads import BadUpload, check_pdf
from workflow.services.base import apply_transition, clean_reason, lock, record_edit
from workflow.workdays import working_day_deadline

MAX_AMOUNT = Decimal("1e10")  # ApplicationFunding.amount: 12 digits, 2 of them decimals

CONTENT_FIELDS = (
    "title",
    "construction_mode",
    "functions",
    "plan",
    "project_lead",
    "contact_phone",
    "indicator_values",
)


def call_terms(call: Call) -> CallTerms:
    return CallTerms(
        opens_at=call.opens_at,
        closes_at=call.closes_at,
        eligible_applicant_types=call.eligible_applicant_types,
        allowed_modes=call.allowed_modes,
        functions=call.functions,
        required_attachments=call.required_attachments,
    )


def application_content(application: Application) -> ApplicationContent:
    return ApplicationContent(
        applicant_type=application.organisation.applicant_type,
        title=application.title,
        construction_mode=application.construction_mode,
        functions=application.functions,
        plan=application.plan,
        project_lead=application.project_lead,
        contact_phone=application.contact_phone,
        funding={f.source: f.amount for f in application.funding.all()},
        attachment_kinds={a.kind for a in application.attachments.all()},
    )


def _require_editable(application: Application) -> None:
    if not application.is_editable:
        raise Conflict(
            _("The application is “%(state)s” and can no longer be changed.")
            % {"state": application.get_state_display()}
        )


def _check_content(call: Call, content: Mapping[str, Any]) -> None:
    """What a form would check, for callers that are not forms (API, imports)."""
    mode = content.get("construction_mode", "")
    if mode and mode not in call.allowed_modes:
        raise Invalid(_("This construction mode is not allowed for this call."))
    functions = content.get("functions", [])
    if not isinstance(functions, list) or not set(functions) <= set(Function.values):
        raise Invalid(_("Unknown function."))
    if not isinstance(content.get("indicator_values", {}), dict):
        raise Invalid(_("Indicator values must be a mapping of indicator to value."))


def _set_partners(application: Application, partner_ids: Iterable[int]) -> list[int]:
    ids = sorted(set(partner_ids) - {application.organisation_id})
    found = set(Organisation.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if found != set(ids):
        raise Invalid(_("A partner organisation does not exist."))
    application.partners.set(ids)
    return ids


def _set_funding(application: Application, funding: Mapping[str, Decimal]) -> dict[str, str]:
    valid = set(FundingSource.values)
    lines = {}
    for source, amount in funding.items():
        if source not in valid:
            raise Invalid(_("Unknown funding source."))
        if amount is None or amount == 0:
            continue
        if amount < 0:
            raise Invalid(_("Funding amounts must be positive."))
        if amount.as_tuple().exponent < -2 or abs(amount) >= MAX_AMOUNT:
            raise Invalid(_("Amounts have at most 10 digits before and 2 after the decimal point."))
        lines[source] = amount
    application.funding.all().delete()
    ApplicationFunding.objects.bulk_create(
        ApplicationFunding(application=application, source=s, amount=a) for s, a in lines.items()
    )
    return {s: str(a) for s, a in sorted(lines.items())}


def _amounts(lines: Mapping[str, str]) -> dict[str, Decimal]:
    return {source: Decimal(amount) for source, amount in lines.items()}


def application_create(
    *,
    call: Call,
    organisation: Organisation,
    by: Any,
    content: Mapping[str, Any],
    partner_ids: Iterable[int] = (),
    funding: Mapping[str, Decimal] | None = None,
) -> Application:
    """Start a draft. Allowed while the call is open for applications."""
    if organisation.pk not in access.organisation_ids(by):
        raise NotPermitted(_("You may apply only on behalf of your own organisation."))
    with transaction.atomic():
        call = lock(call)
        now = timezone.now()
        if call.state != CallState.PUBLISHED or not call.opens_at <= now < call.closes_at:
            raise Invalid(_("This call is not open for applications."))
        fields = {k: content[k] for k in CONTENT_FIELDS if k in content}
        _check_content(call, fields)
        application = Application(call=call, organisation=organisation, created_by=by, **fields)
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError as exc:
            raise Conflict(_("Your organisation already has an application to this call.")) from exc
        diff = {k: fields[k] for k in fields}
        diff["partners"] = _set_partners(application, partner_ids)
        diff["funding"] = _set_funding(application, funding or {})
        audit.record(
            action="application.create",
            obj=application,
            by=by,
            role=Role.APPLICANT,
            to_state=application.state,
            diff=diff,
        )
    return application


def application_update(
    *,
    application: Application,
    by: Any,
    content: Mapping[str, Any],
    partner_ids: Iterable[int] | None = None,
    funding: Mapping[str, Decimal] | None = None,
) -> Application:
    """Change a draft or a returned application; the audit diff holds old and new values."""
    role = access.require_applicant(by, application)
    with transaction.atomic():
        application = lock(application)
        _require_editable(application)
        _check_content(application.call, content)
        diff: dict[str, Any] = {}
        for name in CONTENT_FIELDS:
            if name in content and content[name] != getattr(application, name):
                diff[name] = {"old": getattr(application, name), "new": content[name]}
                setattr(application, name, content[name])
        application.save(update_fields=[*CONTENT_FIELDS, "updated_at"])
        if partner_ids is not None:
            old = sorted(application.partners.values_list("pk", flat=True))
            new = _set_partners(application, partner_ids)
            if old != new:
                diff["partners"] = {"old": old, "new": new}
        if funding is not None:
            old_funding = {f.source: str(f.amount) for f in application.funding.order_by("source")}
            new_funding = _set_funding(application, funding)
            # By value: "300" sent again for a stored "300.00" is no change (autosave repeats).
            if _amounts(old_funding) != _amounts(new_funding):
                diff["funding"] = {"old": old_funding, "new": new_funding}
        if diff:
            record_edit(
                application,
                "application.update",
                by=by,
                role=role,
                diff=diff,
            )
    return application


def attachment_add(*, application: Application, kind: str, upload: Any, by: Any) -> Attachment:
    """Store an uploaded PDF, checked by content and size first; nothing is stored otherwise."""
    role = access.require_applicant(by, application)
    try:
        checked = check_pdf(upload, max_bytes=settings.ATTACHMENT_MAX_BYTES)
    except BadUpload as exc:
        raise Invalid(str(exc)) from exc
    if kind not in AttachmentKind.values:
        raise Invalid(_("Choose what kind of document this is."))
    upload.seek(0)
    name = (getattr(upload, "name", "") or "document.pdf")[-255:]
    with transaction.atomic():
        application = lock(application)
        _require_editable(application)
        attachment = Attachment(
            application=application,
            kind=kind,
            original_name=name,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=by,
        )
        attachment.file.save("upload.pdf", ContentFile(upload.read()), save=False)
        try:
            attachment.save()
            record_edit(
                application,
                "attachment.add",
                by=by,
                role=role,
                diff={
                    "attachment": attachment.pk,
                    "kind": kind,
                    "name": name,
                    "sha256": checked.sha256,
                    "size": checked.size,
                    "pages": checked.pages,
                },
            )
        except BaseException:
            # The file is outside the transaction: take it away with the failed decision.
            attachment.file.delete(save=False)
            raise
    return attachment


def attachment_remove(*, attachment: Attachment, by: Any) -> None:
    application = attachment.application
    role = access.require_applicant(by, application)
    with transaction.atomic():
        application = lock(application)
        _require_editable(application)
        attachment = Attachment.objects.get(pk=attachment.pk, application=application)
        record_edit(
            application,
            "attachment.remove",
            by=by,
            role=role,
            diff={
                "attachment": attachment.pk,
                "kind": attachment.kind,
                "name": attachment.original_name,
                "sha256": attachment.sha256,
            },
        )
        stored = attachment.file.name
        attachment.delete()
        storage = attachment.file.storage
        transaction.on_commit(lambda: storage.delete(stored))


def _lock_for_submission(application: Application) -> Application:
    """lock(), with the call and the organisation the submission rules read joined into the
    locking SELECT (only the application row is locked): two round trips fewer under the
    lock, on the busiest decision of a deadline day (benchmarks/crush.py)."""
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organisation")
        .get(pk=application.pk)
    )


def application_submit(*, application: Application, by: Any) -> Application:
    role = access.require_applicant(by, application)
    with transaction.atomic():
        application = _lock_for_submission(application)
        call = application.call
        correcting = application.state == ApplicationState.RETURNED
        allowed = (CallState.PUBLISHED, CallState.CLOSED) if correcting else (CallState.PUBLISHED,)
        if call.state not in allowed:
            raise Invalid(_("This call is not open for applications."))
        correction_due = (
            application.correction_due if application.state == ApplicationState.RETURNED else None
        )
        now = timezone.now()
        problems = submission_problems(
            call_terms(call), application_content(application), now, correction_due
        )
        if problems:
            raise Invalid(_("The application cannot be submitted yet."), problems)
        # Read who is told before the transition: from its audit event on, this transaction
        # holds the audit chain's head lock, which every other decision waits for.
        applicants = recipients.applicants_of(application.organisation_id)
        office_staff = recipients.office_staff_of(call.office_id)
        application.submitted_at = now
        apply_transition(application, "submit", by=by, role=role, update_fields=("submitted_at",))
        notify(
            Kind.APPLICATION_RESUBMITTED if correcting else Kind.APPLICATION_SUBMITTED,
            applicants,
            application,
        )
        notify(
            Kind.OFFICE_APPLICATION_RESUBMITTED
            if correcting
            else Kind.OFFICE_APPLICATION_SUBMITTED,
            office_staff,
            application,
        )
    return application


def application_withdraw(*, application: Application, by: Any, reason: str = "") -> Application:
    role = access.require_applicant(by, application)
    reason = clean_reason(reason, required=False)
    with transaction.atomic():
        application = lock(application)
        now = timezone.now()
        correcting = (
            application.state == ApplicationState.RETURNED
            and application.correction_due is not None
            and now <= application.correction_due
        )
        if now >= application.call.closes_at and not correcting:
            raise Invalid(_("Applications can be withdrawn only before the call closes."))
        apply_transition(application, "withdraw", by=by, role=role, reason=reason)
        notify(
            Kind.APPLICATION_WITHDRAWN,
            recipients.applicants_of(application.organisation_id),
            application,
            reason=reason,
        )
    return application


def _formal_check(
    application: Application, by: Any, outcome: str, transition: str, reason: str
) -> Application:
    with transaction.atomic():
        application = lock(application)
        role = access.require_office(by, application.call)
        if application.call.state not in (CallState.PUBLISHED, CallState.CLOSED):
            raise Conflict(
                _("The call is “%(state)s”; formal checks are closed.")
                % {"state": application.call.get_state_display()}
            )
        update_fields: tuple[str, ...] = ()
        diff: dict[str, Any] = {}
        if transition == "return_for_correction":
            application.correction_due = working_day_deadline(
                timezone.now(), application.call.correction_working_days
            )
            update_fields = ("correction_due",)
            diff["correction_due"] = application.correction_due
        apply_transition(
            application,
            transition,
            by=by,
            role=role,
            reason=reason,
            diff=diff,
            update_fields=update_fields,
        )
        FormalCheck.objects.create(
            application=application, outcome=outcome, reason=reason, checked_by=by
        )
        notify(
            APPLICATION_TRANSITIONS[transition],
            recipients.applicants_of(application.organisation_id),
            application,
            reason=reason,
            due=application.correction_due,
        )
    return application


def application_accept(*, application: Application, by: Any, reason: str = "") -> Application:
    """形式审查通过."""
    reason = clean_reason(reason, required=False)
    return _formal_check(application, by, FormalCheckOutcome.PASSED, "accept", reason)


def application_return(*, application: Application, by: Any, reason: str) -> Application:
    """退回补正: the applicant gets the call's correction period, counted in working days."""
    reason = clean_reason(reason, required=True)
    return _formal_check(
        application, by, FormalCheckOutcome.RETURNED, "return_for_correction", reason
    )


def application_reject(*, application: Application, by: Any, reason: str) -> Application:
    """不予受理."""
    reason = clean_reason(reason, required=True)
    return _formal_check(application, by, FormalCheckOutcome.REJECTED, "reject", reason)


# Review and decision steps: who acts, and in which call state. The review and process issues
# drive these from the expert review and the flows; until then office staff call them.
_OFFICE_STEPS: dict[str, tuple[Role, str]] = {
    "start_review": (Role.OFFICE_STAFF, CallState.UNDER_REVIEW),
    "finish_review": (Role.OFFICE_STAFF, CallState.UNDER_REVIEW),
    "shortlist": (Role.OFFICE_STAFF, CallState.UNDER_REVIEW),
    "not_select": (Role.OFFICE_STAFF, CallState.UNDER_REVIEW),
    "approve": (Role.OFFICE_DIRECTOR, CallState.PUBLICITY),
    "not_approve": (Role.OFFICE_DIRECTOR, CallState.PUBLICITY),
}


def _office_step(
    application: Application,
    by: Any,
    step: str,
    reason: str = "",
    guard: Callable[[Application], None] | None = None,
) -> Application:
    role_needed, call_state = _OFFICE_STEPS[step]
    with transaction.atomic():
        application = lock(application)
        role = access.require_office(by, application.call, role_needed)
        if application.call.state != call_state:
            raise Conflict(
                _("The call is “%(state)s”; this step belongs to another stage.")
                % {"state": application.call.get_state_display()}
            )
        if guard is not None:
            # Under the row lock: objection_file locks the same row, so an objection and an
            # approval cannot pass each other.
            guard(application)
        apply_transition(application, step, by=by, role=role, reason=reason)
        notify(
            APPLICATION_TRANSITIONS[step],
            recipients.applicants_of(application.organisation_id),
            application,
            reason=reason,
        )
    return application


def application_start_review(*, application: Application, by: Any) -> Application:
    return _office_step(application, by, "start_review")


def application_finish_review(*, application: Application, by: Any) -> Application:
    return _office_step(application, by, "finish_review")


def application_shortlist(*, application: Application, by: Any, reason: str = "") -> Application:
    return _office_step(application, by, "shortlist", clean_reason(reason, required=False))


def application_not_select(*, application: Application, by: Any, reason: str) -> Application:
    return _office_step(application, by, "not_select", clean_reason(reason, required=True))


def application_approve(*, application: Application, by: Any, reason: str = "") -> Application:
    # 招标投标法实施条例 第五十四条: the item is suspended while an objection is open.
    return _office_step(
        application,
        by,
        "approve",
        clean_reason(reason, required=False),
        guard=require_approvable,
    )


def application_not_approve(*, application: Application, by: Any, reason: str) -> Application:
    return _office_step(application, by, "not_approve", clean_reason(reason, required=True))
