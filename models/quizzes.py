"""Electronic tests (issue 18.4, seed 001 stage IV): a teacher's test of a subject and grade, its questions
and options; its assignment to a class or subgroup (a teaching assignment) within a window, optionally
marked on a task of a lesson; the students' attempts and their answers. Rules: services/learning/quizzes.py."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (Boolean, CheckConstraint, DateTime, ForeignKey, Integer, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.org import OrgOwned
from models.people import utcnow

QUESTION_KINDS = {"single": "Один вариант", "multiple": "Несколько вариантов", "number": "Число",
                  "text": "Краткий ответ"}
ATTEMPT_STATES = {"open": "Выполняется", "done": "Завершена"}


class Quiz(OrgOwned, db.Model):
    """A test built by a teacher for a subject and a grade."""

    __tablename__ = "quiz"
    __audited__ = True
    __labels__ = {"title": "Название", "subject": "Предмет", "grade": "Параллель", "time_limit": "Время, минут",
                  "max_attempts": "Попыток", "shuffle": "Перемешивать", "show_answers": "Показывать ответы",
                  "author": "Автор", "created_at": "Создан"}

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    time_limit: Mapped[int | None] = mapped_column(Integer)  # minutes; None: no limit
    max_attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    shuffle: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    show_answers: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author = relationship("Staff")
    subject = relationship("Subject")

    __table_args__ = (CheckConstraint("grade >= 0 and grade <= 12", name="grade"),
                      CheckConstraint("max_attempts >= 1 and max_attempts <= 20", name="attempts"),
                      CheckConstraint("time_limit is null or (time_limit >= 1 and time_limit <= 600)",
                                      name="time_limit"))

    def __str__(self):
        return self.title


class QuizQuestion(OrgOwned, db.Model):
    """A question: its kind, text, points; the number's answer and tolerance, the short answer's accepted
    answers (one a line). Options of a choice are QuizOption rows."""

    __tablename__ = "quiz_question"
    __audited__ = True
    __labels__ = {"kind": "Тип", "text": "Вопрос", "points": "Баллы", "number_answer": "Верный ответ (число)",
                  "tolerance": "Допуск", "accepted": "Верные ответы", "position": "Номер", "quiz_id": "Тест"}

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    points: Mapped[int] = mapped_column(Integer, default=1)
    number_answer: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    tolerance: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    accepted: Mapped[str | None] = mapped_column(Text)

    quiz = relationship(Quiz)

    __table_args__ = (UniqueConstraint("quiz_id", "position"),
                      CheckConstraint("points >= 1 and points <= 100", name="points"))

    def __str__(self):
        return self.text[:60]


class QuizOption(OrgOwned, db.Model):
    __tablename__ = "quiz_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_question.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(500))
    is_correct: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("question_id", "position"),)

    def __str__(self):
        return self.text


class QuizAssignment(OrgOwned, db.Model):
    """A test given to the class (or subgroup) of a teaching assignment from `opens_at` to `closes_at` (UTC);
    with `task_id`, its marks go to that task of a lesson of the journal (thresholds in percent)."""

    __tablename__ = "quiz_assignment"
    __audited__ = True
    __labels__ = {"quiz_id": "Тест", "opens_at": "Открыт с", "closes_at": "Открыт до", "task": "Задание урока",
                  "threshold5": "Порог «5», %", "threshold4": "Порог «4», %", "threshold3": "Порог «3», %"}

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("teaching_assignment.id"), index=True)
    opens_at: Mapped[datetime] = mapped_column(DateTime)
    closes_at: Mapped[datetime] = mapped_column(DateTime)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="SET NULL"), index=True)
    threshold5: Mapped[int] = mapped_column(Integer, default=85, server_default="85")
    threshold4: Mapped[int] = mapped_column(Integer, default=65, server_default="65")
    threshold3: Mapped[int] = mapped_column(Integer, default=45, server_default="45")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    quiz = relationship(Quiz)
    assignment = relationship("TeachingAssignment")
    task = relationship("Task")

    __table_args__ = (CheckConstraint("closes_at > opens_at", name="window"),
                      CheckConstraint("threshold3 >= 1 and threshold3 <= threshold4 and threshold4 <= threshold5 "
                                      "and threshold5 <= 100", name="thresholds"))

    def __str__(self):
        return f"тест {self.quiz_id}"


class QuizAttempt(OrgOwned, db.Model):
    """A student's attempt: its questions' order (and options') kept here, its deadline, its score."""

    __tablename__ = "quiz_attempt"
    __audited__ = True
    __labels__ = {"number": "Попытка", "state": "Состояние", "started_at": "Начата", "deadline": "Срок",
                  "finished_at": "Отправлена", "score": "Баллы", "max_score": "Из баллов", "late": "После срока",
                  "student": "Обучающийся", "quiz_assignment_id": "Назначение теста",
                  "layout": "Порядок вопросов и вариантов"}

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_assignment_id: Mapped[int] = mapped_column(ForeignKey("quiz_assignment.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default="open")
    layout: Mapped[str] = mapped_column(Text)  # JSON [[question id, [option ids]], …]
    started_at: Mapped[datetime] = mapped_column(DateTime)
    deadline: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    max_score: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    quiz_assignment = relationship(QuizAssignment)
    student = relationship("Student")

    __table_args__ = (UniqueConstraint("quiz_assignment_id", "student_id", "number"),)

    @property
    def percent(self):
        if self.score is None or not self.max_score:
            return None
        return int((Decimal(self.score) * 100 / self.max_score).to_integral_value(rounding="ROUND_HALF_UP"))

    def __str__(self):
        return f"попытка {self.number}"


class QuizAnswer(OrgOwned, db.Model):
    """A student's answer to one question of an attempt, scored; `manual`: the teacher's verdict."""

    __tablename__ = "quiz_answer"
    __audited__ = True
    __labels__ = {"response": "Ответ", "points": "Баллы", "is_correct": "Верно", "manual": "Проверено учителем",
                  "attempt_id": "Попытка", "question_id": "Вопрос"}

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_question.id"), index=True)
    response: Mapped[str] = mapped_column(Text, default="")  # JSON: option ids, or the text typed
    points: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=0)
    is_correct: Mapped[bool] = mapped_column(Boolean, default=False)
    manual: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    def __str__(self):
        return "ответ"


__all__ = ["Quiz", "QuizQuestion", "QuizOption", "QuizAssignment", "QuizAttempt", "QuizAnswer",
           "QUESTION_KINDS", "ATTEMPT_STATES"]
