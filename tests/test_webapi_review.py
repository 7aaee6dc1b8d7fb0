"""The NetSchool-compatible API (issue 19), review: what an acceptance test or an attacker tries beyond
tests/test_webapi.py — a method no route takes (JSON, not the HTML 405 page), NetSchool's own date form in a
week's parameters, another school's assignment ids refused and logged, homework that is only files, a token
kept alive under a short idle limit, an account that is also the installation's administrator reading no more
than his family's diary, 409 messages the clients sort as refusals, no argon2 for an unknown API login."""
from datetime import timedelta

from sqlalchemy import func, select

from models import AuditLog, LessonFile, StoredFile, db
from services import clock
from services.api import sessions
from services.people import accounts
from tests.factories import jr_assignment, jr_lessons, jr_mark, jr_subject, jr_task
from tests.test_webapi import MONDAY, Api, logged_in, new_password, week_data


def denied(entity=None):
    query = select(func.count(AuditLog.id)).where(AuditLog.action == "denied")
    if entity:
        query = query.where(AuditLog.entity == entity)
    return db.session.scalar(query)


def test_a_method_no_route_takes_answers_json(world, app):
    api = logged_in(app, world)
    for method, url in (("patch", "student/diary"), ("patch", "login"), ("get", ""), ("put", "auth/getdata")):
        response = api.request(method, url)
        assert response.status_code == 404, (method, url)
        assert response.is_json and response.get_json()["message"], (method, url)


def test_week_dates_in_netschools_own_form_are_read(world, app):
    week_data(world)
    api = logged_in(app, world)
    sid = world.a.student.id
    plain = api.get("student/diary", query_string={"studentId": sid, "weekStart": MONDAY.isoformat(),
                                                   "weekEnd": (MONDAY + timedelta(days=5)).isoformat()})
    timed = api.get("student/diary", query_string={"studentId": sid, "weekStart": f"{MONDAY.isoformat()}T00:00:00",
                                                   "weekEnd": f"{MONDAY + timedelta(days=5)}T00:00:00"})
    assert plain.status_code == timed.status_code == 200
    assert timed.get_json()["weekDays"] == plain.get_json()["weekDays"] != []
    bad = api.get("student/diary", query_string={"studentId": sid, "weekStart": "2026-11-16T<script>"})
    assert bad.status_code == 400 and bad.get_json()["message"]


def test_another_schools_assignment_ids_are_refused_and_logged(world, app):
    week_data(world)
    b = world.b
    (lesson_b,) = jr_lessons(jr_assignment(b.org, b.year, b.klass, b.teacher, jr_subject(b.org, "История")),
                             b.period, [MONDAY])
    lesson_b.homework = "Параграф 7"
    task_b = jr_task(lesson_b, "Ответ на уроке")
    jr_mark(task_b, b.student, "5")
    db.session.commit()
    lesson_id, task_id = lesson_b.id, task_b.id
    api = logged_in(app, world)
    sid = world.a.student.id
    before_tasks, before_lessons = denied("task"), denied("lesson")
    assert api.get(f"student/diary/assigns/{task_id}", query_string={"studentId": sid}).status_code == 404
    assert api.get(f"student/diary/assigns/{-lesson_id}", query_string={"studentId": sid}).status_code == 404
    response = api.post("student/diary/get-attachments", query_string={"studentId": sid},
                        json={"assignId": [-lesson_id]})
    assert response.status_code == 200 and response.get_json() == []
    assert denied("task") == before_tasks + 1 and denied("lesson") == before_lessons + 2
    before = denied()
    assert api.get("student/diary/assigns/987654", query_string={"studentId": sid}).status_code == 404
    assert denied() == before  # an id of nothing is no one's: nothing to log


