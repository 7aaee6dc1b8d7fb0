"""E-mail notifications, the sending side (issue 16.7): `flask notify send` drains the queue written by
services/notify.py — never a request.

- the SMTP settings are the application's configuration, from the environment (`settings_from_environment`):
  MAIL_ENABLED (off unless "1": the embedded set-up sends nothing), MAIL_SERVER, MAIL_PORT, MAIL_USERNAME,
  MAIL_PASSWORD, MAIL_USE_TLS (STARTTLS) or MAIL_USE_SSL, MAIL_FROM, MAIL_TIMEOUT, and SITE_URL (the link
  back to the site in every e-mail);
- the due rows (not sent, not given up, next_attempt_at passed) are taken in order and first *claimed*: one
  UPDATE … WHERE unclaimed marks them as this sender's and is committed before anything is sent, so two
  senders (cron overlapping a worker) never send one e-mail twice. A claim older than CLAIM_TTL (a sender
  killed mid-way) lapses and the row is taken again;
- each e-mail's outcome is committed before the next is sent: sent (sent_at), or a failure (attempts + 1,
  last_error, next_attempt_at after BACKOFF), given up (failed) after MAX_ATTEMPTS — the administrator sees
  those in «Очередь уведомлений» and on the control page.
"""
import os
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from models import Notification, Organization, db, dialect
from services import clock, uow
from services.jobs.registry import job_kind

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1  # the first try and one after each pause; then given up
CLAIM_TTL = timedelta(minutes=15)
# The page where a user turns e-mails off (admin_views/notify.py serves it at this address).
SETTINGS_PATH = "/notifications/"
DISABLED = ("Отправка почты выключена (MAIL_ENABLED не задан): письма остаются в очереди. "
            "Задайте MAIL_ENABLED=1 и настройки SMTP (MAIL_SERVER, MAIL_PORT, MAIL_FROM …).")


def _flag(name, default=False):
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on", "да")


def settings_from_environment():
    """The mail settings of the application's configuration (app.py default_config)."""
    return {
        "MAIL_ENABLED": _flag("MAIL_ENABLED"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "journal@localhost"),
        "MAIL_TIMEOUT": int(os.environ.get("MAIL_TIMEOUT") or 20),
        "SITE_URL": os.environ.get("SITE_URL", "http://localhost:5000"),
    }


@dataclass(frozen=True)
class MailSettings:
    enabled: bool
    server: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    use_ssl: bool
    sender: str
    timeout: int
    site_url: str

    @classmethod
    def of(cls, config):
        defaults = settings_from_environment()

        def get(key):
            return config.get(key, defaults[key])
        return cls(bool(get("MAIL_ENABLED")), get("MAIL_SERVER"), int(get("MAIL_PORT")), get("MAIL_USERNAME"),
                   get("MAIL_PASSWORD"), bool(get("MAIL_USE_TLS")), bool(get("MAIL_USE_SSL")), get("MAIL_FROM"),
                   int(get("MAIL_TIMEOUT")), str(get("SITE_URL")).rstrip("/"))


@dataclass
class Outcome:
    sent: int = 0
    retried: int = 0  # failed this time, to be tried again
    given_up: int = 0  # failed for the last time

    def __str__(self):
        return (f"Отправлено писем: {self.sent}; не отправлено, будет повторено: {self.retried}; "
                f"не отправлено окончательно: {self.given_up}.")


class ConnectFailed(Exception):
    """The server could not be reached or refused the session: every e-mail of the batch fails alike."""


class Mailer:
    """One SMTP session for a batch, opened at the first e-mail (and again after a broken one)."""

    def __init__(self, settings):
        self.settings = settings
        self.smtp = None

    def _connect(self):
        s = self.settings
        try:
            if s.use_ssl:
                smtp = smtplib.SMTP_SSL(s.server, s.port, timeout=s.timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.server, s.port, timeout=s.timeout)
                if s.use_tls:
                    smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password or "")
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectFailed(f"Не удалось подключиться к почтовому серверу {s.server}:{s.port}: "
                                f"{_text(exc)}") from exc
        return smtp

    def send(self, message):
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            self.smtp.send_message(message)
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            raise

    def close(self):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.smtp = None


def _text(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


def compose(note, org_name, settings):
    """The e-mail of a queued notification: UTF-8 plain text with the organization's name, the stored body,
    the link to the site and how to turn such e-mails off."""
    lines = [org_name] if org_name else []
    lines += ["", note.body.strip(), "", "—",
              f"Письмо отправлено автоматически электронным журналом: {settings.site_url}/",
              "Не отвечайте на него. Отключить уведомления по почте можно на странице «Уведомления» "
              f"(меню с вашим именем): {settings.site_url}{SETTINGS_PATH}"]
    message = EmailMessage()
    message["Subject"] = note.subject
    message["From"] = settings.sender
    message["To"] = note.address
    message["Date"] = format_datetime(clock.now_aware())
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(lines).strip() + "\n", charset="utf-8")
    return message


