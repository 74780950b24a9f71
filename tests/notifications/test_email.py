"""Email through Django's backend, as each user chose; failures are retried by the scheduler."""

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications import outbox
from notifications.kinds import Kind
from notifications.messenger import notify
from notifications.models import Delivery, EmailStatus, Notification, NotificationPreference
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def send_to(*users, execute=True, capture=None):
    with capture(execute=execute), transaction.atomic():
        notify(Kind.APPLICATION_REJECTED, users, None, application="实训基地", reason="材料不全")


def test_email_preference_is_honoured(django_capture_on_commit_callbacks):
    both = UserFactory(email="both@example.cn")
    portal_only = UserFactory(email="portal@example.cn")
    NotificationPreference.objects.create(user=portal_only, delivery=Delivery.IN_APP)
    send_to(both, portal_only, capture=django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["both@example.cn"]]
    assert Notification.objects.filter(recipient=portal_only).exists()  # still told in-app
    statuses = dict(Notification.objects.values_list("recipient_id", "email_status"))
    assert statuses == {both.pk: EmailStatus.SENT, portal_only.pk: EmailStatus.NONE}


def test_email_is_written_in_the_recipients_language(django_capture_on_commit_callbacks):
    english = UserFactory(email="en@example.cn")
    NotificationPreference.objects.create(user=english, language="en")
    send_to(english, capture=django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert "was rejected at the formal check: 材料不全" in message.body
    assert "/notifications/" in message.body
    assert message.subject.startswith("[Industry-Education Integration Platforms] ")


def test_a_failed_email_is_retried_by_the_scheduler(django_capture_on_commit_callbacks):
    user = UserFactory(email="u@example.cn")
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=OSError("smtp down"),
    ):
        send_to(user, capture=django_capture_on_commit_callbacks)
    n = Notification.objects.get()
    assert (n.email_status, n.email_attempts) == (EmailStatus.PENDING, 1)
    assert mail.outbox == []

    assert outbox.retry(timezone.now())["emailed"] == 0  # too fresh: after-commit may still run
    later = timezone.now() + dt.timedelta(minutes=2)
    assert outbox.retry(later)["emailed"] == 1
    n.refresh_from_db()
    assert (n.email_status, n.email_attempts) == (EmailStatus.SENT, 2)
    assert len(mail.outbox) == 1
    assert outbox.retry(later)["emailed"] == 0  # sent once


def test_email_gives_up_after_max_attempts(django_capture_on_commit_callbacks):
    user = UserFactory(email="u@example.cn")
    later = timezone.now() + dt.timedelta(minutes=2)
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=OSError("smtp down"),
    ):
        send_to(user, capture=django_capture_on_commit_callbacks)
        for _ in range(6):
            outbox.retry(later)
    n = Notification.objects.get()
    assert n.email_status == EmailStatus.FAILED
    assert n.email_attempts == 5


def test_undelivered_pushes_are_retried_by_the_scheduler(django_capture_on_commit_callbacks):
    user = UserFactory()
    with mock.patch("notifications.adapters.websocket.send_events", side_effect=OSError("down")):
        send_to(user, capture=django_capture_on_commit_callbacks)
    n = Notification.objects.get()
    assert n.delivered_at is None
    sent = []
    with mock.patch(
        "notifications.adapters.websocket.send_events",
        side_effect=lambda events: sent.extend(events) or [True] * len(events),
    ):
        assert outbox.retry(timezone.now() + dt.timedelta(minutes=1))["pushed"] == 1
    assert [group for group, _event in sent] == [f"user.{user.pk}"]
    n.refresh_from_db()
    assert n.delivered_at is not None


def test_pushes_older_than_a_day_are_no_longer_owed(django_capture_on_commit_callbacks):
    user = UserFactory()
    send_to(user, execute=False, capture=django_capture_on_commit_callbacks)
    result = outbox.retry(timezone.now() + dt.timedelta(days=2))
    assert result["expired"] == 1 and result["pushed"] == 0
