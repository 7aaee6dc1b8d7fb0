"""«Перевести на следующий год» (services/movement/year_transfer.build_year_transfer): the draft transfer, repeaters'
and graduates' orders, next year's classes carried with their class teachers, idempotent re-runs,
and the students moving from the next year's first day once the orders are applied."""
from datetime import date

import pytest
from sqlalchemy import func, select

from models import MovementItem, MovementOrder, PeriodMark, SchoolClass, Student, db
from services.movement import orders as movement
from services.movement import year_transfer
from services.movement import roster
from services.context import Actor
from services.errors import DomainError, PermissionDenied
from tests.factories import jr_subject, make_class, make_org, make_staff, make_student, mv_actor, next_year, ORDER_DATE
from tests.helpers import movement_registered
from admin_views.movement.views import YearTransferActionMixin
from services.permissions import TABLE

D = date
def year_mark(student, year, value, subject):
    db.session.add(PeriodMark(org_id=student.org_id, student_id=student.id, subject_id=subject.id, year_id=year.id,
                              kind="year", value=value))
    db.session.flush()


@pytest.fixture
def school(world):
    a = world.a
    a.nine = make_class(a.org, a.year, "9А", 9, make_staff(a.org, "Девятов", "Олег"))
    a.eleven = make_class(a.org, a.year, "11А", 11)
    a.ninth = [make_student(a.org, a.nine, name, "Иван", birth=D(2011, 4, 4), passport_series="6512",
                            passport_number=f"12345{n}") for n, name in enumerate(("Девятый", "Остающийся"))]
    a.senior = make_student(a.org, a.eleven, "Выпускной", "Иван", birth=D(2009, 4, 4), passport_series="6512",
                            passport_number="654321")
    year_mark(a.classmate, a.year, "2", jr_subject(a.org, "Математика"))
    a.next = next_year(a.org)
    db.session.commit()
    return a


def classes_of(year):
    return {c.name: c for c in db.session.scalars(select(SchoolClass).where(SchoolClass.year_id == year.id))}


def items(order):
    return sorted((i.student.last_name, i.from_class.name, i.to_class.name if i.to_class else None)
                  for i in order.items)


def test_the_drafts_for_the_chosen_classes(school):
    a = school
    ids = [a.klass.id, a.other_class.id, a.nine.id, a.eleven.id]
    result = year_transfer.build_year_transfer(mv_actor(a.org), ids, a.next, "50", ORDER_DATE)
    made = classes_of(a.next)
    assert sorted(made) == ["10А", "5А", "6А", "7Б"]
    assert sorted(c.name for c in result.created_classes) == sorted(made)
    assert (made["6А"].grade, made["6А"].class_teacher_id) == (6, a.class_teacher.id)  # the teacher goes along
    assert made["10А"].class_teacher_id == a.nine.class_teacher_id and made["5А"].class_teacher_id is None
    assert result.targets == {a.klass.id: made["6А"], a.other_class.id: made["7Б"], a.nine.id: made["10А"],
                              a.eleven.id: None}
    orders = {o.kind: o for o in result.orders}
    assert {k: (o.number, o.status, o.order_date, o.effective_date) for k, o in orders.items()} == {
        "next_year": ("50", "draft", ORDER_DATE, D(2027, 9, 1)),
        "repeat": ("50-в", "draft", ORDER_DATE, D(2027, 9, 1)),
        "graduation": ("50-вып", "draft", ORDER_DATE, D(2027, 7, 1))}
    assert items(orders["next_year"]) == [("Девятый", "9А", "10А"), ("Остающийся", "9А", "10А"),
                                          ("Учеников", "5А", "6А"), ("Чужов", "6Б", "7Б")]
    assert items(orders["repeat"]) == [("Соседов", "5А", "5А")]  # the annual «2»
    assert items(orders["graduation"]) == [("Выпускной", "11А", None)]
    assert all(o.target_year_id == a.next.id and o.year_id == a.year.id for o in orders.values())


