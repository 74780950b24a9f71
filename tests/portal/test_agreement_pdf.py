"""揭榜任务书 as a PDF: correct Chinese text, for those who may read the agreement."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import OrganisationFactory, member
from tests.factories_landing import drafted_agreement, landing_parties, load_wucheng_rules
from tests.portal.helpers import logged_in
from workflow.choices import Role
from workflow.services.landing import agreement_send

pytestmark = pytest.mark.django_db


def text_of(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_sent_agreement_reads_in_chinese_for_the_organisation_and_the_office():
    load_wucheng_rules()
    application, staff, applicant = landing_parties()
    agreement = drafted_agreement(application, staff)
    url = reverse("portal:agreement_pdf", args=[application.pk])
    assert logged_in(applicant).get(url).status_code == 404  # a draft is the office's
    agreement_send(agreement=agreement, by=staff)
    for user in (applicant, staff):
        response = logged_in(user).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        text = text_of(response.content).replace(" ", "")
        assert "揭榜任务书" in text and application.organisation.name in text
        assert "完成实训车间装修" in text  # a milestone
    stranger = member(Role.APPLICANT, OrganisationFactory())
    assert logged_in(stranger).get(url).status_code == 404
