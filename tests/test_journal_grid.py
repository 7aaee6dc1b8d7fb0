"""The journal grid (issue 4): who opens which journal, what the grid shows, saving it through
services/journal.save_entries, and the query budget. Through the Flask test client."""
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from admin_views.journal import grid_cells
from models import AuditLog, Lesson, Mark, PeriodMark, db
from services.journal import grid as journal_grid
from services.context import Actor
from tests.factories import (DAYS, journal, jr_assignment, jr_attendance, jr_lessons, jr_mark, jr_period_mark,
                             jr_subject, jr_task, make_class, make_student, mv_withdraw)
from tests.helpers import grid_url, post_payload
from tests.conftest import TEST_TODAY
from tests.querycount import count_queries
from tests.factories import jr_task_type
from tests.factories import pl_plan
from tests.factories import make_staff
from admin_views.journal.grid import _columns
from services.journal.period_marks import set_period_mark
from tests.factories import actor_of

def mark_inputs(html):
    return re.findall(r'<input class="jc m"[^>]*>', html)


def test_teacher_sees_only_his_journals(world, browser):
    subject, mine, _ = journal(world)
    _, foreign, _ = journal(world, teacher=world.a.deputy, name="Физика")
    b = browser()
    b.login("a.teacher")
    index = b.get("/journal/").get_data(as_text=True)
    assert f"/journal/{mine.id}/" in index and f"/journal/{foreign.id}/" not in index
    assert b.get(grid_url(mine)).status_code == 200
    assert b.get(grid_url(foreign)).status_code == 404
    assert b.post(f"/journal/{foreign.id}/save", data={"payload": "{}"}).status_code == 404


def test_another_organization_journal_is_unreachable(world, browser):
    b_org = world.b
    subject = jr_subject(b_org.org, "Математика")
    foreign = jr_assignment(b_org.org, b_org.year, b_org.klass, b_org.teacher, subject)
    db.session.commit()
    for login in ("a.teacher", "a.deputy", "a.admin", "a.director"):
        b = browser()
        b.login(login)
        assert b.get(grid_url(foreign)).status_code == 404, login


def test_grid_shows_students_lessons_tasks_marks_and_figures(world, browser):
    a = world.a
    subject, assignment, lessons = journal(world)
    answer = jr_task(lessons[0], "Ответ на уроке")
    test = jr_task(lessons[1], "Контрольная работа", topic="Дроби")
    jr_mark(answer, a.student, "5", comment="Молодец")
    jr_mark(test, a.student, "3")
    jr_attendance(lessons[2], a.classmate, "б")
    db.session.commit()
    b = browser()
    b.login("a.teacher")
    html = b.get(grid_url(assignment)).get_data(as_text=True)
    assert "Учеников П." in html and "Соседов С." in html and "Чужов" not in html
    assert "09.11" in html and "11.11" in html and "13.11" in html
    assert "Контрольная работа, вес 3, обязательное: Дроби" in html
    assert 'value="5"' in html and 'data-c="Молодец"' in html and 'value="3"' in html and 'value="б"' in html
    # (5·1 + 3·3) / 4 = 3.50 → suggested 4 at the default threshold .50
    row = html[html.index(f'data-student="{a.student.id}"'):]
    row = row[:row.index("</tr>")]
    assert ">3,50<" in row and 'data-stat="suggested">4<' in row and 'data-stat="count">2<' in row
    classmate = html[html.index(f'data-student="{a.classmate.id}"'):]
    assert 'data-stat="missed">1<' in classmate[:classmate.index("</tr>")]
    # a lesson without tasks still offers a column to type marks into
    assert f'data-task="L{lessons[2].id}"' in html


