"""专家评分与排名: score sheets, verified values, the ranking and the shortlist.

- An expert marks the judged indicators of a sheet assigned to them (django-guardian object
  permission ``workflow.score_assignment``, and the sheet must be theirs: a superuser passes
  every permission check but is nobody's expert). Drafts may change freely; submitting checks
  completeness and that every unusually high or low mark has a comment (评分畸高、畸低), then
  locks the sheet.
- A submitted sheet changes only if the office reopens it with a reason (财政部令第87号
  第六十四条: results may be corrected where scores are abnormally high or low); the reopening
  and every new value are audited.
- Quantitative values (定量指标) are declared by the applicant and verified by the office; only
  verified values are scored.
- Veto items (一票否决): the semantics chosen are those of Chinese practice, where 一票否决 rests
  on a fact (a major safety accident, a serious breach of law or a listing as a seriously
  dishonest party, falsified material), not on an opinion. The office establishes the fact from
  the records, as it does a quantitative value: verified value 1 = established, with the
  evidence in the note (required), 0 = not established. One established veto item disqualifies
  the application whatever its score. An expert who suspects one says so in a comment; a
  single expert cannot disqualify an application on their own, since the panel decides
  collectively.
- Messages (docs/notifications.md): a reopened sheet tells its expert, with the reason; the
  submission that completes the panel tells the office's staff. Every change of a call's
  progress (submit, reopen, explain) tells its live review dashboards after commit.
- The ranking and the shortlist are in workflow.services.ranking.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import recipients
from notifications.kinds import Kind
from notifications.messenger import notify, review_changed
from workflow import access, audit
from workflow.choices import (
    ApplicationState,
    AssignmentState,
    CallState,
    IndicatorKind,
    InvitationState,
    Role,
)
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import (
    Application,
    Assignment,
    Call,
    Indicator,
    Invitation,
    Score,
    VerifiedValue,
)
from workflow.rules import scoring as rules
from workflow.rules.rubric import as_decimal
from workflow.rules.scoring import Mark
from workflow.selectors.scoring import (
    SCORE_PERMISSION,
    VERIFIABLE_STATES,
    RubricTree,
    call_rubric_tree,
)
from workflow.services.base import MAX_REASON_LENGTH, apply_transition, clean_reason, lock
from workflow.services.base import record_edit as _record_edit

OPEN_STATES = (AssignmentState.OPEN, AssignmentState.REOPENED)
MAX_VALUE = Decimal("1e10")  # VerifiedValue: 14 digits, 4 of them decimals
VALUE_QUANTUM = Decimal("0.0001")


# Guards ------------------------------------------------------------------------------------------


def _require_scorer(by: Any, assignment: Assignment) -> Role:
    if (
        by is not None
        and by.is_authenticated
        and by.is_active
        and assignment.expert.user_id == by.pk
        and by.has_perm(SCORE_PERMISSION, assignment)
    ):
        return Role.EXPERT
    raise NotPermitted(_("This score sheet is not assigned to you."))


def _require_in_review(application: Application) -> None:
    if (
        application.state != ApplicationState.UNDER_REVIEW
        or application.call.state != CallState.UNDER_REVIEW
    ):
        raise Conflict(_("The expert review of this application is over."))


def _tree(call: Call) -> RubricTree:
    tree = call_rubric_tree(call)
    if tree is None:
        raise Invalid(_("This call has no rubric yet."))
    return tree


# Score sheets ------------------------------------------------------------------------------------


def _write_marks(
    assignment: Assignment, tree: RubricTree, marks: Mapping[str, Mark]
) -> dict[str, Any]:
    """Apply the marks given (code -> Mark; an empty mark clears one); return the audit diff."""
    judged = {i.code: i for i in tree.judged}
    problems: list[str] = []
    for code, mark in marks.items():
        indicator = judged.get(code)
        if indicator is None:
            known = tree.by_code.get(code)
            problems.append(
                _("Indicator “%(code)s” is not marked by experts.") % {"code": code}
                if known
                else _("There is no indicator “%(code)s” in this rubric.") % {"code": code}
            )
            continue
        problems += rules.mark_problems(
            rules.JudgedItem(code, indicator.name, indicator.weight), mark
        )
        if len(mark.comment) > MAX_REASON_LENGTH:
            problems.append(
                _("Indicator “%(code)s”: the comment is too long (at most %(n)d characters).")
                % {"code": code, "n": MAX_REASON_LENGTH}
            )
    if problems:
        raise Invalid(_("Some marks cannot be saved."), problems)

    existing = {s.indicator_id: s for s in Score.objects.filter(assignment=assignment)}
    now = timezone.now()
    created, changed, removed, diff = [], [], [], {}
    for code, mark in marks.items():
        indicator = judged[code]
        score = existing.get(indicator.pk)
        comment = mark.comment.strip()
        old = [str(score.value), score.comment] if score else None
        if mark.value is None:
            if score is not None:
                removed.append(score.pk)
                diff[code] = {"old": old, "new": None}
            continue
        new = [str(rules.round_points(mark.value)), comment]
        if score is None:
            created.append(
                Score(assignment=assignment, indicator=indicator, value=mark.value, comment=comment)
            )
        elif old != new:
            score.value, score.comment, score.updated_at = mark.value, comment, now
            changed.append(score)
        else:
            continue
        diff[code] = {"old": old, "new": new}
    Score.objects.filter(pk__in=removed).delete()
    Score.objects.bulk_create(created)
    Score.objects.bulk_update(changed, ["value", "comment", "updated_at"])
    return diff


def _sheet(assignment: Assignment, tree: RubricTree) -> dict[str, list[str]]:
    """code -> [value, comment] of the sheet as stored, in the rubric's order."""
    scores = {s.indicator_id: s for s in Score.objects.filter(assignment=assignment)}
    return {
        i.code: [str(scores[i.pk].value), scores[i.pk].comment]
        for i in tree.judged
        if i.pk in scores
    }


