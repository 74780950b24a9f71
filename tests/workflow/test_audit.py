"""The audit trail: append-only, and any tampering is found by audit_verify."""

import datetime as dt
import importlib
import itertools
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from tests.factories import complete_application, member
from workflow import audit
from workflow.choices import Role
from workflow.models import AuditEvent
from workflow.models.audit import AppendOnlyError
from workflow.services.applications import application_accept, application_submit

guards = importlib.import_module("workflow.migrations.0002_seed_and_guards")


@pytest.fixture
def chain(db):
    """Six events from real decisions."""
    for _ in range(2):
        application = complete_application()
        applicant = member(Role.APPLICANT, application.organisation)
        staff = member(Role.OFFICE_STAFF, application.call.office)
        application_submit(application=application, by=applicant)
        application_accept(application=application, by=staff, reason="材料齐全")
    assert AuditEvent.objects.count() == 6
    return list(AuditEvent.objects.order_by("sequence"))


def tamper(sql: str, params: list | None = None) -> None:
    """What a DBA with direct access could do: switch the guard off, change rows, switch it on."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params or [])
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER workflow_auditevent_no_update")
            cursor.execute("DROP TRIGGER workflow_auditevent_no_delete")
            cursor.execute(sql, params or [])
            for statement in guards.SQLITE_TRIGGERS:
                cursor.execute(statement)


def verify_fails(at: int) -> str:
    with pytest.raises(CommandError) as excinfo:
        call_command("audit_verify")
    assert f"#{at}" in str(excinfo.value)
    return str(excinfo.value)


def test_intact_chain_verifies(chain, capsys):
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "verified 6" in out
    assert chain[-1].hash in out


def test_events_link_to_their_predecessor(chain):
    assert chain[0].prev_hash == audit.GENESIS_HASH
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash
        assert after.sequence == before.sequence + 1


def test_updated_row_is_detected(chain):
    tamper("UPDATE workflow_auditevent SET reason = %s WHERE sequence = 3", ["改过的理由"])
    assert "content" in verify_fails(3)


def test_deleted_row_is_detected(chain):
    tamper("DELETE FROM workflow_auditevent WHERE sequence = 4")
    assert "sequence 4 missing" in verify_fails(4)


def test_deleted_last_row_is_detected_by_the_head(chain):
    tamper("DELETE FROM workflow_auditevent WHERE sequence = 6")
    assert "head" in verify_fails(6)


def test_forged_row_with_a_valid_hash_is_detected_by_the_head(chain):
    last = chain[-1]
    fields = {
        "sequence": 7,
        "created_at": last.created_at,
        "actor_id": None,
        "actor_name": "",
        "role": "",
        "action": "application.approve",
        "object_type": last.object_type,
        "object_id": last.object_id,
        "from_state": "",
        "to_state": "",
        "reason": "伪造",
        "diff": {},
        "client_ip": None,
        "prev_hash": last.hash,
    }
    forged_hash = audit.compute_hash(fields)
    tamper(
        "INSERT INTO workflow_auditevent (sequence, created_at, actor_id, actor_name, role, action,"
        " object_type, object_id, from_state, to_state, reason, diff, client_ip, prev_hash, hash)"
        " VALUES (%s, %s, NULL, '', '', %s, %s, %s, '', '', %s, %s, NULL, %s, %s)",
        [
            7,
            last.created_at,
            "application.approve",
            last.object_type,
            last.object_id,
            "伪造",
            "{}",
            last.hash,
            forged_hash,
        ],
    )
    assert "head" in verify_fails(7)


def test_forged_row_in_the_middle_is_detected(chain):
    tamper("UPDATE workflow_auditevent SET sequence = sequence + 100 WHERE sequence >= 4")
    tamper(
        "INSERT INTO workflow_auditevent (sequence, created_at, actor_id, actor_name, role, action,"
        " object_type, object_id, from_state, to_state, reason, diff, client_ip, prev_hash, hash)"
        " VALUES (4, %s, NULL, '', '', 'application.approve', 'workflow.application', '1', '', '',"
        " '', '{}', NULL, %s, %s)",
        [chain[2].created_at, chain[2].hash, "f" * 64],
    )
    assert "content" in verify_fails(4)


def test_swapped_rows_are_detected(chain):
    tamper("UPDATE workflow_auditevent SET sequence = 1000 WHERE sequence = 2")
    tamper("UPDATE workflow_auditevent SET sequence = 2 WHERE sequence = 5")
    tamper("UPDATE workflow_auditevent SET sequence = 5 WHERE sequence = 1000")
    verify_fails(2)


def test_expected_head_must_match(chain):
    call_command("audit_verify", expect_head=chain[-1].hash)
    with pytest.raises(CommandError):
        call_command("audit_verify", expect_head="0" * 64)


def test_orm_refuses_update_and_delete(chain):
    event = chain[0]
    original = event.reason
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    event.reason = "x"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == original


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE workflow_auditevent SET reason = 'x' WHERE sequence = 1",
        "DELETE FROM workflow_auditevent WHERE sequence = 1",
    ],
)
def test_database_trigger_refuses_raw_update_and_delete(chain, sql):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.filter(sequence=1, reason=chain[0].reason).exists()


def test_record_refuses_to_run_outside_a_transaction(db):
    application = complete_application()
    # The test itself runs in a transaction; pretend it does not, as in autocommit code.
    with mock.patch.object(connection, "in_atomic_block", False), pytest.raises(RuntimeError):
        audit.record(action="x", obj=application, by=None)


def _event(seq: int, prev: str, **extra) -> dict:
    event = {
        "sequence": seq,
        "created_at": dt.datetime(2026, 1, 5, 9, 0, seq, tzinfo=dt.UTC),
        "actor_id": 1,
        "actor_name": "u",
        "role": "applicant",
        "action": "application.submit",
        "object_type": "workflow.application",
        "object_id": "1",
        "from_state": "draft",
        "to_state": "submitted",
        "reason": "",
        "diff": {"b": 1, "a": ["中文", 2]},
        "client_ip": "10.0.0.1",
        "prev_hash": prev,
    } | extra
    event["hash"] = audit.compute_hash(event)
    return event


def test_verify_chain_without_a_database():
    first = _event(1, audit.GENESIS_HASH)
    second = _event(2, first["hash"])
    head = {"sequence": 2, "hash": second["hash"]}
    assert audit.verify_chain([first, second], head).ok
    assert audit.verify_chain([first, second], head).verified == 2
    changed = dict(second, reason="x")
    assert audit.verify_chain([first, changed], head).broken_at == 2
    assert audit.verify_chain([second], head).broken_at == 1
    assert not audit.verify_chain([first], head).ok
    assert audit.verify_chain([], None).ok


def test_hash_is_independent_of_key_order():
    event = _event(1, audit.GENESIS_HASH)
    reordered = dict(reversed(list(event.items())))
    reordered["diff"] = {"a": ["中文", 2], "b": 1}
    assert audit.compute_hash(reordered) == event["hash"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("not-an-ip", None), ("", None), (None, None)],
)
def test_normalise_ip(raw, expected):
    assert audit.normalise_ip(raw) == expected


@pytest.mark.parametrize(
    ("proxies", "meta", "expected"),
    [
        (0, {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "203.0.113.7"),
        (
            1,
            {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.9"},
            "198.51.100.9",
        ),
    ],
)
def test_middleware_puts_the_client_ip_on_the_decision(db, rf, settings, proxies, meta, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    application = complete_application()
    applicant = member(Role.APPLICANT, application.organisation)

    def view(request):
        application_submit(application=application, by=applicant)
        return None

    audit.AuditContextMiddleware(view)(rf.post("/", **meta))
    assert AuditEvent.objects.latest("sequence").client_ip == expected