def test_keyboard_navigation_attributes_and_script(world, browser):
    subject, assignment, lessons = journal(world)
    jr_task(lessons[0])
    db.session.commit()
    b = browser()
    b.login("a.teacher")
    html = b.get(grid_url(assignment)).get_data(as_text=True)
    assert re.search(r'<tr data-row="0" data-student="\d+"', html)
    cols = [int(c) for c in re.findall(r'class="jc [amp]+" data-col="(\d+)"', html)]
    assert cols and len(set(cols)) == len(cols) // 2  # two students, the same columns in each row
    assert "/static/journal.js" in html and 'id="journal-config"' in html
    config = json.loads(re.search(r'id="journal-config">(.*?)</script>', html).group(1))
    assert config["markValues"] == ["5", "4", "3", "2", "1"]
    assert [c["code"] for c in config["codes"]] == ["н", "б", "у", "оп"]
    assert b.get("/static/journal.js").status_code == 200


def test_save_then_parent_diary_shows_the_mark_at_once(world, browser):
    a = world.a
    subject, assignment, lessons = journal(world)
    lesson = lessons[0]
    b = browser()
    b.login("a.teacher")
    payload = {
        "lessons": [{"lesson_id": lesson.id, "version": lesson.version, "topic": "Сложение дробей",
                     "homework": "№ 12, 14", "homework_due_lesson_id": lessons[1].id}],
        "tasks": [{"task_id": None, "key": "n1", "lesson_id": lesson.id,
                   "type_id": _type_id(a, "Самостоятельная работа"), "weight": "2", "is_mandatory": False,
                   "topic": "", "delete": False}],
        "marks": [{"task_key": "n1", "student_id": a.student.id, "value": "4", "comment": "", "version": None}],
        "attendance": [{"lesson_id": lesson.id, "student_id": a.classmate.id, "code": "н", "version": None}],
    }
    resp = post_payload(b, assignment, a.period, payload)
    assert resp.status_code == 200 and resp.get_json()["ok"], resp.get_data(as_text=True)
    assert db.session.scalar(select(Mark.value).where(Mark.student_id == a.student.id)) == "4"

    parent = browser()
    parent.login("a.parent")
    week = parent.get(f"/diary/{a.student.id}/?week={lesson.date.isoformat()}").get_data(as_text=True)
    assert "Математика" in week and "Сложение дробей" in week and "№ 12, 14" in week
    assert re.search(r'class="dl-mark mark-4" title="Самостоятельная работа, вес 2">4<', week)
    assert "к 11.11" in week  # homework due on the next lesson


def _type_id(ns, name):
    return jr_task_type(ns.org.id, name).id


def test_plain_form_post_redirects_with_a_message(world, browser):
    a = world.a
    subject, assignment, lessons = journal(world)
    task = jr_task(lessons[0])
    db.session.commit()
    b = browser()
    b.login("a.teacher")
    payload = {"marks": [{"task_id": task.id, "student_id": a.student.id, "value": "5", "version": None}]}
    resp = post_payload(b, assignment, a.period, payload, xhr=False)
    assert resp.status_code == 302 and f"/journal/{assignment.id}/" in resp.headers["Location"]
    assert "Журнал сохранён" in b.get(resp.headers["Location"]).get_data(as_text=True)


def test_concurrent_edit_is_refused_with_a_russian_message_and_nothing_saved(world, browser):
    a = world.a
    subject, assignment, lessons = journal(world)
    task = jr_task(lessons[0])
    mark = jr_mark(task, a.student, "4")
    db.session.commit()
    b = browser()
    b.login("a.teacher")
    html = b.get(grid_url(assignment)).get_data(as_text=True)
    seen_version = int(re.search(r'data-v="(\d+)" value="4"', html).group(1))
    # Someone else changes the mark after the page was loaded.
    other = browser()
    other.login("a.teacher")
    resp = post_payload(other, assignment, a.period, {"marks": [
        {"task_id": task.id, "student_id": a.student.id, "value": "3", "version": seen_version}]})
    assert resp.get_json()["ok"]
    resp = post_payload(b, assignment, a.period, {
        "marks": [{"task_id": task.id, "student_id": a.student.id, "value": "5", "version": seen_version},
                  {"task_id": task.id, "student_id": a.classmate.id, "value": "5", "version": None}],
        "attendance": [{"lesson_id": lessons[1].id, "student_id": a.student.id, "code": "н", "version": None}]})
    assert resp.status_code == 409
    answer = resp.get_json()
    assert answer["conflict"] and not answer["ok"]
    assert "Ничего не сохранено" in answer["message"] and "обновите страницу" in answer["message"].lower()
    db.session.expire_all()
    assert db.session.get(Mark, mark.id).value == "3"
    assert db.session.scalar(select(func.count(Mark.id))) == 1


