"""Seed data and database-level guards.

- The audit chain head row.
- Triggers that refuse UPDATE and DELETE on the audit table (PostgreSQL and SQLite), so even raw
  SQL through the application's connection cannot rewrite history.
- The public-holiday calendar for 2025 and 2026 (国务院办公厅 notices), generated from the
  chinese-calendar package and frozen here so the migration gives the same rows everywhere.
"""

import datetime as dt

from django.db import migrations

CALENDAR = [
    ('2025-01-01', 'holiday', '元旦'),
    ('2025-01-26', 'workday', '调休上班'),
    ('2025-01-28', 'holiday', '春节'),
    ('2025-01-29', 'holiday', '春节'),
    ('2025-01-30', 'holiday', '春节'),
    ('2025-01-31', 'holiday', '春节'),
    ('2025-02-01', 'holiday', '春节'),
    ('2025-02-02', 'holiday', '春节'),
    ('2025-02-03', 'holiday', '春节'),
    ('2025-02-04', 'holiday', '春节'),
    ('2025-02-08', 'workday', '调休上班'),
    ('2025-04-04', 'holiday', '清明节'),
    ('2025-04-05', 'holiday', '清明节'),
    ('2025-04-06', 'holiday', '清明节'),
    ('2025-04-27', 'workday', '调休上班'),
    ('2025-05-01', 'holiday', '劳动节'),
    ('2025-05-02', 'holiday', '劳动节'),
    ('2025-05-03', 'holiday', '劳动节'),
    ('2025-05-04', 'holiday', '劳动节'),
    ('2025-05-05', 'holiday', '劳动节'),
    ('2025-05-31', 'holiday', '端午节'),
    ('2025-06-01', 'holiday', '端午节'),
    ('2025-06-02', 'holiday', '端午节'),
    ('2025-09-28', 'workday', '调休上班'),
    ('2025-10-01', 'holiday', '国庆节'),
    ('2025-10-02', 'holiday', '国庆节'),
    ('2025-10-03', 'holiday', '国庆节'),
    ('2025-10-04', 'holiday', '国庆节'),
    ('2025-10-05', 'holiday', '国庆节'),
    ('2025-10-06', 'holiday', '中秋节'),
    ('2025-10-07', 'holiday', '国庆节'),
    ('2025-10-08', 'holiday', '国庆节'),
    ('2025-10-11', 'workday', '调休上班'),
    ('2026-01-01', 'holiday', '元旦'),
    ('2026-01-02', 'holiday', '元旦'),
    ('2026-01-03', 'holiday', '元旦'),
    ('2026-01-04', 'workday', '调休上班'),
    ('2026-02-14', 'workday', '调休上班'),
    ('2026-02-15', 'holiday', '春节'),
    ('2026-02-16', 'holiday', '春节'),
    ('2026-02-17', 'holiday', '春节'),
    ('2026-02-18', 'holiday', '春节'),
    ('2026-02-19', 'holiday', '春节'),
    ('2026-02-20', 'holiday', '春节'),
    ('2026-02-21', 'holiday', '春节'),
    ('2026-02-22', 'holiday', '春节'),
    ('2026-02-23', 'holiday', '春节'),
    ('2026-02-28', 'workday', '调休上班'),
    ('2026-04-04', 'holiday', '清明节'),
    ('2026-04-05', 'holiday', '清明节'),
    ('2026-04-06', 'holiday', '清明节'),
    ('2026-05-01', 'holiday', '劳动节'),
    ('2026-05-02', 'holiday', '劳动节'),
    ('2026-05-03', 'holiday', '劳动节'),
    ('2026-05-04', 'holiday', '劳动节'),
    ('2026-05-05', 'holiday', '劳动节'),
    ('2026-05-09', 'workday', '调休上班'),
    ('2026-06-19', 'holiday', '端午节'),
    ('2026-06-20', 'holiday', '端午节'),
    ('2026-06-21', 'holiday', '端午节'),
    ('2026-09-20', 'workday', '调休上班'),
    ('2026-09-25', 'holiday', '中秋节'),
    ('2026-09-26', 'holiday', '中秋节'),
    ('2026-09-27', 'holiday', '中秋节'),
    ('2026-10-01', 'holiday', '国庆节'),
    ('2026-10-02', 'holiday', '国庆节'),
    ('2026-10-03', 'holiday', '国庆节'),
    ('2026-10-04', 'holiday', '国庆节'),
    ('2026-10-05', 'holiday', '国庆节'),
    ('2026-10-06', 'holiday', '国庆节'),
    ('2026-10-07', 'holiday', '国庆节'),
    ('2026-10-10', 'workday', '调休上班'),
]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION workflow_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'workflow_auditevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
PG_TRIGGER = """
CREATE TRIGGER workflow_auditevent_append_only
BEFORE UPDATE OR DELETE ON workflow_auditevent
FOR EACH ROW EXECUTE FUNCTION workflow_auditevent_append_only();
"""
SQLITE_TRIGGERS = [
    """CREATE TRIGGER workflow_auditevent_no_update BEFORE UPDATE ON workflow_auditevent
    BEGIN SELECT RAISE(ABORT, 'workflow_auditevent is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER workflow_auditevent_no_delete BEFORE DELETE ON workflow_auditevent
    BEGIN SELECT RAISE(ABORT, 'workflow_auditevent is append-only: DELETE refused'); END;""",
]


def add_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)
        schema_editor.execute(PG_TRIGGER)
    elif vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


def drop_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS workflow_auditevent_append_only ON workflow_auditevent"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS workflow_auditevent_append_only()")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS workflow_auditevent_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS workflow_auditevent_no_delete")


def seed(apps, schema_editor):
    AuditHead = apps.get_model("workflow", "AuditHead")
    CalendarDay = apps.get_model("workflow", "CalendarDay")
    AuditHead.objects.get_or_create(pk=1, defaults={"sequence": 0, "hash": "0" * 64})
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=dt.date.fromisoformat(d), kind=k, name=n) for d, k, n in CALENDAR],
        ignore_conflicts=True,
    )


def unseed(apps, schema_editor):
    CalendarDay = apps.get_model("workflow", "CalendarDay")
    CalendarDay.objects.filter(date__in=[dt.date.fromisoformat(d) for d, _, _ in CALENDAR]).delete()


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial")]

    operations = [
        migrations.RunPython(seed, unseed),
        migrations.RunPython(add_guards, drop_guards),
    ]
