"""The journal refuses entries outside a student's stay (issue 13.4), on every write path: the grid's
marks and attendance, period marks (the grid, the «Итоговые отметки» page), exam results. A withdrawal
after a period's end does not freeze that period's marks.

World A, Математика: 5А by a.teacher, 6Б by a.deputy; 1st quarter 01.09–24.10, 2nd 05.11–28.12.
Соседов leaves the school on 12.11 (after the 1st quarter); Чужов comes from 6Б to 5А on 12.11.
"""
from datetime import date, time

import pytest
from sqlalchemy import select

from models import AuditLog, ExamEntry, ExamResult, Period, PeriodMark, db
from services.journal import finals
from services.errors import DomainError, PermissionDenied
from services.journal.grid_save import save_entries
from services.journal.period_marks import set_period_mark
from tests.helpers import InUnits, in_unit
from tests.factories import (actor_of, jr_assignment, jr_lessons, jr_subject, jr_task, mv_order, mv_transfer,
                             mv_withdraw, ro_college)
from tests.helpers import field, grid_url, login, post_payload

# Each service call is its own unit of work, as each request is (services/uow.py).
finals = InUnits(finals)
save_entries, set_period_mark = in_unit(save_entries), in_unit(set_period_mark)

D = date


@pytest.fixture
def sw(world):
    a = world.a
    a.q1 = Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=1, name="1 четверть",
                  start_date=D(2026, 9, 1), end_date=D(2026, 10, 24))
    db.session.add(a.q1)
    a.math = jr_subject(a.org, "Математика")
    a.m5 = jr_assignment(a.org, a.year, a.klass, a.teacher, a.math)
    a.m6 = jr_assignment(a.org, a.year, a.other_class, a.deputy, a.math)
    a.before, a.after = jr_lessons(a.m5, a.period, [D(2026, 11, 9), D(2026, 11, 16)])
    a.task_before, a.task_after = jr_task(a.before), jr_task(a.after)
    db.session.commit()
    mv_withdraw(a.classmate, D(2026, 11, 12))
    mv_transfer(a.stranger, a.klass, D(2026, 11, 12))
    return a


def errors_of(call):
    with pytest.raises(DomainError) as caught:
        call()
    return " | ".join(caught.value.errors or [caught.value.message])


# -- marks and attendance of the grid ----------------------------------------------------------------

def test_marks_and_attendance_outside_a_stay_are_refused_by_the_grid_save(sw):
    a, teacher = sw, actor_of("a.teacher")
    refused = errors_of(lambda: save_entries(teacher, a.m5.id, {
        "marks": [{"task_id": a.task_before.id, "student_id": a.stranger.id, "value": "5"}],
        "attendance": [{"lesson_id": a.after.id, "student_id": a.classmate.id, "code": "н"}]}))
    assert "Чужов И. И. не числится в составе класса 5А на 09.11.2026" in refused  # before he came
    assert "Соседов С. И. не числится в составе класса 5А на 16.11.2026" in refused  # after he left
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.entity.in_(("mark", "attendance")))) is None
    # Within their stays both are written, whatever the status now (the one who left included).
    save_entries(teacher, a.m5.id, {
        "marks": [{"task_id": a.task_before.id, "student_id": a.classmate.id, "value": "4"},
                  {"task_id": a.task_after.id, "student_id": a.stranger.id, "value": "5"}],
        "attendance": [{"lesson_id": a.after.id, "student_id": a.stranger.id, "code": "н"}]})
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.entity == "mark")) is not None


def test_the_grid_page_refuses_an_entry_before_the_arrival(sw, browser):
    a = sw
    b = login(browser, "a.teacher")
    resp = post_payload(b, a.m5, a.period, {"marks": [
        {"task_id": a.task_before.id, "student_id": a.stranger.id, "value": "5", "version": None}]})
    assert resp.status_code == 400
    assert "Чужов И. И. не числится в составе класса 5А на 09.11.2026" in resp.get_json()["message"]


# -- period marks -------------------------------------------------------------------------------------

