"""Electronic tests (issue 18.4, seed 001 stage IV): every rule of building, assigning, taking, scoring and
marking a test. Services flush, never commit (services/uow.py).

- A teacher builds a test of a subject and a grade (`create_quiz`, `update_quiz`): questions of four kinds
  (`add_question`: one option, several options, a number within a tolerance, a short answer compared without
  case, spaces and «ё», several accepted), points per question, a time limit, the attempts allowed, questions
  and options shuffled per attempt, whether the student sees the right answers after submitting. Once a
  student has tried it, its questions no longer change.
- `assign`: to the class (or subgroup) of one of the teacher's own teaching assignments (the journal's row
  filter), for a window (local date and time of the organization), optionally on a task of a lesson of that
  journal (a new task of the chosen type, made by the journal's own save: its weight is the type's), with the
  percent thresholds of the marks 5, 4, 3.
- `start` (a student within the window, attempts left): the attempt keeps its questions' and options' order
  and its deadline (the limit, never past the window's end). `submit`: the answers of a plain form, scored at
  once; after the deadline + GRACE they are not counted (the attempt ends with nothing); a second submit of
  the same attempt (a double click, two tabs) is refused under the attempt's row lock: counted once.
- `results`, `question_stats`: per student (the best finished attempt), per question (share right);
  `rescore` (an answer accepted or rejected by hand); `push_marks`: the marks into the journal through
  services/journal/grid_save.py (closed periods, the policy, the audit), the scores staying whatever it says.
Nothing of the answers (right options, accepted answers, tolerances) is in what `attempt_view` gives a
student before his attempt is finished.
"""
import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import (Lesson, Mark, Organization, Quiz, QuizAnswer, QuizAssignment, QuizAttempt, QuizOption,
                    QuizQuestion, SchoolClass, Student, Subject, SubgroupMember, Task, TaskType, TeachingAssignment, db)
from models.dialect import locked
from services import audit, clock, permissions, uow
from services.context import Actor
from services.errors import DomainError, PermissionDenied, taken_is_refused
from services.journal import grid_save
from services.movement import roster
from services.params import parse_date, parse_id
from services.terms import for_kind

KEY, ASSIGN_KEY, TAKE_KEY = "quiz", "quiz_assignment", "quiz_take"
GRACE = timedelta(seconds=60)  # the network's delay after the deadline still counted
MAX_TITLE, MAX_QUESTION, MAX_OPTION, MAX_ACCEPTED, MAX_ANSWER = 200, 2000, 500, 2000, 200
MAX_QUESTIONS, MAX_OPTIONS = 100, 10
MAX_NUMBER = Decimal("1e12")
KINDS = ("single", "multiple", "number", "text")
NOT_FOUND = "Тест не найден."
_TIME = re.compile(r"([0-2]?[0-9]):([0-5][0-9])", re.ASCII)
_NUMBER = re.compile(r"[+-]?[0-9]{1,13}([.,][0-9]{1,6})?", re.ASCII)


# -- reading input ------------------------------------------------------------------------------------------

def _text(value, limit, label, required=True, name=None):
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise DomainError(f"{label}: заполните поле.", fields={name or label: "Заполните поле."})
    if len(text) > limit:
        raise DomainError(f"{label}: не длиннее {limit} символов.", fields={name or label: f"Не длиннее {limit}."})
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise DomainError(f"{label}: недопустимые символы.", fields={name or label: "Недопустимые символы."})
    return text


def _int(value, low, high, label, name, optional=False):
    raw = value.strip() if isinstance(value, str) else ("" if value is None else str(value))
    if raw == "" and optional:
        return None
    if not re.fullmatch(r"[0-9]{1,4}", raw, re.ASCII) or not low <= int(raw) <= high:
        raise DomainError(f"{label}: целое число от {low} до {high}.", fields={name: f"Число от {low} до {high}."})
    return int(raw)


def parse_number(value):
    """A number typed by a person («3,5», «-2», «10.25»); None if it is not one."""
    raw = value.strip().replace(" ", "") if isinstance(value, str) else ""
    if not _NUMBER.fullmatch(raw):
        return None
    try:
        number = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        return None
    return number if abs(number) < MAX_NUMBER else None


def normalized(text):
    """A short answer as compared: no case, «ё» as «е», spaces collapsed."""
    return " ".join(text.lower().replace("ё", "е").split())


def parse_moment(day_text, time_text, org, label, name):
    """A local date and time of the organization (дд.мм.гггг, чч:мм) as a stored UTC timestamp."""
    day = parse_date(day_text or "")
    match = _TIME.fullmatch((time_text or "").strip())
    if day is None or match is None or int(match.group(1)) > 23:
        raise DomainError(f"{label}: укажите дату (дд.мм.гггг) и время (чч:мм).",
                          fields={name: "Дата и время: дд.мм.гггг и чч:мм."})
    moment = datetime.combine(day, time(int(match.group(1)), int(match.group(2))))
    return clock.to_instant(moment, org).astimezone(timezone.utc).replace(tzinfo=None)


