"""会签 / 或签 through the pages: the office chooses the mode between rounds; department approvers
sign and the round follows the mode it was opened with."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import OfficeFactory, OrganisationFactory, member
from tests.factories_approval import CountersignCall
from tests.portal.helpers import logged_in, text
from workflow.choices import CountersignMode, Role
from workflow.models import AuditEvent
from workflow.models.countersign import CountersignRoundState, CountersignState

pytestmark = pytest.mark.django_db

ALL, ANY = CountersignMode.ALL, CountersignMode.ANY
JOINT = "Joint countersign: every department must agree"
ALTERNATIVE = "Alternative countersign: one department&#x27;s agreement suffices"


def office_url(call) -> str:
    return reverse("portal:office_countersign", args=[call.pk])


def mode_url(call) -> str:
    return reverse("portal:office_countersign_mode", args=[call.pk])


def sign_url(countersign) -> str:
    return reverse("portal:countersign_sign", args=[countersign.pk])


def post_sign(setup: CountersignCall, index: int, decision: str, opinion: str = "同意。"):
    return logged_in(setup.approvers[index]).post(
        sign_url(setup.countersign(index)), {"decision": decision, "opinion": opinion}
    )


def test_staff_choose_the_mode_on_the_office_page():
    setup = CountersignCall(departments=2)
    staff = logged_in(setup.staff)
    page = text(staff.get(office_url(setup.call)))
    assert mode_url(setup.call) in page
    assert JOINT in page
    response = staff.post(mode_url(setup.call), {"countersign_mode": ANY})
    assert response.status_code == 302
    setup.call.refresh_from_db()
    assert setup.call.countersign_mode == ANY
    page = text(staff.get(office_url(setup.call)))
    assert "Countersign mode: Alternative countersign" in page  # the success message
    assert ALTERNATIVE in page
    event = AuditEvent.objects.get(action="call.countersign_mode")
    assert event.actor == setup.staff


def test_the_mode_form_is_hidden_and_refused_while_a_round_is_open():
    setup = CountersignCall(departments=2)
    setup.open()
    staff = logged_in(setup.staff)
    assert mode_url(setup.call) not in text(staff.get(office_url(setup.call)))
    response = staff.post(mode_url(setup.call), {"countersign_mode": ANY}, follow=True)
    assert response.status_code == 200
    assert "the mode can be changed only between rounds" in text(response)
    setup.call.refresh_from_db()
    assert setup.call.countersign_mode == ALL


@pytest.mark.parametrize("value", ["majority", ""])
def test_a_bad_mode_is_a_form_error(value):
    setup = CountersignCall(departments=2)
    response = logged_in(setup.staff).post(mode_url(setup.call), {"countersign_mode": value})
    assert response.status_code == 200
    assert response.context["mode_form"].errors["countersign_mode"]
    setup.call.refresh_from_db()
    assert setup.call.countersign_mode == ALL


def test_mode_refusals():
    setup = CountersignCall(departments=2)
    url = mode_url(setup.call)
    director = logged_in(setup.director)
    assert url not in text(director.get(office_url(setup.call)))  # the director only looks
    response = director.post(url, {"countersign_mode": ANY}, follow=True)
    assert "Only staff of the office" in text(response)
    other_staff = member(Role.OFFICE_STAFF, OfficeFactory())
    assert logged_in(other_staff).post(url, {"countersign_mode": ANY}).status_code == 404
    assert logged_in(setup.approvers[0]).post(url, {"countersign_mode": ANY}).status_code == 403
    applicant = member(Role.APPLICANT, OrganisationFactory())
    assert logged_in(applicant).post(url, {"countersign_mode": ANY}).status_code == 403
    response = Client().post(url, {"countersign_mode": ANY})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert logged_in(setup.staff).get(url).status_code == 405
    setup.call.refresh_from_db()
    assert setup.call.countersign_mode == ALL
    assert not AuditEvent.objects.filter(action="call.countersign_mode").exists()


def test_joint_through_the_pages_one_disagreement_returns():
    setup = CountersignCall(departments=3, mode=ALL)
    setup.open()
    assert JOINT in text(logged_in(setup.approvers[0]).get(sign_url(setup.countersign(0))))
    assert post_sign(setup, 0, "agree").status_code == 302
    assert setup.round_state() == CountersignRoundState.OPEN
    assert post_sign(setup, 1, "disagree", "不同意。").status_code == 302
    assert setup.round_state() == CountersignRoundState.RETURNED
    # The third department can no longer sign: no form, and a post is refused with a message.
    page = logged_in(setup.approvers[2]).get(sign_url(setup.countersign(2)))
    assert page.context["can_sign"] is False
    response = logged_in(setup.approvers[2]).post(
        sign_url(setup.countersign(2)), {"decision": "agree", "opinion": "同意。"}, follow=True
    )
    assert response.status_code == 200
    assert "it takes no more opinions" in text(response)
    assert setup.states() == [CountersignState.AGREED, CountersignState.DISAGREED, "pending"]


def test_alternative_through_the_pages_first_agreement_closes():
    setup = CountersignCall(departments=3, mode=ANY)
    setup.open()
    page = text(logged_in(setup.approvers[0]).get(sign_url(setup.countersign(0))))
    assert ALTERNATIVE in page
    assert post_sign(setup, 0, "disagree", "不同意：预算偏高。").status_code == 302
    assert setup.round_state() == CountersignRoundState.OPEN
    page = logged_in(setup.approvers[1]).get(sign_url(setup.countersign(1)))
    assert page.context["can_sign"] is True
    assert post_sign(setup, 1, "agree", "同意。").status_code == 302
    assert setup.round_state() == CountersignRoundState.AGREED
    response = logged_in(setup.approvers[2]).post(
        sign_url(setup.countersign(2)), {"decision": "agree", "opinion": "同意。"}, follow=True
    )
    assert "it takes no more opinions" in text(response)
    assert setup.states() == [CountersignState.DISAGREED, CountersignState.AGREED, "pending"]
    # The office sees the round's mode and outcome.
    page = text(logged_in(setup.staff).get(office_url(setup.call)))
    assert ALTERNATIVE in page
    assert "不同意：预算偏高。" in page


def test_alternative_through_the_pages_all_disagree_returns():
    setup = CountersignCall(departments=2, mode=ANY)
    setup.open()
    post_sign(setup, 0, "disagree", "不同意。")
    assert setup.round_state() == CountersignRoundState.OPEN
    post_sign(setup, 1, "disagree", "不同意。")
    assert setup.round_state() == CountersignRoundState.RETURNED
    # A new round may follow, and the mode may be changed before it.
    staff = logged_in(setup.staff)
    assert mode_url(setup.call) in text(staff.get(office_url(setup.call)))