def _sheet_total(sheet: Mapping[str, list[str]]) -> Decimal:
    return rules.sheet_total(Decimal(v) for v, _c in sheet.values())


def _save(assignment: Assignment, by: Any, marks: Mapping[str, Mark]) -> tuple[Role, RubricTree]:
    """Lock, check, write the marks and audit the change; the caller holds the transaction."""
    role = _require_scorer(by, assignment)
    if assignment.state not in OPEN_STATES:
        raise Conflict(
            _("This score sheet is submitted and locked; the office can reopen it if needed.")
        )
    _require_in_review(assignment.application)
    tree = _tree(assignment.application.call)
    diff = _write_marks(assignment, tree, marks)
    if diff:
        _record_edit(
            assignment,
            "score_sheet.save",
            by=by,
            role=role,
            diff={"scores": diff, "total": str(_sheet_total(_sheet(assignment, tree)))},
        )
    return role, tree


def score_sheet_save_draft(
    *, assignment: Assignment, by: Any, marks: Mapping[str, Mark]
) -> Assignment:
    """Save marks without submitting; half-done sheets are fine."""
    with transaction.atomic():
        assignment = lock(assignment)
        _save(assignment, by, marks)
    return assignment


def score_sheet_submit(
    *, assignment: Assignment, by: Any, marks: Mapping[str, Mark] | None = None
) -> Assignment:
    """Save the marks given, check the whole sheet, and lock it. Nothing is saved if a check
    fails."""
    with transaction.atomic():
        assignment = lock(assignment)
        role, tree = _save(assignment, by, marks or {})
        rubric = tree.rubric
        sheet = _sheet(assignment, tree)
        problems = rules.sheet_problems(
            tree.judged_items(),
            {code: Mark(Decimal(v), c) for code, (v, c) in sheet.items()},
            low_ratio=rubric.abnormal_low_ratio,
            high_ratio=rubric.abnormal_high_ratio,
        )
        if problems:
            raise Invalid(_("The score sheet cannot be submitted yet."), problems)
        total = _sheet_total(sheet)
        assignment.submitted_at, assignment.total = timezone.now(), total
        signed = {
            "assignment": assignment.pk,
            "application": assignment.application_id,
            "expert": assignment.expert_id,
            "scores": sheet,
            "total": str(total),
        }
        apply_transition(
            assignment,
            "submit",
            by=by,
            role=role,
            diff={**signed, "digest": audit.digest(signed)},
            update_fields=("submitted_at", "total"),
        )
        call = assignment.application.call
        if _panel_finished(assignment, call):
            notify(
                Kind.OFFICE_PANEL_SCORED,
                recipients.office_staff_of(call.office_id),
                assignment.invitation.draw,
            )
        review_changed(call.pk)
    return assignment


