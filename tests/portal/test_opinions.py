"""意见记录 on the pages (sign page, office countersign page, office application page) and as a
PDF with the Chinese text intact, for the call's office and supervisors only."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import (
    OfficeFactory,
    OrganisationFactory,
    complete_application,
    member,
    published_call,
)
from tests.factories_approval import CountersignCall
from tests.portal.helpers import logged_in, text
from workflow.choices import Role
from workflow.services.applications import application_return, application_submit

pytestmark = pytest.mark.django_db

DISAGREE = "资金来源证明材料不足，请补充后再报。"
AGREE = "同意，建议加强对实训设备采购的监管。"


@pytest.fixture
def signed():
    setup = CountersignCall(departments=2)
    setup.open()
    setup.sign(0, agree=False, opinion=DISAGREE)
    setup.open()
    setup.sign(1, opinion=AGREE)
    return setup


def pdf_url(call) -> str:
    return reverse("portal:opinion_record_pdf", args=[call.pk])


def pdf_text(response) -> str:
    reader = PdfReader(io.BytesIO(response.content))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def squeeze(value: str) -> str:
    return "".join(value.split())


@pytest.mark.parametrize("who", ["staff", "director", "supervisor", "other_supervisor"])
def test_the_pdf_holds_the_chinese_opinions(signed, who):
    user = {
        "staff": lambda: signed.staff,
        "director": lambda: signed.director,
        "supervisor": lambda: member(Role.SUPERVISOR, signed.call.office),
        "other_supervisor": lambda: member(Role.SUPERVISOR, OfficeFactory()),
    }[who]()
    response = logged_in(user, lang=None).get(pdf_url(signed.call))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    content = pdf_text(response)
    for expected in (
        signed.call.title,
        signed.call.office.name,
        DISAGREE,
        AGREE,
        signed.departments[0].name,
        signed.departments[1].name,
        signed.approvers[0].username,
    ):
        assert squeeze(expected) in content
    assert content.index(squeeze(DISAGREE)) < content.index(squeeze(AGREE))


def test_the_pdf_of_a_call_without_opinions():
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    response = logged_in(staff).get(pdf_url(call))
    assert response.status_code == 200
    content = pdf_text(response)
    assert squeeze(call.title) in content
    assert "Nowrittenopinionhasbeenrecorded." in content


def test_pdf_refusals(signed):
    url = pdf_url(signed.call)
    assert logged_in(member(Role.OFFICE_STAFF, OfficeFactory())).get(url).status_code == 404
    assert logged_in(member(Role.OFFICE_DIRECTOR, OfficeFactory())).get(url).status_code == 404
    assert logged_in(signed.approvers[0]).get(url).status_code == 403
    applicant = member(Role.APPLICANT, OrganisationFactory())
    assert logged_in(applicant).get(url).status_code == 403
    response = Client().get(url)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    missing = reverse("portal:opinion_record_pdf", args=[99999])
    assert logged_in(signed.staff).get(missing).status_code == 404


def test_the_sign_page_shows_the_calls_opinions(signed):
    url = reverse("portal:countersign_sign", args=[signed.countersign(0).pk])
    page = text(logged_in(signed.approvers[0]).get(url))
    assert "Opinion history" in page
    assert DISAGREE in page and AGREE in page
    assert pdf_url(signed.call) not in page  # the record is the office's


def test_the_office_countersign_page_shows_the_opinions_and_the_pdf(signed):
    page = text(
        logged_in(signed.staff).get(reverse("portal:office_countersign", args=[signed.call.pk]))
    )
    assert "Opinion history" in page
    assert pdf_url(signed.call) in page
    assert page.count(DISAGREE) == 2  # in the round's table and in the history


def test_the_office_application_page_shows_its_opinions():
    application = complete_application()
    staff = member(Role.OFFICE_STAFF, application.call.office)
    applicant = member(Role.APPLICANT, application.organisation)
    application_submit(application=application, by=applicant)
    application_return(application=application, by=staff, reason="请补充资金来源证明。")
    url = reverse("portal:office_application_detail", args=[application.pk])
    response = logged_in(staff).get(url)
    assert response.status_code == 200
    page = text(response)
    assert "Opinion history" in page
    assert "Returned for correction" in page
    assert page.count("请补充资金来源证明。") >= 2  # the opinion history and the event history


def test_the_office_countersign_page_queries_do_not_grow_with_opinions():
    setup = CountersignCall(departments=2)
    client = logged_in(setup.staff)
    url = reverse("portal:office_countersign", args=[setup.call.pk])
    setup.open()
    setup.sign(0, agree=False, opinion="不同意。")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _round in range(3):
        setup.open()
        setup.sign(0, agree=False, opinion="仍不同意。")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["opinions"]) == 4
    assert len(many.captured_queries) == len(few.captured_queries)
