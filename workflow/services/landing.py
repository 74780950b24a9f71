"""揭榜落地 (flow 4): the task agreement, its milestones and the progress reports.

Decisions recorded here:
- The office drafts the agreement of an approved application of a selection call; it may
  change it while it is a draft (also after the organisation returned it). The subsidies are
  computed from the active subsidy rules each time it is saved and kept on the agreement, so
  what the organisation confirms is what it reads.
- Confirming the agreement starts construction and creates every report of the term at once:
  the schedule is fixed when the organisation commits to it, and a later change of the holiday
  calendar does not move a due date it already knows.
- A report may be submitted late; being overdue is the scheduler's business (escalation to the
  office, notifications.reminders), not a reason to refuse it.

Audit actions: agreement.draft, agreement.edit, agreement.send, agreement.return_to_office,
agreement.confirm, application.start_construction, progressreport.submit, milestone.done (and
progressreport.escalate, written by the scheduler).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import recipients
from notifications.kinds import Kind
from notifications.messenger import notify
from processes import engine
from workflow import access, audit
from workflow.choices import ApplicationState, CallRoute
from workflow.errors import Conflict, Invalid
from workflow.models import Agreement, Application, Milestone, ProgressReport, SubsidyRule
from workflow.models.landing import AgreementState, ReportState
from workflow.rules import landing as rules
from workflow.rules.subsidies import ZERO, SubsidyError
from workflow.services.base import apply_transition, clean_reason, lock, record_edit
from workflow.workdays import calendar_exceptions

AGREEMENT_FIELDS = (
    "targets",
    "term_years",
    "starts_on",
    "budget_total",
    "funding",
    "fit_out_cost",
    "trainees_per_year",
)


def _milestone_terms(milestones: Sequence[Any]) -> list[rules.MilestoneTerm]:
    terms = []
    for item in milestones or ():
        if isinstance(item, rules.MilestoneTerm):
            terms.append(item)
        elif isinstance(item, Mapping):
            terms.append(rules.MilestoneTerm(item.get("title"), item.get("due_on")))
        else:
            raise Invalid(_("Each milestone needs a title and a due date."))
    return terms


def active_subsidy_rules() -> list:
    """The active rules as pure SubsidyRules; a row with broken figures refuses the decision
    rather than being skipped, since skipping would silently pay less."""
    try:
        return [row.as_rule() for row in SubsidyRule.objects.filter(active=True).order_by("code")]
    except SubsidyError as exc:
        raise Invalid(
            _("A subsidy rule is not sound: %(problem)s") % {"problem": exc.message}
        ) from exc


def agreement_subsidies(
    *, fit_out_cost: Decimal, trainees_per_year: Sequence[int], claims: Collection[str] | None
) -> dict[str, Any]:
    try:
        return rules.compute_subsidies(
            active_subsidy_rules(),
            fit_out_cost=fit_out_cost,
            trainees_per_year=trainees_per_year,
            claimed=claims,
        )
    except SubsidyError as exc:
        raise Invalid(_("The subsidies cannot be granted."), [exc.message]) from exc


def _require_selection(application: Application) -> None:
    if application.call.route != CallRoute.SELECTION:
        raise Invalid(
            _(
                "Bases of this call are already built and awarded directly: they have no "
                "task agreement."
            )
        )


def agreement_draft(
    *,
    application: Application,
    by: Any,
    targets: str,
    term_years: int,
    starts_on: dt.date,
    budget_total: Decimal,
    funding: Mapping[str, Decimal],
    milestones: Sequence[Any],
    fit_out_cost: Decimal | int = ZERO,
    trainees_per_year: Sequence[int] = (),
    claims: Collection[str] | None = None,
) -> Agreement:
    """Write (or rewrite, while it is a draft) the task agreement of an approved application.

    `claims` are the codes of the subsidy rules claimed; None claims every active rule the
    figures apply to. `milestones` are MilestoneTerms or mappings with a title and a due_on.
    """
    with transaction.atomic():
        application = lock(application)
        role = access.require_office(by, application.call)
        _require_selection(application)
        if application.state != ApplicationState.APPROVED:
            raise Conflict(
                _("Only an approved application gets a task agreement; this one is “%(state)s”.")
                % {"state": application.get_state_display()}
            )
        existing = Agreement.objects.select_for_update().filter(application=application).first()
        if existing is not None and existing.state != AgreementState.DRAFT:
            raise Conflict(
                _(
                    "The task agreement is “%(state)s”: it can be changed only after the "
                    "organisation returns it."
                )
                % {"state": existing.get_state_display()}
            )
        terms = rules.AgreementTerms(
            targets=targets,
            term_years=term_years,
            starts_on=starts_on,
            budget_total=budget_total,
            funding=funding,
            milestones=_milestone_terms(milestones),
            fit_out_cost=fit_out_cost,
            trainees_per_year=tuple(trainees_per_year or ()),
        )
        problems = rules.agreement_problems(terms)
        if problems:
            raise Invalid(_("The task agreement cannot be saved."), problems)
        fit_out = rules.as_amount(fit_out_cost)
        heads = list(terms.trainees_per_year)
        subsidies = agreement_subsidies(
            fit_out_cost=fit_out, trainees_per_year=heads, claims=claims
        )
        values = {
            "targets": targets.strip(),
            "term_years": term_years,
            "starts_on": starts_on,
            "budget_total": rules.as_amount(budget_total),
            "funding": {code: str(rules.as_amount(v)) for code, v in sorted(funding.items())},
            "fit_out_cost": fit_out,
            "trainees_per_year": heads,
            "subsidies": subsidies,
        }
        agreement = existing or Agreement(application=application)
        for name, value in values.items():
            setattr(agreement, name, value)
        agreement.drafted_by = by
        agreement.save()
        agreement.milestones.all().delete()
        Milestone.objects.bulk_create(
            Milestone(agreement=agreement, title=m.title.strip(), due_on=m.due_on)
            for m in terms.milestones
        )
        diff = {
            "application": application.pk,
            **{name: values[name] for name in AGREEMENT_FIELDS},
            "milestones": [[m.title.strip(), m.due_on] for m in terms.milestones],
            "subsidies_total": subsidies["total"],
        }
        if existing is None:
            audit.record(
                action="agreement.draft",
                obj=agreement,
                by=by,
                role=role,
                to_state=agreement.state,
                diff=diff,
            )
        else:
            record_edit(agreement, "agreement.edit", by=by, role=role, diff=diff)
        engine.sync(application, by=by)
    return agreement


def agreement_send(*, agreement: Agreement, by: Any) -> Agreement:
    """The office sends the drafted agreement to the organisation for confirmation."""
    with transaction.atomic():
        agreement = lock(agreement)
        application = agreement.application
        role = access.require_office(by, application.call)
        if application.state != ApplicationState.APPROVED:
            raise Conflict(
                _("Only an approved application gets a task agreement; this one is “%(state)s”.")
                % {"state": application.get_state_display()}
            )
        if not agreement.milestones.exists():
            raise Invalid(_("Add at least one milestone."))
        apply_transition(
            agreement,
            "send",
            by=by,
            role=role,
            diff={
                "application": application.pk,
                "subsidies_total": agreement.subsidies.get("total"),
            },
        )
        notify(
            Kind.AGREEMENT_SENT, recipients.applicants_of(application.organisation_id), application
        )
        engine.sync(application, by=by)
    return agreement


def agreement_withdraw(*, agreement: Agreement, by: Any) -> Agreement:
    """撤回: the office takes the sent agreement back to its draft while the organisation has
    neither confirmed nor returned it; afterwards the FSM refuses."""
    with transaction.atomic():
        agreement = lock(agreement)
        application = agreement.application
        role = access.require_office(by, application.call)
        if agreement.state != AgreementState.SENT:
            raise Conflict(
                _("The organisation has already answered the agreement; it cannot be withdrawn.")
            )
        apply_transition(
            agreement, "withdraw", by=by, role=role, diff={"application": application.pk}
        )
        engine.sync(application, by=by)
    return agreement


def agreement_return(*, agreement: Agreement, by: Any, reason: str) -> Agreement:
    """The organisation does not accept the agreement as sent: back to the office, in writing."""
    reason = clean_reason(reason, required=True)
    with transaction.atomic():
        agreement = lock(agreement)
        application = agreement.application
        role = access.require_applicant(by, application)
        agreement.return_reason = reason
        apply_transition(
            agreement,
            "return_to_office",
            by=by,
            role=role,
            reason=reason,
            diff={"application": application.pk},
            update_fields=("return_reason",),
        )
        notify(
            Kind.OFFICE_AGREEMENT_RETURNED,
            recipients.office_staff_of(application.call.office_id),
            application,
            reason=reason,
        )
        engine.sync(application, by=by)
    return agreement


def agreement_confirm(*, agreement: Agreement, by: Any) -> Agreement:
    """The organisation confirms the agreement: construction starts and every report of the
    term is scheduled."""
    with transaction.atomic():
        agreement = lock(agreement)
        application = lock(agreement.application)
        role = access.require_applicant(by, application)
        now = timezone.now()
        agreement.confirmed_by = by
        agreement.confirmed_at = now
        schedule = report_schedule_of(agreement)
        apply_transition(
            agreement,
            "confirm",
            by=by,
            role=role,
            diff={"application": application.pk, "reports": len(schedule)},
            update_fields=("confirmed_by", "confirmed_at"),
        )
        apply_transition(
            application,
            "start_construction",
            by=by,
            role=role,
            diff={"agreement": agreement.pk},
        )
        ProgressReport.objects.bulk_create(
            ProgressReport(agreement=agreement, kind=r.kind, period=r.period, due_at=due_at(r.due))
            for r in schedule
        )
        engine.sync(application, by=by)
    return agreement


def report_schedule_of(agreement: Agreement) -> list[rules.ScheduledReport]:
    """The agreement's reports, on the holiday calendar as the office has entered it."""
    # The last report is due at most 15 working days after the term's last year ends.
    last = dt.date(rules.term_end(agreement.starts_on, agreement.term_years).year + 1, 3, 31)
    holidays, workdays = calendar_exceptions(agreement.starts_on, last)
    return rules.report_schedule(agreement.starts_on, agreement.term_years, holidays, workdays)


