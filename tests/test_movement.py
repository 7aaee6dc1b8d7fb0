"""The movement book's rules (services/movement/orders.py, guards.py) and the class history
(services/movement/roster.py): orders applied atomically, the lists of a class as of any date, applied orders
final, cancellation by a reverse order, numbering, and a card's class that only the book changes."""
from datetime import date

import pytest
from sqlalchemy import func, select

from models import ClassMembership, MovementItem, MovementOrder, Student, db
from services.movement import enrollment, guards
from services.movement import orders as movement_service
from services.movement.cli import cli as movement_cli
from services.movement import roster
from services.errors import DomainError
from tests.factories import (make_class, make_org, make_student, mv_actor, mv_backfill, mv_order, mv_transfer,
                             mv_withdraw, next_snils)
from tests.helpers import InUnits
from tests.querycount import count_queries

# Each service call is its own unit of work, as each request or command is (services/uow.py).
movement, enrollment = InUnits(movement_service), InUnits(enrollment)

D = date


def names(students):
    return [s.last_name for s in students]


def card(last, first="Иван", snils=None, **extra):
    return {"last_name": last, "first_name": first, "middle_name": "Петрович", "sex": "m", "birth_date": "12.03.2015",
            "snils": snils or next_snils(), "personal_file_number": f"Н-{last}", **extra}


def enroll_new(org, klass, day, *cards, number=None, apply=True):
    actor = mv_actor(org)
    order = movement.create_order(actor, "enrollment", number or movement.suggest_number(org.id, day), day)
    for fields in cards:
        enrollment.save_card(actor, order.id, fields, klass.id)
    if apply:
        movement.apply_order(actor, order.id)
    return order


def memberships(student):
    db.session.expire_all()
    return [(m.klass.name, m.start_date, m.end_date) for m in roster.history_of(student.id)]


def test_enroll_transfer_withdraw_the_lists_as_of_dates_before_and_after_each_order(world):
    a = world.a
    enroll_new(a.org, a.klass, D(2026, 10, 5), card("Новиков"))
    newcomer = db.session.scalar(select(Student).where(Student.last_name == "Новиков"))
    mv_transfer(a.classmate, a.other_class, D(2026, 10, 12))
    mv_withdraw(a.student, D(2026, 11, 2))
    db.session.expire_all()

    five_a, six_b = a.klass.id, a.other_class.id
    assert names(roster.class_roster(five_a, D(2026, 9, 15))) == ["Соседов", "Учеников"]
    assert names(roster.class_roster(five_a, D(2026, 10, 4))) == ["Соседов", "Учеников"]
    assert names(roster.class_roster(five_a, D(2026, 10, 5))) == ["Новиков", "Соседов", "Учеников"]
    assert names(roster.class_roster(five_a, D(2026, 10, 11))) == ["Новиков", "Соседов", "Учеников"]
    assert names(roster.class_roster(five_a, D(2026, 10, 12))) == ["Новиков", "Учеников"]
    assert names(roster.class_roster(five_a, D(2026, 11, 1))) == ["Новиков", "Учеников"]
    assert names(roster.class_roster(five_a, D(2026, 11, 2))) == ["Новиков"]
    assert names(roster.class_roster(six_b, D(2026, 10, 11))) == ["Чужов"]
    assert names(roster.class_roster(six_b, D(2026, 10, 12))) == ["Соседов", "Чужов"]
    assert roster.class_count(five_a, D(2026, 9, 1)) == 2 and roster.class_count(five_a, D(2026, 8, 31)) == 0
    assert roster.class_counts([five_a, six_b], D(2026, 10, 20)) == {five_a: 2, six_b: 2}
    assert roster.student_class_on(a.classmate.id, D(2026, 10, 11)).name == "5А"
    assert roster.student_class_on(a.classmate.id, D(2026, 10, 12)).name == "6Б"
    assert roster.student_class_on(a.student.id, D(2026, 11, 2)) is None
    assert roster.is_member(a.student.id, five_a, D(2026, 11, 1))
    assert not roster.is_member(a.student.id, five_a, D(2026, 11, 2))

    # The cards follow the book: the newcomer carries his order, the leaver keeps the class he left.
    assert (newcomer.class_id, newcomer.status, newcomer.enrollment_order_date) == (five_a, "studying", D(2026, 10, 5))
    assert newcomer.enrollment_order_number == "1"
    assert (a.classmate.class_id, a.classmate.status) == (six_b, "studying")
    assert (a.student.class_id, a.student.status) == (five_a, "withdrawn")
    assert memberships(a.classmate) == [("5А", D(2026, 9, 1), D(2026, 10, 11)), ("6Б", D(2026, 10, 12), None)]


