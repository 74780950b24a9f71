"""Decisions on calls (榜单): publication, closing, and the stages after it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import recipients
from notifications.kinds import Kind
from notifications.messenger import notify
from workflow import access, audit
from workflow.choices import (
    ApplicantType,
    ApplicationState,
    AvoidanceRequestState,
    CallState,
    ConstructionMode,
    Function,
    Role,
)
from workflow.errors import Conflict, Invalid
from workflow.models import AvoidanceRequest, Call, Office
from workflow.rules.publicity import require_notice_over
from workflow.services.applications import application_start_review
from workflow.services.base import apply_transition, clean_reason, lock, record_edit
from workflow.services.countersign import countersign_complete


def publication_problems(call: Call, now: Any) -> list[str]:
    problems = []
    if call.closes_at <= now:
        problems.append(_("The closing time must be in the future."))
    if call.quota < 1:
        problems.append(_("The quota must be at least 1."))
    checks = [
        (call.functions, Function, _("required functions")),
        (call.eligible_applicant_types, ApplicantType, _("eligible applicant types")),
        (call.allowed_modes, ConstructionMode, _("allowed construction modes")),
    ]
    for values, choices, name in checks:
        if not values or not set(values) <= set(choices.values):
            problems.append(_("Choose valid %(field)s.") % {"field": name})
    return problems


# The terms of a call that the office sets; fixed once it is published.
CALL_TERMS = (
    "title",
    "sector",
    "level",
    "description",
    "functions",
    "eligible_applicant_types",
    "allowed_modes",
    "required_attachments",
    "quota",
    "route",
    "countersign_mode",
    "opens_at",
    "closes_at",
    "correction_working_days",
)


def call_create(*, office: Office, by: Any, terms: dict[str, Any]) -> Call:
    """发榜 (draft): office staff write a call for their own office."""
    with transaction.atomic():
        call = Call(office=office, created_by=by, **{k: terms[k] for k in CALL_TERMS if k in terms})
        role = access.require_office(by, call)
        if call.closes_at <= call.opens_at:
            raise Invalid(_("The closing time must be after the opening time."))
        call.save()
        audit.record(
            action="call.create",
            obj=call,
            by=by,
            role=role,
            to_state=call.state,
            diff={k: getattr(call, k) for k in CALL_TERMS},
        )
    return call


def call_update(*, call: Call, by: Any, terms: dict[str, Any]) -> Call:
    """Change a draft call; the audit diff holds old and new values."""
    with transaction.atomic():
        call = lock(call)
        role = access.require_office(by, call)
        if call.state != CallState.DRAFT:
            raise Conflict(_("A published call's terms can no longer be changed."))
        diff = {}
        for name in CALL_TERMS:
            if name in terms and terms[name] != getattr(call, name):
                diff[name] = {"old": getattr(call, name), "new": terms[name]}
                setattr(call, name, terms[name])
        if call.closes_at <= call.opens_at:
            raise Invalid(_("The closing time must be after the opening time."))
        if diff:
            call.save(update_fields=list(diff))
            record_edit(
                call,
                "call.update",
                by=by,
                role=role,
                diff=diff,
            )
    return call


def call_publish(*, call: Call, by: Any) -> Call:
    """公开发榜."""
    with transaction.atomic():
        call = lock(call)
        role = access.require_office(by, call)
        problems = publication_problems(call, timezone.now())
        if problems:
            raise Invalid(_("The call cannot be published yet."), problems)
        call.published_at = timezone.now()
        apply_transition(call, "publish", by=by, role=role, update_fields=("published_at",))
    return call


def call_close(*, call: Call, by: Any) -> Call:
    with transaction.atomic():
        call = lock(call)
        role = access.require_office(by, call)
        if timezone.now() < call.closes_at:
            raise Invalid(_("The application window has not ended yet."))
        apply_transition(call, "close", by=by, role=role)
    return call


def call_start_review(*, call: Call, by: Any) -> Call:
    """Move to expert review once every formal check is done; accepted applications follow."""
    with transaction.atomic():
        call = lock(call)
        role = access.require_office(by, call)
        now = timezone.now()
        pending = call.applications.filter(state=ApplicationState.SUBMITTED).count()
        correcting = call.applications.filter(
            state=ApplicationState.RETURNED, correction_due__gte=now
        ).count()
        if pending or correcting:
            raise Invalid(
                _(
                    "Formal checks are not finished: %(pending)d waiting for a check, "
                    "%(correcting)d still within their correction period."
                )
                % {"pending": pending, "correcting": correcting}
            )
        undecided = AvoidanceRequest.objects.filter(
            application__call=call, state=AvoidanceRequestState.PENDING
        ).count()
        if undecided:
            raise Invalid(
                _("%(n)d avoidance requests are still undecided; decide them first.")
                % {"n": undecided}
            )
        apply_transition(call, "start_review", by=by, role=role)
        for application in call.applications.filter(state=ApplicationState.ACCEPTED):
            application_start_review(application=application, by=by)
    return call


def call_start_publicity(*, call: Call, by: Any) -> Call:
    with transaction.atomic():
        call = lock(call)
        role = access.require_office(by, call)
        undecided = call.applications.filter(
            state__in=[ApplicationState.UNDER_REVIEW, ApplicationState.REVIEWED]
        ).count()
        if undecided:
            raise Invalid(_("%(n)d applications have no review outcome yet.") % {"n": undecided})
        apply_transition(call, "start_publicity", by=by, role=role)
    return call


def call_decide(*, call: Call, by: Any) -> Call:
    """The director's final decision, once every shortlisted application is decided and the
    latest countersign round (会签) is agreed."""

    with transaction.atomic():
        call = lock(call)
        role = access.require_office(by, call, Role.OFFICE_DIRECTOR)
        if call.state == CallState.PUBLICITY:
            require_notice_over(call)
        if call.state == CallState.PUBLICITY and not countersign_complete(call):
            raise Invalid(
                _("The member departments have not all agreed to the proposal (countersign).")
            )
        open_items = call.applications.filter(state=ApplicationState.SHORTLISTED).count()
        if open_items:
            raise Invalid(
                _("%(n)d shortlisted applications still await approval.") % {"n": open_items}
            )
        apply_transition(call, "decide", by=by, role=role)
    return call


def call_archive(*, call: Call, by: Any) -> Call:
    with transaction.atomic():
        call = lock(call)
        role = access.require_office(by, call)
        apply_transition(call, "archive", by=by, role=role)
    return call


def call_cancel(*, call: Call, by: Any, reason: str) -> Call:
    reason = clean_reason(reason, required=True)
    with transaction.atomic():
        call = lock(call)
        role = access.require_office(by, call)
        apply_transition(call, "cancel", by=by, role=role, reason=reason)
        live = call.applications.exclude(state=ApplicationState.WITHDRAWN)
        notify(
            Kind.CALL_CANCELLED,
            recipients.applicants_of(live.values_list("organisation_id", flat=True)),
            call,
            reason=reason,
        )
    return call


def call_create_from_template(
    *,
    office: Office,
    by: Any,
    terms: dict[str, Any],
    rubric_sample: str = "",
    rubric_source: Any = None,
) -> Call:
    """发榜 (draft) with its rubric (评分细则) in one transaction: a built-in sample
    (`rubric_sample`, a key of workflow.rubrics_data.SAMPLES) or a copy of a template or of an
    earlier call's rubric (`rubric_source`). If the rubric cannot be made, no call is left."""
    from workflow.services.rubrics import rubric_copy, rubric_load_sample

    if rubric_sample and rubric_source is not None:
        raise Invalid(_("Choose one rubric to start from, not two."))
    with transaction.atomic():
        call = call_create(office=office, by=by, terms=terms)
        if rubric_sample:
            rubric_load_sample(key=rubric_sample, call=call, by=by)
        elif rubric_source is not None:
            rubric_copy(source=rubric_source, call=call, by=by)
    return call
