"""The journal explains itself (issue 15.6): a row a set period mark closes says why (the lock's tooltip
with the day it was set and who corrects it), unlike a student's days outside his stay; a lesson not
given yet (after the organization's today) takes no marks and no attendance — refused by the service,
so a direct POST too, changing nothing — while its topic, homework and tasks may be planned ahead;
a period without lessons says so, with the link to form them for those who may.

World A, 2nd quarter 05.11–28.12, today 20.11.2026 (tests/conftest.py TEST_TODAY).
"""
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from models import Attendance, Lesson, Mark, PeriodMark, Task, db
from services.errors import DomainError
from services.journal.grid_save import save_entries
from tests.factories import actor_of, journal, jr_mark, jr_period_mark, jr_task, mv_transfer
from tests.helpers import grid_url, in_unit, login, post_payload

save_entries = in_unit(save_entries)

PAST, TODAY, FUTURE = date(2026, 11, 18), date(2026, 11, 20), date(2026, 11, 25)
NOT_GIVEN = "урок ещё не проведён"


@pytest.fixture
def jw(world):
    a = world.a
    a.subject, a.assignment, (a.past, a.today, a.future) = journal(world, days=[PAST, TODAY, FUTURE])
    a.task_past, a.task_today, a.task_future = jr_task(a.past), jr_task(a.today), jr_task(a.future)
    db.session.commit()
    return a


def errors_of(call):
    with pytest.raises(DomainError) as caught:
        call()
    return " | ".join(caught.value.errors or [caught.value.message])


def counts():
    return (db.session.scalar(select(func.count(Mark.id))), db.session.scalar(select(func.count(Attendance.id))),
            db.session.scalar(select(func.count(Task.id))))


def mark(task, student, value="5"):
    return {"task_id": task.id, "student_id": student.id, "value": value, "version": None}


def attendance(lesson, student, code="н"):
    return {"lesson_id": lesson.id, "student_id": student.id, "code": code, "version": None}


# -- the service ----------------------------------------------------------------------------------------

def test_a_mark_on_a_lesson_not_given_yet_is_refused(jw):
    a, teacher = jw, actor_of("a.teacher")
    refused = errors_of(lambda: save_entries(teacher, a.assignment.id, {"marks": [mark(a.task_future, a.student)]}))
    assert f"25.11.2026, урок 2: {NOT_GIVEN}" in refused
    assert "отметку ставят в день урока или после него" in refused
    assert counts() == (0, 0, 3)
    # today's lesson and an earlier one take marks
    result = save_entries(teacher, a.assignment.id, {"marks": [mark(a.task_today, a.student),
                                                               mark(a.task_past, a.student, "4")]})
    assert result.counts["marks_created"] == 2


def test_attendance_on_a_lesson_not_given_yet_is_refused(jw):
    a, teacher = jw, actor_of("a.teacher")
    refused = errors_of(lambda: save_entries(teacher, a.assignment.id,
                                             {"attendance": [attendance(a.future, a.classmate)]}))
    assert NOT_GIVEN in refused and "посещаемость отмечают в день урока" in refused
    refused = errors_of(lambda: save_entries(teacher, a.assignment.id,
                                             {"lessons": [{"lesson_id": a.future.id, "attendance_taken": True}]}))
    assert NOT_GIVEN in refused
    assert counts() == (0, 0, 3)
    db.session.expire_all()
    assert not db.session.get(Lesson, a.future.id).attendance_taken
    assert save_entries(teacher, a.assignment.id,
                        {"attendance": [attendance(a.today, a.classmate)]}).counts["attendance_created"] == 1


def test_a_payload_with_future_marks_and_attendance_writes_nothing(jw):
    """One save: good entries of given lessons, a future mark, a future absence, a future lesson's topic —
    refused whole, every problem listed, nothing written (the deputy correcting is refused too)."""
    a = jw
    payload = {"lessons": [{"lesson_id": a.future.id, "topic": "Дроби"}],
               "marks": [mark(a.task_past, a.student), mark(a.task_future, a.classmate, "3")],
               "attendance": [attendance(a.past, a.classmate), attendance(a.future, a.student)]}
    for login_name in ("a.teacher", "a.deputy"):
        refused = errors_of(lambda: save_entries(actor_of(login_name), a.assignment.id, payload))
        assert refused.count(NOT_GIVEN) == 2, refused
        assert counts() == (0, 0, 3)
        db.session.expire_all()
        assert db.session.get(Lesson, a.future.id).topic is None


def test_topics_homework_and_tasks_of_a_future_lesson_stay_allowed(jw):
    a, teacher = jw, actor_of("a.teacher")
    result = save_entries(teacher, a.assignment.id, {
        "lessons": [{"lesson_id": a.future.id, "topic": "Дроби", "homework": "§ 12, № 3"},
                    {"lesson_id": a.today.id, "homework": "§ 11", "homework_due_lesson_id": a.future.id}],
        "tasks": [{"task_id": None, "key": "n1", "lesson_id": a.future.id, "topic": "Контрольная"}]})
    assert result.counts["lessons"] == 2 and result.counts["tasks_created"] == 1
    db.session.expire_all()
    assert db.session.get(Lesson, a.future.id).homework == "§ 12, № 3"


def test_a_mark_already_on_a_future_lesson_may_be_deleted(jw):
    """A mark left on a lesson that moved later (or typed before this rule) is not stuck: it may be removed."""
    a = jw
    stale = jr_mark(a.task_future, a.student, "5")
    db.session.commit()
    save_entries(actor_of("a.teacher"), a.assignment.id, {"marks": [
        {"task_id": a.task_future.id, "student_id": a.student.id, "value": "", "version": stale.version}]})
    assert counts()[0] == 0


