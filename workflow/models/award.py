"""评审认定 → 授牌 (flow 5): the acceptance review of a completed project and the plaque.

An acceptance is decided by a drawn panel scoring with the acceptance rubric; pass leads to the
award, fail to a rectification period and a second acceptance, or termination. Plaque numbers
come from a scheme per level, counted per year under a row lock so no two plaques share one.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from workflow.choices import Level
from workflow.models.applications import Application


class AcceptanceState(models.TextChoices):
    REQUESTED = "requested", _("Completion declared, awaiting the panel")
    PANEL = "panel", _("Panel drawn, awaiting its scores")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class Acceptance(ConcurrentTransitionMixin, models.Model):
    """评审认定: one acceptance review of a project (a second one follows a rectification)."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="acceptances",
    )
    number = models.PositiveSmallIntegerField(_("acceptance round"))
    state = FSMField(
        _("state"),
        default=AcceptanceState.REQUESTED,
        choices=AcceptanceState.choices,
        protected=True,
    )
    completion_report = models.TextField(_("completion report"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField(_("declared at"))
    # [{"expert": id, "name": str}] in draw order; the seed is committed in the audit trail.
    panel = models.JSONField(_("panel"), default=list, blank=True)
    seed_sha256 = models.CharField(max_length=64, blank=True)
    # {expert id (str): {indicator code: mark}}; the total is computed by the rules.
    scores = models.JSONField(_("scores"), default=dict, blank=True)
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2, null=True, blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    rectification_due = models.DateField(_("rectification due"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("acceptance review")
        verbose_name_plural = _("acceptance reviews")
        ordering = ["application", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"], name="acceptance_round_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.number}"

    @transition(field=state, source=AcceptanceState.REQUESTED, target=AcceptanceState.PANEL)
    def draw_panel(self) -> None:
        pass

    @transition(field=state, source=AcceptanceState.PANEL, target=AcceptanceState.PASSED)
    def pass_(self) -> None:
        pass

    @transition(field=state, source=AcceptanceState.PANEL, target=AcceptanceState.FAILED)
    def fail(self) -> None:
        pass


class PlaqueScheme(models.Model):
    """How plaque numbers are written for one level, e.g. "晋产教平台〔{year}〕{seq:03d}号"."""

    level = models.CharField(_("level"), max_length=16, choices=Level.choices, unique=True)
    pattern = models.CharField(
        _("number pattern"),
        max_length=100,
        help_text=_("Use {year} for the award year and {seq} (e.g. {seq:03d}) for the count."),
    )
    plaque_title = models.CharField(_("plaque title"), max_length=200)

    class Meta:
        verbose_name = _("plaque numbering scheme")
        verbose_name_plural = _("plaque numbering schemes")

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.pattern}"


class PlaqueCounter(models.Model):
    """The last sequence number given per level and year; locked while numbering."""

    level = models.CharField(max_length=16, choices=Level.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "year"], name="plaque_counter_level_year")
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.year}: {self.last}"


class AwardState(models.TextChoices):
    ACTIVE = "active", _("Awarded")
    REVOKED = "revoked", _("Revoked")


class Award(ConcurrentTransitionMixin, models.Model):
    """授牌: the plaque of an accepted (or directly awarded) base. Reached from the application
    as `application.plaque`: `application.award` is the Application's FSM transition."""

    application = models.OneToOneField(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="plaque",
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    number = models.CharField(_("plaque number"), max_length=100, unique=True)
    plaque_title = models.CharField(_("plaque title"), max_length=200)
    awarded_on = models.DateField(_("awarded on"))
    state = FSMField(
        _("state"), default=AwardState.ACTIVE, choices=AwardState.choices, protected=True
    )
    certificate_sha256 = models.CharField(max_length=64, blank=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["-awarded_on", "number"]

    def __str__(self) -> str:
        return self.number

    @transition(field=state, source=AwardState.ACTIVE, target=AwardState.REVOKED)
    def revoke(self) -> None:
        pass
