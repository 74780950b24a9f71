"""Every call transition from every state, by the right and the wrong roles."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from tests.factories import (
    CallFactory,
    OfficeFactory,
    OrganisationFactory,
    agreed_countersign,
    complete_application,
    force_state,
    member,
)
from workflow.choices import ApplicationState, Role
from workflow.choices import CallState as S
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import AuditEvent, Call
from workflow.services import calls as svc


@dataclass(frozen=True)
class Step:
    service: Any
    actor: str
    sources: tuple[S, ...]
    target: S
    kwargs: dict = field(default_factory=dict)
    after_close: bool = False


STEPS = {
    "publish": Step(svc.call_publish, "staff", (S.DRAFT,), S.PUBLISHED),
    "close": Step(svc.call_close, "staff", (S.PUBLISHED,), S.CLOSED, after_close=True),
    "start_review": Step(svc.call_start_review, "staff", (S.CLOSED,), S.UNDER_REVIEW),
    "start_publicity": Step(svc.call_start_publicity, "staff", (S.UNDER_REVIEW,), S.PUBLICITY),
    "decide": Step(svc.call_decide, "director", (S.PUBLICITY,), S.DECIDED),
    "archive": Step(svc.call_archive, "staff", (S.DECIDED,), S.ARCHIVED),
    "cancel": Step(
        svc.call_cancel, "staff", (S.DRAFT, S.PUBLISHED), S.CANCELLED, {"reason": "政策调整"}
    ),
}
ACTORS = ["applicant", "staff", "other_staff", "director", "supervisor"]


@pytest.fixture
def world(db):
    call = CallFactory()
    other = OfficeFactory()
    users = {
        "applicant": member(Role.APPLICANT, OrganisationFactory()),
        "staff": member(Role.OFFICE_STAFF, call.office),
        "other_staff": member(Role.OFFICE_STAFF, other),
        "director": member(Role.OFFICE_DIRECTOR, call.office),
        "supervisor": member(Role.SUPERVISOR, other),
    }
    return call, users


def _run(step: Step, call: Call, user):
    if step.after_close:
        with time_machine.travel(call.closes_at + dt.timedelta(minutes=1)):
            return step.service(call=call, by=user, **step.kwargs)
    return step.service(call=call, by=user, **step.kwargs)


CASES = [(name, state) for name, step in STEPS.items() for state in S]


@pytest.mark.parametrize(("name", "state"), CASES, ids=[f"{n}-from-{s}" for n, s in CASES])
def test_transition_from_every_state(world, name, state):
    call, users = world
    step = STEPS[name]
    force_state(call, state)
    if name == "decide":
        # The director decides only after the member departments have countersigned.
        force_state(call, S.PUBLICITY)
        agreed_countersign(call)
        force_state(call, state)
    before = AuditEvent.objects.count()
    if state in step.sources:
        result = _run(step, call, users[step.actor])
        assert Call.objects.get(pk=call.pk).state == result.state == step.target
        event = AuditEvent.objects.latest("sequence")
        assert (event.action, event.from_state, event.to_state) == (
            f"call.{name}",
            state,
            step.target,
        )
        assert event.role == ("office_director" if step.actor == "director" else "office_staff")
    else:
        with pytest.raises(Conflict):
            _run(step, call, users[step.actor])
        assert Call.objects.get(pk=call.pk).state == state
        assert AuditEvent.objects.count() == before


WRONG = [(name, who) for name, step in STEPS.items() for who in ACTORS if who != step.actor]


@pytest.mark.parametrize(("name", "who"), WRONG, ids=[f"{n}-by-{w}" for n, w in WRONG])
def test_wrong_role_is_refused(world, name, who):
    call, users = world
    step = STEPS[name]
    force_state(call, step.sources[0])
    with pytest.raises(NotPermitted):
        _run(step, call, users[who])
    assert Call.objects.get(pk=call.pk).state == step.sources[0]
    assert not AuditEvent.objects.filter(action=f"call.{name}").exists()


def test_close_is_refused_before_the_window_ends(world):
    call, users = world
    force_state(call, S.PUBLISHED)
    with pytest.raises(Invalid):
        svc.call_close(call=call, by=users["staff"])
    assert Call.objects.get(pk=call.pk).state == S.PUBLISHED


def test_publish_refuses_a_past_window_and_empty_choices(world):
    call, users = world
    Call.objects.filter(pk=call.pk).update(
        closes_at=timezone.now() - dt.timedelta(hours=1),
        opens_at=timezone.now() - dt.timedelta(days=2),
        allowed_modes=[],
    )
    call.refresh_from_db()
    with pytest.raises(Invalid) as excinfo:
        svc.call_publish(call=call, by=users["staff"])
    assert len(excinfo.value.problems) == 2
    assert Call.objects.get(pk=call.pk).state == S.DRAFT


def test_start_review_waits_for_formal_checks_then_moves_accepted_applications(db):
    application = complete_application()
    call = application.call
    staff = member(Role.OFFICE_STAFF, call.office)
    applicant = member(Role.APPLICANT, application.organisation)
    from workflow.services.applications import application_accept, application_submit

    application_submit(application=application, by=applicant)
    force_state(call, S.CLOSED)
    with pytest.raises(Invalid):
        svc.call_start_review(call=call, by=staff)
    application_accept(application=application, by=staff)
    svc.call_start_review(call=call, by=staff)
    application.refresh_from_db()
    assert application.state == ApplicationState.UNDER_REVIEW
    assert AuditEvent.objects.filter(action="application.start_review").count() == 1


def test_cancel_needs_a_reason(world):
    call, users = world
    with pytest.raises(Invalid):
        svc.call_cancel(call=call, by=users["staff"], reason=" ")
    assert Call.objects.get(pk=call.pk).state == S.DRAFT


def test_start_review_waits_for_undecided_avoidance_requests(db):
    from tests.factories import make_expert
    from workflow.services.applications import application_accept, application_submit
    from workflow.services.avoidance import avoidance_request_accept, avoidance_request_file

    application = complete_application()
    call = application.call
    staff = member(Role.OFFICE_STAFF, call.office)
    applicant = member(Role.APPLICANT, application.organisation)
    application_submit(application=application, by=applicant)
    application_accept(application=application, by=staff)
    request = avoidance_request_file(
        application=application, expert=make_expert(), reason="曾有竞争关系", by=applicant
    )
    force_state(call, S.CLOSED)
    with pytest.raises(Invalid):
        svc.call_start_review(call=call, by=staff)
    avoidance_request_accept(request=request, by=staff)
    svc.call_start_review(call=call, by=staff)
    assert Call.objects.get(pk=call.pk).state == S.UNDER_REVIEW
