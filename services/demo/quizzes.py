"""The demo's electronic test (issue 18.4): a test of five questions of every kind by a teacher of the demo class,
given to that class for this week with its mark on a task of a lesson already given, taken by a few students
(the demo student among them) and its marks put into the journal — so the teacher's results, the per-question
figures, the journal's column and the diary's «Тесты» all show something."""
import random
from datetime import timedelta

from sqlalchemy import select

from models import Lesson, SchoolClass, Staff, TaskType, TeachingAssignment, User, db
from services import clock, dates
from services.context import Actor
from services.journal import lesson_files
from services.learning import quizzes
from services.movement import roster

Q = quizzes.QuestionInput
QUESTIONS = (
    Q(kind="single", text="Какое из чисел делится на 3 без остатка?", points="1",
      options=[("14", False), ("21", True), ("25", False), ("31", False)]),
    Q(kind="multiple", text="Отметьте все чётные числа.", points="2",
      options=[("12", True), ("17", False), ("40", True), ("9", False)]),
    Q(kind="number", text="Чему равна половина от 7?", points="2", number="3,5", tolerance="0"),
    Q(kind="text", text="Как называется результат сложения?", points="1", accepted="сумма\nсумма чисел"),
    Q(kind="text", text="Как называется число, записанное над чертой дроби?", points="2", accepted="числитель"),
)


def create_quizzes_demo(org, klass, today, seed=2026):
    """The test and its attempts; nothing when the class has no teacher with a login or no lesson to mark."""
    rnd = random.Random(seed)
    ta, teacher = _assignment(klass)
    if ta is None:
        return None
    actor = Actor.for_user(teacher)
    lesson = db.session.scalars(select(Lesson).where(Lesson.assignment_id == ta.id, Lesson.date <= today,
                                                     Lesson.date >= today - timedelta(days=14),
                                                     Lesson.is_cancelled.is_(False))
                                .order_by(Lesson.date.desc(), Lesson.number.desc())).first()
    if lesson is not None and lesson_files.closed_reason(lesson) is not None:
        lesson = None
    quiz = quizzes.create_quiz(actor, quizzes.QuizInput(
        title="Проверочная работа: числа и действия", subject_id=str(ta.subject_id), grade=str(klass.grade),
        time_limit="20", max_attempts="2", shuffle=True, show_answers=True))
    for question in QUESTIONS:
        quizzes.add_question(actor, quiz.id, question)
    opens, closes = today - timedelta(days=3), today + timedelta(days=4)
    kind = db.session.scalar(select(TaskType).where(TaskType.org_id == org.id,
                                                    TaskType.name == "Тест")) \
        or db.session.scalars(select(TaskType).where(TaskType.org_id == org.id, TaskType.is_active.is_(True))
                              .order_by(TaskType.sort_order)).first()
    data = quizzes.AssignInput(assignment_id=str(ta.id), opens_date=dates.format_date(opens), opens_time="08:00",
                               closes_date=dates.format_date(closes), closes_time="20:00")
    if lesson is not None and kind is not None:
        data.lesson_id, data.task_type_id = str(lesson.id), str(kind.id)
    row = quizzes.assign(actor, quiz.id, data)
    students = sorted(roster.class_roster(klass.id, today), key=lambda s: s.id)  # the demo student first
    begun = clock.day_start(opens, org) + timedelta(hours=15)
    for n, student in enumerate(students[:5]):
        start = begun + timedelta(minutes=37 * n)
        attempt = quizzes.new_attempt(row, student.id, 1, start, shuffler=rnd)
        db.session.flush()
        quizzes.score(attempt, _answers(attempt, rnd, right=0.85 - 0.12 * n), start + timedelta(minutes=11 + n))
    db.session.flush()
    if row.task_id is not None:
        quizzes.push_marks(actor, row.id)
    return row


def _assignment(klass):
    """A teaching assignment of the class whose teacher has a login (the demo's teacher or class teacher)."""
    rows = db.session.execute(select(TeachingAssignment, User)
                              .join(Staff, Staff.id == TeachingAssignment.teacher_id)
                              .join(User, User.id == Staff.user_id)
                              .join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
                              .where(TeachingAssignment.class_id == klass.id, TeachingAssignment.subgroup_id.is_(None))
                              .order_by(TeachingAssignment.id)).all()
    return rows[0] if rows else (None, None)


def _answers(attempt, rnd, right):
    """The form a student would send: each answer right with the probability `right`."""
    out = {}
    for item in quizzes.attempt_view(attempt):
        good = rnd.random() < right
        question = QUESTIONS_BY_TEXT[item.text]
        if item.kind in ("single", "multiple"):
            texts = {text for text, correct in question.options if correct == good}
            chosen = [str(oid) for oid, text in item.options if text in texts]
            out[str(item.id)] = chosen[:1] if item.kind == "single" else chosen
        elif item.kind == "number":
            out[str(item.id)] = ["3,5" if good else "3"]
        else:
            out[str(item.id)] = [question.accepted.splitlines()[0].capitalize() if good else "не знаю"]
    return out


QUESTIONS_BY_TEXT = {q.text: q for q in QUESTIONS}
