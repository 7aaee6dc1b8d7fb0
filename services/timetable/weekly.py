"""The weekly timetable of a class: its entries, saved as a whole grid (`save_class_week`), and checked on
every flush.

No teacher, room or class is booked twice at one time (two subgroups of a class may study in
parallel, the whole class and one of its subgroups may not). The rule is checked here, whatever
the path into the data: the grid saves through `save_class_week`, which refuses with every clash
named; any other write of a weekly entry is checked again after the flush (`_check_flushed`),
a change on a date by its validator; the unique keys of models/timetable.py back it up.
"""
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy import inspect as sa_inspect

from models import AcademicYear, Organization, SchoolClass, TeachingAssignment, TimetableChange, TimetableEntry, db
from services import dates, permissions, versions
from services.errors import DomainError
from services.params import parse_id
from services.rules import rule, validator
from services.terms import term
from services.timetable.bells import bell_times
from services.timetable.clashes import find_clashes, when_text
from services.timetable.slots import (DAYS, MAX_NUMBER, Catalog, apply_changes, entry_slot, load_changes,
                                      load_entry_slots)


# -- the weekly timetable: entries --------------------------------------------------------------

def _class_shift(class_id, exclude_ids=()):
    return db.session.scalars(select(TimetableEntry.shift).where(
        TimetableEntry.class_id == class_id, TimetableEntry.id.not_in(list(exclude_ids) or [0]))
        .limit(1)).first()


@validator(TimetableEntry, "timetable.entry")
def validate_entry(entry):
    """Every weekly entry, whatever wrote it: its assignment is of its class, its copies are fresh."""
    errors = []
    klass = db.session.get(SchoolClass, entry.class_id) if entry.class_id else None
    assignment = db.session.get(TeachingAssignment, entry.assignment_id) if entry.assignment_id else None
    if klass is None:
        errors.append("Укажите класс")
    if assignment is None:
        errors.append("Укажите предмет (нагрузку учителя)")
    if klass is not None and assignment is not None and assignment.class_id != klass.id:
        errors.append("Нагрузка относится к другому классу")
    if entry.weekday not in DAYS:
        errors.append("День недели — с понедельника по субботу")
    if entry.shift not in (1, 2):
        errors.append("Смена — 1 или 2")
    if entry.number is None or not 0 <= entry.number <= MAX_NUMBER:
        errors.append(f"Номер урока — число от 0 до {MAX_NUMBER}")
    if klass is not None:
        year = db.session.get(AcademicYear, klass.year_id)
        if year.is_closed:
            errors.append(f"Учебный год {year.name} закрыт: расписание менять нельзя")
    if errors:
        raise DomainError("Урок расписания не сохранён", errors)
    entry.year_id = klass.year_id
    entry.org_id = klass.org_id
    entry.teacher_id = assignment.teacher_id
    entry.subgroup_key = assignment.subgroup_id or 0


@dataclass
class WeekSaveResult:
    added: int = 0
    removed: int = 0
    warnings: list = field(default_factory=list)


def class_for(actor, class_id, verb="list"):
    """A class of the actor's organization, or a DomainError (never another organization's)."""
    class_id = parse_id(class_id)
    klass = db.session.scalar(select(SchoolClass).where(SchoolClass.id == class_id,
                                                        SchoolClass.org_id == actor.org_id)) if class_id else None
    if klass is None:
        raise DomainError(f"{term('class', actor.org)} не найден(а) в вашей организации.")
    return klass


def week_token(slots):
    """The token of a class's weekly timetable as the grid page shows it (its slots): the page's
    form sends it back, and a save made from an older week is refused (services/versions.py)."""
    return versions.fingerprint((s.weekday, s.shift, s.number, s.assignment_id, s.room_id) for s in slots)


