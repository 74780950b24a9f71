"""申报登记表: the office's Excel register of a call's applications."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import OfficeFactory, OrganisationFactory, complete_application, member
from tests.portal.helpers import logged_in
from workflow.choices import Role
from workflow.services.applications import application_submit

pytestmark = pytest.mark.django_db


def test_the_register_lists_submitted_applications_not_drafts():
    submitted = complete_application()
    call = submitted.call
    application_submit(application=submitted, by=member(Role.APPLICANT, submitted.organisation))
    draft = complete_application(call=call, organisation=OrganisationFactory())
    response = logged_in(member(Role.OFFICE_STAFF, call.office)).get(
        reverse("portal:office_register_export", args=[call.pk])
    )
    assert response.status_code == 200
    assert "-register-" in response["Content-Disposition"]
    rows = [
        [c for c in row if c is not None]
        for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    ]
    names = {cell for row in rows for cell in row if isinstance(cell, str)}
    assert submitted.organisation.name in names
    assert draft.organisation.name not in names


@pytest.mark.parametrize(
    "who",
    [
        lambda call: member(Role.OFFICE_STAFF, OfficeFactory()),
        lambda call: member(Role.APPLICANT, OrganisationFactory()),
    ],
    ids=["other office", "applicant"],
)
def test_the_register_is_refused_to_others(who):
    application = complete_application()
    response = logged_in(who(application.call)).get(
        reverse("portal:office_register_export", args=[application.call.pk])
    )
    assert response.status_code in (403, 404)
