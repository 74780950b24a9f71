"""容错纠错 (flow 8): a project's request for fault tolerance, the office's decision on the
evidence, and the correction until it is verified.

Decisions recorded here (audit action in brackets):
- tolerance_request [tolerancecase.request]: the applicant organisation of a project (under
  construction, in acceptance, rectifying or awarded) asks for tolerance; one open case per
  project at a time, so each decision answers one request.
- tolerance_decide [tolerancecase.decide]: office staff of the call's office record the four
  "三个区分开来" findings, cite audit events about this project as evidence, and decide
  免责 / 减责 / 不予容错 within what workflow.rules.tolerance allows; every decision, a refusal
  included, carries a correction plan with a future deadline (纠错).
- tolerance_report_correction [tolerancecase.report_correction]: the unit reports the correction.
- tolerance_verify [tolerancecase.verify or tolerancecase.reject_correction]: the office closes
  the case, or sends the correction back with the note as the reason.
Supervisors read every case (portal) and change nothing: no service here grants them a role.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import recipients
from notifications.kinds import Kind
from notifications.messenger import notify
from processes import engine
from workflow import access, audit
from workflow.choices import ApplicationState, ToleranceDecision
from workflow.errors import Conflict, Invalid
from workflow.models import (
    Acceptance,
    Agreement,
    Application,
    AuditEvent,
    Award,
    Milestone,
    PerformanceReview,
    ProgressReport,
    ToleranceCase,
)
from workflow.models.tolerance import ToleranceCaseState
from workflow.rules import tolerance as rules
from workflow.services.base import apply_transition, clean_reason, lock
from workflow.services.performance import clean_text

# The application has become a project: approved and landed, up to and after the plaque.
PROJECT_STATES = (
    ApplicationState.CONSTRUCTING,
    ApplicationState.ACCEPTANCE,
    ApplicationState.RECTIFYING,
    ApplicationState.AWARDED,
)
MAX_EVIDENCE = 200


def _label(model: type) -> str:
    return model._meta.label_lower


def evidence_events(case: ToleranceCase) -> QuerySet[AuditEvent]:
    """Audit events that may be cited for `case`: about its project or the project's agreement,
    milestones, progress reports, acceptance reviews, plaque, performance reviews, or this case.

    Performance reviews are included although they are not the project itself: a failing
    year is often the very shortfall a request answers.
    """
    application_id = case.application_id
    related: dict[type, Iterable[Any]] = {
        Application: [application_id],
        Agreement: Agreement.objects.filter(application_id=application_id).values_list(
            "pk", flat=True
        ),
        Milestone: Milestone.objects.filter(agreement__application_id=application_id).values_list(
            "pk", flat=True
        ),
        ProgressReport: ProgressReport.objects.filter(
            agreement__application_id=application_id
        ).values_list("pk", flat=True),
        Acceptance: Acceptance.objects.filter(application_id=application_id).values_list(
            "pk", flat=True
        ),
        Award: Award.objects.filter(application_id=application_id).values_list("pk", flat=True),
        PerformanceReview: PerformanceReview.objects.filter(
            award__application_id=application_id
        ).values_list("pk", flat=True),
        ToleranceCase: [case.pk],
    }
    condition = Q(pk__in=[])
    for model, ids in related.items():
        ids = [str(i) for i in ids]
        if ids:
            condition |= Q(object_type=_label(model), object_id__in=ids)
    return AuditEvent.objects.filter(condition)


def _evidence(case: ToleranceCase, evidence_ids: Iterable[Any]) -> list[AuditEvent]:
    try:
        ids = sorted({int(i) for i in evidence_ids})
    except (TypeError, ValueError) as exc:
        raise Invalid(_("The evidence must be audit events, cited by number.")) from exc
    if not ids:
        raise Invalid(
            _("Cite at least one audit event as evidence: the decision rests on the record.")
        )
    if len(ids) > MAX_EVIDENCE:
        raise Invalid(_("Cite at most %(n)d audit events.") % {"n": MAX_EVIDENCE})
    found = {e.pk: e for e in AuditEvent.objects.filter(pk__in=ids)}
    if len(found) != len(ids):
        raise Invalid(_("Some of the audit events cited do not exist."))
    allowed = set(evidence_events(case).filter(pk__in=ids).values_list("pk", flat=True))
    foreign = sorted(found[i].sequence for i in ids if i not in allowed)
    if foreign:
        raise Invalid(
            _(
                "Audit events %(numbers)s are not about this project, its agreement, reports, "
                "acceptance reviews, plaque or this case, so they cannot be cited as its evidence."
            )
            % {"numbers": ", ".join(f"#{n}" for n in foreign)}
        )
    return [found[i] for i in ids]


def tolerance_request(
    *, application: Application, by: Any, shortfall: str, reasons: str
) -> ToleranceCase:
    """The unit asks for fault tolerance for the targets its project missed."""
    with transaction.atomic():
        application = lock(application)
        role = access.require_applicant(by, application)
        if application.state not in PROJECT_STATES:
            raise Invalid(
                _(
                    "Fault tolerance can be requested only for a project: under construction, "
                    "in acceptance review, rectifying or awarded."
                )
            )
        if (
            ToleranceCase.objects.filter(application=application)
            .exclude(state=ToleranceCaseState.CLOSED)
            .exists()
        ):
            raise Conflict(
                _("This project already has an open fault-tolerance case; it must close first.")
            )
        case = ToleranceCase.objects.create(
            application=application,
            shortfall=clean_text(shortfall, label=_("The description of the targets missed")),
            reasons=clean_text(reasons, label=_("The reasons")),
            requested_by=by,
            requested_at=timezone.now(),
        )
        audit.record(
            action="tolerancecase.request",
            obj=case,
            by=by,
            role=role,
            to_state=case.state,
            diff={"application": application.pk, "shortfall": case.shortfall},
            reason=case.reasons[:2000],
        )
        notify(
            Kind.OFFICE_TOLERANCE_REQUESTED,
            recipients.office_staff_of(application.call.office_id),
            application,
        )
        engine.sync(case, by=by)
    return case


def tolerance_decide(
    *,
    case: ToleranceCase,
    by: Any,
    exploratory: bool,
    procedures_followed: bool,
    no_personal_gain: bool,
    proactive_correction: bool,
    evidence_ids: Iterable[Any],
    decision: str,
    decision_reason: str,
    correction_plan: str,
    correction_due: dt.date | None,
) -> ToleranceCase:
    """Assess the request on the "三个区分开来" and the cited audit events, and decide."""
    findings = {
        "exploratory": exploratory,
        "procedures_followed": procedures_followed,
        "no_personal_gain": no_personal_gain,
        "proactive_correction": proactive_correction,
    }
    with transaction.atomic():
        case = lock(case)
        application = case.application
        role = access.require_office(by, application.call)
        if case.state != ToleranceCaseState.REQUESTED:
            raise Conflict(_("This request has already been decided."))
        if any(not isinstance(v, bool) for v in findings.values()):
            raise Invalid(_("Record a finding (yes or no) on each of the four criteria."))
        if decision not in ToleranceDecision.values:
            raise Invalid(_("Choose a decision: exempt, reduce liability or refuse tolerance."))
        refusal = rules.decision_refusal(decision, rules.Criteria(**findings))
        if refusal:
            raise Invalid(refusal)
        decision_reason = clean_reason(decision_reason, required=True)
        correction_plan = clean_text(correction_plan, label=_("The correction plan"))
        if not isinstance(correction_due, dt.date) or correction_due <= timezone.localdate():
            raise Invalid(_("The correction deadline must be a date in the future."))
        events = _evidence(case, evidence_ids)
        for name, value in findings.items():
            setattr(case, name, value)
        case.decision = decision
        case.decision_reason = decision_reason
        case.correction_plan = correction_plan
        case.correction_due = correction_due
        case.decided_by = by
        case.decided_at = timezone.now()
        apply_transition(
            case,
            "decide",
            by=by,
            role=role,
            reason=decision_reason,
            diff={
                **findings,
                "decision": decision,
                "evidence": [e.sequence for e in events],
                "correction_due": correction_due.isoformat(),
            },
            update_fields=(
                *findings,
                "decision",
                "decision_reason",
                "correction_plan",
                "correction_due",
                "decided_by",
                "decided_at",
            ),
        )
        case.evidence.set(events)
        notify(
            Kind.TOLERANCE_DECIDED,
            recipients.applicants_of(application.organisation_id),
            application,
            decision=ToleranceDecision(decision).label,
        )
        engine.sync(case, by=by)
    return case


def tolerance_report_correction(*, case: ToleranceCase, by: Any, report: str) -> ToleranceCase:
    """The unit reports what it corrected; the office verifies it."""
    with transaction.atomic():
        case = lock(case)
        application = case.application
        role = access.require_applicant(by, application)
        case.correction_report = clean_text(report, label=_("The correction report"))
        apply_transition(
            case,
            "report_correction",
            by=by,
            role=role,
            # Each report is kept in the trail: a rejected one is overwritten by the next.
            diff={"report": case.correction_report},
            update_fields=("correction_report",),
        )
        notify(
            Kind.OFFICE_CORRECTION_REPORTED,
            recipients.office_staff_of(application.call.office_id),
            application,
        )
        engine.sync(case, by=by)
    return case


def tolerance_verify(*, case: ToleranceCase, by: Any, accepted: bool, note: str) -> ToleranceCase:
    """Close the case on a verified correction, or send the correction back with the note."""
    with transaction.atomic():
        case = lock(case)
        application = case.application
        role = access.require_office(by, application.call)
        note = clean_reason(note, required=not accepted)
        if accepted:
            case.verified_by = by
            case.verified_at = timezone.now()
            apply_transition(
                case,
                "verify",
                by=by,
                role=role,
                reason=note,
                update_fields=("verified_by", "verified_at"),
            )
            notify(
                Kind.TOLERANCE_CLOSED,
                recipients.applicants_of(application.organisation_id),
                application,
            )
        else:
            apply_transition(case, "reject_correction", by=by, role=role, reason=note)
        engine.sync(case, by=by)
    return case
