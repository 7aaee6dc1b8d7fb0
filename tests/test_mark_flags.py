"""«Отметка ошибочна» (issue 16.4, seed 000 §4.4): a parent or a student flags a mark of his diary; the teacher
of the journal sees it on the grid's cell and on his start page and answers «оценка верна» or «исправлено»
(after correcting the mark through the grid's save); the flagger is notified and reads the answer in the
diary. Refusals by service and by POST, the closed period, the audit rows, the grid's statement count."""
from datetime import date

import pytest
from sqlalchemy import func, select

from models import AuditLog, Mark, MarkFlag, MarkFlagStatus, Notification, db
from services.errors import DomainError, PermissionDenied
from services.journal import flags
from tests.factories import (actor_of, jr_assignment, jr_lessons, jr_mark, jr_period_mark, jr_subject, jr_task,
                             make_staff)
from tests.helpers import grid_url, post_payload
from tests.querycount import count_queries
from models import Role

DAY = date(2026, 11, 10)


def _school(world):
    a = world.a
    a.parent.email = "mother@example.org"
    a.math = jr_subject(a.org, "Математика")
    a.assignment = jr_assignment(a.org, a.year, a.klass, a.teacher, a.math)
    (a.lesson,) = jr_lessons(a.assignment, a.period, [DAY])
    a.task = jr_task(a.lesson)
    a.mark = jr_mark(a.task, a.student, "2")
    a.neighbour_mark = jr_mark(a.task, a.classmate, "3")
    db.session.commit()
    return a


def _flag_by_post(b, a, comment="Я отвечал у доски, поставили 2 по ошибке", mark=None):
    mark = mark or a.mark
    return b.post(f"/diary/{mark.student_id}/flag/{mark.id}/", data={"comment": comment})


def test_round_trip_parent_flags_teacher_confirms(world, browser):
    a = _school(world)
    parent = browser()
    parent.login("a.parent")
    week = parent.get(f"/diary/{a.student.id}/?week={DAY.isoformat()}").get_data(as_text=True)
    assert f"/diary/{a.student.id}/flag/{a.mark.id}/" in week and "Отметка 2 ошибочна?" in week
    form = parent.get(f"/diary/{a.student.id}/flag/{a.mark.id}/")
    assert form.status_code == 200 and "Что, по-вашему, не так с отметкой?" in form.get_data(as_text=True)
    resp = _flag_by_post(parent, a, comment="<script>alert(1)</script> ответ был верный")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    flag = db.session.scalar(select(MarkFlag))
    assert flag.status == MarkFlagStatus.OPEN and flag.mark_value == "2" and flag.assignment_id == a.assignment.id
    week = parent.get(f"/diary/{a.student.id}/?week={DAY.isoformat()}").get_data(as_text=True)
    assert "ожидает ответа учителя" in week and "<script>alert(1)" not in week
    # one open flag per mark and person
    again = _flag_by_post(parent, a)
    assert again.status_code == 400 and "уже отметили" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(MarkFlag.id))) == 1

    teacher = browser()
    teacher.login("a.teacher")
    grid = teacher.get(grid_url(a.assignment, a.period)).get_data(as_text=True)
    assert grid.count("flagged") == 1 and "Отметка ошибочна? &lt;script&gt;" in grid
    home = teacher.get("/").get_data(as_text=True)
    assert "Отметки, отмеченные как ошибочные" in home and f"/mark-flags/{flag.id}/" in home
    page = teacher.get(f"/mark-flags/{flag.id}/").get_data(as_text=True)
    assert "Оценка верна" in page and "&lt;script&gt;" in page
    refused = teacher.post(f"/mark-flags/{flag.id}/", data={"verdict": "confirmed", "comment": ""})
    assert refused.status_code == 400 and "почему оценка верна" in refused.get_data(as_text=True)
    not_yet = teacher.post(f"/mark-flags/{flag.id}/", data={"verdict": "corrected"})
    assert not_yet.status_code == 400 and "ещё не изменена" in not_yet.get_data(as_text=True)
    ok = teacher.post(f"/mark-flags/{flag.id}/", data={"verdict": "confirmed", "comment": "У доски — 2, см. тетрадь"})
    assert ok.status_code == 303
    db.session.expire_all()
    flag = db.session.get(MarkFlag, flag.id)
    assert flag.status == MarkFlagStatus.CONFIRMED and flag.answered_by_id is not None
    note = db.session.scalar(select(Notification).where(Notification.kind == "flag"))
    assert note is not None and note.address == "mother@example.org" and "У доски — 2" in note.body
    assert "flagged" not in teacher.get(grid_url(a.assignment, a.period)).get_data(as_text=True)
    week = parent.get(f"/diary/{a.student.id}/?week={DAY.isoformat()}").get_data(as_text=True)
    assert "оценка верна" in week and "У доски — 2, см. тетрадь" in week
    # answered once
    twice = teacher.post(f"/mark-flags/{flag.id}/", data={"verdict": "confirmed", "comment": "ещё раз"})
    assert twice.status_code == 400 and "уже ответили" in twice.get_data(as_text=True)
    # audited: the flag's creation and the answer
    rows = db.session.scalars(select(AuditLog).where(AuditLog.entity == "mark_flag")).all()
    assert len(rows) >= 2


