"""Irreversible actions check the calendar (issue 15.3): closing a period before its last day or with period
marks not set, and closing a year (always: it is irreversible), needs the name typed by the administrator; a
year closed before its end needs a reason, written to the audit. In the services (a direct POST, the CLI
obey), on the «Учебные периоды» page and on the rollover wizard's step 2. The tests' today is 20.11.2026:
«2 четверть» (05.11–28.12.2026) and the year 2026/2027 (to 30.06.2027) have not ended."""
from datetime import date

import pytest
from sqlalchemy import func, select

from models import AcademicYear, AuditLog, Period, RolloverStep, db
from services import clock
from services.errors import DomainError
from services.journal import periods as journal
from services.rollover import year as rollover
from tests.factories import EARLY_REASON, actor_of, jr_period_mark, ro_year_mark
from tests.helpers import flashes, in_unit
from tests.journal_rules_fixtures import journal_world

close_period, close_year = in_unit(journal.close_period), in_unit(rollover.close_year)
run_check = in_unit(rollover.run_check)


@pytest.fixture
def jw(world):
    return journal_world(world)


def is_closed(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk).is_closed


def closes_logged():
    return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action.in_(("close", "close_year"))))


def all_marks_set(jw):
    """5А's two students get their period and year marks in Математика."""
    for student in (jw.a.student, jw.a.classmate):
        jr_period_mark(student, jw.math, jw.a.period, "4")
        ro_year_mark(student, jw.math, jw.a.year, "4")
    db.session.commit()


# -- a period --------------------------------------------------------------------------------------------

def test_an_early_close_without_the_name_is_refused_and_says_what_is_missing(jw):
    pid = jw.a.period.id
    with pytest.raises(DomainError) as caught:
        close_period(actor_of("a.admin"), pid)
    text = str(caught.value)
    assert "«2 четверть» не закрыт" in text and "28.12.2026" in text and "20.11.2026" in text
    assert "не выставлено отметок за период: 2, годовых: 2" in text
    assert "5А, Математика (2 четверть): 2" in text and "введите название периода «2 четверть»" in text
    assert not is_closed(Period, pid) and closes_logged() == 0


@pytest.mark.parametrize("typed", ["1 четверть", "2", "да", "2026/2027"])
def test_a_wrong_name_is_refused_and_changes_nothing(jw, typed):
    with pytest.raises(DomainError, match="введено неверно: нужно «2 четверть»"):
        close_period(actor_of("a.admin"), jw.a.period.id, typed)
    assert not is_closed(Period, jw.a.period.id) and closes_logged() == 0


@pytest.mark.parametrize("typed", ["2 четверть", " 2  ЧЕТВЕРТЬ ", "«2 четверть»"])
def test_the_right_name_closes_early_and_the_audit_says_so(jw, typed):
    assert close_period(actor_of("a.admin"), jw.a.period.id, typed) is True
    assert is_closed(Period, jw.a.period.id)
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "close")).one()
    assert "28.12.2026" in row.summary and "подтверждено вводом названия" in row.summary


def test_a_period_ended_with_every_mark_set_closes_without_typing(jw):
    all_marks_set(jw)
    with clock.frozen(date(2026, 12, 29)):
        check = journal.close_check(actor_of("a.admin"), jw.a.period.id)
        assert not check.early and check.missing == [] and not check.needs_confirmation
        assert close_period(actor_of("a.admin"), jw.a.period.id) is True
    assert is_closed(Period, jw.a.period.id)
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "close")).one()
    assert row.changes == {"is_closed": [False, True]}


def test_a_period_ended_with_marks_missing_still_needs_the_name(jw):
    jr_period_mark(jw.a.student, jw.math, jw.a.period, "5")
    db.session.commit()
    with clock.frozen(date(2027, 1, 15)):
        with pytest.raises(DomainError) as caught:
            close_period(actor_of("a.admin"), jw.a.period.id)
        assert "не окончен" not in str(caught.value) and "отметок за период: 1, годовых: 2" in str(caught.value)
        assert not is_closed(Period, jw.a.period.id)
        assert close_period(actor_of("a.admin"), jw.a.period.id, "2 четверть") is True


def test_the_last_day_itself_is_not_early(jw):
    all_marks_set(jw)
    with clock.frozen(date(2026, 12, 28)):
        assert close_period(actor_of("a.admin"), jw.a.period.id) is True


def test_the_periods_page_shows_what_is_missing_and_asks_for_the_name(jw, browser):
    pid = jw.a.period.id
    b = browser()
    b.login("a.admin")
    resp = b.post("/periods/action/", data={"action": "close_period", "rowid": pid, "url": "/periods/"})
    assert resp.status_code == 302 and f"/periods/close/?ids={pid}" in resp.headers["Location"]
    html = b.get(resp.headers["Location"]).get_data(as_text=True)
    assert "ещё не окончен" in html and "28.12.2026" in html and "20.11.2026" in html
    assert "5А" in html and "Математика" in html and "Годовая" in html and f'name="confirm-{pid}"' in html
    for data in ({}, {f"confirm-{pid}": "1 четверть"}):
        resp = b.post("/periods/close/", data={"ids": str(pid), **data})
        assert resp.status_code == 200 and "не закрыт" in resp.get_data(as_text=True)
        assert not is_closed(Period, pid)
    resp = b.post("/periods/close/", data={"ids": str(pid), f"confirm-{pid}": "2 четверть"})
    assert resp.status_code == 302 and is_closed(Period, pid)