def test_homework_that_is_only_files_is_an_assignment_with_them(world, app):
    week = week_data(world)
    a = world.a
    lesson = week.wed
    lesson.homework = None
    stored = StoredFile(org_id=a.org.id, owner_id=a.teacher.user_id, name="Задачи.pdf",
                        content_type="application/pdf", size=3, sha256="0" * 64, storage_key="review-hw-only")
    db.session.add(stored)
    db.session.flush()
    db.session.add(LessonFile(org_id=a.org.id, lesson_id=lesson.id, kind="homework", stored_file_id=stored.id))
    db.session.commit()
    lesson_id = lesson.id
    api = logged_in(app, world)
    sid = a.student.id
    week_json = api.get("student/diary", query_string={"studentId": sid, "weekStart": MONDAY.isoformat(),
                                                       "weekEnd": (MONDAY + timedelta(days=5)).isoformat()})
    found = [x for d in week_json.get_json()["weekDays"] for lesson_json in d["lessons"]
             for x in lesson_json["assignments"] if x["id"] == -lesson_id]
    assert len(found) == 1 and found[0]["assignmentName"] == "Домашнее задание"
    assert [f["originalFileName"] for f in found[0]["attachments"]] == ["Задачи.pdf"]
    response = api.post("student/diary/get-attachments", query_string={"studentId": sid},
                        json={"assignId": [-lesson_id]})
    assert [f["name"] for f in response.get_json()[0]["attachments"]] == ["Задачи.pdf"]
    card = api.get(f"student/diary/assigns/{-lesson_id}", query_string={"studentId": sid})
    assert card.status_code == 200 and card.get_json()["attachments"][0]["originalFileName"] == "Задачи.pdf"


def test_a_token_in_use_lives_under_a_short_idle_limit(world, app):
    app.config["API_TOKEN_IDLE"] = 60
    try:
        api = logged_in(app, world)
        for _ in range(4):  # used every 50 s: never idle for a minute
            clock.advance(seconds=50)
            assert api.get("years/current").status_code == 200
        clock.advance(seconds=61)
        assert api.get("years/current").status_code == 401
    finally:
        app.config["API_TOKEN_IDLE"] = sessions.DEFAULT_IDLE


def test_an_administrators_token_has_only_his_familys_roles(world, app):
    a = world.a
    user = a.parent.user
    user.is_superadmin = True
    db.session.commit()
    api = logged_in(app, world)
    with app.test_request_context():
        actor = sessions.actor_for(api.at)
        assert actor is not None and set(actor.roles) == {"parent"}
    assert [s["studentId"] for s in api.get("student/diary/init").get_json()["students"]] == [a.student.id]
    assert api.get("student/diary", query_string={"studentId": a.stranger.id}).status_code == 404


def test_refusals_name_themselves_for_the_clients(world, app):
    _, password = new_password("a.parent")
    for school in (world.b.org.id, 999999):  # his account has no card there; no such school
        response = Api(app).login("a.parent", password, school)
        assert response.status_code == 409 and response.get_json()["message"].startswith("Нет доступа")


def test_an_unknown_login_costs_the_api_no_password_hash(world, app, monkeypatch):
    calls = []
    real = accounts.hash_password
    monkeypatch.setattr(accounts, "hash_password", lambda password: calls.append(1) or real(password))
    assert Api(app).login("nobody-at-all", "x" * 24, world.a.org.id).status_code == 409
    assert calls == []


def test_a_login_again_revives_the_apps_expired_token_as_netschoolapi_retries_it(world, app):
    """netschoolapi repeats the request that got 401 with the `at` it was built with, after logging in again."""
    _, password = new_password("a.parent")
    api = Api(app)
    assert api.login("a.parent", password, world.a.org.id).status_code == 200
    old = api.at
    clock.advance(minutes=31)
    assert api.get("years/current").status_code == 401
    assert api.login("a.parent", password, world.a.org.id).status_code == 200  # the same app, its cookie
    assert api.at != old
    api.at = old
    assert api.get("years/current").status_code == 200  # the retried request passes
    other = Api(app)  # another app (no cookie of that session) with the same password revives nothing
    assert other.login("a.parent", password, world.a.org.id).status_code == 200
    clock.advance(minutes=31)
    assert other.login("a.parent", password, world.a.org.id).status_code == 200
    other.at = old
    assert other.get("years/current").status_code == 401
    ended = Api(app)
    assert ended.login("a.parent", password, world.a.org.id).status_code == 200
    first = ended.at
    assert ended.post("auth/logout").status_code == 200  # ended by logout: never again
    assert ended.login("a.parent", password, world.a.org.id).status_code == 200
    ended.at = first
    assert ended.get("years/current").status_code == 401
