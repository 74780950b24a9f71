"""The Job state machine: queued → running → done | failed, nothing else."""

from __future__ import annotations

import pytest
from django_fsm import TransitionNotAllowed

from jobs.models import Job, JobState
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def job():
    return Job.objects.create(kind="test", owner=UserFactory())


def test_a_job_starts_queued_and_runs_to_done(job):
    assert job.state == JobState.QUEUED and not job.finished
    job.start()
    job.save()
    assert job.state == JobState.RUNNING and not job.finished
    job.finish()
    job.save()
    assert Job.objects.get(pk=job.pk).state == JobState.DONE
    assert job.finished and job.percent == 100


@pytest.mark.parametrize("started", [False, True])
def test_a_job_may_fail_queued_or_running(job, started):
    if started:
        job.start()
    job.fail()
    job.save()
    assert Job.objects.get(pk=job.pk).state == JobState.FAILED


def test_wrong_transitions_are_refused(job):
    with pytest.raises(TransitionNotAllowed):
        job.finish()  # not started
    job.start()
    job.finish()
    for move in (job.start, job.fail, job.finish):
        with pytest.raises(TransitionNotAllowed):
            move()


def test_the_state_cannot_be_assigned(job):
    with pytest.raises(AttributeError):
        job.state = JobState.DONE


def test_percent_follows_progress(job):
    assert job.percent == 0
    job.progress_done, job.progress_total = 3, 4
    assert job.percent == 75
    job.progress_done = 9  # never beyond 100
    assert job.percent == 100
