"""The students' electronic portfolio and the portfolio of projects (seed 000 §3.4, §4.3; issue 18.3):
achievements (olympiads, contests, competitions, projects, certificates) with their level, date, result and a
file, added by the class teacher and the teachers (confirmed at once) or proposed by the student himself for the
class teacher to confirm or reject with a reason; projects with a supervisor, participants, stages and a result.
The rules are in services/portfolio/."""
from datetime import date, datetime

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.files import StoredFile
from models.org import OrgOwned, Versioned
from models.people import Staff, Student, User, utcnow
from models.planning import Subject


class EntryKind:
    OLYMPIAD = "olympiad"
    CONTEST = "contest"
    SPORT = "sport"
    PROJECT = "project"
    CERTIFICATE = "certificate"
    OTHER = "other"
    LABELS = {OLYMPIAD: "Олимпиада", CONTEST: "Конкурс", SPORT: "Соревнование", PROJECT: "Проект",
              CERTIFICATE: "Сертификат, курсы", OTHER: "Иное"}


class EntryLevel:
    SCHOOL = "school"
    MUNICIPAL = "municipal"
    REGIONAL = "regional"
    FEDERAL = "federal"
    INTERNATIONAL = "international"
    LABELS = {SCHOOL: "Школьный", MUNICIPAL: "Муниципальный", REGIONAL: "Региональный",
              FEDERAL: "Всероссийский", INTERNATIONAL: "Международный"}


class EntryPlace:
    PARTICIPANT = "participant"
    PRIZEWINNER = "prizewinner"
    WINNER = "winner"
    LABELS = {PARTICIPANT: "Участник", PRIZEWINNER: "Призёр", WINNER: "Победитель"}


class EntryStatus:
    CONFIRMED = "confirmed"
    PROPOSED = "proposed"
    REJECTED = "rejected"
    LABELS = {CONFIRMED: "подтверждено", PROPOSED: "ожидает подтверждения", REJECTED: "отклонено"}


class PortfolioEntry(OrgOwned, Versioned, db.Model):
    """One achievement of a student."""

    __tablename__ = "portfolio_entry"
    __audited__ = True
    __labels__ = {"kind": "Вид", "title": "Название", "level": "Уровень", "event_date": "Дата",
                  "place": "Результат", "result": "Результат (подробно)", "student": "Ученик",
                  "status": "Состояние", "reject_reason": "Причина отклонения", "stored_file": "Файл",
                  "subject": "Предмет", "author": "Кто внёс", "decided_by": "Кто подтвердил или отклонил",
                  "decided_at": "Когда подтверждено или отклонено", "created_at": "Внесено"}
    __value_labels__ = {"kind": EntryKind.LABELS, "level": EntryLevel.LABELS, "place": EntryPlace.LABELS,
                        "status": EntryStatus.LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(16))
    event_date: Mapped[date] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(16))  # EntryPlace, or None: the result is the text alone
    result: Mapped[str | None] = mapped_column(String(300))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"), index=True)
    stored_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    status: Mapped[str] = mapped_column(String(10))
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    student = relationship(Student)
    subject = relationship(Subject)
    stored_file = relationship(StoredFile)
    author = relationship(User, foreign_keys=[author_id])
    decided_by = relationship(User, foreign_keys=[decided_by_id])

    __table_args__ = (Index("ix_portfolio_entry_org_id_status", "org_id", "status"),)

    def __str__(self):
        return self.title


project_participant = Table(
    "portfolio_project_participant",
    db.Model.metadata,
    Column("project_id", ForeignKey("portfolio_project.id", ondelete="CASCADE"), primary_key=True),
    Column("student_id", ForeignKey("student.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Project(OrgOwned, Versioned, db.Model):
    """A project («портфолио проектов»): its supervisor, participants (of one class or several), stages and
    result; it is in each participant's portfolio."""

    __tablename__ = "portfolio_project"
    __audited__ = True
    __labels__ = {"title": "Тема проекта", "supervisor": "Руководитель", "participants": "Участники",
                  "stages": "Этапы", "result_text": "Результат", "result_file": "Файл результата",
                  "mark": "Отметка", "start_date": "Начат", "subject": "Предмет", "created_by_id": "Кто создал",
                  "created_at": "Создан"}

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    result_text: Mapped[str | None] = mapped_column(Text)
    result_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    mark: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    subject = relationship(Subject)
    supervisor = relationship(Staff)
    result_file = relationship(StoredFile)
    participants = relationship(Student, secondary=project_participant, order_by="(Student.last_name, Student.id)")
    stages = relationship("ProjectStage", back_populates="project", cascade="all, delete-orphan",
                          order_by="(ProjectStage.planned_date, ProjectStage.id)")

    def __str__(self):
        return self.title


class ProjectStage(OrgOwned, Versioned, db.Model):
    """One stage of a project: planned for a date, done on another."""

    __tablename__ = "portfolio_project_stage"
    __audited__ = True
    __labels__ = {"project": "Проект", "title": "Этап", "planned_date": "Срок", "done_date": "Выполнен",
                  "note": "Примечание"}

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("portfolio_project.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    planned_date: Mapped[date | None] = mapped_column(Date)
    done_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)

    project = relationship(Project, back_populates="stages")

    def __str__(self):
        return self.title


__all__ = ["EntryKind", "EntryLevel", "EntryPlace", "EntryStatus", "PortfolioEntry", "Project", "ProjectStage",
           "project_participant"]