# -- the teacher's tests --------------------------------------------------------------------------------------

def quizzes_of(actor):
    cond = permissions.row_condition(actor, KEY, "list", Quiz)
    return db.session.execute(select(Quiz, Subject.name).join(Subject, Subject.id == Quiz.subject_id)
                              .where(cond).order_by(Quiz.created_at.desc(), Quiz.id.desc())).all()


def get_quiz(actor, quiz_id, verb="details"):
    """The test if the actor may `verb` it; PermissionDenied otherwise (a page answers 404)."""
    quiz_id = parse_id(quiz_id)
    if quiz_id is None or not permissions.allowed(actor, KEY, verb):
        raise PermissionDenied(NOT_FOUND)
    quiz = db.session.scalar(select(Quiz).where(Quiz.id == quiz_id,
                                                permissions.row_condition(actor, KEY, verb, Quiz)))
    if quiz is None:
        raise PermissionDenied(NOT_FOUND)
    return quiz


def teacher_subjects(actor):
    """The subjects of the teacher's teaching assignments (what a test may be built for)."""
    if not actor.staff_id:
        return []
    return db.session.scalars(select(Subject).where(Subject.id.in_(
        select(TeachingAssignment.subject_id).where(TeachingAssignment.teacher_id == actor.staff_id)))
        .order_by(Subject.name)).all()


@dataclass
class QuizInput:
    title: str = ""
    subject_id: object = None
    grade: object = ""
    time_limit: object = ""
    max_attempts: object = "1"
    shuffle: bool = True
    show_answers: bool = False


def _quiz_fields(actor, data):
    title = _text(data.title, MAX_TITLE, "Название", name="title")
    subject_id = parse_id(data.subject_id)
    if subject_id is None or subject_id not in {s.id for s in teacher_subjects(actor)}:
        raise DomainError("Предмет: выберите один из ваших предметов.", fields={"subject_id": "Выберите предмет."})
    return dict(title=title, subject_id=subject_id,
                grade=_int(data.grade, 1, 11, "Параллель", "grade"),
                time_limit=_int(data.time_limit, 1, 600, "Время на выполнение, минут", "time_limit", optional=True),
                max_attempts=_int(data.max_attempts, 1, 20, "Число попыток", "max_attempts"),
                shuffle=bool(data.shuffle), show_answers=bool(data.show_answers))


def create_quiz(actor, data):
    permissions.require(actor, KEY, "create")
    if not actor.staff_id:
        raise PermissionDenied()
    quiz = Quiz(org_id=actor.org_id, author_id=actor.staff_id, created_at=clock.utcnow(), **_quiz_fields(actor, data))
    db.session.add(quiz)
    db.session.flush()
    return quiz


def update_quiz(actor, quiz_id, data):
    quiz = get_quiz(actor, quiz_id, "edit")
    fields = _quiz_fields(actor, data)
    if fields["subject_id"] != quiz.subject_id and _tried(quiz.id):
        raise DomainError("Тест уже выполняли: предмет менять нельзя.", fields={"subject_id": "Нельзя менять."})
    for name, value in fields.items():
        setattr(quiz, name, value)
    db.session.flush()
    return quiz


def _tried(quiz_id):
    return db.session.scalar(select(func.count(QuizAttempt.id)).join(
        QuizAssignment, QuizAssignment.id == QuizAttempt.quiz_assignment_id).where(
        QuizAssignment.quiz_id == quiz_id)) > 0


def _editable(actor, quiz_id):
    quiz = get_quiz(actor, quiz_id, "edit")
    db.session.execute(locked(select(Quiz.id).where(Quiz.id == quiz.id)))
    if _tried(quiz.id):
        raise DomainError(for_kind("Тест уже выполняли ученики: его вопросы менять нельзя.", actor.org))
    return quiz


@dataclass
class QuestionInput:
    kind: str = ""
    text: str = ""
    points: object = "1"
    options: list = field(default_factory=list)  # [(text, correct)]
    number: str = ""
    tolerance: str = ""
    accepted: str = ""