def _panel_finished(assignment: Assignment, call: Call) -> bool:
    """Whether every live sheet of the call is now submitted and no invited expert still owes
    an answer (an acceptance would open more sheets).

    Asked after the audit record, that is with the audit chain's head lock held: of experts
    submitting their last sheets at the same moment, each asks only once the one before has
    committed, so the last to commit sees every other sheet submitted and exactly one message
    goes out, also on PostgreSQL under READ COMMITTED.
    """
    live = Assignment.objects.filter(application__call=call).exclude(state=AssignmentState.VOID)
    if live.exclude(state=AssignmentState.SUBMITTED).exists():
        return False
    return not Invitation.objects.filter(
        draw_id=assignment.invitation.draw_id, state=InvitationState.INVITED
    ).exists()


def score_sheet_reopen(*, assignment: Assignment, by: Any, reason: str) -> Assignment:
    """The office reopens a submitted sheet, with a reason shown to the expert. A written
    dispersion explanation goes with the old total and is cleared (it stays in the audit)."""
    reason = clean_reason(reason, required=True)
    with transaction.atomic():
        assignment = lock(assignment)
        role = access.require_office(by, assignment.application.call)
        _require_in_review(assignment.application)
        old_explanation = assignment.explanation
        assignment.reopen_reason, assignment.explanation = reason, ""
        assignment.total = None
        apply_transition(
            assignment,
            "reopen",
            by=by,
            role=role,
            reason=reason,
            diff={"explanation_cleared": old_explanation} if old_explanation else {},
            update_fields=("reopen_reason", "explanation", "total"),
        )
        notify(
            Kind.EXPERT_SHEET_REOPENED,
            recipients.expert_users(assignment.expert_id),
            assignment,
            reason=reason,
        )
        review_changed(assignment.application.call_id)
    return assignment


def score_sheet_explain(*, assignment: Assignment, by: Any, explanation: str) -> Assignment:
    """The expert's written explanation of a total far from the panel's mean
    (《招标投标法实施条例》第五十三条: dissent is stated in writing)."""
    explanation = clean_reason(explanation, required=True)
    with transaction.atomic():
        assignment = lock(assignment)
        role = _require_scorer(by, assignment)
        if assignment.state != AssignmentState.SUBMITTED:
            raise Conflict(_("Submit the score sheet first; the explanation is about its total."))
        _require_in_review(assignment.application)
        old = assignment.explanation
        if old == explanation:
            return assignment
        assignment.explanation = explanation
        assignment.save(update_fields=["explanation"])
        _record_edit(
            assignment,
            "score_sheet.explain",
            by=by,
            role=role,
            diff={"explanation": {"old": old, "new": explanation}},
        )
        review_changed(assignment.application.call_id)  # may clear a dispersion flag
    return assignment


# Verified values ---------------------------------------------------------------------------------


