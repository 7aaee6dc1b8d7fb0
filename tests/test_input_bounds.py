"""Bad input is bounded and explained (issue 12.7): deeply nested JSON, NUL bytes, lone surrogates,
huge bodies and texts longer than their field get a Russian 400/413 and change nothing; no text is
ever cut silently."""
import json

import pytest
from sqlalchemy import func, select

from models import AuditLog, Lesson, Mark, Student, db
from services import params
from services.errors import DomainError
from tests.factories import journal
from tests.helpers import post_payload


def counts():
    return (db.session.scalar(select(func.count()).select_from(Mark)),
            db.session.scalar(select(func.count()).select_from(AuditLog)))


def raw_post(b, assignment, period, raw):
    return b.post(f"/journal/{assignment.id}/save", data={"payload": raw, "period_id": period.id},
                  headers={"X-Requested-With": "fetch"})


@pytest.fixture
def grid(world, browser):
    _, assignment, lessons = journal(world)
    b = browser()
    b.login("a.teacher")
    return world.a, assignment, lessons, b


def test_a_topic_longer_than_its_field_is_refused_naming_the_field_and_limit(grid):
    a, assignment, lessons, b = grid
    before = counts()
    resp = post_payload(b, assignment, a.period, {"lessons": [{"lesson_id": lessons[0].id,
                                                                   "version": lessons[0].version,
                                                                   "topic": "Д" * 501}]})
    message = resp.get_json()["message"]
    assert resp.status_code == 400 and "«Тема урока» длиннее 500 символов (501)" in message, message
    assert db.session.get(Lesson, lessons[0].id).topic in (None, "")
    assert counts() == before
    resp = post_payload(b, assignment, a.period, {"marks": [
        {"task_key": "x", "student_id": a.student.id, "value": "5", "comment": "к" * 301}],
        "tasks": [{"key": "x", "lesson_id": lessons[0].id}]})
    assert resp.status_code == 400 and "«Комментарий к отметке» длиннее 300" in resp.get_json()["message"]
    assert counts() == before


@pytest.mark.parametrize("raw", [
    "[" * 100_000 + "]" * 100_000,                      # Python's parser would recurse until it fails
    '{"lessons": ' + "[" * 50 + "]" * 50 + "}",
    '{"lessons": [{"lesson_id": 1, "topic": "\\u0000"}]}',  # a NUL byte
    '{"lessons": [{"lesson_id": 1, "topic": "\\ud800"}]}',  # half of a surrogate pair
    '{"lessons": [{"lesson_id": 1, "topic": "a"}]',        # cut short
    "\x00",
])
def test_hostile_json_is_a_russian_400_and_changes_nothing(grid, raw):
    a, assignment, lessons, b = grid
    before = counts()
    resp = raw_post(b, assignment, a.period, raw)
    assert resp.status_code == 400, resp.status_code
    assert "Данные журнала не разобраны" in resp.get_json()["message"]
    assert counts() == before


def test_a_huge_body_is_a_russian_413(grid):
    a, assignment, lessons, b = grid
    before = counts()
    resp = raw_post(b, assignment, a.period, json.dumps({"lessons": [{"lesson_id": lessons[0].id,
                                                                      "homework": "x" * 6_000_000}]}))
    assert resp.status_code == 413 and "МБ" in resp.get_data(as_text=True)
    assert counts() == before


def test_no_path_stores_a_text_longer_than_its_column_or_with_a_nul_byte(world):
    student = db.session.get(Student, world.a.student.id)
    student.last_name = "Ф" * 101
    with pytest.raises(DomainError) as refused:
        db.session.flush()
    assert "«Фамилия» — не длиннее" in str(refused.value)
    db.session.rollback()
    student = db.session.get(Student, world.a.student.id)
    student.address = "ул. Ленина\x00, 1"
    with pytest.raises(DomainError, match="«Адрес»: нулевой байт"):
        db.session.flush()
    db.session.rollback()


def test_a_card_form_with_a_nul_byte_changes_nothing(world, browser):
    b = browser()
    b.login("a.admin")
    student = world.a.student
    name = student.last_name
    resp = b.post(f"/students/edit/?id={student.id}", data={
        "last_name": name, "first_name": student.first_name, "middle_name": student.middle_name or "",
        "sex": student.sex, "birth_date": "01.03.2015", "snils": student.snils,
        "enrollment_order_number": student.enrollment_order_number, "enrollment_order_date": "28.08.2026",
        "personal_file_number": student.personal_file_number, "klass": student.class_id, "status": student.status,
        "_version": str(student.version),
        "address": "ул. Ленина\x00, 1", "parents": []}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "«Адрес»: нулевой байт" in html
    assert "\x00" not in (db.session.get(Student, student.id).address or "")


def test_the_helpers():
    assert params.parse_json('{"a": [1, {"b": "в"}]}') == {"a": [1, {"b": "в"}]}
    assert params.text_within("  тема  ", 10, "Тема") == "тема"
    with pytest.raises(ValueError, match="«Тема» длиннее 3 символов"):
        params.text_within("четыре", 3, "Тема")
    assert params.bad_text("ok") is None and params.bad_text("\ud800") and params.bad_text("a\x00")
    assert params._depth('{"a": "[[[[[[[[[["}') == 1  # brackets inside strings do not count
