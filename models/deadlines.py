"""The regulations' deadlines as data (issue 17.5): per organization, each rule of the control page
(services/control/rules.py keeps the defaults; a missing row means the default), and the record of
the reports built (the control page's report deadlines)."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.org import OrgOwned, Versioned
from models.people import User, utcnow


class DeadlineRule(OrgOwned, Versioned, db.Model):
    """One deadline of the regulations as the organization keeps it.

    `kind`: "days" — `days` working days after the event (0: on the event's day); "calendar_days" —
    `days` calendar days (before the event, for a notice); "date" — by `day`.`month` of the academic year
    (`from_day`: the window opens on that day of the same month); "every" — at least once in `days`
    calendar days."""

    __tablename__ = "deadline_rule"
    __audited__ = True
    __audit_exclude__ = {"code", "kind"}  # the product's identifiers, never changed (the title names the row)
    __labels__ = {"code": "Код", "title": "Срок", "reference": "Основание", "kind": "Вид срока",
                  "days": "Дней", "month": "Месяц", "day": "Число", "from_day": "С числа",
                  "enabled": "Контролируется"}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16))
    days: Mapped[int | None] = mapped_column(Integer)
    month: Mapped[int | None] = mapped_column(Integer)
    day: Mapped[int | None] = mapped_column(Integer)
    from_day: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (UniqueConstraint("org_id", "code"),)

    def __str__(self):
        return self.title or self.code


class ReportBuild(OrgOwned, db.Model):
    """A report shown or written (reports/document.log_read): which, by whom, when, for which class,
    period or teacher — what the control page's report deadlines look for."""

    __tablename__ = "report_build"

    id: Mapped[int] = mapped_column(primary_key=True)
    report: Mapped[str] = mapped_column(String(60))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"))
    period_id: Mapped[int | None] = mapped_column(ForeignKey("period.id"))
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    built_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user = relationship(User)

    __table_args__ = (Index("ix_report_build_org_id_report", "org_id", "report"),)


__all__ = ["DeadlineRule", "ReportBuild"]