def test_corrected_after_the_grid_save(world, browser):
    a = _school(world)
    flag = flags.flag_mark(actor_of("a.student"), a.mark.id, "Должно быть 4")
    db.session.commit()
    teacher = browser()
    teacher.login("a.teacher")
    resp = post_payload(teacher, a.assignment, a.period, {"marks": [
        {"task_id": a.task.id, "student_id": a.student.id, "value": "4", "version": a.mark.version}]})
    assert resp.status_code == 200 and resp.get_json()["ok"], resp.get_data(as_text=True)
    ok = teacher.post(f"/mark-flags/{flag.id}/", data={"verdict": "corrected", "comment": ""})
    assert ok.status_code == 303
    db.session.expire_all()
    flag = db.session.get(MarkFlag, flag.id)
    assert flag.status == MarkFlagStatus.CORRECTED and flag.corrected_value == "4"
    student = browser()
    student.login("a.student")
    week = student.get(f"/diary/{a.student.id}/?week={DAY.isoformat()}").get_data(as_text=True)
    assert "исправлено" in week and "теперь «4»" in week


def test_refusals_by_service(world):
    a = _school(world)
    stranger_task_mark = jr_mark(jr_task(a.lesson), a.stranger, "3") if False else a.neighbour_mark
    with pytest.raises(PermissionDenied):
        flags.flag_mark(actor_of("a.parent"), stranger_task_mark.id, "не мой ребёнок")  # another parent's child
    with pytest.raises(PermissionDenied):
        flags.flag_mark(actor_of("a.student"), a.neighbour_mark.id, "чужая отметка")
    with pytest.raises(PermissionDenied):
        flags.flag_mark(actor_of("a.teacher"), a.mark.id, "учитель не отмечает")
    with pytest.raises(PermissionDenied):
        flags.flag_mark(actor_of("b.parent"), a.mark.id, "другая школа")
    with pytest.raises(DomainError):
        flags.flag_mark(actor_of("a.parent"), a.mark.id, "   ")
    flag = flags.flag_mark(actor_of("a.parent"), a.mark.id, "ошибка")
    other = make_staff(a.org, "Словесникова", "Ольга", [Role.TEACHER.value], "a.other", sex="f")
    russian = jr_subject(a.org, "Русский язык")
    jr_assignment(a.org, a.year, a.klass, other, russian)
    db.session.commit()
    with pytest.raises(PermissionDenied):  # a teacher of another subject of the class
        flags.answer(actor_of("a.other"), flag.id, flags.CONFIRMED, "верно")
    with pytest.raises(PermissionDenied):  # the class teacher reads the grid but answers nothing
        flags.answer(actor_of("a.class_teacher"), flag.id, flags.CONFIRMED, "верно")
    with pytest.raises(PermissionDenied):
        flags.answer(actor_of("a.parent"), flag.id, flags.CONFIRMED, "верно")
    assert flags.open_flags(actor_of("a.other")) == []
    assert [f.id for f in flags.open_flags(actor_of("a.teacher"))] == [flag.id]
    assert [f.id for f in flags.open_flags(actor_of("a.deputy"))] == [flag.id]  # the deputy sees every flag


