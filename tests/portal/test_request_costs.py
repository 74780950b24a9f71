"""What the applicant's deadline requests cost in SQL queries (issue 7, benchmarks/crush.py).

The crush benchmark drives these five requests of the portal 300 times in two minutes: the
plan step (GET and POST), the upload, the confirmation page and the submission. Each is pinned
here to a query budget, so that a new N+1 or a read done twice shows up as a failing test
rather than as a slower benchmark; and each costs the same for an application with few
attachments, partners and funding lines as for one with many.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    OrganisationFactory,
    complete_application,
    member,
    pdf_upload,
    published_call,
)
from tests.portal.helpers import logged_in
from workflow.choices import ApplicationState, FundingSource, Role
from workflow.models import Application, ApplicationFunding, Attachment, AuditEvent

pytestmark = pytest.mark.django_db

# The budgets: what each request costs today (session, user, memberships, the application with
# its prefetches, the navigation, the audited write, and for the submission the flows and two
# notifications). Lower them when a request gets cheaper; never raise them to make room for a
# loop.
BUDGETS = {
    "step_form": 14,
    "edit": 20,
    "upload": 19,
    "confirm": 14,
    "submit": 39,
}


def _draft(extra_attachments: int = 0, partners: int = 0):
    """An applicant and a draft complete but for its first required attachment."""
    organisation = OrganisationFactory()
    user = member(Role.APPLICANT, organisation)
    call = published_call()
    application = complete_application(call=call, organisation=organisation)
    kind = call.required_attachments[0]
    Attachment.objects.filter(application=application, kind=kind).delete()
    other = call.required_attachments[-1]
    for i in range(extra_attachments):
        Attachment.objects.create(
            application=application,
            kind=other,
            file=pdf_upload(f"extra{i}.pdf"),
            original_name=f"extra{i}.pdf",
            size=100,
            sha256="0" * 64,
        )
    for _ in range(partners):
        application.partners.add(OrganisationFactory())
    if partners:
        for source in [s for s in FundingSource if s != FundingSource.SELF_RAISED]:
            ApplicationFunding.objects.create(
                application=application, source=source, amount=Decimal("10.00")
            )
    return user, application, kind


def _requests(application: Application, kind: str):
    step = reverse("portal:application_step", args=[application.pk, "plan"])
    return [
        ("step_form", "get", step, None),
        ("edit", "post", step, {"plan": "截止日前的最后修改。"}),
        (
            "upload",
            "post",
            reverse("portal:attachment_add", args=[application.pk]),
            {"attachment-kind": kind, "attachment-file": pdf_upload(), "from": "attachments"},
        ),
        ("confirm", "get", reverse("portal:application_confirm", args=[application.pk]), None),
        ("submit", "post", reverse("portal:application_submit", args=[application.pk]), {}),
    ]


def _costs(user, application: Application, kind: str) -> dict[str, int]:
    client = logged_in(user)
    client.get(reverse("portal:application_step", args=[application.pk, "overview"]))  # warm
    costs = {}
    for name, method, url, data in _requests(application, kind):
        with CaptureQueriesContext(connection) as ctx:
            response = getattr(client, method)(url, *([data] if data is not None else []))
        assert response.status_code == (302 if method == "post" else 200), name
        costs[name] = len(ctx)
    return costs


def test_the_deadline_requests_stay_within_their_query_budgets():
    user, application, kind = _draft()
    costs = _costs(user, application, kind)
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert application.plan == "截止日前的最后修改。"
    assert application.attachments.filter(kind=kind).exists()
    assert AuditEvent.objects.filter(action="application.submit", object_id=str(application.pk))
    over = {name: (costs[name], budget) for name, budget in BUDGETS.items() if costs[name] > budget}
    assert not over, f"over budget (queries, budget): {over}"


def test_the_deadline_requests_cost_the_same_for_a_larger_application():
    small = _costs(*_draft())
    large = _costs(*_draft(extra_attachments=5, partners=3))
    assert small == large


def test_the_application_is_read_with_one_query_for_the_memberships_it_needs():
    """applicant_applications narrows the visible applications to the user's own organisations
    inside the same SELECT, instead of asking for the organisation ids a second time."""
    user, application, _kind = _draft()
    client = logged_in(user)
    url = reverse("portal:application_confirm", args=[application.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    organisation_reads = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith('SELECT "workflow_membership"."organisation_id"')
    ]
    assert len(organisation_reads) == 2  # applicant_required, applications_visible_to


def test_another_organisations_application_is_still_not_found():
    user, _application, _kind = _draft()
    _other_user, other, kind = _draft()
    client = logged_in(user)
    for _name, method, url, data in _requests(other, kind):
        response = getattr(client, method)(url, *([data] if data is not None else []))
        assert response.status_code == 404
    other.refresh_from_db()
    assert other.state == ApplicationState.DRAFT
    assert other.plan != "截止日前的最后修改。"
    assert not other.attachments.filter(kind=kind).exists()


def test_the_submission_reads_its_recipients_before_taking_the_audit_head_lock():
    """From its audit event on, a decision holds the audit chain's head row (one row for the
    whole site) until it commits; every other decision waits for it. The submission does no
    reading of its own that it could have done before: the recipients are read first, the
    organisation comes with the locked application. (The flows still read the call under the
    lock: processes.selection.call_of.)"""
    user, application, kind = _draft()
    Attachment.objects.create(
        application=application,
        kind=kind,
        file=pdf_upload(),
        original_name="a.pdf",
        size=100,
        sha256="0" * 64,
    )
    client = logged_in(user)
    url = reverse("portal:application_submit", args=[application.pk])
    client.get(reverse("portal:application_confirm", args=[application.pk]))
    with CaptureQueriesContext(connection) as ctx:
        assert client.post(url).status_code == 302
    sql = [q["sql"] for q in ctx.captured_queries]
    head = next(i for i, q in enumerate(sql) if 'FROM "workflow_audithead"' in q)
    under_lock = sql[head:]
    assert not [q for q in under_lock if 'FROM "workflow_membership"' in q]
    assert not [q for q in under_lock if q.startswith('SELECT "workflow_organisation"."id"')]
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
