"""The exam-session timetable (расписание сессии): no examiner, room or group is booked twice at
one time — neither by another exam nor by a lesson of the timetable on that date."""
from collections import defaultdict

from sqlalchemy import select

from models import ExamEntry, ExamKind, Period, Subgroup, Subject, TimetableChange, TimetableEntry, db
from services.errors import DomainError
from services.rules import validator
from services.terms import term
from services.timetable.bells import bell_times
from services.timetable.changes import class_context
from services.timetable.slots import Catalog, SchoolDays, day_slots, load_changes, load_entry_slots


def _span(entry):
    return f"{entry.date:%d.%m.%Y} с {entry.starts_at:%H:%M} до {entry.ends_at:%H:%M}"


def _groups_clash(class_a, sub_a, class_b, sub_b):
    return class_a == class_b and (not sub_a or not sub_b or sub_a == sub_b)


@validator(ExamEntry, "timetable.exam")
def validate_exam(entry):
    errors = []
    klass, org, year = class_context(entry, "Строка расписания сессии не сохранена", "Укажите группу")
    class_word = term("class_gen", org)
    if year.is_closed:
        errors.append(f"Учебный год {year.name} закрыт")
    if entry.kind not in {k.value for k in ExamKind}:
        errors.append("Укажите вид испытания")
    if entry.subject_id is None or db.session.get(Subject, entry.subject_id) is None:
        errors.append(f"Укажите {term('subject', org).lower()}")
    if entry.date is None:
        errors.append("Укажите дату")
    elif not year.start_date <= entry.date <= year.end_date:
        errors.append(f"Дата вне учебного года {year.name}")
    if entry.starts_at is None or entry.ends_at is None:
        errors.append("Укажите время начала и окончания")
    elif entry.starts_at >= entry.ends_at:
        errors.append("Начало должно быть раньше окончания")
    if entry.subgroup_id is not None:
        subgroup = db.session.get(Subgroup, entry.subgroup_id)
        if subgroup is None or subgroup.class_id != klass.id:
            errors.append(f"Подгруппа не из этой {class_word}")
        elif entry.subject_id and subgroup.subject_id != entry.subject_id:
            errors.append("Подгруппа составлена по другому предмету")
    if entry.period_id is not None:
        period = db.session.get(Period, entry.period_id)
        if period is None or period.year_id != year.id:
            errors.append(f"Период не из учебного года {year.name}")
    if entry.examiner_id is None:
        errors.append("Укажите экзаменатора")
    elif entry.assistant_id == entry.examiner_id:
        errors.append("Ассистент и экзаменатор — один и тот же человек")
    if errors:
        raise DomainError("Строка расписания сессии не сохранена", errors)

    catalog = Catalog(org, year.id)
    for staff_id in (entry.examiner_id, entry.assistant_id):
        if staff_id is not None and (staff_id not in catalog.teachers or catalog.teachers[staff_id].dismissal_date):
            errors.append(f"{catalog.teacher_name(staff_id)}: не работает в организации")
    if errors:
        raise DomainError("Строка расписания сессии не сохранена", errors)
    errors = _exam_clashes(entry, catalog, class_word) + _lesson_clashes(entry, catalog, year, class_word)
    if errors:
        raise DomainError("Строка расписания сессии не сохранена: есть накладки", errors)


def _exam_clashes(entry, catalog, class_word):
    others = db.session.scalars(select(ExamEntry).where(
        ExamEntry.org_id == entry.org_id, ExamEntry.date == entry.date, ExamEntry.id != (entry.id or 0),
        ExamEntry.starts_at < entry.ends_at, ExamEntry.ends_at > entry.starts_at)).all()
    people = {entry.examiner_id, entry.assistant_id} - {None}
    subjects = dict(db.session.execute(select(Subject.id, Subject.name).where(
        Subject.id.in_({o.subject_id for o in others}))).all()) if others else {}
    errors = []
    for other in others:
        what = f"{catalog.class_name(other.class_id)}, {subjects.get(other.subject_id, '')}"
        for person in sorted(people & {other.examiner_id, other.assistant_id}):
            errors.append(f"{catalog.teacher_name(person)} {_span(other)} уже принимает испытание: {what}")
        if entry.room_id and entry.room_id == other.room_id:
            errors.append(f"Аудитория {catalog.room_name(other.room_id)} {_span(other)} уже занята: {what}")
        if _groups_clash(entry.class_id, entry.subgroup_id, other.class_id, other.subgroup_id):
            errors.append(f"У {class_word} {catalog.class_name(other.class_id)} {_span(other)} уже стоит "
                          f"испытание: {subjects.get(other.subject_id, '')}")
    return errors


def _lesson_clashes(entry, catalog, year, class_word):
    """Lessons of the timetable on the exam's date that overlap it in time (by the bells)."""
    times = bell_times(entry.org_id, year.id)
    if not times:
        return []
    day = entry.date
    weekday = day.isoweekday()
    if weekday > 6:
        return []
    by_weekday = defaultdict(list)
    for s in load_entry_slots(catalog, _weekday_is(weekday)):
        by_weekday[weekday].append(s)
    changes = {day: load_changes(catalog, TimetableChange.date == day)}
    slots, _ = day_slots(catalog, SchoolDays(entry.org_id, year, day, day), day, by_weekday, changes)
    people = {entry.examiner_id, entry.assistant_id} - {None}
    errors = []
    for s in slots:
        span = times.get((s.shift, s.number))
        if s.cancelled or span is None or not (span[0] < entry.ends_at and entry.starts_at < span[1]):
            continue
        info = catalog.assignments[s.assignment_id]
        what = f"{s.number}-й урок, {catalog.class_name(s.class_id)}, {info.label}"
        if s.teacher_id in people:
            errors.append(f"{catalog.teacher_name(s.teacher_id)} {day:%d.%m.%Y} в это время ведёт урок ({what})")
        if entry.room_id and s.room_id == entry.room_id:
            errors.append(f"Аудитория {catalog.room_name(s.room_id)} {day:%d.%m.%Y} в это время занята уроком "
                          f"({what})")
        if _groups_clash(entry.class_id, entry.subgroup_id, s.class_id, info.subgroup_id):
            errors.append(f"У {class_word} {catalog.class_name(s.class_id)} {day:%d.%m.%Y} в это время урок по "
                          f"расписанию ({what}): отмените его заменой или перенесите испытание")
    return errors


def _weekday_is(weekday):
    return TimetableEntry.weekday == weekday


RULES = (validate_exam,)
