"""The year rollover's progress and the colleges' technical transfer between semesters.

A step of the rollover wizard is recorded in the same transaction as its last change, so a step
interrupted by a failure is never shown as done; what the data already says (a closed year, the
students moved on) counts as done too (services/rollover/year.py).
"""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.org import OrgOwned
from models.people import utcnow


class RolloverStep(OrgOwned, db.Model):
    """A step of the transition from `year` to the next academic year, done by whom and when."""

    __tablename__ = "rollover_step"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    done_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    summary: Mapped[str] = mapped_column(String(1000), default="")

    year = relationship("AcademicYear")
    done_by = relationship("User")

    __table_args__ = (UniqueConstraint("year_id", "step"),)

    def __str__(self):
        return f"Переход на новый учебный год, шаг {self.step}"


class SemesterSwitch(OrgOwned, db.Model):
    """The technical transfer of a college's groups into a semester: from it on, the semester's
    hours of the curriculum are the groups' active load."""

    __tablename__ = "semester_switch"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"))
    done_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    summary: Mapped[str] = mapped_column(String(1000), default="")

    year = relationship("AcademicYear")
    period = relationship("Period")
    done_by = relationship("User")

    __table_args__ = (UniqueConstraint("year_id", "period_id"),)

    def __str__(self):
        return "Технический перевод в следующий семестр"


__all__ = ["RolloverStep", "SemesterSwitch"]
