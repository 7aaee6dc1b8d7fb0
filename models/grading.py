"""Journal entries: task types, tasks on lessons, marks, attendance, homework, period marks."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, Numeric,
                        String, UniqueConstraint, inspect)
from sqlalchemy.orm import Mapped, mapped_column, orm_insert_sentinel, relationship

from models.base import db
from models.enums import LabelledEnum
from models.org import OrgOwned, Versioned
from models.people import utcnow

# Values a mark on a task may take; «зач/незач» only where the subject is graded pass/fail.
MARK_VALUES = ("5", "4", "3", "2", "1")
PASS_FAIL_VALUES = ("зач", "незач")
# Values of a period (year, exam, final) mark.
PERIOD_MARK_VALUES = ("5", "4", "3", "2", "1", "зач", "незач", "н/а", "осв")


def _loaded(obj, key):
    """A related row only if already loaded: __str__ feeds the audit summary and must not query."""
    return inspect(obj).dict.get(key)


class PeriodMarkKind(LabelledEnum):
    PERIOD = "period", "За период"
    YEAR = "year", "Годовая"
    EXAM = "exam", "Экзамен"
    FINAL = "final", "Итоговая"


class AbsenceKind(LabelledEnum):
    """What an attendance code means for the reports."""

    ABSENT = "absent", "Отсутствовал без уважительной причины"
    ILL = "ill", "Болел"
    EXCUSED = "excused", "Отсутствовал по уважительной причине"
    LATE = "late", "Опоздал"


class TaskType(OrgOwned, Versioned, db.Model):
    """Тип задания (ответ на уроке, контрольная …) with its default weight; the administrator edits it."""

    __tablename__ = "task_type"
    __labels__ = {"name": "Тип задания", "short_name": "Сокращение", "default_weight": "Вес по умолчанию",
                  "default_mandatory": "Обязательное по умолчанию", "is_homework": "Домашнее",
                  "is_active": "Используется"}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str] = mapped_column(String(10))
    default_weight: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal("1"))
    default_mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    is_homework: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (UniqueConstraint("org_id", "name"),
                      CheckConstraint("default_weight > 0 and default_weight <= 10", name="weight"))

    def __str__(self):
        return self.name


class AttendanceCode(OrgOwned, Versioned, db.Model):
    """Отметка посещаемости: «н», «б», «у», «оп» — table-driven."""

    __tablename__ = "attendance_code"
    __labels__ = {"code": "Отметка", "name": "Значение", "kind": "Для отчётов считается как"}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # AbsenceKind
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("org_id", "code"),)

    def __str__(self):
        return self.code


class Task(OrgOwned, Versioned, db.Model):
    """Задание on a lesson: a column of the grid, with a type, a weight and a mandatory flag."""

    __tablename__ = "task"
    __audited__ = True  # a changed weight changes every average of the column

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("task_type.id"))
    weight: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    is_mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    topic: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=1)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()  # see Mark._sentinel

    lesson = relationship("Lesson")
    type = relationship(TaskType)

    __table_args__ = (UniqueConstraint("lesson_id", "position"),
                      CheckConstraint("weight > 0 and weight <= 10", name="weight"))

    def __str__(self):
        kind = _loaded(self, "type")
        return " — ".join(p for p in (kind.name if kind is not None else "", self.topic or "") if p)


class Mark(OrgOwned, db.Model):
    """A student's mark for a task; one per (task, student).

    `version` grows with every change (services/journal/rules.py bumps it on flush, whatever the path);
    a writer locks the rows it changes and refuses a version other than the one its page showed.
    """

    __tablename__ = "mark"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    value: Mapped[str] = mapped_column(String(6))
    comment: Mapped[str | None] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # Lets a grid's new marks go in one multi-row INSERT … RETURNING on SQLite too (SQLAlchemy
    # matches the returned ids by it); NULL outside such an insert, never read.
    _sentinel: Mapped[int | None] = orm_insert_sentinel()

    task = relationship(Task)
    student = relationship("Student")

    __table_args__ = (UniqueConstraint("task_id", "student_id"),)

    def __str__(self):
        return self.value


class Attendance(OrgOwned, db.Model):
    """A student's attendance mark on a lesson; the class teacher sets the absence reason."""

    __tablename__ = "attendance"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("attendance_code.id"))
    reason_note: Mapped[str | None] = mapped_column(String(300))  # the document: справка № …
    document_date: Mapped[date | None] = mapped_column(Date)
    reason_set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason_set_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    _sentinel: Mapped[int | None] = orm_insert_sentinel()  # see Mark._sentinel

    lesson = relationship("Lesson")
    student = relationship("Student")
    code = relationship(AttendanceCode)

    __table_args__ = (UniqueConstraint("lesson_id", "student_id"),)

    def __str__(self):
        code = _loaded(self, "code")
        return code.code if code is not None else ""


class PeriodMark(OrgOwned, db.Model):
    """Отметка за период (четверть, семестр), год, экзамен или итоговая, per student and subject."""

    __tablename__ = "period_mark"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default=PeriodMarkKind.PERIOD.value)
    period_id: Mapped[int | None] = mapped_column(ForeignKey("period.id"), index=True)
    # period_id for kind 'period', 0 otherwise: NULLs would not be unique.
    slot: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[str] = mapped_column(String(6))
    version: Mapped[int] = mapped_column(Integer, default=1)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    student = relationship("Student")
    subject = relationship("Subject")
    period = relationship("Period")

    __table_args__ = (
        UniqueConstraint("student_id", "subject_id", "year_id", "kind", "slot"),
        CheckConstraint("kind in ('period', 'year', 'exam', 'final')", name="kind"),
    )

    def __str__(self):
        return self.value


__all__ = ["MARK_VALUES", "PASS_FAIL_VALUES", "PERIOD_MARK_VALUES", "PeriodMarkKind", "AbsenceKind",
           "TaskType", "AttendanceCode", "Task", "Mark", "Attendance", "PeriodMark"]
