"""The movement book (книга движения): orders, their students, and each student's class history.

A student's class membership is kept as date ranges: [start_date, end_date], both inclusive,
end_date empty while he is still there. `Student.class_id` is the class of his latest membership
(the open one while he studies; the one he left from once withdrawn or graduated), so the card
shows where the book last put him and the history answers for any date.
"""
from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer,
                        String, UniqueConstraint, inspect, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.enums import LabelledEnum
from models.org import OrgOwned, Versioned
from models.people import utcnow
from services.terms import KindText


class MovementKind(LabelledEnum):
    ENROLLMENT = "enrollment", "Зачисление"
    WITHDRAWAL = "withdrawal", "Выбытие"
    TRANSFER = "transfer", "Перевод из класса в класс"
    NEXT_YEAR = "next_year", "Перевод на следующий год"
    REPEAT = "repeat", "Оставление на повторное обучение"
    GRADUATION = "graduation", "Выпуск"
    EXPULSION = "expulsion", "Отчисление"
    LEAVE = "leave", "Академический отпуск"
    LEAVE_RETURN = "leave_return", "Выход из академического отпуска"
    CANCELLATION = "cancellation", "Отмена приказа"


# Kinds only a college issues (СПО: отчисление, академический отпуск).
COLLEGE_KINDS = frozenset({MovementKind.EXPULSION.value, MovementKind.LEAVE.value,
                           MovementKind.LEAVE_RETURN.value})


class OrderStatus(LabelledEnum):
    DRAFT = "draft", "Черновик"
    APPLIED = "applied", "Проведён"
    CANCELLED = "cancelled", "Отменён"


class LeaveReason(LabelledEnum):
    """Why a student left (выбытие, отчисление): the columns of «Движение учащихся»."""

    OTHER_SCHOOL = "other_school", "Перевод в другую образовательную организацию"
    RELOCATION = "relocation", "Смена места жительства"
    FAMILY = "family", "По заявлению родителей (законных представителей)"
    OWN_WISH = "own_wish", "По собственному желанию"
    HEALTH = "health", "По состоянию здоровья"
    FAILURE = "failure", "Академическая неуспеваемость"
    DISCIPLINE = "discipline", "Нарушение устава (дисциплинарное взыскание)"
    OTHER = "other", "Иная причина"


