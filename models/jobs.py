"""Background jobs (issue 20.2, services/jobs/): one row per job in the database, so every app server and
worker sees its state; its result (a file) in a table of its own, so the lists stay cheap. Installation-wide
rows (not `OrgOwned`): a job is its owner's (`user_id`), read by him only; `org_id` is the organization he
acted in."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.people import utcnow

__all__ = ["Job", "JobResult", "JOB_STATES"]

JOB_STATES = ("queued", "running", "done", "failed")


class Job(db.Model):
    """Фоновое задание: who started which kind with which parameters, its state and progress."""

    __tablename__ = "job"
    __labels__ = {"kind": "Вид", "title": "Задание", "params": "Параметры", "state": "Состояние",
                  "progress_done": "Выполнено", "progress_total": "Всего", "progress_text": "Ход выполнения",
                  "attempts": "Попытки", "max_attempts": "Попыток не более", "error": "Ошибка",
                  "created_at": "Поставлено", "started_at": "Начато", "finished_at": "Завершено",
                  "heartbeat_at": "Последний отклик"}
    __table_args__ = (Index("ix_job_user_created", "user_id", "created_at"),
                      Index("ix_job_state", "state"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random 32 hex: not guessable
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    params: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(10), default="queued")
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    progress_text: Mapped[str] = mapped_column(String(200), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)


class JobResult(db.Model):
    """The file a finished job made, kept for its owner's download until the job is pruned."""

    __tablename__ = "job_result"
    __labels__ = {"file_name": "Файл", "mime": "Тип", "content": "Содержимое", "size": "Размер"}

    job_id: Mapped[str] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes] = mapped_column(LargeBinary)
