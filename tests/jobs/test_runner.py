"""The worker: claims the oldest job, runs it, records progress, ends it done or failed."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import connection, transaction
from django.utils import timezone

from jobs import services
from jobs.models import Job, JobState
from jobs.services import (
    ProgressReporter,
    job_claim,
    job_enqueue,
    job_run,
    jobs_fail_abandoned,
)
from tests.factories import UserFactory
from tests.jobs.conftest import run_worker
from workflow.errors import Conflict, Invalid, NotPermitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory()


def enqueue(owner, **params):
    return job_enqueue(kind="test", by=owner, params=params, language="en")


def test_the_worker_runs_the_queue_oldest_first_and_stops_when_empty(test_kind, owner):
    first, second = enqueue(owner), enqueue(owner)
    assert job_claim().pk == first.pk
    assert job_claim().pk == second.pk
    assert job_claim() is None


def test_run_once_completes_a_job(test_kind, owner):
    job = enqueue(owner)
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at
    assert job.result_name == "result.txt" and job.message == "All good."
    assert job.result.read() == b"hello"
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert job.result.name.startswith("jobs/")


def test_a_job_that_crashes_fails_with_a_generic_message(test_kind, owner, caplog):
    job = enqueue(owner, mode="crash")
    with caplog.at_level(logging.ERROR, logger="jobs.services"):
        run_worker()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "unexpected error" in job.error
    assert "secret internal detail" not in job.error and "Traceback" not in job.error
    assert not job.result
    # The traceback is in the log, for the administrator.
    assert "secret internal detail" in caplog.text


def test_a_refusal_of_the_domain_is_shown_as_it_is(test_kind, owner):
    job = enqueue(owner, mode="invalid")
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error == "The sheet has no experts in it."
    assert job.report == {"problems": ["Row 2: no name"]}


def test_the_kind_checks_permission_when_queued(test_kind, owner):
    with pytest.raises(NotPermitted):
        enqueue(owner, refuse=True)
    assert not Job.objects.exists()


def test_the_kind_checks_permission_again_when_run(test_kind, owner):
    job = enqueue(owner)
    Job.objects.filter(pk=job.pk).update(params={"refuse": True})  # the role was lost since
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error == "You may not do this."
    assert not job.result


def test_an_unknown_kind_is_refused_when_queued_and_fails_when_run(owner):
    with pytest.raises(Invalid):
        job_enqueue(kind="nope", by=owner)
    job = Job.objects.create(kind="nope", owner=owner, language="en")
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "unexpected error" in job.error


def test_one_person_may_not_queue_without_limit(test_kind, owner):
    for _ in range(services.MAX_ACTIVE_PER_USER):
        enqueue(owner)
    with pytest.raises(Conflict):
        enqueue(owner)
    assert Job.objects.count() == services.MAX_ACTIVE_PER_USER
    enqueue(UserFactory())  # others are not affected


def test_progress_is_written_while_the_job_runs(test_kind, owner, monkeypatch):
    seen = []

    def run(job, progress):
        def now():
            return Job.objects.values_list("progress_done", "progress_total").get(pk=job.pk)

        progress(20, 1000)
        seen.append(now())
        progress(21, 1000)  # the same percent, too soon after the last write: kept for later
        seen.append(now())
        progress(35, 1000)  # the percentage moved
        seen.append(now())
        return services.registry.Outcome()

    kind = services.registry.JobKind("test", "T", lambda user, params: None, run)
    monkeypatch.setitem(services.registry.KINDS, "test", kind)
    job = enqueue(owner)
    run_worker()
    assert seen == [(20, 1000), (20, 1000), (35, 1000)]
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.progress_done == job.progress_total


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL writes it at once")
def test_progress_inside_the_jobs_own_transaction_waits_on_sqlite(test_kind, owner):
    enqueue(owner)
    job = job_claim()
    reporter = ProgressReporter(job)
    with transaction.atomic():
        reporter(4, 10)
        # SQLite's one writer lock is the job's: the value waits for the transaction's end.
        assert Job.objects.get(pk=job.pk).progress_done == 0
        assert reporter.latest == (4, 10)
    reporter.flush()
    assert Job.objects.get(pk=job.pk).progress_done == 4
    reporter.close()


def test_progress_values_are_clamped(test_kind, owner):
    enqueue(owner)
    job = job_claim()
    reporter = ProgressReporter(job)
    reporter(99, 10)
    assert Job.objects.values_list("progress_done", "progress_total").get(pk=job.pk) == (10, 10)
    reporter(-5, 10)
    reporter.flush()
    assert Job.objects.get(pk=job.pk).progress_done == 0


def test_a_job_abandoned_by_a_killed_worker_is_failed(test_kind, owner):
    enqueue(owner)
    job = job_claim()
    fresh = enqueue(owner)
    long_ago = timezone.now() - services.ABANDONED_AFTER - dt.timedelta(minutes=1)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=long_ago)
    assert jobs_fail_abandoned() == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "interrupted" in job.error
    # A recent running job is left alone, and the queue still runs.
    run_worker()
    assert Job.objects.get(pk=fresh.pk).state == JobState.DONE


def test_a_job_ended_meanwhile_keeps_that_verdict(test_kind, owner):
    enqueue(owner)
    job = job_claim()
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - services.ABANDONED_AFTER * 2)
    jobs_fail_abandoned()
    ended = job_run(job)  # the old worker comes back and finishes
    assert ended.state == JobState.FAILED
    assert "interrupted" in ended.error