def test_class_teacher_reads_but_cannot_write_other_subjects(world, browser):
    a = world.a
    subject, assignment, lessons = journal(world)
    task = jr_task(lessons[0])
    db.session.commit()
    b = browser()
    b.login("a.class_teacher")
    html = b.get(grid_url(assignment)).get_data(as_text=True)
    assert "Учеников П." in html and not mark_inputs(html)
    assert "журнал открыт для просмотра" in html.lower()
    resp = post_payload(b, assignment, a.period, {"marks": [
        {"task_id": task.id, "student_id": a.student.id, "value": "5", "version": None}]})
    assert resp.status_code == 403
    assert db.session.scalar(select(func.count(Mark.id))) == 0


def test_class_teacher_summary_of_his_class(world, browser):
    a = world.a
    subject, assignment, lessons = journal(world)
    t1, t2 = jr_task(lessons[0]), jr_task(lessons[1], "Контрольная работа")
    jr_mark(t1, a.student, "5")
    jr_mark(t2, a.student, "4")
    jr_period_mark(a.classmate, subject, a.period, "3")
    db.session.commit()
    b = browser()
    b.login("a.class_teacher")
    assert b.get("/class-journal/").status_code == 302  # one class: straight to it
    html = b.get(f"/class-journal/{a.klass.id}/").get_data(as_text=True)
    assert "5А" in html and "Учеников П." in html and "Соседов С." in html
    assert f"/journal/{assignment.id}/" in html and "Математика" in html
    assert "4,25" in html  # (5·1 + 4·3) / 4
    assert '<span class="pm">3</span>' in html
    assert b.get(f"/class-journal/{a.other_class.id}/").status_code == 404
    teacher = browser()
    teacher.login("a.teacher")
    assert teacher.get(f"/class-journal/{a.klass.id}/").status_code == 403


def test_first_grade_has_attendance_and_topics_but_no_mark_cells(world, browser):
    a = world.a
    first = make_class(a.org, a.year, "1В", 1)
    make_student(a.org, first, "Малышев", "Миша", birth=date(2019, 2, 2))
    subject, assignment, lessons = journal(world, klass=first, name="Обучение грамоте")
    b = browser()
    b.login("a.teacher")
    html = b.get(grid_url(assignment)).get_data(as_text=True)
    assert "Малышев М." in html
    assert not mark_inputs(html) and "jt-head" not in html and "+ задание" not in html
    assert re.search(r'<input class="jc a"', html)
    assert 'data-f="topic"' in html
    assert "отметки не ставятся" in html


def test_withdrawn_student_is_greyed_and_read_only_after_he_left(world, browser):
    a = world.a
    subject, assignment, lessons = journal(world)
    jr_task(lessons[0])
    db.session.commit()
    mv_withdraw(a.classmate, date(2026, 11, 10))
    b = browser()
    b.login("a.teacher")
    html = b.get(grid_url(assignment)).get_data(as_text=True)
    row = html[html.index(f'data-student="{a.classmate.id}"'):]
    row = row[:row.index("</tr>")]
    assert 'class="withdrawn' in html[html.index(f'data-student="{a.classmate.id}"') - 200:][:400]
    assert "выб." in row
    # 09.11 is within his stay (editable), 11.11 and 13.11 after it (greyed); the 2nd quarter's mark is
    # not his here (he is not in the class on its last day)
    assert re.findall(r'data-col="(\d+)"', row) == ["0", "1"]
    assert row.count("ro out") == 4 and "jc pm" not in row


