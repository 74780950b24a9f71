"""Properties of working-day arithmetic (workflow/workdays.py), with hypothesis.

add_working_days(start, n, holidays=, workdays=) is pure: the calendar exceptions (法定节假日 and
调休上班 make-up working days) are passed in. The properties run on generated calendars and on the
seeded 2025/2026 calendar (the rows migration 0002 writes, from the State Council notices);
working_day_deadline() reads the CalendarDay table through calendar_exceptions(), which these
tests replace by the seeded rows, so no test here needs the database (test_workdays.py checks
the table and the deadline against it).
"""

from __future__ import annotations

import datetime as dt
import importlib
from unittest import mock

import pytest
from django.utils import timezone
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.workflow.strategies import dates
from workflow import workdays
from workflow.workdays import add_working_days, is_working_day, working_day_deadline

D = dt.date
ONE_DAY = dt.timedelta(days=1)

_SEED_ROWS = importlib.import_module("workflow.migrations.0002_seed_and_guards").CALENDAR
SEEDED_HOLIDAYS = frozenset(D.fromisoformat(d) for d, kind, _ in _SEED_ROWS if kind == "holiday")
SEEDED_WORKDAYS = frozenset(D.fromisoformat(d) for d, kind, _ in _SEED_ROWS if kind == "workday")

WINDOW = (D(2025, 1, 1), D(2026, 12, 31))


@st.composite
def calendars(draw):
    """A start date and a calendar: holidays, often in runs like Spring Festival, and make-up
    working days, which are weekend days (调休上班 always falls on a Saturday or Sunday)."""
    start = draw(dates(D(2025, 1, 1), D(2026, 12, 31)))
    holidays: set[D] = set()
    for _ in range(draw(st.integers(0, 6))):
        first = start + dt.timedelta(days=draw(st.integers(-10, 120)))
        holidays.update(first + dt.timedelta(days=i) for i in range(draw(st.integers(1, 9))))
    weekend = [
        day
        for day in (start + dt.timedelta(days=i) for i in range(-10, 130))
        if day.weekday() >= 5 and day not in holidays
    ]
    workdays = set(draw(st.lists(st.sampled_from(weekend), max_size=6)))
    return start, frozenset(holidays), frozenset(workdays)


def working(day, holidays, workdays):
    """Independent restatement: a make-up day is worked, a holiday is not, else Mon-Fri."""
    return day in workdays or (day not in holidays and day.weekday() < 5)


def working_days_between(start, end, holidays, workdays):
    """Working days in (start, end]."""
    count, day = 0, start
    while day < end:
        day += ONE_DAY
        count += working(day, holidays, workdays)
    return count


@given(cal=calendars(), n=st.integers(1, 40))
def test_the_nth_working_day_is_a_working_day_n_working_days_later(cal, n):
    start, holidays, workdays = cal
    result = add_working_days(start, n, holidays=holidays, workdays=workdays)
    assert result > start
    assert is_working_day(result, holidays, workdays)
    assert working(result, holidays, workdays)
    # counting back: exactly n working days in (start, result], the last one being result
    assert working_days_between(start, result, holidays, workdays) == n
    assert working_days_between(start, result - ONE_DAY, holidays, workdays) == n - 1


@given(cal=calendars(), n=st.integers(1, 30))
def test_one_more_working_day_is_strictly_later(cal, n):
    start, holidays, workdays = cal
    a = add_working_days(start, n, holidays=holidays, workdays=workdays)
    b = add_working_days(start, n + 1, holidays=holidays, workdays=workdays)
    assert a < b
    assert b == add_working_days(a, 1, holidays=holidays, workdays=workdays)


@given(cal=calendars(), n=st.integers(1, 20), m=st.integers(1, 20))
def test_counting_in_two_steps_is_counting_in_one(cal, n, m):
    start, holidays, workdays = cal
    kwargs = {"holidays": holidays, "workdays": workdays}
    middle = add_working_days(start, n, **kwargs)
    assert add_working_days(middle, m, **kwargs) == add_working_days(start, n + m, **kwargs)


@given(cal=calendars())
def test_zero_days_is_the_first_working_day_on_or_after_the_start(cal):
    start, holidays, workdays = cal
    result = add_working_days(start, 0, holidays=holidays, workdays=workdays)
    assert result >= start and working(result, holidays, workdays)
    assert working_days_between(start - ONE_DAY, result - ONE_DAY, holidays, workdays) == 0


@given(cal=calendars(), n=st.integers(1, 30), extra=st.integers(0, 140))
def test_another_holiday_never_brings_a_deadline_earlier(cal, n, extra):
    start, holidays, workdays = cal
    before = add_working_days(start, n, holidays=holidays, workdays=workdays)
    day = start + dt.timedelta(days=extra)
    after = add_working_days(start, n, holidays=holidays | {day}, workdays=workdays - {day})
    assert after >= before
    if day > before or day <= start:
        assert after == before  # a holiday outside (start, deadline] changes nothing
    elif working(day, holidays, workdays):
        assert after > before  # a working day inside the period was lost


@given(cal=calendars(), n=st.integers(1, 30), extra=st.integers(0, 140), sunday=st.booleans())
def test_a_make_up_working_day_never_pushes_a_deadline_later(cal, n, extra, sunday):
    start, holidays, workdays = cal
    before = add_working_days(start, n, holidays=holidays, workdays=workdays)
    day = start + dt.timedelta(days=extra)
    day += dt.timedelta(days=(5 - day.weekday()) % 7 + sunday)  # a Saturday or a Sunday
    after = add_working_days(start, n, holidays=holidays - {day}, workdays=workdays | {day})
    assert after <= before


