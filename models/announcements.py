"""Announcements (объявления, issue 16.3): to the whole organization, a grade (параллель / курс), a class (класс /
группа) or the staff only, shown between their publication and end dates; services/announcements/."""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.files import StoredFile
from models.org import OrgOwned, Versioned
from models.people import User, utcnow
from models.study import SchoolClass


class Audience:
    ALL = "all"
    GRADE = "grade"
    CLASS = "class"
    STAFF = "staff"
    LABELS = {ALL: "Всем", GRADE: "Параллели", CLASS: "Классу", STAFF: "Сотрудникам"}


class Announcement(OrgOwned, Versioned, db.Model):
    __tablename__ = "announcement"
    __audited__ = True
    __labels__ = {"title": "Заголовок", "body": "Текст", "audience": "Кому", "grade": "Параллель",
                  "publish_date": "Опубликовано с", "end_date": "Показывать по",
                  "author": "Автор", "files": "Вложения", "withdrawn": "Снято с публикации",
                  "created_at": "Создано", "notified": "Уведомления отправлены"}

    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(10))
    grade: Mapped[int | None] = mapped_column(Integer)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    publish_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    notified: Mapped[bool] = mapped_column(Boolean, default=False)  # the notifications are queued
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    klass = relationship(SchoolClass)
    author = relationship(User)
    files = relationship("AnnouncementFile", back_populates="announcement", order_by="AnnouncementFile.position",
                         cascade="all, delete-orphan")

    __table_args__ = (Index("ix_announcement_org_id_end_date", "org_id", "end_date"),)

    def __str__(self):
        return self.title

    @property
    def attachments(self):
        """The attached files (StoredFile), in their order."""
        return [link.stored_file for link in self.files]


class AnnouncementFile(db.Model):
    """One attached file of an announcement (up to MAX_FILES, services/announcements/board.py)."""
    __tablename__ = "announcement_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcement.id"), index=True)
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    announcement = relationship(Announcement, back_populates="files")
    stored_file = relationship(StoredFile)


__all__ = ["Announcement", "AnnouncementFile", "Audience"]