def test_period_mark_closes_the_students_marks_to_the_teacher(world, browser):
    a = world.a
    subject, assignment, lessons = journal(world)
    jr_task(lessons[0])
    jr_period_mark(a.student, subject, a.period, "5")
    db.session.commit()
    b = browser()
    b.login("a.teacher")
    html = b.get(grid_url(assignment)).get_data(as_text=True)
    locked = html[html.index(f'data-student="{a.student.id}"'):]
    locked = locked[:locked.index("</tr>")]
    free = html[html.index(f'data-student="{a.classmate.id}"'):]
    free = free[:free.index("</tr>")]
    assert not mark_inputs(locked) and mark_inputs(free)
    assert '<input class="jc a"' in locked  # attendance is still his to keep


def grid_save(b, assignment, period, **changes):
    """A save as static/journal.js sends it: every list present, the changed entries in them."""
    payload = {name: changes.get(name, []) for name in ("lessons", "tasks", "marks", "attendance", "period_marks")}
    resp = post_payload(b, assignment, period, payload)
    return resp.status_code, resp.get_json()


def test_the_teacher_cannot_delete_his_period_mark_change_the_marks_and_set_it_again(world, browser):
    """Issue 11.3: the period-mark lock holds for the teacher himself; the deputy and the
    administrator correct, audited."""
    a = world.a
    subject, assignment, lessons = journal(world)
    task = jr_task(lessons[0])
    jr_mark(task, a.student, "3")
    db.session.commit()
    teacher = browser()
    teacher.login("a.teacher")

    def period_mark(value, version):
        return [{"student_id": a.student.id, "value": value, "version": version}]

    def mark(value, version):
        return [{"task_id": task.id, "student_id": a.student.id, "value": value, "comment": "", "version": version}]

    assert grid_save(teacher, assignment, a.period, period_marks=period_mark("3", None))[0] == 200
    last_audit = db.session.scalar(select(func.max(AuditLog.id)))
    html = teacher.get(grid_url(assignment)).get_data(as_text=True)
    row = html[html.index(f'data-student="{a.student.id}"'):]
    assert 'class="jc pm"' not in row[:row.index("</tr>")]  # shown, no longer an input
    for attempt in ({"period_marks": period_mark("", 1)},                          # 1. delete it
                    {"marks": mark("5", 1)},                                        # 2. change the marks
                    {"period_marks": period_mark("5", 1)},                          # 3. set it again
                    {"period_marks": period_mark("", 1), "marks": mark("5", 1)}):  # all in one save
        status, answer = grid_save(teacher, assignment, a.period, **attempt)
        assert status == 400 and not answer["ok"], attempt
        assert "Изменения не сохранены" in answer["message"]
        assert "могут только заместитель директора или администратор" in answer["message"] or \
            "отметки периода меняют заместитель директора или администратор" in answer["message"], answer
    assert (db.session.scalar(select(PeriodMark.value)), db.session.scalar(select(Mark.value))) == ("3", "3")
    assert db.session.scalar(select(func.max(AuditLog.id))) == last_audit  # nothing written
    deputy, admin = browser(), browser()
    deputy.login("a.deputy")
    admin.login("a.admin")
    assert grid_save(deputy, assignment, a.period, period_marks=period_mark("4", 1), marks=mark("5", 1))[0] == 200
    assert grid_save(admin, assignment, a.period, period_marks=period_mark("", 2))[0] == 200
    assert db.session.scalar(select(func.count(PeriodMark.id))) == 0
    assert db.session.scalar(select(Mark.value)) == "5"
    changes = db.session.execute(select(AuditLog.entity, AuditLog.action, AuditLog.user_id)
                                 .where(AuditLog.id > last_audit).order_by(AuditLog.id)).all()
    assert sorted(tuple(c) for c in changes) == [("mark", "update", a.deputy.user_id),
                                                 ("period_mark", "delete", a.admin.user_id),
                                                 ("period_mark", "update", a.deputy.user_id)]