def add_question(actor, quiz_id, data):
    quiz = _editable(actor, quiz_id)
    if data.kind not in KINDS:
        raise DomainError("Тип вопроса: выберите из списка.", fields={"kind": "Выберите тип."})
    count, last = db.session.execute(select(func.count(QuizQuestion.id), func.max(QuizQuestion.position))
                                     .where(QuizQuestion.quiz_id == quiz.id)).one()
    if count >= MAX_QUESTIONS:
        raise DomainError(f"В тесте не больше {MAX_QUESTIONS} вопросов.")
    question = QuizQuestion(org_id=quiz.org_id, quiz_id=quiz.id, position=(last or 0) + 1, kind=data.kind,
                            text=_text(data.text, MAX_QUESTION, "Текст вопроса", name="text"),
                            points=_int(data.points, 1, 100, "Баллы", "points"))
    options = []
    if data.kind in ("single", "multiple"):
        options = [(_text(t, MAX_OPTION, f"Вариант {i}", name=f"option-{i}"), bool(c))
                   for i, (t, c) in enumerate(data.options, 1) if isinstance(t, str) and t.strip()]
        if len(data.options) > MAX_OPTIONS or len(options) < 2:
            raise DomainError(f"Вариантов ответа нужно от 2 до {MAX_OPTIONS}.", fields={"option-1": "Мало вариантов."})
        right = sum(1 for _, c in options if c)
        if data.kind == "single" and right != 1:
            raise DomainError("Отметьте ровно один верный вариант.", fields={"option-1": "Один верный вариант."})
        if data.kind == "multiple" and right < 1:
            raise DomainError("Отметьте хотя бы один верный вариант.", fields={"option-1": "Нет верного варианта."})
    elif data.kind == "number":
        question.number_answer = parse_number(data.number)
        if question.number_answer is None:
            raise DomainError("Верный ответ: введите число (например, 3,5).", fields={"number": "Не число."})
        tolerance = parse_number(data.tolerance) if (data.tolerance or "").strip() else Decimal(0)
        if tolerance is None or tolerance < 0:
            raise DomainError("Допуск: неотрицательное число.", fields={"tolerance": "Не число."})
        question.tolerance = tolerance
    else:
        lines = [normalized(line) for line in _text(data.accepted, MAX_ACCEPTED, "Верные ответы",
                                                    name="accepted").splitlines()]
        lines = [line for line in dict.fromkeys(lines) if line]
        if not lines or any(len(line) > MAX_ANSWER for line in lines):
            raise DomainError("Верные ответы: по одному в строке, каждый не длиннее 200 символов.",
                              fields={"accepted": "Нет верного ответа."})
        question.accepted = "\n".join(lines)
    db.session.add(question)
    db.session.flush()
    db.session.add_all(QuizOption(org_id=quiz.org_id, question_id=question.id, position=i, text=t, is_correct=c)
                       for i, (t, c) in enumerate(options, 1))
    db.session.flush()
    return question


def delete_question(actor, quiz_id, question_id):
    quiz = _editable(actor, quiz_id)
    question = db.session.scalar(select(QuizQuestion).where(QuizQuestion.id == parse_id(question_id),
                                                            QuizQuestion.quiz_id == quiz.id))
    if question is None:
        raise PermissionDenied("Вопрос не найден.")
    db.session.execute(QuizOption.__table__.delete().where(QuizOption.question_id == question.id))
    db.session.delete(question)
    db.session.flush()


def questions_of(quiz_ids):
    """{quiz id: [(question, [options])]} in order, in two statements (the teacher's pages)."""
    questions = db.session.scalars(select(QuizQuestion).where(QuizQuestion.quiz_id.in_(list(quiz_ids)))
                                   .order_by(QuizQuestion.quiz_id, QuizQuestion.position)).all()
    options = {}
    for option in db.session.scalars(select(QuizOption).where(
            QuizOption.question_id.in_([q.id for q in questions])).order_by(QuizOption.position)):
        options.setdefault(option.question_id, []).append(option)
    result = {}
    for question in questions:
        result.setdefault(question.quiz_id, []).append((question, options.get(question.id, [])))
    return result


# -- assigning ------------------------------------------------------------------------------------------------

def teacher_assignments(actor, quiz):
    """The teaching assignments (own journals) of the test's subject and grade a test may be given to."""
    if not permissions.allowed(actor, "journal", "edit"):
        return []
    return db.session.scalars(select(TeachingAssignment)
                              .join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
                              .where(permissions.row_condition(actor, "journal", "edit", TeachingAssignment),
                                     TeachingAssignment.subject_id == quiz.subject_id,
                                     SchoolClass.grade == quiz.grade)
                              .options(joinedload(TeachingAssignment.klass), joinedload(TeachingAssignment.subgroup))
                              .order_by(SchoolClass.name, TeachingAssignment.id)).all()


@dataclass
class AssignInput:
    assignment_id: object = None
    opens_date: str = ""
    opens_time: str = ""
    closes_date: str = ""
    closes_time: str = ""
    lesson_id: object = None
    task_type_id: object = None
    threshold5: object = "85"
    threshold4: object = "65"
    threshold3: object = "45"


