"""Flow 7: 绩效评价, once a year per awarded base: self-report, evaluation (by the office or a
third party it names), publication; a failing grade adds a rectification the office verifies.
Revoking a plaque after repeated failure is the office's decision on the award itself."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from processes.base import Flow, artifact_page
from processes.nodes import Step
from workflow.choices import PerformanceGrade, Role
from workflow.models import PerformanceReview
from workflow.models.award import AwardState
from workflow.models.performance import PerformanceReviewState

S = PerformanceReviewState


def review_of(task: Any) -> PerformanceReview:
    return task.process.artifact


def office_of_review(activation: Any) -> Any:
    return activation.process.artifact.award.application.call.office


def organisation_of_review(activation: Any) -> Any:
    return activation.process.artifact.award.application.organisation


def self_reported(task: Any) -> bool:
    """The self-report is submitted."""
    return review_of(task).state != S.SELF_REPORT


def evaluated(task: Any) -> bool:
    """The review is graded."""
    return review_of(task).state in (S.EVALUATED, S.PUBLISHED)


def published(task: Any) -> bool:
    """The result is published."""
    return review_of(task).state == S.PUBLISHED


def rectification_verified(task: Any) -> bool:
    """The rectification is verified (or the plaque revoked)."""
    review = review_of(task)
    return review.rectified_at is not None or review.award.state == AwardState.REVOKED


_page = artifact_page("portal:performance_detail")


class PerformanceFlow(Flow):
    """Yearly performance evaluation"""

    process_title = _("Yearly performance evaluation")
    artifact_model = PerformanceReview
    artifact_related = ("award__application__organisation", "award__application__call")

    start = flow.StartHandle(this.begin).Next(this.self_report)

    self_report = Step(
        title=_("File the yearly performance self-report"),
        role=Role.APPLICANT,
        unit=organisation_of_review,
        done=self_reported,
        url=_page,
        announce=False,
    ).Next(this.evaluate)

    evaluate = Step(
        title=_("Evaluate the base's performance and grade it"),
        role=Role.OFFICE_STAFF,
        unit=office_of_review,
        done=evaluated,
        url=_page,
        due_working_days=20,
    ).Next(this.publish)

    publish = Step(
        title=_("Publish the performance evaluation"),
        role=Role.OFFICE_STAFF,
        unit=office_of_review,
        done=published,
        url=_page,
        due_working_days=5,
    ).Next(this.failed)

    failed = flow.If(this.is_failed).Then(this.verify_rectification).Else(this.end)

    verify_rectification = Step(
        title=_("Verify the rectification after a failing grade"),
        role=Role.OFFICE_STAFF,
        unit=office_of_review,
        done=rectification_verified,
        url=_page,
    ).Next(this.end)

    end = flow.End()

    def is_failed(self, activation: Any) -> bool:
        """The grade is a fail."""
        return activation.process.artifact.grade == PerformanceGrade.FAIL

    @classmethod
    def responsible_office(cls, artifact: PerformanceReview) -> Any:
        return artifact.award.application.call.office

    @classmethod
    def should_start(cls, artifact: PerformanceReview) -> bool:
        return artifact.state == S.SELF_REPORT