def test_roster_between_gives_each_student_his_own_dates_in_one_query(world):
    a = world.a
    mv_transfer(a.classmate, a.other_class, D(2026, 11, 16))
    mv_withdraw(a.student, D(2026, 12, 1))
    db.session.expire_all()
    five_a, six_b, start, end = a.klass.id, a.other_class.id, a.period.start_date, a.period.end_date
    with count_queries() as statements:
        entries = roster.roster_between(five_a, start, end)
    assert len(statements) == 1
    got = {e.student.last_name: e.ranges for e in entries}
    assert got == {"Соседов": [(D(2026, 11, 5), D(2026, 11, 15))], "Учеников": [(D(2026, 11, 5), D(2026, 11, 30))]}
    moved = next(e for e in entries if e.student.last_name == "Соседов")
    assert moved.covers(D(2026, 11, 15)) and not moved.covers(D(2026, 11, 16))
    assert not moved.whole(start, end)
    other = roster.roster_between(six_b, start, end)
    assert {e.student.last_name: e.ranges for e in other} == {
        "Соседов": [(D(2026, 11, 16), D(2026, 12, 28))], "Чужов": [(D(2026, 11, 5), D(2026, 12, 28))]}
    with count_queries() as statements:
        both = roster.rosters_between([five_a, six_b], start, end)
    assert len(statements) == 1 and len(both[five_a]) == 2 and len(both[six_b]) == 2
    ids = set(db.session.scalars(select(Student.id).where(Student.id.in_(
        roster.member_ids(a.klass.id, D(2026, 11, 20), D(2026, 11, 30))))))
    assert ids == {a.student.id}


def test_applying_is_atomic_one_bad_item_and_nothing_moves_every_problem_listed(world):
    a = world.a
    actor = mv_actor(a.org)
    order = mv_order(a.org, "transfer", D(2026, 11, 10), [(a.classmate, a.other_class), (a.student, a.other_class)],
                     apply=False)
    # Before it is applied, another order takes one student away and the class of the other changes.
    mv_withdraw(a.student, D(2026, 11, 3))
    before = memberships(a.classmate)
    with pytest.raises(DomainError) as caught:
        movement.apply_order(actor, order.id)
    assert "не проведён" in caught.value.message
    assert any("Учеников" in e and "не обучается" in e for e in caught.value.errors)
    db.session.expire_all()
    assert db.session.get(MovementOrder, order.id).status == "draft"
    assert memberships(a.classmate) == before and a.classmate.class_id == a.klass.id
    assert movement.check_order(actor, order.id) == caught.value.errors

    # A card that breaks the card rules stops the whole enrollment too: no card, no history.
    enrollment = enroll_new(a.org, a.klass, D(2026, 11, 11), card("Первов"), card("Второв"), apply=False)
    item = db.session.scalar(select(MovementItem).where(MovementItem.order_id == enrollment.id)
                             .order_by(MovementItem.id.desc()))
    with guards.book_writes():  # as if the card were fine when saved and the rules changed since
        item.card = {**item.card, "snils": a.classmate.snils}
        db.session.commit()
    with pytest.raises(DomainError) as caught:
        movement.apply_order(actor, enrollment.id)
    assert any("Второв" in e and "СНИЛС" in e for e in caught.value.errors)
    assert db.session.scalar(select(func.count()).select_from(Student).where(Student.last_name == "Первов")) == 0


