"""The year rollover wizard (SPEC §3 rule 6, issue 5): a small school goes from 2026/2027 into
2027/2028 step by step — each step's preview, its result, and running it again changes nothing."""
from datetime import date

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from models import (AcademicYear, AuditLog, CalendarDay, ClassMembership, Curriculum, CurriculumLine, Holiday,
                    MovementOrder, Period, RolloverStep, SchoolClass, Student, Subgroup, TeachingAssignment, db)
from services.rollover import year as rollover
from services.errors import DomainError, PermissionDenied
from tests.factories import EARLY_REASON, actor_of
from services.movement import orders as movement
from services.journal import periods
from tests.factories import mv_order

MODELS = (AcademicYear, Period, Holiday, CalendarDay, SchoolClass, Student, ClassMembership, MovementOrder,
          Curriculum, CurriculumLine, TeachingAssignment, Subgroup, RolloverStep)


def counts():
    db.session.expire_all()
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in MODELS}


def fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def next_year(org):
    return db.session.scalar(select(AcademicYear).where(AcademicYear.org_id == org.id,
                                                        AcademicYear.name == "2027/2028"))


def class_named(year, name):
    return db.session.scalar(select(SchoolClass).where(SchoolClass.year_id == year.id, SchoolClass.name == name))


def run_all(a, admin):
    rollover.run_check(admin, a.year)
    rollover.close_year(admin, a.year, a.year.name, EARLY_REASON)
    rollover.create_next_year(admin, a.year)
    rollover.transfer_students(admin, a.year, "45-у", date(2027, 5, 28))
    rollover.copy_planning(admin, a.year)


