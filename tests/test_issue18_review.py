"""Issue 18 as its acceptance tests would walk it: the builder posted around its form (columns a role may not read
in a filter, a grouping, a total or a sort; unknown entities and operators; SQL-looking and oversized values) and
its statement timeout really stopping a statement on either database, however small the setting; nothing of an
e-test's answers in any page a student opens before he submits; every number of ОО-1 listed by its drill-down."""
import re
from datetime import datetime

import pytest
from sqlalchemy import func, select, text

from models import Organization, PortfolioEntry, QuizAttempt, Student, User, db
from reports import registry
from reports.oo1 import build_form
from reports.parameters import resolve
from services import clock, database, permissions
from services.demo.school import create_demo
from services.errors import DomainError
from services.learning import quizzes
from services.movement import roster
from services.portfolio import entries
from services.report_builder import definition as definitions, run as runs, saved
from tests.factories import actor_of, make_parent, make_student
from tests.helpers import in_unit
from tests.test_oo1 import movers  # noqa: F401 (the fixture)
from tests.test_portfolio import entry_input, pf  # noqa: F401 (the fixture)
from tests.test_quizzes import add_question, create_quiz, frozen_now, give, qz  # noqa: F401 (fixtures)

URL = "/report-builder"


# -- the builder ----------------------------------------------------------------------------------------------

def _raw(**kw):
    raw = {"entity": "students", "columns": ["full_name"], "filters": [], "group_by": [], "aggregates": [],
           "sort": []}
    raw.update(kw)
    return raw


@pytest.mark.parametrize("raw, message", [
    (_raw(filters=[{"column": "snils", "op": "contains", "value": "1"}]), "СНИЛС.*недоступен"),
    (_raw(filters=[{"column": "snils", "op": "empty"}]), "СНИЛС.*недоступен"),
    (_raw(filters=[{"column": "passport", "op": "filled"}]), "Паспорт.*недоступен"),
    (_raw(filters=[{"column": "ovz", "op": "eq", "value": "yes"}]), "ОВЗ.*недоступен"),
    (_raw(filters=[{"column": "address", "op": "eq", "value": "x"}]), "недоступен"),
    (_raw(group_by=["snils"]), "СНИЛС.*недоступен"),
    (_raw(group_by=["health_group"]), "недоступен"),
    (_raw(aggregates=["min:snils"]), "недоступен"),
    (_raw(sort=[{"column": "snils", "desc": True}]), "нет среди столбцов"),
    (_raw(columns=["full_name", "snils"], sort=[{"column": "snils"}]), "СНИЛС.*недоступен"),
    (_raw(entity="staff", columns=["full_name"]), "недоступна"),
    (_raw(entity="users"), "нет в конструкторе"),
    (_raw(entity=["students"]), "нет в конструкторе"),
    (_raw(filters=[{"column": "full_name", "op": "'; DROP TABLE student; --", "value": "x"}]), "нет операции"),
    (_raw(filters=[{"column": "full_name", "op": "in", "value": list(range(100000))}]), "нет операции"),
    (_raw(filters=[{"column": "full_name", "op": "eq", "value": list(range(100000))}]), "повреждено"),
    (_raw(filters=[{"column": "full_name", "op": "eq", "value": "x" * 201}]), "длиннее"),
    (_raw(filters=[{"column": "full_name", "op": "contains", "value": "a"}] * 21), "Не больше 20"),
    (_raw(filters=[{"column": "student.snils", "op": "eq", "value": "1"}]), "нет у сущности"),
    (_raw(filters=[{"column": "birth_date", "op": "between", "value": "01.01.2010", "value2": "1=1"}]), "дат"),
    (_raw(filters=[{"column": "grade", "op": "eq", "value": "5 OR 1=1"}]), "не число"),
    (_raw(columns=["full_name"] * 31), "Не больше 30"),
    (_raw(sort=[{"column": "full_name"}] * 3), "не больше чем по двум"),
    (_raw(group_by=["class_name", "sex", "status"]), "не больше чем по двум"),
])
def test_a_class_teacher_posting_around_the_form_is_refused(world, raw, message):
    teacher = actor_of("a.class_teacher")
    with pytest.raises(DomainError, match=message):
        definitions.check(teacher, raw)


