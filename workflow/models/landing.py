"""揭榜落地 (flow 4): the task agreement, its milestones and the progress reports after it.

The office drafts the agreement (揭榜任务书) of an approved application: targets, budget and
funding sources, milestones, a term of 3–5 years and the subsidies computed from the rules. The
organisation confirms it, which starts construction; reports then fall due on a cadence
(月调度、季通报、年总结) and an overdue one is escalated to the office.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from workflow.choices import ReportKind
from workflow.models.applications import Application

MIN_TERM_YEARS = 3
MAX_TERM_YEARS = 5


class AgreementState(models.TextChoices):
    DRAFT = "draft", _("Drafted by the office")
    SENT = "sent", _("Awaiting the organisation's confirmation")
    CONFIRMED = "confirmed", _("Confirmed")


class Agreement(ConcurrentTransitionMixin, models.Model):
    """揭榜任务书: what the winner commits to, and when."""

    application = models.OneToOneField(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="agreement",
    )
    state = FSMField(
        _("state"), default=AgreementState.DRAFT, choices=AgreementState.choices, protected=True
    )
    targets = models.TextField(_("construction targets"))
    term_years = models.PositiveSmallIntegerField(_("term (years)"))
    starts_on = models.DateField(_("term starts"))
    budget_total = models.DecimalField(
        _("total budget (10,000 yuan)"), max_digits=12, decimal_places=2
    )
    # {funding source code: amount in 10,000 yuan}; the sources are FundingSource codes.
    funding = models.JSONField(_("funding sources"), default=dict)
    fit_out_cost = models.DecimalField(
        _("fit-out cost (yuan)"), max_digits=14, decimal_places=2, default=0
    )
    trainees_per_year = models.JSONField(_("trainees per year"), default=list, blank=True)
    # The subsidies computed from the rules when the agreement was last saved, in yuan.
    subsidies = models.JSONField(_("computed subsidies"), default=dict, blank=True)
    return_reason = models.TextField(_("reason for returning"), blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task agreement")
        verbose_name_plural = _("task agreements")
        constraints = [
            models.CheckConstraint(
                name="agreement_term_3_to_5_years",
                condition=Q(term_years__gte=MIN_TERM_YEARS, term_years__lte=MAX_TERM_YEARS),
            )
        ]

    def __str__(self) -> str:
        return str(self.application)

    @transition(field=state, source=AgreementState.DRAFT, target=AgreementState.SENT)
    def send(self) -> None:
        pass

    @transition(field=state, source=AgreementState.SENT, target=AgreementState.DRAFT)
    def return_to_office(self) -> None:
        pass

    # 撤回: the office takes back what it sent, while the organisation has not answered.
    @transition(field=state, source=AgreementState.SENT, target=AgreementState.DRAFT)
    def withdraw(self) -> None:
        pass

    @transition(field=state, source=AgreementState.SENT, target=AgreementState.CONFIRMED)
    def confirm(self) -> None:
        pass


class Milestone(models.Model):
    """建设任务: one dated commitment of the agreement."""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("task agreement"),
        on_delete=models.CASCADE,
        related_name="milestones",
    )
    title = models.CharField(_("milestone"), max_length=200)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["agreement", "due_on", "id"]

    def __str__(self) -> str:
        return self.title


class ReportState(models.TextChoices):
    DUE = "due", _("Due")
    SUBMITTED = "submitted", _("Submitted")


class ProgressReport(ConcurrentTransitionMixin, models.Model):
    """月调度/季通报/年总结: one periodic report of a project under construction."""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("task agreement"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReportKind.choices)
    period = models.CharField(_("period"), max_length=16)  # 2026-11, 2026Q4, 2026
    due_at = models.DateTimeField(_("due"))
    state = FSMField(
        _("state"), default=ReportState.DUE, choices=ReportState.choices, protected=True
    )
    content = models.TextField(_("report"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to the office at"), null=True, blank=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["agreement", "due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "kind", "period"], name="progress_report_one_per_period"
            )
        ]
        indexes = [models.Index(fields=["state", "due_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period}"

    @transition(field=state, source=ReportState.DUE, target=ReportState.SUBMITTED)
    def submit(self) -> None:
        pass
