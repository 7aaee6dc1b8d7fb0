"""The movement book under concurrent requests, on SQLite (a file, as `make run` serves it) and on
PostgreSQL: each request is a thread with its own session; the first is held at its commit so that
the others provably act while its change is not yet committed (tests/threads.py).

One order applied by eight requests at once moves its students once; two orders moving one student
at once — a transfer and a withdrawal, two enrollments — leave him in one place; the others get a
Russian message, never a second stay."""
from datetime import date

import pytest
from sqlalchemy import func, select

from models import ClassMembership, MovementOrder, Organization, Student, db
from services.movement import orders as movement
from services.context import Actor
from services.errors import DomainError
from tests.factories import mv_order, next_snils
from tests.concurrency import run_held_then

# Real commits: threads with connections of their own (tests/concurrency.py).
pytestmark = pytest.mark.real_commits

D = date


def applying(order):
    org_id, order_id = order.org_id, order.id

    def run():
        return movement.apply_order(Actor.system_actor(db.session.get(Organization, org_id)), order_id).id
    return run


def stays(student):
    """(class id, open?) of each of the student's stays, oldest first."""
    db.session.expire_all()
    return [(m.class_id, m.end_date is None) for m in db.session.scalars(
        select(ClassMembership).where(ClassMembership.student_id == student.id).order_by(ClassMembership.id))]


def status_of(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk).status


def test_one_order_applied_by_eight_requests_at_once_moves_its_students_once(app, world):
    a = world.a
    order = mv_order(a.org, "transfer", D(2026, 11, 16), [(a.student, a.other_class), (a.classmate, a.other_class)],
                     apply=False)
    db.session.commit()
    first, others, waited, _ = run_held_then(app, *[applying(order)] * 8)
    assert first.error is None and waited
    assert all(isinstance(w.error, DomainError) and "уже проведён" in str(w.error) for w in others), \
        [w.error for w in others]
    for student in (a.student, a.classmate):
        assert stays(student) == [(a.klass.id, False), (a.other_class.id, True)]
    assert status_of(MovementOrder, order.id) == "applied"


def test_a_transfer_and_a_withdrawal_of_one_student_at_once_leave_him_in_one_place(app, world):
    a = world.a
    transfer = mv_order(a.org, "transfer", D(2026, 11, 16), [(a.student, a.other_class)], apply=False)
    withdrawal = mv_order(a.org, "withdrawal", D(2026, 11, 17),
                          [(a.student, None, "other_school", "МБОУ «СОШ № 1», г. Тест")], apply=False)
    db.session.commit()
    first, (second,), _, _ = run_held_then(app, applying(transfer), applying(withdrawal))
    assert first.error is None
    assert isinstance(second.error, DomainError) and "Учеников" in str(second.error), second.error
    assert stays(a.student) == [(a.klass.id, False), (a.other_class.id, True)]
    assert status_of(Student, a.student.id) == "studying"
    assert status_of(MovementOrder, withdrawal.id) == "draft"


def test_two_enrollments_of_a_student_without_history_at_once_enroll_him_once(app, world):
    """No stay to lock (PostgreSQL's FOR UPDATE finds no row): the unique open stay refuses the second."""
    a = world.a
    returning = Student(org_id=a.org.id, last_name="Вернувшийся", first_name="Олег", middle_name="Петрович", sex="m",
                        birth_date=D(2015, 1, 1), snils=next_snils(), personal_file_number="В-1",
                        enrollment_order_number="1-у", enrollment_order_date=D(2025, 8, 28), status="withdrawn")
    db.session.add(returning)
    db.session.commit()
    orders = [mv_order(a.org, "enrollment", D(2026, 11, 16), [(returning, klass)], apply=False)
              for klass in (a.klass, a.other_class)]
    db.session.commit()
    first, (second,), _, _ = run_held_then(app, applying(orders[0]), applying(orders[1]))
    assert first.error is None
    assert isinstance(second.error, DomainError), second.error
    assert stays(returning) == [(a.klass.id, True)]
    assert db.session.scalar(select(func.count()).select_from(MovementOrder)
                             .where(MovementOrder.status == "applied")) == 1
