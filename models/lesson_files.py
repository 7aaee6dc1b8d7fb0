"""Files of a lesson (issue 16.6): what a teacher attaches to a lesson's homework or topic, read by the
lesson's readers from the diary. The bytes live in the storage (models/files.py StoredFile, services/files.py)."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.files import StoredFile
from models.journal import Lesson
from models.org import OrgOwned
from models.people import utcnow

LESSON_FILE_KINDS = {"homework": "К домашнему заданию", "topic": "К теме урока"}


class LessonFile(OrgOwned, db.Model):
    """One file attached to a lesson: to its homework or to its topic."""

    __tablename__ = "lesson_file"
    __labels__ = {"lesson": "Урок", "kind": "К чему", "stored_file": "Файл", "created_at": "Загружен"}

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="homework")  # homework | topic
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    lesson = relationship(Lesson)
    stored_file = relationship(StoredFile)

    @property
    def kind_label(self):
        return LESSON_FILE_KINDS.get(self.kind, self.kind)

    def __str__(self):
        return self.stored_file.name if self.stored_file is not None else f"файл {self.id}"


__all__ = ["LessonFile", "LESSON_FILE_KINDS"]