def test_sql_looking_values_are_only_values(world):
    admin = actor_of("a.admin")
    for value in ("' OR '1'='1", "%", "_", "\\", "'); DELETE FROM student; --"):
        for op in ("contains", "eq"):
            result = runs.run(admin, definitions.check(admin, _raw(
                filters=[{"column": "full_name", "op": op, "value": value}])))
            assert result.total == 0, (op, value)
    assert runs.run(admin, definitions.check(admin, _raw())).total == 3


def test_the_same_posts_through_the_page_are_refused_in_russian_with_no_rows(world, browser):
    b = browser()
    b.login("a.class_teacher")
    for data in ({"entity": "students", "column": ["full_name"], "filter-0-column": "snils",
                  "filter-0-op": "contains", "filter-0-value": "1", "run": "1"},
                 {"entity": "students", "column": ["full_name"], "group1": "snils", "run": "1"},
                 {"entity": "students", "column": ["full_name"], "sort1": "snils", "run": "1"},
                 {"entity": "students", "column": ["full_name", "snils"], "xlsx": "1"},
                 {"entity": "students", "column": ["full_name"], "page": "99999999999999999999", "run": "1"}):
        resp = b.post(f"{URL}/new/", data=data)
        html = resp.get_data(as_text=True)
        assert resp.status_code in (200, 403, 409, 422), (data, resp.status_code)
        assert "Traceback" not in html and world.a.student.snils not in html, data


@pytest.mark.parametrize("seconds", [0.0001, 0, -1])
def test_the_statement_timeout_stops_a_statement_however_small_the_setting(world, seconds):
    """A tiny setting once became `statement_timeout = 0` on PostgreSQL — no limit at all — and a negative one
    an error of the server: the limit is at least a millisecond."""
    if db.engine.dialect.name == "postgresql":
        slow = "SELECT pg_sleep(0.3)"
    else:
        slow = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
                "SELECT count(*) FROM n")
    with pytest.raises(database.StatementTimedOut):
        with database.bounded_statements(seconds):
            db.session.execute(text(slow))
    db.session.rollback()


def test_a_report_stopped_by_the_timeout_says_so_and_the_page_still_answers(world, app, browser, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_BUILDER_TIMEOUT", 0.0001)
    monkeypatch.setattr(database, "PROGRESS_STEPS", 1)
    if db.engine.dialect.name == "postgresql":  # a statement of the report that surely outlasts a millisecond
        real = runs.statements

        def slow(actor, definition):
            query, count, headers, shaped = real(actor, definition)
            return query, select(func.count()).select_from(select(func.pg_sleep(0.3)).subquery()), headers, shaped
        monkeypatch.setattr(runs, "statements", slow)
    b = browser()
    b.login("a.admin")
    resp = b.post(f"{URL}/new/", data={"entity": "students", "column": ["full_name", "parent_phones"], "run": "1"})
    assert resp.status_code in (200, 409, 422) and "дольше" in resp.get_data(as_text=True)
    assert b.get("/").status_code == 200


# -- e-tests: nothing of the answers before the submit -----------------------------------------------------------

SECRETS = ("731,5", "731.5", "Квазимодо", "квазимодо", "0,25", "is_correct", "accepted", "tolerance",
           "number_answer", "ПРАВИЛЬНЫЙ")


def _secret_quiz(a):
    teacher = actor_of("a.teacher")
    quiz = create_quiz(teacher, quizzes.QuizInput(title="Тайный тест", subject_id=str(a.math.id), grade="5",
                                                  time_limit="20", max_attempts="2", show_answers=True))
    Q = quizzes.QuestionInput
    add_question(teacher, quiz.id, Q(kind="number", text="Сколько?", points="2", number="731,5", tolerance="0,25"))
    add_question(teacher, quiz.id, Q(kind="text", text="Звонарь собора?", points="1", accepted="Квазимодо"))
    add_question(teacher, quiz.id, Q(kind="single", text="Выберите", points="1",
                                     options=[("Альфа", True), ("Бета", False)]))
    return quiz


def _student_urls(app, row, attempt, student_id):
    urls = {"/", "/diary/", f"/diary/{student_id}/", f"/diary/{student_id}/materials/", "/my-tests/",
            f"/my-tests/{row.id}/", f"/my-tests/attempt/{attempt.id}/", f"/quizzes/{row.quiz_id}/",
            f"/quizzes/results/{row.id}/", f"/quizzes/results/{row.id}/attempt/{attempt.id}/", "/quizzes/"}
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(("/static", "/logout")):
            urls.add(rule.rule)
    return sorted(urls)


def test_no_page_or_endpoint_a_student_opens_holds_an_answer_before_he_submits(qz, frozen_now, app, browser):  # noqa: F811
    row = give(qz, _secret_quiz(qz), lesson=False)
    b = browser()
    b.login("a.student")
    assert b.post(f"/my-tests/{row.id}/start").status_code in (302, 303)
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.student_id == qz.student.id))
    walked = 0
    for url in _student_urls(app, row, attempt, qz.student.id):
        resp = b.get(url)
        if resp.status_code != 200:
            continue
        walked += 1
        body = resp.get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in body, (url, secret)
        # which option is right is not told by any attribute or class of the option
        assert not re.search(r'(correct|right|is-ok)[^>]*value="\d+"', body), url
    assert walked > 5
    # the attempt page's options: id and text only, the right one indistinguishable from the wrong one
    html = b.get(f"/my-tests/attempt/{attempt.id}/").get_data(as_text=True)
    lines = [line for line in html.splitlines() if 'name="q-' in line and 'type="radio"' in line]
    assert len(lines) == 2 and re.sub(r"\d+", "N", lines[0]) == re.sub(r"\d+", "N", lines[1])
    # a parent is never shown the questions of the open attempt, and his post scores nothing
    p = browser()
    p.login("a.parent")
    assert "Звонарь" not in p.get(f"/my-tests/attempt/{attempt.id}/", follow_redirects=True).get_data(as_text=True)
    assert p.post(f"/my-tests/attempt/{attempt.id}/", data={}).status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).state == "open"


