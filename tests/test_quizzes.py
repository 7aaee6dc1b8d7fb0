"""Electronic tests (issue 18.4, seed 001 stage IV): a teacher builds a test (single and multiple choice, a
number within a tolerance, a short answer), gives it to his class with a window and a task of a lesson; the
student takes it in the diary (the order kept server-side, nothing of the answers in his page before he
submits, the time limit kept by the server); the score becomes a mark of the task's weight through the
journal's own save (a closed period refuses it, the score stays); the teacher sees results per student and
per question and re-scores an answer by hand; a double submit counts once.

World A: 5А (Учеников a.student, Соседов; parent a.parent), 6Б (Чужов); Математика in 5А by a.teacher.
Today 20.11.2026 (Friday), Moscow.
"""
import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from models import Mark, QuizAnswer, QuizAttempt, Task, db
from services import clock
from services.errors import DomainError, PermissionDenied
from services.journal import periods
from services.learning import quizzes
from tests.factories import (account, actor_of, jr_assignment, jr_lessons, jr_subject, jr_task_type, make_class,
                             make_staff, make_student)
from tests.concurrency import run_held_then
from tests.helpers import in_unit
from tests.querycount import count_queries

NOW = datetime(2026, 11, 20, 10, 0)  # local (Moscow) = 07:00 UTC

create_quiz, add_question, assign, start, submit = (in_unit(quizzes.create_quiz), in_unit(quizzes.add_question),
                                                    in_unit(quizzes.assign), in_unit(quizzes.start),
                                                    in_unit(quizzes.submit))
rescore, push_marks = in_unit(quizzes.rescore), in_unit(quizzes.push_marks)


@pytest.fixture
def qz(world):
    a = world.a
    a.math = jr_subject(a.org, "Математика")
    a.m5 = jr_assignment(a.org, a.year, a.klass, a.teacher, a.math)
    a.m6 = jr_assignment(a.org, a.year, a.other_class, a.deputy, a.math)
    a.lesson, = jr_lessons(a.m5, a.period, [date(2026, 11, 18)])
    make_student(a.org, a.other_class, "Чужаков", "Олег", "a.other_student")
    db.session.commit()
    return a


def build(a, time_limit="20", attempts="2", show_answers=True):
    teacher = actor_of("a.teacher")
    quiz = create_quiz(teacher, quizzes.QuizInput(title="Дроби", subject_id=str(a.math.id), grade="5",
                                                  time_limit=time_limit, max_attempts=attempts,
                                                  show_answers=show_answers))
    Q = quizzes.QuestionInput
    add_question(teacher, quiz.id, Q(kind="single", text="Сколько будет 2+2?", points="1",
                                     options=[("3", False), ("4", True), ("5", False)]))
    add_question(teacher, quiz.id, Q(kind="multiple", text="Какие числа чётные?", points="2",
                                     options=[("2", True), ("3", False), ("8", True)]))
    add_question(teacher, quiz.id, Q(kind="number", text="Три четверти от 5?", points="2", number="3,75",
                                     tolerance="0,01"))
    add_question(teacher, quiz.id, Q(kind="text", text="Столица России?", points="1",
                                     accepted="Москва\nг. Москва"))
    add_question(teacher, quiz.id, Q(kind="text", text="Как называется дробь 1/2?", points="4",
                                     accepted="половина"))
    return quiz


def give(a, quiz, lesson=True, opens=("20.11.2026", "09:00"), closes=("20.11.2026", "18:00"), assignment=None):
    data = quizzes.AssignInput(assignment_id=str((assignment or a.m5).id), opens_date=opens[0], opens_time=opens[1],
                               closes_date=closes[0], closes_time=closes[1])
    if lesson:
        data.lesson_id, data.task_type_id = str(a.lesson.id), str(jr_task_type(a.org.id, "Контрольная работа").id)
    return assign(actor_of("a.teacher"), quiz.id, data)


def answers_for(attempt, right=True, text_answer="  МОСКВА "):
    """The form's answers to an attempt: all right (the «half» one wrong in spelling), or all wrong."""
    items = quizzes.attempt_view(attempt)
    out = {}
    for item in items:
        q = db.session.get(quizzes.QuizQuestion, item.id)
        if item.kind in ("single", "multiple"):
            opts = db.session.scalars(select(quizzes.QuizOption).where(quizzes.QuizOption.question_id == q.id)).all()
            chosen = [str(o.id) for o in opts if o.is_correct == right]
            out[str(q.id)] = chosen[:1] if item.kind == "single" else chosen
        elif item.kind == "number":
            out[str(q.id)] = ["3,755" if right else "4"]
        elif "Столица" in q.text:
            out[str(q.id)] = [text_answer if right else "Питер"]
        else:
            out[str(q.id)] = ["полвина"]
    return out


