"""Requests to correct personal data (issue 16.5, seed 000 §4.5): a parent asks the class teacher and HR to
change a field of his own card or of his child's; they make the change (the card's own rules, audited as any
card change) or refuse it with a reason."""
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.files import StoredFile
from models.org import OrgOwned, Versioned
from models.people import Parent, Student, User, utcnow


class DataRequest(OrgOwned, Versioned, db.Model):
    """One request: whose card (the parent's own — `parent_id` — or a child's — `student_id`), which field, the
    value proposed, a comment, a scan; its status and the answer."""

    __tablename__ = "data_request"
    __audited__ = True
    __labels__ = {"author": "Кто просит", "student": "Карточка ребёнка", "parent": "Карточка родителя",
                  "field": "Что изменить", "proposed": "Предлагаемое значение", "comment": "Комментарий",
                  "status": "Состояние", "answer": "Ответ", "closed_at": "Закрыт", "closed_by": "Кто закрыл",
                  "old_value": "Было", "new_value": "Записано", "scan": "Скан документа",
                  "author_user": "Учётная запись родителя", "audit_id": "Запись журнала изменений"}

    STATUSES = {"open": "ждёт ответа", "applied": "исправлено", "refused": "отклонено"}

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("parent.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("parent.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    proposed: Mapped[str] = mapped_column(String(500))
    comment: Mapped[str | None] = mapped_column(String(1000))
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answer: Mapped[str | None] = mapped_column(String(1000))
    old_value: Mapped[str | None] = mapped_column(String(500))
    new_value: Mapped[str | None] = mapped_column(String(500))
    # The change log's row of the card's change this request made (audit_log.id; no foreign key: the log is
    # append-only and pruned by its own rules).
    audit_id: Mapped[int | None] = mapped_column(Integer)

    author = relationship(Parent, foreign_keys=[author_id])
    author_user = relationship(User, foreign_keys=[author_user_id])
    student = relationship(Student, foreign_keys=[student_id])
    parent = relationship(Parent, foreign_keys=[parent_id])
    scan = relationship(StoredFile)
    closed_by = relationship(User, foreign_keys=[closed_by_id])

    __table_args__ = (
        CheckConstraint("(student_id IS NULL) <> (parent_id IS NULL)", name="one_card"),
        CheckConstraint("status in ('open', 'applied', 'refused')", name="status"),
        # The control page and the lists: a organization's open requests by age.
        Index("ix_data_request_org_id_status_created_at", "org_id", "status", "created_at"),
    )

    @property
    def status_label(self):
        return self.STATUSES.get(self.status, self.status)

    @property
    def card(self):
        return self.student if self.student_id is not None else self.parent

    def __str__(self):
        return f"Запрос № {self.id}" if self.id else "Запрос об исправлении данных"


__all__ = ["DataRequest"]
