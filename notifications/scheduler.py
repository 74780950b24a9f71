"""The periodic jobs, run by `manage.py run_scheduler` (embedded default and production alike:
one scheduler process per deployment; see docs/notifications.md for Celery beat later)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from notifications import outbox, reminders
from processes import engine

logger = logging.getLogger(__name__)

JOBS: list[tuple[str, Callable[[dt.datetime], Any]]] = [
    ("reminders", reminders.run),
    ("flows", engine.tick),
    ("outbox", outbox.retry),
]


def run_once(now: dt.datetime | None = None) -> dict[str, Any]:
    """Run every job once; a failing job is logged and the others still run."""
    now = now or timezone.now()
    results: dict[str, Any] = {}
    for name, job in JOBS:
        try:
            results[name] = job(now)
        except Exception:
            logger.exception("scheduled job %s failed", name)
            results[name] = "failed"
    return results
