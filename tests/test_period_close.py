"""Closed periods (SPEC §3 rule 1): once the administrator closes a period nobody adds, changes or
deletes marks, attendance or period marks dated in it; only the administrator reopens it, with a
reason written to the audit. Through the services, the flush guard and the «Учебные периоды» page."""
import pytest
from sqlalchemy import func, select

from models import AcademicYear, Attendance, AuditLog, Mark, Period, PeriodMark, db
from services.journal import absences
from services.errors import DomainError, PermissionDenied
from services.journal.grid_save import save_entries
from services.journal.period_marks import set_period_mark
from services.journal.periods import close_period, reopen_period
from tests.factories import actor_of
from tests.journal_rules_fixtures import add_task, journal_world
from tests.helpers import InUnits, in_unit

# Each service call is its own unit of work, as each request or command is (services/uow.py).
absences = InUnits(absences)
save_entries, set_period_mark = in_unit(save_entries), in_unit(set_period_mark)
close_period, reopen_period = in_unit(close_period), in_unit(reopen_period)
EARLY = "2 четверть"  # the period ends 28.12.2026, after the tests' today: its name typed confirms the close


@pytest.fixture
def jw(world):
    return journal_world(world)


def period(ns):
    db.session.expire_all()
    return db.session.get(Period, ns.a.period.id)


def with_entries(ns):
    """A mark, an absence and a period mark in the period, then the period closed by the administrator."""
    a = ns.a
    task_id = add_task(ns)
    teacher = actor_of("a.teacher")
    save_entries(teacher, ns.assignment.id, {
        "marks": [{"task_id": task_id, "student_id": a.student.id, "value": "4"}],
        "attendance": [{"lesson_id": ns.lessons[1].id, "student_id": a.classmate.id, "code": "н"}]})
    set_period_mark(teacher, a.classmate.id, ns.math.id, a.year.id, "period", a.period.id, "5")
    assert close_period(actor_of("a.admin"), a.period.id, EARLY) is True
    return task_id


def test_the_administrator_closes_a_period_and_it_is_audited(jw):
    assert close_period(actor_of("a.admin"), jw.a.period.id, EARLY) is True
    assert period(jw).is_closed
    assert close_period(actor_of("a.admin"), jw.a.period.id, EARLY) is False  # already closed: nothing happens
    row = db.session.scalars(select(AuditLog).where(AuditLog.entity == "period", AuditLog.action == "close")).one()
    assert row.user_id == jw.a.admin.user_id and row.changes["is_closed"] == [False, True]
    assert "28.12.2026" in row.changes["warnings"][1][0] and "подтверждено" in row.summary


@pytest.mark.parametrize("login", ["a.deputy", "a.director", "a.teacher", "a.class_teacher", "b.admin"])
def test_only_the_administrator_of_the_organization_closes_it(jw, login):
    with pytest.raises(PermissionDenied):
        close_period(actor_of(login), jw.a.period.id, EARLY)
    assert not period(jw).is_closed


@pytest.mark.parametrize("login", ["a.teacher", "a.deputy", "a.admin"])
def test_nobody_changes_marks_or_attendance_in_a_closed_period(jw, login):
    a = jw.a
    task_id = with_entries(jw)
    attempts = [
        {"marks": [{"task_id": task_id, "student_id": a.student.id, "value": "5", "version": 1}]},
        {"marks": [{"task_id": task_id, "student_id": a.student.id, "value": "", "version": 1}]},
        {"marks": [{"task_id": task_id, "student_id": a.classmate.id, "value": "3"}]},
        {"attendance": [{"lesson_id": jw.lessons[1].id, "student_id": a.classmate.id, "code": "", "version": 1}]},
        {"attendance": [{"lesson_id": jw.lessons[0].id, "student_id": a.student.id, "code": "б"}]},
        {"tasks": [{"task_id": task_id, "delete": True}]},
        {"tasks": [{"task_id": None, "key": "n", "lesson_id": jw.lessons[2].id, "type_id": jw.answer.id}]},
        {"lessons": [{"lesson_id": jw.lessons[0].id, "topic": "Поздняя тема"}]},
    ]
    for payload in attempts:
        with pytest.raises(DomainError) as caught:
            save_entries(actor_of(login), jw.assignment.id, payload)
        assert "закрыт" in str(caught.value), payload
    assert db.session.scalar(select(func.count(Mark.id))) == 1
    assert db.session.scalar(select(func.count(Attendance.id))) == 1
    with pytest.raises(DomainError) as caught:
        set_period_mark(actor_of("a.admin" if login == "a.admin" else "a.teacher"), a.classmate.id, jw.math.id,
                        a.year.id, "period", a.period.id, "4", version=1)
    assert "закрыт" in str(caught.value)
    assert db.session.scalar(select(PeriodMark.value)) == "5"