class MovementOrder(OrgOwned, Versioned, db.Model):
    """Приказ книги движения: drafted, then applied in one transaction; applied ones are final
    (only a cancellation order, itself applied, turns one into «отменён»)."""

    __tablename__ = "movement_order"
    __audited__ = True
    __labels__ = {"number": "№ приказа", "order_date": "Дата приказа", "kind": "Тип", "status": "Состояние",
                  "effective_date": "Действует с", "students": KindText("students_count"), "note": "Примечание",
                  "target_year": "На учебный год", "number_year": "Год нумерации", "cancels": "Отменяет приказ",
                  "created_at": "Создан", "applied_at": "Проведён", "applied_by": "Провёл"}

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    number: Mapped[str] = mapped_column(String(30))
    # Orders are numbered within the calendar year of their date (делопроизводство).
    number_year: Mapped[int] = mapped_column(Integer)
    order_date: Mapped[date] = mapped_column(Date)
    # The first day of the students' new state (a year transfer: the next year's first day).
    effective_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(10), default=OrderStatus.DRAFT.value)
    target_year_id: Mapped[int | None] = mapped_column(ForeignKey("academic_year.id"))
    cancels_id: Mapped[int | None] = mapped_column(ForeignKey("movement_order.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    year = relationship("AcademicYear", foreign_keys=[year_id])
    target_year = relationship("AcademicYear", foreign_keys=[target_year_id])
    cancels = relationship("MovementOrder", remote_side=[id], foreign_keys=[cancels_id])
    applied_by = relationship("User")
    items = relationship("MovementItem", back_populates="order", cascade="all, delete-orphan",
                         order_by="MovementItem.id")

    __table_args__ = (
        UniqueConstraint("org_id", "number_year", "number"),
        CheckConstraint("status in ('draft', 'applied', 'cancelled')", name="status"),
    )

    @property
    def kind_label(self):
        try:
            return MovementKind(self.kind).label
        except ValueError:
            return self.kind

    @property
    def status_label(self):
        try:
            return OrderStatus(self.status).label
        except ValueError:
            return self.status

    @property
    def is_draft(self):
        return self.status == OrderStatus.DRAFT.value

    def __str__(self):
        when = self.order_date.strftime("%d.%m.%Y") if self.order_date else ""
        return f"Приказ № {self.number} от {when}".strip()


class MovementItem(OrgOwned, Versioned, db.Model):
    """A student of an order: from which class to which, and for leaving the reason and destination.

    An enrollment order may carry a new student's card (`card`, the card's fields) instead of a
    student: the card is created, by the card rules, when the order is applied.
    """

    __tablename__ = "movement_item"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("movement_order.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id"), index=True)
    card: Mapped[dict | None] = mapped_column(JSON)
    from_class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)
    to_class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)
    reason: Mapped[str | None] = mapped_column(String(20))
    destination: Mapped[str | None] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(String(300))
    # The student's status before the order was applied: a cancellation restores it.
    prev_status: Mapped[str | None] = mapped_column(String(16))

    order = relationship(MovementOrder, back_populates="items")
    student = relationship("Student")
    from_class = relationship("SchoolClass", foreign_keys=[from_class_id])
    to_class = relationship("SchoolClass", foreign_keys=[to_class_id])

    __table_args__ = (UniqueConstraint("order_id", "student_id"),)

    @property
    def person_name(self):
        if self.student is not None:
            return self.student.full_name
        card = self.card or {}
        return " ".join(p for p in (card.get("last_name"), card.get("first_name"), card.get("middle_name")) if p)

    @property
    def reason_label(self):
        try:
            return LeaveReason(self.reason).label if self.reason else ""
        except ValueError:
            return self.reason

    def __str__(self):
        # The audit summary: no query, only what is loaded.
        student = inspect(self).dict.get("student")
        if student is not None:
            return student.full_name
        card = self.card or {}
        return " ".join(p for p in (card.get("last_name"), card.get("first_name")) if p) or f"ученик {self.student_id}"


class ClassMembership(OrgOwned, db.Model):
    """A student's stay in a class from `start_date` to `end_date` (inclusive; empty: still there).

    `on_leave` marks the time a college student spends on academic leave: he stays on the group's
    list but not among those who study (journals, counts)."""

    __tablename__ = "class_membership"
    __audited__ = True
    __labels__ = {"student": "Обучающийся", "student.last_name": "Фамилия", "start_date": "С",
                  "end_date": "По", "on_leave": "Академический отпуск", "start_order": "Приказ о начале",
                  "end_order": "Приказ об окончании"}

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    on_leave: Mapped[bool] = mapped_column(Boolean, default=False)
    start_order_id: Mapped[int | None] = mapped_column(ForeignKey("movement_order.id"))
    end_order_id: Mapped[int | None] = mapped_column(ForeignKey("movement_order.id"))

    student = relationship("Student")
    klass = relationship("SchoolClass")
    start_order = relationship(MovementOrder, foreign_keys=[start_order_id])
    end_order = relationship(MovementOrder, foreign_keys=[end_order_id])

    __table_args__ = (
        CheckConstraint("end_date is null or end_date >= start_date", name="dates"),
        Index("ix_class_membership_class_dates", "class_id", "start_date"),
        Index("ix_class_membership_student_dates", "student_id", "start_date"),
        # One open stay per student: two requests applying orders at once cannot both move him.
        Index("uq_class_membership_open_stay", "student_id", unique=True,
              sqlite_where=text("end_date IS NULL"), postgresql_where=text("end_date IS NULL")),
    )

    def covers(self, day):
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)

    def __str__(self):
        end = self.end_date.strftime("%d.%m.%Y") if self.end_date else "…"
        return f"{self.start_date:%d.%m.%Y}–{end}"


__all__ = ["MovementKind", "COLLEGE_KINDS", "OrderStatus", "LeaveReason", "MovementOrder", "MovementItem",
           "ClassMembership"]
