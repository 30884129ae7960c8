"""Measurement periods: a weekly period starts on a Monday, a monthly one on the 1st.

Evaluation, the gate and the measurement form all use these, so "which period is due" has one
answer everywhere.
"""

import datetime
import re

from django.conf import settings

from config.formatting import day
from scope.choices import Cadence


def period_start(day: datetime.date, cadence: str) -> datetime.date:
    if cadence == Cadence.MONTHLY:
        return day.replace(day=1)
    return day - datetime.timedelta(days=day.weekday())


def next_period(start: datetime.date, cadence: str) -> datetime.date:
    if cadence == Cadence.MONTHLY:
        return (start.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return start + datetime.timedelta(weeks=1)


def previous_period(start: datetime.date, cadence: str) -> datetime.date:
    if cadence == Cadence.MONTHLY:
        return (start.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    return start - datetime.timedelta(weeks=1)


def first_period(starts_on: datetime.date, cadence: str) -> datetime.date:
    return period_start(starts_on, cadence)


def last_period(ends_on: datetime.date, cadence: str) -> datetime.date:
    """The last period of a pilot: the one holding the day before its decision date."""
    return period_start(ends_on - datetime.timedelta(days=1), cadence)


def last_complete_period(today: datetime.date, cadence: str) -> datetime.date:
    return previous_period(period_start(today, cadence), cadence)


def latest_due_period(today: datetime.date, cadence: str, grace_days: int | None = None) -> datetime.date:
    """The latest period of any pilot whose measurement should be in by now (its end plus the grace
    days have passed)."""
    grace = datetime.timedelta(days=settings.MISSING_DATA_GRACE_DAYS if grace_days is None else grace_days)
    period = last_complete_period(today, cadence)
    while next_period(period, cadence) + grace > today:  # still inside its grace days
        period = previous_period(period, cadence)
    return period


def due_period(
    *,
    today: datetime.date,
    cadence: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    grace_days: int | None = None,
) -> datetime.date | None:
    """The latest period whose measurement should be in by now, bounded by the pilot's own periods;
    None when nothing is due yet."""
    period = min(latest_due_period(today, cadence, grace_days), last_period(ends_on, cadence))
    if period < first_period(starts_on, cadence):
        return None
    return period


def due_periods(
    *, today: datetime.date, cadence: str, starts_on: datetime.date, ends_on: datetime.date
) -> list[datetime.date]:
    """Every period of the pilot whose measurement should be in by now, oldest first."""
    last = due_period(today=today, cadence=cadence, starts_on=starts_on, ends_on=ends_on)
    if last is None:
        return []
    return periods_between(first_period(starts_on, cadence), next_period(last, cadence), cadence)


def period_count(first: datetime.date, last: datetime.date, cadence: str) -> int:
    """How many periods run from `first` to `last`, both included (0 when `last` comes first)."""
    if last < first:
        return 0
    if cadence == Cadence.MONTHLY:
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first).days // 7 + 1


def periods_between(start: datetime.date, stop: datetime.date, cadence: str) -> list[datetime.date]:
    """The periods from `start` up to, not including, `stop`."""
    periods = []
    while start < stop:
        periods.append(start)
        start = next_period(start, cadence)
    return periods


def missing_periods(
    measured: set[datetime.date],
    *,
    today: datetime.date,
    cadence: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
) -> list[datetime.date]:
    """The due periods with no measurement, oldest first: a gap in the middle counts as much as the latest."""
    return [
        p for p in due_periods(today=today, cadence=cadence, starts_on=starts_on, ends_on=ends_on) if p not in measured
    ]


def due_by(start: datetime.date, cadence: str) -> datetime.date:
    """The last day a period's measurement is on time: its end plus the grace days."""
    return next_period(start, cadence) + datetime.timedelta(days=settings.MISSING_DATA_GRACE_DAYS - 1)


def recent_periods(*, until: datetime.date, cadence: str, count: int, starts_on: datetime.date) -> list[datetime.date]:
    """Up to `count` periods ending with `until`, newest first, none before the pilot's first period."""
    periods, period, first = [], until, first_period(starts_on, cadence)
    while len(periods) < count and period >= first:
        periods.append(period)
        period = previous_period(period, cadence)
    return periods


def describe_period(start: datetime.date, cadence: str) -> str:
    if cadence == Cadence.MONTHLY:
        return f"month of {start.strftime('%B %Y')}"
    return f"week of {day(start)}"


def describe_periods(starts: list[datetime.date], cadence: str) -> str:
    """'weeks of 6 Oct 2026, 20 Oct 2026 and 3 Nov 2026' or 'month of October 2026'."""
    if len(starts) == 1:
        return describe_period(starts[0], cadence)
    if cadence == Cadence.MONTHLY:
        names = [start.strftime("%B %Y") for start in starts]
        noun = "months"
    else:
        names = [day(start) for start in starts]
        noun = "weeks"
    return f"{noun} of {', '.join(names[:-1])} and {names[-1]}"


ISO_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)
ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
DAY_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def period_label(start: datetime.date, cadence: str) -> str:
    """How a spreadsheet names a period: 2026-W45 for a week, 2026-11 for a month."""
    if cadence == Cadence.MONTHLY:
        return f"{start:%Y-%m}"
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


def parse_period(text: str, cadence: str) -> datetime.date:
    """The start of the period a spreadsheet cell names: any date in it (2026-11-04 or 4/11/2026),
    an ISO week (2026-W45) for a weekly metric, a month (2026-11) for a monthly one."""
    text = text.strip()
    try:
        if match := ISO_WEEK.fullmatch(text):
            if cadence == Cadence.MONTHLY:
                raise ValueError(
                    f"'{text}' is a week, but this metric is reported monthly: give the month, e.g. 2026-11"
                )
            return datetime.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        if match := ISO_MONTH.fullmatch(text):
            if cadence == Cadence.WEEKLY:
                raise ValueError(
                    f"'{text}' is a month, but this metric is reported weekly: give the week, e.g. 2026-W45"
                )
            return datetime.date(int(match[1]), int(match[2]), 1)
        if match := DAY_MONTH_YEAR.fullmatch(text):
            found = datetime.date(int(match[3]), int(match[2]), int(match[1]))
        else:
            # A spreadsheet's date cell may arrive as a whole timestamp; all of it must be valid.
            found = datetime.datetime.fromisoformat(text) if len(text) > 10 else datetime.date.fromisoformat(text)
            found = found.date() if isinstance(found, datetime.datetime) else found
    except ValueError as error:
        if "reported" in str(error):
            raise
        raise ValueError(
            f"'{text}' is not a period: give a date (2026-11-02), a week (2026-W45) or a month (2026-11)"
        ) from None
    return period_start(found, cadence)
