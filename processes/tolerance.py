"""Flow 8: 容错纠错. The organisation asks for fault tolerance; the office assesses the
"三个区分开来" criteria with audit events as evidence and decides 免责, 减责 or 不予容错, with a
correction plan; the organisation corrects and reports; the office verifies, or sends the
correction back. The case closes only when the correction is verified."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from processes.base import Flow, artifact_page
from processes.nodes import Step
from workflow.choices import Role
from workflow.models import AuditEvent, ToleranceCase
from workflow.models.tolerance import ToleranceCaseState

S = ToleranceCaseState


def case_of(task: Any) -> ToleranceCase:
    return task.process.artifact


def office_of_case(activation: Any) -> Any:
    return activation.process.artifact.application.call.office


def organisation_of_case(activation: Any) -> Any:
    return activation.process.artifact.application.organisation


def assessed(task: Any) -> bool:
    """The office decided the request, with a correction plan."""
    return case_of(task).state != S.REQUESTED


def correction_reported(task: Any) -> bool:
    """The organisation reported the correction."""
    return case_of(task).state in (S.CORRECTED, S.CLOSED)


def verification_done(task: Any) -> bool:
    """The office verified the correction or sent it back."""
    return case_of(task).state in (S.CLOSED, S.CORRECTING)


def rejection_note(task: Any) -> str:
    """Why the correction came back: the reason of the last rejection, if that is what happened."""
    event = (
        AuditEvent.objects.filter(
            object_type="workflow.tolerancecase",
            object_id=str(task.process.artifact_object_id),
            action="tolerancecase.reject_correction",
        )
        .order_by("-sequence")
        .first()
    )
    return event.reason if event and case_of(task).state == S.CORRECTING else ""


_page = artifact_page("portal:tolerance_detail")


class ToleranceFlow(Flow):
    """Fault-tolerance case"""

    process_title = _("Fault-tolerance case")
    artifact_model = ToleranceCase
    artifact_related = ("application__organisation", "application__call")

    start = flow.StartHandle(this.begin).Next(this.assess)

    assess = Step(
        title=_("Assess the fault-tolerance request and decide"),
        role=Role.OFFICE_STAFF,
        unit=office_of_case,
        done=assessed,
        url=_page,
        due_working_days=15,
        announce=False,
    ).Next(this.correct)

    correct = Step(
        title=_("Carry out the correction plan and report it"),
        role=Role.APPLICANT,
        unit=organisation_of_case,
        done=correction_reported,
        url=_page,
        reason=rejection_note,
    ).Next(this.verify)

    verify = Step(
        title=_("Verify the correction"),
        role=Role.OFFICE_STAFF,
        unit=office_of_case,
        done=verification_done,
        url=_page,
        due_working_days=10,
        announce=False,
    ).Next(this.closed)

    closed = flow.If(this.is_closed).Then(this.end).Else(this.correct)

    end = flow.End()

    def is_closed(self, activation: Any) -> bool:
        """The case is closed."""
        return activation.process.artifact.state == S.CLOSED

    @classmethod
    def should_start(cls, artifact: ToleranceCase) -> bool:
        return artifact.state == S.REQUESTED