def test_closed_period_is_read_only(world, browser):
    a = world.a
    subject, assignment, lessons = journal(world)
    jr_task(lessons[0])
    a.period.is_closed = True
    db.session.commit()
    b = browser()
    b.login("a.teacher")
    html = b.get(grid_url(assignment)).get_data(as_text=True)
    assert "закрыт" in html and "<input class=\"jc" not in html and 'id="journal-form"' not in html


@pytest.mark.parametrize("login", ["a.deputy", "a.director", "a.admin"])
def test_management_reads_every_journal(world, browser, login):
    a = world.a
    subject, assignment, lessons = journal(world)
    task = jr_task(lessons[0])
    jr_mark(task, a.student, "2")
    db.session.commit()
    b = browser()
    b.login(login)
    assert f"/journal/{assignment.id}/" in b.get("/journal/").get_data(as_text=True)
    html = b.get(grid_url(assignment)).get_data(as_text=True)
    assert "Учеников П." in html and not mark_inputs(html) and ">2</td>" in html
    corrector = login in ("a.deputy", "a.admin")
    assert ("Исправить записи журнала" in html) == corrector
    assert (f'data-history="{task.id}:{a.student.id}"' in html) == corrector
    if not corrector:
        resp = post_payload(b, assignment, a.period, {"marks": [
            {"task_id": task.id, "student_id": a.classmate.id, "value": "5", "version": None}]})
        assert resp.status_code == 403
        assert db.session.scalar(select(func.count(Mark.id))) == 1