def test_the_wizard_takes_a_small_school_into_the_next_year(rollover_school):
    a, admin = rollover_school, actor_of("a.admin")
    year = rollover.source_year(a.org.id)
    assert year.id == a.year.id
    wizard = rollover.state(admin, year)
    assert [s.done for s in wizard.steps] == [False] * 5 and wizard.current == 1
    assert wizard.step(3).blocked.startswith("Сначала выполните шаг 1")
    with pytest.raises(DomainError):
        rollover.close_year(admin, year, year.name, EARLY_REASON)  # step by step

    # 1. The check lists open periods, marks not set (per class, subject and period), drafts.
    check = rollover.preview_check(admin, year)
    assert [p.name for p in check.open_periods] == ["1 четверть", "2 четверть", "3 четверть", "4 четверть"]
    missing = {(r.class_name, r.subject_name, r.period_name): r.missing for r in check.missing}
    assert missing[("5А", "Математика", "2 четверть")] == 1  # the student has his «5»
    assert missing[("5А", "Математика", "1 четверть")] == 2
    assert missing[("5А", "Математика", "Годовая")] == 1  # the classmate has his «2»
    assert missing[("11А", "Математика", "Годовая")] == 1
    assert check.drafts == [] and check.blocking == []
    assert rollover.run_check(admin, year).changed
    assert rollover.state(admin, year).step(1).done

    # 2. Closing: refused without the confirmation, then every period and the year.
    assert len(rollover.preview_close(admin, year).open_periods) == 4
    with pytest.raises(DomainError, match="Подтвердите"):
        rollover.close_year(admin, year, "", EARLY_REASON)
    assert not fresh(AcademicYear, year.id).is_closed
    rollover.close_year(admin, year, year.name, EARLY_REASON)
    assert fresh(AcademicYear, year.id).is_closed
    assert db.session.scalar(select(func.count(Period.id)).where(Period.year_id == year.id,
                                                                 Period.is_closed.is_(False))) == 0
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.entity == "period",
                                                                   AuditLog.action == "close")) == 4

    # 3. The next year: periods and holidays 52 weeks on (same weekdays), anchored to the year's ends.
    plan = rollover.plan_next_year(admin, year)
    assert (plan.name, plan.start, plan.end) == ("2027/2028", date(2027, 9, 1), date(2028, 6, 30))
    dates = {r.source.name: (r.start, r.end) for r in plan.periods}
    assert dates["1 четверть"] == (date(2027, 9, 1), date(2027, 10, 24))
    assert dates["2 четверть"] == (date(2027, 11, 4), date(2027, 12, 27))
    assert dates["4 четверть"] == (date(2028, 3, 30), date(2028, 6, 30))
    assert {r.source.name: (r.start, r.end) for r in plan.holidays}["Осенние каникулы"] == \
        (date(2027, 10, 25), date(2027, 11, 3))
    days = {d: (w, note) for d, w, note in plan.days}
    assert days[date(2027, 11, 4)][0] is False and "112" in days[date(2027, 11, 4)][1]
    assert date(2028, 1, 3) in days and date(2028, 1, 1) not in days  # a Saturday needs no exception
    assert "31.12.2026" in days[date(2027, 12, 30)][1]  # the old year's transfer, 52 weeks on
    assert len(plan.days) == 12
    rollover.create_next_year(admin, year)
    new = next_year(a.org)
    periods = db.session.scalars(select(Period).where(Period.year_id == new.id).order_by(Period.start_date)).all()
    assert [(p.name, p.start_date, p.is_closed) for p in periods][0] == ("1 четверть", date(2027, 9, 1), False)
    assert len(periods) == 4
    assert db.session.scalar(select(func.count(Holiday.id)).where(Holiday.year_id == new.id)) == 3
    assert db.session.get(CalendarDay, db.session.scalar(select(CalendarDay.id).where(
        CalendarDay.org_id == a.org.id, CalendarDay.day == date(2027, 11, 4)))).is_working is False

    # 4. The transfer: 5А → 6А with its class teacher, the repeater to the new 5А, 11А graduates.
    moves = {c.klass.name: (c.students, c.target) for c in rollover.preview_transfer(admin, year).classes}
    assert moves == {"5А": (2, "6 класс"), "6Б": (1, "7 класс"), "11А": (1, "выпуск")}
    with pytest.raises(DomainError, match="номер приказа"):
        rollover.transfer_students(admin, year, " ", date(2027, 5, 28))
    rollover.transfer_students(admin, year, "45-у", date(2027, 5, 28))
    six_a, five_a, seven_b = class_named(new, "6А"), class_named(new, "5А"), class_named(new, "7Б")
    assert six_a.class_teacher_id == a.class_teacher.id and six_a.grade == 6
    assert fresh(Student, a.student.id).class_id == six_a.id
    assert fresh(Student, a.classmate.id).class_id == five_a.id
    assert fresh(Student, a.stranger.id).class_id == seven_b.id
    assert fresh(Student, a.graduate.id).status == "graduated"
    assert db.session.scalar(select(func.count(MovementOrder.id)).where(MovementOrder.status == "applied")) == 3
    assert rollover.preview_transfer(admin, year).left == 0

    # 5. Curricula and assignments: each class's load goes to the class it became, hours from the plan.
    preview = rollover.preview_planning(admin, year)
    statuses = {(r.source.klass.name, r.source.subject.name, r.source.teacher_id): r.status
                for r in preview.assignments}
    assert statuses[("5А", "ОДНКНР", a.deputy.id)].startswith("предмета нет в учебном плане 6")
    assert statuses[("11А", "Математика", a.teacher.id)] == "11А не переводится в новый год"
    assert len(preview.new_assignments) == 5
    rollover.copy_planning(admin, year)
    assert db.session.scalar(select(func.count(Curriculum.id)).where(Curriculum.year_id == new.id)) == 3
    carried = {(x.klass.name, x.subject.name, x.subgroup.name if x.subgroup else None, x.teacher_id): x.hours_per_week
               for x in db.session.scalars(select(TeachingAssignment).where(TeachingAssignment.year_id == new.id))}
    assert carried == {("6А", "Математика", None, a.teacher.id): 5, ("6А", "Русский язык", None, a.deputy.id): 6,
                       ("6А", "Английский язык", "1 группа", a.teacher.id): 3,
                       ("6А", "Английский язык", "2 группа", a.deputy.id): 3,
                       ("7Б", "Математика", None, a.teacher.id): None}

    wizard = rollover.state(admin, year)
    assert all(s.done for s in wizard.steps) and wizard.progress == 100
    assert rollover.source_year(a.org.id).id == new.id  # the next rollover starts from the new year

    # Every step again: nothing more is made.
    before = counts()
    results = [rollover.run_check(admin, year), rollover.close_year(admin, year, year.name, EARLY_REASON),
               rollover.create_next_year(admin, year),
               rollover.transfer_students(admin, year, "46-у", date(2027, 5, 29)),
               rollover.copy_planning(admin, year)]
    assert not any(r.changed for r in results)
    assert counts() == before


