"""Internal mail (issue 16.1–2): a message written once (its text, sender, thread), a copy per recipient (his
folder state, when he read it, whether it is a parent's question and when it was answered), files attached.
Nobody but the participants reads a message: no model view lists these tables (services/messages/)."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.files import StoredFile
from models.org import OrgOwned
from models.people import User, utcnow


class Message(OrgOwned, db.Model):
    """One written message: a draft until `sent_at`; `thread_id` the first message of its conversation."""

    __tablename__ = "message"
    __labels__ = {"subject": "Тема", "body": "Текст", "sender": "Отправитель", "created_at": "Создано",
                  "sent_at": "Отправлено", "is_question": "Вопрос"}

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"), index=True)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    is_question: Mapped[bool] = mapped_column(Boolean, default=False)
    sender_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    group_label: Mapped[str | None] = mapped_column(String(200))  # «все родители 5А», shown to the sender

    sender = relationship(User, foreign_keys=[sender_id])
    copies = relationship("MessageCopy", back_populates="message", cascade="all, delete-orphan")
    attachments = relationship("MessageAttachment", back_populates="message", cascade="all, delete-orphan")

    __table_args__ = (Index("ix_message_sender_id_sent_at", "sender_id", "sent_at"),)


class MessageCopy(OrgOwned, db.Model):
    """A message as one recipient has it: read or not, deleted or not; a question of a parent's until the
    addressee answers it."""

    __tablename__ = "message_copy"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    is_question: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)

    message = relationship(Message, back_populates="copies")
    user = relationship(User)

    __table_args__ = (Index("ix_message_copy_user_id_deleted_read_at", "user_id", "deleted", "read_at"),
                      Index("ix_message_copy_open_questions", "is_question", "answered_at"))


class MessageAttachment(OrgOwned, db.Model):
    __tablename__ = "message_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))

    message = relationship(Message, back_populates="attachments")
    file = relationship(StoredFile)


__all__ = ["Message", "MessageCopy", "MessageAttachment"]
