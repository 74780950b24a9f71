"""The progress page, the list of one's own jobs and the result download: owner only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs.models import Job
from jobs.services import job_enqueue
from tests.factories import OfficeFactory, UserFactory, member
from tests.jobs.conftest import run_worker
from tests.portal.helpers import logged_in, text
from workflow.choices import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return member(Role.OFFICE_STAFF, OfficeFactory())


@pytest.fixture
def job(test_kind, owner):
    return job_enqueue(kind="test", by=owner, language="en")


def urls(job):
    return [
        reverse("portal:job_detail", args=[job.pk]),
        reverse("portal:job_download", args=[job.pk]),
    ]


def test_the_owner_follows_the_job_to_its_download(job, owner):
    client = logged_in(owner)
    page = text(client.get(reverse("portal:job_detail", args=[job.pk])))
    assert "Waiting to start" in page and "Test operation" in page
    assert 'hx-trigger="every 1s"' in page
    assert reverse("portal:job_detail", args=[job.pk]) in page  # the Refresh link
    assert "http-equiv" not in page  # no meta refresh (CSP)
    assert client.get(reverse("portal:job_download", args=[job.pk])).status_code == 404  # yet

    run_worker()
    page = text(client.get(reverse("portal:job_detail", args=[job.pk])))
    assert "Finished" in page and "All good." in page
    assert reverse("portal:job_download", args=[job.pk]) in page
    assert "every 1s" not in page
    response = client.get(reverse("portal:job_download", args=[job.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"
    assert "attachment" in response["Content-Disposition"]
    assert "result.txt" in response["Content-Disposition"]


def test_htmx_polls_a_fragment_and_is_told_to_stop_when_finished(job, owner):
    client = logged_in(owner)
    url = reverse("portal:job_detail", args=[job.pk])
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in text(response) and "<progress" in text(response)
    Job.objects.filter(pk=job.pk).update(progress_done=0, progress_total=0)
    run_worker()
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 286
    assert "every 1s" not in text(response) and "Download" in text(response)


def test_running_progress_is_shown(job, owner):
    from jobs.services import job_claim

    job_claim()
    Job.objects.filter(pk=job.pk).update(progress_done=3, progress_total=4)
    page = text(logged_in(owner).get(reverse("portal:job_detail", args=[job.pk])))
    assert 'value="75"' in page and "75% done" in page and "3 of 4" in page


def test_a_failed_job_shows_a_plain_message_and_no_traceback(test_kind, owner):
    job = job_enqueue(kind="test", by=owner, params={"mode": "crash"}, language="en")
    run_worker()
    response = logged_in(owner).get(reverse("portal:job_detail", args=[job.pk]))
    page = text(response)
    assert response.status_code == 200
    assert "Failed" in page and "unexpected error" in page
    assert "secret internal detail" not in page and "Traceback" not in page
    assert "RuntimeError" not in page


@pytest.mark.parametrize(
    "who",
    ["another user", "staff of the same office", "staff of another office", "superuser"],
)
def test_nobody_else_sees_a_job_or_its_result(job, owner, who):
    run_worker()
    office = owner.memberships.get().office
    user = {
        "another user": UserFactory,
        "staff of the same office": lambda: member(Role.OFFICE_STAFF, office),
        "staff of another office": lambda: member(Role.OFFICE_STAFF, OfficeFactory()),
        "superuser": lambda: UserFactory(is_superuser=True, is_staff=True),
    }[who]()
    client = logged_in(user)
    for url in urls(job):
        assert client.get(url).status_code == 404, url
    assert "Test operation" not in text(client.get(reverse("portal:job_list")))


def test_anonymous_is_sent_to_login(job):
    run_worker()
    for url in [*urls(job), reverse("portal:job_list")]:
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_an_unknown_job_is_404(owner):
    assert logged_in(owner).get(reverse("portal:job_detail", args=[99999])).status_code == 404


def test_the_list_shows_only_ones_own_jobs(test_kind, owner):
    mine = job_enqueue(kind="test", by=owner, language="en")
    other = job_enqueue(kind="test", by=UserFactory(), language="en")
    page = text(logged_in(owner).get(reverse("portal:job_list")))
    assert reverse("portal:job_detail", args=[mine.pk]) in page
    assert reverse("portal:job_detail", args=[other.pk]) not in page


def _make_jobs(owner, n):
    for i in range(n):
        job = Job.objects.create(kind="test", owner=owner, language="en")
        if i % 2:
            job.start()
            job.finish()
            job.result_name = "result.txt"
            job.result.name = "jobs/x.txt"
            job.save()


def test_the_list_costs_the_same_for_2_and_10_jobs(test_kind, owner):
    client = logged_in(owner)
    counts = []
    for n in (2, 10):
        Job.objects.all().delete()
        _make_jobs(owner, n)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("portal:job_list"))
        assert response.status_code == 200
        assert text(response).count('href="/jobs/') >= n
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_list_is_paginated(test_kind, owner):
    _make_jobs(owner, 30)
    response = logged_in(owner).get(reverse("portal:job_list"))
    assert len(response.context["rows"]) == 25
    assert response.context["page"].has_next()
    assert logged_in(owner).get(reverse("portal:job_list") + "?page=x").status_code == 200


def test_the_job_list_is_linked_from_the_pool_page(owner):
    page = text(logged_in(owner).get(reverse("portal:expert_pool")))
    assert reverse("portal:job_list") in page