@pytest.fixture
def frozen_now():
    with clock.frozen(NOW, "Europe/Moscow"):
        yield


def test_round_trip_build_assign_take_score_mark_in_the_journal(qz, frozen_now):
    quiz = build(qz)
    row = give(qz, quiz)
    task = db.session.get(Task, row.task_id)
    kind = jr_task_type(qz.org.id, "Контрольная работа")
    assert task.lesson_id == qz.lesson.id and task.type_id == kind.id and task.weight == kind.default_weight
    assert row.opens_at == datetime(2026, 11, 20, 6, 0) and row.closes_at == datetime(2026, 11, 20, 15, 0)
    student = actor_of("a.student")
    attempt = start(student, row.id)
    assert attempt.deadline == datetime(2026, 11, 20, 7, 20) and attempt.max_score == 10
    done = submit(student, attempt.id, answers_for(attempt))
    assert not done.late and done.attempt.score == 6 and done.attempt.percent == 60  # 1+2+2+1, «полвина» wrong
    # the mark is in the journal as he submits: 60 % is a «3», written by the journal's save (its audit)
    mark = db.session.scalar(select(Mark).where(Mark.task_id == task.id))
    assert (mark.student_id, mark.value, mark.created_by_id) == (qz.student.id, "3", None) and done.journal is None
    # the teacher accepts «полвина» by hand: 10 of 10
    answer = db.session.scalar(select(QuizAnswer).where(QuizAnswer.attempt_id == attempt.id,
                                                        QuizAnswer.points == 0))
    rescore(actor_of("a.teacher"), row.id, answer.id, True)
    assert db.session.get(QuizAttempt, attempt.id).score == 10
    assert push_marks(actor_of("a.teacher"), row.id) == 1  # the re-scored mark into the journal
    db.session.expire_all()
    mark = db.session.scalar(select(Mark).where(Mark.task_id == task.id))
    assert (mark.student_id, mark.value, mark.updated_by_id) == (qz.student.id, "5", qz.teacher.user_id)
    assert push_marks(actor_of("a.teacher"), row.id) == 0  # nothing changed: nothing written
    results = quizzes.results(db.session.get(quizzes.QuizAssignment, row.id))
    mine = next(r for r in results if r.student.id == qz.student.id)
    assert (mine.mark, mine.journal) == ("5", "5")
    assert {r.student.id for r in results} == {qz.student.id, qz.classmate.id}


def test_thresholds_make_the_mark(qz, frozen_now):
    row = give(qz, build(qz))
    assert [quizzes.mark_for(row, p) for p in (100, 85, 84, 65, 64, 45, 44, 0)] == \
        ["5", "5", "4", "4", "3", "3", "2", "2"]


def test_short_answer_ignores_case_spaces_and_yo_and_takes_several(qz):
    assert quizzes.normalized("  Ёлка   зелёная ") == "елка зеленая"
    with clock.frozen(NOW, "Europe/Moscow"):
        row = give(qz, build(qz), lesson=False)
        attempt = start(actor_of("a.student"), row.id)
        done = submit(actor_of("a.student"), attempt.id, answers_for(attempt, text_answer="Г.  москва"))
    assert done.attempt.score == 6


