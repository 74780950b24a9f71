"""评审认定 → 授牌 (flows 5 and 6): acceptance of a completed project, and the plaque.

Decisions recorded here:
- acceptance_declare: the organisation declares construction complete (again after a failed
  acceptance); a new Acceptance round opens and the application goes to ACCEPTANCE.
- acceptance_draw_panel: the office draws the panel from the active pool, recusal applied for
  this organisation, from a fresh secret seed. The seed's SHA-256 is kept on the acceptance and
  the audit event reveals the seed with the recorded inputs, so anyone can recompute the panel
  (workflow.rules.acceptance.acceptance_panel). With no caps or sectors the draw can only fail
  for lack of eligible experts, which does not depend on the seed, so a refused draw leaves no
  trace and cannot be used to fish for a better panel.
- acceptance_record_scores: the office enters every panel member's signed sheet; the total
  decides pass or fail; a failure sets the rectification deadline and sends the application to
  RECTIFYING.
- application_terminate: the office ends a project that cannot be completed, with a reason.
- award_grant: after a passed acceptance, or straight from APPROVED on a direct-award call, the
  plaque is numbered from the level's scheme under a row lock on the year's counter, so
  concurrent awards never share a number; the certificate's content is snapshotted in the audit
  trail and its SHA-256 on the award.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import recipients
from notifications.kinds import Kind
from notifications.messenger import notify
from processes import engine
from workflow import access, audit, certificates
from workflow.choices import ApplicationState, CallRoute
from workflow.errors import Conflict, Invalid
from workflow.models import (
    Acceptance,
    Application,
    Award,
    PlaqueCounter,
    PlaqueScheme,
)
from workflow.models.award import AcceptanceState, AwardState
from workflow.rules import acceptance as rules
from workflow.rules.draw import DrawImpossible
from workflow.rules.recusal import excluded_pairs
from workflow.selectors import review as facts
from workflow.services.base import apply_transition, clean_reason, lock
from workflow.workdays import add_working_days, calendar_exceptions

A = ApplicationState
MAX_REPORT_LENGTH = 20000
DECLARABLE = (A.CONSTRUCTING, A.RECTIFYING)
TERMINABLE = (A.CONSTRUCTING, A.ACCEPTANCE, A.RECTIFYING)


def latest_acceptance(application: Application) -> Acceptance | None:
    return Acceptance.objects.filter(application=application).order_by("-number").first()


def _locked_application(application: Application) -> Application:
    application = lock(application)
    # The call and its office are read for permissions, numbering and the certificate.
    return Application.objects.select_related("call__office", "organisation").get(pk=application.pk)


def acceptance_declare(*, application: Application, by: Any, completion_report: str) -> Acceptance:
    """The organisation declares construction (or rectification) complete."""
    report = (completion_report or "").strip()
    if not report:
        raise Invalid(_("Describe what was built: the completion report is required."))
    if len(report) > MAX_REPORT_LENGTH:
        raise Invalid(
            _("The completion report is too long (at most %(n)d characters).")
            % {"n": MAX_REPORT_LENGTH}
        )
    with transaction.atomic():
        application = _locked_application(application)
        role = access.require_applicant(by, application)
        if application.state not in DECLARABLE:
            raise Conflict(
                _(
                    "Completion can be declared while the project is under construction or "
                    "rectifying; it is “%(state)s”."
                )
                % {"state": application.get_state_display()}
            )
        previous = latest_acceptance(application)
        acceptance = Acceptance.objects.create(
            application=application,
            number=(previous.number + 1) if previous else 1,
            completion_report=report,
            declared_by=by,
            declared_at=timezone.now(),
        )
        audit.record(
            action="acceptance.declare",
            obj=acceptance,
            by=by,
            role=role,
            to_state=acceptance.state,
            diff={
                "application": application.pk,
                "number": acceptance.number,
                "completion_report_sha256": hashlib.sha256(report.encode()).hexdigest(),
            },
        )
        apply_transition(
            application,
            "declare_complete",
            by=by,
            role=role,
            diff={"acceptance": acceptance.pk, "number": acceptance.number},
        )
        engine.sync(application, by=by)
    return acceptance


def _draw_inputs(application: Application, size: int) -> dict:
    """The pool and the experts recused for this organisation, with their reasons."""
    call = application.call
    experts = list(facts.active_experts())
    subject = list(
        Application.objects.filter(pk=application.pk)
        .select_related("organisation")
        .prefetch_related("partners")
    )
    today = timezone.localdate()
    found = excluded_pairs(
        facts.expert_facts(experts, call), facts.application_facts(call, subject), today
    ).get(application.pk, {})
    return {
        "size": size,
        "pool": [e.id for e in experts],
        "excluded": sorted(found),
        "exclusions": {
            str(expert): [[x.rule, x.code, x.fact] for x in hits]
            for expert, hits in sorted(found.items())
        },
        "date": today.isoformat(),
        "names": {e.id: e.name for e in experts},
    }


def acceptance_draw_panel(
    *, acceptance: Acceptance, by: Any, size: int = rules.DEFAULT_PANEL_SIZE
) -> Acceptance:
    """Draw the acceptance panel: `size` experts of the active pool, recusal applied."""
    problems = rules.panel_size_problems(size)
    if problems:
        raise Invalid(_("The panel size is not valid."), problems)
    seed = secrets.token_hex(32)
    with transaction.atomic():
        acceptance = lock(acceptance)
        application = Application.objects.select_related("call__office").get(
            pk=acceptance.application_id
        )
        role = access.require_office(by, application.call)
        if acceptance.state != AcceptanceState.REQUESTED:
            raise Conflict(_("The panel of this acceptance review has already been drawn."))
        inputs = _draw_inputs(application, size)
        names = inputs.pop("names")
        try:
            members = rules.acceptance_panel(seed, inputs["pool"], inputs["excluded"], size)
        except DrawImpossible:
            eligible = len(set(inputs["pool"]) - set(inputs["excluded"]))
            raise Invalid(
                _(
                    "The expert pool is too small: %(eligible)d active experts are free of "
                    "conflicts with this organisation, and the panel needs %(size)d. Add "
                    "experts to the pool or reactivate some, then draw again."
                )
                % {"eligible": eligible, "size": size}
            ) from None
        acceptance.panel = [{"expert": e, "name": names[e]} for e in members]
        acceptance.seed_sha256 = hashlib.sha256(seed.encode()).hexdigest()
        apply_transition(
            acceptance,
            "draw_panel",
            by=by,
            role=role,
            diff={
                "seed_sha256": acceptance.seed_sha256,
                "seed": seed,
                "inputs": inputs,
                "inputs_digest": audit.digest(inputs),
                "panel": members,
            },
            update_fields=("panel", "seed_sha256"),
        )
        engine.sync(application, by=by)
    return acceptance


def _rectification_due(given: dt.date | None, working_days: int) -> dt.date:
    today = timezone.localdate()
    if given is not None:
        if given <= today:
            raise Invalid(_("The rectification deadline must be after today."))
        return given
    if working_days < 1:
        raise Invalid(_("The rectification period must be at least one working day."))
    # n working days never span more than 3n + 30 calendar days, even across Spring Festival.
    holidays, workdays = calendar_exceptions(today, today + dt.timedelta(3 * working_days + 30))
    return add_working_days(today, working_days, holidays=holidays, workdays=workdays)


def acceptance_record_scores(
    *,
    acceptance: Acceptance,
    by: Any,
    sheets: Mapping[Any, Mapping[str, Any]],
    conclusion: str,
    rectification_due: dt.date | None = None,
    rectification_working_days: int = rules.RECTIFICATION_WORKING_DAYS,
) -> Acceptance:
    """Enter the panel's signed sheets and conclusion; the total decides pass or fail."""
    conclusion = clean_reason(conclusion, required=False)
    if not conclusion:
        raise Invalid(_("Write the panel's conclusion."))
    if not isinstance(sheets, Mapping):
        raise Invalid(_("The score sheets are missing."))
    sheets = {str(expert): marks for expert, marks in sheets.items()}
    with transaction.atomic():
        acceptance = lock(acceptance)
        application = _locked_application(acceptance.application)
        role = access.require_office(by, application.call)
        if acceptance.state != AcceptanceState.PANEL:
            raise Conflict(
                _(
                    "Scores are entered once the panel is drawn and before the decision; this "
                    "acceptance review is “%(state)s”."
                )
                % {"state": acceptance.get_state_display()}
            )
        panel = {str(m["expert"]): m["name"] for m in acceptance.panel}
        problems = rules.panel_problems(sheets, panel)
        if problems:
            raise Invalid(_("The score sheets are not complete and valid."), problems)
        stored = rules.normalised_sheets(sheets)
        total = rules.panel_total(rules.sheet_total(marks) for marks in stored.values())
        passed = rules.passes(total)
        acceptance.scores = stored
        acceptance.total = total
        acceptance.conclusion = conclusion
        acceptance.decided_by = by
        acceptance.decided_at = timezone.now()
        fields = ("scores", "total", "conclusion", "decided_by", "decided_at")
        if not passed:
            acceptance.rectification_due = _rectification_due(
                rectification_due, rectification_working_days
            )
            fields = (*fields, "rectification_due")
        apply_transition(
            acceptance,
            "pass_" if passed else "fail",
            by=by,
            role=role,
            reason=conclusion,
            diff={
                "total": str(total),
                "pass_mark": str(rules.PASS_MARK),
                "scores": stored,
                "rectification_due": acceptance.rectification_due,
            },
            update_fields=fields,
        )
        if not passed:
            apply_transition(
                application,
                "fail_acceptance",
                by=by,
                role=role,
                reason=conclusion,
                diff={
                    "acceptance": acceptance.pk,
                    "total": str(total),
                    "rectification_due": acceptance.rectification_due,
                },
            )
        notify(
            Kind.ACCEPTANCE_DECIDED,
            recipients.applicants_of(application.organisation_id),
            application,
            outcome=AcceptanceState(acceptance.state).label,
        )
        engine.sync(application, by=by)
    return acceptance