def save_class_week(actor, class_id, shift, cells, today=None, token=None):
    """Replace the weekly timetable of one class by `cells` [(weekday, number, assignment_id, room_id)].

    All or nothing: a clash with another class, a teacher or a room, or with a change already made
    on a date, refuses the whole grid with every clash named. `token`: week_token() of the week
    the grid was made from — a week changed since is refused, not written over (the page passes
    what its form sent); None for a caller that does not claim to know it.
    The DomainError names the cells it is about in its `fields`: `("cell" | "room", weekday, number,
    assignment_id)` (the subject, the room of that lesson).
    """
    permissions.require(actor, "timetable", "edit")
    klass = class_for(actor, class_id)
    # the class's row locked: two saves of one class's week compare their tokens one after the other
    db.session.execute(select(SchoolClass.id).where(SchoolClass.id == klass.id).with_for_update(key_share=True))
    year = db.session.get(AcademicYear, klass.year_id)
    if year.is_closed:
        raise DomainError(f"Учебный год {year.name} закрыт: расписание менять нельзя.")
    try:
        shift = int(shift)
    except (TypeError, ValueError):
        shift = 0
    if shift not in (1, 2):
        raise DomainError("Смена — 1 или 2.")
    catalog = Catalog(actor.org, year.id)
    if token is not None:
        versions.check(token, week_token(load_entry_slots(catalog, TimetableEntry.class_id == klass.id)))
    mine = {a.id for a in catalog.class_assignments(klass.id)}
    errors, wanted, fields = [], {}, {}

    def refuse(field, where, text):
        errors.append(f"{where}: {text}")
        fields.setdefault(field, text[:1].upper() + text[1:])

    for weekday, number, assignment_id, room_id in cells:
        where = when_text(weekday, shift, number) if weekday in DAYS else f"день {weekday}"
        if weekday not in DAYS or not 0 <= number <= MAX_NUMBER:
            errors.append(f"Неверная ячейка: {where}")
            continue
        cell = ("cell", weekday, number, assignment_id)
        if assignment_id not in mine:
            refuse(cell, where, f"выбранного предмета нет в нагрузке {term('class_gen', actor.org)} {klass.name}")
            continue
        if room_id is not None and room_id not in catalog.rooms:
            refuse(("room", weekday, number, assignment_id), where, "кабинет не найден")
            continue
        key = (weekday, number, assignment_id)
        if key in wanted:
            refuse(cell, where, f"предмет «{catalog.assignments[assignment_id].label}» выбран дважды")
            continue
        wanted[key] = room_id
    if errors:
        raise DomainError("Расписание не сохранено", errors, fields)

    new_slots = [entry_slot(catalog, None, klass.id, a, d, shift, n, r, key=("new", i))
                 for i, ((d, n, a), r) in enumerate(sorted(wanted.items()))]
    others = load_entry_slots(catalog, TimetableEntry.class_id != klass.id)
    times = bell_times(actor.org_id, year.id)
    culprits = {}
    clashes = find_clashes(catalog, others + new_slots, times, focus={s.key for s in new_slots},
                           culprits=culprits)
    if clashes:
        raise DomainError("Расписание не сохранено: есть накладки", clashes, {
            ("cell", s.day, s.number, s.assignment_id): culprits[s.key][1] for s in new_slots if s.key in culprits})
    clashes, stale = _dated_conflicts(catalog, others + new_slots, times, year, today, klass.id)
    if clashes:
        raise DomainError("Расписание не сохранено: оно противоречит заменам на даты", clashes)

    existing = db.session.scalars(select(TimetableEntry).where(TimetableEntry.class_id == klass.id)).all()
    keep = {(s.weekday, s.shift, s.number, s.assignment_id, s.room_id) for s in new_slots}
    old = {(e.weekday, e.shift, e.number, e.assignment_id, e.room_id): e for e in existing}
    result = WeekSaveResult(warnings=stale)
    # Removed rows go first, so a lesson moved within the grid never meets its own old row.
    for key, entry in old.items():
        if key not in keep:
            db.session.delete(entry)
            result.removed += 1
    db.session.flush()
    for s in new_slots:
        if (s.weekday, s.shift, s.number, s.assignment_id, s.room_id) not in old:
            db.session.add(TimetableEntry(org_id=actor.org_id, year_id=year.id, class_id=klass.id,
                                          assignment_id=s.assignment_id, weekday=s.weekday, shift=shift,
                                          number=s.number, room_id=s.room_id))
            result.added += 1
    db.session.flush()
    return result


def _dated_conflicts(catalog, week_slots, times, year, today, class_id=None):
    """Changes on dates from today on, laid over a new weekly timetable: clashes they would cause,
    and (as warnings) changes of `class_id` whose scheduled lesson is gone."""
    today = today or dates.today(year.org_id)
    changes = load_changes(catalog, TimetableChange.date >= today)
    if not changes:
        return [], []
    by_weekday = defaultdict(list)
    for s in week_slots:
        by_weekday[s.weekday].append(s)
    by_date = defaultdict(list)
    for c in changes:
        by_date[c.date].append(c)
    clashes, stale = [], []
    for day, day_changes in sorted(by_date.items()):
        if day.isoweekday() > 6:
            continue
        slots, unmatched = apply_changes(catalog, day, by_weekday.get(day.isoweekday(), ()), day_changes)
        focus = {s.key for s in slots if s.change_id is not None}
        for text in find_clashes(catalog, slots, times, focus=focus):
            if text not in clashes:
                clashes.append(text)
        for c in unmatched:
            if class_id is None or c.class_id == class_id:
                stale.append(f"Замена на {c.date:%d.%m.%Y}, {c.number}-й урок: такого урока в расписании "
                             f"больше нет, замена не действует — проверьте её")
    return clashes, stale


