"""On PostgreSQL, progress reported inside the job's own transaction is visible to the
progress page (another connection) before that transaction commits, and two workers never
claim the same job."""

from __future__ import annotations

import threading

import pytest
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections, transaction

from jobs.models import Job, JobState
from jobs.services import ProgressReporter, job_claim
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def read_elsewhere(pk: int) -> tuple[int, int]:
    """What the progress page, on its own connection, reads."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute(
                f"SELECT progress_done, progress_total FROM {Job._meta.db_table} WHERE id = %s",
                [pk],
            )
            return tuple(cursor.fetchone())
    finally:
        other.close()


def test_progress_inside_the_jobs_transaction_is_seen_at_once():
    Job.objects.create(kind="test", owner=UserFactory())
    job = job_claim()
    reporter = ProgressReporter(job)
    try:
        with transaction.atomic():  # the job's own work, e.g. the import's writes
            reporter(7, 10)
            assert read_elsewhere(job.pk) == (7, 10)
            reporter(10, 10)
            assert read_elsewhere(job.pk) == (10, 10)
    finally:
        reporter.close()


def test_two_workers_never_claim_the_same_job():
    owner = UserFactory()
    for _ in range(6):
        Job.objects.create(kind="test", owner=owner)
    claimed: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(3)

    def worker():
        try:
            barrier.wait()
            while (job := job_claim()) is not None:
                with lock:
                    claimed.append(job.pk)
        finally:
            close_old_connections()
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(Job.objects.values_list("pk", flat=True))
    assert len(set(claimed)) == len(claimed) == 6
    assert not Job.objects.exclude(state=JobState.RUNNING).exists()
