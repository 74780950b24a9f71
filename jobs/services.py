"""The one write path of jobs: queue one, claim the oldest, run it, fail the abandoned.

A job's own work writes through the domain services it calls (they lock, check and audit);
these functions only move the Job row. Progress is written outside the job's work so the
progress page sees it while the work is still running (see ProgressReporter).
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from jobs import registry
from jobs.models import Job, JobState
from workflow.errors import Conflict, DomainError, Invalid

logger = logging.getLogger(__name__)

# One person may have this many operations waiting or running at once.
MAX_ACTIVE_PER_USER = 5
# A running job that has given no sign of life for this long was abandoned by a killed worker:
# it is marked failed (not requeued; see docs/decisions/0013-background-jobs.md).
ABANDONED_AFTER = timedelta(minutes=30)
PROGRESS_INTERVAL = 0.5  # seconds between two progress writes


def generic_error() -> str:
    return _(
        "The operation stopped because of an unexpected error. Nothing was lost: start it again, "
        "and if it fails again, tell the system administrator."
    )


def abandoned_error() -> str:
    return _("The operation was interrupted before it finished. Please start it again.")


def job_enqueue(
    *,
    kind: str,
    by: Any,
    params: dict[str, Any] | None = None,
    upload: bytes | None = None,
    language: str | None = None,
) -> Job:
    """Queue a job for `by`, after the kind's permission check. Runs in the caller's
    transaction: the job exists only if the request commits."""
    spec = registry.get(kind)
    if spec is None:
        raise Invalid(_("Unknown operation."))
    params = dict(params or {})
    spec.check(by, params)
    active = Job.objects.filter(owner=by, state__in=(JobState.QUEUED, JobState.RUNNING))
    if active.count() >= MAX_ACTIVE_PER_USER:
        raise Conflict(
            _("You already have %(count)d operations waiting or running; wait until one finishes.")
            % {"count": MAX_ACTIVE_PER_USER}
        )
    job = Job(
        kind=kind,
        owner=by,
        params=params,
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
    )
    if upload is not None:
        job.upload.save(f"{uuid.uuid4().hex}.bin", ContentFile(upload), save=False)
    with transaction.atomic():
        job.save()
    return job


def job_claim() -> Job | None:
    """Take the oldest queued job and mark it running. On PostgreSQL two workers skip each
    other's locked rows; SQLite serialises writers, and the conditional UPDATE of
    ConcurrentTransitionMixin stops a second claim of the same row anyway."""
    with transaction.atomic():
        queued = Job.objects.filter(state=JobState.QUEUED).order_by("created_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            # of=("self",): lock the job row only. With the owner joined in, FOR UPDATE also
            # locked the owner's user row, so a second worker skipped every job of that owner
            # and found "nothing queued" (a flaky test of two workers caught it).
            queued = queued.select_for_update(skip_locked=True, of=("self",))
        job = queued.select_related("owner").first()
        if job is None:
            return None
        job.start()
        job.started_at = job.heartbeat_at = timezone.now()
        job.save(update_fields=["state", "started_at", "heartbeat_at"])
    return job


class ProgressReporter:
    """`progress(done, total)` for a job's work, written when the percentage moves or every
    PROGRESS_INTERVAL, not more often.

    Outside the job's own transactions the row is updated on the worker's connection, which
    commits at once. Inside one (e.g. the import writes all its rows in one transaction) the
    update would only show at commit: PostgreSQL writes it on a second connection; SQLite
    cannot (its single writer lock is held by the job), so the latest value waits for the next
    call outside the transaction, or the end of the job.
    """

    def __init__(self, job: Job) -> None:
        self.job_pk = job.pk
        self.depth = len(connection.atomic_blocks)  # tests run inside a transaction already
        self.latest: tuple[int, int] | None = None
        self.last_write = 0.0
        self.last_percent = -1
        self.side: Any = None

    def __call__(self, done: int, total: int) -> None:
        total = max(int(total), 0)
        done = min(max(int(done), 0), total)
        self.latest = (done, total)
        percent = done * 100 // total if total else 0
        # At most one write per percent or per interval, whichever comes first.
        if (
            done < total
            and percent == self.last_percent
            and time.monotonic() - self.last_write < PROGRESS_INTERVAL
        ):
            return
        self.last_percent = percent
        self.flush()

    def flush(self) -> None:
        if self.latest is None:
            return
        done, total = self.latest
        now = timezone.now()
        if len(connection.atomic_blocks) <= self.depth:
            Job.objects.filter(pk=self.job_pk, state=JobState.RUNNING).update(
                progress_done=done, progress_total=total, heartbeat_at=now
            )
        elif connection.vendor != "sqlite":
            if self.side is None:
                self.side = connections.create_connection(DEFAULT_DB_ALIAS)
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {Job._meta.db_table} SET progress_done = %s, progress_total = %s, "
                    "heartbeat_at = %s WHERE id = %s AND state = %s",
                    [done, total, now, self.job_pk, JobState.RUNNING.value],
                )
        else:
            return
        self.latest = None
        self.last_write = time.monotonic()

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def _error_text(exc: DomainError) -> tuple[str, list[str]]:
    return exc.message, list(exc.problems)


def _end(job: Job, *, error: str = "", problems: list[str] | None = None, outcome=None) -> Job:
    """Mark a running job done (with its outcome) or failed (with a message for the user)."""
    if outcome is not None and outcome.content is not None:
        suffix = PurePosixPath(outcome.filename).suffix or ".bin"
        job.result.save(f"{uuid.uuid4().hex}{suffix}", ContentFile(outcome.content), save=False)
    with transaction.atomic():
        current = Job.objects.select_for_update().get(pk=job.pk)
        current.finished_at = timezone.now()
        if outcome is not None:
            current.finish()
            current.result = job.result.name or ""
            current.result_name = outcome.filename[:200]
            current.report = outcome.report
            current.message = outcome.message[:200]
            current.progress_total = max(current.progress_total, 1)
            current.progress_done = current.progress_total
        else:
            current.fail()
            current.error = error
            if problems:
                current.report = {"problems": problems}
        # The uploaded input (personal data in an expert sheet) is not kept once used.
        upload, current.upload = current.upload.name, ""
        current.save()
    if upload:
        transaction.on_commit(lambda: job.upload.storage.delete(upload))
    return current


def job_run(job: Job) -> Job:
    """Run a claimed job to its end. A DomainError (a refusal the user can act on) is shown as
    it is; anything else is logged with its traceback and the user gets a generic message."""
    spec = registry.get(job.kind)
    reporter = ProgressReporter(job)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            if spec is None:
                raise LookupError(f"unknown job kind {job.kind!r}")
            spec.check(job.owner, job.params)  # the owner may have lost the role since
            outcome = spec.run(job, reporter)
            reporter.flush()
        except DomainError as exc:
            message, problems = _error_text(exc)
            return _finish_safely(job, error=message, problems=problems)
        except Exception:
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            return _finish_safely(job, error=generic_error())
        finally:
            reporter.close()
        return _finish_safely(job, outcome=outcome)


def _finish_safely(job: Job, **kwargs: Any) -> Job:
    try:
        return _end(job, **kwargs)
    except (ConcurrentTransition, TransitionNotAllowed):
        # Marked abandoned meanwhile by another worker: its verdict stands.
        logger.warning("job %s was ended by someone else while it ran", job.pk)
        return Job.objects.get(pk=job.pk)


def jobs_fail_abandoned(now: Any = None) -> int:
    """Fail the running jobs that gave no sign of life for ABANDONED_AFTER."""
    cutoff = (now or timezone.now()) - ABANDONED_AFTER
    stale = Job.objects.filter(state=JobState.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    count = 0
    for pk in stale.values_list("pk", flat=True):
        with transaction.atomic():
            job = Job.objects.select_for_update().filter(pk=pk, state=JobState.RUNNING).first()
            if job is None:
                continue
            with translation.override(job.language or settings.LANGUAGE_CODE):
                job.error = abandoned_error()
            job.fail()
            job.finished_at = timezone.now()
            job.save(update_fields=["state", "error", "finished_at"])
            logger.warning("job %s (%s) was abandoned by its worker; marked failed", pk, job.kind)
            count += 1
    return count


def run_pending(*, once: bool = False, poll: float = 1.0, stop: Any = None) -> int:
    """The worker loop: fail abandoned jobs, then run queued jobs oldest first. With `once`,
    return when the queue is empty; otherwise poll every `poll` seconds until `stop()`."""
    ran = 0
    while not (stop and stop()):
        jobs_fail_abandoned()
        job = job_claim()
        if job is None:
            if once:
                break
            time.sleep(poll)
            continue
        job_run(job)
        ran += 1
    return ran
