"""Flow 5: 评审认定 → 授牌. Started when the organisation declares construction complete: the
office draws an acceptance panel and records its sheets; a pass leads to the award, a failure to
rectification, after which the organisation declares completion again and a new acceptance flow
starts (or the office terminates the project)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from processes.base import Flow, artifact_page, office_of_application, organisation_of_application
from processes.nodes import Step
from workflow.choices import ApplicationState, Role
from workflow.models import Acceptance, Application
from workflow.models.award import AcceptanceState

A = ApplicationState
S = AcceptanceState


def latest_acceptance(task: Any) -> Acceptance | None:
    return (
        Acceptance.objects.filter(application_id=task.process.artifact_object_id)
        .order_by("-number")
        .first()
    )


def panel_drawn(task: Any) -> bool:
    """The latest acceptance has its drawn panel."""
    acceptance = latest_acceptance(task)
    return acceptance is not None and acceptance.state != S.REQUESTED


def acceptance_decided(task: Any) -> bool:
    """The latest acceptance passed or failed."""
    acceptance = latest_acceptance(task)
    return acceptance is not None and acceptance.state in (S.PASSED, S.FAILED)


def awarded(task: Any) -> bool:
    """The plaque is awarded."""
    return task.process.artifact.state in (A.AWARDED, A.REVOKED)


def rectified(task: Any) -> bool:
    """The organisation declared completion again (or the project ended)."""
    return task.process.artifact.state != A.RECTIFYING


def failed_conclusion(task: Any) -> str:
    acceptance = latest_acceptance(task)
    return acceptance.conclusion if acceptance and acceptance.state == S.FAILED else ""


class AcceptanceFlow(Flow):
    """Acceptance and award"""

    process_title = _("Acceptance and award")
    artifact_model = Application
    artifact_related = ("organisation", "call")

    start = flow.StartHandle(this.begin).Next(this.draw_panel)

    draw_panel = Step(
        title=_("Draw the acceptance panel"),
        role=Role.OFFICE_STAFF,
        unit=office_of_application,
        done=panel_drawn,
        url=artifact_page("portal:office_acceptance"),
        due_working_days=10,
    ).Next(this.record_scores)

    record_scores = Step(
        title=_("Record the acceptance panel's score sheets and conclusion"),
        role=Role.OFFICE_STAFF,
        unit=office_of_application,
        done=acceptance_decided,
        url=artifact_page("portal:office_acceptance"),
        due_working_days=15,
    ).Next(this.passed)

    passed = flow.If(this.is_passed).Then(this.award).Else(this.rectify)

    award = Step(
        title=_("Award the plaque"),
        role=Role.OFFICE_STAFF,
        unit=office_of_application,
        done=awarded,
        url=artifact_page("portal:office_acceptance"),
        due_working_days=10,
    ).Next(this.end)

    rectify = Step(
        title=_("Rectify and declare completion again"),
        role=Role.APPLICANT,
        unit=organisation_of_application,
        done=rectified,
        url=artifact_page("portal:acceptance_declare"),
        reason=failed_conclusion,
    ).Next(this.end)

    end = flow.End()

    def is_passed(self, activation: Any) -> bool:
        """The latest acceptance passed."""
        acceptance = latest_acceptance(activation.task)
        return acceptance is not None and acceptance.state == S.PASSED

    @classmethod
    def should_start(cls, artifact: Application) -> bool:
        return artifact.state == A.ACCEPTANCE

    @classmethod
    def should_cancel(cls, artifact: Application) -> bool:
        return artifact.state == A.TERMINATED
