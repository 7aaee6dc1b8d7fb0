"""Reading the timetable: the lessons an actor may see, of the weekly template or of a dated week with its
changes, and the timetable as a grid of a class, a teacher, a room or every class (screen, print, .xlsx)."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import time, timedelta

from sqlalchemy import select

from models import WEEKDAYS, WEEKDAYS_SHORT, ChangeKind, TimetableChange, TimetableEntry, db
from services import permissions
from services.terms import term
from services.timetable.bells import bell_times
from services.timetable.slots import DAYS, SchoolDays, apply_changes, load_changes, load_entry_slots
from services.timetable.weekly import _class_shift


# -- reading the timetable -------------------------------------------------------------------------

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

