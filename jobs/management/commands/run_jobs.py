"""The background worker: run queued jobs oldest first.

manage.py run_jobs          # keep polling (beside the web server)
manage.py run_jobs --once   # run until the queue is empty, then exit (tests, CI, cron)
"""

import signal

from django.core.management.base import BaseCommand

from jobs.services import run_pending


class Command(BaseCommand):
    help = "Run queued background jobs (expert import, exports, certificate batches)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="exit when the queue is empty instead of polling"
        )
        parser.add_argument(
            "--poll", type=float, default=1.0, help="seconds between two looks at the queue"
        )

    def handle(self, *args, once=False, poll=1.0, **options):
        stopping = []

        def stop(signum, frame):  # finish the current job, then leave
            stopping.append(signum)

        if not once:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        ran = run_pending(once=once, poll=max(poll, 0.1), stop=lambda: bool(stopping))
        self.stdout.write(f"ran {ran} job(s)")
