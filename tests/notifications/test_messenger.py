"""The outbox: notifications are written with the decision and delivered after it commits."""

import datetime as dt
from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone, translation

from notifications import messenger
from notifications.kinds import SPECS, Kind
from notifications.messenger import notify, render
from notifications.models import Delivery, EmailStatus, Notification, NotificationPreference
from tests.factories import UserFactory, complete_application, member
from workflow.choices import Role
from workflow.services.applications import application_submit

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_a_rolled_back_decision_leaves_no_notification(django_capture_on_commit_callbacks):
    application = complete_application()
    applicant = member(Role.APPLICANT, application.organisation)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        application_submit(application=application, by=applicant)
        assert Notification.objects.count() == 2  # applicant and office, inside
        raise Boom
    assert Notification.objects.count() == 0
    assert callbacks == []  # nothing is delivered for a decision that did not happen
    application.refresh_from_db()
    assert application.state == "draft"


def test_a_committed_decision_keeps_its_notifications_when_delivery_fails(
    django_capture_on_commit_callbacks, caplog
):
    application = complete_application()
    applicant = member(Role.APPLICANT, application.organisation)
    with (
        mock.patch("notifications.adapters.websocket.push", side_effect=ConnectionError("down")),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        application_submit(application=application, by=applicant)  # does not raise
    assert len(callbacks) == 2
    assert Notification.objects.count() == 2
    assert Notification.objects.filter(delivered_at__isnull=True).count() == 2
    assert "the scheduler retries" in caplog.text


def test_delivery_runs_only_after_commit(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        notify(Kind.EXPERT_INVITED, [user], None, call="实训基地")
    assert len(callbacks) == 1
    assert Notification.objects.get().delivered_at is None
    callbacks[0]()
    assert Notification.objects.get().delivered_at is not None


def test_notify_refuses_to_run_outside_a_transaction():
    # The test itself runs in a transaction; pretend it does not, as in autocommit code.
    with mock.patch.object(connection, "in_atomic_block", False), pytest.raises(RuntimeError):
        notify(Kind.EXPERT_INVITED, [UserFactory()], None, call="x")


def test_recipients_are_deduplicated_and_inactive_users_skipped():
    active, inactive = UserFactory(), UserFactory(is_active=False)
    with transaction.atomic():
        rows = notify(Kind.EXPERT_INVITED, [active, active.pk, inactive], None, call="x")
    assert [n.recipient_id for n in rows] == [active.pk]
    assert Notification.objects.count() == 1


def test_text_is_rendered_in_each_recipients_language():
    chinese, english = UserFactory(), UserFactory()
    NotificationPreference.objects.create(user=english, language="en")
    due = dt.datetime(2025, 3, 7, 9, 30, tzinfo=dt.UTC)  # 17:30 in Beijing
    with transaction.atomic():
        notify(
            Kind.APPLICATION_RETURNED,
            [chinese, english],
            None,
            application="实训基地",
            reason="缺少盖章页",
            due=due,
        )
    zh = Notification.objects.get(recipient=chinese)
    en = Notification.objects.get(recipient=english)
    assert "2025年3月7日" in zh.text and "17:30" in zh.text
    assert "March 7, 2025" in en.text and "5:30 p.m." in en.text
    assert "缺少盖章页" in zh.text and "缺少盖章页" in en.text
    assert en.payload["due"] == due.isoformat()


def test_long_reasons_are_cut_in_the_text_and_kept_in_the_payload():
    reason = "理由" * 600
    with transaction.atomic():
        (n,) = notify(
            Kind.APPLICATION_REJECTED, [UserFactory()], None, application="x", reason=reason
        )
    assert len(n.text) <= messenger.TEXT_CHARS
    assert n.payload["reason"] == reason


def test_a_template_bug_falls_back_to_the_label_and_does_not_fail_the_decision(caplog):
    with transaction.atomic():
        (n,) = notify(Kind.APPLICATION_REJECTED, [UserFactory()], None)  # no placeholders
    assert n.text == str(Kind.APPLICATION_REJECTED.label)
    assert "template" in caplog.text


SAMPLE = {
    "application": "实训基地建设项目",
    "call": "新能源汽车实训基地",
    "organisation": "太原职业技术学院",
    "expert": "王专家",
    "reason": "材料不全",
    "subject": "公示事项",
    "due": timezone.now(),
    "closes": timezone.now(),
    "task": "确认揭榜任务书",
    "urger": "省产教融合办",
    "outcome": "通过",
    "number": "产教融合省级〔2026〕001号",
    "year": 2026,
    "grade": "良好",
    "decision": "免责",
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_kind_has_a_template_that_renders(language, caplog):
    assert set(SPECS) == set(Kind)
    with translation.override(language):
        for kind in Kind:
            assert render(kind, SAMPLE) != str(kind.label), kind
    assert "template" not in caplog.text


def test_email_is_pending_only_for_users_who_want_it_and_have_an_address():
    wants = UserFactory(email="a@example.cn")
    portal_only = UserFactory(email="b@example.cn")
    NotificationPreference.objects.create(user=portal_only, delivery=Delivery.IN_APP)
    no_address = UserFactory(email="")
    with transaction.atomic():
        notify(Kind.EXPERT_INVITED, [wants, portal_only, no_address], None, call="x")
    status = dict(Notification.objects.values_list("recipient_id", "email_status"))
    assert status == {
        wants.pk: EmailStatus.PENDING,
        portal_only.pk: EmailStatus.NONE,
        no_address.pk: EmailStatus.NONE,
    }
