"""容错纠错 (flow 8): a request for fault tolerance, its assessment and the correction after it.

"三个区分开来": the office weighs whether the shortfall came from exploratory reform rather than
deliberate breach, whether procedures were followed, that nobody sought personal gain, and
whether the unit corrected proactively; it cites audit events as evidence and decides 免责 /
减责 / 不予容错 with reasons. Every decision carries a correction plan; the case closes only when
the correction is verified.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from workflow.choices import ToleranceDecision
from workflow.models.applications import Application
from workflow.models.audit import AuditEvent


class ToleranceCaseState(models.TextChoices):
    REQUESTED = "requested", _("Requested, awaiting assessment")
    CORRECTING = "correcting", _("Decided, correction under way")
    CORRECTED = "corrected", _("Correction reported, awaiting verification")
    CLOSED = "closed", _("Closed: correction verified")


class ToleranceCase(ConcurrentTransitionMixin, models.Model):
    application = models.ForeignKey(
        Application,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="tolerance_cases",
    )
    state = FSMField(
        _("state"),
        default=ToleranceCaseState.REQUESTED,
        choices=ToleranceCaseState.choices,
        protected=True,
    )
    shortfall = models.TextField(_("targets missed"))
    reasons = models.TextField(_("reasons given"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    # The "三个区分开来" criteria as the office found them.
    exploratory = models.BooleanField(_("exploratory reform, not deliberate breach"), null=True)
    procedures_followed = models.BooleanField(_("procedures were followed"), null=True)
    no_personal_gain = models.BooleanField(_("no personal gain"), null=True)
    proactive_correction = models.BooleanField(_("corrected proactively"), null=True)
    evidence = models.ManyToManyField(
        AuditEvent, verbose_name=_("audit events cited"), blank=True, related_name="+"
    )
    decision = models.CharField(
        _("decision"), max_length=16, choices=ToleranceDecision.choices, blank=True
    )
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)
    correction_plan = models.TextField(_("correction plan"), blank=True)
    correction_due = models.DateField(_("correction due"), null=True, blank=True)
    correction_report = models.TextField(_("correction report"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tolerance case")
        verbose_name_plural = _("tolerance cases")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.application} · {self.requested_at:%Y-%m-%d}"

    @transition(
        field=state, source=ToleranceCaseState.REQUESTED, target=ToleranceCaseState.CORRECTING
    )
    def decide(self) -> None:
        pass

    @transition(
        field=state, source=ToleranceCaseState.CORRECTING, target=ToleranceCaseState.CORRECTED
    )
    def report_correction(self) -> None:
        pass

    # A correction found wanting goes back to the unit.
    @transition(
        field=state, source=ToleranceCaseState.CORRECTED, target=ToleranceCaseState.CORRECTING
    )
    def reject_correction(self) -> None:
        pass

    @transition(field=state, source=ToleranceCaseState.CORRECTED, target=ToleranceCaseState.CLOSED)
    def verify(self) -> None:
        pass
