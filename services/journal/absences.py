"""Why a student missed a lesson (the class teacher, SPEC §3 rule 5): «б» (ill), «у» (excused, with
the document), «н» (without a reason), written over the attendance the teacher marked.

``set_absence_reason(actor, attendance_id, code, note, document_date) -> int`` — the class teacher;
``set_absence_reasons(actor, items) -> int`` — several at once, all or none (AbsenceReasonsRefused);
``reason_deadline(org_id, document_date)`` — the last day for it (2 working days unless the organization's rule
says otherwise).
"""
from datetime import date, timedelta

from sqlalchemy import select

from models import AbsenceKind, Attendance, AttendanceCode, Student, db, utcnow
from services import dates, permissions
from services.control import rules as deadline_rules
from services.errors import DomainError, PermissionDenied
from services.journal._writes import _locked, _Periods, _transaction
from services.journal.payload import _text, _value
from services.org.calendar import WorkingCalendar
from services.params import parse_id

MAX_NOTE = 300
REASON_KINDS = (AbsenceKind.ABSENT.value, AbsenceKind.ILL.value, AbsenceKind.EXCUSED.value)


class AbsenceReasonsRefused(DomainError):
    """Some rows of a batch are wrong: nothing is saved; `row_errors` says why, per attendance id."""

    def __init__(self, row_errors, fields=None):
        super().__init__("Причины пропусков не сохранены", list(row_errors.values()), fields)
        self.row_errors = row_errors


def _apply_absence_reason(actor, attendance_id, code, note, document_date, version=None, fields=None):
    """Check one reason and, if it is right, write it into the open transaction; returns
    (row, errors). The caller's transaction commits or rolls back the whole batch. `version`: of
    the attendance the page showed (the teacher may have changed its code since); None — unknown.
    `fields` (a dict) gets each error under the input it is about: "code", "note", "document_date"."""
    fields = {} if fields is None else fields

    def refuse(field, message):
        errors.append(message)
        fields.setdefault(field, message)

    row = db.session.get(Attendance, parse_id(attendance_id)) if parse_id(attendance_id) else None
    if row is not None:  # the period's gate first, then the row: the order every save takes them in
        periods = _Periods(row.org_id, [row.lesson])
        rows = _locked(select(Attendance).where(Attendance.id == row.id), exclusive=True)
        row = rows[0] if rows else None
    if row is None or (actor.org_id is not None and row.org_id != actor.org_id):
        raise PermissionDenied("Отметка посещаемости не найдена или недоступна.")
    permissions.require_rows(actor, "absence_reason", "edit", Student, [row.student_id])
    errors = []
    if version is not None and parse_id(version) != row.version:
        refuse("code", "запись изменил другой пользователь — обновите страницу и укажите причину заново")
        return row, errors
    wanted = db.session.scalar(select(AttendanceCode).where(
        AttendanceCode.org_id == row.org_id, AttendanceCode.code == _value(code)))
    if wanted is None or wanted.kind not in REASON_KINDS:
        refuse("code", "Выберите причину: болезнь, уважительная причина или без уважительной причины")
    if row.code is not None and row.code.kind == AbsenceKind.LATE.value:
        refuse("code", "Опоздание не требует причины")
    note = _text(note)
    if len(note) > MAX_NOTE:
        refuse("note", f"Документ — не длиннее {MAX_NOTE} знаков")
    if document_date is not None and not isinstance(document_date, date):
        refuse("document_date", "Дата документа указывается в виде дд.мм.гггг")
    elif document_date is not None and document_date > dates.today(actor.org):
        refuse("document_date", "Дата документа не может быть в будущем")
    if wanted is not None and wanted.kind == AbsenceKind.EXCUSED.value and not (note or document_date):
        refuse("note", "Для уважительной причины укажите документ (справку, заявление) или его дату")
    closed = periods.closed_for(row.lesson)
    if closed is not None:
        refuse("code", f"Период «{closed.name}» закрыт для изменений")
    if not errors:
        row.code_id, row.code = wanted.id, wanted
        row.reason_note, row.document_date = note or None, document_date
        row.reason_set_by_id, row.reason_set_at = actor.user_id, utcnow()
    return row, errors


def set_absence_reason(actor, attendance_id, code, note, document_date):
    """The class teacher records why his student missed a lesson: «б» (ill), «у» (excused, with the
    document), «н» (without a reason). Returns the attendance's new version."""
    with _transaction(actor):
        row, errors = _apply_absence_reason(actor, attendance_id, code, note, document_date)
        if errors:
            raise DomainError("Причина пропуска не сохранена", errors)
        db.session.flush()
        return row.version


def set_absence_reasons(actor, items):
    """Several reasons at once (the absences page): all of them saved, or none.

    items: [{"attendance_id", "code", "note", "document_date", "version"?}]. Raises
    AbsenceReasonsRefused with every wrong row's message (and in its `fields`, under
    (attendance id, "code" | "note" | "document_date"), the input each is about). Returns how many were saved."""
    with _transaction(actor):
        row_errors, fields = {}, {}
        for item in items:
            row_fields = {}
            _, errors = _apply_absence_reason(actor, item["attendance_id"], item["code"], item.get("note"),
                                              item.get("document_date"), item.get("version"), row_fields)
            if errors:
                row_errors[int(item["attendance_id"])] = "; ".join(errors)
                fields.update({(int(item["attendance_id"]), field): text for field, text in row_fields.items()})
        if row_errors:
            raise AbsenceReasonsRefused(row_errors, fields)
        db.session.flush()
        return len(items)


def reason_deadline(org_id, document_date):
    """The last day to enter an absence reason: the organization's working days after the document (its rule
    «absences», 2 by default: services/control/rules.py)."""
    calendar = WorkingCalendar(org_id, document_date, document_date + timedelta(days=120))
    return calendar.add_working_days(document_date, deadline_rules.load(org_id).days("absences"))
