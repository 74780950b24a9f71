"""Concurrent awards on real PostgreSQL: plaque numbers are distinct and consecutive, even when
the year's counter row does not exist yet, and one application is never awarded twice."""

from collections import Counter

import pytest
from django.utils import timezone

from tests.factories_award import direct_award_project
from tests.workflow.test_races_postgres import race
from workflow.audit import verify_database
from workflow.choices import ApplicationState, Level
from workflow.models import Award, PlaqueCounter
from workflow.services.award import award_grant

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
THREADS = 12


def test_racing_awards_get_distinct_consecutive_numbers():
    year = timezone.localdate().year
    projects = [direct_award_project() for _ in range(THREADS)]
    assert not PlaqueCounter.objects.exists()  # the first ones also race to create the row
    outcomes = race(
        [lambda p=p: award_grant(application=p.application, by=p.staff) for p in projects]
    )
    assert outcomes == Counter({"won": THREADS})
    numbers = sorted(Award.objects.values_list("number", flat=True))
    assert numbers == [f"产教融合省级〔{year}〕{n:03d}号" for n in range(1, THREADS + 1)]
    assert PlaqueCounter.objects.get(level=Level.PROVINCE, year=year).last == THREADS
    for p in projects:
        assert p.refresh().state == ApplicationState.AWARDED
    assert verify_database().ok


def test_one_application_awarded_by_many_at_once_gets_one_plaque():
    p = direct_award_project()
    outcomes = race([lambda: award_grant(application=p.application, by=p.staff)] * THREADS)
    assert outcomes == Counter({"won": 1, "conflict": THREADS - 1})
    assert Award.objects.count() == 1
    assert PlaqueCounter.objects.get().last == 1  # the losers took no number
    assert verify_database().ok