def test_nothing_of_the_answers_reaches_the_students_page_before_he_submits(qz, frozen_now, browser):
    quiz = build(qz, show_answers=True)
    row = give(qz, quiz, lesson=False)
    b = browser()
    b.login("a.student")
    assert "/my-tests/" in b.get("/diary/", follow_redirects=True).get_data(as_text=True)  # the diary leads there
    page = b.get(f"/my-tests/{row.id}/")
    assert page.status_code == 200 and "Дроби" in page.get_data(as_text=True)
    started = b.post(f"/my-tests/{row.id}/start")
    assert started.status_code in (302, 303)
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.student_id == qz.student.id))
    html = b.get(f"/my-tests/attempt/{attempt.id}/").get_data(as_text=True)
    assert "Сколько будет 2+2?" in html and "Три четверти от 5?" in html
    for secret in ("3,75", "3.75", "0,01", "0.01", "Москва", "г. Москва", "половина", "correct", "tolerance"):
        assert secret not in html, secret
    # an option is its id and its text, nothing more: no data attribute but the countdown's and the confirmation's
    begin = html.index('<p class="quiz-timer"')
    form = html[begin:html.index("</form>", begin)]
    assert not re.search(r"data-(?!confirm|deadline)", form)
    assert sorted(re.findall(r'name="q-\d+" id="o-(\d+)" value="(\d+)"', form)) == sorted(
        (str(o.id), str(o.id)) for o in db.session.scalars(select(quizzes.QuizOption)))
    # the submit shows the score and, as the teacher allows, the right answers
    data = {f"q-{k}": v for k, v in answers_for(attempt).items()}
    resp = b.post(f"/my-tests/attempt/{attempt.id}/", data=data)
    assert resp.status_code in (302, 303)
    result = b.get(f"/my-tests/attempt/{attempt.id}/").get_data(as_text=True)
    assert "6 из 10" in result and "откроются" in result  # a second attempt is left: nothing of the answers yet
    for secret in ("3,75", "половина", "неверно", "верно:"):
        assert secret not in result.lower(), secret
    b.post(f"/my-tests/{row.id}/start")
    second = db.session.scalar(select(QuizAttempt).where(QuizAttempt.student_id == qz.student.id,
                                                         QuizAttempt.number == 2))
    b.post(f"/my-tests/attempt/{second.id}/", data={f"q-{k}": v for k, v in answers_for(second).items()})
    result = b.get(f"/my-tests/attempt/{attempt.id}/").get_data(as_text=True)
    assert "6 из 10" in result and "половина" in result and "неверно" in result


def test_the_right_answers_stay_hidden_after_submitting_unless_the_teacher_allows(qz, frozen_now, browser):
    row = give(qz, build(qz, show_answers=False), lesson=False)
    attempt = start(actor_of("a.student"), row.id)
    submit(actor_of("a.student"), attempt.id, answers_for(attempt))
    b = browser()
    b.login("a.student")
    result = b.get(f"/my-tests/attempt/{attempt.id}/").get_data(as_text=True)
    assert "6 из 10" in result and "не открыл верные ответы" in result
    for secret in ("3,75", "Москва", "половина", "неверно"):
        assert secret not in result, secret


def test_the_time_limit_is_kept_by_the_server(qz, frozen_now):
    row = give(qz, build(qz, time_limit="10"), lesson=False)
    student = actor_of("a.student")
    attempt = start(student, row.id)
    clock.advance(minutes=10, seconds=30)  # within the grace: counted
    assert submit(student, attempt.id, answers_for(attempt)).attempt.score == 6
    second = start(student, row.id)
    clock.advance(minutes=12)  # past the deadline and the grace: nothing counted
    done = submit(student, second.id, answers_for(second))
    assert done.late and done.attempt.score == 0 and done.attempt.state == "done"
    assert db.session.scalar(select(func.count(QuizAnswer.id)).where(QuizAnswer.attempt_id == second.id)) == 0


def test_the_windows_end_closes_the_attempt(qz):
    with clock.frozen(datetime(2026, 11, 20, 17, 55), "Europe/Moscow"):
        row = give(qz, build(qz, time_limit="20"), lesson=False)
        attempt = start(actor_of("a.student"), row.id)
        assert attempt.deadline == datetime(2026, 11, 20, 15, 0)  # 18:00 local, not 18:15
        clock.advance(minutes=7)
        assert submit(actor_of("a.student"), attempt.id, answers_for(attempt)).late
        with pytest.raises(DomainError, match="закончилось"):
            start(actor_of("a.student"), row.id)


def test_attempts_are_limited(qz, frozen_now):
    row = give(qz, build(qz, attempts="1"), lesson=False)
    student = actor_of("a.student")
    attempt = start(student, row.id)
    assert start(student, row.id).id == attempt.id  # the attempt going on is continued, not a new one
    submit(student, attempt.id, answers_for(attempt, right=False))
    with pytest.raises(DomainError, match="Все попытки использованы"):
        start(student, row.id)


