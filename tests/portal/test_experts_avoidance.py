"""Avoidance requests through the portal: the applicant files, the call's office decides, and
everyone else is turned away (403 for the wrong role, 404 for another unit's objects)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    ExpertFactory,
    OfficeFactory,
    complete_application,
    force_state,
    member,
)
from tests.portal.helpers import audit_count, logged_in, text
from workflow.choices import ApplicationState, AvoidanceRequestState, Role
from workflow.models import AvoidanceRequest
from workflow.services.applications import application_submit
from workflow.services.avoidance import avoidance_request_file

pytestmark = pytest.mark.django_db

PENDING, ACCEPTED, REFUSED = (
    AvoidanceRequestState.PENDING,
    AvoidanceRequestState.ACCEPTED,
    AvoidanceRequestState.REFUSED,
)


@pytest.fixture
def experts(db):
    return ExpertFactory.create_batch(4)


@pytest.fixture
def pending(submitted, applicant, experts):
    return avoidance_request_file(
        application=submitted, expert=experts[0], reason="曾为我单位顾问", by=applicant
    )


def page_url(application) -> str:
    return reverse("portal:avoidance_requests", args=[application.pk])


def decide_urls(request) -> dict[str, str]:
    return {
        "accept": reverse("portal:office_avoidance_accept", args=[request.pk]),
        "refuse": reverse("portal:office_avoidance_refuse", args=[request.pk]),
    }


def post_request(client, application, expert, reason="与我单位存在合作关系"):
    return client.post(page_url(application), {"avoid-expert": expert.pk, "avoid-reason": reason})


# The applicant ---------------------------------------------------------------------------------


def test_applicant_files_three_and_the_fourth_is_refused(applicant_client, submitted, experts):
    page = applicant_client.get(page_url(submitted))
    assert page.status_code == 200
    assert experts[0].name in text(page)  # the pool's names are offered

    for expert in experts[:3]:
        response = post_request(applicant_client, submitted, expert)
        assert response.status_code == 302
    assert submitted.avoidance_requests.count() == 3
    page = applicant_client.get(page_url(submitted))
    assert page.context["form"] is None
    assert "the most allowed" in text(page)

    response = post_request(applicant_client, submitted, experts[3])
    assert response.status_code == 200
    assert "at most 3 experts" in text(response)
    assert submitted.avoidance_requests.count() == 3


def test_the_form_checks_its_input(applicant_client, submitted, experts):
    response = post_request(applicant_client, submitted, experts[0], reason="   ")
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    response = applicant_client.post(
        page_url(submitted), {"avoid-expert": "99999", "avoid-reason": "理由"}
    )
    assert response.context["form"].errors["expert"]
    inactive = ExpertFactory(active=False)
    response = post_request(applicant_client, submitted, inactive)
    assert response.context["form"].errors["expert"]
    assert not AvoidanceRequest.objects.exists()


def test_before_submission_there_is_no_form_and_a_post_is_refused(applicant_client, draft, experts):
    page = applicant_client.get(page_url(draft))
    assert page.status_code == 200 and page.context["form"] is None
    response = post_request(applicant_client, draft, experts[0])
    assert response.status_code == 302
    assert not AvoidanceRequest.objects.exists()


def test_applicant_sees_the_refusal_reason(applicant_client, pending, staff):
    staff_client = logged_in(staff)
    staff_client.post(decide_urls(pending)["refuse"], {f"decide-{pending.pk}-reason": "理由不足"})
    page = text(applicant_client.get(page_url(pending.application)))
    assert "理由不足" in page
    assert "Refused" in page


def test_another_organisation_gets_404(stranger_client, submitted, experts):
    assert stranger_client.get(page_url(submitted)).status_code == 404
    assert post_request(stranger_client, submitted, experts[0]).status_code == 404
    assert not AvoidanceRequest.objects.exists()


def test_office_staff_and_experts_get_403_on_the_applicant_page(staff, submitted, experts):
    for user in (staff, experts[0].user):
        client = logged_in(user)
        assert client.get(page_url(submitted)).status_code == 403
        assert post_request(client, submitted, experts[1]).status_code == 403
    assert not AvoidanceRequest.objects.exists()


# The office ------------------------------------------------------------------------------------


def test_staff_of_the_calls_office_accept_and_refuse(staff_client, submitted, applicant, experts):
    first, second = (
        avoidance_request_file(application=submitted, expert=e, reason="理由", by=applicant)
        for e in experts[:2]
    )
    listing = staff_client.get(reverse("portal:office_avoidance_list"))
    assert listing.status_code == 200
    assert [r.pk for r in listing.context["requests"]] == [first.pk, second.pk]
    assert decide_urls(first)["accept"] in text(listing)

    response = staff_client.post(decide_urls(first)["accept"])
    assert response.status_code == 302
    response = staff_client.post(
        decide_urls(second)["refuse"], {f"decide-{second.pk}-reason": "无利害关系"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (ACCEPTED, REFUSED)

    assert list(staff_client.get(reverse("portal:office_avoidance_list")).context["requests"]) == []
    shown = staff_client.get(reverse("portal:office_avoidance_list"), {"state": "all"})
    assert "无利害关系" in text(shown)


def test_refusal_without_a_reason_is_refused(staff_client, pending):
    before = audit_count()
    response = staff_client.post(decide_urls(pending)["refuse"], follow=True)
    assert "Give the reason." in text(response)
    pending.refresh_from_db()
    assert pending.state == PENDING
    assert audit_count() == before


def refusal_twins(pending, applicant, experts):
    return {
        "applicant": (logged_in(applicant), 403),
        "expert": (logged_in(experts[1].user), 403),
        "other office staff": (logged_in(member(Role.OFFICE_STAFF, OfficeFactory())), 404),
        "anonymous": (Client(), 302),
    }


def test_refusal_twins_cannot_decide(pending, applicant, experts):
    before = audit_count()
    for who, (client, status) in refusal_twins(pending, applicant, experts).items():
        for url in decide_urls(pending).values():
            response = client.post(url, {f"decide-{pending.pk}-reason": "越权"})
            assert response.status_code == status, (who, url)
            if status == 302:
                assert response["Location"].startswith(reverse("login"))
        listing = client.get(reverse("portal:office_avoidance_list"))
        if who == "other office staff":
            assert list(listing.context["requests"]) == []
        else:
            assert listing.status_code == status, who
    pending.refresh_from_db()
    assert pending.state == PENDING
    assert audit_count() == before


def test_a_director_sees_the_request_but_cannot_decide(pending, office):
    client = logged_in(member(Role.OFFICE_DIRECTOR, office))
    listing = client.get(reverse("portal:office_avoidance_list"))
    assert [r.pk for r in listing.context["requests"]] == [pending.pk]
    assert decide_urls(pending)["accept"] not in text(listing)
    response = client.post(decide_urls(pending)["accept"], follow=True)
    assert "Only staff of the office" in text(response)
    pending.refresh_from_db()
    assert pending.state == PENDING


def test_no_decision_once_review_started(staff_client, pending):
    force_state(pending.application, ApplicationState.UNDER_REVIEW)
    response = staff_client.post(decide_urls(pending)["accept"], follow=True)
    assert "can no longer be decided" in text(response)
    pending.refresh_from_db()
    assert pending.state == PENDING


def test_office_list_costs_the_same_for_2_and_6_requests(staff_client, call):
    def add(n):
        for _ in range(n):
            application = complete_application(call=call)
            applicant = member(Role.APPLICANT, application.organisation)
            application_submit(application=application, by=applicant)
            avoidance_request_file(
                application=application, expert=ExpertFactory(), reason="理由", by=applicant
            )

    url = reverse("portal:office_avoidance_list") + "?state=all"

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = staff_client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.context["requests"])

    add(2)
    small, n = queries()
    assert n == 2
    add(4)
    assert queries() == (small, 6)
