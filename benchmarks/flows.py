"""Flow figures. Prints one `name value unit` line per figure.

Usage: .venv/bin/python benchmarks/flows.py [N_TASKS]   (DATABASE_URL selects PostgreSQL)

Runs on a throw-away test database.

- inbox: one office with N published calls (N open selection steps) plus 20 other offices in
  which the same user holds a role (the permission rows that make viewflow's own queue grow);
  times `processes.engine.inbox` (median of 5) and counts its queries, at N and at N/10.
- transition overhead: closing a call (`call_close`, a transition whose flow moves one step)
  timed with the flows, then the same transition with `flows_follow` switched off, to show what
  the orchestration adds to a decision; median of the runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import statistics
import sys
import time
from unittest import mock

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

RUNS = 5


def _office_with_calls(n: int):
    from tests.factories import OfficeFactory, member, published_call
    from workflow.choices import Role

    office = OfficeFactory()
    staff = member(Role.OFFICE_STAFF, office)
    for _ in range(20):
        from workflow.models import Membership

        Membership.objects.create(user=staff, role=Role.OFFICE_STAFF, office=OfficeFactory())
    calls = [published_call(office=office) for _ in range(n)]
    return staff, calls


def _inbox_figures(staff) -> tuple[float, int, int]:
    from processes import engine

    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        rows = engine.inbox(staff)
        [(r.url, r.subject) for r in rows]
        times.append(time.perf_counter() - start)
    with CaptureQueriesContext(connection) as ctx:
        rows = engine.inbox(staff)
        [(r.url, r.subject) for r in rows]
    return statistics.median(times), len(ctx.captured_queries), len(rows)


def bench_inbox(n: int) -> list[str]:
    staff, _ = _office_with_calls(n // 10)
    small_t, small_q, small_n = _inbox_figures(staff)
    from tests.factories import published_call

    office = staff.memberships.order_by("id").first().office
    for _ in range(n - n // 10):
        published_call(office=office)
    big_t, big_q, big_n = _inbox_figures(staff)
    return [
        f"inbox_tasks {big_n} tasks",
        f"inbox_time {big_t * 1000:.1f} ms",
        f"inbox_queries {big_q} queries",
        f"inbox_tasks_small {small_n} tasks",
        f"inbox_time_small {small_t * 1000:.1f} ms",
        f"inbox_queries_small {small_q} queries",
    ]


def bench_transition_overhead(n: int) -> list[str]:
    import time_machine

    from tests.factories import member, published_call
    from workflow.choices import Role
    from workflow.services.calls import call_close

    def timed(follow: bool) -> float:
        times = []
        for _ in range(RUNS):
            call = published_call()
            staff = member(Role.OFFICE_STAFF, call.office)
            with time_machine.travel(call.closes_at + dt.timedelta(minutes=1)):
                # Without the flows: the same decision, audit and notifications, no sync.
                patch = (
                    contextlib.nullcontext()
                    if follow
                    else mock.patch("workflow.services.base.flows_follow")
                )
                with patch:
                    start = time.perf_counter()
                    call_close(call=call, by=staff)
                    times.append(time.perf_counter() - start)
        return statistics.median(times)

    with_flows, without = timed(True), timed(False)
    return [
        f"close_with_flows {with_flows * 1000:.1f} ms",
        f"close_without_flows {without * 1000:.1f} ms",
        f"flow_overhead {(with_flows - without) * 1000:.1f} ms",
    ]


BENCHMARKS = [bench_inbox, bench_transition_overhead]


def main(n: int) -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        for bench in BENCHMARKS:
            for line in bench(n):
                print(line, flush=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
