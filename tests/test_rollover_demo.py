"""Issue 5's full cycle on the demo school itself: the wizard takes it into the next year, and
running every step again (as after an interruption) changes nothing more."""
from datetime import date

from sqlalchemy import func, select

from models import (AcademicYear, ClassMembership, MovementOrder, Period, SchoolClass, Student,
                    TeachingAssignment, User, db)
from services.rollover import year as rollover
from services.context import Actor
from services.demo.school import create_demo
from tests.factories import EARLY_REASON

MODELS = (AcademicYear, Period, SchoolClass, Student, ClassMembership, MovementOrder, TeachingAssignment)


def counts():
    db.session.expire_all()
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in MODELS}


def test_the_demo_school_goes_into_the_next_year_and_a_rerun_changes_nothing():
    accounts = create_demo(password="demo-pass-1", today=date(2026, 11, 22))
    db.session.commit()  # as the `demo-data` command's unit of work does
    admin_login = next(a.login for a in accounts if a.role == "Администратор системы")
    admin = Actor.for_user(db.session.scalar(select(User).where(User.login == admin_login)))
    year = rollover.source_year(admin.org_id)
    fifth = db.session.scalar(select(SchoolClass).where(SchoolClass.year_id == year.id, SchoolClass.name == "5А"))
    fifth_students = {s.id for s in db.session.scalars(select(Student).where(
        Student.class_id == fifth.id, Student.status == "studying"))}
    class_teacher_id = fifth.class_teacher_id

    def run_all():
        rollover.run_check(admin, year)
        rollover.close_year(admin, year, year.name, EARLY_REASON)
        rollover.create_next_year(admin, year)
        rollover.transfer_students(admin, year, "45-у", date(2027, 5, 28))
        rollover.copy_planning(admin, year)

    run_all()
    db.session.expire_all()
    assert db.session.get(AcademicYear, year.id).is_closed
    new_year = db.session.scalar(select(AcademicYear).where(AcademicYear.org_id == admin.org_id,
                                                            AcademicYear.name == "2027/2028"))
    assert new_year is not None and len(new_year.periods) == 4
    sixth = db.session.scalar(select(SchoolClass).where(SchoolClass.year_id == new_year.id,
                                                        SchoolClass.name == "6А"))
    assert sixth is not None and sixth.class_teacher_id == class_teacher_id
    moved = {s.id for s in db.session.scalars(select(Student).where(Student.class_id == sixth.id))}
    assert moved and moved <= fifth_students  # 5А went up, less any repeater
    assert db.session.scalar(select(func.count(TeachingAssignment.id)).where(
        TeachingAssignment.year_id == new_year.id)) > 0

    before = counts()
    run_all()
    assert counts() == before
