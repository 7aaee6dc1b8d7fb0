"""The demo school's movement book: every student has his class history, one applied mid-year
transfer between classes and one applied withdrawal with its destination show in the reports."""
from datetime import date

import pytest
from sqlalchemy import func, select

from models import ClassMembership, MovementOrder, Organization, Staff, Student, db
from reports.class_fill import class_fill
from reports.movement import school_movement
from services.context import Actor
from services.demo.school import create_demo

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize("kind", ["school", "college"])
def test_the_demo_has_history_and_movement_to_report(kind):
    create_demo(kind=kind, password="demo-pass-2026", today=TODAY, students_per_class=4)
    db.session.commit()  # as the `demo-data` command's unit of work does
    org = db.session.scalar(select(Organization))
    students = db.session.scalars(select(Student)).all()
    with_history = set(db.session.scalars(select(ClassMembership.student_id)))
    assert {s.id for s in students} == with_history
    orders = db.session.scalars(select(MovementOrder).order_by(MovementOrder.effective_date)).all()
    leaving = "expulsion" if kind == "college" else "withdrawal"
    # ОО-1's movers before its date (services/demo/oo1.py), then the transfer and the one who left
    assert [(o.kind, o.status) for o in orders] == [("enrollment", "applied"), (leaving, "applied"),
                                                    ("transfer", "applied"), (leaving, "applied")]
    assert orders[3].items[0].destination and orders[3].items[0].reason
    left = db.session.get(Student, orders[3].items[0].student_id)
    assert left.status == "withdrawn"
    admin = db.session.scalar(select(Staff).where(Staff.user_id.is_not(None), Staff.role_rows.any(role="admin")))
    actor = Actor.for_user(admin.user)
    year_start = orders[0].year.start_date
    report = school_movement(actor, year_start, TODAY)
    assert (report.total.enrolled, report.total.from_class, report.total.to_class,
            report.total.left_institution) == (1, 1, 1, 2)
    assert report.total.at_end == report.total.at_start + 1 - 2 == len(students) - 2
    assert class_fill(actor, TODAY).total.total == len(students) - 2
    assert db.session.scalar(select(func.count(ClassMembership.id))) == len(students) + 1
    assert org is not None
