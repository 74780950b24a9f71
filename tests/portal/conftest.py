"""Fixtures for the portal: one office with a published call, one applicant organisation.

Clients that read messages ask for English: the msgids are English and stay stable when the
Chinese catalogue arrives, while Chinese is what a client gets by default.
"""

from __future__ import annotations

import pytest

from tests.factories import OrganisationFactory, complete_application, member, published_call
from tests.portal.helpers import logged_in
from workflow.choices import Role
from workflow.services.applications import application_submit


@pytest.fixture
def call(db):
    return published_call()


@pytest.fixture
def office(call):
    return call.office


@pytest.fixture
def staff(office):
    return member(Role.OFFICE_STAFF, office)


@pytest.fixture
def organisation(db):
    return OrganisationFactory()


@pytest.fixture
def applicant(organisation):
    return member(Role.APPLICANT, organisation)


@pytest.fixture
def applicant_client(applicant):
    return logged_in(applicant)


@pytest.fixture
def staff_client(staff):
    return logged_in(staff)


@pytest.fixture
def draft(call, organisation):
    """A complete draft of `organisation` to `call`, ready to submit."""
    return complete_application(call=call, organisation=organisation)


@pytest.fixture
def submitted(draft, applicant):
    return application_submit(application=draft, by=applicant)


@pytest.fixture
def stranger(db):
    """An applicant of another organisation."""
    return member(Role.APPLICANT, OrganisationFactory())


@pytest.fixture
def stranger_client(stranger):
    return logged_in(stranger)
