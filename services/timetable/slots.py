"""What a lesson at one time is (`Slot`: of the weekly timetable or of a date), the names of a year
(`Catalog`), the slots and changes read from the database, a date's lessons with its changes applied, and
which dates a class studies (`SchoolDays`)."""
from dataclasses import dataclass, replace

from sqlalchemy import select

from models import (WEEKDAYS, ChangeKind, Holiday, Room, SchoolClass, Staff, Subgroup, Subject, TeachingAssignment,
                    TimetableChange, TimetableEntry, db)
from services.org.calendar import WorkingCalendar

DAYS = tuple(WEEKDAYS)  # 1 … 6
MAX_NUMBER = 12
# Days off by the Labour Code (art. 112) whatever the year; the organization's calendar
# (CalendarDay) may still make one of them working.
PUBLIC_HOLIDAYS = {(1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (1, 8), (2, 23), (3, 8),
                   (5, 1), (5, 9), (6, 12), (11, 4)}


# -- what a slot is ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AssignmentInfo:
    id: int
    class_id: int
    year_id: int
    subject_id: int
    subject: str
    subgroup_id: int | None
    subgroup: str | None
    teacher_id: int
    hours_per_week: object = None

    @property
    def label(self):
        return f"{self.subject} ({self.subgroup})" if self.subgroup else self.subject


class Catalog:
    """Names of an organization's year: assignments, teachers, rooms, classes (four queries)."""

    def __init__(self, org, year_id):
        self.org = org
        self.year_id = year_id
        rows = db.session.execute(
            select(TeachingAssignment.id, TeachingAssignment.class_id, TeachingAssignment.year_id,
                   TeachingAssignment.subject_id, Subject.name, TeachingAssignment.subgroup_id,
                   Subgroup.name, TeachingAssignment.teacher_id, TeachingAssignment.hours_per_week)
            .join(Subject, Subject.id == TeachingAssignment.subject_id)
            .outerjoin(Subgroup, Subgroup.id == TeachingAssignment.subgroup_id)
            .where(TeachingAssignment.org_id == org.id, TeachingAssignment.year_id == year_id)
            .order_by(Subject.sort_order, Subject.name, Subgroup.name)).all()
        self.assignments = {r[0]: AssignmentInfo(*r) for r in rows}
        self.teachers = {r.id: r for r in db.session.execute(
            select(Staff.id, Staff.last_name, Staff.first_name, Staff.middle_name, Staff.dismissal_date)
            .where(Staff.org_id == org.id).order_by(Staff.last_name, Staff.first_name)).all()}
        self.rooms = dict(db.session.execute(
            select(Room.id, Room.name).where(Room.org_id == org.id).order_by(Room.name)).all())
        self.classes = {r.id: r for r in db.session.execute(
            select(SchoolClass.id, SchoolClass.name, SchoolClass.grade)
            .where(SchoolClass.org_id == org.id, SchoolClass.year_id == year_id)
            .order_by(SchoolClass.grade, SchoolClass.name)).all()}

    def teacher_name(self, staff_id):
        row = self.teachers.get(staff_id)
        if row is None:
            return "—"
        initials = "".join(f"{p[0]}. " for p in (row.first_name, row.middle_name) if p)
        return f"{row.last_name} {initials}".strip()

    def class_name(self, class_id):
        row = self.classes.get(class_id)
        return row.name if row else "?"

    def room_name(self, room_id):
        return self.rooms.get(room_id, "") if room_id else ""

    def class_assignments(self, class_id):
        return [a for a in self.assignments.values() if a.class_id == class_id]


@dataclass
class Slot:
    """One lesson at one time: of the weekly timetable (day = weekday) or of a date (day = date)."""

    day: object
    class_id: int
    shift: int
    number: int
    assignment_id: int
    teacher_id: int
    room_id: int | None
    subgroup_key: int
    entry_id: int | None = None
    change_id: int | None = None
    change_kind: str | None = None
    cancelled: bool = False
    # What the weekly timetable said before a change (for «вместо …»).
    scheduled_assignment_id: int | None = None
    scheduled_teacher_id: int | None = None
    scheduled_room_id: int | None = None
    key: object = None

    @property
    def weekday(self):
        return self.day if isinstance(self.day, int) else self.day.isoweekday()


def entry_slot(catalog, entry_id, class_id, assignment_id, weekday, shift, number, room_id, key=None):
    info = catalog.assignments[assignment_id]
    return Slot(day=weekday, class_id=class_id, shift=shift, number=number, assignment_id=assignment_id,
                teacher_id=info.teacher_id, room_id=room_id, subgroup_key=info.subgroup_id or 0,
                entry_id=entry_id, key=key if key is not None else ("entry", entry_id))


def load_entry_slots(catalog, *conditions):
    rows = db.session.execute(
        select(TimetableEntry.id, TimetableEntry.class_id, TimetableEntry.assignment_id,
               TimetableEntry.weekday, TimetableEntry.shift, TimetableEntry.number, TimetableEntry.room_id)
        .where(TimetableEntry.org_id == catalog.org.id, TimetableEntry.year_id == catalog.year_id,
               *conditions)
        .order_by(TimetableEntry.weekday, TimetableEntry.shift, TimetableEntry.number,
                  TimetableEntry.id)).all()
    return [entry_slot(catalog, *r) for r in rows if r.assignment_id in catalog.assignments]


def load_changes(catalog, *conditions):
    return db.session.scalars(select(TimetableChange).where(
        TimetableChange.org_id == catalog.org.id, TimetableChange.year_id == catalog.year_id, *conditions)
        .order_by(TimetableChange.date, TimetableChange.number, TimetableChange.id)).all()


def apply_changes(catalog, day, entry_slots, changes):
    """The lessons of a date: the weekday's entries with the date's changes applied.

    Returns (slots, unmatched): a replacement or cancellation whose scheduled lesson is not in the
    weekly timetable (any more) is returned as unmatched and changes nothing.
    """
    wanted = {}
    adds = []
    for change in changes:
        if change.kind == ChangeKind.ADD.value:
            adds.append(change)
        else:
            wanted[(change.class_id, change.number, change.scheduled_assignment_id)] = change
    slots = []
    for slot in entry_slots:
        change = wanted.pop((slot.class_id, slot.number, slot.assignment_id), None)
        dated = replace(slot, day=day)
        if change is None:
            slots.append(dated)
            continue
        dated.change_id, dated.change_kind, dated.key = change.id, change.kind, ("change", id(change))
        dated.scheduled_assignment_id = slot.assignment_id
        dated.scheduled_teacher_id = slot.teacher_id
        dated.scheduled_room_id = slot.room_id
        if change.kind == ChangeKind.CANCEL.value:
            dated.cancelled = True
        else:
            info = catalog.assignments.get(change.assignment_id or slot.assignment_id)
            if info is None:
                continue
            dated.assignment_id = info.id
            dated.teacher_id = change.teacher_id or info.teacher_id
            dated.room_id = change.room_id or slot.room_id
            dated.subgroup_key = info.subgroup_id or 0
        slots.append(dated)
    for change in adds:
        info = catalog.assignments.get(change.assignment_id)
        if info is None:
            continue
        slots.append(Slot(day=day, class_id=change.class_id, shift=change.shift, number=change.number,
                          assignment_id=info.id, teacher_id=change.teacher_id or info.teacher_id,
                          room_id=change.room_id, subgroup_key=info.subgroup_id or 0,
                          change_id=change.id, change_kind=change.kind, key=("change", id(change))))
    return slots, list(wanted.values())

# -- school days ----------------------------------------------------------------------------------

class SchoolDays:
    """Which dates a class studies: the working-day calendar, public holidays and каникулы."""

    def __init__(self, org_id, year, start, end):
        self.calendar = WorkingCalendar(org_id, start, end)
        self.holidays = db.session.execute(
            select(Holiday.name, Holiday.start_date, Holiday.end_date, Holiday.period_type,
                   Holiday.grade_from, Holiday.grade_to)
            .where(Holiday.org_id == org_id, Holiday.year_id == year.id,
                   Holiday.start_date <= end, Holiday.end_date >= start)).all()
        self.year = year

    def is_school_day(self, day):
        """A weekday or a Saturday that is not a day off; a Saturday has lessons only if the
        timetable has Saturday lessons (a six-day week)."""
        if not self.year.start_date <= day <= self.year.end_date:
            return False
        if day in self.calendar.exceptions:
            return self.calendar.exceptions[day]
        if (day.month, day.day) in PUBLIC_HOLIDAYS:
            return False
        return day.isoweekday() <= 6

    def holiday(self, day, grade, period_type=None):
        """The name of the каникулы on `day` for a grade level, or None.

        A holiday bound to a period type applies to classes that study by that type: when lessons
        are made for a period, its type; otherwise holidays of any type apply.
        """
        for h in self.holidays:
            if not h.start_date <= day <= h.end_date:
                continue
            if h.period_type and period_type and h.period_type != period_type:
                continue
            if (h.grade_from is None or grade >= h.grade_from) and (h.grade_to is None or grade <= h.grade_to):
                return h.name
        return None


def day_slots(catalog, days, day, entries_by_weekday, changes_by_date, period_type=None, class_ids=None):
    """The lessons that happen on a date (holidays and days off removed), and unmatched changes."""
    weekday = day.isoweekday()
    if weekday > 6 or not days.is_school_day(day):
        return [], list(changes_by_date.get(day, ()))
    slots, unmatched = apply_changes(catalog, day, entries_by_weekday.get(weekday, ()),
                                     changes_by_date.get(day, ()))
    kept = []
    for s in slots:
        if class_ids is not None and s.class_id not in class_ids:
            continue
        klass = catalog.classes.get(s.class_id)
        if klass is None or days.holiday(day, klass.grade, period_type):
            continue
        kept.append(s)
    return kept, unmatched
