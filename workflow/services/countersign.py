"""会签 (flow 3): the member departments of the joint meeting countersign a call's proposal.

Decisions recorded here:
- countersign_open sends one round to every member department of the call's office at once;
  only one round of a call may be open at a time, and a new round may follow a returned one.
- Only an approver of the department itself signs its countersign; an opinion is written both to
  agree and to disagree.
- The first disagreement returns the round to the office at once: the departments still pending
  stay pending, but the round is closed and takes no more signatures.
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
from workflow.choices import CallState, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import Call, Department, Membership
from workflow.models.countersign import (
    Countersign,
    CountersignRound,
    CountersignRoundState,
    CountersignState,
)
from workflow.services.base import apply_transition, clean_reason, flows_follow, lock


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
        previous = latest_round(call)
        if previous is not None and previous.state == CountersignRoundState.OPEN:
            raise Conflict(_("A countersign round of this call is already open."))
        departments = list(Department.objects.filter(office_id=call.office_id).order_by("id"))
        if not departments:
            raise Invalid(_("The office has no member departments to countersign."))
        countersign_round = CountersignRound.objects.create(
            call=call,
            number=(previous.number + 1) if previous else 1,
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


def _require_department_approver(user: Any, department_id: int) -> Role:
    if (
        user.is_authenticated
        and user.is_active
        and Membership.objects.filter(
            user=user, role=Role.DEPARTMENT_APPROVER, department_id=department_id
        ).exists()
    ):
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
        step = ""
        if not agree:
            step = "return_to_office"
        elif not countersign_round.countersigns.exclude(state=CountersignState.AGREED).exists():
            step = "agree"
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
