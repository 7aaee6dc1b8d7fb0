"""The colleges' technical transfer between semesters (seed 000 §4.1): the students stay in their
groups, the 2nd semester's hours of the curriculum become the groups' load, the subgroups carry
over; running it again changes nothing; only the administrator of a college runs it."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from models import Period, SemesterSwitch, Student, SubgroupMember, TeachingAssignment, db
from services.rollover import semester
from services.errors import DomainError, PermissionDenied
from tests.factories import actor_of, make_student, ro_college

AFTER = date(2027, 1, 11)


@pytest.fixture
def college(world):
    return ro_college()


def hours(assignment):
    db.session.expire_all()
    return db.session.get(TeachingAssignment, assignment.id).hours_per_week


def test_the_preview_shows_the_second_semester_s_load(college):
    c = college
    late = make_student(c.org, c.group, "Гусев", "Студент", birth=date(2008, 1, 1), passport_series="4510",
                        passport_number="200001", passport_date=date(2022, 2, 2), passport_issued_by="ОВД")
    db.session.commit()
    plan = semester.preview(actor_of("c.admin"), c.year, today=AFTER)
    # The second semester's working days: 2027 less its statutory holidays (1–8 January, 23 February, 8 March,
    # 1 and 9 May, moved off a weekend), which a new organization's calendar holds beyond the official file.
    assert (plan.source.id, plan.target.id, plan.weeks) == (c.sem1.id, c.sem2.id, 24)
    rows = {r.assignment.subject_id: r for r in plan.rows}
    assert rows[c.graphics.id].semester_hours == 0 and rows[c.graphics.id].new_weekly == 0
    assert rows[c.mdk.id].semester_hours == 60 and rows[c.mdk.id].new_weekly == Decimal("2.5")
    assert [(k.name, s.name, h) for k, s, h in plan.unassigned] == [("ТМ-21", "Материаловедение", 48)]
    [split] = plan.splits
    assert len(split.members) == 3 and split.unplaced == [f"{late.last_name} {late.first_name}"]
    assert any("не закрыт" in w for w in plan.warnings)


def test_the_switch_makes_the_second_semester_active_once(college):
    c = college
    admin = actor_of("c.admin")
    assert semester.active_semester(c.year).id == c.sem1.id
    summary = semester.switch(admin, c.year, close_previous=True, today=AFTER)
    assert "2 семестр" in summary
    assert hours(c.graphics_load) == 0 and hours(c.mdk_load) == Decimal("2.5")
    assert semester.active_semester(c.year).id == c.sem2.id
    # The 1st semester has not ended by the tests' today and its marks are not set: closing it needs its name
    # typed on the periods page (issue 15), so the switch leaves it open and says why.
    assert "«1 семестр» не закрыт" in summary and "«Учебные периоды»" in summary
    assert not db.session.get(Period, c.sem1.id).is_closed
    carried = dict(db.session.execute(select(SubgroupMember.student_id, SubgroupMember.subgroup_id)
                                      .where(SubgroupMember.period_id == c.sem2.id)).all())
    assert carried == {c.students[0].id: c.subgroups[0].id, c.students[1].id: c.subgroups[1].id,
                       c.students[2].id: c.subgroups[0].id}
    assert {s.class_id for s in db.session.scalars(select(Student).where(Student.org_id == c.org.id))} == {c.group.id}

    again = semester.switch(admin, c.year, today=AFTER)
    assert again.startswith("Перевод в «2 семестр» уже выполнен")
    assert db.session.scalar(select(func.count(SemesterSwitch.id))) == 1
    assert db.session.scalar(select(func.count(SubgroupMember.id)).where(SubgroupMember.period_id == c.sem2.id)) == 3


def test_an_interrupted_switch_changes_nothing_and_completes_next_time(college):
    c = college

    def broken(session, flush_context, instances):
        if any(isinstance(o, SemesterSwitch) for o in session.new):
            raise RuntimeError("сбой")
    event.listen(Session, "before_flush", broken)
    try:
        with pytest.raises(RuntimeError):
            semester.switch(actor_of("c.admin"), c.year, today=AFTER)
    finally:
        event.remove(Session, "before_flush", broken)
    assert hours(c.mdk_load) == Decimal(2)
    assert db.session.scalar(select(func.count(SubgroupMember.id)).where(SubgroupMember.period_id == c.sem2.id)) == 0
    semester.switch(actor_of("c.admin"), c.year, today=AFTER)
    assert hours(c.mdk_load) == Decimal("2.5")


def test_only_a_college_s_administrator_switches(world, college):
    with pytest.raises(DomainError, match="колледж"):
        semester.switch(actor_of("a.admin"), world.a.year)
    for login in ("c.deputy", "c.teacher", "a.admin"):
        with pytest.raises((PermissionDenied, DomainError)):
            semester.switch(actor_of(login), college.year, today=AFTER)
    semester.preview(actor_of("c.deputy"), college.year, today=AFTER)  # the deputy reads it
    assert hours(college.mdk_load) == Decimal(2)
    assert db.session.scalar(select(func.count(SemesterSwitch.id))) == 0


def test_the_page_for_the_administrator_of_a_college(college, ro_browser):
    b = ro_browser("c.admin")
    html = b.get(f"/semester/?year_id={college.year.id}").get_data(as_text=True)
    assert "1 семестр → 2 семестр" in html and "Материаловедение" in html
    assert b.post(f"/semester/?year_id={college.year.id}", data={"close_previous": "1"}).status_code == 302
    assert hours(college.mdk_load) == Decimal("2.5")
    assert ro_browser("c.deputy").post(f"/semester/?year_id={college.year.id}").status_code == 403
    assert ro_browser("a.admin").get("/semester/").status_code == 404  # a school has no semesters
    assert ro_browser("a.admin").get(f"/semester/?year_id={college.year.id}").status_code == 404
