"""Delivery through real daphne workers and Redis (CI's second pass).

Two worker processes share the test database (PostgreSQL) and a Redis channel layer: a decision
taken in one worker, or in this process, reaches sockets held by the other. The fault test runs
its own redis-server, kills it while decisions are made and starts it again.
"""

from __future__ import annotations

import http.client
import re

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from notifications.kinds import Kind
from notifications.messenger import notify
from notifications.models import Notification
from tests.factories import UserFactory, complete_application, member
from tests.notifications.servers import AsgiServer, LiveClient, RedisServer, database_url
from workflow.choices import Role

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CORE = "channels_redis.core.RedisChannelLayer"  # what config/settings.py configures
PUBSUB = "channels_redis.pubsub.RedisPubSubChannelLayer"  # what docs/notifications.md advises


@pytest.fixture(params=[CORE, PUBSUB], ids=["core", "pubsub"])
def backend(request, settings):
    """Both processes sides use the same layer: the workers through their environment, this
    process (where decisions are taken) through its settings."""
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": request.param, "CONFIG": {"hosts": [settings.REDIS_URL]}}
    }
    return request.param


def session_key(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def post(port: int, path: str, key: str) -> int:
    """A form post as a browser makes it: fetch a page for the CSRF cookie, then post."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/notifications/", headers={"Cookie": f"sessionid={key}"})
    response = conn.getresponse()
    response.read()
    token = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)
    conn.request(
        "POST",
        path,
        body=f"csrfmiddlewaretoken={token}",
        headers={
            "Cookie": f"sessionid={key}; csrftoken={token}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


@pytest.fixture
def workers(transactional_db, tmp_path, backend):
    started: list[AsgiServer] = []

    def start(redis_url: str, n: int = 2) -> list[AsgiServer]:
        fresh = [
            AsgiServer(
                database=database_url(), redis=redis_url, log_dir=str(tmp_path), backend=backend
            ).start()
            for _ in range(n)
        ]
        started.extend(fresh)
        return [w.wait() for w in fresh]

    yield start
    for worker in started:
        worker.stop()


def ids_of(user) -> list[int]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("id", flat=True)
    )


def test_delivery_across_two_server_processes(workers):
    a, b = workers(settings.REDIS_URL)
    application = complete_application()
    applicant = member(Role.APPLICANT, application.organisation)
    staff = member(Role.OFFICE_STAFF, application.call.office)
    applicant_key = session_key(applicant)
    staff_tab = LiveClient(a.port, session_key(staff), staff.pk)
    applicant_tab = LiveClient(b.port, applicant_key, applicant.pk)
    staff_tab.connect()
    applicant_tab.connect()

    # A decision taken over HTTP by worker B reaches the office's tab on worker A.
    assert post(b.port, f"/applications/{application.pk}/submit/", applicant_key) == 302
    application.refresh_from_db()
    assert application.state == "submitted"
    assert staff_tab.until(ids_of(staff)) == ids_of(staff) != []
    assert applicant_tab.until(ids_of(applicant)) == ids_of(applicant) != []

    # A decision taken in a third process (this one) reaches both workers' tabs.
    with transaction.atomic():
        notify(Kind.EXPERT_INVITED, [staff, applicant], None, call="跨进程")
    assert staff_tab.until(ids_of(staff)) == ids_of(staff)
    assert applicant_tab.until(ids_of(applicant)) == ids_of(applicant)
    assert staff_tab.quiet() and applicant_tab.quiet()  # nothing twice
    staff_tab.close()
    applicant_tab.close()
    assert a.process.poll() is None and b.process.poll() is None, a.log() + b.log()


def test_clients_get_every_missed_notification_once_after_redis_restarts(
    workers, settings, backend
):
    redis = RedisServer().start()
    tabs: list[LiveClient] = []
    try:
        settings.CHANNEL_LAYERS = {
            "default": {"BACKEND": backend, "CONFIG": {"hosts": [redis.url]}}
        }
        a, b = workers(redis.url)
        users = [UserFactory() for _ in range(4)]
        tabs = [LiveClient((a, b)[i % 2].port, session_key(u), u.pk) for i, u in enumerate(users)]
        for tab in tabs:
            tab.connect()
        expected: dict[int, list[int]] = {u.pk: [] for u in users}

        def decide(label: str) -> None:
            with transaction.atomic():
                rows = notify(Kind.EXPERT_INVITED, users, None, call=label)
            for row in rows:
                expected[row.recipient_id].append(row.pk)

        decide("before")
        for tab in tabs:
            assert tab.until(expected[tab.user_id]) == expected[tab.user_id]

        redis.crash()
        for n in range(3):
            decide(f"while Redis is down {n}")  # the decisions commit all the same
        assert Notification.objects.filter(delivered_at__isnull=True).count() == 3 * len(users)

        redis.start()  # empty: groups and queues are gone, the outbox is not
        for tab in tabs:
            tab.until(expected[tab.user_id], timeout=40)
        decide("after")  # and live delivery works again
        for tab in tabs:
            tab.until(expected[tab.user_id])
            assert tab.quiet()
            assert tab.ids == expected[tab.user_id], (tab.ids, a.log()[-3000:], b.log()[-3000:])
    finally:
        for tab in tabs:
            tab.close()
        redis.stop()


def test_decisions_over_http_commit_while_redis_is_down_and_reach_the_office_once(
    workers, settings, backend
):
    """Issue 7: real decisions (applicants submitting through the portal's view, service, audit
    and notification) are taken by both workers while Redis is dead; each commits, and the
    office's open tab receives every notification exactly once after Redis returns."""
    from workflow.models import AuditEvent

    redis = RedisServer().start()
    tab = None
    try:
        settings.CHANNEL_LAYERS = {
            "default": {"BACKEND": backend, "CONFIG": {"hosts": [redis.url]}}
        }
        a, b = workers(redis.url)
        first = complete_application()
        call = first.call
        applications = [first] + [complete_application(call=call) for _ in range(5)]
        keys = {
            app.pk: session_key(member(Role.APPLICANT, app.organisation)) for app in applications
        }
        staff = member(Role.OFFICE_STAFF, call.office)
        tab = LiveClient(a.port, session_key(staff), staff.pk)
        tab.connect()

        def submit(app, worker) -> None:
            status = post(worker.port, f"/applications/{app.pk}/submit/", keys[app.pk])
            assert status == 302, (status, worker.log()[-3000:])
            app.refresh_from_db()
            assert app.state == "submitted"
            assert AuditEvent.objects.filter(
                action="application.submit", object_id=str(app.pk)
            ).exists()

        submit(applications[0], b)
        assert tab.until(ids_of(staff)) == ids_of(staff) != []

        redis.crash()
        for n, app in enumerate(applications[1:]):
            submit(app, (a, b)[n % 2])  # the decision commits although no push can be made
        waiting = ids_of(staff)
        assert len(waiting) > len(tab.ids)

        redis.start()
        assert tab.until(waiting, timeout=40) == waiting
        assert tab.quiet()
        assert tab.ids == waiting  # every notification once, in commit order
    finally:
        if tab is not None:
            tab.close()
        redis.stop()
