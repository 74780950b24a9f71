import datetime as dt

import pytest
from django.utils import timezone

from workflow.choices import CalendarDayKind
from workflow.models import CalendarDay
from workflow.workdays import add_working_days, is_working_day, working_day_deadline

D = dt.date


def test_plain_week_skips_the_weekend():
    assert add_working_days(D(2024, 3, 1), 1) == D(2024, 3, 4)  # Fri -> Mon
    assert add_working_days(D(2024, 3, 4), 5) == D(2024, 3, 11)


def test_holidays_are_skipped_and_adjusted_workdays_count():
    holidays = {D(2024, 3, 5)}
    workdays = {D(2024, 3, 9)}  # a Saturday
    assert add_working_days(D(2024, 3, 4), 1, holidays=holidays) == D(2024, 3, 6)
    assert add_working_days(D(2024, 3, 8), 1, workdays=workdays) == D(2024, 3, 9)
    assert is_working_day(D(2024, 3, 9), workdays=workdays)
    assert not is_working_day(D(2024, 3, 5), holidays=holidays)


def test_zero_days_is_the_next_working_day_on_or_after():
    assert add_working_days(D(2024, 3, 2), 0) == D(2024, 3, 4)
    assert add_working_days(D(2024, 3, 4), 0) == D(2024, 3, 4)


def test_negative_is_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2024, 3, 4), -1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # National Day 2026: 1-7 Oct off, Sat 10 Oct worked (国办发明电〔2025〕7号).
        (D(2026, 9, 30), 5, D(2026, 10, 13)),
        # Spring Festival 2026: Sat 14 Feb worked, 15-23 Feb off.
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        # 2025 National Day and Mid-autumn: 1-8 Oct off, Sat 11 Oct worked.
        (D(2025, 9, 30), 1, D(2025, 10, 9)),
    ],
)
def test_deadline_uses_the_seeded_calendar(start, n, expected):
    start_at = dt.datetime.combine(start, dt.time(15, 0), tzinfo=timezone.get_current_timezone())
    deadline = working_day_deadline(start_at, n)
    assert timezone.localtime(deadline).date() == expected
    assert timezone.localtime(deadline).time() == dt.time(23, 59, 59)


@pytest.mark.django_db
def test_an_office_edit_of_the_calendar_changes_deadlines():
    start_at = dt.datetime(2027, 3, 1, 9, tzinfo=timezone.get_current_timezone())  # a Monday
    assert timezone.localtime(working_day_deadline(start_at, 1)).date() == D(2027, 3, 2)
    CalendarDay.objects.create(date=D(2027, 3, 2), kind=CalendarDayKind.HOLIDAY, name="临时")
    assert timezone.localtime(working_day_deadline(start_at, 1)).date() == D(2027, 3, 3)


@pytest.mark.django_db
def test_calendar_is_seeded_for_2025_and_2026():
    assert {d.year for d in CalendarDay.objects.dates("date", "year")} >= {2025, 2026}
    assert CalendarDay.objects.filter(date__year=2026, kind=CalendarDayKind.HOLIDAY).count() >= 25
    assert CalendarDay.objects.filter(date=D(2026, 10, 1), kind=CalendarDayKind.HOLIDAY).exists()
    assert CalendarDay.objects.filter(date=D(2025, 1, 26), kind=CalendarDayKind.WORKDAY).exists()
