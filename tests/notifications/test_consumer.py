"""The socket: the session user only, catch-up then live, read state across tabs."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import transaction

from notifications.consumers import REFUSED
from notifications.kinds import Kind
from notifications.messenger import notify
from notifications.models import Notification
from notifications.services import notification_mark_read, notifications_mark_all_read
from tests.factories import UserFactory
from tests.notifications.helpers import session_cookie, socket

# Real commits: the consumer reads through database_sync_to_async, which closes connections
# that are inside a test transaction (PostgreSQL), as channels' own tests do. Serialized
# rollback like the other transactional tests (tests/workflow/test_races_postgres.py): mixing
# the two kinds makes the flush recreate rows that the serialized ones then load again.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def run(scenario):
    async_to_sync(scenario)()


def make(user, n=1, capture=None):
    """n notifications to `user`, each in its own committed 'decision'; delivery runs as it
    would after commit (captured and executed)."""
    ids = []
    for i in range(n):
        with capture(execute=True), transaction.atomic():
            (row,) = notify(Kind.EXPERT_INVITED, [user], None, call=f"榜单{i}")
        ids.append(row.pk)
    return ids


async def hello(ws, last_id=0, have=()):
    await ws.send_json_to({"type": "hello", "last_id": last_id, "have": list(have)})
    return await ws.receive_json_from()


async def next_notification(ws, timeout=1.0) -> int:
    """The id of the next notification frame, passing over heartbeat syncs."""
    while True:
        message = await ws.receive_json_from(timeout=timeout)
        if message["type"] == "notification":
            return message["notification"]["id"]


async def no_notification(ws, timeout=0.5) -> bool:
    """True when no notification frame arrives within `timeout` (heartbeat syncs may)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (left := deadline - loop.time()) > 0:
        if await ws.receive_nothing(timeout=left, interval=0.01):
            return True
        if (await ws.receive_json_from())["type"] == "notification":
            return False
    return True


def test_anonymous_connections_are_refused():
    async def scenario():
        ws = socket()
        connected, code = await ws.connect()
        assert not connected
        assert code == REFUSED

    run(scenario)


def test_an_inactive_user_is_refused():
    user = UserFactory()
    cookie = session_cookie(user)
    user.is_active = False
    user.save()

    async def scenario():
        connected, _ = await socket(cookie).connect()
        assert not connected

    run(scenario)


def test_a_forged_session_cookie_is_refused():
    async def scenario():
        connected, _ = await socket(cookie="not-a-session").connect()
        assert not connected

    run(scenario)


def test_a_foreign_origin_is_refused():
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    user = UserFactory()
    cookie = session_cookie(user)

    async def scenario():
        ws = WebsocketCommunicator(
            application,
            "/ws/notifications/",
            headers=[
                (b"origin", b"http://evil.example"),
                (b"cookie", f"sessionid={cookie}".encode()),
            ],
        )
        connected, _ = await ws.connect()
        assert not connected

    run(scenario)


def test_catch_up_then_live(django_capture_on_commit_callbacks):
    user = UserFactory()
    cookie = session_cookie(user)
    seen, missed = make(user, 1, django_capture_on_commit_callbacks), None

    async def scenario():
        nonlocal missed
        missed = await database_sync_to_async(make)(user, 2, django_capture_on_commit_callbacks)
        ws = socket(cookie)
        assert (await ws.connect())[0]
        reply = await hello(ws, last_id=seen[0])
        assert reply["type"] == "catchup"
        assert [n["id"] for n in reply["notifications"]] == missed
        assert reply["unread"] == 3
        assert reply["more"] is False
        assert reply["notifications"][0]["url"] == f"/notifications/{missed[0]}/open/"
        (live,) = await database_sync_to_async(make)(user, 1, django_capture_on_commit_callbacks)
        message = await ws.receive_json_from()
        assert message == {
            "type": "notification",
            "notification": {**message["notification"], "id": live, "read": False},
        }
        assert await ws.receive_nothing()
        await ws.disconnect()

    run(scenario)


