"""Run the periodic jobs (reminders, outbox retries) every --interval seconds, or --once."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from notifications.scheduler import run_once


class Command(BaseCommand):
    help = "Send due reminders and retry undelivered notifications, periodically or --once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run the jobs once and exit")
        parser.add_argument(
            "--interval", type=float, default=60.0, help="seconds between runs (default 60)"
        )

    def handle(self, *args, once: bool = False, interval: float = 60.0, **options):
        self.verbose = int(options.get("verbosity", 1))
        if once:
            self._run(always=True)
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"scheduler: running every {interval:g} s")
        while not stop.is_set():
            close_old_connections()
            self._run()
            stop.wait(interval)
        close_old_connections()
        self.stdout.write("scheduler: stopped")

    def _run(self, always: bool = False) -> None:
        results = run_once()
        busy = any(
            v == "failed" or (isinstance(v, dict) and any(v.values())) for v in results.values()
        )
        if self.verbose > 1 or (self.verbose and (always or busy)):
            self.stdout.write(f"scheduler: {results}")