@given(day=dates())
def test_without_exceptions_working_days_are_monday_to_friday(day):
    assert is_working_day(day) == (day.weekday() < 5)
    assert not is_working_day(day, holidays={day})
    assert is_working_day(day, workdays={day})


@given(start=dates(), n=st.integers(1, 200))
def test_a_plain_calendar_counts_whole_weeks_as_five_days(start, n):
    """Without holidays, 5 working days after any working day is the same weekday next week."""
    assume(start.weekday() < 5)
    assert add_working_days(start, 5 * n) == start + dt.timedelta(weeks=n)


@given(start=dates(), n=st.integers(-100, -1))
def test_a_negative_count_is_refused(start, n):
    with pytest.raises(ValueError):
        add_working_days(start, n)


# The seeded calendar (国务院办公厅 notices for 2025 and 2026) --------------------------------


def test_the_seeded_calendar_is_consistent():
    """No day is both a holiday and a make-up working day; make-up days are weekend days."""
    assert not SEEDED_HOLIDAYS & SEEDED_WORKDAYS
    assert all(day.weekday() >= 5 for day in SEEDED_WORKDAYS)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Spring Festival 2025: 28 Jan - 4 Feb off; Sun 26 Jan and Sat 8 Feb worked.
        (D(2025, 1, 24), 1, D(2025, 1, 26)),
        (D(2025, 1, 24), 2, D(2025, 1, 27)),
        (D(2025, 1, 24), 3, D(2025, 2, 5)),
        (D(2025, 2, 7), 1, D(2025, 2, 8)),
        # National Day and Mid-autumn 2025: 1-8 Oct off; Sun 28 Sep and Sat 11 Oct worked.
        (D(2025, 9, 26), 1, D(2025, 9, 28)),
        (D(2025, 9, 26), 3, D(2025, 9, 30)),
        (D(2025, 9, 30), 2, D(2025, 10, 10)),
        (D(2025, 10, 10), 1, D(2025, 10, 11)),
        # Spring Festival 2026: 15-23 Feb off; Sat 14 Feb and Sat 28 Feb worked. A 5-working-day
        # publicity period (公示期为5个工作日) starting on Thu 12 Feb ends on Thu 26 Feb.
        (D(2026, 2, 12), 5, D(2026, 2, 26)),
        (D(2026, 2, 26), 2, D(2026, 2, 28)),
        # National Day 2026: 1-7 Oct off, Sat 10 Oct worked; Mid-autumn 25-27 Sep, Sun 20 Sep.
        (D(2026, 9, 18), 1, D(2026, 9, 20)),
        (D(2026, 9, 24), 1, D(2026, 9, 28)),
        (D(2026, 9, 30), 5, D(2026, 10, 13)),
        # A holiday start counts from the next working day (the start is never counted).
        (D(2026, 10, 3), 1, D(2026, 10, 8)),
        (D(2026, 10, 3), 0, D(2026, 10, 8)),
    ],
)
def test_official_answers_on_the_seeded_calendar(start, n, expected):
    assert add_working_days(start, n, holidays=SEEDED_HOLIDAYS, workdays=SEEDED_WORKDAYS) == (
        expected
    )


@given(start=dates(*WINDOW), n=st.integers(1, 40))
def test_the_seeded_calendar_obeys_the_same_laws(start, n):
    kwargs = {"holidays": SEEDED_HOLIDAYS, "workdays": SEEDED_WORKDAYS}
    result = add_working_days(start, n, **kwargs)
    assert working(result, SEEDED_HOLIDAYS, SEEDED_WORKDAYS)
    assert working_days_between(start, result, SEEDED_HOLIDAYS, SEEDED_WORKDAYS) == n


# working_day_deadline ----------------------------------------------------------------------------


def seeded_exceptions(start: D, end: D):
    """What calendar_exceptions() reads from the seeded CalendarDay table (date__range is
    inclusive); the table itself is checked against the migration in test_workdays.py."""
    return (
        {day for day in SEEDED_HOLIDAYS if start <= day <= end},
        {day for day in SEEDED_WORKDAYS if start <= day <= end},
    )


@given(
    moment=st.datetimes(
        min_value=dt.datetime(2025, 1, 1),
        max_value=dt.datetime(2026, 11, 30),
        timezones=st.just(dt.UTC),
    ),
    n=st.integers(0, 30),
)
def test_the_deadline_is_the_end_of_the_nth_working_day_in_local_time(moment, n):
    """23:59:59 Beijing time of the day the pure function gives from the start's Beijing date,
    whatever the window of calendar exceptions the function chooses to load: a window that
    stopped short of the deadline (a long holiday) would give a different day."""
    with mock.patch.object(workdays, "calendar_exceptions", side_effect=seeded_exceptions):
        deadline = working_day_deadline(moment, n)
    local = timezone.localtime(deadline)
    start_day = timezone.localtime(moment).date()
    expected = add_working_days(start_day, n, holidays=SEEDED_HOLIDAYS, workdays=SEEDED_WORKDAYS)
    assert local.date() == expected
    assert local.time() == dt.time(23, 59, 59)
    assert str(local.tzinfo) == "Asia/Shanghai"
    assert deadline > moment