def test_step_three_interrupted_is_rolled_back_and_completes_on_the_next_run(rollover_school):
    a, admin = rollover_school, actor_of("a.admin")
    rollover.run_check(admin, a.year)
    rollover.close_year(admin, a.year, a.year.name, EARLY_REASON)
    before = counts()

    def broken(session, flush_context, instances):  # the year and its periods are flushed already
        if any(isinstance(o, CalendarDay) for o in session.new):
            raise RuntimeError("сбой после периодов и каникул")
    event.listen(Session, "before_flush", broken)
    try:
        with pytest.raises(RuntimeError):
            rollover.create_next_year(admin, a.year)
    finally:
        event.remove(Session, "before_flush", broken)
    assert counts() == before  # no year, no periods, no holidays
    assert not rollover.state(admin, a.year).step(3).done
    rollover.create_next_year(admin, a.year)
    after = counts()
    assert (after["AcademicYear"], after["Period"] - before["Period"],
            after["Holiday"] - before["Holiday"]) == (3, 4, 3)
    rollover.create_next_year(admin, a.year)
    assert counts() == after


def test_step_four_interrupted_between_orders_keeps_the_drafts_and_applies_them_all_on_the_next_run(
        rollover_school, monkeypatch):

    a, admin = rollover_school, actor_of("a.admin")
    rollover.run_check(admin, a.year)
    rollover.close_year(admin, a.year, a.year.name, EARLY_REASON)
    rollover.create_next_year(admin, a.year)
    real = movement.apply_order
    calls = []

    def flaky(actor, order_id):
        calls.append(order_id)
        if len(calls) == 2:
            raise RuntimeError("обрыв связи")
        return real(actor, order_id)
    monkeypatch.setattr(movement, "apply_order", flaky)
    with pytest.raises(RuntimeError):
        rollover.transfer_students(admin, a.year, "45-у", date(2027, 5, 28))
    statuses = sorted(db.session.scalars(select(MovementOrder.status)))
    assert statuses == ["draft", "draft", "draft"]  # the first order's application is rolled back too
    assert not rollover.state(admin, a.year).step(4).done
    monkeypatch.undo()
    rollover.transfer_students(admin, a.year, "", None)  # the drafts carry their number and date
    assert sorted(db.session.scalars(select(MovementOrder.status))) == ["applied"] * 3
    new = next_year(a.org)
    assert db.session.scalar(select(func.count(SchoolClass.id)).where(SchoolClass.year_id == new.id)) == 3
    open_memberships = db.session.execute(select(ClassMembership.student_id, func.count()).where(
        ClassMembership.end_date.is_(None)).group_by(ClassMembership.student_id)).all()
    assert all(n == 1 for _, n in open_memberships)
    assert rollover.state(admin, a.year).step(4).done


