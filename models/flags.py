"""«Отметка ошибочна» (seed 000 §4.4, issue 16.4): a student or a parent flags a mark he thinks wrong, with a
comment; the teacher of the mark's journal answers «исправлено» (the mark corrected through the grid) or
«оценка верна» (with a comment). Audited (services/audit.py writes every change)."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.org import OrgOwned
from models.people import User, utcnow


class MarkFlagStatus:
    OPEN = "open"
    CORRECTED = "corrected"  # «исправлено»: the teacher (or the deputy) changed the mark
    CONFIRMED = "confirmed"  # «оценка верна»
    GONE = "gone"  # the mark was deleted: closed by itself

    LABELS = {OPEN: "ожидает ответа", CORRECTED: "исправлено", CONFIRMED: "оценка верна",
              GONE: "отметка удалена"}


class MarkFlag(OrgOwned, db.Model):
    """One «отметка ошибочна» of a mark by one person (at most one open per mark and person)."""

    __tablename__ = "mark_flag"
    __audited__ = True
    __labels__ = {"mark_value": "Отметка", "comment": "Комментарий", "status": "Состояние", "answer": "Ответ",
                  "corrected_value": "Исправленная отметка", "created_at": "Отмечено", "answered_at": "Ответ дан",
                  "mark_id": "№ отметки", "mark_version": "Версия отметки", "flagged_by_id": "Кто отметил",
                  "answered_by_id": "Кто ответил"}

    id: Mapped[int] = mapped_column(primary_key=True)
    # The mark; NULL once it is deleted (the flag then shows the mark gone).
    mark_id: Mapped[int | None] = mapped_column(ForeignKey("mark.id", ondelete="SET NULL"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id", ondelete="SET NULL"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("teaching_assignment.id"), index=True)
    mark_value: Mapped[str] = mapped_column(String(6))  # the mark as the flagger saw it
    mark_version: Mapped[int] = mapped_column(Integer)  # … and its version: a later one is the correction
    flagged_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=MarkFlagStatus.OPEN, index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    corrected_value: Mapped[str | None] = mapped_column(String(6))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)

    flagged_by = relationship(User, foreign_keys=[flagged_by_id])
    answered_by = relationship(User, foreign_keys=[answered_by_id])

    @property
    def is_open(self):
        return self.status == MarkFlagStatus.OPEN

    @property
    def status_label(self):
        return MarkFlagStatus.LABELS.get(self.status, self.status)

    def __str__(self):
        return f"Отметка ошибочна: {self.mark_value}"


__all__ = ["MarkFlag", "MarkFlagStatus"]