def assign(actor, quiz_id, data):
    quiz = get_quiz(actor, quiz_id, "details")
    permissions.require(actor, ASSIGN_KEY, "create")
    if not db.session.scalar(select(func.count(QuizQuestion.id)).where(QuizQuestion.quiz_id == quiz.id)):
        raise DomainError("В тесте нет вопросов: добавьте их, прежде чем назначать тест.")
    ta_id = parse_id(data.assignment_id)
    ta = next((t for t in teacher_assignments(actor, quiz) if t.id == ta_id), None)
    if ta is None:
        raise DomainError(for_kind("Класс: выберите класс или подгруппу из вашей нагрузки по предмету теста.",
                                   actor.org),
                          fields={"assignment_id": for_kind("Выберите класс.", actor.org)})
    opens = parse_moment(data.opens_date, data.opens_time, actor.org, "Начало", "opens")
    closes = parse_moment(data.closes_date, data.closes_time, actor.org, "Окончание", "closes")
    if closes <= opens:
        raise DomainError("Окончание должно быть позже начала.", fields={"closes": "Позже начала."})
    if closes - opens > timedelta(days=366):
        raise DomainError("Тест можно открыть не больше чем на год.", fields={"closes": "Слишком долго."})
    t5 = _int(data.threshold5, 1, 100, "Порог «5», %", "threshold5")
    t4 = _int(data.threshold4, 1, 100, "Порог «4», %", "threshold4")
    t3 = _int(data.threshold3, 1, 100, "Порог «3», %", "threshold3")
    if not t3 <= t4 <= t5:
        raise DomainError("Пороги: «3» ≤ «4» ≤ «5».", fields={"threshold4": "Пороги не по порядку."})
    row = QuizAssignment(org_id=quiz.org_id, quiz_id=quiz.id, assignment_id=ta.id, opens_at=opens, closes_at=closes,
                         threshold5=t5, threshold4=t4, threshold3=t3, created_at=clock.utcnow())
    lesson_id = parse_id(data.lesson_id) if data.lesson_id not in (None, "") else None
    if lesson_id is not None:
        row.task_id = _new_task(actor, ta, lesson_id, data.task_type_id, quiz)
    db.session.add(row)
    db.session.flush()
    return row


def _new_task(actor, ta, lesson_id, type_id, quiz):
    """A task of the test on a lesson of the journal, made by the journal's own save (its rules, its audit):
    the type's weight and mandatory flag."""
    type_id = parse_id(type_id)
    kind = db.session.scalar(select(TaskType).where(TaskType.id == type_id, TaskType.org_id == ta.org_id,
                                                    TaskType.is_active.is_(True))) if type_id else None
    if kind is None:
        raise DomainError("Тип задания: выберите из списка.", fields={"task_type_id": "Выберите тип."})
    result = grid_save.save_entries(actor, ta.id, {"tasks": [{"task_id": None, "key": "quiz", "lesson_id": lesson_id,
                                                              "type_id": kind.id, "topic": quiz.title[:300]}]})
    return result.task_ids["quiz"]


def lessons_for(assignments):
    """[(teaching assignment, its lessons by date)] a test's mark may go to, in one statement."""
    by_ta = {}
    for lesson in db.session.scalars(select(Lesson).where(Lesson.assignment_id.in_([ta.id for ta in assignments]),
                                                          Lesson.is_cancelled.is_(False))
                                     .order_by(Lesson.date, Lesson.number)):
        by_ta.setdefault(lesson.assignment_id, []).append(lesson)
    return [(ta, by_ta.get(ta.id, [])) for ta in assignments]


def assignments_of_quiz(quiz_id):
    """The test's assignments with their classes, subgroups and tasks' lessons (one statement)."""
    return db.session.scalars(select(QuizAssignment).where(QuizAssignment.quiz_id == quiz_id)
                              .options(joinedload(QuizAssignment.assignment).joinedload(TeachingAssignment.klass),
                                       joinedload(QuizAssignment.assignment).joinedload(TeachingAssignment.subgroup),
                                       joinedload(QuizAssignment.task).joinedload(Task.lesson))
                              .order_by(QuizAssignment.opens_at)).unique().all()


def mark_for(row, percent):
    """The mark of a score by the assignment's thresholds."""
    if percent is None:
        return ""
    if percent >= row.threshold5:
        return "5"
    if percent >= row.threshold4:
        return "4"
    if percent >= row.threshold3:
        return "3"
    return "2"


# -- taking ---------------------------------------------------------------------------------------------------

def get_taken(actor, qa_id, verb="details"):
    """An assignment of a test the student (or parent) may read: PermissionDenied otherwise."""
    qa_id = parse_id(qa_id)
    if qa_id is None or not permissions.allowed(actor, TAKE_KEY, verb):
        raise PermissionDenied(NOT_FOUND)
    row = db.session.scalar(select(QuizAssignment).where(
        QuizAssignment.id == qa_id, permissions.row_condition(actor, TAKE_KEY, verb, QuizAssignment)))
    if row is None:
        raise PermissionDenied(NOT_FOUND)
    return row


