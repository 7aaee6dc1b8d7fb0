"""Demo data of the e-mail notifications (issue 16.7): the demo parent's address and his weekly digest turned
on (this week's digest queued), an announcement's e-mail sent, and one given up after every retry (a
teacher's mistyped address) — what the administrator finds in «Очередь уведомлений» and on «Контроль»."""
from datetime import timedelta

from sqlalchemy import select

from models import Parent, Staff, db
from services import clock, notify, notify_digest
from services.notify_send import MAX_ATTEMPTS


def create_notify_demo(org, today):
    parent = db.session.scalars(select(Parent).where(Parent.org_id == org.id, Parent.user_id.is_not(None))
                                .order_by(Parent.id)).first()
    teacher = db.session.scalars(select(Staff).where(Staff.org_id == org.id, Staff.user_id.is_not(None),
                                                     Staff.email.is_(None)).order_by(Staff.id.desc())).first()
    if parent is None:
        return
    parent.email = parent.email or "roditel.demo@example.ru"
    db.session.flush()
    notify.save_choices(parent.user_id, list(notify.KINDS))  # every kind, the weekly digest too
    now = clock.utcnow()
    sent = notify.enqueue(parent.user_id, "announcement", "Объявление: родительское собрание",
                          "В четверг в 18:00 — родительское собрание в актовом зале.", org_id=org.id)
    if sent is not None:
        sent.created_at = now - timedelta(days=3)
        sent.sent_at = now - timedelta(days=3) + timedelta(minutes=1)
    notify_digest.queue_digests(org, today)
    if teacher is not None:
        teacher.email = "uchitel.demp@example.ru"  # mistyped: the server refuses it every time
        db.session.flush()
        failed = notify.enqueue(teacher.user_id, "message", "Новое сообщение", "Вам пришло новое сообщение.",
                                org_id=org.id)
        if failed is not None:
            failed.created_at = now - timedelta(days=1)
            failed.attempts, failed.failed = MAX_ATTEMPTS, True
            failed.last_error = ("Почтовый сервер не принял письмо: {'uchitel.demp@example.ru': "
                                 "(550, b'5.1.2 Bad destination mailbox address')}")
    db.session.flush()
