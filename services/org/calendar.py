"""The working-day calendar: the Russian five-day week plus the organization's exceptions.

Every deadline of the regulations is counted here, in working days.
"""
import csv
import re
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from models import CalendarDay, db
from services import clock

OFFICIAL_CSV = Path(__file__).resolve().parents[2] / "data" / "ru-working-calendar.csv"


# The shipped file names its sources in English (it is shared data); a note is shown in Russian. Each
# pattern of its `source` column → the Russian note.
SOURCE_NOTES = (
    (re.compile(r"^\d{4}: Government decree of (\d\d\.\d\d\.\d{4}) No\. (\d+)$"),
     r"Постановление Правительства РФ от \1 № \2"),
    (re.compile(r"^\d{4}: Saturday made a working day \(decree No\. (\d+)\)$"),
     r"Рабочая суббота (перенос выходного, постановление Правительства РФ № \1)"),
)


def russian_note(note):
    """A calendar day's note as shown: a source of the shipped file (stored so by an earlier seeding) in
    Russian; any other note as it was typed."""
    for pattern, russian in SOURCE_NOTES:
        if note and pattern.match(note):
            return pattern.sub(russian, note)
    return note


def official_exceptions(path=OFFICIAL_CSV):
    """(day, is_working, note) rows of the Government decrees shipped with the product, noted in Russian."""
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            yield date.fromisoformat(row["date"]), row["kind"] == "working", russian_note(row["source"])


# Нерабочие праздничные дни (ст. 112 ТК РФ): the same calendar date every year.
PUBLIC_HOLIDAYS = [(1, d) for d in range(1, 9)] + [(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)]
STATUTORY_NOTE = "Нерабочий праздничный день (ст. 112 ТК РФ)"


def statutory_exceptions(years):
    """(day, False, note) of the public holidays of ст. 112 ТК РФ falling on a weekday in `years`: a year the
    shipped decrees don't cover yet still rests on 1–8 January, 23 February… (its transfers are the decree's,
    entered when it is published)."""
    for year in years:
        days = {date(year, month, day) for month, day in PUBLIC_HOLIDAYS}
        off = {d for d in days if d.weekday() < 5}
        for d in sorted(days - off):
            if d.month == 1:  # the January days off falling on a weekend are moved by the decree only
                continue
            moved = d  # ч. 2 ст. 112: a holiday on a weekend moves to the next working day
            while moved.weekday() >= 5 or moved in off:
                moved += timedelta(days=1)
            off.add(moved)
        for d in sorted(off):
            yield d, False, STATUTORY_NOTE


def seed_official_calendar(org_id):
    """Copy the official exceptions into an organization's editable calendar (idempotent); the days after the
    shipped file up to the end of the current academic year get the statutory holidays."""
    have = set(db.session.scalars(select(CalendarDay.day).where(CalendarDay.org_id == org_id)))
    official = list(official_exceptions())
    last = max((day.year for day, _, _ in official), default=clock.today().year - 1)
    today = clock.today()
    # up to the end of the current academic year (31 August): the next one's are the year rollover's
    until = date(today.year + (1 if today.month >= 9 else 0), 8, 31)
    later = [row for row in statutory_exceptions(range(last + 1, until.year + 1)) if row[0] <= until]
    for day, working, note in [*official, *later]:
        if day not in have:
            have.add(day)
            db.session.add(CalendarDay(org_id=org_id, day=day, is_working=working, note=note))


class WorkingCalendar:
    """Answers working-day questions for one organization over a loaded range of dates."""

    def __init__(self, org_id, start=None, end=None):
        query = select(CalendarDay.day, CalendarDay.is_working).where(CalendarDay.org_id == org_id)
        if start:
            query = query.where(CalendarDay.day >= start)
        if end:
            query = query.where(CalendarDay.day <= end)
        self.exceptions = dict(db.session.execute(query).all())

    def is_working(self, day):
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def add_working_days(self, start, count):
        """The date `count` working days after `start` (the deadline of "within N working days")."""
        day = start
        while count > 0:
            day += timedelta(days=1)
            if self.is_working(day):
                count -= 1
        return day

    def working_days_between(self, start, end):
        """Working days after `start` up to and including `end`."""
        days, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working(day):
                days += 1
        return days


def calendar_for(org_id, around):
    """A calendar loaded for a window around a date (deadlines look a few weeks ahead)."""
    return WorkingCalendar(org_id, around - timedelta(days=400), around + timedelta(days=400))