def my_tests(actor):
    """The tests given to the actor's (student's) or his children's classes: [(assignment, quiz, subject,
    [attempts of the students])], three statements."""
    cond = permissions.row_condition(actor, TAKE_KEY, "list", QuizAssignment)
    rows = db.session.execute(select(QuizAssignment, Quiz, Subject.name).join(Quiz, Quiz.id == QuizAssignment.quiz_id)
                              .join(Subject, Subject.id == Quiz.subject_id).where(cond)
                              .order_by(QuizAssignment.closes_at.desc(), QuizAssignment.id)).all()
    students = [actor.student_id] if actor.student_id else list(actor.child_ids)
    attempts = {}
    for attempt in db.session.scalars(select(QuizAttempt).where(
            QuizAttempt.quiz_assignment_id.in_([r[0].id for r in rows]), QuizAttempt.student_id.in_(students))
            .order_by(QuizAttempt.number)):
        attempts.setdefault(attempt.quiz_assignment_id, []).append(attempt)
    return [(qa, quiz, subject, attempts.get(qa.id, [])) for qa, quiz, subject in rows]


def window_state(row, now=None):
    now = now or clock.utcnow()
    if now < row.opens_at:
        return "before"
    if now >= row.closes_at:
        return "after"
    return "open"


def is_expired(attempt, now=None):
    return attempt.state == "open" and (now or clock.utcnow()) > attempt.deadline + GRACE


def _eligible(student_id, ta, day):
    if not roster.is_member(student_id, ta.class_id, day):
        return False
    if ta.subgroup_id is None:
        return True
    return db.session.scalar(select(SubgroupMember.id).where(SubgroupMember.subgroup_id == ta.subgroup_id,
                                                             SubgroupMember.student_id == student_id).limit(1)) \
        is not None


def start(actor, qa_id):
    """Begin (or go on with) the student's attempt: within the window, attempts left. Returns the attempt."""
    if not actor.student_id:
        raise PermissionDenied(for_kind("Тест выполняет только ученик.", actor.org))
    row = get_taken(actor, qa_id, "take")
    db.session.execute(locked(select(QuizAssignment.id).where(QuizAssignment.id == row.id)))
    now = clock.utcnow()
    state = window_state(row, now)
    if state == "before":
        raise DomainError("Тест ещё не открыт.")
    if state == "after":
        raise DomainError("Время выполнения теста закончилось.")
    if not _eligible(actor.student_id, row.assignment, clock.today(actor.org)):
        raise PermissionDenied(NOT_FOUND)
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.quiz_assignment_id == row.id,
                                                            QuizAttempt.student_id == actor.student_id)
                                  .order_by(QuizAttempt.number).execution_options(populate_existing=True)).all()
    going = next((a for a in attempts if a.state == "open" and not is_expired(a, now)), None)
    if going is not None:
        return going
    if len(attempts) >= row.quiz.max_attempts:
        raise DomainError(f"Все попытки использованы ({row.quiz.max_attempts}).")
    attempt = new_attempt(row, actor.student_id, len(attempts) + 1, now)
    with taken_is_refused("Попытка уже начата в другой вкладке: обновите страницу."):
        db.session.flush()
    return attempt


def new_attempt(row, student_id, number, now, shuffler=None):
    """A student's attempt of an assignment begun at `now` (after `start`'s checks; the demo data too): its
    questions' and options' order, its deadline (the limit, never past the window's end), its points."""
    quiz = row.quiz
    items = questions_of([quiz.id]).get(quiz.id, [])
    if not items:
        raise DomainError("В тесте нет вопросов.")
    shuffler = shuffler or random.SystemRandom()
    layout = [[q.id, [o.id for o in opts]] for q, opts in items]
    if quiz.shuffle:
        shuffler.shuffle(layout)
        for entry in layout:
            shuffler.shuffle(entry[1])
    deadline = row.closes_at
    if quiz.time_limit:
        deadline = min(deadline, now + timedelta(minutes=quiz.time_limit))
    attempt = QuizAttempt(org_id=row.org_id, quiz_assignment_id=row.id, student_id=student_id, number=number,
                          state="open", layout=json.dumps(layout), started_at=now, deadline=deadline,
                          max_score=sum(q.points for q, _ in items))
    db.session.add(attempt)
    return attempt


def get_attempt(actor, attempt_id):
    """The actor's own attempt (a student) or his child's (a parent); PermissionDenied otherwise."""
    attempt_id = parse_id(attempt_id)
    students = [actor.student_id] if actor.student_id else list(actor.child_ids)
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.id == attempt_id,
                                                          QuizAttempt.student_id.in_(students))) \
        if attempt_id and students else None
    if attempt is None:
        raise PermissionDenied(NOT_FOUND)
    get_taken(actor, attempt.quiz_assignment_id)
    return attempt


@dataclass
class ShownQuestion:
    """A question as the student sees it: no answer, no tolerance, no points per option."""

    id: int
    number: int
    kind: str
    text: str
    points: int
    options: list  # [(option id, text)]
    # after the attempt is finished:
    answer: object = None
    right_options: list = field(default_factory=list)
    right_text: str = ""