# -- ОО-1: every number is the list of its drill-down ------------------------------------------------------------

def test_every_number_of_oo1_lists_exactly_the_people_it_counts(movers):  # noqa: F811
    for login in ("a.admin", "a.deputy", "a.director", "b.admin"):
        actor = actor_of(login)
        p = resolve(actor, registry.REGISTRY["oo-1"], {"to": "20.10.2026"})
        form = build_form(actor, p)
        own = set(db.session.scalars(select(Student.id).where(Student.org_id == actor.org_id)))
        checked = 0
        for section in form.sections:
            for line, _label, cells, _style in section.rows:
                for graph, cell in enumerate(cells, start=3):
                    if not cell.value:
                        continue
                    if cell.kind == "student":
                        assert set(cell.ids) <= own, (section.code, line, graph)
                    doc = registry.REGISTRY["oo-1"].drill(
                        actor, resolve(actor, registry.REGISTRY["oo-1"], {"to": "20.10.2026"}),
                        f"{section.code}:{line}:{graph}")
                    listed = doc.sheets[0].blocks[0].rows
                    assert len(listed) == cell.value, (login, section.code, line, graph)
                    checked += 1
        assert checked > 10, login


# -- portfolio: who adds, confirms and reads -----------------------------------------------------------------------

def test_portfolio_writes_by_the_wrong_people_are_refused_and_nothing_is_kept(pf):  # noqa: F811
    a = pf
    make_parent(a.org, [a.classmate], "Соседова", "Анна", "a.classmate_parent")
    make_student(a.org, a.other_class, "Чужаков", "Олег", "a.other_student")
    proposal = entries.add(actor_of("a.student"), a.student.id, entry_input("Моё предложение"))
    confirmed = entries.add(actor_of("a.class_teacher"), a.student.id, entry_input("Подтверждённая"))
    db.session.commit()
    before = db.session.scalar(select(func.count(PortfolioEntry.id)))
    refusals = [
        lambda: entries.add(actor_of("a.parent"), a.student.id, entry_input("От родителя")),
        lambda: entries.add(actor_of("a.classmate_parent"), a.student.id, entry_input("Чужой родитель")),
        lambda: entries.add(actor_of("a.student"), a.classmate.id, entry_input("За соседа")),
        lambda: entries.add(actor_of("a.t6"), a.student.id, entry_input("Учитель другого класса")),
        lambda: entries.add(actor_of("b.admin"), a.student.id, entry_input("Чужая школа")),
        lambda: entries.decide(actor_of("a.student"), proposal.id, True),
        lambda: entries.decide(actor_of("a.parent"), proposal.id, True),
        lambda: entries.decide(actor_of("a.ct6"), proposal.id, True),
        lambda: entries.update(actor_of("a.student"), confirmed.id, entry_input("Исправил сам")),
        lambda: entries.delete(actor_of("a.student"), confirmed.id),
        lambda: entries.delete(actor_of("a.parent"), confirmed.id),
    ]
    for n, refusal in enumerate(refusals):
        with pytest.raises(DomainError):
            refusal()
        db.session.rollback()
        assert db.session.scalar(select(func.count(PortfolioEntry.id))) == before, n
    db.session.expire_all()
    assert db.session.get(PortfolioEntry, proposal.id).status == "proposed"
    assert db.session.get(PortfolioEntry, confirmed.id).title == "Подтверждённая"
    # the parent and another class's student never read the proposal
    assert [e.title for e in entries.entries_of(actor_of("a.parent"), a.student.id)] == ["Подтверждённая"]
    assert entries.entry_for(actor_of("a.parent"), proposal.id) is None
    assert entries.entry_for(actor_of("a.other_student"), confirmed.id) is None
    assert entries.entry_for(actor_of("a.classmate_parent"), confirmed.id) is None
    assert entries.entries_of(actor_of("a.other_student"), a.student.id) == []


