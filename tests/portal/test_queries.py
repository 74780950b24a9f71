"""List pages cost a constant number of queries, however many rows they show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import OrganisationFactory, complete_application, member, published_call
from tests.portal.helpers import logged_in
from workflow.choices import Role
from workflow.services.applications import application_submit

pytestmark = pytest.mark.django_db


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def add_submitted(office, n):
    for _ in range(n):
        application = complete_application(call=published_call(office=office))
        applicant = member(Role.APPLICANT, application.organisation)
        application_submit(application=application, by=applicant)


def test_office_queue_and_calls(office, staff):
    client = logged_in(staff)
    add_submitted(office, 2)
    small = {
        url: count_queries(client, url)
        for url in (reverse("portal:office_queue"), reverse("portal:office_call_list"))
    }
    add_submitted(office, 4)
    for url, queries in small.items():
        assert len(client.get(url).context["page"].object_list) >= 6
        assert count_queries(client, url) == queries, url


def test_office_call_detail(office, staff, call):
    client = logged_in(staff)

    def add(n):
        for _ in range(n):
            application = complete_application(call=call)
            application_submit(
                application=application, by=member(Role.APPLICANT, application.organisation)
            )

    url = reverse("portal:office_call_detail", args=[call.pk])
    add(2)
    small = count_queries(client, url)
    add(4)
    assert count_queries(client, url) == small


def test_applicant_list_and_home(organisation, applicant):
    client = logged_in(applicant)

    def add(n):
        for _ in range(n):
            complete_application(organisation=organisation)

    urls = (reverse("portal:application_list"), reverse("portal:home"))
    add(2)
    for url in urls:  # warm the per-process caches (content types) the home's task list uses
        client.get(url)
    small = {url: count_queries(client, url) for url in urls}
    add(4)
    assert len(client.get(urls[0]).context["applications"]) == 6
    for url, queries in small.items():
        assert count_queries(client, url) == queries, url


def test_public_call_list(client, db):
    for _ in range(2):
        published_call()
    url = reverse("portal:call_list")
    small = count_queries(client, url)
    for _ in range(4):
        published_call()
    assert count_queries(client, url) == small


def test_office_application_detail_with_many_attachments_and_events(
    staff_client, staff, applicant, submitted
):
    from tests.factories import pdf_upload
    from workflow.choices import AttachmentKind
    from workflow.services.applications import application_return, attachment_add

    url = reverse("portal:office_application_detail", args=[submitted.pk])
    small = count_queries(staff_client, url)
    application_return(application=submitted, by=staff, reason="请补充材料")
    for _ in range(3):
        attachment_add(
            application=submitted, kind=AttachmentKind.OTHER, upload=pdf_upload(), by=applicant
        )
    submitted.partners.add(OrganisationFactory(), OrganisationFactory())
    assert count_queries(staff_client, url) == small