# -- the flush-time check of weekly entries (any path: model view, CLI, import) -------------------

TRACKED_ASSIGNMENT_FIELDS = ("teacher_id", "subgroup_id", "class_id", "year_id")


@rule("timetable.assignments", "guard")
def _note_assignment_changes(session, flush_context, instances):
    """An assignment that is in the timetable may not leave its class; its new teacher or subgroup
    is copied to its weekly entries and checked for clashes after the flush."""
    gone = [obj.id for obj in session.deleted if isinstance(obj, TeachingAssignment)]
    if gone:
        with session.no_autoflush:
            used = session.scalar(select(func.count(TimetableEntry.id)).where(TimetableEntry.assignment_id.in_(gone)))
        if used:
            raise DomainError("Нагрузка не удалена: она стоит в расписании (уроков в неделю: "
                              f"{used}). Сначала уберите её из расписания.")
    moved = session.info.setdefault("timetable_assignments", set())
    for obj in session.dirty:
        if not isinstance(obj, TeachingAssignment):
            continue
        state = sa_inspect(obj)
        if any(state.attrs[f].history.has_changes() for f in TRACKED_ASSIGNMENT_FIELDS):
            moved.add(obj.id)


@rule("timetable.clashes", "verify")
def _check_flushed(session, flush_context):
    touched = [o for o in list(session.new) + list(session.dirty)
               if isinstance(o, TimetableEntry) and (o in session.new or session.is_modified(o))]
    moved = session.info.pop("timetable_assignments", set())
    if not touched and not moved:
        return
    conn = session.connection()
    touched_ids = {o.id for o in touched}
    if moved:
        _refuse_moved_out_of_class(conn, moved)
        touched_ids |= set(conn.scalars(select(TimetableEntry.id).where(TimetableEntry.assignment_id.in_(moved))))
    if not touched_ids:
        return
    rows = conn.execute(select(TimetableEntry.org_id, TimetableEntry.year_id, TimetableEntry.class_id)
                        .where(TimetableEntry.id.in_(touched_ids)).distinct()).all()
    # Slots take the teacher and subgroup from the assignment itself, so a new teacher is checked here
    # before his name is copied into the entries.
    for org_id, year_id in {(r.org_id, r.year_id) for r in rows}:
        catalog = Catalog(session.get(Organization, org_id), year_id)
        clashes = find_clashes(catalog, load_entry_slots(catalog), bell_times(org_id, year_id),
                               focus={("entry", i) for i in touched_ids})
        if clashes:
            raise DomainError("Расписание не сохранено: есть накладки", clashes)
    if moved:
        _copy_assignment_fields(conn, moved)
    mixed = conn.execute(select(TimetableEntry.class_id).where(
        TimetableEntry.class_id.in_({r.class_id for r in rows}))
        .group_by(TimetableEntry.class_id).having(func.count(TimetableEntry.shift.distinct()) > 1)).first()
    if mixed is not None:
        raise DomainError("Расписание не сохранено: все уроки класса (группы) должны быть в одной смене.")


def _refuse_moved_out_of_class(conn, assignment_ids):
    misplaced = conn.scalar(select(TimetableEntry.id).join(
        TeachingAssignment, TeachingAssignment.id == TimetableEntry.assignment_id).where(
        TimetableEntry.assignment_id.in_(assignment_ids),
        (TeachingAssignment.class_id != TimetableEntry.class_id)
        | (TeachingAssignment.year_id != TimetableEntry.year_id)).limit(1))
    if misplaced is not None:
        raise DomainError("Нагрузка уже стоит в расписании своего класса: сначала уберите её из расписания, "
                          "потом меняйте класс или учебный год.")


def _copy_assignment_fields(conn, assignment_ids):
    teacher = select(TeachingAssignment.teacher_id).where(
        TeachingAssignment.id == TimetableEntry.assignment_id).scalar_subquery()
    subgroup = select(func.coalesce(TeachingAssignment.subgroup_id, 0)).where(
        TeachingAssignment.id == TimetableEntry.assignment_id).scalar_subquery()
    conn.execute(update(TimetableEntry).where(TimetableEntry.assignment_id.in_(assignment_ids))
                 .values(teacher_id=teacher, subgroup_key=subgroup))


RULES = (validate_entry, _note_assignment_changes, _check_flushed)
