"""«Отметка ошибочна» (seed 000 §4.4, issue 16.4): a student or a parent flags a mark of his diary with a
comment; the teacher of the mark's journal sees it on the grid's cell and on his start page and answers
«исправлено» (he has corrected the mark through the grid's normal save: the answer names the new value) or
«оценка верна» (with a comment); the flagger is notified (services/notify.py, kind "flag"). The deputy
director answers any flag — he alone corrects a closed period or a mark closed by a period mark.

Every rule lives here (a direct POST obeys it too); rows are reached through the permission table (key
"mark_flag"; whose marks may be flagged: the key "diary"). MarkFlag is audited (every change a row of the
audit log).
"""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, select

from models import (AcademicYear, Lesson, Mark, MarkFlag, MarkFlagStatus, Period, PeriodMark, PeriodMarkKind,
                    SchoolClass, Student, Subject, Task, TaskType, TeachingAssignment, db)
from services.terms import for_kind
from services import clock, notify, permissions
from services.errors import DomainError, PermissionDenied
from services.journal import policy
from services.journal._common import short_person

MAX_COMMENT = 2000
CORRECTED, CONFIRMED = "corrected", "confirmed"
VERDICTS = {CORRECTED: "исправлено", CONFIRMED: "оценка верна"}
CLOSED_PERIOD = "период закрыт — исправить отметку может заместитель директора"


def _comment(text, required, what="комментарий"):
    text = (text or "").strip()
    if required and not text:
        raise DomainError(f"Напишите {what}.")
    if len(text) > MAX_COMMENT:
        raise DomainError(f"Комментарий слишком длинный: не больше {MAX_COMMENT} знаков.")
    return text


# -- the flagger's side --------------------------------------------------------------------------------

def flag_mark(actor, mark_id, comment):
    """A student (his own mark) or a parent (his child's) flags a mark as wrong; one open flag per mark and
    person. PermissionDenied for a mark outside his diaries."""
    permissions.require(actor, "mark_flag", "create")
    if not permissions.allowed(actor, "diary", "list"):
        raise PermissionDenied()
    row = db.session.execute(
        select(Mark, Task.lesson_id, Lesson.assignment_id).join(Task, Task.id == Mark.task_id)
        .join(Lesson, Lesson.id == Task.lesson_id)
        .join(Student, Student.id == Mark.student_id)
        .where(Mark.id == mark_id, permissions.row_condition(actor, "diary", "list", Student))).first()
    if row is None:
        raise PermissionDenied("Нет такой отметки в ваших дневниках.")
    mark, lesson_id, assignment_id = row
    text = _comment(comment, True, "комментарий: что, по-вашему, не так с отметкой")
    already = db.session.scalar(select(MarkFlag.id).where(
        MarkFlag.mark_id == mark.id, MarkFlag.flagged_by_id == actor.user_id,
        MarkFlag.status == MarkFlagStatus.OPEN))
    if already is not None:
        raise DomainError(for_kind("Вы уже отметили эту отметку как ошибочную: ответ учителя ещё не получен."))
    flag = MarkFlag(org_id=mark.org_id, mark_id=mark.id, student_id=mark.student_id, lesson_id=lesson_id,
                    assignment_id=assignment_id, mark_value=mark.value, mark_version=mark.version or 1,
                    flagged_by_id=actor.user_id, comment=text, status=MarkFlagStatus.OPEN)
    db.session.add(flag)
    db.session.flush()
    return flag


def can_flag(actor):
    return permissions.allowed(actor, "mark_flag", "create") and permissions.allowed(actor, "diary", "list")


