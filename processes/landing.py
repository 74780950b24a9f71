"""Flow 4: 揭榜落地. The office drafts the task agreement, the organisation confirms it (or
returns it with a reason, and the office redrafts), then builds and reports until it declares
construction complete. The periodic reports are rows with due dates, not tasks: their reminders
and the escalation of overdue ones run on the scheduler (notifications.reminders)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from processes.base import Flow, artifact_page, office_of_application, organisation_of_application
from processes.nodes import Step
from workflow.choices import ApplicationState, CallRoute, Role
from workflow.models import Agreement, Application
from workflow.models.landing import AgreementState
from workflow.services.landing import agreement_withdraw

A = ApplicationState


def agreement_of(task: Any) -> Agreement | None:
    return Agreement.objects.filter(application_id=task.process.artifact_object_id).first()


def agreement_sent(task: Any) -> bool:
    """The agreement has been sent to the organisation."""
    agreement = agreement_of(task)
    return agreement is not None and agreement.state != AgreementState.DRAFT


def agreement_answered(task: Any) -> bool:
    """The organisation confirmed the agreement or returned it."""
    agreement = agreement_of(task)
    return agreement is not None and agreement.state != AgreementState.SENT


def return_reason(task: Any) -> str:
    agreement = agreement_of(task)
    if agreement is None or agreement.state != AgreementState.DRAFT:
        return ""
    return agreement.return_reason


def construction_over(task: Any) -> bool:
    """Construction declared complete (or the project ended)."""
    return task.process.artifact.state not in (A.APPROVED, A.CONSTRUCTING)


class LandingFlow(Flow):
    """Landing of an approved application"""

    process_title = _("Landing of an approved application")
    artifact_model = Application
    artifact_related = ("organisation", "call")

    start = flow.StartHandle(this.begin).Next(this.draft_agreement)

    draft_agreement = Step(
        title=_("Draft the task agreement and send it to the organisation"),
        role=Role.OFFICE_STAFF,
        unit=office_of_application,
        done=agreement_sent,
        url=artifact_page("portal:agreement_edit"),
        due_working_days=10,
        reason=return_reason,
        undo=lambda application, by: agreement_withdraw(agreement=application.agreement, by=by),
    ).Next(this.confirm_agreement)

    confirm_agreement = Step(
        title=_("Confirm the task agreement, or return it with a reason"),
        role=Role.APPLICANT,
        unit=organisation_of_application,
        done=agreement_answered,
        url=artifact_page("portal:agreement_detail"),
        due_working_days=5,
        announce=False,
    ).Next(this.confirmed)

    confirmed = flow.If(this.is_confirmed).Then(this.construct).Else(this.draft_agreement)

    construct = Step(
        title=_("Build the base, file the progress reports and declare completion"),
        role=Role.APPLICANT,
        unit=organisation_of_application,
        done=construction_over,
        url=artifact_page("portal:report_list"),
    ).Next(this.end)

    end = flow.End()

    def is_confirmed(self, activation: Any) -> bool:
        """The agreement is confirmed."""
        agreement = agreement_of(activation.task)
        return agreement is not None and agreement.state == AgreementState.CONFIRMED

    @classmethod
    def should_start(cls, artifact: Application) -> bool:
        return artifact.state == A.APPROVED and artifact.call.route == CallRoute.SELECTION

    @classmethod
    def should_cancel(cls, artifact: Application) -> bool:
        return artifact.state == A.TERMINATED