def due_at(day: dt.date) -> dt.datetime:
    """The end of a due day, Beijing time."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=timezone.get_current_timezone())


def report_submit(*, report: ProgressReport, by: Any, content: str) -> ProgressReport:
    """The organisation files one periodic report (also after its due date)."""
    text = (content or "").strip()
    if not text:
        raise Invalid(_("Write the report."))
    if len(text) > rules.MAX_REPORT_LENGTH:
        raise Invalid(
            _("The report is too long (at most %(n)d characters).") % {"n": rules.MAX_REPORT_LENGTH}
        )
    with transaction.atomic():
        report = lock(report)
        application = report.agreement.application
        role = access.require_applicant(by, application)
        if report.state == ReportState.DUE and application.state not in rules.REPORTING_STATES:
            raise Conflict(
                _("“%(application)s” is “%(state)s”: it files no more progress reports.")
                % {"application": application.title, "state": application.get_state_display()}
            )
        report.content = text
        report.submitted_by = by
        report.submitted_at = timezone.now()
        apply_transition(
            report,
            "submit",
            by=by,
            role=role,
            diff={
                "application": application.pk,
                "kind": report.kind,
                "period": report.period,
                "late": report.submitted_at > report.due_at,
                "length": len(text),
            },
            update_fields=("content", "submitted_by", "submitted_at"),
        )
        engine.sync(application, by=by)
    return report


def milestone_done(*, milestone: Milestone, by: Any, done_on: dt.date) -> Milestone:
    """The organisation records that a milestone of its confirmed agreement was reached."""
    if not isinstance(done_on, dt.date) or isinstance(done_on, dt.datetime):
        raise Invalid(_("Give the date on which the milestone was reached."))
    with transaction.atomic():
        milestone = lock(milestone)
        agreement = milestone.agreement
        application = agreement.application
        role = access.require_applicant(by, application)
        if agreement.state != AgreementState.CONFIRMED:
            raise Conflict(_("Milestones are recorded only once the agreement is confirmed."))
        if milestone.done_on is not None:
            raise Conflict(
                _("“%(title)s” was already recorded as reached on %(date)s.")
                % {"title": milestone.title, "date": milestone.done_on}
            )
        if done_on > timezone.localdate():
            raise Invalid(_("A milestone cannot be reached in the future."))
        if done_on < agreement.starts_on:
            raise Invalid(
                _("The date is before the agreement's term starts (%(start)s).")
                % {"start": agreement.starts_on}
            )
        milestone.done_on = done_on
        milestone.save(update_fields=["done_on"])
        audit.record(
            action="milestone.done",
            obj=milestone,
            by=by,
            role=role,
            diff={
                "agreement": agreement.pk,
                "title": milestone.title,
                "due_on": milestone.due_on,
                "done_on": done_on,
                "late": done_on > milestone.due_on,
            },
        )
        engine.sync(application, by=by)
    return milestone
