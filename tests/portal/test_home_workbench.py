"""我的工作台 on the home page: the signed-in user's open tasks and unread notifications."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from tests.factories import OfficeFactory, OrganisationFactory, member
from tests.portal.helpers import logged_in
from tests.processes.helpers import Notice
from workflow.choices import Role

pytestmark = pytest.mark.django_db


def home(client) -> str:
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    return response.content.decode()


def notification_for(user, text: str) -> Notification:
    return Notification.objects.create(recipient=user, kind="application_submitted", text=text)


def test_anonymous_visitors_see_no_workbench(client):
    assert "My workbench" not in home(client)


def test_the_director_sees_the_waiting_approval_on_the_home_page():
    world = Notice()
    with time_machine.travel(world.after_notice, tick=True):
        world.countersign_all()
        page = home(logged_in(world.director))
        other = home(logged_in(member(Role.OFFICE_DIRECTOR, OfficeFactory())))
    assert "My workbench" in page
    assert "Approve the winners and decide the call" in page
    assert "Approve the winners and decide the call" not in other
    assert "Nothing is waiting for you." in other


def test_only_the_users_own_unread_notifications_are_listed():
    applicant = member(Role.APPLICANT, OrganisationFactory())
    stranger = member(Role.APPLICANT, OrganisationFactory())
    notification_for(applicant, "您的申报书已退回")
    read = notification_for(applicant, "已读的旧消息")
    read.read_at = timezone.now()
    read.save()
    notification_for(stranger, "别人的消息")
    page = home(logged_in(applicant))
    assert "您的申报书已退回" in page
    assert "已读的旧消息" not in page
    assert "别人的消息" not in page
    assert reverse("notifications:list") in page


def test_the_workbench_query_count_does_not_grow_with_notifications():
    applicant = member(Role.APPLICANT, OrganisationFactory())
    client = logged_in(applicant)
    notification_for(applicant, "一")
    home(client)
    with CaptureQueriesContext(connection) as few:
        home(client)
    for n in range(10):
        notification_for(applicant, f"消息{n}")
    with CaptureQueriesContext(connection) as many:
        home(client)
    assert len(many) == len(few)