def test_an_applied_order_cannot_be_edited_or_deleted_by_any_path(world):
    a = world.a
    order = mv_transfer(a.classmate, a.other_class, D(2026, 11, 10))
    order = db.session.get(MovementOrder, order.id)
    order.number = "999"
    with pytest.raises(DomainError) as caught:
        db.session.commit()
    assert "отменить приказом" in str(caught.value).lower()
    db.session.rollback()
    db.session.delete(db.session.get(MovementOrder, order.id))
    with pytest.raises(DomainError):
        db.session.commit()
    db.session.rollback()
    db.session.get(MovementOrder, order.id).items[0].destination = "куда-то"
    with pytest.raises(DomainError):
        db.session.commit()
    db.session.rollback()
    db.session.add(MovementItem(org_id=a.org.id, order_id=order.id, student_id=a.student.id))
    with pytest.raises(DomainError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(DomainError):
        movement.remove_item(mv_actor(a.org), db.session.get(MovementOrder, order.id).items[0].id)
    with pytest.raises(DomainError) as caught:
        movement.apply_order(mv_actor(a.org), order.id)
    assert "уже проведён" in caught.value.message
    # The history itself is written by orders only.
    membership = db.session.scalars(select(ClassMembership).where(ClassMembership.student_id == a.classmate.id)).first()
    membership.end_date = D(2026, 12, 1)
    with pytest.raises(DomainError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(ClassMembership)).first())
    with pytest.raises(DomainError):
        db.session.commit()
    db.session.rollback()


def test_a_reverse_order_of_the_same_date_annuls_the_original(world):
    a = world.a
    original = mv_transfer(a.classmate, a.other_class, D(2026, 10, 12))
    cancel = movement.draft_cancellation(mv_actor(a.org), original.id, today=D(2026, 10, 20))
    assert (cancel.kind, cancel.status, cancel.effective_date, cancel.order_date) == \
        ("cancellation", "draft", D(2026, 10, 12), D(2026, 10, 20))
    assert [(i.student_id, i.from_class_id, i.to_class_id) for i in cancel.items] == \
        [(a.classmate.id, a.other_class.id, a.klass.id)]
    assert movement.draft_cancellation(mv_actor(a.org), original.id).id == cancel.id  # not twice
    movement.apply_order(mv_actor(a.org), cancel.id)
    db.session.expire_all()
    assert db.session.get(MovementOrder, original.id).status == "cancelled"
    assert memberships(a.classmate) == [("5А", D(2026, 9, 1), None)]
    assert a.classmate.class_id == a.klass.id
    assert names(roster.class_roster(a.other_class.id, D(2026, 10, 20))) == ["Чужов"]
    with pytest.raises(DomainError):
        movement.draft_cancellation(mv_actor(a.org), original.id)  # already cancelled
    with pytest.raises(DomainError):
        movement.draft_cancellation(mv_actor(a.org), cancel.id)  # a cancellation is not cancelled


def test_a_reverse_order_of_a_later_date_brings_the_student_back_from_then(world):
    a = world.a
    withdrawal = mv_withdraw(a.student, D(2026, 10, 1))
    cancel = movement.draft_cancellation(mv_actor(a.org), withdrawal.id, today=D(2026, 10, 15))
    cancel.effective_date = D(2026, 10, 15)  # a draft may be edited
    db.session.commit()
    movement.apply_order(mv_actor(a.org), cancel.id)
    assert memberships(a.student) == [("5А", D(2026, 9, 1), D(2026, 9, 30)), ("5А", D(2026, 10, 15), None)]
    assert a.student.status == "studying"
    assert not roster.is_member(a.student.id, a.klass.id, D(2026, 10, 5))


