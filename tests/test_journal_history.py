"""The journal and the class history (issue 5): a student who moved mid-period appears in both
classes' journals for his own dates only, greyed (read-only) elsewhere; a mark or attendance on a
date he was not in the lesson's class is refused."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from models import Attendance, Mark, db
from services.errors import DomainError
from services.journal import grid as journal_grid
from services.journal import summary as journal_summary
from services.journal.grid_save import save_entries
from tests.factories import (actor_of, jr_assignment, jr_lessons, jr_subject, jr_task, mv_transfer)
from tests.factories import jr_attendance

DAYS = [date(2026, 11, 9), date(2026, 11, 11), date(2026, 11, 13)]
MOVED_ON = date(2026, 11, 11)  # Соседов goes from 5А to 6Б; his last day in 5А is 10.11


@pytest.fixture
def moved(world):
    a = world.a
    subject = jr_subject(a.org, "Математика")
    five_a = jr_assignment(a.org, a.year, a.klass, a.teacher, subject)
    six_b = jr_assignment(a.org, a.year, a.other_class, a.teacher, subject)
    lessons = {five_a.id: jr_lessons(five_a, a.period, DAYS), six_b.id: jr_lessons(six_b, a.period, DAYS)}
    tasks = {aid: [jr_task(lesson) for lesson in items] for aid, items in lessons.items()}
    db.session.commit()
    mv_transfer(a.classmate, a.other_class, MOVED_ON)
    db.session.commit()
    db.session.expire_all()
    return a, five_a, six_b, lessons, tasks


def row_html(html, student_id):
    found = re.search(rf'<tr data-row="\d+" data-student="{student_id}".*?</tr>', html, re.S)
    assert found, student_id
    return found.group(0)


def cells(row):
    """The row's cells in order: (kind 'a'/'m', editable, greyed)."""
    result = []
    for td in re.findall(r'<td class="(j[am])([^"]*)"[^>]*>(.*?)</td>', row, re.S):
        kind, classes, inner = td
        result.append((kind[1], "<input" in inner, " out" in f" {classes} "))
    return result


def test_a_moved_student_is_in_both_grids_with_his_own_dates_editable(moved):
    a, five_a, six_b, lessons, tasks = moved
    teacher = actor_of("a.teacher")
    old = journal_grid.load_grid(teacher, five_a.id, a.period.id, today=date(2026, 11, 20))
    new = journal_grid.load_grid(teacher, six_b.id, a.period.id, today=date(2026, 11, 20))
    assert a.classmate.id in [r.student_id for r in old.rows]
    assert a.classmate.id in [r.student_id for r in new.rows]
    assert a.student.id not in [r.student_id for r in new.rows]
    assert a.stranger.id not in [r.student_id for r in old.rows]

    mine_old = next(r for r in old.rows if r.student_id == a.classmate.id)
    mine_new = next(r for r in new.rows if r.student_id == a.classmate.id)
    assert [mine_old.covers(d) for d in DAYS] == [True, False, False]
    assert [mine_new.covers(d) for d in DAYS] == [False, True, True]
    for grid, row, expected in ((old, mine_old, [True, False, False]), (new, mine_new, [False, True, True])):
        assert [journal_grid.cell_editable(grid, row, True, lesson) for lesson in grid.lessons] == expected
        assert [journal_grid.cell_editable(grid, row, False, lesson) for lesson in grid.lessons] == expected
    # The others of each class keep the whole period.
    other = next(r for r in old.rows if r.student_id == a.student.id)
    assert all(journal_grid.cell_editable(old, other, True, lesson) for lesson in old.lessons)