def test_year_marks_close_with_the_year_s_last_period(jw):
    a = jw.a
    close_period(actor_of("a.admin"), a.period.id, EARLY)  # the only (so the last) period of the test year
    with pytest.raises(DomainError):
        set_period_mark(actor_of("a.teacher"), a.student.id, jw.math.id, a.year.id, "year", None, "5")


def test_absence_reasons_are_closed_too(jw):
    with_entries(jw)
    att_id = db.session.scalar(select(Attendance.id))
    with pytest.raises(DomainError) as caught:
        absences.set_absence_reason(actor_of("a.class_teacher"), att_id, "б", "справка", None)
    assert "закрыт" in str(caught.value)


def test_no_path_around_the_service_writes_into_a_closed_period(jw):
    """The flush guard: a script changing or deleting a mark directly is refused as well."""
    with_entries(jw)
    mark = db.session.scalar(select(Mark))
    mark.value = "2"
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(Mark)))
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    pm = db.session.scalar(select(PeriodMark))
    pm.value = "3"
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(Mark.value)) == "4"


def test_reopening_needs_the_administrator_and_a_reason(jw):
    a = jw.a
    task_id = with_entries(jw)
    for reason in ("", "   ", "ой"):
        with pytest.raises(DomainError):
            reopen_period(actor_of("a.admin"), a.period.id, reason)
    for login in ("a.deputy", "a.teacher", "b.admin"):
        with pytest.raises(PermissionDenied):
            reopen_period(actor_of(login), a.period.id, "Исправление ошибки")
    assert period(jw).is_closed
    assert reopen_period(actor_of("a.admin"), a.period.id, "Исправление ошибки по служебной записке № 3") is True
    assert not period(jw).is_closed
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "reopen")).one()
    assert row.changes["reason"] == [None, "Исправление ошибки по служебной записке № 3"]
    assert row.user_id == a.admin.user_id and row.entity_id == a.period.id
    save_entries(actor_of("a.teacher"), jw.assignment.id, {
        "marks": [{"task_id": task_id, "student_id": a.student.id, "value": "5", "version": 1}]})


def test_a_closed_year_s_period_is_not_reopened(jw):
    a = jw.a
    close_period(actor_of("a.admin"), a.period.id, EARLY)
    db.session.get(AcademicYear, a.year.id).is_closed = True
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        reopen_period(actor_of("a.admin"), a.period.id, "Исправление ошибки")
    assert "закрыт" in str(caught.value)


# -- the «Учебные периоды» page: «Закрыть период» / «Открыть период» -----------------------------

def test_close_and_reopen_from_the_periods_page(jw, browser):
    pid = jw.a.period.id
    b = browser()
    b.login("a.admin")
    page = b.get("/periods/").get_data(as_text=True)
    assert "Закрыть период" in page and "Открыть период" in page
    resp = b.post("/periods/action/", data={"action": "close_period", "rowid": pid, "url": "/periods/"})
    assert resp.status_code == 302 and "/periods/close/" in resp.headers["Location"]  # not ended: confirm first
    assert not period(jw).is_closed
    resp = b.post("/periods/close/", data={"ids": str(pid), f"confirm-{pid}": "2 четверть"})
    assert resp.status_code == 302
    assert period(jw).is_closed
    resp = b.post("/periods/action/", data={"action": "reopen_period", "rowid": pid})
    assert resp.status_code == 302 and "/periods/reopen/" in resp.headers["Location"]
    form = b.get(f"/periods/reopen/?ids={pid}").get_data(as_text=True)
    assert "Причина" in form and "2 четверть" in form
    resp = b.post("/periods/reopen/", data={"ids": str(pid), "reason": ""})
    assert resp.status_code == 200 and "Укажите причину" in resp.get_data(as_text=True)
    assert period(jw).is_closed
    resp = b.post("/periods/reopen/", data={"ids": str(pid), "reason": "Ошибка в отметке, приказ № 7"})
    assert resp.status_code == 302
    assert not period(jw).is_closed


@pytest.mark.parametrize("login", ["a.deputy", "a.teacher", "b.admin"])
def test_the_periods_page_refuses_others(jw, browser, login):
    pid = jw.a.period.id
    close_period(actor_of("a.admin"), pid, EARLY)
    b = browser()
    b.login(login)
    resp = b.post("/periods/action/", data={"action": "reopen_period", "rowid": pid})
    assert resp.status_code in (403, 404)
    resp = b.post("/periods/reopen/", data={"ids": str(pid), "reason": "Захотелось открыть"})
    assert resp.status_code in (403, 404)
    assert period(jw).is_closed
    reopen_period(actor_of("a.admin"), pid, "Возврат для проверки")
    resp = b.post("/periods/action/", data={"action": "close_period", "rowid": pid})
    assert resp.status_code in (403, 404)
    resp = b.post("/periods/close/", data={"ids": str(pid), f"confirm-{pid}": "2 четверть"})
    assert resp.status_code in (403, 404)
    assert not period(jw).is_closed