def test_an_order_later_moved_on_cannot_be_cancelled_first(world):
    a = world.a
    first = mv_transfer(a.classmate, a.other_class, D(2026, 10, 12))
    mv_transfer(a.classmate, a.klass, D(2026, 11, 9))
    cancel = movement.draft_cancellation(mv_actor(a.org), first.id, today=D(2026, 11, 20))
    with pytest.raises(DomainError) as caught:
        movement.apply_order(mv_actor(a.org), cancel.id)
    assert "сначала отмените" in caught.value.errors[0]


def test_cancelling_an_enrollment_leaves_a_card_without_a_class(world):
    a = world.a
    order = enroll_new(a.org, a.klass, D(2026, 10, 5), card("Ошибкин"))
    cancel = movement.draft_cancellation(mv_actor(a.org), order.id, today=D(2026, 10, 6))
    movement.apply_order(mv_actor(a.org), cancel.id)
    db.session.expire_all()
    mistaken = db.session.scalar(select(Student).where(Student.last_name == "Ошибкин"))
    assert (mistaken.status, mistaken.class_id) == ("withdrawn", None)
    assert memberships(mistaken) == []
    assert names(roster.class_roster(a.klass.id, D(2026, 10, 10))) == ["Соседов", "Учеников"]


def test_order_numbers_are_unique_per_organization_and_calendar_year(world):
    a, b = world.a, world.b
    actor = mv_actor(a.org)
    movement.create_order(actor, "transfer", "15-у", D(2026, 10, 1))
    with pytest.raises(DomainError) as caught:
        movement.create_order(actor, "withdrawal", "15-у", D(2026, 12, 1))
    assert "№ 15-у за 2026 год уже есть" in caught.value.errors[0]
    movement.create_order(actor, "transfer", "15-у", D(2027, 1, 20))  # a new calendar year
    movement.create_order(mv_actor(b.org), "transfer", "15-у", D(2026, 10, 1))  # another organization
    assert movement.suggest_number(a.org.id, D(2026, 5, 5)) == "16"
    with pytest.raises(DomainError) as caught:
        movement.create_order(actor, "expulsion", "77", D(2026, 10, 1))
    assert "только в колледже" in caught.value.errors[0]
    with pytest.raises(DomainError):
        movement.create_order(actor, "transfer", "  ", D(2026, 10, 1))


def test_a_card_changes_class_only_through_the_book(world):
    a = world.a
    a.student.class_id = a.other_class.id
    with pytest.raises(DomainError) as caught:
        db.session.commit()
    assert "приказом книги движения" in caught.value.errors[0]
    db.session.rollback()
    a.student.klass = a.other_class  # the way a form sets it
    with pytest.raises(DomainError):
        db.session.commit()
    db.session.rollback()
    a.student.address = "г. Тест, ул. Новая, 5"  # the rest of the card is edited as before
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        guards.check_card_status_change(_changed_status(a.student))
    assert "Статус" in caught.value.errors[0]
    db.session.rollback()


def _changed_status(student):
    student.status = "withdrawn"
    return student


def test_a_new_card_with_a_class_opens_its_history_from_the_enrollment_order(world):
    a = world.a
    late = Student(org_id=a.org.id, class_id=a.klass.id, last_name="Поздняков", first_name="Олег", sex="m",
                   birth_date=D(2015, 2, 2), snils=next_snils(), personal_file_number="П-1",
                   enrollment_order_number="44-у", enrollment_order_date=D(2026, 11, 10))
    db.session.add(late)
    db.session.commit()
    assert memberships(late) == [("5А", D(2026, 11, 10), None)]
    assert memberships(a.student) == [("5А", D(2026, 9, 1), None)]  # enrolled 28.08: from the year's start


