"""会签 pages: the office opens a round; each member department's approver signs it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AssignmentFactory, DepartmentFactory, member
from tests.portal.helpers import english, logged_in
from tests.workflow.publicity_helpers import NOTICE_START, call_in_notice, other_office_staff
from workflow.choices import Role
from workflow.models import Membership
from workflow.models.countersign import (
    Countersign,
    CountersignRound,
    CountersignRoundState,
    CountersignState,
)
from workflow.services.countersign import countersign_open

pytestmark = pytest.mark.django_db

INBOX = reverse("portal:countersign_inbox")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOTICE_START, tick=False) as traveller:
        yield traveller


class Setup:
    def __init__(self):
        self.notice = call_in_notice()
        self.call = self.notice.call
        self.departments = [DepartmentFactory(office=self.call.office) for _n in range(2)]
        self.approvers = [member(Role.DEPARTMENT_APPROVER, d) for d in self.departments]


@pytest.fixture
def setup(_clock):
    made = Setup()
    # 公示 first: the countersign starts when the notice period is over.
    _clock.move_to(made.notice.publicity.ends_at + dt.timedelta(minutes=1))
    return made


@pytest.fixture
def opened(setup):
    setup.round = countersign_open(call=setup.call, by=setup.notice.staff)
    return setup


def office_url(call) -> str:
    return reverse("portal:office_countersign", args=[call.pk])


def open_url(call) -> str:
    return reverse("portal:office_countersign_open", args=[call.pk])


def sign_url(countersign) -> str:
    return reverse("portal:countersign_sign", args=[countersign.pk])


def countersign_of(setup, index: int) -> Countersign:
    return Countersign.objects.get(round=setup.round, department=setup.departments[index])


def test_call_detail_links_to_countersign(setup):
    response = logged_in(setup.notice.staff).get(
        reverse("portal:office_call_detail", args=[setup.call.pk])
    )
    assert office_url(setup.call) in response.content.decode()


def test_staff_opens_a_round_and_both_departments_agree(setup):
    staff = logged_in(setup.notice.staff)
    page = staff.get(office_url(setup.call))
    assert page.status_code == 200
    assert open_url(setup.call) in page.content.decode()
    response = staff.post(open_url(setup.call))
    assert response.status_code == 302
    countersign_round = CountersignRound.objects.get(call=setup.call)
    assert countersign_round.countersigns.count() == 2
    for index, approver in enumerate(setup.approvers):
        client = logged_in(approver)
        countersign = Countersign.objects.get(
            round=countersign_round, department=setup.departments[index]
        )
        inbox = client.get(INBOX)
        assert sign_url(countersign) in inbox.content.decode()
        assert "Countersign" in inbox.content.decode()  # the nav link
        response = client.post(sign_url(countersign), {"decision": "agree", "opinion": "同意。"})
        assert response.status_code == 302
        countersign.refresh_from_db()
        assert countersign.state == CountersignState.AGREED
    countersign_round.refresh_from_db()
    assert countersign_round.state == CountersignRoundState.AGREED
    page = staff.get(office_url(setup.call)).content.decode()
    assert open_url(setup.call) not in page


def test_sign_page_shows_proposal_without_experts(opened):
    assignment = AssignmentFactory(application=opened.notice.winner)
    response = logged_in(opened.approvers[0]).get(sign_url(countersign_of(opened, 0)))
    assert response.status_code == 200
    text = response.content.decode()
    assert opened.call.title in text
    assert opened.notice.winner.organisation.name in text
    assert opened.notice.winner.title in text
    assert opened.notice.runner_up.organisation.name not in text
    assert assignment.expert.name not in text


def test_disagreement_returns_round_and_office_sees_opinion(opened):
    opinion = "资金来源证明材料不足，请补充后再报。"
    response = logged_in(opened.approvers[1]).post(
        sign_url(countersign_of(opened, 1)), {"decision": "disagree", "opinion": opinion}
    )
    assert response.status_code == 302
    opened.round.refresh_from_db()
    assert opened.round.state == CountersignRoundState.RETURNED
    assert countersign_of(opened, 0).state == CountersignState.PENDING
    page = logged_in(opened.notice.staff).get(office_url(opened.call)).content.decode()
    assert opinion in page
    assert "Returned to the office" in page
    assert open_url(opened.call) in page  # a new round may follow
    # The other department's countersign left the inbox with the closed round.
    inbox = logged_in(opened.approvers[0]).get(INBOX)
    assert list(inbox.context["countersigns"]) == []


def test_empty_opinion_is_a_form_error(opened):
    countersign = countersign_of(opened, 0)
    response = logged_in(opened.approvers[0]).post(
        sign_url(countersign), {"decision": "agree", "opinion": "  "}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["opinion"]
    countersign.refresh_from_db()
    assert countersign.state == CountersignState.PENDING
    assert countersign.opinion == ""
    opened.round.refresh_from_db()
    assert opened.round.state == CountersignRoundState.OPEN


def test_sign_page_refusals(opened):
    countersign = countersign_of(opened, 0)
    url = sign_url(countersign)
    assert logged_in(opened.approvers[1]).get(url).status_code == 404
    assert (
        logged_in(opened.approvers[1])
        .post(url, {"decision": "agree", "opinion": "同意。"})
        .status_code
        == 404
    )
    assert logged_in(opened.notice.staff).get(url).status_code == 403
    assert logged_in(opened.notice.applicant).get(url).status_code == 403
    response = Client().get(url)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    countersign.refresh_from_db()
    assert countersign.state == CountersignState.PENDING


def test_inbox_refusals_and_scope(opened):
    other = member(Role.DEPARTMENT_APPROVER, DepartmentFactory())
    response = logged_in(other).get(INBOX)
    assert response.status_code == 200
    assert list(response.context["countersigns"]) == []
    assert logged_in(opened.notice.staff).get(INBOX).status_code == 403
    assert logged_in(opened.notice.applicant).get(INBOX).status_code == 403
    response = Client().get(INBOX)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_office_pages_refusals(setup):
    for url, method in ((office_url(setup.call), "get"), (open_url(setup.call), "post")):
        assert getattr(logged_in(other_office_staff()), method)(url).status_code == 404
        assert getattr(logged_in(setup.approvers[0]), method)(url).status_code == 403
        assert getattr(logged_in(setup.notice.applicant), method)(url).status_code == 403
        response = getattr(english(Client()), method)(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
    assert not CountersignRound.objects.exists()


def test_director_may_see_the_rounds(opened):
    response = logged_in(opened.notice.director).get(office_url(opened.call))
    assert response.status_code == 200


def test_inbox_queries_do_not_grow_with_rows(_clock):
    """Two pending countersigns, then six: the inbox runs the same number of queries."""
    setups = [Setup() for _n in range(6)]
    _clock.move_to(setups[-1].notice.publicity.ends_at + dt.timedelta(minutes=1))
    approver = setups[0].approvers[0]
    for extra in setups[1:]:
        Membership.objects.create(
            user=approver, role=Role.DEPARTMENT_APPROVER, department=extra.departments[0]
        )
    for first in setups[:2]:
        countersign_open(call=first.call, by=first.notice.staff)
    client = logged_in(approver)
    client.get(INBOX)
    with CaptureQueriesContext(connection) as two:
        response = client.get(INBOX)
    assert len(response.context["countersigns"]) == 2
    for extra in setups[2:]:
        countersign_open(call=extra.call, by=extra.notice.staff)
    with CaptureQueriesContext(connection) as six:
        response = client.get(INBOX)
    assert len(response.context["countersigns"]) == 6
    assert len(six.captured_queries) == len(two.captured_queries)
