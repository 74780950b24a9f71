"""The review dashboard's socket: office staff and director of the call's office only; a
snapshot on connect, another after each change, and a heartbeat that repairs a lost event."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from notifications.consumers import REFUSED
from notifications.dashboard import FORBIDDEN
from tests.factories import (
    OfficeFactory,
    force_state,
    member,
    review_call,
    review_panel,
    submit_at,
)
from tests.notifications.helpers import session_cookie, socket
from workflow.choices import AssignmentState, Role
from workflow.models import Membership

# Real commits, as in test_consumer.py: the consumer reads through database_sync_to_async, and
# the services' after-commit sends run when the decision really commits.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("erase_audit_after"),
]


def run(scenario):
    async_to_sync(scenario)()


def path(call_id) -> str:
    return f"/ws/review/{call_id}/"


@pytest.fixture
def review():
    """Two applications, two experts: four open sheets."""
    call, staff, applications = review_call(applications=2)
    _draw, sheets = review_panel(call, applications, experts=2)
    return call, staff, applications, sheets


def refused(user, call_id) -> int:
    """The close code a user's socket gets (None if accepted)."""
    cookie = session_cookie(user) if user is not None else None
    result = {}

    async def scenario():
        ws = socket(cookie, path(call_id))
        connected, code = await ws.connect()
        if connected:
            await ws.disconnect()
        result["code"] = None if connected else code

    run(scenario)
    return result["code"]


def test_anonymous_users_are_refused(review):
    call, _staff, _applications, _sheets = review
    assert refused(None, call.pk) == REFUSED


def test_anyone_but_the_calls_office_is_refused(review):
    call, _staff, applications, sheets = review
    others = [
        member(Role.OFFICE_STAFF, OfficeFactory()),
        member(Role.OFFICE_DIRECTOR, OfficeFactory()),
        member(Role.APPLICANT, applications[0].organisation),
        next(iter(sheets)).user,  # an expert of the panel
    ]
    for user in others:
        assert refused(user, call.pk) == FORBIDDEN, user


def test_a_call_that_does_not_exist_is_refused_like_a_foreign_one(review):
    _call, staff, _applications, _sheets = review
    assert refused(staff, 999_999) == FORBIDDEN


def test_staff_and_director_of_the_office_are_accepted(review):
    call, staff, _applications, _sheets = review
    assert refused(staff, call.pk) is None
    assert refused(member(Role.OFFICE_DIRECTOR, call.office), call.pk) is None


def test_a_snapshot_on_connect_and_an_update_when_an_expert_submits(review):
    call, staff, applications, sheets = review
    cookie = session_cookie(staff)
    expert = next(iter(sheets))
    sheet = sheets[expert][0]

    async def scenario():
        ws = socket(cookie, path(call.pk))
        assert (await ws.connect())[0]
        first = await ws.receive_json_from()
        assert first["type"] == "snapshot" and first["call"] == call.pk
        assert (first["submitted"], first["sheets"]) == (0, 4)
        assert [a["id"] for a in first["applications"]] == [a.pk for a in applications]

        await database_sync_to_async(submit_at)(sheet, "0.8")
        update = await ws.receive_json_from(timeout=2)
        assert (update["submitted"], update["sheets"]) == (1, 4)
        row = next(a for a in update["applications"] if a["id"] == sheet.application_id)
        assert (row["submitted"], row["sheets"]) == (1, 2)
        mine = next(e for e in update["experts"] if e["id"] == expert.pk)
        assert (mine["submitted"], mine["assigned"]) == (1, 2)
        assert await ws.receive_nothing()
        await ws.send_to(text_data="not json")  # the client has nothing to say; ignored
        await ws.send_json_to({"type": "hello", "call": 1})
        assert await ws.receive_nothing()
        await ws.disconnect()

    run(scenario)


def test_other_calls_do_not_disturb_the_dashboard(review):
    call, staff, _applications, _sheets = review
    other, _staff, other_applications = review_call(applications=1, office=call.office)
    _draw, other_sheets = review_panel(other, other_applications, experts=1)
    cookie = session_cookie(staff)

    async def scenario():
        ws = socket(cookie, path(call.pk))
        assert (await ws.connect())[0]
        await ws.receive_json_from()
        await database_sync_to_async(submit_at)(next(iter(other_sheets.values()))[0], "0.8")
        assert await ws.receive_nothing()
        await ws.disconnect()

    run(scenario)


def test_a_user_who_leaves_the_office_is_closed_at_the_next_change(review):
    call, _staff, _applications, sheets = review
    watcher = member(Role.OFFICE_STAFF, call.office)
    cookie = session_cookie(watcher)
    sheet = next(iter(sheets.values()))[0]

    async def scenario():
        ws = socket(cookie, path(call.pk))
        assert (await ws.connect())[0]
        await ws.receive_json_from()
        await database_sync_to_async(Membership.objects.filter(user=watcher).delete)()
        await database_sync_to_async(submit_at)(sheet, "0.8")
        closed = await ws.receive_output(timeout=2)
        assert closed == {"type": "websocket.close", "code": FORBIDDEN}

    run(scenario)


def test_the_heartbeat_sends_a_change_whose_event_was_lost(review, settings):
    settings.NOTIFICATIONS_HEARTBEAT = 0.2
    call, staff, _applications, sheets = review
    cookie = session_cookie(staff)
    sheet = next(iter(sheets.values()))[0]

    async def scenario():
        ws = socket(cookie, path(call.pk))
        assert (await ws.connect())[0]
        assert (await ws.receive_json_from())["submitted"] == 0
        assert await ws.receive_nothing(timeout=0.5)  # an unchanged snapshot is not resent
        # A change without an event (as if the layer had lost it).
        await database_sync_to_async(force_state)(sheet, AssignmentState.SUBMITTED)
        assert (await ws.receive_json_from(timeout=2))["submitted"] == 1
        await ws.disconnect()

    run(scenario)