def test_a_direct_post_of_a_future_mark_is_refused_and_changes_nothing(jw, browser):
    a = jw
    b = login(browser, "a.teacher")
    resp = post_payload(b, a.assignment, a.period, {"marks": [mark(a.task_future, a.student)],
                                                    "attendance": [attendance(a.future, a.classmate)]})
    assert resp.status_code == 400 and not resp.get_json()["ok"]
    assert NOT_GIVEN in resp.get_json()["message"]
    resp = post_payload(b, a.assignment, a.period, {"marks": [mark(a.task_future, a.student)]}, xhr=False)
    assert resp.status_code == 302
    assert counts() == (0, 0, 3)


# -- the grid page --------------------------------------------------------------------------------------

def _row(html, student):
    row = html[html.index(f'data-student="{student.id}"'):]
    return row[:row.index("</tr>")]


def test_future_lessons_cells_are_read_only_with_a_tooltip(jw, browser):
    a = jw
    html = login(browser, "a.teacher").get(grid_url(a.assignment)).get_data(as_text=True)
    row = _row(html, a.student)
    cells = row.split("<td")
    # past and today: attendance and mark inputs; the future lesson: two read-only cells that say why
    assert row.count('<input class="jc a"') == 2 and row.count('<input class="jc m"') == 2
    assert f'<td class="ja ro nf" title="{NOT_GIVEN}">' in row and f'<td class="jm ro nf" title="{NOT_GIVEN}">' in row
    assert sum(1 for c in cells if " nf" in c) == 2
    assert f'data-lesson="{a.future.id}"' in html and " future\" colspan" in html
    # its topic and homework are still editable below the grid; «посещаемость отмечена» waits for the day
    assert f'data-lesson="{a.future.id}" data-f="topic"' in html
    assert f'data-lesson="{a.future.id}" data-f="homework"' in html
    assert f'data-lesson="{a.future.id}" data-f="attendance_taken"' not in html
    assert f'data-lesson="{a.today.id}" data-f="attendance_taken"' in html


def test_a_locked_row_says_why_and_differs_from_days_outside_a_stay(jw, browser):
    """Учеников's period mark was set on 18.11: the lock's tooltip names the day and the corrector, his mark
    cells are `lk`; Чужов came to the class on 19.11: his earlier cells are `out`, not `lk`."""
    a = jw
    pm = jr_period_mark(a.student, a.subject, a.period, "5")
    pm.set_at = datetime(2026, 11, 18, 7, 0)  # UTC: 18.11 in Moscow
    db.session.commit()
    mv_transfer(a.stranger, a.klass, date(2026, 11, 19))
    html = login(browser, "a.teacher").get(grid_url(a.assignment)).get_data(as_text=True)
    locked, newcomer = _row(html, a.student), _row(html, a.stranger)
    reason = "отметка за период выставлена 18.11 — правка у заместителя директора"
    assert f'class="fa fa-lock jlock" title="{reason}"' in locked
    assert f'title="{reason}">5</td>' in locked
    assert locked.count('<td class="jm ro lk"') == 2 and " out" not in locked  # past and today; the future: nf
    assert '<input class="jc m"' not in locked and '<input class="jc a"' in locked
    assert newcomer.count('class="ja ro out" title="не в составе класса 5А в этот день"') == 1  # 18.11
    assert newcomer.count('class="jm ro out" title="не в составе класса 5А в этот день"') == 1
    assert " lk" not in newcomer and "jlock" not in newcomer and '<input class="jc m"' in newcomer
    # the deputy correcting sees no lock and writes the cells
    corrected = _row(login(browser, "a.deputy").get(grid_url(a.assignment) + "?correct=1").get_data(as_text=True),
                     a.student)
    assert "jlock" not in corrected and " lk" not in corrected and '<input class="jc m"' in corrected


@pytest.mark.parametrize("login_name, link", [("a.deputy", True), ("a.admin", True), ("a.teacher", False),
                                              ("a.director", False)])
def test_a_period_without_lessons_says_why_with_the_link_for_those_who_form_them(world, browser, login_name, link):
    a = world.a
    _, assignment, _ = journal(world, days=[])
    resp = login(browser, login_name).get(grid_url(assignment))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Уроки не сформированы" in html and "уроки журнала формируются из расписания" in html
    assert (f'href="/timetable/lessons/?period_id={a.period.id}"' in html) == link
    assert ("Их формирует заместитель директора или администратор" in html) == (not link)


def test_period_marks_set_on_keep_their_own_day_per_kind(jw, browser):
    """A year mark closes the row over a period mark: the tooltip names the year mark and its day."""
    a = jw
    jr_period_mark(a.student, a.subject, a.period, "4").set_at = datetime(2026, 11, 10, 9, 0)
    db.session.add(PeriodMark(org_id=a.org.id, student_id=a.student.id, subject_id=a.subject.id, year_id=a.year.id,
                              kind="year", value="4", set_at=datetime(2026, 11, 19, 21, 30)))  # 20.11 00:30 in Moscow
    db.session.commit()
    locked = _row(login(browser, "a.teacher").get(grid_url(a.assignment)).get_data(as_text=True), a.student)
    assert 'title="годовая отметка выставлена 20.11 — правка у заместителя директора"' in locked