def test_the_grid_pages_grey_the_cells_outside_his_dates(moved, browser):
    a, five_a, six_b, lessons, tasks = moved
    b = browser()
    b.login("a.teacher")
    old = b.get(f"/journal/{five_a.id}/?period={a.period.id}").get_data(as_text=True)
    new = b.get(f"/journal/{six_b.id}/?period={a.period.id}").get_data(as_text=True)
    # Each lesson: an attendance cell and a mark cell.
    old_cells = cells(row_html(old, a.classmate.id))
    new_cells = cells(row_html(new, a.classmate.id))
    assert [(editable, greyed) for _, editable, greyed in old_cells] == \
        [(True, False)] * 2 + [(False, True)] * 4
    assert [(editable, greyed) for _, editable, greyed in new_cells] == \
        [(False, True)] * 2 + [(True, False)] * 4
    assert all(not greyed for _, _, greyed in cells(row_html(old, a.student.id)))


def test_a_mark_after_the_move_in_the_old_class_is_refused_and_nothing_saved(moved):
    a, five_a, six_b, lessons, tasks = moved
    before = db.session.scalar(select(func.count(Mark.id)))
    with pytest.raises(DomainError) as caught:
        save_entries(actor_of("a.teacher"), five_a.id, {
            "marks": [{"task_id": tasks[five_a.id][0].id, "student_id": a.student.id, "value": "5"},
                      {"task_id": tasks[five_a.id][2].id, "student_id": a.classmate.id, "value": "4"}],
            "attendance": [{"lesson_id": lessons[five_a.id][1].id, "student_id": a.classmate.id, "code": "н"}],
        })
    problems = " | ".join(caught.value.errors)
    assert "Соседов С. И. не числится в составе класса 5А на 13.11.2026" in problems
    assert "на 11.11.2026" in problems
    db.session.rollback()
    assert db.session.scalar(select(func.count(Mark.id))) == before
    assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_a_mark_before_the_move_in_the_old_class_and_after_it_in_the_new_is_accepted(moved):
    a, five_a, six_b, lessons, tasks = moved
    teacher = actor_of("a.teacher")
    save_entries(teacher, five_a.id, {
        "marks": [{"task_id": tasks[five_a.id][0].id, "student_id": a.classmate.id, "value": "4"}],
        "attendance": [{"lesson_id": lessons[five_a.id][0].id, "student_id": a.classmate.id, "code": "н"}]})
    save_entries(teacher, six_b.id, {
        "marks": [{"task_id": tasks[six_b.id][1].id, "student_id": a.classmate.id, "value": "5"}]})
    db.session.commit()
    with pytest.raises(DomainError):  # and before the move, not in the new class
        save_entries(teacher, six_b.id, {
            "marks": [{"task_id": tasks[six_b.id][0].id, "student_id": a.classmate.id, "value": "3"}]})
    db.session.rollback()
    values = db.session.execute(select(Mark.task_id, Mark.value).where(Mark.student_id == a.classmate.id)).all()
    assert sorted(values) == sorted([(tasks[five_a.id][0].id, "4"), (tasks[six_b.id][1].id, "5")])
    # The grid shows the saved mark in the old class on his own date.
    grid = journal_grid.load_grid(teacher, five_a.id, a.period.id, today=date(2026, 11, 20))
    row = next(r for r in grid.rows if r.student_id == a.classmate.id)
    assert row.marks[f"t{tasks[five_a.id][0].id}"].value == "4"


def test_class_summary_and_absences_follow_his_own_dates(moved):
    a, five_a, six_b, lessons, tasks = moved
    for lesson in lessons[five_a.id][:1] + lessons[six_b.id][1:]:  # absent on every lesson of his own
        jr_attendance(lesson, a.classmate, "н")
    db.session.commit()
    deputy = actor_of("a.deputy")
    for class_id in (a.klass.id, a.other_class.id):
        summary = journal_summary.class_summary(deputy, class_id, a.period.id)
        assert a.classmate.id in [s[0] for s in summary.students], class_id
    old = journal_summary.absences(deputy, a.klass.id, a.period.start_date, a.period.end_date, today=date(2026, 11, 20))
    new = journal_summary.absences(deputy, a.other_class.id, a.period.start_date, a.period.end_date,
                                   today=date(2026, 11, 20))
    assert [r.lesson_date for r in old if r.student_name == "Соседов С.И."] == DAYS[:1]
    assert [r.lesson_date for r in new if r.student_name == "Соседов С.И."] == DAYS[1:]
