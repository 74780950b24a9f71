"""审计留痕 pages: the trail with filters and a constant number of queries, one event, the
chain check on demand, evidence bundles; supervisors only."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, OrganisationFactory, member
from tests.factories_aftercare import audit_event_about, project, tolerance_requested
from tests.portal.helpers import logged_in, text
from workflow import audit
from workflow.audit import ChainReport
from workflow.choices import Role
from workflow.models import AuditEvent

pytestmark = pytest.mark.django_db

LIST = reverse("portal:audit_list")
VERIFY = reverse("portal:audit_verify")


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def made():
    return project()


@pytest.fixture
def supervisor(made):
    return member(Role.SUPERVISOR, made.office)


def bundle_url(kind: str, pk: int) -> str:
    return reverse("portal:audit_evidence_bundle", kwargs={"kind": kind, "pk": pk})


def urls(made, case_pk: int, sequence: int) -> list[str]:
    return [
        LIST,
        reverse("portal:audit_detail", args=[sequence]),
        bundle_url("application", made.application.pk),
        bundle_url("case", case_pk),
    ]


def test_urls_are_the_documented_ones(made):
    assert LIST == "/audit/"
    assert reverse("portal:audit_detail", args=[7]) == "/audit/7/"
    assert bundle_url("application", 3) == "/audit/evidence/application/3.zip"
    assert bundle_url("case", 4) == "/audit/evidence/case/4.zip"


def test_only_supervisors_may_read(made):
    made, case = tolerance_requested(made)
    event = audit_event_about(made.application)
    refused = {
        "applicant": made.applicant,
        "office staff": made.staff,
        "office director": member(Role.OFFICE_DIRECTOR, made.office),
        "department approver": member(Role.DEPARTMENT_APPROVER, DepartmentFactory()),
        "other applicant": member(Role.APPLICANT, OrganisationFactory()),
    }
    for who, user in refused.items():
        client = logged_in(user)
        for url in urls(made, case.pk, event.sequence):
            assert client.get(url).status_code == 403, (who, url)
        assert client.post(VERIFY).status_code == 403, who

    anonymous = Client()
    for url in [*urls(made, case.pk, event.sequence), VERIFY]:
        response = anonymous.get(url) if url != VERIFY else anonymous.post(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"]

    client = logged_in(member(Role.SUPERVISOR, made.office))
    for url in urls(made, case.pk, event.sequence):
        assert client.get(url).status_code == 200, url


def test_list_newest_first_with_labels(made, supervisor):
    with transaction.atomic():
        audit.record(
            action="application.return_for_correction",
            obj=made.application,
            by=made.staff,
            role=Role.OFFICE_STAFF,
            from_state="submitted",
            to_state="returned",
            reason="缺少盖章页。",
        )
    audit_event_about(made.application, "application.update", by=made.applicant)

    response = logged_in(supervisor).get(LIST)

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r["sequence"] for r in rows] == sorted((r["sequence"] for r in rows), reverse=True)
    returned = next(r for r in rows if r["action"] == "application.return_for_correction")
    assert returned["action_label"] == "Returned for correction"
    assert returned["role_label"] == "Office staff"
    page = text(response)
    assert "缺少盖章页。" in page
    assert "Returned for correction" in page
    assert "submitted → returned" in page
    assert f"workflow.application:{made.application.pk}" in page


def test_query_count_does_not_grow_with_rows(made, supervisor):
    client = logged_in(supervisor)
    audit_event_about(made.application)
    client.get(LIST)  # warm the session and caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    few = count()
    for _ in range(30):
        audit_event_about(made.application, by=made.applicant)
    many = count()
    assert few == many
    # session, user, the supervisor check, count, page; the header: roles, expert, notifications
    assert many <= 8


def test_filters(made, supervisor):
    other = project()
    with transaction.atomic():
        audit.record(
            action="application.reject",
            obj=made.application,
            by=made.staff,
            role=Role.OFFICE_STAFF,
            reason="不符合申报条件：注册地不在本省。",
        )
    audit_event_about(other.application, "application.update", by=other.applicant)
    audit_event_about(made.application, "attachment.add", by=made.applicant)
    client = logged_in(supervisor)

    def sequences(**params) -> set[int]:
        response = client.get(LIST, params)
        assert response.status_code == 200
        return {r["sequence"] for r in response.context["rows"]}

    def expected(**lookups) -> set[int]:
        return set(AuditEvent.objects.filter(**lookups).values_list("sequence", flat=True))

    assert sequences(action="application.reject") == expected(action="application.reject")
    assert sequences(action="application.*") == expected(action__startswith="application.")
    assert sequences(action="attachment.*") == expected(action="attachment.add")
    assert sequences(object_type="application", object_id=str(other.application.pk)) == expected(
        object_type="workflow.application", object_id=str(other.application.pk)
    )
    assert sequences(actor=made.staff.username.upper()) == expected(actor=made.staff)
    assert sequences(q="注册地") == expected(action="application.reject")
    today = timezone.localdate()
    assert sequences(date_from=today.isoformat(), date_to=today.isoformat()) == expected()
    assert sequences(date_to=(today - dt.timedelta(days=1)).isoformat()) == set()
    assert sequences(date_from=(today + dt.timedelta(days=1)).isoformat()) == set()
    # A reversed range is an error on the form, and nothing is listed.
    response = client.get(LIST, {"date_from": "2026-02-02", "date_to": "2026-01-01"})
    assert response.status_code == 200 and response.context["form"].errors
    assert response.context["rows"] == []


def test_pagination_keeps_the_filters(made, supervisor):
    for _ in range(30):
        audit_event_about(made.application, by=made.applicant)
    client = logged_in(supervisor)
    response = client.get(LIST, {"action": "application.update", "page": 2})
    assert response.status_code == 200
    assert response.context["page"].number == 2
    assert "action=application.update&amp;page=1" in text(response)


def test_chain_verified_on_demand(made, supervisor):
    audit_event_about(made.application)
    client = logged_in(supervisor)
    assert "The chain has not been verified yet." in text(client.get(LIST))

    response = client.post(VERIFY, {"query": "action=application.update"})

    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?action=application.update"
    page = text(client.get(LIST))
    head = AuditEvent.objects.order_by("-sequence").first()
    assert f"OK: all {head.sequence} events verified" in page
    assert head.hash in page
    assert client.get(VERIFY).status_code == 405


def test_a_broken_chain_is_shown(made, supervisor, monkeypatch):
    monkeypatch.setattr(
        "portal.views.audit.verify_database",
        lambda: ChainReport(4, 5, "content does not match its hash"),
    )
    client = logged_in(supervisor)
    client.post(VERIFY)
    page = text(client.get(LIST))
    assert "The chain is broken at event #5." in page
    assert "content does not match its hash" in page


def test_detail_shows_diff_and_hashes(made, supervisor):
    with transaction.atomic():
        event = audit.record(
            action="application.update",
            obj=made.application,
            by=made.applicant,
            role=Role.APPLICANT,
            diff={"title": {"old": "旧标题", "new": "新标题"}},
        )
    client = logged_in(supervisor)
    response = client.get(reverse("portal:audit_detail", args=[event.sequence]))
    assert response.status_code == 200
    page = text(response)
    assert event.hash in page and event.prev_hash in page
    assert response.context["hash_matches"] and response.context["link_matches"]
    assert json.loads(response.context["diff_json"]) == event.diff
    assert "&quot;新标题&quot;" in page
    assert "matches its content" in page
    assert client.get(reverse("portal:audit_detail", args=[event.sequence + 99])).status_code == 404


def test_bundles_download(made, supervisor):
    made, case = tolerance_requested(made)
    client = logged_in(supervisor, lang=None)
    for kind, pk in (("application", made.application.pk), ("case", case.pk)):
        response = client.get(bundle_url(kind, pk))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert f'filename="evidence-{kind}-{pk}.zip"' in response["Content-Disposition"]
        content = b"".join(response.streaming_content)
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            events = json.loads(archive.read("events.json"))
        assert {"events.json", "manifest.json", "summary.pdf", "verify.py"} <= names
        assert any(e["action"] == "tolerancecase.request" for e in events)
    assert client.get(bundle_url("application", 999999)).status_code == 404
    assert client.get(bundle_url("case", 999999)).status_code == 404
    assert client.get("/audit/evidence/call/1.zip").status_code == 404