def test_a_rerun_makes_no_class_order_or_item_twice_even_after_a_partial_apply(school):
    a = school
    ids = [a.klass.id, a.other_class.id, a.nine.id, a.eleven.id]
    actor = mv_actor(a.org)
    first = year_transfer.build_year_transfer(actor, ids, a.next, "50", ORDER_DATE)

    def counts():
        return (db.session.scalar(select(func.count(SchoolClass.id))),
                db.session.scalar(select(func.count(MovementOrder.id))),
                db.session.scalar(select(func.count(MovementItem.id))))
    before = counts()
    again = year_transfer.build_year_transfer(actor, ids, a.next, "50", ORDER_DATE)
    assert (again.added, again.created_classes, counts()) == (0, [], before)
    assert [o.id for o in again.orders] == [o.id for o in first.orders]
    transfer = next(o for o in first.orders if o.kind == "next_year")
    movement.apply_order(actor, transfer.id)  # interrupted after the first order
    assert year_transfer.build_year_transfer(actor, ids, a.next, "50", ORDER_DATE).added == 0
    assert counts() == before
    # A student who arrives meanwhile is added to the open draft, nothing else.
    late = make_student(a.org, a.eleven, "Поздний", "Иван", birth=D(2009, 1, 1), passport_series="6512",
                        passport_number="111111")
    db.session.commit()
    third = year_transfer.build_year_transfer(actor, ids, a.next, "50", ORDER_DATE)
    assert third.added == 1 and counts()[:2] == before[:2]
    graduation = next(o for o in third.orders if o.kind == "graduation")
    assert late.id in {i.student_id for i in graduation.items}


def test_applied_the_students_move_from_the_next_years_first_day(school):
    a = school
    actor = mv_actor(a.org)
    result = year_transfer.build_year_transfer(actor, [a.klass.id, a.eleven.id], a.next, "50", ORDER_DATE)
    for order in result.orders:
        movement.apply_order(actor, order.id)
    db.session.expire_all()
    made = classes_of(a.next)
    old_five = a.klass.id
    assert [s.last_name for s in roster.class_roster(old_five, D(2027, 8, 31))] == ["Соседов", "Учеников"]
    assert roster.class_roster(old_five, D(2027, 9, 1)) == []
    assert [s.last_name for s in roster.class_roster(made["6А"].id, D(2027, 9, 1))] == ["Учеников"]
    assert [s.last_name for s in roster.class_roster(made["5А"].id, D(2027, 9, 1))] == ["Соседов"]
    assert roster.class_roster(made["6А"].id, D(2027, 8, 31)) == []
    senior = db.session.get(Student, a.senior.id)
    assert (senior.status, senior.class_id) == ("graduated", a.eleven.id)
    assert [s.last_name for s in roster.class_roster(a.eleven.id, D(2027, 6, 30))] == ["Выпускной"]
    assert roster.class_roster(a.eleven.id, D(2027, 7, 1)) == []
    assert db.session.get(Student, a.student.id).class_id == made["6А"].id


def test_a_basic_school_graduates_its_ninth_grade_and_a_leaver_can_be_moved_between_drafts(world):
    b = world.b
    nine = make_class(b.org, b.year, "9А", 9)
    pupils = [make_student(b.org, nine, name, "Иван", birth=D(2011, 4, 4), passport_series="6512",
                           passport_number=f"22222{n}") for n, name in enumerate(("Первый", "Второй"))]
    nxt = next_year(b.org)
    db.session.commit()
    actor = mv_actor(b.org)
    result = year_transfer.build_year_transfer(actor, [nine.id, b.klass.id], nxt, "7", ORDER_DATE)
    graduation = next(o for o in result.orders if o.kind == "graduation")
    assert items(graduation) == [("Второй", "9А", None), ("Первый", "9А", None)]
    # One of them stays on for the 10th grade: moved from the graduates to the transfer.
    item = next(i for i in graduation.items if i.student_id == pupils[0].id)
    target = year_transfer.retarget_item(actor, item.id, "next_year")
    assert (target.kind, target.number) == ("next_year", "7")
    assert ("Первый", "9А", "10А") in items(target)
    assert items(db.session.get(MovementOrder, graduation.id)) == [("Второй", "9А", None)]
    assert classes_of(nxt)["10А"].grade == 10