def test_outside_the_window_refused(qz, browser):
    """Before its window and after it (untried) the test is not the student's: not found, nothing started."""
    with clock.frozen(datetime(2026, 11, 20, 8, 0), "Europe/Moscow"):
        row = give(qz, build(qz), lesson=False)
        with pytest.raises(PermissionDenied):
            start(actor_of("a.student"), row.id)
        b = browser()
        b.login("a.student")
        assert b.get(f"/my-tests/{row.id}/").status_code == 404
        assert "Дроби" not in b.get("/my-tests/").get_data(as_text=True)
        clock.advance(hours=1, minutes=1)  # 09:01: open
        assert b.get(f"/my-tests/{row.id}/").status_code == 200
        clock.advance(hours=9)  # 18:01: closed
        assert b.post(f"/my-tests/{row.id}/start").status_code == 404
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 0


def test_student_of_another_class_and_a_parent_cannot_take_it(qz, frozen_now, browser):
    row = give(qz, build(qz), lesson=False)
    with pytest.raises(PermissionDenied):
        start(actor_of("a.other_student"), row.id)
    b = browser()
    b.login("a.other_student")
    assert b.get(f"/my-tests/{row.id}/").status_code == 404
    assert b.post(f"/my-tests/{row.id}/start").status_code in (403, 404)
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 0
    # the parent sees his child's tests and results, and cannot take one
    attempt = start(actor_of("a.student"), row.id)
    submit(actor_of("a.student"), attempt.id, answers_for(attempt))
    p = browser()
    p.login("a.parent")
    listing = p.get("/my-tests/").get_data(as_text=True)
    assert "Дроби" in listing and "6 из 10" in listing
    assert p.post(f"/my-tests/{row.id}/start").status_code in (403, 404)
    with pytest.raises(PermissionDenied):
        start(actor_of("a.parent"), row.id)
    # another organization's teacher, student: not found
    o = browser()
    o.login("b.teacher")
    assert o.get(f"/quizzes/results/{row.id}/").status_code == 404
    assert o.get(f"/quizzes/{row.quiz_id}/").status_code == 404
    s = browser()
    s.login("b.student")
    assert s.get(f"/my-tests/{row.id}/").status_code == 404
    assert s.get(f"/my-tests/attempt/{attempt.id}/").status_code == 404


def test_a_double_submit_counts_once(qz, frozen_now, browser):
    row = give(qz, build(qz), lesson=False)
    b = browser()
    b.login("a.student")
    b.post(f"/my-tests/{row.id}/start")
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.student_id == qz.student.id))
    right = {f"q-{k}": v for k, v in answers_for(attempt).items()}
    wrong = {f"q-{k}": v for k, v in answers_for(attempt, right=False).items()}
    assert b.post(f"/my-tests/attempt/{attempt.id}/", data=right).status_code in (302, 303)
    again = b.post(f"/my-tests/attempt/{attempt.id}/", data=wrong, follow_redirects=True)
    assert "уже отправлены" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).score == 6
    assert db.session.scalar(select(func.count(QuizAnswer.id)).where(QuizAnswer.attempt_id == attempt.id)) == 5


def test_a_closed_period_refuses_the_mark_and_keeps_the_score(qz, frozen_now, browser):
    row = give(qz, build(qz))
    in_unit(periods.close_period)(actor_of("a.admin"), qz.period.id, confirm=qz.period.name)
    attempt = start(actor_of("a.student"), row.id)
    done = submit(actor_of("a.student"), attempt.id, answers_for(attempt))
    assert done.attempt.score == 6 and "закрыт" in done.journal  # the journal refused the mark, the score is kept
    with pytest.raises(DomainError) as refused:
        push_marks(actor_of("a.teacher"), row.id)
    assert "закрыт" in str(refused.value)
    assert db.session.scalar(select(func.count(Mark.id)).where(Mark.task_id == row.task_id)) == 0
    assert db.session.get(QuizAttempt, attempt.id).score == 6
    b = browser()
    b.login("a.teacher")
    page = b.post(f"/quizzes/results/{row.id}/push", follow_redirects=True).get_data(as_text=True)
    assert "закрыт" in page and "6 из 10" in page


