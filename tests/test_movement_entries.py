"""A backdated order asks what to do with the entries after its date (issue 13.4).

World A (today 20.11.2026): Учеников's marks and attendance in 5А's journal on 09.11, 16.11 and 18.11;
an order dated 12.11 moves him to 6Б (or out of the school). Математика continues in 6Б on 16.11
(lesson 2, like 5А's), not on 18.11 (5А's lesson 3 has no twin there); Русский язык is not taught in 6Б.
"""
from datetime import date

import pytest
from sqlalchemy import select

from models import Attendance, AuditLog, Mark, MovementOrder, Student, Task, db
from services.movement import orders as movement
from services.movement.entries import ENTRIES_QUESTION, EntriesAfterOrder
from tests.factories import (jr_assignment, jr_attendance, jr_lessons, jr_mark, jr_subject, jr_task, mv_actor,
                             mv_order)
from tests.helpers import flashes

D = date
ORDERS = "/movement/orders"


@pytest.fixture
def bw(world):
    a = world.a
    math, russian = jr_subject(a.org, "Математика"), jr_subject(a.org, "Русский язык")
    m5 = jr_assignment(a.org, a.year, a.klass, a.teacher, math)
    m6 = jr_assignment(a.org, a.year, a.other_class, a.deputy, math)
    r5 = jr_assignment(a.org, a.year, a.klass, a.class_teacher, russian)
    before, same = jr_lessons(m5, a.period, [D(2026, 11, 9), D(2026, 11, 16)])
    (third,) = jr_lessons(m5, a.period, [D(2026, 11, 18)], number=3)
    (a.twin,) = jr_lessons(m6, a.period, [D(2026, 11, 16)])
    (rus,) = jr_lessons(r5, a.period, [D(2026, 11, 17)])
    a.kept_before = jr_mark(jr_task(before), a.student, "5")
    a.moving_mark = jr_mark(jr_task(same, "Самостоятельная работа"), a.student, "4")
    a.moving_absence = jr_attendance(same, a.student, "н")
    a.staying_mark = jr_mark(jr_task(third), a.student, "3")
    a.russian_mark = jr_mark(jr_task(rus), a.student, "5")
    jr_mark(a.moving_mark.task, a.classmate, "2")  # a classmate's mark on the same task stays where it is
    db.session.commit()
    a.task_of = {m.id: m.task_id for m in db.session.scalars(select(Mark))}  # before any order
    a.old_lesson = a.moving_absence.lesson_id
    return a


def transfer(a, apply=False):
    return mv_order(a.org, "transfer", D(2026, 11, 12), [(a.student, a.other_class)], apply=apply)


def entries_audit():
    return db.session.scalars(select(AuditLog).where(AuditLog.entity == "movement_order",
                                                     AuditLog.action == "entries")).all()


def test_a_backdated_transfer_asks_and_changes_nothing_until_told(bw):
    a = bw
    order = transfer(a)
    with pytest.raises(EntriesAfterOrder) as caught:
        movement.apply_order(mv_actor(a.org), order.id)
    assert caught.value.errors == [
        ENTRIES_QUESTION,
        "Учеников П. И., 5А, «Математика»: отметок — 2, посещаемость — 1 (16.11.2026, 18.11.2026)",
        "Учеников П. И., 5А, «Русский язык»: отметок — 1, посещаемость — 0 (17.11.2026)"]
    db.session.rollback()
    assert db.session.get(MovementOrder, order.id).is_draft
    assert db.session.get(Student, a.student.id).class_id == a.klass.id
    assert [str(e) for e in movement.later_entries(mv_actor(a.org), order.id)] == caught.value.errors[1:]
    with pytest.raises(Exception, match="move"):
        movement.apply_order(mv_actor(a.org), order.id, entries="drop")


