"""会签 (every department must agree) versus 或签 (one department's agreement suffices): the pure
rule, the services, and the mode kept on the round it was opened with."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.factories import OrganisationFactory, force_state, member
from tests.factories_approval import CountersignCall
from workflow.choices import CallState, CountersignMode, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import AuditEvent
from workflow.models.countersign import CountersignRoundState, CountersignState
from workflow.rules.countersign import RoundOutcome, round_outcome
from workflow.services.calls import call_decide
from workflow.services.countersign import countersign_complete, countersign_set_mode

ALL, ANY = CountersignMode.ALL, CountersignMode.ANY
P, A, D = "pending", "agreed", "disagreed"
OPEN, AGREED, RETURNED = RoundOutcome.OPEN, RoundOutcome.AGREED, RoundOutcome.RETURNED


# The rule, without a database -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "states", "outcome"),
    [
        (ALL, [P, P, P], OPEN),
        (ALL, [A, P, P], OPEN),
        (ALL, [A, A, P], OPEN),
        (ALL, [A, A, A], AGREED),
        (ALL, [A, D, P], RETURNED),
        (ALL, [D, P, P], RETURNED),
        (ALL, [A], AGREED),
        (ALL, [D], RETURNED),
        (ANY, [P, P, P], OPEN),
        (ANY, [A, P, P], AGREED),
        (ANY, [D, A, P], AGREED),
        (ANY, [D, P, P], OPEN),
        (ANY, [D, D, P], OPEN),
        (ANY, [D, D, D], RETURNED),
        (ANY, [A], AGREED),
        (ANY, [D], RETURNED),
        (ALL, [], OPEN),
        (ANY, [], OPEN),
    ],
)
def test_round_outcome(mode, states, outcome):
    assert round_outcome(mode, states) == outcome
    assert round_outcome(mode, iter(states)) == outcome  # any iterable


def test_round_outcome_refuses_an_unknown_mode():
    with pytest.raises(ValueError):
        round_outcome("majority", [A])


def test_outcomes_are_round_states():
    assert {o.value for o in RoundOutcome} == set(CountersignRoundState.values)


# Through the services -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_default_is_joint_countersigning():
    setup = CountersignCall()
    assert setup.call.countersign_mode == ALL
    assert setup.open().mode == ALL
    event = AuditEvent.objects.get(action="countersignround.open")
    assert event.diff["mode"] == ALL


@pytest.mark.django_db
def test_joint_one_disagreement_returns_the_round():
    setup = CountersignCall(mode=ALL)
    setup.open()
    setup.sign(0)
    setup.sign(1, agree=False, opinion="资金来源证明不足，不同意。")
    assert setup.round_state() == CountersignRoundState.RETURNED
    assert setup.states() == [CountersignState.AGREED, CountersignState.DISAGREED, P]
    with pytest.raises(Conflict):
        setup.sign(2)
    assert not countersign_complete(setup.call)


@pytest.mark.django_db
def test_joint_the_last_agreement_closes_the_round():
    setup = CountersignCall(mode=ALL)
    setup.open()
    setup.sign(2)
    setup.sign(0)
    assert setup.round_state() == CountersignRoundState.OPEN
    setup.sign(1)
    assert setup.round_state() == CountersignRoundState.AGREED
    assert countersign_complete(setup.call)


@pytest.mark.django_db
def test_alternative_the_first_agreement_closes_the_round_others_stay_pending():
    setup = CountersignCall(mode=ANY)
    countersign_round = setup.open()
    assert countersign_round.mode == ANY
    setup.sign(1, opinion="同意，由本单位牵头。")
    assert setup.round_state() == CountersignRoundState.AGREED
    assert setup.round.closed_at is not None
    assert setup.states() == [P, CountersignState.AGREED, P]
    assert countersign_complete(setup.call)
    # The round takes no more opinions.
    with pytest.raises(Conflict):
        setup.sign(0)
    with pytest.raises(Conflict):
        setup.sign(2, agree=False, opinion="不同意。")
    assert setup.states() == [P, CountersignState.AGREED, P]
    event = AuditEvent.objects.get(action="countersignround.agree")
    assert event.diff["department"] == setup.departments[1].pk


@pytest.mark.django_db
def test_alternative_disagreements_are_recorded_and_an_agreement_still_closes_it():
    setup = CountersignCall(mode=ANY)
    setup.open()
    setup.sign(0, agree=False, opinion="不同意：预算偏高。")
    setup.sign(2, agree=False, opinion="不同意。")
    assert setup.round_state() == CountersignRoundState.OPEN
    assert AuditEvent.objects.filter(action="countersign.disagree").count() == 2
    assert not AuditEvent.objects.filter(action__startswith="countersignround.return").exists()
    assert not countersign_complete(setup.call)
    setup.sign(1)
    assert setup.round_state() == CountersignRoundState.AGREED
    assert countersign_complete(setup.call)


@pytest.mark.django_db
def test_alternative_returns_only_when_every_department_disagreed():
    setup = CountersignCall(mode=ANY)
    setup.open()
    for index in range(3):
        assert setup.round_state() == CountersignRoundState.OPEN
        setup.sign(index, agree=False, opinion=f"不同意{index}。")
    assert setup.round_state() == CountersignRoundState.RETURNED
    assert setup.states() == [CountersignState.DISAGREED] * 3
    assert AuditEvent.objects.filter(action="countersignround.return_to_office").count() == 1


@pytest.mark.django_db
def test_director_decides_after_an_alternative_agreement():
    setup = CountersignCall(mode=ANY)
    setup.open()
    with pytest.raises(Invalid):
        call_decide(call=setup.call, by=setup.director)
    setup.sign(0)
    assert call_decide(call=setup.call, by=setup.director).state == CallState.DECIDED


@pytest.mark.django_db
def test_an_open_round_keeps_its_mode_and_the_mode_changes_only_between_rounds():
    setup = CountersignCall(mode=ALL)
    first = setup.open()
    with pytest.raises(Conflict):
        setup.set_mode(ANY)
    setup.call.refresh_from_db()
    assert setup.call.countersign_mode == ALL
    # Changing the call behind the service's back does not alter the open round either.
    type(setup.call).objects.filter(pk=setup.call.pk).update(countersign_mode=ANY)
    setup.sign(0)
    assert setup.round_state() == CountersignRoundState.OPEN  # still 会签
    setup.sign(1, agree=False, opinion="不同意。")
    assert setup.round_state() == CountersignRoundState.RETURNED
    type(setup.call).objects.filter(pk=setup.call.pk).update(countersign_mode=ALL)
    setup.call.refresh_from_db()
    # Between rounds the office switches to 或签; the next round follows it.
    setup.set_mode(ANY)
    second = setup.open()
    assert (first.mode, second.mode) == (ALL, ANY)
    setup.sign(2)
    assert setup.round_state() == CountersignRoundState.AGREED


@pytest.mark.django_db
def test_setting_the_mode_is_audited_as_a_call_edit():
    setup = CountersignCall()
    setup.set_mode(ANY)
    event = AuditEvent.objects.get(action="call.countersign_mode")
    assert event.diff == {"countersign_mode": {"old": ALL, "new": ANY}}
    assert event.role == Role.OFFICE_STAFF
    assert event.from_state == event.to_state == CallState.PUBLICITY
    setup.set_mode(ANY)  # no change, no event
    assert AuditEvent.objects.filter(action="call.countersign_mode").count() == 1


@pytest.mark.django_db
def test_setting_the_mode_refusals():
    setup = CountersignCall()
    with pytest.raises(Invalid):
        countersign_set_mode(call=setup.call, by=setup.staff, mode="majority")
    for user in (
        setup.director,
        setup.approvers[0],
        member(Role.APPLICANT, OrganisationFactory()),
        AnonymousUser(),
    ):
        with pytest.raises(NotPermitted):
            countersign_set_mode(call=setup.call, by=user, mode=ANY)
    force_state(setup.call, CallState.DECIDED)
    with pytest.raises(Conflict):
        countersign_set_mode(call=setup.call, by=setup.staff, mode=ANY)
    setup.call.refresh_from_db()
    assert setup.call.countersign_mode == ALL
    assert not AuditEvent.objects.filter(action="call.countersign_mode").exists()