def test_per_question_figures(qz, frozen_now):
    row = give(qz, build(qz), lesson=False)
    for login, right in (("a.student", True), ("a.classmate", False)):
        if login == "a.classmate":
            account(qz.classmate, "a.classmate")
        attempt = start(actor_of(login), row.id)
        submit(actor_of(login), attempt.id, answers_for(attempt, right=right))
    stats = {s.question.text: (s.answered, s.right, s.share) for s in quizzes.question_stats(row)}
    assert stats["Сколько будет 2+2?"] == (2, 1, 50)
    assert stats["Как называется дробь 1/2?"] == (2, 0, 0)
    assert stats["Столица России?"] == (2, 1, 50)


def test_the_teachers_pages_and_their_query_counts(qz, frozen_now, browser):
    quiz = build(qz)
    row = give(qz, quiz)
    attempt = start(actor_of("a.student"), row.id)
    submit(actor_of("a.student"), attempt.id, answers_for(attempt))
    b = browser()
    b.login("a.teacher")
    assert "Дроби" in b.get("/quizzes/").get_data(as_text=True)
    page = b.get(f"/quizzes/{quiz.id}/").get_data(as_text=True)
    assert "Три четверти от 5?" in page and "3,75" in page
    with count_queries() as queries:
        results = b.get(f"/quizzes/results/{row.id}/")
    html = results.get_data(as_text=True)
    assert results.status_code == 200 and "Учеников" in html and "6 из 10" in html and "Три четверти от 5?" in html
    with count_queries() as quiz_page:
        assert b.get(f"/quizzes/{quiz.id}/").status_code == 200
    # three more students take it, and a second class is given it: the pages read as many statements as before
    for n in range(3):
        account(make_student(qz.org, qz.klass, ("Новиков", "Петров", "Сидоров")[n], "Иван"), f"a.new{n}")
        db.session.commit()
        tried = start(actor_of(f"a.new{n}"), row.id)
        submit(actor_of(f"a.new{n}"), tried.id, answers_for(tried, right=bool(n % 2)))
    klass = make_class(qz.org, qz.year, "5Б", 5)
    other = jr_assignment(qz.org, qz.year, klass, qz.teacher, qz.math)
    jr_lessons(other, qz.period, [date(2026, 11, 17)])
    give(qz, quiz, lesson=False, assignment=other)
    with count_queries() as more:
        assert "Сидоров" in b.get(f"/quizzes/results/{row.id}/").get_data(as_text=True)
    with count_queries() as quiz_page_more:
        assert "5Б" in b.get(f"/quizzes/{quiz.id}/").get_data(as_text=True)
    assert len(more) == len(queries) < 40, (len(queries), len(more))
    assert len(quiz_page_more) == len(quiz_page) < 40, (len(quiz_page), len(quiz_page_more))
    detail = b.get(f"/quizzes/results/{row.id}/attempt/{attempt.id}/").get_data(as_text=True)
    assert "полвина" in detail
    # another teacher of the school: not his test
    make_staff(qz.org, "Другов", "Денис", ["teacher"], "a.other_teacher")
    o = browser()
    o.login("a.other_teacher")
    assert o.get(f"/quizzes/{quiz.id}/").status_code == 404
    assert o.get(f"/quizzes/results/{row.id}/").status_code == 404


