"""Working days (工作日) on the Chinese public-holiday calendar.

Every deadline counted in working days goes through add_working_days(): publicity periods,
correction deadlines, objection answers. The calendar is the CalendarDay table, which offices
edit when the State Council publishes the next year's holidays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.utils import timezone

MAX_SPAN_DAYS = 3660  # a guard: no deadline is ten years away


def is_working_day(
    day: dt.date, holidays: Collection[dt.date] = (), workdays: Collection[dt.date] = ()
) -> bool:
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(
    start: dt.date,
    n: int,
    *,
    holidays: Collection[dt.date] = (),
    workdays: Collection[dt.date] = (),
) -> dt.date:
    """The date of the n-th working day after `start` (the start day itself is not counted).

    With n == 0, the first working day on or after `start`.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    day, counted = start, 0
    if n == 0:
        while not is_working_day(day, holidays, workdays):
            day += dt.timedelta(days=1)
        return day
    for _ in range(MAX_SPAN_DAYS):
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays, workdays):
            counted += 1
            if counted == n:
                return day
    raise ValueError("no such working day within ten years; is the calendar table sane?")


def calendar_exceptions(start: dt.date, end: dt.date) -> tuple[set[dt.date], set[dt.date]]:
    """Holidays and adjusted working days between two dates, from the CalendarDay table."""
    from workflow.choices import CalendarDayKind
    from workflow.models import CalendarDay

    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for date, kind in CalendarDay.objects.filter(date__range=(start, end)).values_list(
        "date", "kind"
    ):
        (holidays if kind == CalendarDayKind.HOLIDAY else workdays).add(date)
    return holidays, workdays


def working_day_deadline(start: dt.datetime, n: int) -> dt.datetime:
    """End of the n-th working day after `start`, in local time (Asia/Shanghai)."""
    local_start = timezone.localtime(start).date()
    # n working days never span more than 3n + 30 calendar days, even across Spring Festival.
    holidays, workdays = calendar_exceptions(local_start, local_start + dt.timedelta(3 * n + 30))
    day = add_working_days(local_start, n, holidays=holidays, workdays=workdays)
    end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=timezone.get_current_timezone())
    return end