def _unclaimed(now):
    return or_(Notification.claimed_at.is_(None), Notification.claimed_at < now - CLAIM_TTL)


def _due(now):
    return and_(Notification.sent_at.is_(None), Notification.failed.is_(False), Notification.next_attempt_at <= now)


def claim(limit, now, token=None):
    """Mark up to `limit` due rows as this sender's and commit that; their ids, in order. The outer WHERE
    repeats the conditions: a row another sender claimed meanwhile is not taken (PostgreSQL re-checks the
    updated row, and its select skips the rows another claim holds: models/dialect.skip_locked; SQLite writes one
    statement at a time)."""
    token = token or uuid.uuid4().hex
    # One statement; the rows picked once (a CTE: PostgreSQL evaluates a locking subquery of IN again per row)
    due = dialect.skip_locked(select(Notification.id).where(_due(now), _unclaimed(now))
                              .order_by(Notification.next_attempt_at, Notification.id).limit(limit)).cte("due")
    db.session.execute(update(Notification).where(Notification.id.in_(select(due.c.id)), _due(now),
                                                  _unclaimed(now))
                       .values(claimed_by=token, claimed_at=now).execution_options(synchronize_session=False))
    uow.checkpoint("a claim is seen by every other sender before anything is sent")
    return token, list(db.session.scalars(select(Notification.id).where(
        Notification.claimed_by == token, Notification.sent_at.is_(None))
        .order_by(Notification.next_attempt_at, Notification.id)))


def _failed(note, error, now, outcome):
    note.attempts = (note.attempts or 0) + 1
    note.last_error = error[:500]
    note.claimed_by = note.claimed_at = None
    if note.attempts >= MAX_ATTEMPTS:
        note.failed = True
        outcome.given_up += 1
    else:
        note.next_attempt_at = now + BACKOFF[note.attempts - 1]
        outcome.retried += 1


def send_due(config, limit=100):
    """Send the due e-mails (up to `limit`); None when sending is off (MAIL_ENABLED), else the Outcome."""
    settings = MailSettings.of(config)
    if not settings.enabled:
        return None
    now = clock.utcnow()
    token, ids = claim(limit, now)
    outcome = Outcome()
    if not ids:
        return outcome
    notes = db.session.scalars(select(Notification).where(Notification.id.in_(ids))
                               .order_by(Notification.next_attempt_at, Notification.id)).all()
    org_ids = {n.org_id for n in notes if n.org_id is not None}
    names = {pk: full or short for pk, short, full in db.session.execute(
        select(Organization.id, Organization.short_name, Organization.full_name).where(
            Organization.id.in_(org_ids))).all()} if org_ids else {}
    mailer = Mailer(settings)
    broken = None
    try:
        for note in notes:
            if note.claimed_by != token:  # taken over after a lapsed claim
                continue
            if broken is not None:
                _failed(note, broken, now, outcome)
            else:
                try:
                    mailer.send(compose(note, names.get(note.org_id), settings))
                except ConnectFailed as exc:
                    broken = str(exc)
                    _failed(note, broken, now, outcome)
                except (smtplib.SMTPException, OSError, ValueError) as exc:
                    _failed(note, f"Почтовый сервер не принял письмо: {_text(exc)}", now, outcome)
                else:
                    note.sent_at = clock.utcnow()
                    note.claimed_by = note.claimed_at = None
                    outcome.sent += 1
            uow.checkpoint("each e-mail's outcome is recorded before the next is sent", expire=False)
    finally:
        mailer.close()
    return outcome


@job_kind("notify-send", title="Рассылка уведомлений по почте", retries=2, writes=True)
def _send_job(ctx, actor, params):
    """The queue sent by a background job (services/notify.py `send_soon`), as `flask notify send` sends it."""
    outcome = send_due(current_app.config, int(params.get("limit") or 100))
    if outcome is not None:
        count = outcome.sent + outcome.retried + outcome.given_up
        ctx.progress(count, count, str(outcome))


def failed_count(org_id):
    """E-mails of the organization given up (the administrator's control page)."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.org_id == org_id, Notification.failed.is_(True)))


__all__ = ["send_due", "claim", "compose", "settings_from_environment", "MailSettings", "Outcome", "BACKOFF",
           "MAX_ATTEMPTS", "SETTINGS_PATH", "DISABLED", "failed_count"]