def test_a_college_moves_groups_a_course_up_and_graduates_the_last_course():
    world_org, year, _ = make_org("c", kind="college")
    second = make_class(world_org, year, "ТМ-25", 2)
    fourth = make_class(world_org, year, "ТМ-23", 4)
    for group, name, n in ((second, "Второкурсник", 1), (fourth, "Четверокурсник", 2)):
        make_student(world_org, group, name, "Иван", birth=D(2007, 1, 1), passport_series="6512",
                     passport_number=f"33333{n}")
    nxt = next_year(world_org)
    db.session.commit()
    result = year_transfer.build_year_transfer(mv_actor(world_org), [second.id, fourth.id], nxt, "12-к", ORDER_DATE)
    orders = {o.kind: o for o in result.orders}
    assert items(orders["next_year"]) == [("Второкурсник", "ТМ-25", "ТМ-25")]
    assert classes_of(nxt)["ТМ-25"].grade == 3
    assert items(orders["graduation"]) == [("Четверокурсник", "ТМ-23", None)]


def test_bad_input_prepares_nothing(school):
    a = school
    actor = mv_actor(a.org)
    with pytest.raises(DomainError) as caught:
        year_transfer.build_year_transfer(actor, [a.eleven.id], a.next, "50", ORDER_DATE, final_grades=[9])
    assert "последняя" in caught.value.errors[0]
    with pytest.raises(DomainError):
        year_transfer.build_year_transfer(actor, [a.klass.id], a.year, "50", ORDER_DATE)  # not a later year
    make_class(a.org, a.next, "6А", 7)  # next year's «6А» is something else
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        year_transfer.build_year_transfer(actor, [a.klass.id], a.next, "50", ORDER_DATE)
    assert "7-я параллель" in caught.value.errors[0]
    assert db.session.scalar(select(func.count(MovementOrder.id))) == 0
    with pytest.raises(PermissionDenied):
        year_transfer.build_year_transfer(Actor.for_user(a.deputy.user), [a.klass.id], a.next, "50", ORDER_DATE)
    with pytest.raises(PermissionDenied):  # another organization's classes
        year_transfer.build_year_transfer(mv_actor(a.org), [a.klass.id, a.other_class.id + 1000], a.next, "50",
                                     ORDER_DATE)


def test_the_classes_list_action_opens_the_transfer_page_with_the_chosen_classes(world, app, browser):
    view = next(v for v in app.extensions["journal_admin"]._views if getattr(v, "endpoint", None) == "school_class")
    if not (isinstance(view, YearTransferActionMixin) and movement_registered(app)
            and "transfer_next_year" in TABLE["school_class"]["admin"].verbs):
        pytest.skip("the lead attaches YearTransferActionMixin to SchoolClassView and grants "
                    "«transfer_next_year» on school_class to admin and HR")
    a = world.a
    b = browser()
    b.login("a.admin")
    resp = b.post("/classes/action/", data={"action": "transfer_next_year", "rowid": [a.klass.id, a.other_class.id]})
    assert resp.status_code == 302 and "/movement/year-transfer/" in resp.headers["Location"]
    assert f"class_id={a.klass.id}" in resp.headers["Location"]
    deputy = browser()
    deputy.login("a.deputy")
    resp = deputy.post("/classes/action/", data={"action": "transfer_next_year", "rowid": a.klass.id})
    assert resp.status_code == 403
