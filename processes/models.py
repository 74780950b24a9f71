"""What the approval moves (issue 8) keep beside viewflow's tasks: absence delegations, copies
(抄送) and added signers (加签). Counts and flags of a single task (urges, a hold after a return
or withdrawal, who it was handed over from) live in the task's own `data`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process, Task

from workflow.models import Department


class Delegation(models.Model):
    """委托: while the delegator is away, new tasks that only they could take go to the delegate."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("absent user"),
        on_delete=models.CASCADE,
        related_name="delegations_given",
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegate"),
        on_delete=models.CASCADE,
        related_name="delegations_received",
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    may_delegate_onward = models.BooleanField(
        _("the delegate may hand the tasks on"), default=False
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("absence delegation")
        verbose_name_plural = _("absence delegations")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="delegation_dates_ordered", condition=Q(ends_on__gte=models.F("starts_on"))
            ),
            models.CheckConstraint(
                name="delegation_not_to_self", condition=~Q(delegate=models.F("delegator"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} ({self.starts_on}–{self.ends_on})"


class ItemCopy(models.Model):
    """抄送: a reader of an item who does not act on it."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="copies")
    task = models.ForeignKey(Task, null=True, on_delete=models.SET_NULL, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("copied to"),
        on_delete=models.CASCADE,
        related_name="copies_received",
    )
    copied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("copy")
        verbose_name_plural = _("copies")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["process", "recipient"], name="copy_once_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.process_id} → {self.recipient}"


class SignPosition(models.TextChoices):
    BEFORE = "before", _("Before the current step (前加签)")
    AFTER = "after", _("After the current step (后加签)")


class AddedSignState(models.TextChoices):
    PENDING = "pending", _("Awaiting the signature")
    AGREED = "agreed", _("Agreed")
    DISAGREED = "disagreed", _("Disagreed")


class AddedSigner(models.Model):
    """加签: a person or department asked to sign before or after a step, without changing the
    flow: the step is not done until they have signed."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="added_signers")
    position = models.CharField(_("when"), max_length=8, choices=SignPosition.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("why their signature is needed"), max_length=200)
    state = models.CharField(
        _("state"), max_length=16, choices=AddedSignState.choices, default=AddedSignState.PENDING
    )
    opinion = models.TextField(_("opinion"), blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("added signer")
        verbose_name_plural = _("added signers")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="added_signer_user_or_department",
                condition=(Q(user__isnull=False) & Q(department__isnull=True))
                | (Q(user__isnull=True) & Q(department__isnull=False)),
            )
        ]

    def __str__(self) -> str:
        return str(self.user or self.department)

    @property
    def signer_name(self) -> str:
        if self.user_id:
            return self.user.get_full_name() or self.user.get_username()
        return self.department.name
