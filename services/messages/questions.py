"""Parents' questions (issue 16.2; seed 000 §3.4): «ответ на консультативный вопрос родителей … дается в
течение 3-х дней». The seed counts these in plain days (its other deadlines say «рабочих дней» where it means
working days), so a question is due 3 CALENDAR days after the day it was sent (the organization's date) and is
overdue from the day after. A question is a parent's message to staff marked «вопрос», and every parent's
message to his child's class teacher; the addressee's reply closes it (services/messages/mail.py `reply`).
"""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import aliased

from models import Message, MessageCopy, User, db
from services import clock, dates

ANSWER_DAYS = 3  # calendar days (seed 000 §3.4)


def due_day(sent_at, org):
    """The last day to answer a question sent at `sent_at` (UTC)."""
    return dates.local(sent_at, org).date() + timedelta(days=ANSWER_DAYS)


def overdue(condition, org, today):
    """[(addressee's user id, message id, subject, parent's name, addressee's name, due day, days overdue)] of the open
    questions `condition` (a condition on MessageCopy) reaches whose deadline has passed, oldest first."""
    parent, addressee = aliased(User), aliased(User)
    # Overdue: sent on a local day before today - 3 days, i.e. before that day's start.
    cut = clock.day_start(today - timedelta(days=ANSWER_DAYS), org)
    q = (select(MessageCopy.user_id, Message.id, Message.subject, parent.display_name, addressee.display_name,
                Message.sent_at)
         .join(Message, Message.id == MessageCopy.message_id)
         .join(parent, parent.id == Message.sender_id).join(addressee, addressee.id == MessageCopy.user_id)
         .where(condition, MessageCopy.is_question.is_(True), MessageCopy.answered_at.is_(None),
                MessageCopy.deleted.is_(False), Message.sent_at.is_not(None), Message.org_id == org.id,
                Message.sent_at < cut)
         .order_by(Message.sent_at))
    out = []
    for user_id, message_id, subject, asker, to, sent_at in db.session.execute(q):
        due = due_day(sent_at, org)
        if today > due:
            out.append((user_id, message_id, subject, asker, to, due, (today - due).days))
    return out
