"""Flow 6: 已建成直接授牌. A base that is already built applies to a direct-award call; the
selection flow evaluates it with a panel, publicity and countersign like any other; once the
director approves it, the office awards the plaque with no agreement or acceptance between."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from processes.base import Flow, artifact_page, office_of_application
from processes.nodes import Step
from workflow.choices import ApplicationState, CallRoute, Role
from workflow.models import Application

A = ApplicationState


def awarded(task: Any) -> bool:
    """The plaque is awarded."""
    return task.process.artifact.state in (A.AWARDED, A.REVOKED)


class DirectAwardFlow(Flow):
    """Direct award of a built base"""

    process_title = _("Direct award of a built base")
    artifact_model = Application
    artifact_related = ("organisation", "call")

    start = flow.StartHandle(this.begin).Next(this.award)

    award = Step(
        title=_("Award the plaque to the approved base"),
        role=Role.OFFICE_STAFF,
        unit=office_of_application,
        done=awarded,
        url=artifact_page("portal:office_acceptance"),
        due_working_days=10,
    ).Next(this.end)

    end = flow.End()

    @classmethod
    def should_start(cls, artifact: Application) -> bool:
        return artifact.state == A.APPROVED and artifact.call.route == CallRoute.DIRECT_AWARD
