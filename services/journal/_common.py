"""What the journal's read models share (private to services/journal): a person's short name, the
period a page opens on, and the attendance kinds that count as a missed lesson.
"""
from models import AbsenceKind
from services import dates

MISSED_KINDS = (AbsenceKind.ABSENT.value, AbsenceKind.ILL.value, AbsenceKind.EXCUSED.value)


def short_person(last, first, middle=None):
    initials = "".join(f"{p[0]}." for p in (first, middle) if p)
    return f"{last} {initials}".strip()


def current_period(periods, today=None):
    """The period that contains today, else the next one, else the last one."""
    today = today or dates.today(periods[0].org_id if periods else None)
    return next((p for p in periods if p.start_date <= today <= p.end_date), None) or \
        next((p for p in periods if p.start_date > today), None) or (periods[-1] if periods else None)
