"""E-mail notifications (issue 16.7): written to a queue in the request's unit of work, sent by `flask notify`
(cron every minute, or a worker), never by the request — sending never blocks or breaks a request.

``enqueue(user_id, kind, subject, body, org_id=None) -> Notification | None``
    queues one e-mail for a user if an address of his is known (his staff or parent card's e-mail in this
    organization, else another organization's) and he is not blocked; None otherwise. `kind` is one of KINDS.

This module is the queue's writing side, which every domain calls; the sending side (`flask notify`: the
SMTP settings, retries, failures shown to the administrator) reads the same table.
"""
from sqlalchemy import select

from models import Notification, Parent, Staff, User, db, scope

KINDS = {
    "message": "новое сообщение",
    "answer": "ответ на вопрос",
    "announcement": "объявление",
    "flag": "ответ на «отметка ошибочна»",
    "request": "ответ на запрос об исправлении данных",
    "digest": "отметки и пропуски за неделю",
}
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


def enqueue(user_id, kind, subject, body, org_id=None):
    """Queue one e-mail (flushed with the caller's unit of work); None when the user has no address or is
    blocked."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind: {kind}")
    user = db.session.get(User, user_id)
    if user is None or user.is_blocked:
        return None
    address = address_of(user_id, org_id)
    if not address:
        return None
    note = Notification(org_id=org_id, user_id=user_id, address=address[:254], kind=kind,
                        subject=" ".join(subject.split())[:MAX_SUBJECT], body=body[:MAX_BODY])
    db.session.add(note)
    db.session.flush()
    return note

