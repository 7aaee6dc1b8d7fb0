"""The mail (issue 16.1): write, send, reply, forward, drafts, read receipts, folders, search, the unread
counter, attachments and retention.

A message is written once (`Message`) and delivered as one `MessageCopy` per recipient: a group message is
individual copies, a recipient never sees the other recipients, and a reply goes to the sender only. Nobody but
the participants (the sender, a recipient of a copy) opens a message or its files: everything here takes the
actor and answers NotFound for the rest, the administrator included. Opening a copy the first time writes its
read receipt (`read_at`), which the sender sees («прочитано 12.12 14:03»).
"""
from dataclasses import dataclass
from datetime import timedelta

import click
from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from models import (Message, MessageAttachment, MessageCopy, Role, SchoolClass, Staff, Student, User, db, scope)
from services import clock, dates, files, notify, permissions, uow
from services.errors import DomainError
from services.messages import rules

MAX_SUBJECT = 200
MAX_BODY = 20_000
MAX_ATTACHMENTS = 5
PAGE_SIZE = 50


class NotFound(DomainError):
    """No such message for this actor (it does not exist, or he is not its participant): a 404."""

    def __init__(self):
        super().__init__("Сообщение не найдено.")


@dataclass
class Draft:
    """What a form sends: recipients (user ids), groups (rules.groups keys), subject, text, files
    [(name, bytes)], whether it is a question."""
    to: list
    groups: list
    subject: str
    body: str
    files: list
    is_question: bool = False


def _sender(actor):
    permissions.require(actor, "messages", "create")
    if actor.org is None or actor.user is None or actor.user.is_blocked:
        raise DomainError("Писать сообщения может только сотрудник, обучающийся или родитель организации.")