def answers_open(attempt, now=None):
    """May the student (and his parent) see which of his answers were right and the right ones: a finished attempt,
    the teacher allows it (`Quiz.show_answers`), and the student can take the test no more — his attempts used up
    or the window closed. Never while another attempt of his could use them."""
    row = attempt.quiz_assignment
    if attempt.state != "done" or not row.quiz.show_answers:
        return False
    if window_state(row, now) == "after":
        return True
    used = db.session.scalar(select(func.count(QuizAttempt.id)).where(
        QuizAttempt.quiz_assignment_id == row.id, QuizAttempt.student_id == attempt.student_id))
    return used >= row.quiz.max_attempts


def attempt_view(attempt, reveal=False):
    """The attempt's questions in its own order. `reveal`: the answers given, whether each was right and the right
    ones — only when `answers_open` (a finished attempt, the teacher allows it, no attempt left to the student)."""
    layout = json.loads(attempt.layout)
    ids = [q for q, _ in layout]
    questions = {q.id: q for q in db.session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(ids)))}
    options = {o.id: o for o in db.session.scalars(select(QuizOption).where(QuizOption.question_id.in_(ids)))}
    answers = {}
    if reveal and answers_open(attempt):
        answers = {a.question_id: a for a in db.session.scalars(select(QuizAnswer).where(
            QuizAnswer.attempt_id == attempt.id))}
    shown = []
    for n, (qid, option_ids) in enumerate(layout, 1):
        q = questions.get(qid)
        if q is None:
            continue
        item = ShownQuestion(q.id, n, q.kind, q.text, q.points,
                             [(oid, options[oid].text) for oid in option_ids if oid in options])
        if answers:
            item.answer = answers.get(q.id)
            item.right_options = [options[oid].text for oid in option_ids if oid in options
                                  and options[oid].is_correct]
            item.right_text = _right_text(q)
        shown.append(item)
    return shown


def _right_text(question):
    if question.kind == "number":
        value = plain_number(question.number_answer)
        return value + (f" (±{plain_number(question.tolerance)})" if question.tolerance else "")
    if question.kind == "text":
        return "; ".join((question.accepted or "").splitlines())
    return ""


def plain_number(number):
    text = format(Decimal(number).normalize(), "f") if number is not None else ""
    return text.replace(".", ",")


def answer_text(answer, options_by_id):
    """What a student answered, in words (results pages)."""
    if answer is None or not answer.response:
        return ""
    value = json.loads(answer.response)
    if isinstance(value, list):
        return "; ".join(options_by_id[o].text for o in value if o in options_by_id)
    return str(value)


@dataclass
class Submitted:
    attempt: QuizAttempt
    late: bool
    journal: str | None = None  # the journal's refusal of the mark (the score stays)


def submit(actor, attempt_id, responses):
    """Score the student's answers: `responses` {question id (text): [values typed or chosen]} as the form
    sent them. Refused: another's attempt (404), a finished one (counted once), garbage. After the deadline +
    GRACE the attempt ends with no answer counted (Submitted.late)."""
    if not actor.student_id:
        raise PermissionDenied(for_kind("Тест выполняет только ученик.", actor.org))
    attempt = get_attempt(actor, attempt_id)
    attempt = db.session.scalars(locked(select(QuizAttempt).where(QuizAttempt.id == attempt.id))).one()
    if attempt.state != "open":
        raise DomainError("Ответы этой попытки уже отправлены: они засчитаны один раз.")
    now = clock.utcnow()
    if not isinstance(responses, dict) or len(responses) > len(json.loads(attempt.layout)):
        raise DomainError("Ответы не приняты: в форме лишние поля.")
    if now > attempt.deadline + GRACE:
        attempt.state, attempt.finished_at, attempt.late, attempt.score = "done", now, True, Decimal(0)
        db.session.flush()
        return Submitted(attempt, True)
    score(attempt, responses, now)
    with taken_is_refused("Ответы этой попытки уже отправлены: они засчитаны один раз."):
        db.session.flush()
    return Submitted(attempt, False, _mark_now(attempt))


def _mark_now(attempt):
    """The teacher chose a task of a lesson: the student's mark goes into the journal as he submits, written by the
    system (no one's account) through the journal's own save, every rule of it applying. The score is committed
    first, so a refusal (a closed period, a lesson not given yet) leaves it; the teacher then sees the mark missing
    on the results page and puts it later (`push_marks`). Returns the journal's message, or None."""
    row = attempt.quiz_assignment
    if row.task_id is None:
        return None
    uow.checkpoint("the score is kept whatever the journal answers its mark")
    previous = audit.get_context()
    audit.set_context(None, row.org_id, previous[2])
    try:
        push_marks(Actor.system_actor(db.session.get(Organization, row.org_id)), row.id, [attempt.student_id])
    except DomainError as exc:
        uow.rollback()
        return str(exc)
    finally:
        audit.set_context(*previous)
    return None


