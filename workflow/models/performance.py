"""绩效评价 (flow 7): the yearly evaluation of an awarded base, published.

The base reports its indicator values; the office (or a third party it names) grades them; the
grade is published. A failing grade opens a rectification with a deadline; failing again in the
following year lets the office revoke the plaque.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from workflow.choices import PerformanceGrade
from workflow.models.award import Award


class PerformanceReviewState(models.TextChoices):
    SELF_REPORT = "self_report", _("Awaiting the self-report")
    SUBMITTED = "submitted", _("Self-report submitted, awaiting evaluation")
    EVALUATED = "evaluated", _("Evaluated, awaiting publication")
    PUBLISHED = "published", _("Published")


class PerformanceReview(ConcurrentTransitionMixin, models.Model):
    award = models.ForeignKey(
        Award,
        verbose_name=_("award"),
        on_delete=models.PROTECT,
        related_name="performance_reviews",
    )
    year = models.PositiveSmallIntegerField(_("year evaluated"))
    state = FSMField(
        _("state"),
        default=PerformanceReviewState.SELF_REPORT,
        choices=PerformanceReviewState.choices,
        protected=True,
    )
    due_at = models.DateTimeField(_("self-report due"))
    indicator_values = models.JSONField(_("indicator values"), default=dict, blank=True)
    self_assessment = models.TextField(_("self-assessment"), blank=True)
    evaluator = models.CharField(_("evaluated by"), max_length=200, blank=True)
    grade = models.CharField(
        _("grade"), max_length=16, choices=PerformanceGrade.choices, blank=True
    )
    findings = models.TextField(_("findings"), blank=True)
    rectification_due = models.DateField(_("rectification due"), null=True, blank=True)
    rectified_at = models.DateTimeField(_("rectification verified at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("performance review")
        verbose_name_plural = _("performance reviews")
        ordering = ["award", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["award", "year"], name="performance_one_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.award} · {self.year}"

    @property
    def failed(self) -> bool:
        return self.grade == PerformanceGrade.FAIL

    @transition(
        field=state,
        source=PerformanceReviewState.SELF_REPORT,
        target=PerformanceReviewState.SUBMITTED,
    )
    def submit(self) -> None:
        pass

    @transition(
        field=state,
        source=PerformanceReviewState.SUBMITTED,
        target=PerformanceReviewState.EVALUATED,
    )
    def evaluate(self) -> None:
        pass

    @transition(
        field=state,
        source=PerformanceReviewState.EVALUATED,
        target=PerformanceReviewState.PUBLISHED,
    )
    def publish(self) -> None:
        pass
