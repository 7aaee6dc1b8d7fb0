"""The history of a journal cell (the deputy director): its audit rows, oldest first, across every
incarnation of the entry (one deleted and made again has a new id).

``cell_history(actor, task_id, student_id)``, ``attendance_history(actor, lesson_id, student_id)``,
``period_mark_history(actor, student_id, subject_id, year_id, kind, period_id)``.
"""
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import AcademicYear, AuditLog, Lesson, PeriodMarkKind, Task, db
from services import permissions
from services.errors import PermissionDenied
from services.params import parse_id


# -- the history of a cell (the deputy director) -----------------------------------------------------

def _history(actor, entity, org_id, match):
    """Audit rows of every incarnation of one cell: an entry deleted and made again has a new id,
    so its ids are found by the cell's key in the rows that made them."""
    permissions.require(actor, "cell_history", "list")
    if actor.org_id is not None and org_id != actor.org_id:
        raise PermissionDenied()
    made = select(AuditLog.entity_id).where(
        AuditLog.entity == entity, AuditLog.org_id == org_id, AuditLog.action == "insert",
        *[AuditLog.changes[(column, 1)].as_string() == str(value) for column, value in match.items()])
    return db.session.scalars(
        select(AuditLog).where(AuditLog.entity == entity, AuditLog.org_id == org_id, AuditLog.entity_id.in_(made))
        .options(joinedload(AuditLog.user)).order_by(AuditLog.at, AuditLog.id)).all()


def cell_history(actor, task_id, student_id):
    task = db.session.get(Task, parse_id(task_id)) if parse_id(task_id) else None
    if task is None:
        raise PermissionDenied("Задание не найдено.")
    return _history(actor, "mark", task.org_id, {"task_id": task.id, "student_id": parse_id(student_id)})


def attendance_history(actor, lesson_id, student_id):
    lesson = db.session.get(Lesson, parse_id(lesson_id)) if parse_id(lesson_id) else None
    if lesson is None:
        raise PermissionDenied("Урок не найден.")
    return _history(actor, "attendance", lesson.org_id, {"lesson_id": lesson.id, "student_id": parse_id(student_id)})


def period_mark_history(actor, student_id, subject_id, year_id, kind, period_id=None):
    year = db.session.get(AcademicYear, parse_id(year_id)) if parse_id(year_id) else None
    if year is None:
        raise PermissionDenied("Учебный год не найден.")
    match = {"student_id": parse_id(student_id), "subject_id": parse_id(subject_id), "year_id": year.id, "kind": kind}
    if kind == PeriodMarkKind.PERIOD.value:
        match["period_id"] = parse_id(period_id)
    return _history(actor, "period_mark", year.org_id, match)
