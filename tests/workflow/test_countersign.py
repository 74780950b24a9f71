"""会签 (flow 3): parallel opinions of the member departments, return on disagreement, and the
director's approval only after every department agreed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from notifications.kinds import Kind
from notifications.models import Notification
from tests.factories import (
    DepartmentFactory,
    OrganisationFactory,
    UserFactory,
    agreed_countersign,
    force_state,
    member,
    published_call,
)
from workflow.choices import CallState, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import AuditEvent, Countersign, CountersignRound, Membership
from workflow.models.countersign import CountersignRoundState, CountersignState
from workflow.services.calls import call_decide
from workflow.services.countersign import (
    countersign_complete,
    countersign_open,
    countersign_sign,
)

pytestmark = pytest.mark.django_db


class World:
    def __init__(self, departments: int = 3):
        self.call = published_call()
        force_state(self.call, CallState.PUBLICITY)
        self.staff = member(Role.OFFICE_STAFF, self.call.office)
        self.director = member(Role.OFFICE_DIRECTOR, self.call.office)
        self.departments = [DepartmentFactory(office=self.call.office) for _ in range(departments)]
        self.approvers = {d.pk: member(Role.DEPARTMENT_APPROVER, d) for d in self.departments}

    def open(self) -> CountersignRound:
        return countersign_open(call=self.call, by=self.staff)

    def sign(self, countersign: Countersign, agree: bool = True, opinion: str = "同意。"):
        by = self.approvers[countersign.department_id]
        return countersign_sign(countersign=countersign, by=by, agree=agree, opinion=opinion)


@pytest.fixture
def world():
    return World()


def _countersigns(countersign_round: CountersignRound) -> list[Countersign]:
    return list(countersign_round.countersigns.order_by("department_id"))


def test_opening_sends_one_pending_countersign_to_every_department_and_notifies(world):
    countersign_round = world.open()
    assert countersign_round.state == CountersignRoundState.OPEN
    assert countersign_round.number == 1
    signs = _countersigns(countersign_round)
    assert [c.department_id for c in signs] == [d.pk for d in world.departments]
    assert {c.state for c in signs} == {CountersignState.PENDING}
    notified = Notification.objects.filter(kind=Kind.COUNTERSIGN_REQUESTED)
    assert sorted(notified.values_list("recipient_id", flat=True)) == sorted(
        u.pk for u in world.approvers.values()
    )
    assert world.call.title in notified.first().text
    event = AuditEvent.objects.get(action="countersignround.open")
    assert event.role == Role.OFFICE_STAFF
    assert not countersign_complete(world.call)


def test_a_second_open_round_is_refused(world):
    world.open()
    with pytest.raises(Conflict):
        world.open()
    assert CountersignRound.objects.count() == 1


def test_opening_requires_the_notice_and_the_calls_office(world):
    force_state(world.call, CallState.UNDER_REVIEW)
    with pytest.raises(Conflict):
        world.open()
    force_state(world.call, CallState.PUBLICITY)
    for user in (world.director, member(Role.APPLICANT, OrganisationFactory()), AnonymousUser()):
        with pytest.raises(NotPermitted):
            countersign_open(call=world.call, by=user)
    assert not CountersignRound.objects.exists()


def test_departments_give_opinions_in_parallel_and_all_agree(world):
    countersign_round = world.open()
    signs = _countersigns(countersign_round)
    # Any order: the last one to agree closes the round.
    world.sign(signs[2], opinion="同意，建议加强资金监管。")
    world.sign(signs[0])
    countersign_round.refresh_from_db()
    assert countersign_round.state == CountersignRoundState.OPEN
    world.sign(signs[1])
    countersign_round.refresh_from_db()
    assert countersign_round.state == CountersignRoundState.AGREED
    assert countersign_round.closed_at is not None
    assert countersign_complete(world.call)
    signs = _countersigns(countersign_round)
    assert {c.state for c in signs} == {CountersignState.AGREED}
    assert signs[2].opinion == "同意，建议加强资金监管。"
    assert signs[0].signed_by == world.approvers[signs[0].department_id]
    assert AuditEvent.objects.filter(action="countersign.agree").count() == 3
    event = AuditEvent.objects.get(action="countersignround.agree")
    assert (event.from_state, event.to_state, event.role) == (
        "open",
        "agreed",
        Role.DEPARTMENT_APPROVER,
    )


def test_a_disagreement_returns_the_round_keeping_the_opinions(world):
    countersign_round = world.open()
    signs = _countersigns(countersign_round)
    world.sign(signs[0], opinion="同意。")
    world.sign(signs[1], agree=False, opinion="资金来源证明不足，不同意。")
    countersign_round.refresh_from_db()
    assert countersign_round.state == CountersignRoundState.RETURNED
    assert countersign_round.closed_at is not None
    signs = _countersigns(countersign_round)
    assert [c.state for c in signs] == [
        CountersignState.AGREED,
        CountersignState.DISAGREED,
        CountersignState.PENDING,
    ]
    assert signs[1].opinion == "资金来源证明不足，不同意。"
    assert AuditEvent.objects.filter(action="countersign.disagree").count() == 1
    assert AuditEvent.objects.filter(action="countersignround.return_to_office").count() == 1
    with pytest.raises(Conflict, match="本轮会签已结束"):
        world.sign(signs[2])
    signs[2].refresh_from_db()
    assert signs[2].state == CountersignState.PENDING
    assert not countersign_complete(world.call)


def test_a_new_round_may_follow_a_return_and_only_the_latest_counts(world):
    first = world.open()
    world.sign(_countersigns(first)[0], agree=False, opinion="不同意。")
    second = world.open()
    assert second.number == 2
    assert second.countersigns.filter(state=CountersignState.PENDING).count() == 3
    for countersign in _countersigns(second):
        world.sign(countersign)
    assert countersign_complete(world.call)
    first.refresh_from_db()
    assert first.state == CountersignRoundState.RETURNED


def test_signing_twice_is_refused(world):
    countersign = _countersigns(world.open())[0]
    world.sign(countersign)
    with pytest.raises(Conflict):
        world.sign(countersign)


@pytest.mark.parametrize("who", ["other_department", "staff", "director", "applicant", "inactive"])
def test_only_an_approver_of_that_department_signs(world, who):
    countersign = _countersigns(world.open())[0]
    inactive = UserFactory(is_active=False)

    Membership.objects.create(
        user=inactive, role=Role.DEPARTMENT_APPROVER, department=countersign.department
    )
    user = {
        "other_department": world.approvers[world.departments[1].pk],
        "staff": world.staff,
        "director": world.director,
        "applicant": member(Role.APPLICANT, OrganisationFactory()),
        "inactive": inactive,
    }[who]
    with pytest.raises(NotPermitted):
        countersign_sign(countersign=countersign, by=user, agree=True, opinion="同意。")
    with pytest.raises(NotPermitted):
        countersign_sign(countersign=countersign, by=AnonymousUser(), agree=True, opinion="同意。")
    countersign.refresh_from_db()
    assert countersign.state == CountersignState.PENDING
    assert not AuditEvent.objects.filter(action__startswith="countersign.").exists()


@pytest.mark.parametrize("agree", [True, False])
def test_an_opinion_is_required(world, agree):
    countersign = _countersigns(world.open())[0]
    with pytest.raises(Invalid):
        world.sign(countersign, agree=agree, opinion="  ")
    countersign.refresh_from_db()
    assert countersign.state == CountersignState.PENDING
    assert countersign.opinion == ""


def test_the_director_decides_only_after_an_agreed_round(world):
    with pytest.raises(Invalid, match="会签"):
        call_decide(call=world.call, by=world.director)
    countersign_round = world.open()
    with pytest.raises(Invalid):
        call_decide(call=world.call, by=world.director)
    world.sign(_countersigns(countersign_round)[0], agree=False, opinion="不同意。")
    with pytest.raises(Invalid):
        call_decide(call=world.call, by=world.director)
    world.call.refresh_from_db()
    assert world.call.state == CallState.PUBLICITY
    agreed_countersign(world.call)
    decided = call_decide(call=world.call, by=world.director)
    assert decided.state == CallState.DECIDED
    assert AuditEvent.objects.filter(action="call.decide").count() == 1
