"""会签: the member departments of the joint meeting countersign the proposal before the
office director approves it (flow 3).

A round goes to every member department of the call's office at once (split); each department
agrees or disagrees with a written opinion. Under 会签 (the default) one disagreement returns the
round to the office at once, with the opinions kept, and when every department has agreed the
round is agreed (join). Under 或签 one agreement suffices and only a disagreement of every
department returns the round (workflow.rules.countersign). The call's mode is copied onto the
round when it opens, so a later change of the call does not alter an open round.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from workflow.choices import CountersignMode
from workflow.models.calls import Call
from workflow.models.organisations import Department


class CountersignRoundState(models.TextChoices):
    OPEN = "open", _("Awaiting countersignatures")
    AGREED = "agreed", _("Agreed")
    RETURNED = "returned", _("Returned to the office")


class CountersignState(models.TextChoices):
    PENDING = "pending", _("Awaiting the department's opinion")
    AGREED = "agreed", _("Agreed")
    DISAGREED = "disagreed", _("Disagreed")


class CountersignRound(ConcurrentTransitionMixin, models.Model):
    """会签轮次: one countersigning of a call's proposal by every member department."""

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="countersign_rounds"
    )
    number = models.PositiveSmallIntegerField(_("round"))
    mode = models.CharField(
        _("countersign mode"),
        max_length=8,
        choices=CountersignMode.choices,
        default=CountersignMode.ALL,
    )
    state = FSMField(
        _("state"),
        default=CountersignRoundState.OPEN,
        choices=CountersignRoundState.choices,
        protected=True,
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("countersign round")
        verbose_name_plural = _("countersign rounds")
        ordering = ["call", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["call", "number"], name="countersign_round_number")
        ]

    def __str__(self) -> str:
        return f"{self.call} · {self.number}"

    @transition(field=state, source=CountersignRoundState.OPEN, target=CountersignRoundState.AGREED)
    def agree(self) -> None:
        pass

    @transition(
        field=state, source=CountersignRoundState.OPEN, target=CountersignRoundState.RETURNED
    )
    def return_to_office(self) -> None:
        pass


class Countersign(ConcurrentTransitionMixin, models.Model):
    """会签: one department's written opinion on the proposal of one round."""

    round = models.ForeignKey(
        CountersignRound,
        verbose_name=_("countersign round"),
        on_delete=models.PROTECT,
        related_name="countersigns",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("member department"),
        on_delete=models.PROTECT,
        related_name="countersigns",
    )
    state = FSMField(
        _("state"),
        default=CountersignState.PENDING,
        choices=CountersignState.choices,
        protected=True,
    )
    opinion = models.TextField(_("countersign opinion"), blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("countersign")
        verbose_name_plural = _("countersigns")
        ordering = ["round", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "department"], name="countersign_one_per_department"
            )
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.department.short_name or self.department.name}"

    @transition(field=state, source=CountersignState.PENDING, target=CountersignState.AGREED)
    def agree(self) -> None:
        pass

    @transition(field=state, source=CountersignState.PENDING, target=CountersignState.DISAGREED)
    def disagree(self) -> None:
        pass
