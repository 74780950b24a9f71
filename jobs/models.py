"""A long operation run by the worker (`manage.py run_jobs`) instead of inside a request.

The state moves only through the FSM transitions below: queued → running → done | failed, and
queued → failed when the worker finds the job impossible before starting it (an unknown kind).
A job's result file lives under MEDIA_ROOT/jobs/ and is served only by the owner's download
view, never from a public URL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


FINISHED = (JobState.DONE, JobState.FAILED)


class Job(ConcurrentTransitionMixin, models.Model):
    kind = models.CharField(_("kind"), max_length=50)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.CASCADE,
        related_name="jobs",
    )
    state = FSMField(_("state"), default=JobState.QUEUED, choices=JobState.choices, protected=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.CharField(_("message"), max_length=200, blank=True)
    params = models.JSONField(default=dict, blank=True)
    # The language of the request that queued the job: its messages and files are in it.
    language = models.CharField(max_length=16, blank=True)
    upload = models.FileField(upload_to="jobs/input/", blank=True, max_length=300)
    result = models.FileField(upload_to="jobs/", blank=True, max_length=300)
    result_name = models.CharField(max_length=200, blank=True)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Last sign of life of the worker running it: a job silent too long was abandoned.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["owner", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @transition(field=state, source=JobState.QUEUED, target=JobState.RUNNING)
    def start(self) -> None:
        pass

    @transition(field=state, source=JobState.RUNNING, target=JobState.DONE)
    def finish(self) -> None:
        pass

    @transition(field=state, source=(JobState.QUEUED, JobState.RUNNING), target=JobState.FAILED)
    def fail(self) -> None:
        pass
