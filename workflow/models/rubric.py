"""评分细则: the weighted indicator tree, and the scores experts give against it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from workflow.choices import Aggregation, IndicatorKind
from workflow.models.applications import Application
from workflow.models.calls import Call
from workflow.models.review import Assignment


class Rubric(models.Model):
    """A three-level indicator tree (一级/二级/三级指标) whose leaf weights total 100.

    A template rubric (call empty) is copied onto a call; the call's copy is what experts score.
    """

    name = models.CharField(_("name"), max_length=200)
    call = models.OneToOneField(
        Call, null=True, blank=True, on_delete=models.PROTECT, related_name="rubric"
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    aggregation = models.CharField(
        _("aggregation"), max_length=16, choices=Aggregation.choices, default=Aggregation.MEAN
    )
    dispersion_margin = models.DecimalField(
        _("dispersion margin (points from the panel mean)"),
        max_digits=5,
        decimal_places=2,
        default=15,
    )
    abnormal_low_ratio = models.DecimalField(
        _("unusually low below (share of an indicator's maximum)"),
        max_digits=3,
        decimal_places=2,
        default="0.60",
    )
    abnormal_high_ratio = models.DecimalField(
        _("unusually high above (share of an indicator's maximum)"),
        max_digits=3,
        decimal_places=2,
        default="0.95",
    )

    class Meta:
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="indicators")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    level = models.PositiveSmallIntegerField(_("level"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    weight = models.DecimalField(_("weight (points)"), max_digits=6, decimal_places=2)
    kind = models.CharField(
        _("kind"), max_length=16, choices=IndicatorKind.choices, default=IndicatorKind.JUDGED
    )
    guidance = models.JSONField(
        _("guidance bands"),
        default=list,
        blank=True,
        help_text=_('A list of {"from": points, "to": points, "text": "..."}.'),
    )
    lower_is_better = models.BooleanField(_("lower is better"), default=False)
    unit = models.CharField(_("unit"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["rubric", "level", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "code"], name="indicator_code_unique"),
            models.CheckConstraint(
                name="indicator_level_1_to_3", condition=models.Q(level__gte=1, level__lte=3)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Score(models.Model):
    """评分: an expert's mark on one expert-judged (or veto) indicator, with a comment."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "indicator"], name="score_once")
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code}={self.value}"


class VerifiedValue(models.Model):
    """A quantitative indicator's value for one application: declared by the applicant
    (Application.indicator_values), verified by the office."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="verified_values"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    declared = models.DecimalField(
        _("declared value"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    verified = models.DecimalField(_("verified value"), max_digits=14, decimal_places=4)
    note = models.TextField(_("note"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("verified value")
        verbose_name_plural = _("verified values")
        constraints = [
            models.UniqueConstraint(fields=["application", "indicator"], name="verified_value_once")
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code}={self.verified}"