def score(attempt, responses, now):
    """Score an open attempt's answers {question id: [values]} and finish it (after `submit`'s checks; the demo
    data too). Garbage is a DomainError and nothing is added."""
    layout = json.loads(attempt.layout)
    allowed = {qid: set(opts) for qid, opts in layout}
    questions = {q.id: q for q in db.session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(list(allowed))))}
    right = {}
    for option in db.session.scalars(select(QuizOption).where(QuizOption.question_id.in_(list(allowed)),
                                                              QuizOption.is_correct.is_(True))):
        right.setdefault(option.question_id, set()).add(option.id)
    parsed, errors, fields = {}, [], {}
    for key, values in responses.items():
        qid = parse_id(key)
        if qid not in allowed or not isinstance(values, list) or len(values) > MAX_OPTIONS:
            raise DomainError("Ответы не приняты: в форме вопрос не из этой попытки.")
        values = [v for v in values if isinstance(v, str)]
        parsed[qid] = values
    total = Decimal(0)
    answers = []
    for n, (qid, _) in enumerate(layout, 1):
        question = questions.get(qid)
        if question is None:
            continue
        values = [v for v in parsed.get(qid, []) if v.strip()]
        response, correct = "", False
        if question.kind in ("single", "multiple"):
            chosen = set()
            for v in values:
                oid = parse_id(v)
                if oid not in allowed[qid]:
                    raise DomainError("Ответы не приняты: выбран вариант не из этого вопроса.")
                chosen.add(oid)
            if question.kind == "single" and len(chosen) > 1:
                raise DomainError(f"Вопрос {n}: выберите один вариант.")
            response = json.dumps(sorted(chosen)) if chosen else ""
            correct = bool(chosen) and chosen == right.get(qid, set())
        elif values:
            if len(values) > 1:
                raise DomainError("Ответы не приняты: на вопрос — одно поле ответа.")
            typed = values[0].strip()
            if len(typed) > MAX_ANSWER or any(ord(c) < 32 for c in typed):
                errors.append(f"вопрос {n}: ответ не длиннее {MAX_ANSWER} символов, без служебных символов")
                fields[f"q-{qid}"] = "Слишком длинный ответ."
                continue
            response = json.dumps(typed, ensure_ascii=False)
            if question.kind == "number":
                number = parse_number(typed)
                if number is None:
                    errors.append(f"вопрос {n}: «{typed[:30]}» — не число (пример: 3,5)")
                    fields[f"q-{qid}"] = "Введите число."
                    continue
                correct = abs(number - question.number_answer) <= (question.tolerance or 0)
            else:
                correct = normalized(typed) in set((question.accepted or "").splitlines())
        points = Decimal(question.points) if correct else Decimal(0)
        total += points
        answers.append(QuizAnswer(org_id=attempt.org_id, attempt_id=attempt.id, question_id=qid, response=response,
                                  points=points, is_correct=correct))
    if errors:
        raise DomainError("Ответы не отправлены, исправьте", errors, fields)
    db.session.add_all(answers)
    attempt.state, attempt.finished_at, attempt.score = "done", now, total


# -- results --------------------------------------------------------------------------------------------------

def get_assignment(actor, qa_id, verb="details"):
    qa_id = parse_id(qa_id)
    if qa_id is None or not permissions.allowed(actor, ASSIGN_KEY, verb):
        raise PermissionDenied(NOT_FOUND)
    row = db.session.scalar(select(QuizAssignment).where(
        QuizAssignment.id == qa_id, permissions.row_condition(actor, ASSIGN_KEY, verb, QuizAssignment)))
    if row is None:
        raise PermissionDenied(NOT_FOUND)
    return row


@dataclass
class StudentResult:
    student: Student
    attempts: list
    best: QuizAttempt | None
    mark: str
    journal: str | None


def students_of(ta, day):
    """The students the assignment's test is for on `day`: the class's (its subgroup's) roster."""
    students = roster.class_roster(ta.class_id, day)
    if ta.subgroup_id is None:
        return students
    members = set(db.session.scalars(select(SubgroupMember.student_id).where(
        SubgroupMember.subgroup_id == ta.subgroup_id)))
    return [s for s in students if s.id in members]


def results(row):
    """Per student of the class (and whoever tried): his attempts, the best finished, its mark, the journal's
    mark on the task. A fixed number of statements."""
    ta = row.assignment
    students = {s.id: s for s in students_of(ta, _today(row))}
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.quiz_assignment_id == row.id)
                                  .order_by(QuizAttempt.student_id, QuizAttempt.number)).all()
    missing = {a.student_id for a in attempts} - set(students)
    if missing:
        students.update({s.id: s for s in db.session.scalars(select(Student).where(Student.id.in_(missing)))})
    journal = {}
    if row.task_id:
        journal = dict(db.session.execute(select(Mark.student_id, Mark.value).where(Mark.task_id == row.task_id)).all())
    by_student = {}
    for attempt in attempts:
        by_student.setdefault(attempt.student_id, []).append(attempt)
    out = []
    for student in sorted(students.values(), key=lambda s: (s.last_name, s.first_name, s.id)):
        tried = by_student.get(student.id, [])
        best = best_attempt(tried)
        out.append(StudentResult(student, tried, best, mark_for(row, best.percent) if best else "",
                                 journal.get(student.id)))
    return out


