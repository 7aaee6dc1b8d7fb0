"""Bells (расписание звонков): a shift's lessons by number and time, of a year or standing."""
from sqlalchemy import select

from models import Bell, db
from services.errors import DomainError
from services.rules import validator
from services.timetable.slots import MAX_NUMBER


@validator(Bell, "timetable.bell")
def validate_bell(bell):
    """Refusals name the bell's fields they are about (a model form marks them)."""
    errors, fields = [], {}

    def refuse(field, message):
        errors.append(message)
        fields.setdefault(field, message)

    if bell.shift not in (1, 2):
        refuse("shift", "Смена — 1 или 2")
    if bell.number is None or not 0 <= bell.number <= MAX_NUMBER:
        refuse("number", f"Номер урока — число от 0 до {MAX_NUMBER}")
    if bell.starts_at is None or bell.ends_at is None:
        refuse("starts_at" if bell.starts_at is None else "ends_at", "Укажите время начала и конца урока")
    elif bell.starts_at >= bell.ends_at:
        refuse("ends_at", "Урок должен начинаться раньше, чем заканчивается")
    if errors:
        raise DomainError("Звонок не сохранён", errors, fields)
    siblings = db.session.scalars(select(Bell).where(
        Bell.org_id == bell.org_id, Bell.shift == bell.shift, Bell.id != (bell.id or 0),
        Bell.year_id.is_(None) if bell.year_id is None else Bell.year_id == bell.year_id)).all()
    for other in siblings:
        if other.number == bell.number:
            refuse("number", f"{bell.number}-й урок {bell.shift}-й смены уже есть в этом расписании звонков")
        elif other.starts_at < bell.ends_at and bell.starts_at < other.ends_at:
            refuse("starts_at", f"Время пересекается с {other.number}-м уроком "
                                f"({other.starts_at:%H:%M}–{other.ends_at:%H:%M})")
        elif (other.number < bell.number) != (other.starts_at < bell.starts_at):
            refuse("number", f"{bell.number}-й урок не может идти раньше {other.number}-го")
    if errors:
        raise DomainError("Звонок не сохранён", errors, fields)


def bell_times(org_id, year_id):
    """{(shift, number): (start, end)}: a shift's bells of the year if it has any, else the standing ones."""
    rows = db.session.execute(select(Bell.year_id, Bell.shift, Bell.number, Bell.starts_at, Bell.ends_at)
                              .where(Bell.org_id == org_id,
                                     (Bell.year_id == year_id) | Bell.year_id.is_(None))).all()
    own_shifts = {r.shift for r in rows if r.year_id is not None}
    return {(r.shift, r.number): (r.starts_at, r.ends_at) for r in rows
            if (r.year_id is not None) == (r.shift in own_shifts)}


RULES = (validate_bell,)
