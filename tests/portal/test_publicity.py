"""The public notice page, the public objection form, and the office's answers."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AssignmentFactory, pdf_upload
from tests.portal.helpers import english, logged_in
from tests.workflow.publicity_helpers import (
    FACTS,
    NOTICE_START,
    call_in_notice,
    other_office_staff,
    person_objection,
)
from workflow.choices import ApplicationState
from workflow.models import Objection
from workflow.models.publicity import ObjectionState

pytestmark = pytest.mark.django_db

LIST = reverse("portal:publicity_list")
OFFICE_LIST = reverse("portal:office_objection_list")


@pytest.fixture(autouse=True)
def _during_notice():
    with time_machine.travel(NOTICE_START, tick=False):
        yield


@pytest.fixture
def notice():
    return call_in_notice()


def object_url(application) -> str:
    return reverse("portal:objection_create", args=[application.pk])


def test_public_page_shows_winners_without_scores_or_experts(notice):
    assignment = AssignmentFactory(application=notice.winner)
    response = english(Client()).get(LIST)
    assert response.status_code == 200
    text = response.content.decode()
    assert notice.call.title in text
    assert notice.winner.organisation.name in text
    assert notice.winner.title in text
    assert object_url(notice.winner) in text
    assert notice.runner_up.organisation.name not in text
    assert assignment.expert.name not in text
    assert "score" not in text.lower()


def test_public_page_queries_do_not_grow_with_rows(notice):
    client = english(Client())
    client.get(LIST)
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    call_in_notice()
    call_in_notice()
    with CaptureQueriesContext(connection) as three:
        response = client.get(LIST)
    assert len(response.context["calls"]) == 3
    assert len(three.captured_queries) == len(one.captured_queries)


def test_anyone_may_object_with_name_and_contact(notice):
    response = english(Client()).post(
        object_url(notice.winner),
        {"objector_kind": "person", "person_name": "赵六", "phone": "13912345678", "facts": FACTS},
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.application == notice.winner
    assert objection.person_name == "赵六"


def test_an_organisation_uploads_its_sealed_letter(notice):
    response = english(Client()).post(
        object_url(notice.winner),
        {
            "objector_kind": "organisation",
            "organisation_name": "某某职业学院",
            "letter": pdf_upload("异议函.pdf"),
            "facts": FACTS,
        },
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.letter_name == "异议函.pdf"
    objection.letter.delete(save=False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"objector_kind": "person", "facts": FACTS}, "Anonymous objections are not accepted"),
        (
            {"objector_kind": "person", "person_name": "赵六", "phone": "139", "facts": "有问题"},
            "Objections without concrete facts are not accepted",
        ),
        (
            {"objector_kind": "organisation", "organisation_name": "某某学院", "facts": FACTS},
            "official seal",
        ),
        (
            {
                "objector_kind": "organisation",
                "organisation_name": "某某学院",
                "facts": FACTS,
                "letter": pdf_upload("letter.pdf", b"plain text"),
            },
            "not a PDF",
        ),
    ],
)
def test_refused_objections_show_why_and_store_nothing(notice, data, message):
    response = english(Client()).post(object_url(notice.winner), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Objection.objects.exists()


def test_objection_form_needs_csrf(notice):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        object_url(notice.winner),
        {"objector_kind": "person", "person_name": "赵六", "phone": "13912345678", "facts": FACTS},
    )
    assert response.status_code == 403
    assert not Objection.objects.exists()


def test_no_objection_form_for_non_winners(notice):
    assert Client().get(object_url(notice.runner_up)).status_code == 404


def test_no_objection_after_the_notice(notice):
    with time_machine.travel(notice.publicity.ends_at.timestamp() + 1, tick=False):
        assert Client().get(object_url(notice.winner)).status_code == 404
        assert notice.call.title not in Client().get(LIST).content.decode()


# --- The office ---------------------------------------------------------------------------------


@pytest.fixture
def objection(notice):
    return person_objection(notice.winner)


def test_office_lists_and_dismisses_its_objections(notice, objection):
    client = logged_in(notice.staff)
    page = client.get(OFFICE_LIST)
    assert page.status_code == 200
    assert FACTS in page.content.decode()
    response = client.post(
        reverse("portal:office_objection_answer", args=[objection.pk]),
        {"decision": "dismiss", "answer": "经核查，异议不成立。"},
    )
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.state == ObjectionState.DISMISSED


def test_office_upholds_with_an_outcome(notice, objection):
    logged_in(notice.staff).post(
        reverse("portal:office_objection_answer", args=[objection.pk]),
        {"decision": "uphold", "outcome": "re_review", "answer": "异议成立。"},
    )
    objection.refresh_from_db()
    assert (objection.state, objection.outcome) == (ObjectionState.UPHELD, "re_review")
    notice.winner.refresh_from_db()
    assert notice.winner.state == ApplicationState.SHORTLISTED


def test_other_office_neither_sees_nor_answers(notice, objection):
    client = logged_in(other_office_staff())
    assert FACTS not in client.get(OFFICE_LIST).content.decode()
    response = client.post(
        reverse("portal:office_objection_answer", args=[objection.pk]),
        {"decision": "dismiss", "answer": "不成立。"},
    )
    assert response.status_code == 404
    objection.refresh_from_db()
    assert objection.state == ObjectionState.RECEIVED


def test_applicant_and_anonymous_may_not_answer(notice, objection):
    url = reverse("portal:office_objection_answer", args=[objection.pk])
    data = {"decision": "dismiss", "answer": "不成立。"}
    assert logged_in(notice.applicant).post(url, data).status_code == 403
    assert logged_in(notice.applicant).get(OFFICE_LIST).status_code == 403
    anonymous = Client().post(url, data)
    assert anonymous.status_code == 302 and "login" in anonymous.url
    objection.refresh_from_db()
    assert objection.state == ObjectionState.RECEIVED


def test_office_list_queries_do_not_grow_with_rows(notice, objection):
    client = logged_in(notice.staff)
    client.get(OFFICE_LIST)
    with CaptureQueriesContext(connection) as one:
        client.get(OFFICE_LIST)
    person_objection(notice.winner, person_name="钱七")
    with CaptureQueriesContext(connection) as two:
        response = client.get(OFFICE_LIST)
    assert len(response.context["objections"]) == 2
    assert len(two.captured_queries) == len(one.captured_queries)
