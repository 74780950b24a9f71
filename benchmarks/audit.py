"""Audit trail figures: append rate through real decisions' write path, and verify rate.

Usage: .venv/bin/python benchmarks/audit.py [N]   (DATABASE_URL selects PostgreSQL)
Prints one `name value unit` line per figure. Runs on a throw-away test database.
"""

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def main(n: int) -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from tests.factories import OrganisationFactory
        from workflow import audit

        obj = OrganisationFactory()
        start = time.perf_counter()
        for i in range(n):
            with transaction.atomic():
                audit.record(
                    action="bench.append",
                    obj=obj,
                    by=None,
                    reason=f"事件{i}",
                    diff={"i": i, "text": "中文"},
                )
        append = time.perf_counter() - start
        start = time.perf_counter()
        report = audit.verify_database()
        verify = time.perf_counter() - start
        assert report.ok and report.verified == n, report
        print(f"audit_vendor {connection.vendor} -")
        print(f"audit_events {n} events")
        print(f"audit_append_rate {n / append:.0f} events/s")
        print(f"audit_verify_rate {n / verify:.0f} events/s")
        print(f"audit_verify_time {verify:.3f} s")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