def test_refusals_by_post(world, browser):
    a = _school(world)
    parent = browser()
    parent.login("a.parent")
    before = db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "denied"))
    # the classmate's mark, through his own child's URL and through the classmate's
    assert parent.post(f"/diary/{a.student.id}/flag/{a.neighbour_mark.id}/", data={"comment": "x"}).status_code == 404
    assert _flag_by_post(parent, a, mark=a.neighbour_mark).status_code == 404
    student = browser()
    student.login("a.student")
    assert _flag_by_post(student, a, mark=a.neighbour_mark).status_code == 404
    assert db.session.scalar(select(func.count(MarkFlag.id))) == 0
    after = db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "denied"))
    assert after >= before + 3
    flag = flags.flag_mark(actor_of("a.student"), a.mark.id, "ошибка")
    other = make_staff(a.org, "Словесникова", "Ольга", [Role.TEACHER.value], "a.other", sex="f")
    jr_assignment(a.org, a.year, a.klass, other, jr_subject(a.org, "Русский язык"))
    db.session.commit()
    intruder = browser()
    intruder.login("a.other")
    assert intruder.get(f"/mark-flags/{flag.id}/").status_code == 404
    assert intruder.post(f"/mark-flags/{flag.id}/", data={"verdict": "confirmed", "comment": "верно"}).status_code \
        == 404
    assert parent.post(f"/mark-flags/{flag.id}/", data={"verdict": "confirmed", "comment": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(MarkFlag, flag.id).status == MarkFlagStatus.OPEN


def test_closed_period_is_left_to_the_deputy(world, browser):
    a = _school(world)
    flag = flags.flag_mark(actor_of("a.parent"), a.mark.id, "ошибка")
    a.period.is_closed = True
    db.session.commit()
    teacher = browser()
    teacher.login("a.teacher")
    page = teacher.get(f"/mark-flags/{flag.id}/").get_data(as_text=True)
    assert "период закрыт" in page and "заместитель директора" in page
    resp = teacher.post(f"/mark-flags/{flag.id}/", data={"verdict": "corrected"})
    assert resp.status_code == 400 and "Отметку нельзя изменить: период закрыт" in resp.get_data(as_text=True)
    assert flags.lock_reason(flag)
    # a period mark closes the mark too
    a.period.is_closed = False
    jr_period_mark(a.student, a.math, a.period, "3")
    db.session.commit()
    assert "выставлена" in flags.lock_reason(db.session.get(MarkFlag, flag.id))
    # the deputy corrects (the journal's corrections) and answers
    a.mark.value = "4"
    db.session.flush()
    done = flags.answer(actor_of("a.deputy"), flag.id, flags.CORRECTED)
    assert done.status == MarkFlagStatus.CORRECTED and done.corrected_value == "4"


def test_a_deleted_mark_shows_gone(world):
    a = _school(world)
    flag = flags.flag_mark(actor_of("a.parent"), a.mark.id, "ошибка")
    db.session.commit()
    db.session.delete(db.session.get(Mark, a.mark.id))
    db.session.commit()
    db.session.expire_all()
    item = flags.get_item(actor_of("a.teacher"), flag.id)
    assert item.mark_gone and item.status == MarkFlagStatus.OPEN
    done = flags.answer(actor_of("a.teacher"), flag.id, flags.CORRECTED)
    assert done.corrected_value == ""


def test_grid_statement_count_unchanged_by_flags(world, browser):
    a = _school(world)
    b = browser()
    b.login("a.teacher")
    with count_queries() as plain:
        assert b.get(grid_url(a.assignment, a.period)).status_code == 200
    flags.flag_mark(actor_of("a.parent"), a.mark.id, "ошибка")
    flags.flag_mark(actor_of("a.student"), a.mark.id, "и я так думаю")
    db.session.commit()
    with count_queries() as flagged:
        html = b.get(grid_url(a.assignment, a.period)).get_data(as_text=True)
    assert html.count("flagged") == 1 and "ошибка / и я так думаю" in html
    assert len(flagged) == len(plain), (len(plain), len(flagged))