def test_the_right_answers_wait_until_no_attempt_is_left(qz, frozen_now, browser):  # noqa: F811
    """With a second attempt left, the first one's right answers (and which of his were wrong) would be the
    answers of the second: shown only once the attempts are used up or the window has closed, to the parent too."""

    start, submit = in_unit(quizzes.start), in_unit(quizzes.submit)
    row = give(qz, _secret_quiz(qz), lesson=False)
    student = actor_of("a.student")
    first = start(student, row.id)
    submit(student, first.id, {})
    assert not quizzes.answers_open(first)
    assert all(item.right_text == "" and not item.right_options and item.answer is None
               for item in quizzes.attempt_view(first, reveal=True))
    for login in ("a.student", "a.parent"):
        b = browser()
        b.login(login)
        html = b.get(f"/my-tests/attempt/{first.id}/").get_data(as_text=True)
        assert "откроются" in html, login
        for secret in ("731,5", "Квазимодо", "Альфа", "неверно"):
            assert secret not in html, (login, secret)
    clock.advance(hours=9)  # the window closed at 18:00: no attempt can use them now
    assert quizzes.answers_open(first)
    b = browser()
    b.login("a.parent")
    html = b.get(f"/my-tests/attempt/{first.id}/").get_data(as_text=True)
    assert "731,5" in html and "квазимодо" in html.lower() and "неверно" in html, html[html.find("Результат"):][:1500]



def test_the_printable_portfolio_of_another_child_is_never_reached(pf, browser):  # noqa: F811
    a = pf
    entries.add(actor_of("a.admin"), a.stranger.id, entry_input("Олимпиада шестиклассника"))
    entries.add(actor_of("a.admin"), a.student.id, entry_input("Олимпиада пятиклассника"))
    db.session.commit()
    for login in ("a.parent", "a.student", "a.teacher", "b.admin", "b.parent"):
        b = browser()
        assert b.login(login).status_code == 302
        for fmt in ("", "&format=json", "&format=xlsx"):
            resp = b.get(f"/reports/student-portfolio/?student={a.stranger.id}&class={a.other_class.id}{fmt}")
            body = resp.get_data(as_text=True) if resp.mimetype != "application/octet-stream" else ""
            assert "Олимпиада шестиклассника" not in body and "Чужов" not in body, (login, fmt, resp.status_code)
        resp = b.get(f"/reports/class-portfolio/?class={a.other_class.id}")
        assert "Олимпиада шестиклассника" not in resp.get_data(as_text=True) and "Чужов" not in resp.get_data(
            as_text=True), login
    own = browser()
    own.login("a.parent")
    assert "Олимпиада пятиклассника" in own.get(f"/reports/student-portfolio/?student={a.student.id}") \
        .get_data(as_text=True)