def test_the_periods_page_closes_an_ended_complete_period_at_once(jw, browser):
    all_marks_set(jw)
    pid = jw.a.period.id
    b = browser()
    with clock.frozen(date(2026, 12, 30)):
        b.login("a.admin")  # a session signed in 40 days earlier would have expired
        resp = b.post("/periods/action/", data={"action": "close_period", "rowid": pid, "url": "/periods/"})
        assert resp.status_code == 302 and "/periods/close/" not in resp.headers["Location"]
        assert "Закрыто периодов: 1" in flashes(b.get(resp.headers["Location"]))
    assert is_closed(Period, pid)


# -- a year ------------------------------------------------------------------------------------------

def test_a_year_is_not_closed_without_its_name(rollover_school):
    a, admin = rollover_school, actor_of("a.admin")
    run_check(admin, a.year)
    for typed, message in ((None, "введите название учебного года «2026/2027»"), ("", "Подтвердите закрытие"),
                           ("2027/2028", "введено неверно: нужно «2026/2027»"), ("1", "введено неверно")):
        with pytest.raises(DomainError, match=message):
            close_year(admin, a.year, typed, EARLY_REASON)
    assert not is_closed(AcademicYear, a.year.id)
    assert db.session.scalar(select(func.count(Period.id)).where(Period.is_closed.is_(True))) == 0


@pytest.mark.parametrize("reason", [None, "", "   ", "надо"])
def test_a_year_before_its_end_without_a_reason_is_refused(rollover_school, reason):
    a, admin = rollover_school, actor_of("a.admin")
    run_check(admin, a.year)
    with pytest.raises(DomainError) as caught:
        close_year(admin, a.year, "2026/2027", reason)
    assert "ещё не окончен" in str(caught.value) and "30.06.2027" in str(caught.value)
    assert "причину" in str(caught.value)
    assert not is_closed(AcademicYear, a.year.id) and closes_logged() == 0
    assert db.session.scalar(select(func.count(Period.id)).where(Period.is_closed.is_(True))) == 0


def test_a_year_before_its_end_with_a_reason_closes_and_the_reason_is_in_the_audit(rollover_school):
    a, admin = rollover_school, actor_of("a.admin")
    run_check(admin, a.year)
    preview = rollover.preview_close(admin, a.year)
    assert preview.early and preview.missing_total > 0 and "30.06.2027" in preview.problems()[0]
    reason = "Реорганизация: школа присоединена к лицею № 3 (приказ № 112 от 01.12.2026)"
    close_year(admin, a.year, "2026/2027", reason)
    assert is_closed(AcademicYear, a.year.id)
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "close_year")).one()
    assert row.entity == "academic_year" and row.entity_id == a.year.id and row.user_id == a.admin.user_id
    assert row.changes["reason"] == [None, reason] and reason in row.summary
    assert any("30.06.2027" in w for w in row.changes["warnings"][1])
    step = db.session.scalar(select(RolloverStep).where(RolloverStep.year_id == a.year.id, RolloverStep.step == 2))
    assert reason in step.summary and "до окончания" in step.summary
    # its four periods were closed with it, the early ones too
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "close")) == 4


def test_a_year_after_its_end_closes_with_its_name_and_no_reason(rollover_school):
    a, admin = rollover_school, actor_of("a.admin")
    with clock.frozen(date(2027, 7, 1)):
        run_check(admin, a.year)
        assert not rollover.preview_close(admin, a.year).early
        with pytest.raises(DomainError, match="Подтвердите"):
            close_year(admin, a.year, None, None)
        close_year(admin, a.year, "2026/2027", None)
    assert is_closed(AcademicYear, a.year.id)
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "close_year")).one()
    assert "reason" not in row.changes


def test_the_wizard_s_step_two_shows_the_calendar_and_asks_for_the_name_and_a_reason(rollover_school, ro_browser):
    a = rollover_school
    b = ro_browser("a.admin")
    b.post(f"/rollover/step/1/?year_id={a.year.id}")
    url = f"/rollover/step/2/?year_id={a.year.id}"
    html = b.get(url).get_data(as_text=True)
    assert "ещё не окончен" in html and "30.06.2027" in html and 'name="reason"' in html and 'name="confirm"' in html
    assert "Не выставлены отметки за период и годовые" in html and "Годовая" in html
    # a refusal shows the step again with what was typed (issue 15.2), the message beside it
    resp = b.post(url, data={"confirm": "2026/2027"})
    assert resp.status_code == 200 and "причину" in resp.get_data(as_text=True)
    resp = b.post(url, data={"confirm": "2026", "reason": EARLY_REASON})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "введено неверно" in html and EARLY_REASON in html
    assert not is_closed(AcademicYear, a.year.id)
    b.post(url, data={"confirm": "2026/2027", "reason": EARLY_REASON})
    assert is_closed(AcademicYear, a.year.id)
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "close_year")).one()
    assert row.changes["reason"] == [None, EARLY_REASON]
