"""Flow 1 (with 2 and 3): the selection of one call, from publication to the director's decision.

公开发榜 → 自愿申报 → 形式审查 → 专家评议 → 排序确认 → 公示/异议 → 会签 → 主任审批.
The countersign goes to every member department in parallel (Split/Join); one disagreement
returns the proposal to the office, which revises it and opens a new round.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from processes.base import Flow, artifact_page, department_of_task, office_of_call
from processes.nodes import FanOut, Step
from workflow.choices import ApplicationState, CallState, DrawState, Role
from workflow.models import Call
from workflow.models.countersign import CountersignRoundState, CountersignState
from workflow.models.publicity import ObjectionState

C = CallState
A = ApplicationState
AFTER_REVIEW = (C.PUBLICITY, C.DECIDED, C.ARCHIVED)


def call_of(task: Any) -> Call:
    return task.process.artifact


def _latest_round(call: Call) -> Any:
    return call.countersign_rounds.order_by("-number").first()


def window_closed(task: Any) -> bool:
    """The call is no longer open for applications."""
    return call_of(task).state not in (C.DRAFT, C.PUBLISHED)


def review_started(task: Any) -> bool:
    """The call is under expert review (every formal check done)."""
    return call_of(task).state in (C.UNDER_REVIEW, *AFTER_REVIEW)


def review_finished(task: Any) -> bool:
    """The office closed the review panel (every sheet is in)."""
    call = call_of(task)
    if call.state in AFTER_REVIEW:
        return True
    return call.draws.filter(state=DrawState.CLOSED).exists()


def ranking_confirmed(task: Any) -> bool:
    """The shortlist is confirmed: every reviewed application is shortlisted or not selected."""
    call = call_of(task)
    if call.state in AFTER_REVIEW:
        return True
    states = set(call.applications.values_list("state", flat=True))
    return not states & {A.UNDER_REVIEW, A.REVIEWED} and bool(
        states & {A.SHORTLISTED, A.NOT_SELECTED}
    )


def publicity_open(task: Any) -> bool:
    """The call is in public notice."""
    return call_of(task).state in AFTER_REVIEW


def objections_resolved(task: Any) -> bool:
    """The notice period is over and every objection is answered (答复前应当暂停)."""
    call = call_of(task)
    if call.state in (C.DECIDED, C.ARCHIVED):
        return True
    publicity = getattr(call, "publicity", None)
    if publicity is None or timezone.now() < publicity.ends_at:
        return False
    return not publicity.objections.filter(state=ObjectionState.RECEIVED).exists()


def round_open(task: Any) -> bool:
    """The latest countersign round is open or agreed (not returned)."""
    latest = _latest_round(call_of(task))
    return latest is not None and latest.state != CountersignRoundState.RETURNED


def department_signed(task: Any) -> bool:
    """This department gave its opinion, or the round closed without it (another disagreed)."""
    call = call_of(task)
    countersign_round = call.countersign_rounds.get(number=task.data["round"])
    if countersign_round.state != CountersignRoundState.OPEN:
        return True
    return (
        countersign_round.countersigns.filter(department_id=task.data["department"])
        .exclude(state=CountersignState.PENDING)
        .exists()
    )


def decided(task: Any) -> bool:
    """The call is decided."""
    return call_of(task).state in (C.DECIDED, C.ARCHIVED)


def returned_opinions(task: Any) -> str:
    latest = _latest_round(call_of(task))
    if latest is None or latest.state != CountersignRoundState.RETURNED:
        return ""
    opinions = latest.countersigns.filter(state=CountersignState.DISAGREED).select_related(
        "department"
    )
    return "；".join(
        f"{c.department.short_name or c.department.name}：{c.opinion}" for c in opinions
    )


class SelectionFlow(Flow):
    """Selection of a call"""

    process_title = _("Selection of a call")
    artifact_model = Call

    start = flow.StartHandle(this.begin).Next(this.close_window)

    close_window = Step(
        title=_("Close the application window"),
        role=Role.OFFICE_STAFF,
        unit=office_of_call,
        done=window_closed,
        url=artifact_page("portal:office_call_detail"),
        # The office published the call a moment ago: no message for this first step.
        announce=False,
    ).Next(this.formal_checks)

    formal_checks = Step(
        title=_("Finish the formal checks and start the expert review"),
        role=Role.OFFICE_STAFF,
        unit=office_of_call,
        done=review_started,
        url=lambda task: reverse("portal:office_queue"),
        due_working_days=10,
    ).Next(this.review)

    review = Step(
        title=_("Draw the experts and follow the review to its end"),
        role=Role.OFFICE_STAFF,
        unit=office_of_call,
        done=review_finished,
        url=artifact_page("portal:draw_page"),
    ).Next(this.confirm_ranking)

    confirm_ranking = Step(
        title=_("Confirm the ranking and the shortlist"),
        role=Role.OFFICE_STAFF,
        unit=office_of_call,
        done=ranking_confirmed,
        url=artifact_page("portal:office_ranking"),
        due_working_days=5,
    ).Next(this.open_publicity)

    open_publicity = Step(
        title=_("Publish the proposed winners for public notice"),
        role=Role.OFFICE_STAFF,
        unit=office_of_call,
        done=publicity_open,
        url=artifact_page("portal:office_call_detail"),
        due_working_days=3,
    ).Next(this.answer_objections)

    answer_objections = Step(
        title=_("Answer the objections; the notice period must end"),
        role=Role.OFFICE_STAFF,
        unit=office_of_call,
        done=objections_resolved,
        url=lambda task: reverse("portal:office_objection_list"),
    ).Next(this.open_countersign)

    open_countersign = Step(
        title=_("Put the proposal to the member departments (countersign)"),
        role=Role.OFFICE_STAFF,
        unit=office_of_call,
        done=round_open,
        url=artifact_page("portal:office_countersign"),
        due_working_days=3,
    ).Next(this.split_countersign)

    split_countersign = FanOut().Next(this.countersign, data_source=this.departments_to_sign)

    countersign = Step(
        title=_("Countersign the proposal for your department"),
        role=Role.DEPARTMENT_APPROVER,
        unit=department_of_task,
        done=department_signed,
        url=lambda task: reverse("portal:countersign_inbox"),
        due_working_days=5,
        announce=False,
    ).Next(this.join_countersign)

    join_countersign = flow.Join().Next(this.all_agreed)

    all_agreed = flow.If(this.round_agreed).Then(this.director_approval).Else(this.revise_proposal)

    revise_proposal = Step(
        title=_("Revise the proposal after a department disagreed, and put it again"),
        role=Role.OFFICE_STAFF,
        unit=office_of_call,
        done=round_open,
        url=artifact_page("portal:office_countersign"),
        reason=returned_opinions,
    ).Next(this.split_countersign)

    director_approval = Step(
        title=_("Approve the winners and decide the call"),
        role=Role.OFFICE_DIRECTOR,
        unit=office_of_call,
        done=decided,
        url=artifact_page("portal:director_decision"),
        due_working_days=5,
    ).Next(this.end)

    end = flow.End()

    def departments_to_sign(self, activation: Any) -> list[dict[str, int]]:
        latest = _latest_round(activation.process.artifact)
        return [
            {"department": department_id, "round": latest.number}
            for department_id in latest.countersigns.order_by("department_id").values_list(
                "department_id", flat=True
            )
        ]

    def round_agreed(self, activation: Any) -> bool:
        """The latest round is agreed by every department (或签: by one)."""
        latest = _latest_round(activation.process.artifact)
        return latest.state == CountersignRoundState.AGREED

    @classmethod
    def should_start(cls, artifact: Call) -> bool:
        return artifact.state == C.PUBLISHED

    @classmethod
    def responsible_office(cls, artifact: Call) -> Any:
        return artifact.office

    @classmethod
    def waiting_on_time(cls) -> Any:
        return Call.objects.filter(state=C.PUBLICITY).select_related("publicity")

    @classmethod
    def should_cancel(cls, artifact: Call) -> bool:
        return artifact.state == C.CANCELLED
