import importlib

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test starts with an empty channel layer (in-memory, or Redis database 15 in CI)."""
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        async_to_sync(layer.flush)()


@pytest.fixture
def erase_audit_after():
    """For transactional tests that take audited decisions. Between such tests the database is
    flushed: PostgreSQL truncates, which the audit trail's append-only trigger does not see,
    but SQLite deletes row by row, which it refuses. The guard is lifted for this cleanup only
    (after the test, before the flush) and put back at once."""
    yield
    if connection.vendor != "sqlite":
        return
    guards = importlib.import_module("workflow.migrations.0002_seed_and_guards")
    (no_delete,) = [s for s in guards.SQLITE_TRIGGERS if "BEFORE DELETE" in s]
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS workflow_auditevent_no_delete")
        cursor.execute("DELETE FROM workflow_auditevent")
        cursor.execute(no_delete)