def test_a_period_mark_is_of_the_class_he_is_in_on_the_period_s_last_day(sw):
    a, teacher = sw, actor_of("a.teacher")
    # Left on 12.11, after the 1st quarter: its mark stays his teacher's to set.
    set_period_mark(teacher, a.classmate.id, a.math.id, a.year.id, "period", a.q1.id, "4")
    message = errors_of(lambda: set_period_mark(teacher, a.classmate.id, a.math.id, a.year.id, "period",
                                                a.period.id, "4"))
    assert "Соседов С. И. не числится в составе класса на 28.12.2026 (последний день периода «2 четверть»)" in message
    assert "конец учебного года" in errors_of(
        lambda: set_period_mark(teacher, a.classmate.id, a.math.id, a.year.id, "year", None, "4"))
    # Came on 12.11: his 1st quarter is 6Б's (its teacher sets it), his 2nd is 5А's.
    with pytest.raises(PermissionDenied, match="Чужов"):
        set_period_mark(teacher, a.stranger.id, a.math.id, a.year.id, "period", a.q1.id, "3")
    set_period_mark(actor_of("a.deputy"), a.stranger.id, a.math.id, a.year.id, "period", a.q1.id, "3")
    set_period_mark(teacher, a.stranger.id, a.math.id, a.year.id, "period", a.period.id, "5")
    got = {(m.student_id, m.period_id): m.value for m in db.session.scalars(select(PeriodMark))}
    assert got == {(a.classmate.id, a.q1.id): "4", (a.stranger.id, a.q1.id): "3", (a.stranger.id, a.period.id): "5"}
    audited = db.session.scalars(select(AuditLog).where(AuditLog.entity == "period_mark")).all()
    assert len(audited) == 3


def test_a_withdrawal_after_the_period_does_not_freeze_its_marks_on_the_pages(sw, browser):
    a = sw
    b = login(browser, "a.teacher")
    grid = b.get(grid_url(a.m5, a.q1)).get_data(as_text=True)
    row = grid[grid.index(f'data-student="{a.classmate.id}"'):]
    assert "jc pm" in row[:row.index("</tr>")]
    grid = b.get(grid_url(a.m5, a.period)).get_data(as_text=True)
    row = grid[grid.index(f'data-student="{a.classmate.id}"'):]
    assert "jc pm" not in row[:row.index("</tr>")]
    sheet_url = f"/finals/{a.klass.id}/{a.math.id}/"
    sheet = b.get(sheet_url).get_data(as_text=True)
    assert f'name="{a.classmate.id}:p{a.q1.id}"' in sheet
    assert f'name="{a.classmate.id}:p{a.period.id}"' not in sheet and f'name="{a.classmate.id}:year"' not in sheet
    assert f'name="{a.stranger.id}:p{a.q1.id}"' not in sheet and f'name="{a.stranger.id}:p{a.period.id}"' in sheet
    assert b.post(sheet_url, field(a.classmate, f"p{a.q1.id}", "5")).status_code == 303
    refused = b.post(sheet_url, field(a.classmate, f"p{a.period.id}", "5"))
    assert refused.status_code == 400 and "последний день периода" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert [m.value for m in db.session.scalars(select(PeriodMark))] == ["5"]


# -- exam results ----------------------------------------------------------------------------------

def test_exam_results_outside_a_stay_are_refused_and_a_later_withdrawal_freezes_nothing(world):
    c = ro_college()
    entry = ExamEntry(org_id=c.org.id, year_id=c.year.id, period_id=c.sem1.id, kind="diff_credit",
                      subject_id=c.graphics.id, class_id=c.group.id, date=D(2026, 11, 16), starts_at=time(17),
                      ends_at=time(18, 30), examiner_id=c.teacher.id)
    db.session.add(entry)
    db.session.commit()
    gone, after, _ = c.students
    mv_order(c.org, "expulsion", D(2026, 11, 10), [(gone, None, "other_school", "—")])
    mv_order(c.org, "expulsion", D(2026, 11, 18), [(after, None, "other_school", "—")])
    teacher = actor_of("c.teacher")
    assert "Аксёнов С. И. не числится в составе группы ТМ-21 на 16.11.2026" in errors_of(
        lambda: finals.set_exam_result(teacher, entry.id, gone.id, "5"))
    assert finals.set_exam_result(teacher, entry.id, after.id, "4") == 1
    assert [r.value for r in db.session.scalars(select(ExamResult))] == ["4"]
    sheet = finals.exam_sheet(teacher, entry.id)
    assert [(r.name, r.cell.editable) for r in sheet.rows] == [("Борисов С. И.", False), ("Волков С. И.", True)]
