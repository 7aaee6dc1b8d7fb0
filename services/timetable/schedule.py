"""The timetable's rules: bells, the weekly timetable of a class, one-off changes on a date.

No teacher, room or class is booked twice at one time (two subgroups of a class may study in
parallel, the whole class and one of its subgroups may not). The rule is checked here, whatever
the path into the data: the grid saves through `save_class_week`, which refuses with every clash
named; any other write of a weekly entry is checked again after the flush (`_check_flushed`),
a change on a date by its validator; the unique keys of models/timetable.py back it up.
"""
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import time, timedelta

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from models import (AcademicYear, Bell, ChangeKind, Holiday, Organization, Room, SchoolClass,
                    Staff, Subgroup, Subject, TeachingAssignment, TimetableChange, TimetableEntry,
                    WEEKDAYS, WEEKDAYS_ON, WEEKDAYS_SHORT, db)
from services import clock, permissions, versions
from services.org.calendar import WorkingCalendar
from services.errors import DomainError
from services.params import parse_id
from services.rules import validator
from services.terms import term

DAYS = tuple(WEEKDAYS)  # 1 … 6
MAX_NUMBER = 12
# Days off by the Labour Code (art. 112) whatever the year; the organization's calendar
# (CalendarDay) may still make one of them working.
PUBLIC_HOLIDAYS = {(1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (1, 8), (2, 23), (3, 8),
                   (5, 1), (5, 9), (6, 12), (11, 4)}


# -- bells ------------------------------------------------------------------------------------

@validator(Bell)
def validate_bell(bell):
    errors = []
    if bell.shift not in (1, 2):
        errors.append("Смена — 1 или 2")
    if bell.number is None or not 0 <= bell.number <= MAX_NUMBER:
        errors.append(f"Номер урока — число от 0 до {MAX_NUMBER}")
    if bell.starts_at is None or bell.ends_at is None:
        errors.append("Укажите время начала и конца урока")
    elif bell.starts_at >= bell.ends_at:
        errors.append("Урок должен начинаться раньше, чем заканчивается")
    if errors:
        raise DomainError("Звонок не сохранён", errors)
    siblings = db.session.scalars(select(Bell).where(
        Bell.org_id == bell.org_id, Bell.shift == bell.shift, Bell.id != (bell.id or 0),
        Bell.year_id.is_(None) if bell.year_id is None else Bell.year_id == bell.year_id)).all()
    for other in siblings:
        if other.number == bell.number:
            errors.append(f"{bell.number}-й урок {bell.shift}-й смены уже есть в этом расписании звонков")
        elif other.starts_at < bell.ends_at and bell.starts_at < other.ends_at:
            errors.append(f"Время пересекается с {other.number}-м уроком "
                          f"({other.starts_at:%H:%M}–{other.ends_at:%H:%M})")
        elif (other.number < bell.number) != (other.starts_at < bell.starts_at):
            errors.append(f"{bell.number}-й урок не может идти раньше {other.number}-го")
    if errors:
        raise DomainError("Звонок не сохранён", errors)


def bell_times(org_id, year_id):
    """{(shift, number): (start, end)}: a shift's bells of the year if it has any, else the standing ones."""
    rows = db.session.execute(select(Bell.year_id, Bell.shift, Bell.number, Bell.starts_at, Bell.ends_at)
                              .where(Bell.org_id == org_id,
                                     (Bell.year_id == year_id) | Bell.year_id.is_(None))).all()
    own_shifts = {r.shift for r in rows if r.year_id is not None}
    return {(r.shift, r.number): (r.starts_at, r.ends_at) for r in rows
            if (r.year_id is not None) == (r.shift in own_shifts)}


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


# -- clashes --------------------------------------------------------------------------------------

def when_text(day, shift, number):
    if isinstance(day, int):
        when = WEEKDAYS_ON[day]
    else:
        when = f"{day:%d.%m.%Y} ({WEEKDAYS.get(day.isoweekday(), 'воскресенье').lower()})"
    return f"{when}, {number}-й урок" + (" 2-й смены" if shift == 2 else "")


def _overlap(a, b, times):
    if a == b:
        return True
    ta, tb = times.get(a), times.get(b)
    return bool(ta and tb and ta[0] < tb[1] and tb[0] < ta[1])


def find_clashes(catalog, slots, times, focus=None):
    """Russian messages naming every booking of a teacher, a room or a class twice at one time.

    `focus` limits the report to clashes that involve those slot keys (the ones being saved).
    """
    org = catalog.org
    teacher_word, class_word = term("teacher", org), term("class_gen", org)
    room_word = "Аудитория" if org.is_college else "Кабинет"
    active = [s for s in slots if not s.cancelled]
    by_day = defaultdict(lambda: defaultdict(list))
    for s in active:
        by_day[s.day][(s.shift, s.number)].append(s)
    messages, seen = [], set()

    def report(kind, a, b, text):
        pair = (kind, frozenset((a.key, b.key)))
        if pair not in seen:
            seen.add(pair)
            if text not in messages:
                messages.append(text)

    for day, groups in by_day.items():
        keys = list(groups)
        for ka in keys:
            near = [kb for kb in keys if _overlap(ka, kb, times)]
            for a in groups[ka]:
                if focus is not None and a.key not in focus:
                    continue
                for kb in near:
                    for b in groups[kb]:
                        if b is a:
                            continue
                        when = when_text(day, b.shift, b.number)
                        info_b = catalog.assignments[b.assignment_id]
                        cls_b = catalog.class_name(b.class_id)
                        if a.teacher_id == b.teacher_id:
                            report("teacher", a, b,
                                   f"{teacher_word} {catalog.teacher_name(b.teacher_id)} уже ведёт урок "
                                   f"{when}, в {cls_b} ({info_b.label})")
                        if a.room_id and a.room_id == b.room_id:
                            busy = "занята" if org.is_college else "занят"
                            report("room", a, b, f"{room_word} {catalog.room_name(b.room_id)} уже {busy} "
                                                 f"{when}: {cls_b}, {info_b.label}")
                        if a.class_id == b.class_id:
                            text = _class_clash_text(catalog, a, b, when, class_word, cls_b, info_b)
                            if text:
                                report("class", a, b, text)
    return messages


def _class_clash_text(catalog, a, b, when, class_word, cls_b, info_b):
    info_a = catalog.assignments[a.assignment_id]
    if a.subgroup_key and b.subgroup_key and a.subgroup_key != b.subgroup_key:
        return None  # two subgroups of one class study in parallel
    if not a.subgroup_key and not b.subgroup_key:
        return f"У {class_word} {cls_b} {when} уже стоит урок: {info_b.label}"
    if not b.subgroup_key:
        return (f"У {class_word} {cls_b} {when} уже стоит урок всего {class_word} ({info_b.label}): "
                f"урок подгруппы ({info_a.label}) в это время поставить нельзя")
    if not a.subgroup_key:
        return (f"У {class_word} {cls_b} {when} уже стоит урок подгруппы ({info_b.label}): "
                f"урок всего {class_word} ({info_a.label}) в это время поставить нельзя")
    return f"У подгруппы «{info_b.subgroup}» {class_word} {cls_b} {when} уже стоит урок: {info_b.label}"


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


# -- the weekly timetable: entries --------------------------------------------------------------

def _class_shift(class_id, exclude_ids=()):
    return db.session.scalars(select(TimetableEntry.shift).where(
        TimetableEntry.class_id == class_id, TimetableEntry.id.not_in(list(exclude_ids) or [0]))
        .limit(1)).first()


@validator(TimetableEntry)
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
    errors, wanted = [], {}
    for weekday, number, assignment_id, room_id in cells:
        where = when_text(weekday, shift, number) if weekday in DAYS else f"день {weekday}"
        if weekday not in DAYS or not 0 <= number <= MAX_NUMBER:
            errors.append(f"Неверная ячейка: {where}")
            continue
        if assignment_id not in mine:
            errors.append(f"{where}: выбранного предмета нет в нагрузке {term('class_gen', actor.org)} {klass.name}")
            continue
        if room_id is not None and room_id not in catalog.rooms:
            errors.append(f"{where}: кабинет не найден")
            continue
        key = (weekday, number, assignment_id)
        if key in wanted:
            errors.append(f"{where}: предмет «{catalog.assignments[assignment_id].label}» выбран дважды")
            continue
        wanted[key] = room_id
    if errors:
        raise DomainError("Расписание не сохранено", errors)

    new_slots = [entry_slot(catalog, None, klass.id, a, d, shift, n, r, key=("new", i))
                 for i, ((d, n, a), r) in enumerate(sorted(wanted.items()))]
    others = load_entry_slots(catalog, TimetableEntry.class_id != klass.id)
    times = bell_times(actor.org_id, year.id)
    clashes = find_clashes(catalog, others + new_slots, times, focus={s.key for s in new_slots})
    if clashes:
        raise DomainError("Расписание не сохранено: есть накладки", clashes)
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
    today = today or clock.today()
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


@event.listens_for(Session, "before_flush")
def _note_assignment_changes(session, flush_context, instances):
    """An assignment that is in the timetable may not leave its class; its new teacher or subgroup
    is copied to its weekly entries and checked for clashes after the flush."""
    from sqlalchemy import inspect as sa_inspect

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


@event.listens_for(Session, "after_flush")
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


# -- changes on a date (замены) -----------------------------------------------------------------

def class_context(row, refused, missing):
    """A timetable row's class, organization and year; the row takes the class's organization and
    year. Raises DomainError(refused, [missing]) when no class is given."""
    klass = db.session.get(SchoolClass, row.class_id) if row.class_id else None
    if klass is None:
        raise DomainError(refused, [missing])
    org = db.session.get(Organization, klass.org_id)
    year = db.session.get(AcademicYear, klass.year_id)
    row.org_id, row.year_id = klass.org_id, year.id
    return klass, org, year


@validator(TimetableChange)
def validate_change(change):
    errors = []
    klass, org, year = class_context(change, "Замена не сохранена", "Укажите класс")
    class_word = term("class_gen", org)
    if year.is_closed:
        errors.append(f"Учебный год {year.name} закрыт")
    if change.date is None:
        errors.append("Укажите дату")
    elif not year.start_date <= change.date <= year.end_date:
        errors.append(f"Дата вне учебного года {year.name}")
    elif change.date.isoweekday() == 7:
        errors.append("В воскресенье уроков нет")
    if change.kind not in {k.value for k in ChangeKind}:
        errors.append("Укажите вид изменения: замена, отмена или дополнительный урок")
    if change.number is None or not 0 <= change.number <= MAX_NUMBER:
        errors.append(f"Номер урока — число от 0 до {MAX_NUMBER}")
    if errors:
        raise DomainError("Замена не сохранена", errors)

    catalog = Catalog(org, year.id)
    for field_name, label in (("scheduled_assignment_id", "Урок по расписанию"), ("assignment_id", "Предмет")):
        value = getattr(change, field_name)
        if value is not None and catalog.assignments.get(value, None) is None:
            errors.append(f"{label}: нагрузка не найдена в этом учебном году")
        elif value is not None and catalog.assignments[value].class_id != klass.id:
            errors.append(f"{label}: нагрузка относится к {'другой группе' if org.is_college else 'другому классу'}")
    if change.teacher_id is not None:
        teacher = catalog.teachers.get(change.teacher_id)
        if teacher is None or teacher.dismissal_date is not None:
            errors.append("Заменяющий учитель не работает в организации")
    if change.room_id is not None and change.room_id not in catalog.rooms:
        errors.append("Кабинет не найден")
    if errors:
        raise DomainError("Замена не сохранена", errors)

    weekday = change.date.isoweekday()
    week_slots = load_entry_slots(catalog, TimetableEntry.weekday == weekday)
    if change.kind == ChangeKind.ADD.value:
        change.scheduled_assignment_id = None
        if change.assignment_id is None:
            errors.append("Для дополнительного урока выберите предмет")
        change.shift = _class_shift(klass.id) or change.shift or 1
    else:
        scheduled = [s for s in week_slots if s.class_id == klass.id and s.number == change.number
                     and s.assignment_id == change.scheduled_assignment_id]
        if change.scheduled_assignment_id is None:
            errors.append("Выберите урок по расписанию, который меняется")
        elif not scheduled:
            info = catalog.assignments[change.scheduled_assignment_id]
            errors.append(f"В расписании {class_word} {klass.name} {when_text(change.date, 1, change.number)} "
                          f"нет урока «{info.label}»")
        else:
            change.shift = scheduled[0].shift
            if change.kind == ChangeKind.CANCEL.value:
                change.assignment_id = change.teacher_id = change.room_id = None
            else:
                if change.assignment_id == change.scheduled_assignment_id:
                    change.assignment_id = None
                effective = catalog.assignments[change.assignment_id or change.scheduled_assignment_id]
                if change.teacher_id == effective.teacher_id:
                    change.teacher_id = None
                if change.room_id == scheduled[0].room_id:
                    change.room_id = None
                if change.assignment_id is None and change.teacher_id is None and change.room_id is None:
                    errors.append("Замена ничего не меняет: укажите другого учителя, кабинет или предмет")
    if errors:
        raise DomainError("Замена не сохранена", errors)

    twin = db.session.scalar(select(TimetableChange.id).where(
        TimetableChange.class_id == klass.id, TimetableChange.date == change.date,
        TimetableChange.number == change.number, TimetableChange.id != (change.id or 0),
        TimetableChange.kind != ChangeKind.ADD.value,
        TimetableChange.scheduled_assignment_id == change.scheduled_assignment_id))
    if twin is not None and change.kind != ChangeKind.ADD.value:
        raise DomainError("Замена не сохранена", ["На этот урок в этот день изменение уже есть — "
                                                  "исправьте его, а не добавляйте второе"])
    others = load_changes(catalog, TimetableChange.date == change.date,
                          TimetableChange.id != (change.id or 0))
    slots, _ = apply_changes(catalog, change.date, week_slots, [*others, change])
    clashes = find_clashes(catalog, slots, bell_times(org.id, year.id), focus={("change", id(change))})
    if clashes:
        raise DomainError("Замена не сохранена: есть накладки", clashes)


# -- reading the timetable -------------------------------------------------------------------------

def current_year(org_id, today=None):
    """The academic year that contains today, else the latest open one."""
    today = today or clock.today()
    year = db.session.scalar(select(AcademicYear).where(
        AcademicYear.org_id == org_id, AcademicYear.start_date <= today, AcademicYear.end_date >= today))
    if year is None:
        year = db.session.scalar(select(AcademicYear).where(AcademicYear.org_id == org_id)
                                 .order_by(AcademicYear.is_closed, AcademicYear.start_date.desc()).limit(1))
    return year


def monday(day):
    return day - timedelta(days=day.isoweekday() - 1)


def visible_ids(actor, view, model, year_id):
    """Ids of `model` rows of the year that the actor may list (the permission table's rows)."""
    cond = permissions.row_condition(actor, view, "list", model)
    return set(db.session.scalars(select(model.id).where(model.org_id == actor.org_id,
                                                         model.year_id == year_id, cond)))


def week_slots(actor, catalog, year, week_start=None):
    """The lessons the actor may see: the weekly template, or a dated week with its changes.

    Returns (slots, day_notes): day_notes {date: reason} for dates without lessons (каникулы,
    выходной), only for a dated week.
    """
    entries = load_entry_slots(catalog)
    seen_entries = visible_ids(actor, "timetable", TimetableEntry, year.id)
    if week_start is None:
        return [s for s in entries if s.entry_id in seen_entries], {}
    end = week_start + timedelta(days=5)
    changes = load_changes(catalog, TimetableChange.date >= week_start, TimetableChange.date <= end)
    seen_changes = visible_ids(actor, "timetable_change", TimetableChange, year.id) if changes else set()
    days = SchoolDays(actor.org_id, year, week_start, end)
    by_weekday = defaultdict(list)
    for s in entries:
        by_weekday[s.weekday].append(s)
    by_date = defaultdict(list)
    for c in changes:
        by_date[c.date].append(c)
    slots, notes = [], {}
    for offset in range(6):
        day = week_start + timedelta(days=offset)
        if not days.is_school_day(day):
            notes[day] = "вне учебного года" if not year.start_date <= day <= year.end_date else "нерабочий день"
            continue
        for s in apply_changes(catalog, day, by_weekday.get(day.isoweekday(), ()), by_date.get(day, ()))[0]:
            klass = catalog.classes.get(s.class_id)
            holiday = days.holiday(day, klass.grade) if klass else None
            if holiday:
                notes.setdefault((day, s.class_id), holiday)
                continue
            if s.entry_id in seen_entries and s.change_id is None or s.change_id in seen_changes:
                slots.append(s)
    return slots, notes


# -- the timetable as a grid (screen, print, .xlsx) ---------------------------------------------------

BY_CHOICES = (("class", "По классам"), ("teacher", "По учителям"), ("room", "По кабинетам"),
              ("all", "Сводное"))


@dataclass
class GridItem:
    subject: str
    detail: str
    room: str
    change_kind: str | None = None
    cancelled: bool = False
    note: str = ""

    @property
    def room_label(self):
        """«каб. 101», but «Спортзал» as it is."""
        return f"каб. {self.room}" if self.room[:1].isdigit() else self.room

    def lines(self):
        return [t for t in (self.subject, self.detail, self.room and self.room_label, self.note) if t]


@dataclass
class Grid:
    title: str
    period: str
    columns: list  # (key, label, sublabel)
    rows: list  # (key, label, times)
    cells: dict  # (row key, column key) -> [GridItem]
    notes: dict  # column key -> why the day has no lessons

    def items(self, row_key, col_key):
        return self.cells.get((row_key, col_key), ())


def _times_label(times, shift, number):
    span = times.get((shift, number))
    return f"{span[0]:%H:%M}–{span[1]:%H:%M}" if span else ""


def _item(catalog, s, by, target_id):
    info = catalog.assignments[s.assignment_id]
    teacher = catalog.teacher_name(s.teacher_id)
    cls = catalog.class_name(s.class_id)
    detail = {"class": teacher, "teacher": cls, "room": f"{cls}, {teacher}", "all": teacher}[by]
    notes = []
    cancelled = s.cancelled
    if s.change_kind == ChangeKind.CANCEL.value:
        notes.append("урок отменён")
    elif s.change_kind == ChangeKind.ADD.value:
        notes.append("дополнительный урок")
    elif s.change_kind == ChangeKind.REPLACE.value:
        if by == "teacher" and s.teacher_id != target_id:
            cancelled = True
            notes.append(f"замена: ведёт {teacher}")
            detail = cls
        elif s.teacher_id != s.scheduled_teacher_id:
            notes.append(f"замена, вместо {catalog.teacher_name(s.scheduled_teacher_id)}")
        if s.assignment_id != s.scheduled_assignment_id:
            notes.append(f"вместо «{catalog.assignments[s.scheduled_assignment_id].label}»")
        if s.room_id != s.scheduled_room_id and s.room_id:
            notes.append("другой кабинет")
    return GridItem(subject=info.label, detail=detail, room=catalog.room_name(s.room_id),
                    change_kind=s.change_kind, cancelled=cancelled, note="; ".join(notes))


def build_grid(actor, catalog, year, by, target_id, week_start=None):
    """The timetable of a class, a teacher, a room, or of every class, as rows × columns."""
    slots, notes = week_slots(actor, catalog, year, week_start)
    times = bell_times(actor.org_id, year.id)
    if by == "class":
        slots = [s for s in slots if s.class_id == target_id]
        title = f"{term('class', catalog.org)} {catalog.class_name(target_id)}"
    elif by == "teacher":
        slots = [s for s in slots if s.teacher_id == target_id
                 or (s.change_id is not None and s.scheduled_teacher_id == target_id)]
        title = f"{term('teacher', catalog.org)} {catalog.teacher_name(target_id)}"
    elif by == "room":
        slots = [s for s in slots if s.room_id == target_id]
        title = f"{'Аудитория' if catalog.org.is_college else 'Кабинет'} {catalog.room_name(target_id)}"
    else:
        title = "Сводное расписание"
    dated = week_start is not None
    days = [d for d in DAYS if d <= 5 or any(s.weekday == 6 for s in slots)]
    day_keys = [week_start + timedelta(days=d - 1) if dated else d for d in days]

    def day_label(key):
        return WEEKDAYS[key.isoweekday() if dated else key]

    shifts = sorted({s.shift for s in slots}) or ([_class_shift(target_id) or 1] if by == "class" else [1])
    def by_time(key):
        span = times.get(key)
        return (span[0] if span else time.max, key)

    numbers = sorted({(sh, n) for (sh, n) in times if sh in shifts} | {(s.shift, s.number) for s in slots},
                     key=by_time)
    two_shifts = len(shifts) > 1

    def number_label(sh, n):
        return f"{n}" + (f" ({sh} см.)" if two_shifts else "")

    cells = defaultdict(list)
    if by == "all":
        columns = [(cid, c.name, "") for cid, c in catalog.classes.items()]
        def short(key):
            return f"{WEEKDAYS_SHORT[key.isoweekday()]} {key:%d.%m}" if dated else WEEKDAYS_SHORT[key]

        rows = [((key, sh, n), f"{short(key)}, {number_label(sh, n)}", _times_label(times, sh, n))
                for key in day_keys for sh, n in numbers]
        for s in slots:
            cells[((s.day, s.shift, s.number), s.class_id)].append(_item(catalog, s, by, target_id))
        col_notes = {}
    else:
        columns = [(key, day_label(key), f"{key:%d.%m}" if dated else "") for key in day_keys]
        rows = [((sh, n), number_label(sh, n), _times_label(times, sh, n)) for sh, n in numbers]
        for s in slots:
            cells[((s.shift, s.number), s.day)].append(_item(catalog, s, by, target_id))
        col_notes = {key: notes[key] for key in day_keys if key in notes}
        if by == "class":
            col_notes.update({key: notes[(key, target_id)] for key in day_keys if (key, target_id) in notes})
    if dated:
        period = f"неделя {week_start:%d.%m.%Y}–{week_start + timedelta(days=len(days) - 1):%d.%m.%Y}"
    else:
        period = f"{year.name} учебный год, на неделю"
    return Grid(title=title, period=period, columns=columns, rows=rows, cells=dict(cells), notes=col_notes)


# The exam-session rules live beside the timetable's and must be registered with it.
from services.timetable import exams
