"""Fixtures for the background jobs: a way to run the worker, and kinds made for the tests."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from jobs import registry
from jobs.registry import JobKind, Outcome
from workflow.errors import Invalid, NotPermitted


def run_worker() -> None:
    """What `manage.py run_jobs --once` does beside the server: run until the queue is empty."""
    call_command("run_jobs", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115


def _allowed(user, params):
    if params.get("refuse"):
        raise NotPermitted("You may not do this.")


def _run(job, progress):
    mode = job.params.get("mode", "ok")
    for done in range(3):
        progress(done, 3)
    if mode == "crash":
        raise RuntimeError("secret internal detail: table xyz exploded")
    if mode == "invalid":
        raise Invalid("The sheet has no experts in it.", ["Row 2: no name"])
    return Outcome(content=b"hello", filename="result.txt", message="All good.")


@pytest.fixture
def test_kind():
    """A kind `test` that succeeds, crashes or is refused as its params say."""
    kind = registry.register(JobKind("test", "Test operation", _allowed, _run))
    yield kind
    registry.KINDS.pop("test", None)
