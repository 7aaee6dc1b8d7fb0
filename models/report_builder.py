"""«Конструктор отчётов» (seed 001 §10.5): a report definition saved under a name, to run again or share with
the colleagues of the same organization (services/report_builder/)."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.org import OrgOwned, Versioned
from models.people import User, utcnow


class SavedReport(OrgOwned, Versioned, db.Model):
    """A builder report's definition (entity, columns, filters, grouping, sorting), checked on save; run with
    the permissions of whoever runs it."""

    __tablename__ = "saved_report"
    __labels__ = {"name": "Название", "owner": "Автор", "shared": "Доступен коллегам",
                  "definition": "Описание отчёта", "created_at": "Создан", "updated_at": "Изменён"}

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    definition: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    owner = relationship(User)

    __table_args__ = (UniqueConstraint("org_id", "owner_id", "name"),)

    def __str__(self):
        return self.name


__all__ = ["SavedReport"]
