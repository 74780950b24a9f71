"""Persisted notifications (an outbox), delivery preferences and the reminders already sent."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.kinds import Kind


class EmailStatus(models.TextChoices):
    NONE = "", _("Not sent by email")
    PENDING = "pending", _("Waiting to be emailed")
    SENT = "sent", _("Emailed")
    FAILED = "failed", _("Email failed")


class Notification(models.Model):
    """One message to one user, written in the transaction of the decision that causes it.

    The id orders a user's notifications in commit order (see messenger.notify), so a client
    that saw id N catches up with `id > N`.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=48, choices=Kind.choices)
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(_("link"), max_length=300, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Handed to the channel layer; empty while a live push is still owed (the scheduler retries).
    delivered_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        _("email"), max_length=8, choices=EmailStatus.choices, default=EmailStatus.NONE, blank=True
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient", "id"], name="notification_inbox"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(delivered_at__isnull=True),
                name="notification_undelivered",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(email_status="pending"),
                name="notification_email_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} · {self.get_kind_display()} · {self.text[:40]}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Delivery(models.TextChoices):
    IN_APP = "in_app", _("In the portal only")
    IN_APP_AND_EMAIL = "in_app_email", _("In the portal and by email")


DEFAULT_DELIVERY = Delivery.IN_APP_AND_EMAIL
DEFAULT_LANGUAGE = "zh-hans"


class NotificationPreference(models.Model):
    """How a user wants to be told, and in which language. No row means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    delivery = models.CharField(
        _("delivery"), max_length=16, choices=Delivery.choices, default=DEFAULT_DELIVERY
    )
    language = models.CharField(
        _("language"), max_length=16, choices=settings.LANGUAGES, default=DEFAULT_LANGUAGE
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_delivery_display()} · {self.language}"

    @property
    def wants_email(self) -> bool:
        return self.delivery == Delivery.IN_APP_AND_EMAIL


class ReminderLog(models.Model):
    """A reminder already sent, by its key: the unique key makes a second run send nothing."""

    key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return self.key
