"""Class lists as of any date, from the movement book's history (ClassMembership).

«Who was in 5А on 1 October», «how many did 7Б have at the start of the quarter», and for a
journal's window the dates each student belonged to the class. Every function is one query;
none looks at `Student.status` or `Student.class_id`: the history is the source.
"""
from dataclasses import dataclass, field
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from models import ClassMembership, SchoolClass, Student, db

M = ClassMembership


def overlaps(start, end):
    """SQL: the membership shares at least one day with [start, end]."""
    return and_(M.start_date <= end, or_(M.end_date.is_(None), M.end_date >= start))


def covers(day):
    return overlaps(day, day)


def stayed(student_column, class_column, day_column):
    """SQL: the student studied in the class on the day — a membership of his in that class (not on
    academic leave) covers it. THE condition that makes an entry (a mark, an absence, a lesson) his in
    that class: every report and the diary take a student's entries only within his stays."""
    return (select(M.id).where(M.student_id == student_column, M.class_id == class_column,
                               M.start_date <= day_column, or_(M.end_date.is_(None), M.end_date >= day_column),
                               M.on_leave.is_(False))
            .exists())


def member_ids(class_id, start, end=None, include_leave=False):
    """A SELECT of the ids of students who belonged to the class on some day of [start, end]
    (one day when `end` is omitted): embed it in a query (`Student.id.in_(member_ids(...))`)."""
    query = select(M.student_id).where(M.class_id == class_id, overlaps(start, end or start))
    return query if include_leave else query.where(M.on_leave.is_(False))


def _sorted(query):
    return query.order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)


def class_roster(class_id, on_date, include_leave=False):
    """The students in the class on `on_date`, by surname."""
    cond = [M.class_id == class_id, covers(on_date)]
    if not include_leave:
        cond.append(M.on_leave.is_(False))
    return db.session.scalars(_sorted(select(Student).join(M, M.student_id == Student.id)
                                      .where(*cond).distinct())).all()


def class_count(class_id, on_date, include_leave=False):
    return class_counts([class_id], on_date, include_leave).get(class_id, 0)


def class_counts(class_ids, on_date, include_leave=False):
    """{class id: students in it on `on_date`} for several classes, in one query."""
    class_ids = list(class_ids)
    if not class_ids:
        return {}
    cond = [M.class_id.in_(class_ids), covers(on_date)]
    if not include_leave:
        cond.append(M.on_leave.is_(False))
    rows = db.session.execute(select(M.class_id, func.count(func.distinct(M.student_id)))
                              .where(*cond).group_by(M.class_id)).all()
    counts = dict.fromkeys(class_ids, 0)
    counts.update(dict(rows))
    return counts


def student_class_on(student_id, on_date, include_leave=True):
    """The class the student belonged to on `on_date` (None: not a student of any class then)."""
    cond = [M.student_id == student_id, covers(on_date)]
    if not include_leave:
        cond.append(M.on_leave.is_(False))
    return db.session.scalars(select(SchoolClass).join(M, M.class_id == SchoolClass.id)
                              .where(*cond).order_by(M.start_date.desc()).limit(1)).first()


def is_member(student_id, class_id, day, include_leave=False):
    cond = [M.student_id == student_id, M.class_id == class_id, covers(day)]
    if not include_leave:
        cond.append(M.on_leave.is_(False))
    return db.session.scalar(select(M.id).where(*cond).limit(1)) is not None


@dataclass
class RosterEntry:
    """A student of a class in a window: the date ranges (inclusive, clipped to the window) he
    studied in it, and those he spent there on academic leave."""

    student: Student
    ranges: list = field(default_factory=list)
    leave_ranges: list = field(default_factory=list)

    @property
    def student_id(self):
        return self.student.id

    def covers(self, day):
        """He studied in the class on `day` (a journal column is his, not greyed)."""
        return any(a <= day <= b for a, b in self.ranges)

    @property
    def first_day(self):
        days = [a for a, _ in self.ranges + self.leave_ranges]
        return min(days) if days else None

    @property
    def last_day(self):
        days = [b for _, b in self.ranges + self.leave_ranges]
        return max(days) if days else None

    def whole(self, start, end):
        """He studied in the class every day of [start, end]."""
        return any(a <= start and b >= end for a, b in self.ranges)


def rosters_between(class_ids, start, end):
    """{class id: [RosterEntry by surname]} of everyone who belonged to the classes on some day
    of [start, end], with his own ranges; one query whatever the number of classes or students."""
    class_ids = list(class_ids)
    result = {class_id: [] for class_id in class_ids}
    if not class_ids:
        return result
    rows = db.session.execute(_sorted(
        select(Student, M.class_id, M.start_date, M.end_date, M.on_leave)
        .join(M, M.student_id == Student.id)
        .where(M.class_id.in_(class_ids), overlaps(start, end)))
        .order_by(M.start_date)).all()
    entries = {}
    for student, class_id, since, until, on_leave in rows:
        entry = entries.get((class_id, student.id))
        if entry is None:
            entry = entries[(class_id, student.id)] = RosterEntry(student)
            result[class_id].append(entry)
        span = (max(since, start), min(until, end) if until is not None else end)
        (entry.leave_ranges if on_leave else entry.ranges).append(span)
    return result


def roster_between(class_id, start, end):
    """[RosterEntry] of a class for the window [start, end] (a journal's period): a student who
    moved in or out mid-window appears with his own dates only."""
    return rosters_between([class_id], start, end)[class_id]


def history_of(student_id):
    """A student's memberships, oldest first, with their classes and orders."""
    return db.session.scalars(select(M).where(M.student_id == student_id)
                              .options(joinedload(M.klass), joinedload(M.start_order), joinedload(M.end_order))
                              .order_by(M.start_date, M.id)).all()
