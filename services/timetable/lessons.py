"""Lessons of the journal made from the timetable, and made again safely when it changes.

`generate_lessons` computes the lessons a period should have (the weekly timetable on every
school day, minus каникулы and days off, with the changes on dates applied) and brings the
lesson table to it in a few set-based statements. A lesson made by hand (from_timetable=False)
is never touched; a lesson that already has content (`lesson_has_content`) is never dropped —
when its slot has gone it stays and is reported as a conflict for the deputy to resolve.
Running it twice changes nothing the second time.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, delete, func, insert, or_, select, update

from models import (AcademicYear, Attendance, Lesson, Period, Task, TeachingAssignment, TimetableChange,
                    db)
from services import permissions
from services.errors import DomainError
from services.params import parse_id
from services.terms import term
from services.timetable.slots import Catalog, SchoolDays, day_slots, load_changes, load_entry_slots

CHUNK = 500


# -- planned vs given ---------------------------------------------------------------------------------

def planned_and_given(assignment_ids, today, start=None, end=None):
    """{assignment id: (given, planned)} of the assignments' lessons (dated in [start, end] when given):
    planned — every lesson, a cancelled one included (it was planned); given — not cancelled and dated
    up to `today`. One statement; every report of lessons planned vs given counts with it."""
    assignment_ids = list(assignment_ids)
    if not assignment_ids:
        return {}
    query = (select(Lesson.assignment_id,
                    func.sum(case((and_(Lesson.is_cancelled.is_(False), Lesson.date <= today), 1), else_=0)),
                    func.count(Lesson.id))
             .where(Lesson.assignment_id.in_(assignment_ids)).group_by(Lesson.assignment_id))
    if start is not None:
        query = query.where(Lesson.date >= start)
    if end is not None:
        query = query.where(Lesson.date <= end)
    return {a: (int(given or 0), int(planned or 0)) for a, given, planned in db.session.execute(query).all()}


# -- what counts as content ------------------------------------------------------------------------

def _text_present(column):
    return and_(column.is_not(None), func.trim(column) != "")


def _has_rows(model):
    return lambda: select(model.lesson_id).where(model.lesson_id == Lesson.id).exists()


# Each factory returns an SQL condition on Lesson that is true when the lesson holds something a
# teacher entered: a topic, homework, a task (column of marks) or attendance. The journal adds
# whatever else it keeps on a lesson with `register_content`.
_CONTENT_CONDITIONS = [lambda: _text_present(Lesson.topic), lambda: _text_present(Lesson.homework),
                       _has_rows(Task), _has_rows(Attendance)]


def register_content(condition_factory):
    """Add a kind of content, e.g. `lambda: exists().where(Attendance.lesson_id == Lesson.id)`."""
    _CONTENT_CONDITIONS.append(condition_factory)
    return condition_factory


def lesson_has_content(ids):
    """The ids among `ids` of lessons that hold content (topic, homework, and whatever the journal
    registers): such a lesson is never deleted by regeneration."""
    ids = list(ids)
    found = set()
    condition = or_(*(factory() for factory in _CONTENT_CONDITIONS))
    for start in range(0, len(ids), CHUNK):
        found.update(db.session.scalars(select(Lesson.id).where(Lesson.id.in_(ids[start:start + CHUNK]),
                                                                condition)))
    return found


# -- generation -----------------------------------------------------------------------------------

@dataclass
class Conflict:
    lesson_id: int
    date: date
    number: int
    class_name: str
    subject: str
    teacher: str
    reason: str


@dataclass
class GenerationResult:
    period: Period
    start: date
    end: date
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    manual_kept: int = 0
    conflicts: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # changes on dates that could not be applied
    dry_run: bool = False

    @property
    def changed(self):
        return self.created + self.updated + self.deleted


def _period_for(actor, period_id):
    period_id = parse_id(period_id)
    period = db.session.scalar(select(Period).where(Period.id == period_id, Period.org_id == actor.org_id)) \
        if period_id else None
    if period is None:
        raise DomainError("Учебный период не найден в вашей организации.")
    return period


def generate_lessons(actor, period_id, start=None, class_ids=None, dry_run=False):
    """Make the lessons of a period from the timetable (from `start` on, for `class_ids` or all
    classes of the year); with `dry_run` only report what would change."""
    permissions.require(actor, "timetable", "generate")
    period = _period_for(actor, period_id)
    year = db.session.get(AcademicYear, period.year_id)
    if year.is_closed:
        raise DomainError(f"Учебный год {year.name} закрыт: уроки не формируются.")
    if period.is_closed:
        raise DomainError(f"Период «{period.name}» закрыт для изменений: уроки не формируются.")
    begin = period.start_date
    if start is not None:
        if not period.start_date <= start <= period.end_date:
            raise DomainError(f"Дата «с» должна лежать в периоде «{period.name}» "
                              f"({period.start_date:%d.%m.%Y}–{period.end_date:%d.%m.%Y}).")
        begin = start
    end = period.end_date
    catalog = Catalog(actor.org, year.id)
    classes = set(catalog.classes)
    if class_ids:
        wanted = set(map(parse_id, class_ids))
        if not wanted <= classes:
            raise DomainError(f"{term('classes', actor.org)}: выбраны не из учебного года {year.name}.")
        classes = wanted
    result = GenerationResult(period=period, start=begin, end=end, dry_run=dry_run)

    desired = desired_lessons(catalog, year, period, begin, end, classes, result)
    existing = db.session.execute(
        select(Lesson.id, Lesson.assignment_id, Lesson.date, Lesson.number, Lesson.shift, Lesson.teacher_id,
               Lesson.room_id, Lesson.is_cancelled, Lesson.period_id, Lesson.from_timetable, Lesson.version)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .where(Lesson.org_id == actor.org_id, Lesson.date >= begin, Lesson.date <= end,
               TeachingAssignment.class_id.in_(classes))).all()

    inserts, updates, gone = [], [], []
    by_key = {(r.assignment_id, r.date, r.number): r for r in existing}
    for key, values in desired.items():
        row = by_key.get(key)
        if row is None:
            inserts.append({"org_id": actor.org_id, "assignment_id": key[0], "date": key[1], "number": key[2],
                            "from_timetable": True, "topic": None, "homework": None, **values})
        elif not row.from_timetable:
            result.manual_kept += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            # the version read: a lesson changed meanwhile (its topic saved) is not written over
            updates.append({"id": row.id, "version": row.version, **values})
        else:
            result.unchanged += 1
    for row in existing:
        if row.from_timetable and (row.assignment_id, row.date, row.number) not in desired:
            gone.append(row)

    with_content = lesson_has_content([r.id for r in gone] + [u["id"] for u in updates if u["is_cancelled"]])
    doomed = [r.id for r in gone if r.id not in with_content]
    for row in gone:
        if row.id in with_content:
            result.conflicts.append(_conflict(catalog, row, "урока больше нет в расписании на эту дату, "
                                                            "а в нём уже есть записи — урок оставлен"))
    by_id = {r.id: r for r in existing}
    for u in updates:
        if u["is_cancelled"] and u["id"] in with_content and not by_id[u["id"]].is_cancelled:
            result.conflicts.append(_conflict(catalog, by_id[u["id"]], "урок отменён заменой, "
                                                                        "а в нём уже есть записи"))
    result.created, result.updated, result.deleted = len(inserts), len(updates), len(doomed)
    if dry_run:
        return result
    if inserts:
        db.session.execute(insert(Lesson), inserts)
    if updates:
        db.session.execute(update(Lesson), updates)
    for i in range(0, len(doomed), CHUNK):
        db.session.execute(delete(Lesson).where(Lesson.id.in_(doomed[i:i + CHUNK]), Lesson.from_timetable.is_(True))
                           .execution_options(synchronize_session=False))
    return result


def desired_lessons(catalog, year, period, begin, end, classes, result):
    """{(assignment_id, date, number): column values} of the lessons the timetable gives."""
    entries = load_entry_slots(catalog)
    by_weekday = defaultdict(list)
    for s in entries:
        if s.class_id in classes:
            by_weekday[s.weekday].append(s)
    changes = load_changes(catalog, TimetableChange.date >= begin, TimetableChange.date <= end,
                           TimetableChange.class_id.in_(classes))
    by_date = defaultdict(list)
    for c in changes:
        by_date[c.date].append(c)
    days = SchoolDays(catalog.org.id, year, begin, end)
    desired = {}
    day = begin
    while day <= end:
        slots, unmatched = day_slots(catalog, days, day, by_weekday, by_date, period.type, classes)
        for s in slots:
            desired[(s.assignment_id, day, s.number)] = {
                "period_id": period.id, "shift": s.shift, "teacher_id": s.teacher_id, "room_id": s.room_id,
                "is_cancelled": s.cancelled}
        for c in unmatched:
            why = "в этот день уроков нет" if not days.is_school_day(day) or day.isoweekday() > 6 \
                else "такого урока в расписании нет"
            result.notes.append(f"{catalog.class_name(c.class_id)}, {c.date:%d.%m.%Y}, {c.number}-й урок: "
                                f"изменение не применено — {why}")
        day += timedelta(days=1)
    return desired


def _conflict(catalog, row, reason):
    info = catalog.assignments.get(row.assignment_id)
    return Conflict(lesson_id=row.id, date=row.date, number=row.number,
                    class_name=catalog.class_name(info.class_id) if info else "?",
                    subject=info.label if info else "?",
                    teacher=catalog.teacher_name(row.teacher_id or (info.teacher_id if info else None)),
                    reason=reason)


def keep_as_manual(actor, lesson_ids):
    """Resolve conflicts: the chosen lessons stay as lessons outside the timetable (made by hand),
    so regeneration no longer reports them. Returns how many were changed."""
    permissions.require(actor, "timetable", "generate")
    ids = set(map(parse_id, lesson_ids))
    if not ids:
        raise DomainError("Не выбрано ни одного урока.")
    found = db.session.scalars(select(Lesson.id).where(Lesson.id.in_(ids - {None}), Lesson.org_id == actor.org_id,
                                                       Lesson.from_timetable.is_(True))).all()
    if len(found) != len(ids):
        raise DomainError("Часть выбранных уроков не найдена или уже не связана с расписанием.")
    db.session.execute(update(Lesson).where(Lesson.id.in_(found)).values(from_timetable=False)
                       .execution_options(synchronize_session=False))
    return len(found)