def test_deputy_corrects_and_opens_the_history_of_a_cell(world, browser):
    a = world.a
    subject, assignment, lessons = journal(world)
    task = jr_task(lessons[0])
    db.session.commit()
    teacher = browser()
    teacher.login("a.teacher")
    assert post_payload(teacher, assignment, a.period, {"marks": [
        {"task_id": task.id, "student_id": a.student.id, "value": "3", "version": None}]}).get_json()["ok"]
    deputy = browser()
    deputy.login("a.deputy")
    html = deputy.get(grid_url(assignment) + "?correct=1").get_data(as_text=True)
    assert "Режим исправления" in html and mark_inputs(html)
    version = db.session.scalar(select(Mark.version).where(Mark.task_id == task.id))
    assert post_payload(deputy, assignment, a.period, {"marks": [
        {"task_id": task.id, "student_id": a.student.id, "value": "4", "version": version}]}).get_json()["ok"]
    page = deputy.get(f"/journal/history/?task_id={task.id}&student_id={a.student.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "поставлена" in text and "изменена" in text and "<b>3</b>" in text and "<b>4</b>" in text
    fragment = deputy.get(f"/journal/history/?fragment=1&task_id={task.id}&student_id={a.student.id}") \
        .get_data(as_text=True)
    assert "<html" not in fragment
    assert fragment.index("Учителев") < fragment.index("Завучева")  # oldest first: the teacher, then the deputy
    assert teacher.get(f"/journal/history/?task_id={task.id}&student_id={a.student.id}").status_code == 403


def test_menu_shows_the_journal_only_to_roles_that_use_it(world, browser):
    for login, journal_seen, diary_seen in (("a.teacher", True, False), ("a.parent", False, True),
                                            ("a.student", False, True), ("a.hr", False, False),
                                            ("a.deputy", True, False)):
        b = browser()
        b.login(login)
        home = b.get("/").get_data(as_text=True)
        assert ('href="/journal/"' in home) == journal_seen, login
        assert ('href="/diary/"' in home) == diary_seen, login
        assert (b.get("/journal/").status_code == 200) == journal_seen, login
        assert (b.get("/diary/").status_code in (200, 302)) == diary_seen, login


def _quarter(world, students, weeks):
    """A class of `students`, three lessons a week for `weeks` weeks, two tasks a lesson, all marked."""
    a = world.a
    klass = make_class(a.org, a.year, f"7-{students}", 7)
    letters = "абвгдежзиклмнопрстуфхцчшэюя"
    pupils = [make_student(a.org, klass, f"Ученик-{letters[n // len(letters)]}{letters[n % len(letters)]}", "Иван")
              for n in range(students)]
    days = [date(2026, 11, 9) + timedelta(days=7 * w + d) for w in range(weeks) for d in (0, 2, 4)]
    subject, assignment, lessons = journal(world, klass=klass, name=f"Алгебра {students}", days=days)
    rows = []
    for n, lesson in enumerate(lessons):
        lesson.topic = f"Тема {n}"
        for kind in ("Ответ на уроке", "Самостоятельная работа"):
            task = jr_task(lesson, kind)
            rows += [dict(org_id=a.org.id, task_id=task.id, student_id=p.id, value=str(5 - (i + n) % 4))
                     for i, p in enumerate(pupils)]
        jr_attendance(lesson, pupils[n % students], "н")
    db.session.execute(Mark.__table__.insert(), rows)
    db.session.commit()
    return assignment


def test_grid_page_costs_at_most_ten_statements_whatever_the_size(world, browser):
    small = _quarter(world, 3, 1)
    big = _quarter(world, 30, 8)  # 30 students × a quarter's lessons × 2 tasks
    for assignment in (small, big):  # the КТП's topics come in the same statements
        assignment.thematic_plan_id = pl_plan(world.a.org, world.a.year, world.a.teacher, assignment.subject, 7,
                                              name=f"КТП {assignment.id}", topics=[("Тема", 40)]).id
    db.session.commit()
    b = browser()
    b.login("a.teacher")
    counts = []
    for url in (grid_url(small), grid_url(big)):  # the test's own statements stay outside the count
        with count_queries() as statements:
            resp = b.get(url)
        assert resp.status_code == 200
        counts.append(len(statements))
    html = resp.get_data(as_text=True)
    shown = db.session.scalar(select(func.count(Lesson.id)).where(
        Lesson.assignment_id == big.id, Lesson.date.between(world.a.period.start_date, world.a.period.end_date)))
    given = db.session.scalar(select(func.count(Lesson.id)).where(
        Lesson.assignment_id == big.id, Lesson.date.between(world.a.period.start_date, TEST_TODAY)))
    # a lesson after today takes no marks yet (issue 15.6): its cells are read-only, «урок ещё не проведён»
    assert shown >= 20 and html.count('<input class="jc m"') == 30 * 2 * given
    assert html.count('<td class="jm ro nf" title="урок ещё не проведён">') == 30 * 2 * (shown - given) > 0
    assert counts[1] <= 10, counts
    assert counts[0] == counts[1]


def test_debts_count_mandatory_tasks_without_a_mark(world):
    a = world.a
    subject, assignment, lessons = journal(world)
    test = jr_task(lessons[0], "Контрольная работа")  # mandatory by default
    jr_task(lessons[2], "Контрольная работа")  # a later lesson: not a debt yet
    jr_mark(test, a.classmate, "4")
    db.session.commit()
    actor = Actor.for_user(a.teacher.user)
    grid = journal_grid.load_grid(actor, assignment.id, a.period.id, today=DAYS[1])
    rows = {r.student_id: r for r in grid.rows}
    assert rows[a.student.id].debts == 1 and rows[a.classmate.id].debts == 0
    assert rows[a.classmate.id].average == Decimal("4.00")


def test_empty_topics_are_offered_from_the_ktp(world, browser):
    a = world.a
    subject, assignment, lessons = journal(world)
    plan = pl_plan(a.org, a.year, a.teacher, subject, 5,
                   topics=[("Натуральные числа", 2), ("Дроби", 1), ("Проценты", 1)])
    assignment.thematic_plan_id = plan.id
    jr_lessons(assignment, a.period, [date(2026, 10, 20)])  # the first lesson, before the period
    jr_lessons(assignment, a.period, [date(2026, 10, 21)], is_cancelled=True)  # not counted
    lessons[1].topic = "Своя тема"
    db.session.commit()
    b = browser()
    b.login("a.teacher")
    html = b.get(grid_url(assignment, a.period)).get_data(as_text=True)
    assert 'placeholder="По КТП: Натуральные числа (2-й урок из 2)"' in html
    assert 'value="Своя тема"' in html
    assert 'data-topic="Проценты"' in html and "Дроби" not in html  # its lesson has a topic of its own
    assert html.count("По КТП:") == 2


def test_a_substitute_writes_only_the_lessons_he_gave(world, browser):
    a = world.a
    substitute = make_staff(a.org, "Заменов", "Захар", ["teacher"], "a.substitute")
    subject, assignment, lessons = journal(world)
    lessons[1].teacher_id = substitute.id
    db.session.commit()
    b = browser()
    b.login("a.substitute")
    html = b.get(grid_url(assignment)).get_data(as_text=True)
    assert "по замене" in html
    assert f'data-lesson="{lessons[1].id}" data-f="topic"' in html
    assert f'data-lesson="{lessons[0].id}" data-f="topic"' not in html
    assert f'data-task="L{lessons[1].id}"' in html and f'data-task="L{lessons[0].id}"' not in html
    ok = post_payload(b, assignment, a.period, {"attendance": [
        {"lesson_id": lessons[1].id, "student_id": a.student.id, "code": "н", "version": None}]})
    assert ok.status_code == 200 and ok.get_json()["ok"]
    refused = post_payload(b, assignment, a.period, {"attendance": [
        {"lesson_id": lessons[0].id, "student_id": a.student.id, "code": "н", "version": None}]})
    assert refused.status_code == 403


def test_a_plain_post_into_a_journal_one_only_reads_is_forbidden(world, browser):
    a = world.a
    subject, assignment, lessons = journal(world)
    task = jr_task(lessons[0])
    db.session.commit()
    b = browser()
    b.login("a.director")
    resp = post_payload(b, assignment, a.period, {"marks": [
        {"task_id": task.id, "student_id": a.student.id, "value": "5", "version": None}]}, xhr=False)
    assert resp.status_code == 403
    assert db.session.scalar(select(func.count(Mark.id))) == 0


def test_cells_built_in_python_keep_their_states_and_escape_comments(world, browser):
    """The presenter (admin_views/journal/grid_cells.py) decides each cell once (issue 7: the page's
    speed); the markup static/journal.js reads is unchanged, and a comment or a value is escaped in
    the hand-built cells."""

    a = world.a
    subject, assignment, lessons = journal(world)
    must = jr_task(lessons[0], "Контрольная работа", mandatory=True)
    answer = jr_task(lessons[1], "Ответ на уроке", mandatory=False)
    evil = '<script>alert("x")</script> & \'q\''
    jr_mark(answer, a.student, "4", comment=evil)
    jr_attendance(lessons[2], a.classmate, "б")
    db.session.commit()
    today = date(2026, 11, 20)  # every lesson (9, 11, 13.11) given: the unmarked mandatory task is a debt
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;q&#39;"

    grid = journal_grid.load_grid(Actor.for_user(a.teacher.user), assignment.id, today=today)
    columns = _columns(grid)
    # 3 lessons: attendance + one task column each (lesson 3 gets the empty «L» column) = 6 columns
    assert len(columns) == 6
    body = dict((row.student_id, str(cells)) for row, cells in grid_cells.body(grid, columns, today))
    mine, other = body[a.student.id], body[a.classmate.id]
    assert mine.count("<td") == other.count("<td") == 6
    # the teacher writes every cell: 6 inputs per row, columns numbered 0..5 in order
    assert re.findall(r'data-col="(\d)"', mine) == ["0", "1", "2", "3", "4", "5"]
    assert f'value="4" data-c="{escaped}" title="{escaped}"' in mine and "<script>" not in mine
    assert mine.count('placeholder="."') == 1 and other.count('placeholder="."') == 1  # the mandatory task
    assert 'value="б"' in other

    deputy = browser()
    deputy.login("a.deputy")
    html = deputy.get(grid_url(assignment)).get_data(as_text=True)
    row = html[html.index(f'data-student="{a.student.id}"'):]
    row = row[:row.index("</tr>")]
    assert '<input class="jc' not in row and "<script>alert" not in html
    assert f'class="jm ro has-comment" title="{escaped}" data-history="{answer.id}:{a.student.id}">4</td>' in row
    assert f'data-history="{must.id}:{a.student.id}">' in row


def _row(html, student):
    row = html[html.index(f'data-student="{student.id}"'):]
    return row[:row.index("</tr>")]


@pytest.mark.parametrize("kind, reason", [
    ("year", "годовая отметка выставлена 20.11 — правка у заместителя директора"),
    ("final", "итоговая отметка выставлена 20.11 — правка у заместителя директора")])
def test_a_year_or_final_mark_closes_the_grid_to_the_teacher(world, browser, kind, reason):
    """Issue 13.1: a year or final mark locks every mark under it (services.journal.period_marks.LOCKS): the grid shows
    the student's task marks and period mark read-only with the reason, and its save refuses them."""

    a = world.a
    subject, assignment, lessons = journal(world)
    task = jr_task(lessons[0])
    jr_mark(task, a.student, "3")
    jr_mark(task, a.classmate, "4")
    db.session.commit()
    set_period_mark(actor_of("a.class_teacher"), a.student.id, subject.id, a.year.id, kind, None, "4")
    teacher = browser()
    teacher.login("a.teacher")
    html = teacher.get(grid_url(assignment)).get_data(as_text=True)
    locked, free = _row(html, a.student), _row(html, a.classmate)
    assert not mark_inputs(locked) and 'class="jc pm"' not in locked
    assert f'class="fa fa-lock jlock" title="{reason}"' in locked and 'class=" locked"' in html
    assert '<input class="jc a"' in locked  # attendance is still his to keep
    assert mark_inputs(free) and 'class="jc pm"' in free and "jlock" not in free

    def mark(student, value, version):
        return [{"task_id": task.id, "student_id": student.id, "value": value, "comment": "", "version": version}]

    for attempt in ({"marks": mark(a.student, "5", 1)},                                             # change
                    {"marks": mark(a.student, "", 1)},                                              # delete
                    {"period_marks": [{"student_id": a.student.id, "value": "4", "version": None}]}):
        status, answer = grid_save(teacher, assignment, a.period, **attempt)
        assert status == 400 and not answer["ok"], attempt
        assert ("годовая или итоговая отметка уже выставлена" in answer["message"] or
                "отметка «4»: отметки под ней меняют только заместитель" in answer["message"]), answer
    assert dict(db.session.execute(select(Mark.student_id, Mark.value)).all()) == {a.student.id: "3",
                                                                                   a.classmate.id: "4"}
    # The classmate's marks are the teacher's; the deputy corrects the locked ones (and sees no lock).
    assert grid_save(teacher, assignment, a.period, marks=mark(a.classmate, "5", 1))[0] == 200
    deputy = browser()
    deputy.login("a.deputy")
    assert "jlock" not in deputy.get(grid_url(assignment) + "?correct=1").get_data(as_text=True)
    assert grid_save(deputy, assignment, a.period, marks=mark(a.student, "5", 1))[0] == 200
    assert dict(db.session.execute(select(Mark.student_id, Mark.value)).all()) == {a.student.id: "5",
                                                                                   a.classmate.id: "5"}


def test_a_set_period_mark_shows_its_reason_too(world, browser):
    a = world.a
    subject, assignment, lessons = journal(world)
    jr_task(lessons[0])
    jr_period_mark(a.student, subject, a.period, "5")
    db.session.commit()
    b = browser()
    b.login("a.teacher")
    locked = _row(b.get(grid_url(assignment)).get_data(as_text=True), a.student)
    assert 'title="отметка за период выставлена 20.11 — правка у заместителя директора"' in locked
