"""会签 (flow 3): the member departments of the joint meeting countersign a call's proposal.

Decisions recorded here:
- countersign_open sends one round to every member department of the call's office at once;
  only one round of a call may be open at a time, and a new round may follow a returned one.
- Only an approver of the department itself signs its countersign; an opinion is written both to
  agree and to disagree.
- The round's mode is copied from the call when it opens (countersign_set_mode changes the
  call's, only while no round is open). Under 会签 (ALL) the first disagreement returns the round
  to the office at once and the last agreement closes it agreed; under 或签 (ANY) the first
  agreement closes it agreed and it returns only when every department disagreed
  (workflow.rules.countersign). Departments still pending when the round closes stay pending,
  but the round takes no more signatures.
- call_decide (the director's approval) waits for the latest round to be agreed.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import recipients
from notifications.kinds import Kind
from notifications.messenger import notify
from workflow import access, audit
from workflow.choices import CallState, CountersignMode, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import Call, Department, Membership
from workflow.models.countersign import (
    Countersign,
    CountersignRound,
    CountersignRoundState,
)
from workflow.rules import countersign as rules
from workflow.rules.publicity import require_notice_over
from workflow.services.base import apply_transition, clean_reason, flows_follow, lock, record_edit


def latest_round(call: Call) -> CountersignRound | None:
    return CountersignRound.objects.filter(call=call).order_by("-number").first()


def countersign_complete(call: Call) -> bool:
    """The latest countersign round of the call has been agreed by every department."""
    latest = latest_round(call)
    return latest is not None and latest.state == CountersignRoundState.AGREED


def countersign_open(*, call: Call, by: Any) -> CountersignRound:
    """Put the call's proposal to every member department of its office, in parallel."""
    with transaction.atomic():
        call = lock(call)
        role = access.require_office(by, call)
        if call.state != CallState.PUBLICITY:
            raise Conflict(_("Countersigning starts only after the public notice has begun."))
        require_notice_over(call)
        previous = latest_round(call)
        if previous is not None and previous.state == CountersignRoundState.OPEN:
            raise Conflict(_("A countersign round of this call is already open."))
        departments = list(Department.objects.filter(office_id=call.office_id).order_by("id"))
        if not departments:
            raise Invalid(_("The office has no member departments to countersign."))
        countersign_round = CountersignRound.objects.create(
            call=call,
            number=(previous.number + 1) if previous else 1,
            mode=call.countersign_mode,
            opened_by=by,
            opened_at=timezone.now(),
        )
        Countersign.objects.bulk_create(
            Countersign(round=countersign_round, department=d) for d in departments
        )
        audit.record(
            action="countersignround.open",
            obj=countersign_round,
            by=by,
            role=role,
            to_state=countersign_round.state,
            diff={
                "call": call.pk,
                "number": countersign_round.number,
                "mode": countersign_round.mode,
                "departments": [d.pk for d in departments],
            },
        )
        for department in departments:
            notify(
                Kind.COUNTERSIGN_REQUESTED,
                recipients.department_approvers_of(department.pk),
                countersign_round,
                subject=call.title,
            )
        flows_follow(countersign_round, by=by)
    return countersign_round


CLOSED_CALL_STATES = (CallState.DECIDED, CallState.ARCHIVED, CallState.CANCELLED)


def countersign_mode_changeable(call: Call, latest: CountersignRound | None) -> bool:
    """The office may choose 会签 or 或签 while no round is open and the call is undecided."""
    return call.state not in CLOSED_CALL_STATES and (
        latest is None or latest.state != CountersignRoundState.OPEN
    )


def countersign_set_mode(*, call: Call, by: Any, mode: str) -> Call:
    """The office chooses 会签 (ALL) or 或签 (ANY) for the call's next rounds; audited as a call
    edit. Refused while a round is open: an open round keeps the mode it was opened with."""
    with transaction.atomic():
        call = lock(call)
        role = access.require_office(by, call)
        if mode not in CountersignMode.values:
            raise Invalid(_("Choose joint or alternative countersigning."))
        if not countersign_mode_changeable(call, latest_round(call)):
            if call.state in CLOSED_CALL_STATES:
                raise Conflict(_("The call is decided; its countersigning is over."))
            raise Conflict(
                _("A countersign round is open; the mode can be changed only between rounds.")
            )
        if mode != call.countersign_mode:
            diff = {"countersign_mode": {"old": call.countersign_mode, "new": mode}}
            call.countersign_mode = mode
            call.save(update_fields=["countersign_mode"])
            record_edit(call, "call.countersign_mode", by=by, role=role, diff=diff)
    return call


def _require_department_approver(user: Any, department_id: int) -> Role:
    if (
        user.is_authenticated
        and user.is_active
        and Membership.objects.filter(
            user=user, role=Role.DEPARTMENT_APPROVER, department_id=department_id
        ).exists()
    ) or access.acts_as_delegate(user, Role.DEPARTMENT_APPROVER, department_id=department_id):
        return Role.DEPARTMENT_APPROVER
    raise NotPermitted(_("Only an approver of this department may countersign for it."))


def countersign_sign(
    *, countersign: Countersign, by: Any, agree: bool, opinion: str
) -> Countersign:
    """One department agrees or disagrees, in writing."""
    with transaction.atomic():
        countersign = lock(countersign)
        role = _require_department_approver(by, countersign.department_id)
        opinion = clean_reason(opinion, required=False)
        if not opinion:
            raise Invalid(_("Write the department's countersign opinion."))
        countersign_round = lock(countersign.round)
        if countersign_round.state != CountersignRoundState.OPEN:
            raise Conflict(
                _("This countersign round is closed (%(state)s); it takes no more opinions.")
                % {"state": countersign_round.get_state_display()}
            )
        now = timezone.now()
        countersign.opinion = opinion
        countersign.signed_by = by
        countersign.signed_at = now
        apply_transition(
            countersign,
            "agree" if agree else "disagree",
            by=by,
            role=role,
            reason=opinion,
            diff={"round": countersign_round.pk, "department": countersign.department_id},
            update_fields=("opinion", "signed_by", "signed_at"),
        )
        outcome = rules.round_outcome(
            countersign_round.mode,
            countersign_round.countersigns.values_list("state", flat=True),
        )
        step = rules.ROUND_TRANSITIONS.get(outcome, "")
        if step:
            countersign_round.closed_at = now
            apply_transition(
                countersign_round,
                step,
                by=by,
                role=role,
                diff={"call": countersign_round.call_id, "department": countersign.department_id},
                update_fields=("closed_at",),
            )
        else:
            flows_follow(countersign_round, by=by)
    return countersign
