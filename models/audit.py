"""Activity: the audit of changes, reads of personal data, logins, and the login throttle."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.people import User, utcnow


class AuditLog(db.Model):
    """One change of a record: who, when, which record, old → new per field."""

    __tablename__ = "audit_log"
    __labels__ = {"at": "Когда", "user": "Кто", "user.login": "Логин", "action": "Действие", "entity": "Что",
                  "entity_id": "№ записи", "summary": "Запись", "changes": "Изменения", "address": "IP-адрес"}

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(50), index=True)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(300), default="")
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(64))

    user = relationship(User)


class AccessLog(db.Model):
    """One read of personal data (152-ФЗ art. 19): who opened which card, exported which list, built
    which report naming students, viewed whose diary. Kept apart from the change log, and deleted
    after ACCESS_LOG_RETENTION_DAYS by `flask audit prune`."""

    __tablename__ = "access_log"
    __labels__ = {"at": "Когда", "user": "Кто", "user.login": "Логин", "action": "Действие",
                  "object_kind": "Что", "object_id": "№ карточки", "detail": "Подробности",
                  "row_count": "Строк (учеников)", "address": "IP-адрес"}

    ACTIONS = {"view_card": "просмотр карточки", "export": "выгрузка списка", "report": "отчёт",
               "diary": "просмотр дневника", "slips": "печать логинов и паролей"}

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(20))
    object_kind: Mapped[str] = mapped_column(String(50))  # a table name (student, parent …) or "report"
    object_id: Mapped[int | None] = mapped_column(Integer)  # the card; none for a list or a report
    detail: Mapped[str] = mapped_column(String(500), default="")
    row_count: Mapped[int | None] = mapped_column(Integer)  # rows exported, students named
    address: Mapped[str | None] = mapped_column(String(64))

    user = relationship(User)

    # The audit page lists one organization's reads by time; a person's reads by time.
    __table_args__ = (Index("ix_access_log_org_id_at", "org_id", "at"),
                      Index("ix_access_log_user_id_at", "user_id", "at"))


class LoginEvent(db.Model):
    __tablename__ = "login_event"
    __labels__ = {"at": "Когда", "login": "Логин", "success": "Успешно", "reason": "Причина отказа",
                  "address": "IP-адрес"}

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(100), default="")

    user = relationship(User)


class LoginThrottle(db.Model):
    """Failed-login counter per key ('login:ivanov.ii' or 'addr:10.0.0.1'), shared by all workers."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


__all__ = ["AuditLog", "AccessLog", "LoginEvent", "LoginThrottle"]