def test_step_five_interrupted_is_rolled_back_and_completes_once_on_the_next_run(rollover_school, monkeypatch):
    a, admin = rollover_school, actor_of("a.admin")
    rollover.run_check(admin, a.year)
    rollover.close_year(admin, a.year, a.year.name, EARLY_REASON)
    rollover.create_next_year(admin, a.year)
    rollover.transfer_students(admin, a.year, "45-у", date(2027, 5, 28))

    def broken(*args):
        raise RuntimeError("сбой в конце шага")
    monkeypatch.setattr(rollover, "_record", broken)
    with pytest.raises(RuntimeError):
        rollover.copy_planning(admin, a.year)
    new = next_year(a.org)
    assert db.session.scalar(select(func.count(TeachingAssignment.id)).where(TeachingAssignment.year_id == new.id)) == 0
    assert db.session.scalar(select(func.count(Curriculum.id)).where(Curriculum.year_id == new.id)) == 0
    monkeypatch.undo()
    rollover.copy_planning(admin, a.year)
    done = counts()
    assert db.session.scalar(select(func.count(TeachingAssignment.id)).where(TeachingAssignment.year_id == new.id)) == 5
    assert done["CurriculumLine"] == 16  # 8 of the old year, 8 copied once
    rollover.copy_planning(admin, a.year)
    assert counts() == done


def test_step_two_interrupted_is_rolled_back_and_closes_everything_on_the_next_run(rollover_school, monkeypatch):
    a, admin = rollover_school, actor_of("a.admin")
    rollover.run_check(admin, a.year)
    real, calls = periods.close_period, []

    def flaky(actor, period_id, confirm=None):
        calls.append(period_id)
        if len(calls) == 3:
            raise RuntimeError("сбой")
        return real(actor, period_id, confirm)
    monkeypatch.setattr(periods, "close_period", flaky)
    with pytest.raises(RuntimeError):
        rollover.close_year(admin, a.year, a.year.name, EARLY_REASON)
    assert not fresh(AcademicYear, a.year.id).is_closed
    assert db.session.scalar(select(func.count(Period.id)).where(Period.is_closed.is_(True))) == 0
    monkeypatch.undo()
    rollover.close_year(admin, a.year, a.year.name, EARLY_REASON)
    assert fresh(AcademicYear, a.year.id).is_closed
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "close")) == 4


def test_a_draft_order_within_the_year_stops_the_closing(rollover_school):
    a, admin = rollover_school, actor_of("a.admin")
    draft = mv_order(a.org, "transfer", date(2026, 12, 1), [(a.student, a.other_class)], number="77-п", apply=False)
    rollover.run_check(admin, a.year)
    check = rollover.preview_check(admin, a.year)
    assert [o.id for o in check.blocking] == [draft.id]
    with pytest.raises(DomainError) as caught:
        rollover.close_year(admin, a.year, a.year.name, EARLY_REASON)
    assert "77-п" in str(caught.value)
    assert not fresh(AcademicYear, a.year.id).is_closed
    assert db.session.scalar(select(func.count(Period.id)).where(Period.is_closed.is_(True))) == 0


@pytest.mark.parametrize("login", ["a.deputy", "a.director", "a.hr", "a.teacher", "a.class_teacher", "b.admin"])
def test_only_the_administrator_of_the_organization_runs_the_steps(rollover_school, login):
    actor = actor_of(login)
    with pytest.raises(PermissionDenied):
        rollover.run_check(actor, rollover_school.year)
    with pytest.raises(PermissionDenied):
        rollover.close_year(actor, rollover_school.year, rollover_school.year.name, EARLY_REASON)
    with pytest.raises(PermissionDenied):
        rollover.create_next_year(actor, rollover_school.year)
    assert not fresh(AcademicYear, rollover_school.year.id).is_closed
    assert db.session.scalar(select(func.count(RolloverStep.id))) == 0


def test_the_director_sees_the_preview_and_others_do_not(rollover_school):
    rollover.preview_check(actor_of("a.director"), rollover_school.year)
    for login in ("a.deputy", "a.teacher", "b.admin", "b.director"):
        with pytest.raises(PermissionDenied):
            rollover.preview_check(actor_of(login), rollover_school.year)