def mark_shown(mark_id, student_id):
    """What the flag form shows of a student's mark (value, comment, task type, subject, date), or None. The
    caller has checked the student is in the actor's diaries; flag_mark checks it again."""
    row = db.session.execute(
        select(Mark.value, Mark.comment, TaskType.name, Subject.name, Lesson.date)
        .join(Task, Task.id == Mark.task_id).join(TaskType, TaskType.id == Task.type_id)
        .join(Lesson, Lesson.id == Task.lesson_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .where(Mark.id == mark_id, Mark.student_id == student_id)).first()
    if row is None:
        return None
    return {"id": mark_id, "value": row[0], "comment": row[1] or "", "type": row[2], "subject": row[3],
            "date": row[4]}


def my_flags(actor, student_id):
    """{mark id: the actor's latest flag of it} and the actor's flags of the student (newest first): the
    diary shows each mark's state and the answers. One statement."""
    if not permissions.allowed(actor, "mark_flag", "list"):
        return {}, []
    flags = db.session.scalars(
        select(MarkFlag).where(MarkFlag.student_id == student_id,
                               permissions.row_condition(actor, "mark_flag", "list", MarkFlag))
        .order_by(MarkFlag.created_at.desc(), MarkFlag.id.desc())).all()
    by_mark = {}
    for flag in flags:
        if flag.mark_id is not None:
            by_mark.setdefault(flag.mark_id, flag)
    return by_mark, flags


# -- the teacher's side --------------------------------------------------------------------------------

@dataclass
class FlagItem:
    id: int
    status: str
    status_label: str
    student: str
    class_name: str
    subject: str
    lesson_date: date | None
    mark_value: str
    current_value: str | None  # None: the mark is gone
    comment: str
    created_at: datetime
    answer: str
    corrected_value: str | None
    assignment_id: int
    period_id: int | None
    teacher_id: int | None

    @property
    def mark_gone(self):
        return self.current_value is None


def _items(actor, *conditions, limit=None):
    """The flags the actor may read, with what the list shows; one statement."""
    current = select(Mark.value).where(Mark.id == MarkFlag.mark_id).correlate(MarkFlag).scalar_subquery()
    query = (select(MarkFlag, Student.last_name, Student.first_name, Student.middle_name, SchoolClass.name,
                    Subject.name, Lesson.date, current, Lesson.period_id, TeachingAssignment.teacher_id)
             .join(Student, Student.id == MarkFlag.student_id)
             .join(TeachingAssignment, TeachingAssignment.id == MarkFlag.assignment_id)
             .join(Subject, Subject.id == TeachingAssignment.subject_id)
             .join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
             .outerjoin(Lesson, Lesson.id == MarkFlag.lesson_id)
             .where(permissions.row_condition(actor, "mark_flag", "list", MarkFlag), *conditions)
             .order_by(MarkFlag.created_at.desc(), MarkFlag.id.desc()))
    if limit is not None:
        query = query.limit(limit)
    return [FlagItem(f.id, f.status, f.status_label, short_person(last, first, middle), klass, subject, day,
                     f.mark_value, value, f.comment, f.created_at, f.answer or "", f.corrected_value,
                     f.assignment_id, period_id, teacher_id)
            for f, last, first, middle, klass, subject, day, value, period_id, teacher_id
            in db.session.execute(query).all()]


def open_flags(actor, limit=None):
    """The open flags the actor answers (his journals'; the deputy's: all), newest first."""
    if not permissions.allowed(actor, "mark_flag", "answer"):
        return []
    return _items(actor, MarkFlag.status == MarkFlagStatus.OPEN, limit=limit)


def flag_list(actor, status=None, limit=500):
    """The flags the actor may read (open ones first when no status is asked)."""
    if not permissions.allowed(actor, "mark_flag", "list"):
        return []
    conditions = [MarkFlag.status == status] if status else []
    items = _items(actor, *conditions, limit=limit)
    return sorted(items, key=lambda i: i.status != MarkFlagStatus.OPEN)


def get_item(actor, flag_id):
    found = _items(actor, MarkFlag.id == flag_id)
    return found[0] if found else None


def open_flags_of_lessons(lesson_ids, *columns):
    """The `columns` (of MarkFlag and Mark) of the open flags of these lessons' marks: the grid's markers, a
    UNION branch of the grid's one statement of entries (services/journal/grid.py)."""
    return select(*columns).select_from(MarkFlag) \
        .join(Mark, Mark.id == MarkFlag.mark_id) \
        .where(MarkFlag.lesson_id.in_(lesson_ids), MarkFlag.status == MarkFlagStatus.OPEN)


def lock_reason(flag):
    """Why the journal's teacher cannot change the flagged mark any more ('' when he can): the period or the
    year is closed, or a period (year, final) mark of the student closes it."""
    if flag.lesson_id is None:
        return ""
    lesson = db.session.get(Lesson, flag.lesson_id)
    assignment = db.session.get(TeachingAssignment, flag.assignment_id)
    if lesson is None or assignment is None:
        return ""
    if db.session.scalar(select(AcademicYear.is_closed).where(AcademicYear.id == assignment.year_id)):
        return "учебный год закрыт — исправить отметку может заместитель директора"
    closed = db.session.scalar(select(Period.id).where(
        Period.org_id == lesson.org_id, Period.year_id == assignment.year_id, Period.is_closed.is_(True),
        Period.start_date <= lesson.date, Period.end_date >= lesson.date).limit(1))
    if closed is not None:
        return CLOSED_PERIOD
    periods = select(Period.id).where(Period.year_id == assignment.year_id, Period.start_date <= lesson.date,
                                      Period.end_date >= lesson.date)
    kind = db.session.scalar(select(PeriodMark.kind).where(
        PeriodMark.student_id == flag.student_id, PeriodMark.subject_id == assignment.subject_id,
        PeriodMark.year_id == assignment.year_id,
        and_(PeriodMark.value.is_not(None), PeriodMark.value != ""),
        (PeriodMark.kind != PeriodMarkKind.PERIOD.value) | PeriodMark.period_id.in_(periods)).limit(1))
    return policy.lock_reason(kind) if kind else ""


def answer(actor, flag_id, verdict, comment=""):
    """The teacher of the mark's journal (or the deputy) answers an open flag:

    - «исправлено» (CORRECTED): the mark has been changed (or deleted) through the grid since it was flagged;
      the answer keeps its new value. A mark not changed yet is refused, saying where to change it (and,
      when a closed period or a period mark closes it to the teacher, that the deputy corrects it);
    - «оценка верна» (CONFIRMED): the teacher's comment is required.

    The flagger is notified (kind "flag")."""
    permissions.require(actor, "mark_flag", "answer")
    flag = db.session.scalar(select(MarkFlag).where(
        MarkFlag.id == flag_id, permissions.row_condition(actor, "mark_flag", "answer", MarkFlag)))
    if flag is None:
        raise PermissionDenied("Нет такой отметки «ошибочна» в ваших журналах.")
    if not flag.is_open:
        raise DomainError(f"На эту отметку уже ответили: «{flag.status_label}».")
    if verdict not in VERDICTS:
        raise DomainError("Выберите ответ: «исправлено» или «оценка верна».")
    text = _comment(comment, verdict == CONFIRMED, "комментарий: почему оценка верна")
    mark = db.session.get(Mark, flag.mark_id) if flag.mark_id is not None else None
    if verdict == CORRECTED:
        if mark is not None and (mark.version or 1) <= flag.mark_version:
            reason = lock_reason(flag)
            if reason and not policy.can_correct(actor):
                raise DomainError(f"Отметку нельзя изменить: {reason}. Ответьте «оценка верна» или "
                                  "попросите заместителя директора исправить её.")
            raise DomainError("Отметка ещё не изменена: сначала исправьте её в журнале (сохраните журнал), "
                              "затем ответьте «исправлено».")
        flag.status = MarkFlagStatus.CORRECTED
        flag.corrected_value = mark.value if mark is not None else ""
    else:
        flag.status = MarkFlagStatus.CONFIRMED
    flag.answer = text or None
    flag.answered_by_id = actor.user_id
    flag.answered_at = clock.utcnow()
    db.session.flush()
    _notify(flag)
    return flag


def _notify(flag):
    item = db.session.execute(
        select(Subject.name, Lesson.date).select_from(TeachingAssignment)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .outerjoin(Lesson, Lesson.id == flag.lesson_id)
        .where(TeachingAssignment.id == flag.assignment_id)).first()
    subject, day = item if item is not None else ("", None)
    when = f" от {day:%d.%m.%Y}" if day else ""
    if flag.status == MarkFlagStatus.CORRECTED:
        result = "отметка исправлена" + (f" на «{flag.corrected_value}»" if flag.corrected_value else " (удалена)")
    else:
        result = for_kind("учитель считает оценку верной")
    body = (f"Вы отметили как ошибочную отметку «{flag.mark_value}» по предмету «{subject}»{when}.\n"
            f"Ответ: {result}." + (f"\n{for_kind('Комментарий учителя')}: {flag.answer}" if flag.answer else "") +
            "\nОтвет виден в дневнике.")
    notify.enqueue(flag.flagged_by_id, "flag", f"Ответ на «отметка ошибочна»: {subject}", body,
                   org_id=flag.org_id)