HOSTILE = ("/report-builder/new/?entity=%27%3B--", "/report-builder/new/?entity=students&source=999999",
           "/report-builder/new/?source=-1", "/report-builder/new/?source=abc", "/report-builder/999999/",
           "/report-builder/1/?page=0", "/report-builder/1/?page=99999999999999999999",
           "/report-builder/1/?format=xlsx&page=-5", "/report-builder/1/?format=csv", "/report-builder/1/edit/",
           "/reports/oo-1/?to=31.02.2027", "/reports/oo-1/?to=99.99.9999", "/reports/oo-1/?year=999999",
           "/reports/oo-1/cell/?cell=2.1.1:05:99", "/reports/oo-1/cell/?cell=9.9:05:3&to=20.10.2026",
           "/reports/oo-1/cell/?cell=%3Cscript%3E", "/my-tests/999999/", "/my-tests/attempt/999999/",
           "/quizzes/999999/", "/quizzes/results/999999/", "/portfolio/student/999999/", "/portfolio/entry/1/file/",
           "/materials/999999/", "/materials/courses/999999/")


@pytest.mark.parametrize("login", ["a.admin", "a.class_teacher", "a.teacher", "a.student", "a.parent", "b.admin"])
def test_hostile_addresses_answer_without_a_traceback(world, browser, login):
    saved.create(actor_of("a.admin"), "Общий", True, _raw(columns=["full_name", "class_name"]))
    db.session.commit()
    b = browser()
    assert b.login(login).status_code == 302
    for url in HOSTILE:
        resp = b.get(url)
        assert resp.status_code < 500, (login, url, resp.status_code)
        assert b"Traceback" not in resp.get_data(), (login, url)


@pytest.mark.parametrize("day", ["01.09.2026", "14.09.2026", "15.09.2026", "30.09.2026", "01.10.2026",
                                 "11.10.2026", "12.10.2026", "08.11.2026", "09.11.2026", "20.11.2026"])
def test_oo1_headcount_is_the_movement_books_roster_on_every_day(movers, day):  # noqa: F811
    """Around each move (enrolled 15.09, left 01.10, moved 12.10, enrolled 09.11) the form counts, per grade, the
    students the movement book puts in its classes on the form's date — the roster read another way."""
    on = datetime.strptime(day, "%d.%m.%Y").date()
    a = movers.a
    actor = actor_of("a.admin")
    form = build_form(actor, resolve(actor, registry.REGISTRY["oo-1"], {"to": day}))
    for klass, line in ((a.klass, "05"), (a.other_class, "06")):
        ids = set(db.session.scalars(roster.member_ids(klass.id, on)))
        assert set(form.section("2.1.1").cell(line, 4).ids) == ids, (day, klass.name)
    total = set(form.section("2.1.1").cell("12", 4).ids)
    assert set(form.section("2.2").cell("15", 3).ids) == total  # ages: the same students
    assert set(form.section("2.5").cell("12", 3 + len(form.section("2.5").columns) - 1).ids) == total, day


def test_the_demo_schools_oo1_is_filled_movers_counted_and_every_number_listed(app):
    create_demo()
    db.session.flush()
    org = db.session.scalar(select(Organization).order_by(Organization.id))
    actor = next(actor for actor in (actor_of(u.login) for u in db.session.scalars(select(User).order_by(User.id)))
                 if actor.org_id == org.id and actor.staff_id and permissions.allowed(actor, "report_oo1", "list"))
    p = resolve(actor, registry.REGISTRY["oo-1"], {})
    form = build_form(actor, p)
    assert form.section("2.1.1").cell("12", 4).value > 20  # students
    moved = form.section("2.5")
    assert sum(cell.value for _, _, cells, _ in moved.rows for cell in cells[1:-1]) > 0, "no mover in the demo"
    assert any(cell.value for _, _, cells, _ in form.sections[-1].rows for cell in cells)  # staff
    for section in form.sections:
        for line, _label, cells, _style in section.rows:
            for graph, cell in enumerate(cells, start=3):
                if cell.value:
                    doc = registry.REGISTRY["oo-1"].drill(actor, resolve(actor, registry.REGISTRY["oo-1"], {}),
                                                          f"{section.code}:{line}:{graph}")
                    assert len(doc.sheets[0].blocks[0].rows) == cell.value, (section.code, line, graph)
    db.session.rollback()


def test_the_builders_timeout_is_set_by_the_environment_as_the_other_timeouts(monkeypatch):
    monkeypatch.setenv("REPORT_BUILDER_TIMEOUT", "2.5")
    assert database.settings_from_environment()["REPORT_BUILDER_TIMEOUT"] == 2.5
    monkeypatch.delenv("REPORT_BUILDER_TIMEOUT")
    assert database.settings_from_environment()["REPORT_BUILDER_TIMEOUT"] == runs.DEFAULT_TIMEOUT
