"""Every list page costs the same number of queries for 2 rows as for 10 (issue 6).

Each case builds rows visible to the requesting role, requests the page with 2 rows and again
with 10, and compares the counts (django.test.utils.CaptureQueriesContext). The rows are
counted on the page too, so that a builder that makes invisible rows cannot pass by accident.

Pages that already have such a test elsewhere, not repeated here:
  - portal:call_list, portal:application_list, portal:home (applicant), portal:office_queue,
    portal:office_call_list: tests/portal/test_queries.py
  - notifications:list (and the header badge on any page): tests/notifications/test_views.py
  - portal:expert_pool: tests/portal/test_experts_pool.py
  - portal:office_avoidance_list: tests/portal/test_experts_avoidance.py
  - portal:expert_assignment_list: tests/portal/test_scoring.py
  - portal:publicity_list, portal:office_objection_list: tests/portal/test_publicity.py
  - portal:countersign_inbox: tests/portal/test_countersign.py
  - portal:office_landing: tests/portal/test_landing.py
  - portal:office_acceptance_list, portal:award_list: tests/portal/test_award.py
  - portal:tolerance_list (supervisor): tests/portal/test_tolerance.py
  - the task inbox's selector (engine.inbox, not the page): tests/processes/test_selection_flow.py
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from processes import moves
from tests.factories import (
    DepartmentFactory,
    ExpertRelationFactory,
    InvitationFactory,
    OfficeFactory,
    ReviewExpertFactory,
    complete_application,
    force_state,
    member,
    published_call,
)
from tests.factories_aftercare import (
    awarded_project,
    open_review,
    project,
    published_review,
    tolerance_requested,
)
from tests.factories_approval import phrases_for
from tests.portal.helpers import english, logged_in
from tests.processes.helpers import open_task
from workflow.choices import InvitationState, Role
from workflow.services.applications import application_submit

pytestmark = pytest.mark.django_db

FEW, MANY = 2, 10


@dataclass
class World:
    """The requesting user (None: anonymous) and whatever the builder needs to add rows."""

    user: Any = None
    office: Any = None
    staff: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def client(self) -> Client:
        return english(Client()) if self.user is None else logged_in(self.user)


def office_world(role: Role = Role.OFFICE_STAFF) -> World:
    office = OfficeFactory()
    staff = member(Role.OFFICE_STAFF, office)
    user = staff if role == Role.OFFICE_STAFF else member(role, office)
    return World(user=user, office=office, staff=staff)


# Builders: add(world, n) adds n rows the world's user sees --------------------------------


def add_calls(w: World, n: int) -> None:
    for _ in range(n):
        published_call(office=w.office)


def add_submitted(w: World, n: int) -> None:
    for _ in range(n):
        application = complete_application(call=published_call(office=w.office))
        application_submit(
            application=application, by=member(Role.APPLICANT, application.organisation)
        )


def add_signatures(w: World, n: int) -> None:
    """Signatures asked of the user's department on the office's open tasks (加签)."""
    for _ in range(n):
        call = published_call(office=w.office)
        moves.signer_add(
            task=open_task(call, "close_window"),
            by=w.staff,
            position="before",
            department=w.extra["department"],
            reason="请先签署。",
        )


def add_sent(w: World, n: int) -> None:
    """Task agreements the user sent whose organisation has not answered yet (withdrawable)."""
    from django.db import transaction

    from processes import engine
    from tests.factories_landing import agreement_fields, approved_application, load_wucheng_rules
    from workflow.services import landing

    load_wucheng_rules()
    for _ in range(n):
        application = approved_application(call=published_call(office=w.office))
        with transaction.atomic():
            engine.sync(application)
        agreement = landing.agreement_draft(
            application=application, by=w.user, **agreement_fields()
        )
        landing.agreement_send(agreement=agreement, by=w.user)


def add_copies(w: World, n: int) -> None:
    for _ in range(n):
        call = published_call(office=w.office)
        moves.item_copy(
            task=open_task(call, "close_window"), by=w.staff, recipients=[w.user], note="请知悉"
        )


def add_delegations(w: World, n: int) -> None:
    """Delegations given by colleagues to the user and by the user to colleagues."""
    today = timezone.localdate()
    for k in range(n):
        colleague = member(Role.OFFICE_DIRECTOR, w.office)
        giver, taker = (colleague, w.user) if k % 2 else (w.user, colleague)
        moves.delegation_create(
            by=giver, delegate=taker, starts_on=today, ends_on=today + dt.timedelta(days=3)
        )


def add_invitations(w: World, n: int) -> None:
    for _ in range(n):
        force_state(InvitationFactory(expert=w.extra["expert"]), InvitationState.INVITED)


def add_published_reviews(w: World, n: int) -> None:
    for _ in range(n):
        published_review(awarded_project(), 2024)


_years = itertools.count(2024)


def add_office_reviews(w: World, n: int) -> None:
    """n awarded bases of the office, then a year opened: one review per base of the office."""
    made = [awarded_project(office=w.office, staff=w.staff) for _ in range(n)]
    open_review(made[-1], next(_years))


def add_tolerance_cases(w: World, n: int) -> None:
    for _ in range(n):
        tolerance_requested(project(office=w.office, staff=w.staff))


def add_phrases(w: World, n: int) -> None:
    start = len(w.extra.setdefault("phrases", []))
    w.extra["phrases"].extend(phrases_for(w.user, *(f"意见{start + k}。" for k in range(n))))


def add_experts(w: World, n: int) -> None:
    for _ in range(n):
        ExpertRelationFactory()


# Worlds -------------------------------------------------------------------------------------


def approver_world() -> World:
    w = office_world()
    department = DepartmentFactory(office=w.office)
    w.user = member(Role.DEPARTMENT_APPROVER, department)
    w.extra["department"] = department
    return w


def expert_world() -> World:
    expert = ReviewExpertFactory()
    return World(user=expert.user, extra={"expert": expert})


def ctx_len(key: str) -> Callable[[Any], int]:
    return lambda response: len(response.context[key])


@dataclass
class Case:
    url: str
    world: Callable[[], World]
    add: Callable[[World, int], None]
    rows: Callable[[Any], int] | None  # rows shown on the page, or None (not a table page)


CASES: dict[str, Any] = {
    "home (anonymous)": Case(
        "portal:home", World, lambda w, n: add_calls_anywhere(n), ctx_len("open_calls")
    ),
    "home (office staff)": Case(
        "portal:home", office_world, add_submitted, lambda r: r.context["waiting_count"]
    ),
    "my tasks: inbox": Case("portal:task_list", office_world, add_calls, ctx_len("rows")),
    "my tasks: signatures asked": Case(
        "portal:task_list", approver_world, add_signatures, ctx_len("signs")
    ),
    "my tasks: sent by me": Case("portal:task_list", office_world, add_sent, ctx_len("sent")),
    "copied to me": Case(
        "portal:copied_list",
        lambda: office_world(Role.OFFICE_DIRECTOR),
        add_copies,
        ctx_len("rows"),
    ),
    "absence delegations": Case(
        "portal:delegation_list",
        lambda: office_world(Role.OFFICE_DIRECTOR),
        add_delegations,
        lambda r: len(r.context["given"]) + len(r.context["received"]),
    ),
    "review invitations": Case(
        "portal:invitation_list", expert_world, add_invitations, ctx_len("invitations")
    ),
    "performance results (public)": Case(
        "portal:performance_results", World, add_published_reviews, ctx_len("reviews")
    ),
    "office performance list": Case(
        "portal:office_performance_list", office_world, add_office_reviews, ctx_len("reviews")
    ),
    "tolerance list (office staff)": Case(
        "portal:tolerance_list", office_world, add_tolerance_cases, None
    ),
    "my frequent opinions": Case(
        "portal:phrase_list", approver_world, add_phrases, ctx_len("phrases")
    ),
    "expert pool export": Case("portal:expert_pool_export", office_world, add_experts, None),
}


def add_calls_anywhere(n: int) -> None:
    for _ in range(n):
        published_call()


def count(client: Client, url: str) -> tuple[list[str], Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries], response


def grown(few: list[str], many: list[str]) -> list[str]:
    """The query shapes (numbers blanked) that ran more often with more rows."""
    shape = lambda sql: re.sub(r"\b\d+\b", "?", sql)[:300]  # noqa: E731
    a, b = Counter(map(shape, few)), Counter(map(shape, many))
    return [f"{b[k] - a[k]:+d} x {k}" for k in b if b[k] > a[k]]


def _params():
    for name, case in CASES.items():
        yield pytest.param(case, id=name)


@pytest.mark.parametrize("case", _params())
def test_list_page_queries_do_not_grow_with_rows(case: Case):
    world = case.world()
    client = world.client()
    url = reverse(case.url)
    case.add(world, FEW)
    client.get(url)  # warm up: session, content types, translations
    few, response = count(client, url)
    if case.rows is not None:
        assert case.rows(response) >= FEW
    case.add(world, MANY - FEW)
    many, response = count(client, url)
    if case.rows is not None:
        assert case.rows(response) >= MANY
    assert len(many) == len(few), (
        f"{len(few)} queries for {FEW} rows, {len(many)} for {MANY}; grown:\n"
        + "\n".join(grown(few, many))
    )