def test_bad_input_is_refused_in_russian(qz, frozen_now, browser):
    teacher = actor_of("a.teacher")
    Q = quizzes.QuestionInput
    with pytest.raises(DomainError, match="Предмет"):
        create_quiz(teacher, quizzes.QuizInput(title="X", subject_id="99999", grade="5"))
    with pytest.raises(DomainError, match="Параллель"):
        create_quiz(teacher, quizzes.QuizInput(title="X", subject_id=str(qz.math.id), grade="５"))
    quiz = build(qz)
    with pytest.raises(DomainError, match="ровно один"):
        add_question(teacher, quiz.id, Q(kind="single", text="?", options=[("a", True), ("b", True)]))
    with pytest.raises(DomainError, match="число"):
        add_question(teacher, quiz.id, Q(kind="number", text="?", number="три"))
    with pytest.raises(DomainError, match="Тип вопроса"):
        add_question(teacher, quiz.id, Q(kind="essay", text="?"))
    with pytest.raises(DomainError, match="не длиннее"):
        add_question(teacher, quiz.id, Q(kind="text", text="?" * 5000, accepted="a"))
    with pytest.raises(DomainError, match="дату"):
        give(qz, quiz, opens=("31.02.2026", "09:00"))
    with pytest.raises(DomainError, match="позже"):
        give(qz, quiz, closes=("19.11.2026", "09:00"))
    with pytest.raises(DomainError, match="Класс"):
        give(qz, quiz, assignment=qz.m6)  # another teacher's class
    row = give(qz, quiz, lesson=False)
    student = actor_of("a.student")
    attempt = start(student, row.id)
    for garbage in ({"999999": ["1"]}, {"abc": ["1"]}, {str(k): ["999999"] for k in range(1)}):
        with pytest.raises(DomainError):
            submit(student, attempt.id, garbage)
    layout = quizzes.attempt_view(attempt)
    number_q = next(q for q in layout if q.kind == "number")
    with pytest.raises(DomainError, match="не число"):
        submit(student, attempt.id, {str(number_q.id): ["три с половиной"]})
    assert db.session.get(QuizAttempt, attempt.id).state == "open"
    # through the page: a huge payload and garbage are a Russian message, nothing counted
    b = browser()
    b.login("a.student")
    huge = b.post(f"/my-tests/attempt/{attempt.id}/", data={f"q-{number_q.id}": "9" * 100_000},
                  follow_redirects=True)
    assert huge.status_code in (200, 400, 413) and "Traceback" not in huge.get_data(as_text=True)
    bad = b.post(f"/my-tests/attempt/{attempt.id}/", data={"q-abc": "1", "junk": "x"}, follow_redirects=True)
    assert bad.status_code in (200, 400) and "не приняты" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).state == "open"
    # once tried, the questions stay as they are
    with pytest.raises(DomainError, match="менять нельзя"):
        add_question(teacher, quiz.id, Q(kind="text", text="Ещё?", accepted="да"))


@pytest.mark.real_commits
def test_two_submits_at_once_count_once_and_two_starts_make_one_attempt(app, qz, frozen_now):
    """A double click or two tabs: the second submit waits for the first (the attempt's row lock; SQLite: the write
    lock), then finds it finished and is refused; two starts at once make one attempt."""
    row = give(qz, build(qz), lesson=False)
    row_id = row.id

    def starting():
        return quizzes.start(actor_of("a.student"), row_id).id

    first, (second,), waited, _ = run_held_then(app, starting, starting)
    assert first.error is None and second.error is None and first.result == second.result
    assert waited, "the second start did not wait for the first"
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 1
    attempt = db.session.get(QuizAttempt, first.result)
    right, wrong = answers_for(attempt), answers_for(attempt, right=False)

    def submitting(answers):
        return lambda: quizzes.submit(actor_of("a.student"), attempt.id, answers).attempt.score

    first, (second,), waited, _ = run_held_then(app, submitting(right), submitting(wrong))
    assert first.error is None and first.result == 6
    assert isinstance(second.error, DomainError) and "уже отправлены" in str(second.error)
    assert waited, "the second submit did not wait for the first"
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).score == 6
    assert db.session.scalar(select(func.count(QuizAnswer.id))) == 5


def test_the_teachers_forms_refuse_bad_input_in_russian_and_keep_what_was_typed(qz, frozen_now, browser):
    b = browser()
    b.login("a.teacher")
    resp = b.post("/quizzes/create", data={"title": "Мой тест", "subject_id": str(qz.math.id), "grade": "1７",
                                           "max_attempts": "1"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Параллель" in html and 'value="Мой тест"' in html
    assert db.session.scalar(select(func.count(quizzes.Quiz.id))) == 0
    quiz = build(qz)
    resp = b.post(f"/quizzes/{quiz.id}/questions", data={"kind": "single", "text": "Вопрос без верного", "points": "1",
                                                         "option-1": "да", "option-2": "нет"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "ровно один верный" in html and "Вопрос без верного" in html
    resp = b.post(f"/quizzes/{quiz.id}/assign", data={"assignment_id": str(qz.m5.id), "opens_date": "20.11.2026",
                                                      "opens_time": "25:00", "closes_date": "20.11.2026",
                                                      "closes_time": "18:00", "threshold5": "85", "threshold4": "65",
                                                      "threshold3": "45"})
    assert resp.status_code == 200 and "чч:мм" in resp.get_data(as_text=True)
    assert b.post(f"/quizzes/{quiz.id}/questions/abc/delete").status_code == 404
    assert b.post("/quizzes/999999999999/questions", data={"kind": "text"}).status_code == 404
    assert len(quizzes.questions_of([quiz.id])[quiz.id]) == 5 and not quizzes.assignments_of_quiz(quiz.id)