def test_backfill_opens_the_history_of_cards_made_before_the_book_once(world, app):
    a = world.a
    db.session.execute(Student.__table__.insert(), [{  # a card written before the movement book existed
        "org_id": a.org.id, "class_id": a.klass.id, "last_name": "Старожилов", "first_name": "Пётр", "sex": "m",
        "birth_date": D(2015, 1, 1), "snils": next_snils(), "personal_file_number": "С-1",
        "enrollment_order_number": "1", "enrollment_order_date": D(2020, 8, 28), "status": "studying"}])
    db.session.commit()
    old = db.session.scalar(select(Student).where(Student.last_name == "Старожилов"))
    assert memberships(old) == []
    assert mv_backfill(a.org) == 1
    db.session.commit()
    assert memberships(old) == [("5А", D(2026, 9, 1), None)]
    result = app.test_cli_runner().invoke(movement_cli, ["backfill"])
    assert result.exit_code == 0 and "Создано записей истории классов: 0" in result.output


def test_reenrollment_and_the_college_kinds(world):
    a = world.a
    mv_withdraw(a.student, D(2026, 10, 1))
    mv_order(a.org, "enrollment", D(2026, 11, 9), [(a.student, a.other_class)])
    db.session.expire_all()
    assert (a.student.status, a.student.class_id) == ("studying", a.other_class.id)
    assert memberships(a.student) == [("5А", D(2026, 9, 1), D(2026, 9, 30)), ("6Б", D(2026, 11, 9), None)]
    with pytest.raises(DomainError) as caught:  # studying already: not enrolled twice
        mv_order(a.org, "enrollment", D(2026, 11, 20), [(a.classmate, a.other_class)])
    assert "уже обучается" in caught.value.errors[0]

    org, year, _ = make_org("c", kind="college")
    group = make_class(org, year, "ТМ-26", 1)
    later_group = make_class(org, year, "ТМ-26а", 1)
    pupil = make_student(org, group, "Студентов", "Олег", birth=D(2009, 5, 5), passport_series="6512",
                         passport_number="123456")
    db.session.commit()
    mv_order(org, "leave", D(2026, 10, 1), [(pupil, None)])
    assert roster.class_roster(group.id, D(2026, 10, 2)) == []
    assert roster.class_roster(group.id, D(2026, 10, 2), include_leave=True)[0].id == pupil.id
    with pytest.raises(DomainError):
        mv_order(org, "transfer", D(2026, 10, 10), [(pupil, later_group)])  # on leave: returned first
    mv_order(org, "leave_return", D(2026, 12, 1), [(pupil, later_group)])
    entry = roster.roster_between(group.id, year.start_date, year.end_date)[0]
    assert entry.ranges == [(D(2026, 9, 1), D(2026, 9, 30))]
    assert entry.leave_ranges == [(D(2026, 10, 1), D(2026, 11, 30))]
    assert roster.student_class_on(pupil.id, D(2026, 12, 1)).name == "ТМ-26а"
    mv_order(org, "expulsion", D(2026, 12, 15), [(pupil, None, "own_wish")])
    assert db.session.get(Student, pupil.id).status == "withdrawn"


def test_withdrawal_needs_a_reason_and_a_destination_and_keeps_the_marks(world):
    a = world.a
    with pytest.raises(DomainError) as caught:
        mv_order(a.org, "withdrawal", D(2026, 11, 2), [(a.student, None, "other_school", "  ")])
    assert "куда выбыл" in caught.value.errors[0]
    with pytest.raises(DomainError) as caught:
        mv_order(a.org, "withdrawal", D(2026, 11, 2), [(a.student, None, None, "СОШ № 2")])
    assert "причина" in caught.value.errors[0]
    with pytest.raises(DomainError) as caught:  # not before he came
        mv_withdraw(a.student, D(2026, 9, 1))
    assert "должен действовать позже" in caught.value.errors[0]