def _today(row):
    return clock.today(db.session.get(Organization, row.org_id))


def best_attempt(attempts):
    done = [a for a in attempts if a.state == "done" and a.score is not None]
    return max(done, key=lambda a: (a.score, -a.number)) if done else None


@dataclass
class QuestionStat:
    question: QuizQuestion
    answered: int
    right: int

    @property
    def share(self):
        return round(self.right * 100 / self.answered) if self.answered else None


def question_stats(row):
    """Per question of the test: the finished attempts' answers and the share of right ones (one statement)."""
    questions = db.session.scalars(select(QuizQuestion).where(QuizQuestion.quiz_id == row.quiz_id)
                                   .order_by(QuizQuestion.position)).all()
    counts = {qid: (n, r) for qid, n, r in db.session.execute(
        select(QuizAnswer.question_id, func.count(QuizAnswer.id),
               func.sum(func.cast(QuizAnswer.is_correct, db.Integer)))
        .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
        .where(QuizAttempt.quiz_assignment_id == row.id, QuizAttempt.state == "done")
        .group_by(QuizAnswer.question_id))}
    return [QuestionStat(q, counts.get(q.id, (0, 0))[0], int(counts.get(q.id, (0, 0))[1] or 0)) for q in questions]


def attempt_answers(attempt):
    """[(question, answer or None, answer in words)] of a finished attempt, for the teacher."""
    items = questions_of([attempt.quiz_assignment.quiz_id]).get(attempt.quiz_assignment.quiz_id, [])
    answers = {a.question_id: a for a in db.session.scalars(select(QuizAnswer).where(
        QuizAnswer.attempt_id == attempt.id))}
    out = []
    for question, options in items:
        answer = answers.get(question.id)
        out.append((question, answer, answer_text(answer, {o.id: o for o in options})))
    return out


def get_attempt_of(actor, qa_id, attempt_id):
    row = get_assignment(actor, qa_id)
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.id == parse_id(attempt_id),
                                                          QuizAttempt.quiz_assignment_id == row.id))
    if attempt is None:
        raise PermissionDenied(NOT_FOUND)
    return row, attempt


def rescore(actor, qa_id, answer_id, correct):
    """The teacher accepts (or rejects) an answer by hand: its points and the attempt's score change."""
    row = get_assignment(actor, qa_id, "rescore")
    answer = db.session.scalar(select(QuizAnswer).join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
                               .where(QuizAnswer.id == parse_id(answer_id),
                                      QuizAttempt.quiz_assignment_id == row.id))
    if answer is None:
        raise PermissionDenied("Ответ не найден.")
    attempt = db.session.scalars(locked(select(QuizAttempt).where(QuizAttempt.id == answer.attempt_id))).one()
    question = db.session.get(QuizQuestion, answer.question_id)
    answer.is_correct, answer.manual = bool(correct), True
    answer.points = Decimal(question.points) if correct else Decimal(0)
    db.session.flush()
    attempt.score = db.session.scalar(select(func.coalesce(func.sum(QuizAnswer.points), 0))
                                      .where(QuizAnswer.attempt_id == attempt.id))
    db.session.flush()
    return attempt


def push_marks(actor, qa_id, student_ids=None):
    """Each student's mark (his best finished attempt, by the thresholds) onto the assignment's task, by the
    journal's own save: a closed period, a student no longer in the class, a lesson not given yet — the
    journal's message, and nothing is written (the scores stay). `student_ids`: only theirs. Returns how many
    marks changed."""
    row = get_assignment(actor, qa_id, "push")
    if row.task_id is None:
        raise DomainError("Тест не связан с заданием урока: отметки в журнал не переносятся.")
    task = db.session.get(Task, row.task_id)
    if task is None:
        raise DomainError("Задание урока удалено: отметки в журнал не переносятся.")
    wanted = {r.student.id: r.mark for r in results(row) if r.mark
              and (student_ids is None or r.student.id in student_ids)}
    existing = {m.student_id: m for m in db.session.scalars(select(Mark).where(
        Mark.task_id == task.id, Mark.student_id.in_(list(wanted))))}
    marks = [{"task_id": task.id, "student_id": sid, "value": value,
              "version": existing[sid].version if sid in existing else None}
             for sid, value in wanted.items() if sid not in existing or existing[sid].value != value]
    if not marks:
        return 0
    grid_save.save_entries(actor, row.assignment_id, {"marks": marks})
    return len(marks)