def application_terminate(*, application: Application, by: Any, reason: str) -> Application:
    """End a project that will not reach the plaque; the reason is required."""
    reason = clean_reason(reason, required=True)
    with transaction.atomic():
        application = _locked_application(application)
        role = access.require_office(by, application.call)
        if application.state not in TERMINABLE:
            raise Conflict(
                _(
                    "Only a project under construction, acceptance or rectification can be "
                    "terminated; this one is “%(state)s”."
                )
                % {"state": application.get_state_display()}
            )
        apply_transition(application, "terminate", by=by, role=role, reason=reason)
        engine.sync(application, by=by)
    return application


def _require_awardable(application: Application) -> dict[str, Any]:
    """Why this application may have the plaque now; what the audit event records of it."""
    if application.state == A.ACCEPTANCE:
        latest = latest_acceptance(application)
        if latest is None or latest.state != AcceptanceState.PASSED:
            raise Conflict(_("The plaque is awarded only after the acceptance review is passed."))
        return {"acceptance": latest.pk, "acceptance_total": str(latest.total)}
    if application.state == A.APPROVED:
        if application.call.route != CallRoute.DIRECT_AWARD:
            raise Conflict(
                _(
                    "This call selects projects to be built: the plaque follows construction "
                    "and a passed acceptance review, not the approval."
                )
            )
        return {"route": CallRoute.DIRECT_AWARD}
    raise Conflict(
        _("“%(application)s” is “%(state)s”; the plaque cannot be awarded now.")
        % {"application": application, "state": application.get_state_display()}
    )


