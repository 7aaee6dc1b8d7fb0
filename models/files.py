"""Files people attach (homework, lesson materials, messages, announcements, requests): the bytes live outside
the database in the configured storage (services/files.py); a row here names them. And the queue of e-mail
notifications (services/notify.py)."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.org import OrgOwned
from models.people import User, utcnow


class StoredFile(OrgOwned, db.Model):
    """One uploaded file: its safe name, its type as read from its content, its size and digest, and the key
    under which the storage keeps its bytes."""

    __tablename__ = "stored_file"
    __labels__ = {"name": "Файл", "content_type": "Тип", "size": "Размер, байт", "created_at": "Загружен",
                  "owner": "Кто загрузил"}

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    owner = relationship(User)

    def __str__(self):
        return self.name


class Notification(db.Model):
    """One e-mail waiting to be sent (or sent, or given up): written in the request's unit of work, sent by
    `flask notify` (services/notify.py), never by the request itself."""

    __tablename__ = "notification"
    __labels__ = {"created_at": "Создано", "user": "Кому", "address": "Адрес", "kind": "Вид", "subject": "Тема",
                  "sent_at": "Отправлено", "attempts": "Попыток", "last_error": "Ошибка", "failed": "Не отправлено"}

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    address: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # A sender's claim (services/notify_send.py): the row is his while `claimed_at` is recent, so two senders
    # never send one e-mail twice (an UPDATE … WHERE not claimed; SQLite has no SELECT … FOR UPDATE).
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)

    user = relationship(User)

    # `flask notify` takes the due ones in order: not sent, not given up, due.
    __table_args__ = (Index("ix_notification_due", "sent_at", "failed", "next_attempt_at"),
                      Index("ix_notification_user_id_created_at", "user_id", "created_at"))


class NotificationSetting(db.Model):
    """A user's choice for one kind of e-mail (services/notify.py KINDS): a row only where he has chosen;
    without one the kind's default holds (everything on but the weekly digest)."""

    __tablename__ = "notification_setting"
    __labels__ = {"user": "Пользователь", "kind": "Вид", "enabled": "Присылать"}

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    user = relationship(User)


__all__ = ["StoredFile", "Notification", "NotificationSetting"]