def test_a_reconnecting_client_gets_exactly_what_it_missed(django_capture_on_commit_callbacks):
    user = UserFactory()
    cookie = session_cookie(user)

    async def scenario():
        ws = socket(cookie)
        await ws.connect()
        await hello(ws)
        first = await database_sync_to_async(make)(user, 2, django_capture_on_commit_callbacks)
        got = [(await ws.receive_json_from())["notification"]["id"] for _ in first]
        assert got == first
        await ws.disconnect()
        offline = await database_sync_to_async(make)(user, 3, django_capture_on_commit_callbacks)
        again = socket(cookie)
        await again.connect()
        reply = await hello(again, last_id=got[-1])
        assert [n["id"] for n in reply["notifications"]] == offline
        assert await again.receive_nothing()
        await again.disconnect()

    run(scenario)


def test_live_messages_before_the_hello_are_held_and_not_sent_twice(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    cookie = session_cookie(user)

    async def scenario():
        ws = socket(cookie)
        await ws.connect()
        # Committed after the socket joined its group but before the client said hello: it
        # is both in the catch-up and in the live stream, and must arrive once.
        (early,) = await database_sync_to_async(make)(user, 1, django_capture_on_commit_callbacks)
        reply = await hello(ws)
        assert [n["id"] for n in reply["notifications"]] == [early]
        assert await ws.receive_nothing()
        await ws.disconnect()

    run(scenario)


def test_a_user_never_receives_another_users_notifications(django_capture_on_commit_callbacks):
    alice, bob = UserFactory(), UserFactory()
    cookie = session_cookie(alice)

    async def scenario():
        ws = socket(cookie)
        await ws.connect()
        # Nothing the client says can name another user or group.
        await ws.send_json_to(
            {"type": "hello", "last_id": 0, "user": bob.pk, "group": f"user.{bob.pk}"}
        )
        reply = await ws.receive_json_from()
        assert reply["notifications"] == []
        await database_sync_to_async(make)(bob, 2, django_capture_on_commit_callbacks)
        assert await ws.receive_nothing()
        await ws.disconnect()

    run(scenario)
    assert Notification.objects.filter(recipient=alice).count() == 0


def test_read_state_syncs_across_tabs(django_capture_on_commit_callbacks):
    user = UserFactory()
    ids = make(user, 3, django_capture_on_commit_callbacks)
    cookies = [session_cookie(user), session_cookie(user)]

    def read_one():
        with django_capture_on_commit_callbacks(execute=True):
            notification_mark_read(notification=Notification.objects.get(pk=ids[0]), by=user)

    def read_all():
        with django_capture_on_commit_callbacks(execute=True):
            notifications_mark_all_read(by=user, up_to=ids[-1])

    async def scenario():
        tabs = [socket(c) for c in cookies]
        for tab in tabs:
            await tab.connect()
            assert (await hello(tab, last_id=ids[-1]))["unread"] == 3
        await database_sync_to_async(read_one)()
        for tab in tabs:
            assert await tab.receive_json_from() == {
                "type": "read",
                "ids": [ids[0]],
                "up_to": None,
                "unread": 2,
            }
        await database_sync_to_async(read_all)()
        for tab in tabs:
            message = await tab.receive_json_from()
            assert (message["ids"], message["up_to"], message["unread"]) == (None, ids[-1], 0)
            await tab.disconnect()

    run(scenario)


def test_logging_out_closes_the_sessions_sockets():
    from django.test import Client

    user = UserFactory()
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value

    async def scenario():
        ws = socket(cookie)
        assert (await ws.connect())[0]
        await hello(ws)
        await database_sync_to_async(client.post)("/accounts/logout/")
        assert (await ws.receive_output())["type"] == "websocket.close"

    run(scenario)


def lost_push(user, capture):
    """A notification whose push went nowhere (a Redis restart, a full worker queue), though
    the channel layer took it: only the outbox has it."""
    from unittest import mock

    with mock.patch(
        "notifications.adapters.websocket.send_events",
        side_effect=lambda events: [True] * len(events),
    ):
        return make(user, 1, capture)


def test_the_heartbeat_repairs_a_socket_that_lost_a_push(
    django_capture_on_commit_callbacks, settings
):
    """The socket stays open, a push went nowhere and a later one arrived live. The next
    heartbeat sends the lost one from the outbox, once, and moves the low-water mark."""
    settings.NOTIFICATIONS_HEARTBEAT = 0.3
    user = UserFactory()
    cookie = session_cookie(user)
    capture = django_capture_on_commit_callbacks

    async def scenario():
        ws = socket(cookie)
        await ws.connect()
        assert (await hello(ws))["low_water"] == 0
        (lost,) = await database_sync_to_async(lost_push)(user, capture)
        (live,) = await database_sync_to_async(make)(user, 1, capture)
        assert lost < live
        # Normally `live` comes at once and `lost` with the next beat; under load a beat may
        # come first and send both: either way each arrives once.
        got = [await next_notification(ws, 2) for _ in "ab"]
        assert sorted(got) == [lost, live]
        assert await no_notification(ws, 0.8)  # over several beats
        (later,) = await database_sync_to_async(make)(user, 1, capture)
        assert await next_notification(ws, 2) == later
        sync = await ws.receive_json_from(timeout=2)
        assert sync == {"type": "sync", "low_water": later}
        assert await no_notification(ws, 0.5)
        await ws.disconnect()

    run(scenario)


def test_a_reconnecting_client_gets_a_lost_push_that_a_later_one_overtook(
    django_capture_on_commit_callbacks,
):
    """The client saw `live` but never `lost` (lower id) before its socket closed: it says
    hello with its low-water mark and the ids it has above it, and gets exactly `lost`."""
    user = UserFactory()
    cookie = session_cookie(user)
    capture = django_capture_on_commit_callbacks

    async def scenario():
        ws = socket(cookie)
        await ws.connect()
        low_water = (await hello(ws))["low_water"]
        (lost,) = await database_sync_to_async(lost_push)(user, capture)
        (live,) = await database_sync_to_async(make)(user, 1, capture)
        assert await next_notification(ws) == live
        await ws.disconnect()  # before any heartbeat (30 s)

        again = socket(cookie)
        await again.connect()
        reply = await hello(again, last_id=low_water, have=[live])
        assert [n["id"] for n in reply["notifications"]] == [lost]
        assert reply["low_water"] == live
        assert await no_notification(again, 0.3)
        await again.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    "hello_message",
    [
        {"type": "hello", "last_id": "1 OR 1=1"},
        {"type": "hello", "last_id": -1},
        {"type": "hello", "last_id": 0, "have": "all"},
        {"type": "hello", "last_id": 0, "have": [1, "2"]},
        {"type": "hello", "last_id": 0, "have": list(range(1, 1002))},
    ],
)
def test_a_malformed_hello_closes_the_socket(hello_message):
    cookie = session_cookie(UserFactory())

    async def scenario():
        ws = socket(cookie)
        await ws.connect()
        await ws.send_json_to(hello_message)
        assert (await ws.receive_output())["type"] == "websocket.close"

    run(scenario)


def test_ids_of_other_users_in_a_hello_change_nothing(django_capture_on_commit_callbacks):
    alice, bob = UserFactory(), UserFactory()
    cookie = session_cookie(alice)
    (bobs,) = make(bob, 1, django_capture_on_commit_callbacks)
    (mine,) = make(alice, 1, django_capture_on_commit_callbacks)

    async def scenario():
        ws = socket(cookie)
        await ws.connect()
        reply = await hello(ws, last_id=0, have=[bobs, 10**9])
        assert [n["id"] for n in reply["notifications"]] == [mine]
        assert reply["low_water"] == mine
        await ws.disconnect()

    run(scenario)