def declared_value(application: Application, indicator: Indicator) -> Decimal | None:
    """What the applicant declared for the indicator, if it reads as a number."""
    raw = (application.indicator_values or {}).get(indicator.code)
    value = as_decimal(raw)
    if value is None or value < 0 or abs(value) >= MAX_VALUE:
        return None
    return value


def _check_value(indicator: Indicator, verified: Any, note: str, declared: Decimal | None):
    value = as_decimal(verified)
    label = f"“{indicator.code} {indicator.name}”"
    if indicator.kind == IndicatorKind.VETO:
        if value not in (Decimal(0), Decimal(1)):
            raise Invalid(
                _("Veto item %(ind)s: enter 1 if the fact is established, 0 if it is not.")
                % {"ind": label}
            )
        if value == 1 and not note:
            raise Invalid(
                _("Veto item %(ind)s: give the evidence that establishes it.") % {"ind": label}
            )
        return value
    if indicator.kind != IndicatorKind.QUANTITATIVE:
        raise Invalid(_("Indicator %(ind)s is marked by experts, not verified.") % {"ind": label})
    if value is None or value < 0 or value >= MAX_VALUE:
        raise Invalid(_("Indicator %(ind)s: enter a number, 0 or more.") % {"ind": label})
    if value != value.quantize(VALUE_QUANTUM):
        raise Invalid(_("Indicator %(ind)s: use at most four decimals.") % {"ind": label})
    if declared is not None and value != declared and not note:
        raise Invalid(
            _(
                "Indicator %(ind)s: the verified value differs from the declared %(declared)s; "
                "note why."
            )
            % {"ind": label, "declared": declared}
        )
    return value


def values_verify(
    *, application: Application, by: Any, values: Mapping[str, tuple[Any, str]]
) -> list[VerifiedValue]:
    """Verify several values of one application at once: code -> (value, note). All or
    nothing; one audit event on the application lists every change."""
    with transaction.atomic():
        application = lock(application)
        role = access.require_office(by, application.call)
        if application.state not in VERIFIABLE_STATES:
            raise Conflict(
                _("The application is “%(state)s”; its values can no longer be verified.")
                % {"state": application.get_state_display()}
            )
        tree = _tree(application.call)
        existing = {v.indicator_id: v for v in application.verified_values.all()}
        problems: list[str] = []
        checked: list[tuple[Indicator, Decimal, str, Decimal | None]] = []
        for code, (raw, note) in values.items():
            indicator = tree.by_code.get(code)
            if indicator is None or indicator not in tree.verifiable:
                problems.append(
                    _("There is no quantitative or veto indicator “%(code)s” in this rubric.")
                    % {"code": code}
                )
                continue
            note = (note or "").strip()[:MAX_REASON_LENGTH]
            declared = declared_value(application, indicator)
            try:
                value = _check_value(indicator, raw, note, declared)
            except Invalid as exc:
                problems.append(exc.message)
                continue
            checked.append((indicator, value, note, declared))
        if problems:
            raise Invalid(_("Some values cannot be verified."), problems)
        diff, saved = {}, []
        for indicator, value, note, declared in checked:
            row = existing.get(indicator.pk)
            if row is not None and row.verified == value and row.note == note:
                saved.append(row)
                continue
            diff[indicator.code] = {
                "declared": None if declared is None else str(declared),
                "old": None if row is None else str(row.verified),
                "new": str(value),
                "note": note,
            }
            row, _created = VerifiedValue.objects.update_or_create(
                application=application,
                indicator=indicator,
                defaults={
                    "declared": declared,
                    "verified": value,
                    "note": note,
                    "verified_by": by,
                },
            )
            saved.append(row)
        if diff:
            _record_edit(application, "value.verify", by=by, role=role, diff={"values": diff})
    return saved


def value_verify(
    *, application: Application, indicator: Indicator, by: Any, verified: Any, note: str = ""
) -> VerifiedValue:
    """Verify one quantitative value or veto fact."""
    return values_verify(application=application, by=by, values={indicator.code: (verified, note)})[
        0
    ]