def _next_number(level: str, year: int) -> tuple[PlaqueScheme, int, str]:
    """The scheme and the next sequence number of the level's year, counter row locked.

    The lock is held until the award commits, so a concurrent award waits and then reads the
    number this one took. A rolled-back award gives its number back."""
    scheme = PlaqueScheme.objects.filter(level=level).first()
    if scheme is None:
        raise Invalid(
            _("No plaque numbering scheme is set for this level; an administrator adds it.")
        )
    problems = rules.pattern_problems(scheme.pattern)
    if problems:
        raise Invalid(_("The plaque numbering scheme of this level is not valid."), problems)
    counter, _created = PlaqueCounter.objects.select_for_update().get_or_create(
        level=level, year=year
    )
    counter.last += 1
    number = rules.plaque_number(scheme.pattern, year, counter.last)
    if Award.objects.filter(number=number).exists():
        raise Invalid(
            _(
                "The plaque number %(number)s is already used; check the numbering scheme of "
                "this level."
            )
            % {"number": number}
        )
    counter.save(update_fields=["last"])
    return scheme, counter.last, number


def award_grant(*, application: Application, by: Any, awarded_on: dt.date | None = None) -> Award:
    """Award the plaque: number it, record it, issue its certificate."""
    today = timezone.localdate()
    awarded_on = awarded_on or today
    if awarded_on > today:
        raise Invalid(_("The award date cannot be in the future."))
    with transaction.atomic():
        application = _locked_application(application)
        call = application.call
        role = access.require_office(by, call)
        basis = _require_awardable(application)
        scheme, seq, number = _next_number(call.level, awarded_on.year)
        award = Award.objects.create(
            application=application,
            level=call.level,
            number=number,
            plaque_title=scheme.plaque_title,
            awarded_on=awarded_on,
            awarded_by=by,
        )
        content = certificates.content_of(award)
        award.certificate_sha256 = certificates.sha256(certificates.certificate_pdf(content))
        award.save(update_fields=["certificate_sha256"])
        audit.record(
            action="award.grant",
            obj=award,
            by=by,
            role=role,
            to_state=AwardState.ACTIVE,
            diff={
                **basis,
                "application": application.pk,
                "number": number,
                "sequence": seq,
                "year": awarded_on.year,
                "certificate": content.as_dict(),
                "certificate_sha256": award.certificate_sha256,
            },
        )
        apply_transition(
            application, "award", by=by, role=role, diff={"award": award.pk, "number": number}
        )
        notify(
            Kind.AWARDED,
            recipients.applicants_of(application.organisation_id),
            application,
            number=number,
        )
    return award


def certificate_content(award: Award) -> certificates.CertificateContent:
    """The certificate as issued: the snapshot recorded at the award (the data as it is now
    only when the trail has none, e.g. an award loaded from a fixture)."""
    from workflow.models import AuditEvent

    event = (
        AuditEvent.objects.filter(
            action="award.grant", object_type=audit.object_label(award), object_id=str(award.pk)
        )
        .order_by("sequence")
        .values_list("diff", flat=True)
        .first()
    )
    if event and "certificate" in event:
        return certificates.CertificateContent.from_dict(event["certificate"])
    return certificates.content_of(award)
