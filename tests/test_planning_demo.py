"""The demo institution comes with its planning: subjects by area, a curriculum per grade level,
an assignment for every subject of every class, a split class and КТП that match the curriculum."""
import pytest
from sqlalchemy import func, select

from models import (Curriculum, EducationalArea, Organization, SchoolClass, Subgroup, SubgroupMember, Subject,
                    TeachingAssignment, ThematicPlan, db)
from services.planning import ktp
from services.planning import subjects as planning
from services.context import Actor
from services.demo.school import create_demo
from services.org.years import current_year


@pytest.mark.parametrize("kind", ["school", "college"])
def test_the_demo_has_a_complete_plan(kind):
    create_demo(kind=kind, password="demo-pass-123")
    db.session.commit()  # as the `demo-data` command's unit of work does
    org = db.session.scalars(select(Organization)).one()
    actor = Actor.system_actor(org)
    year = current_year(org)
    classes = db.session.scalars(select(SchoolClass)).all()
    assert db.session.scalar(select(func.count(EducationalArea.id))) >= 4
    assert db.session.scalar(select(func.count(Subject.id))) >= 8
    if kind == "college":
        assert {s.kind for s in db.session.scalars(select(Subject))} >= {"discipline", "mdk", "module", "practice"}
    assert {c.grade for c in db.session.scalars(select(Curriculum))} == {k.grade for k in classes}

    rows = ktp.ktp_control(actor, year)
    assert {r.assignment.class_id for r in rows} == {k.id for k in classes}
    assert all(r.status != "no_curriculum" for r in rows)
    attached = [r for r in rows if r.assignment.thematic_plan_id]
    assert len({r.assignment.thematic_plan_id for r in attached}) >= 2
    assert all(r.status == "ok" for r in attached), [(r.assignment, r.status) for r in attached]
    assert db.session.scalar(select(func.count(ThematicPlan.id))) >= 2

    split = db.session.scalars(select(Subgroup)).all()
    assert len(split) == 2 and len({(s.class_id, s.subject_id) for s in split}) == 1
    klass = db.session.get(SchoolClass, split[0].class_id)
    for period in year.periods:
        members = db.session.scalars(select(SubgroupMember.student_id).where(
            SubgroupMember.period_id == period.id)).all()
        assert sorted(members) == sorted(s.id for s in planning.class_students(klass))
    assert db.session.scalar(select(func.count(TeachingAssignment.id)).where(
        TeachingAssignment.subgroup_id.is_not(None))) == 2
