"""Printed progress reports on a parent's written request (seed 001 §8.12): the register of requests
(«Заявления на бумажный отчёт») and the weekly prints made for them (services/journal/paper_reports.py)."""
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.org import OrgOwned
from models.people import Parent, Student, User, utcnow
from services.terms import KindText


class PaperReportRequest(OrgOwned, db.Model):
    """A parent's written request for the weekly printed report of his child: from the date of the
    written request until its end (the withdrawal, or the date the parent asked it to end), if any."""

    __tablename__ = "paper_report_request"
    __audited__ = True
    __labels__ = {"student": KindText("student"), "parent": "Родитель", "requested_on": "Дата заявления",
                  "ends_on": "Действует по", "note": "Примечание", "created_at": "Внесено",
                  "created_by": "Кто внёс"}

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("parent.id"), index=True)
    requested_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(250))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    student = relationship(Student)
    parent = relationship(Parent)
    created_by = relationship(User)

    def __str__(self):
        return f"Заявление от {self.requested_on:%d.%m.%Y}"


class PaperReportPrint(OrgOwned, db.Model):
    """One print of the week's book: which week (its Monday), who printed it, when, for how many students."""

    __tablename__ = "paper_report_print"
    __labels__ = {"week_start": "Неделя с", "printed_at": "Напечатано", "printed_by": "Кто напечатал",
                  "students": "Учеников"}

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date] = mapped_column(Date)
    printed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    printed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    students: Mapped[int] = mapped_column(Integer)

    printed_by = relationship(User)

    __table_args__ = (Index("ix_paper_report_print_org_id_week_start", "org_id", "week_start"),)


__all__ = ["PaperReportRequest", "PaperReportPrint"]