def _clean(subject, body):
    subject = " ".join((subject or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    errors = {}
    if not body:
        errors["body"] = "Напишите текст сообщения."
    if len(body) > MAX_BODY:
        errors["body"] = f"Текст длиннее {MAX_BODY} знаков."
    if len(subject) > MAX_SUBJECT:
        errors["subject"] = f"Тема длиннее {MAX_SUBJECT} знаков."
    if errors:
        raise DomainError("Сообщение не отправлено.", list(errors.values()), fields=errors)
    return subject or "Без темы", body


def _recipients(actor, draft):
    """{user id} the draft goes to, every one allowed by the rules; a refusal names the rest."""
    wanted = {i for i in draft.to if isinstance(i, int)}
    allowed = rules.allowed_ids(actor, wanted)
    if wanted - allowed:
        raise DomainError("Этому адресату вы писать не можете.", fields={"to": "Недопустимый адресат."})
    labels = []
    for key in draft.groups or []:
        found = rules.group_members(actor, key)
        if found is None:
            raise DomainError("Этой группе вы писать не можете.", fields={"groups": "Недопустимая группа."})
        labels.append(found[0])
        allowed |= found[1]
    allowed.discard(actor.user_id)
    return allowed, ", ".join(labels) or None


def _class_teacher_users(actor):
    """User ids of the class teachers of the actor's children (a parent's message to them is a question)."""
    if not actor.parent_id or not actor.child_ids:
        return set()
    return set(db.session.scalars(select(Staff.user_id).where(Staff.id.in_(
        select(SchoolClass.class_teacher_id).where(SchoolClass.id.in_(
            select(Student.class_id).where(Student.id.in_(actor.child_ids))))))))


def _staff_user_ids(org_id, ids):
    return set(db.session.scalars(select(Staff.user_id).where(Staff.org_id == org_id, Staff.user_id.in_(ids),
                                                            Staff.dismissal_date.is_(None))))


def _attach(actor, message, uploads):
    if len(uploads) + len(message.attachments) > MAX_ATTACHMENTS:
        raise DomainError(f"Не больше {MAX_ATTACHMENTS} файлов в сообщении.", fields={"file": "Слишком много файлов."})
    for name, data in uploads:
        if data:
            stored = files.store(actor.org_id, actor.user_id, name, data)
            message.attachments.append(MessageAttachment(org_id=actor.org_id, file=stored))


def _deliver(actor, message, recipients, question):
    """The copies of a message being sent, the notifications, the questions marked."""
    if not recipients:
        raise DomainError("Выберите хотя бы одного адресата.", fields={"to": "Выберите адресата."})
    questions = set()
    if Role.PARENT.value in actor.roles and actor.parent_id:
        staff = _staff_user_ids(actor.org_id, recipients)
        questions = staff & (_class_teacher_users(actor) | (staff if question else set()))
    message.is_question = bool(questions)
    message.sent_at = clock.utcnow()
    for copy in list(message.copies):
        message.copies.remove(copy)  # a draft's recipients are taken anew
    db.session.flush()
    for user_id in sorted(recipients):
        message.copies.append(MessageCopy(org_id=actor.org_id, user_id=user_id, is_question=user_id in questions))
    db.session.flush()
    sender = actor.user.display_name or actor.user.login
    for user_id in sorted(recipients):
        notify.enqueue(user_id, "message", f"Новое сообщение: {message.subject}",
                       f"{sender} написал(а) вам сообщение «{message.subject}». Откройте раздел «Сообщения».",
                       org_id=actor.org_id)


def _own_draft(actor, draft_id):
    message = db.session.scalar(select(Message).where(Message.id == draft_id, Message.sender_id == actor.user_id,
                                                      Message.sent_at.is_(None), Message.org_id == actor.org_id))
    if message is None:
        raise NotFound()
    return message


def save(actor, draft, draft_id=None, send=True, forward_of=None):
    """Write (send=False: keep as a draft; True: send) a new message, or the draft `draft_id`."""
    _sender(actor)
    subject, body = _clean(draft.subject, draft.body)
    recipients, label = _recipients(actor, draft)
    if draft_id is not None:
        message = _own_draft(actor, draft_id)
        message.subject, message.body, message.group_label = subject, body, label
    else:
        message = Message(org_id=actor.org_id, sender_id=actor.user_id, subject=subject, body=body,
                          group_label=label)
        db.session.add(message)
    if forward_of is not None:
        original, _ = open_message(actor, forward_of, mark=False)
        for att in original.attachments:
            if att.file_id not in {a.file_id for a in message.attachments}:
                message.attachments.append(MessageAttachment(org_id=actor.org_id, file_id=att.file_id))
    _attach(actor, message, draft.files)
    db.session.flush()
    if send:
        _deliver(actor, message, recipients, draft.is_question)
    else:
        message.is_question = bool(draft.is_question)
        for copy in list(message.copies):
            message.copies.remove(copy)
        db.session.flush()
        for user_id in sorted(recipients):
            message.copies.append(MessageCopy(org_id=actor.org_id, user_id=user_id))
    db.session.flush()
    return message


def reply(actor, message_id, body, uploads=()):
    """Answer a message received: to its sender only, whatever the form sends; the addressee's answer closes a
    parent's question and tells the parent (notify "answer")."""
    _sender(actor)
    original, copy = open_message(actor, message_id, mark=False)
    if copy is None:
        raise DomainError("Ответить можно только на полученное сообщение.")
    sender = db.session.get(User, original.sender_id)
    if sender is None or sender.is_blocked or not _answerable(actor, sender.id):
        raise DomainError("Отправителю этого сообщения ответить нельзя: его учётная запись заблокирована "
                          "или он больше не в организации.")
    subject = original.subject if original.subject.startswith("Re: ") else f"Re: {original.subject}"
    subject, body = _clean(subject[:MAX_SUBJECT], body)
    message = Message(org_id=actor.org_id, sender_id=actor.user_id, subject=subject, body=body,
                      thread_id=original.thread_id or original.id, reply_to_id=original.id, sent_at=clock.utcnow())
    db.session.add(message)
    _attach(actor, message, list(uploads))
    # A parent's every message to his child's class teacher is a question, a reply too (seed 000 §3.4).
    asks = Role.PARENT.value in actor.roles and sender.id in _class_teacher_users(actor)
    message.is_question = asks
    message.copies.append(MessageCopy(org_id=actor.org_id, user_id=sender.id, is_question=asks))
    db.session.flush()
    name = actor.user.display_name or actor.user.login
    # The answer closes the parent's open questions of this conversation to the actor (an answer to his
    # later message answers the earlier ones too).
    root = original.thread_id or original.id
    open_questions = db.session.scalars(select(MessageCopy).where(
        MessageCopy.user_id == actor.user_id, MessageCopy.is_question.is_(True), MessageCopy.answered_at.is_(None),
        MessageCopy.message_id.in_(select(Message.id).where(
            Message.sender_id == sender.id, or_(Message.id == root, Message.thread_id == root))))).all()
    if open_questions:
        for question in open_questions:
            question.answered_at = message.sent_at
        notify.enqueue(sender.id, "answer", f"Ответ на ваш вопрос: {original.subject}",
                       f"{name} ответил(а) на ваш вопрос «{original.subject}». Откройте раздел «Сообщения».",
                       org_id=actor.org_id)
    else:
        notify.enqueue(sender.id, "message", f"Новое сообщение: {subject}",
                       f"{name} ответил(а) на ваше сообщение. Откройте раздел «Сообщения».", org_id=actor.org_id)
    db.session.flush()
    return message


def _answerable(actor, user_id):
    """A person who wrote to the actor may be answered even where the rules would not let the actor begin (a
    parent of another class writing to a teacher): the reply goes back to him only, while he is an active
    member of the organization (not blocked, not dismissed)."""
    if rules.allowed_ids(actor, {user_id}):
        return True
    members = rules.staff_users(actor.org_id).union(rules.student_users(actor.org_id),
                                                    rules.parent_users(actor.org_id)).subquery()
    return bool(db.session.scalar(select(func.count()).select_from(members).where(
        members.c[0] == user_id)))


def open_message(actor, message_id, mark=True):
    """(message, the actor's copy or None when he is its sender); NotFound for anyone but a participant.
    The first opening of a copy writes the read receipt."""
    permissions.require(actor, "messages", "details")
    message = db.session.scalar(select(Message).where(Message.id == message_id, Message.org_id == actor.org_id)
                                .options(selectinload(Message.attachments).joinedload(MessageAttachment.file)))
    if message is None:
        raise NotFound()
    copy = db.session.scalar(select(MessageCopy).where(MessageCopy.message_id == message.id,
                                                       MessageCopy.user_id == actor.user_id,
                                                       MessageCopy.deleted.is_(False)))
    is_sender = message.sender_id == actor.user_id and not message.sender_deleted
    if (copy is None or message.sent_at is None) and not is_sender:
        raise NotFound()
    if copy is not None and is_sender:
        copy = None if message.sent_at is None else copy
    if mark and copy is not None and copy.read_at is None:
        copy.read_at = clock.utcnow()
        # Reading is a GET, which commits nothing else: the receipt must stay.
        uow.checkpoint("a message's read receipt", expire=False)
    return message, copy


def receipts(message):
    """[(name, read_at)] of a sent message's recipients, by name (one query)."""
    return db.session.execute(select(User.display_name, User.login, MessageCopy.read_at)
                              .join(User, User.id == MessageCopy.user_id)
                              .where(MessageCopy.message_id == message.id)
                              .order_by(User.display_name)).all()


def thread(actor, message):
    """The messages of the message's conversation the actor took part in, oldest first (one query)."""
    root = message.thread_id or message.id
    mine = or_(Message.id.in_(select(MessageCopy.message_id).where(MessageCopy.user_id == actor.user_id,
                                                                   MessageCopy.deleted.is_(False))),
               (Message.sender_id == actor.user_id) & Message.sender_deleted.is_(False))
    return db.session.scalars(select(Message).where(
        or_(Message.id == root, Message.thread_id == root), Message.sent_at.is_not(None), mine)
        .options(joinedload(Message.sender)).order_by(Message.sent_at, Message.id)).all()


def attachment(actor, attachment_id):
    """The stored file of an attachment, for a participant of its message only (else NotFound)."""
    att = db.session.get(MessageAttachment, attachment_id)
    if att is None or att.org_id != actor.org_id:
        raise NotFound()
    open_message(actor, att.message_id, mark=False)
    return att.file


def delete_message(actor, message_id):
    """Take a message out of the actor's folders (his copy; his sent one; his draft, deleted)."""
    message, copy = open_message(actor, message_id, mark=False)
    if copy is not None:
        copy.deleted = True
    elif message.sent_at is None:
        db.session.delete(message)
    else:
        message.sender_deleted = True
    db.session.flush()


# -- folders ----------------------------------------------------------------------------------------

@dataclass
class Row:
    message_id: int
    subject: str
    who: str  # the sender (inbox) or the recipients (sent, drafts)
    at: object
    unread: bool = False
    is_question: bool = False
    answered: bool = False
    attachments: int = 0


def _search(q):
    q = " ".join((q or "").split())[:100]
    if not q:
        return None
    # SQLite folds the case of Latin letters only: the usual spellings of a Cyrillic word are asked for too.
    conds = []
    for variant in dict.fromkeys((q, q.lower(), q.upper(), q.capitalize())):
        like = "%" + variant.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds += [Message.subject.ilike(like, escape="\\"), Message.body.ilike(like, escape="\\")]
    return or_(*conds)


def folder(actor, name, q=None, page=1):
    """(rows of one page, total) of the actor's folder «inbox», «sent» or «drafts», searched by `q` in the
    subject and text; a bounded number of queries whatever the size of the mailbox."""
    permissions.require(actor, "messages", "list")
    found = _search(q)
    offset = (max(page, 1) - 1) * PAGE_SIZE
    if name == "inbox":
        where = [MessageCopy.user_id == actor.user_id, MessageCopy.deleted.is_(False), Message.sent_at.is_not(None)]
        if found is not None:
            where.append(found)
        total = db.session.scalar(select(func.count(MessageCopy.id)).join(Message, Message.id == MessageCopy.message_id)
                                  .where(*where))
        rows = db.session.execute(
            select(Message.id, Message.subject, User.display_name, Message.sent_at, MessageCopy.read_at,
                   MessageCopy.is_question, MessageCopy.answered_at)
            .join(Message, Message.id == MessageCopy.message_id).join(User, User.id == Message.sender_id)
            .where(*where).order_by(Message.sent_at.desc(), Message.id.desc()).offset(offset).limit(PAGE_SIZE)).all()
        counts = _attachment_counts([r[0] for r in rows])
        return [Row(r[0], r[1], r[2], r[3], r[4] is None, r[5], r[6] is not None, counts.get(r[0], 0))
                for r in rows], total
    sent = name == "sent"
    where = [Message.sender_id == actor.user_id, Message.sender_deleted.is_(False),
             Message.sent_at.is_not(None) if sent else Message.sent_at.is_(None)]
    if found is not None:
        where.append(found)
    total = db.session.scalar(select(func.count(Message.id)).where(*where))
    rows = db.session.execute(select(Message.id, Message.subject, Message.group_label, Message.sent_at,
                                     Message.created_at).where(*where)
                              .order_by(func.coalesce(Message.sent_at, Message.created_at).desc(), Message.id.desc())
                              .offset(offset).limit(PAGE_SIZE)).all()
    ids = [r[0] for r in rows]
    names = {}
    if ids:
        for message_id, display in db.session.execute(
                select(MessageCopy.message_id, User.display_name).join(User, User.id == MessageCopy.user_id)
                .where(MessageCopy.message_id.in_(ids)).order_by(User.display_name)):
            names.setdefault(message_id, []).append(display)
    counts = _attachment_counts(ids)

    def who(r):
        people = names.get(r[0], [])
        if r[2]:
            return f"{r[2]} ({len(people)})"
        return ", ".join(people[:3]) + (f" и ещё {len(people) - 3}" if len(people) > 3 else "")
    return [Row(r[0], r[1], who(r), r[3] or r[4], attachments=counts.get(r[0], 0)) for r in rows], total


def _attachment_counts(ids):
    if not ids:
        return {}
    return dict(db.session.execute(select(MessageAttachment.message_id, func.count(MessageAttachment.id))
                                   .where(MessageAttachment.message_id.in_(ids))
                                   .group_by(MessageAttachment.message_id)).all())


def unread_count(actor):
    """Unread messages of the actor in his current organization: one COUNT query (the top menu's badge)."""
    if actor is None or actor.org is None or not actor.user_id:
        return 0
    return db.session.scalar(select(func.count(MessageCopy.id)).join(Message, Message.id == MessageCopy.message_id)
                             .where(MessageCopy.user_id == actor.user_id, MessageCopy.deleted.is_(False),
                                    MessageCopy.read_at.is_(None), Message.sent_at.is_not(None),
                                    MessageCopy.org_id == actor.org_id)) or 0


def read_at_label(read_at, org):
    """«прочитано 12.12 14:03» in the organization's time zone; «не прочитано»."""
    if read_at is None:
        return "не прочитано"
    return "прочитано " + dates.local(read_at, org).strftime("%d.%m %H:%M")


# -- retention -------------------------------------------------------------------------------------------

def prune(days, now=None):
    """Delete the messages sent (or drafts written) more than `days` days ago, with their copies and files;
    the number deleted. Every organization (run from cron)."""
    limit = (now or clock.utcnow()) - timedelta(days=days)
    with scope.installation("messages: retention is the installation's"):
        old = select(Message.id).where(func.coalesce(Message.sent_at, Message.created_at) < limit)
        ids = list(db.session.scalars(old))
        if not ids:
            return 0
        # A reply kept longer than its original loses the link, not its text.
        db.session.execute(update(Message).where(Message.thread_id.in_(ids)).values(thread_id=None)
                           .execution_options(synchronize_session=False))
        db.session.execute(update(Message).where(Message.reply_to_id.in_(ids)).values(reply_to_id=None)
                           .execution_options(synchronize_session=False))
        stored = db.session.scalars(select(MessageAttachment).where(MessageAttachment.message_id.in_(ids))
                                    .options(joinedload(MessageAttachment.file))).all()
        file_ids = {a.file_id for a in stored}
        db.session.execute(delete(MessageAttachment).where(MessageAttachment.message_id.in_(ids)))
        db.session.execute(delete(MessageCopy).where(MessageCopy.message_id.in_(ids)))
        db.session.execute(delete(Message).where(Message.id.in_(ids)))
        still = set(db.session.scalars(select(MessageAttachment.file_id).where(
            MessageAttachment.file_id.in_(file_ids))))
        for att in stored:
            if att.file_id not in still and att.file is not None and att.file in db.session:
                still.add(att.file_id)
                files.discard(att.file)
        db.session.flush()
    return len(ids)


@click.group("messages")
def cli():
    """Внутренняя почта."""


@cli.command("prune")
@click.option("--days", type=int, default=None,
              help="Хранить сообщения столько дней (по умолчанию MESSAGE_RETENTION_DAYS).")
@uow.command
def prune_command(days):
    """Удалить сообщения старше срока хранения (с копиями и файлами); запускайте раз в сутки из cron."""
    days = days or current_app.config["MESSAGE_RETENTION_DAYS"]
    if not days:
        click.echo("Срок хранения сообщений не задан (MESSAGE_RETENTION_DAYS): ничего не удалено.")
        return
    click.echo(f"Удалено сообщений: {prune(days)}.")
