"""Changes on a date (замены): a replacement, a cancellation or an additional lesson, checked against the
weekly timetable and every other change of that date."""
from sqlalchemy import select

from models import AcademicYear, ChangeKind, Organization, SchoolClass, TimetableChange, TimetableEntry, db
from services.errors import DomainError
from services.rules import validator
from services.terms import term
from services.timetable.bells import bell_times
from services.timetable.clashes import find_clashes, when_text
from services.timetable.slots import MAX_NUMBER, Catalog, apply_changes, load_changes, load_entry_slots
from services.timetable.weekly import _class_shift


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


@validator(TimetableChange, "timetable.change")
def validate_change(change):
    """Refusals name the form's fields they are about (date, number, kind, scheduled_assignment,
    assignment, teacher, room: a model form marks them)."""
    errors, fields = [], {}

    def refuse(field, message):
        errors.append(message)
        fields.setdefault(field, message)

    klass, org, year = class_context(change, "Замена не сохранена", "Укажите класс")
    class_word = term("class_gen", org)
    if year.is_closed:
        errors.append(f"Учебный год {year.name} закрыт")
    if change.date is None:
        refuse("date", "Укажите дату")
    elif not year.start_date <= change.date <= year.end_date:
        refuse("date", f"Дата вне учебного года {year.name}")
    elif change.date.isoweekday() == 7:
        refuse("date", "В воскресенье уроков нет")
    if change.kind not in {k.value for k in ChangeKind}:
        refuse("kind", "Укажите вид изменения: замена, отмена или дополнительный урок")
    if change.number is None or not 0 <= change.number <= MAX_NUMBER:
        refuse("number", f"Номер урока — число от 0 до {MAX_NUMBER}")
    if errors:
        raise DomainError("Замена не сохранена", errors, fields)

    catalog = Catalog(org, year.id)
    for field_name, label in (("scheduled_assignment_id", "Урок по расписанию"), ("assignment_id", "Предмет")):
        value = getattr(change, field_name)
        field = field_name[:-3]
        if value is not None and catalog.assignments.get(value, None) is None:
            refuse(field, f"{label}: нагрузка не найдена в этом учебном году")
        elif value is not None and catalog.assignments[value].class_id != klass.id:
            refuse(field, f"{label}: нагрузка относится к {'другой группе' if org.is_college else 'другому классу'}")
    if change.teacher_id is not None:
        teacher = catalog.teachers.get(change.teacher_id)
        if teacher is None or teacher.dismissal_date is not None:
            refuse("teacher", "Заменяющий учитель не работает в организации")
    if change.room_id is not None and change.room_id not in catalog.rooms:
        refuse("room", "Кабинет не найден")
    if errors:
        raise DomainError("Замена не сохранена", errors, fields)

    weekday = change.date.isoweekday()
    week_slots = load_entry_slots(catalog, TimetableEntry.weekday == weekday)
    if change.kind == ChangeKind.ADD.value:
        change.scheduled_assignment_id = None
        if change.assignment_id is None:
            refuse("assignment", "Для дополнительного урока выберите предмет")
        change.shift = _class_shift(klass.id) or change.shift or 1
    else:
        scheduled = [s for s in week_slots if s.class_id == klass.id and s.number == change.number
                     and s.assignment_id == change.scheduled_assignment_id]
        if change.scheduled_assignment_id is None:
            refuse("scheduled_assignment", "Выберите урок по расписанию, который меняется")
        elif not scheduled:
            info = catalog.assignments[change.scheduled_assignment_id]
            refuse("scheduled_assignment", f"В расписании {class_word} {klass.name} "
                                           f"{when_text(change.date, 1, change.number)} нет урока «{info.label}»")
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
                    refuse("teacher", "Замена ничего не меняет: укажите другого учителя, кабинет или предмет")
    if errors:
        raise DomainError("Замена не сохранена", errors, fields)

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
    culprits = {}
    clashes = find_clashes(catalog, slots, bell_times(org.id, year.id), focus={("change", id(change))},
                           culprits=culprits)
    if clashes:
        booked = {"teacher": "teacher", "room": "room", "class": "number"}
        raise DomainError("Замена не сохранена: есть накладки", clashes,
                          {booked[kind]: text for kind, text in culprits.values()})


RULES = (validate_change,)