def test_move_takes_the_entries_where_the_subject_continues_and_audits_it(bw):
    a = bw
    order = transfer(a)
    movement.apply_order(mv_actor(a.org), order.id, entries="move")
    db.session.expire_all()
    moved = db.session.get(Mark, a.moving_mark.id)
    assert moved.task.lesson_id == a.twin.id and moved.task.type.name == "Самостоятельная работа"
    assert db.session.get(Attendance, a.moving_absence.id).lesson_id == a.twin.id
    # No twin lesson (5А's lesson 3, Русский язык) or before the order: they stay in 5А's journal.
    for mark in (a.staying_mark, a.russian_mark, a.kept_before):
        assert db.session.get(Mark, mark.id).task_id == a.task_of[mark.id]
    classmates = db.session.scalar(select(Mark).where(Mark.student_id == a.classmate.id))
    assert classmates.task_id == a.task_of[a.moving_mark.id] != moved.task_id
    (row,) = entries_audit()
    assert row.entity_id == order.id and row.changes["entries"] == [None, "move"]
    assert (row.changes["moved"], row.changes["kept"]) == ([None, 2], [None, 2])
    mark_update = db.session.scalar(select(AuditLog).where(AuditLog.entity == "mark", AuditLog.action == "update",
                                                           AuditLog.entity_id == a.moving_mark.id))
    assert mark_update.changes["task_id"] == [a.task_of[a.moving_mark.id], moved.task_id]
    assert db.session.scalar(select(Task.id).where(Task.lesson_id == a.twin.id)) == moved.task_id


def test_keep_leaves_them_in_the_old_journal_as_history(bw):
    a = bw
    order = mv_order(a.org, "withdrawal", D(2026, 11, 12), [(a.student, None, "other_school", "СОШ № 2")],
                     apply=False)
    with pytest.raises(EntriesAfterOrder):
        movement.apply_order(mv_actor(a.org), order.id)
    db.session.rollback()
    movement.apply_order(mv_actor(a.org), order.id, entries="keep")
    db.session.expire_all()
    assert {m.id: m.task_id for m in db.session.scalars(select(Mark))} == a.task_of
    assert db.session.get(Attendance, a.moving_absence.id).lesson_id == a.old_lesson
    (row,) = entries_audit()
    assert (row.changes["entries"], row.changes["moved"], row.changes["kept"]) == ([None, "keep"], [None, 0], [None, 4])


def test_an_order_dated_after_the_entries_does_not_ask(bw):
    a = bw
    mv_order(a.org, "transfer", D(2026, 11, 19), [(a.student, a.other_class)])
    assert db.session.get(Student, a.student.id).class_id == a.other_class.id and not entries_audit()


def test_the_order_page_lists_the_entries_and_applies_with_the_choice(bw, mv_browser):  # noqa: F811
    a = bw
    order = transfer(a)
    hr = mv_browser("a.hr")
    page = hr.get(f"{ORDERS}/items/?id={order.id}").get_data(as_text=True)
    assert 'id="later-entries"' in page and "16.11.2026, 18.11.2026" in page and "Русский язык" in page
    assert 'name="entries" id="entries-move" value="move" required' in page and 'value="keep"' in page
    resp = hr.post(f"{ORDERS}/items/", data={"id": order.id, "do": "apply"}, follow_redirects=True)
    assert ENTRIES_QUESTION in flashes(resp)
    assert db.session.get(MovementOrder, order.id).is_draft
    resp = hr.post(f"{ORDERS}/items/", data={"id": order.id, "do": "apply", "entries": "move"}, follow_redirects=True)
    assert "проведён" in flashes(resp)
    db.session.expire_all()
    assert db.session.get(Attendance, a.moving_absence.id).lesson_id == a.twin.id
    assert entries_audit()[0].user_id == a.hr.user_id


def test_the_cli_takes_the_choice(bw, app):
    a = bw
    order = transfer(a)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["movement", "apply", str(order.id)])
    assert refused.exit_code != 0 and "отметок — 2" in refused.output
    done = runner.invoke(args=["movement", "apply", str(order.id), "--entries", "keep"])
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    assert db.session.get(MovementOrder, order.id).status == "applied" and entries_audit()
