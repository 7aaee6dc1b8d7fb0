"""The journal: lessons (generated from the timetable), and later tasks, marks and attendance."""
from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.org import OrgOwned, Versioned


class Lesson(OrgOwned, Versioned, db.Model):
    """One lesson of a teaching assignment on a date: the journal's column."""

    __tablename__ = "lesson"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("teaching_assignment.id"), index=True)
    period_id: Mapped[int | None] = mapped_column(ForeignKey("period.id"), index=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    number: Mapped[int] = mapped_column(Integer)  # урок № in the bell schedule
    shift: Mapped[int] = mapped_column(Integer, default=1)  # смена: which bells give its times
    # The teacher who actually gives it (differs from the assignment's on a замена).
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    topic: Mapped[str | None] = mapped_column(String(500))
    homework: Mapped[str | None] = mapped_column(Text)
    # The later lesson of the same assignment the homework given here is due on.
    homework_due_lesson_id: Mapped[int | None] = mapped_column(
        ForeignKey("lesson.id", ondelete="SET NULL"), index=True)
    is_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    # «Посещаемость отмечена»: set when the teacher saves attendance of the lesson or ticks it (all present);
    # attendance rows exist only for absences, so without it a forgotten roll call cannot be told apart.
    attendance_taken: Mapped[bool] = mapped_column(Boolean, default=False)
    # Lessons made by hand are never touched by regeneration from the timetable.
    from_timetable: Mapped[bool] = mapped_column(Boolean, default=True)

    assignment = relationship("TeachingAssignment")
    period = relationship("Period")
    teacher = relationship("Staff")
    room = relationship("Room")
    homework_due_lesson = relationship("Lesson", remote_side=[id], foreign_keys=[homework_due_lesson_id])

    __table_args__ = (UniqueConstraint("assignment_id", "date", "number"),)

    def __str__(self):
        return f"{self.date:%d.%m.%Y}, урок {self.number}"


__all__ = ["Lesson"]
