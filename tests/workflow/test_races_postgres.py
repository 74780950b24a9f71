"""Concurrent attempts at the same transition on real PostgreSQL: exactly one winner, a clear
conflict for the rest, and the audit chain intact."""

import threading
from collections import Counter

import pytest
from django.db import close_old_connections, connection

from tests.factories import complete_application, member
from workflow.audit import verify_database
from workflow.choices import ApplicationState, Role
from workflow.errors import Conflict
from workflow.models import Application, AuditEvent, FormalCheck
from workflow.services import applications as svc

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
THREADS = 20


def race(attempts):
    """Run the callables at the same instant, one thread each; return outcome names."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(attempt):
        try:
            barrier.wait()
            attempt()
            outcome = "won"
        except Conflict as exc:
            assert exc.message
            outcome = "conflict"
        except Exception as exc:  # recorded so the test shows what went wrong
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    close_old_connections()
    return Counter(outcomes)


@pytest.fixture
def submitted():
    application = complete_application()
    applicant = member(Role.APPLICANT, application.organisation)
    svc.application_submit(application=application, by=applicant)
    staff = [member(Role.OFFICE_STAFF, application.call.office) for _ in range(3)]
    return application, applicant, staff


def test_twenty_threads_accepting_the_same_application(submitted):
    application, _, staff = submitted
    events_before = AuditEvent.objects.count()
    outcomes = race(
        [lambda: svc.application_accept(application=application, by=staff[0])] * THREADS
    )
    assert outcomes == Counter({"won": 1, "conflict": THREADS - 1})
    assert Application.objects.get(pk=application.pk).state == ApplicationState.ACCEPTED
    assert FormalCheck.objects.filter(application=application).count() == 1
    assert AuditEvent.objects.count() == events_before + 1
    assert verify_database().ok


def test_different_decisions_racing_from_the_same_state(submitted):
    """Three officers decide the same formal check at once: pass, return, reject."""
    application, _, staff = submitted
    attempts = []
    for i in range(THREADS):
        attempts.append(
            [
                lambda: svc.application_accept(application=application, by=staff[0]),
                lambda: svc.application_return(application=application, by=staff[1], reason="缺页"),
                lambda: svc.application_reject(application=application, by=staff[2], reason="不符"),
            ][i % 3]
        )
    outcomes = race(attempts)
    assert outcomes == Counter({"won": 1, "conflict": THREADS - 1})
    winner = Application.objects.get(pk=application.pk).state
    assert winner != ApplicationState.SUBMITTED
    transitions = AuditEvent.objects.filter(
        object_type="workflow.application", object_id=str(application.pk), from_state="submitted"
    )
    assert [e.to_state for e in transitions] == [winner]
    assert verify_database().ok


def test_audit_chain_stays_linear_under_concurrent_decisions_on_different_objects():
    """Writers to different rows still share one chain: the head lock keeps it unforked."""
    pairs = []
    for _ in range(THREADS):
        application = complete_application()
        pairs.append((application, member(Role.APPLICANT, application.organisation)))
    outcomes = race(
        [lambda a=a, u=u: svc.application_submit(application=a, by=u) for a, u in pairs]
    )
    assert outcomes == Counter({"won": THREADS})
    report = verify_database()
    assert report.ok
    assert report.verified == AuditEvent.objects.count()
