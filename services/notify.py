"""E-mail notifications (issue 16.7): written to a queue in the request's unit of work, sent by `flask notify`
(cron every minute, or a worker), never by the request — sending never blocks or breaks a request.

``enqueue(user_id, kind, subject, body, org_id=None) -> Notification | None``
    queues one e-mail for a user if an address of his is known (his staff or parent card's e-mail in this
    organization, else another organization's), he is not blocked and has not turned that kind off; None
    otherwise. `kind` is one of KINDS.

``choices(user_id) -> {kind: bool}``, ``save_choices(user_id, enabled_kinds)``
    the user's choices (page «Уведомления»): a NotificationSetting row only where he chose; without one,
    DEFAULTS (everything on except the weekly digest, which a parent opts in to).

This module is the queue's writing side, which every domain calls; the sending side (`flask notify`: the
SMTP settings, retries, failures shown to the administrator) reads the same table.
"""
from flask import current_app, has_app_context
from sqlalchemy import select

from models import Job, Notification, NotificationSetting, Parent, Staff, User, db, scope
from services.errors import DomainError
from services.jobs import core as jobs

KINDS = {
    "message": "новое сообщение",
    "answer": "ответ на вопрос",
    "announcement": "объявление",
    "flag": "ответ на «отметка ошибочна»",
    "request": "ответ на запрос об исправлении данных",
    "portfolio": "предложения в портфолио и ответы на них",
    "digest": "отметки и пропуски за неделю",
}
# Without a choice of his, a user gets every kind but the digest (a parent opts in to it).
DEFAULTS = {kind: kind != "digest" for kind in KINDS}
MAX_SUBJECT = 200
MAX_BODY = 20_000


def address_of(user_id, org_id=None):
    """The e-mail address of a user: from his staff or parent cards, this organization's first (a student's
    card has no address of its own)."""
    rows = []
    with scope.installation("notify: a person's cards in every organization give his address"):
        for model in (Staff, Parent):
            rows += db.session.execute(
                select(model.org_id, model.email).where(model.user_id == user_id, model.email.is_not(None),
                                                        model.email != "")).all()
    rows.sort(key=lambda row: row.org_id != org_id)
    return rows[0].email.strip() if rows else None


def choices(user_id):
    """{kind: on?} of a user: his choices over the defaults."""
    chosen = dict(db.session.execute(select(NotificationSetting.kind, NotificationSetting.enabled).where(
        NotificationSetting.user_id == user_id)).all())
    return {kind: bool(chosen.get(kind, default)) for kind, default in DEFAULTS.items()}


def wants(user_id, kind):
    """Does the user want e-mails of this kind?"""
    enabled = db.session.scalar(select(NotificationSetting.enabled).where(
        NotificationSetting.user_id == user_id, NotificationSetting.kind == kind))
    return DEFAULTS[kind] if enabled is None else bool(enabled)


def is_parent(user_id):
    """Has the user a parent's card (in any organization): the weekly digest is offered to parents only."""
    with scope.installation("notify: a parent's card in any organization offers him the digest"):
        return db.session.scalar(select(Parent.id).where(Parent.user_id == user_id).limit(1)) is not None


def save_choices(user_id, enabled_kinds, offered=None):
    """Store a user's choices: the kinds in `enabled_kinds` on, the other kinds `offered` (all by default) off.
    An unknown kind changes nothing."""
    offered = list(KINDS) if offered is None else list(offered)
    enabled = set(enabled_kinds or ())
    unknown = sorted((enabled | set(offered)) - set(KINDS))
    if unknown:
        raise DomainError("Неизвестный вид уведомлений: " + ", ".join(unknown))
    if db.session.get(User, user_id) is None:
        raise DomainError("Учётная запись не найдена.")
    stored = {row.kind: row for row in db.session.scalars(select(NotificationSetting).where(
        NotificationSetting.user_id == user_id))}
    for kind in offered:
        row = stored.get(kind)
        if row is None:
            db.session.add(NotificationSetting(user_id=user_id, kind=kind, enabled=kind in enabled))
        else:
            row.enabled = kind in enabled
    db.session.flush()
    return choices(user_id)


def enqueue(user_id, kind, subject, body, org_id=None):
    """Queue one e-mail (flushed with the caller's unit of work); None when the user has no address, is
    blocked or has turned this kind off."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind: {kind}")
    user = db.session.get(User, user_id)
    if user is None or user.is_blocked or not wants(user_id, kind):
        return None
    address = address_of(user_id, org_id)
    if not address:
        return None
    note = Notification(org_id=org_id, user_id=user_id, address=address[:254], kind=kind,
                        subject=" ".join(subject.split())[:MAX_SUBJECT], body=body[:MAX_BODY])
    db.session.add(note)
    db.session.flush()
    send_soon()
    return note


SEND_JOB = "notify-send"  # services/notify_send.py: the kind that sends the queue


def send_soon():
    """E-mails were queued: have a background job send them after the unit commits (`JOBS_NOTIFY`, on by
    default when `MAIL_ENABLED`), one job waiting at a time; `flask notify send` from cron still sends what
    is due (the retries' backoff)."""
    if not has_app_context() or not current_app.config.get("MAIL_ENABLED") \
            or not current_app.config.get("JOBS_NOTIFY"):
        return None
    waiting = db.session.scalar(select(Job.id).where(Job.kind == SEND_JOB, Job.state == jobs.QUEUED).limit(1))
    return waiting or jobs.enqueue(None, SEND_JOB, {})

