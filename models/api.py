"""The NetSchool-compatible diary API (issue 19, services/api/): a user's app passwords and the `at` tokens
issued on them. Installation-wide rows (an account is the installation's), not organization-owned: a token
remembers the organization its login chose."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.people import User, utcnow

__all__ = ["AppPassword", "ApiToken"]


class AppPassword(db.Model):
    """Пароль приложения: a random high-entropy password a user gives a parents' app or bot. Kept as
    md5(cp1251(password)) hex — what the NetSchool protocol proves (md5(salt + it)); acceptable only because
    the password is random (services/api/passwords.py). Revoked rows stay (the list shows them) until deleted."""

    __tablename__ = "app_password"
    __labels__ = {"name": "Название", "created_at": "Создан", "last_used_at": "Последнее использование",
                  "revoked_at": "Отозван"}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_md5: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user = relationship(User)


class ApiToken(db.Model):
    """An `at` token of the API: only its sha256 is kept. Ends idle, absolutely, by `auth/logout` and with
    its app password. `nonce` is the login's one-time `lt` (a replayed login is refused)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    app_password_id: Mapped[int] = mapped_column(ForeignKey("app_password.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(Integer)  # the school the login chose (scid)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
