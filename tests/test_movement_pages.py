"""The movement book through the browser: HR drafts and applies, the enrollment card flow, the
refusals (applied orders, the card form's class and status), the roles and the other organization."""
from datetime import date

import pytest
from sqlalchemy import func, select

from models import ClassMembership, MovementItem, MovementOrder, SchoolClass, Student, db
from services import permissions
from services.movement import enrollment
from services.movement import orders as movement
from services.context import Actor
from tests.factories import make_class, make_student, mv_actor, mv_order, mv_transfer, next_snils
from tests.helpers import flashes, student_form
from tests.querycount import count_queries
from models import AcademicYear

D = date
ORDERS = "/movement/orders"


def order_count():
    return db.session.scalar(select(func.count(MovementOrder.id)))


def create_order(b, **fields):
    data = {"kind": "transfer", "number": "101", "order_date": "10.11.2026", "effective_date": "", "note": "", **fields}
    return b.post(f"{ORDERS}/new/", data=data)


def test_hr_drafts_adds_students_and_applies_a_transfer(world, mv_browser):
    a = world.a
    hr = mv_browser("a.hr")
    page = hr.get(f"{ORDERS}/new/").get_data(as_text=True)
    assert "Перевод из класса в класс" in page and "Отчисление" not in page  # a school: no college kinds
    resp = create_order(hr)
    order = db.session.scalar(select(MovementOrder))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/items/?id={order.id}")
    assert (order.status, order.year_id, order.effective_date) == ("draft", a.year.id, D(2026, 11, 10))
    page = hr.get(f"{ORDERS}/items/?id={order.id}").get_data(as_text=True)
    assert "Соседов Семён" in page and "Добавить в приказ" in page
    resp = hr.post(f"{ORDERS}/items/", data={"id": order.id, "do": "add", "student_id": [a.classmate.id, a.student.id],
                                             "to_class_id": a.other_class.id}, follow_redirects=True)
    assert "Добавлено учеников: 2" in flashes(resp)
    resp = hr.post(f"{ORDERS}/items/", data={"id": order.id, "do": "remove",
                                             "item_id": db.session.get(MovementOrder, order.id).items[1].id},
                   follow_redirects=True)
    assert "Ученик убран из приказа" in flashes(resp)
    resp = hr.post(f"{ORDERS}/action/", data={"action": "apply", "rowid": order.id}, follow_redirects=True)
    assert "Проведено приказов: 1" in flashes(resp)
    db.session.expire_all()
    assert db.session.get(MovementOrder, order.id).status == "applied"
    assert db.session.get(Student, a.classmate.id).class_id == a.other_class.id
    assert db.session.get(Student, a.student.id).class_id == a.klass.id

    # Applied: a direct POST can neither edit nor delete it, nor touch its students.
    resp = hr.post(f"{ORDERS}/edit/?id={order.id}", data={"kind": "transfer", "number": "555",
                                                          "order_date": "10.11.2026", "_version": order.version},
                   follow_redirects=True)
    assert "Проведённый приказ изменить или удалить нельзя" in flashes(resp)
    resp = hr.post(f"{ORDERS}/delete/", data={"id": order.id}, follow_redirects=True)
    assert "Проведённый приказ изменить или удалить нельзя" in flashes(resp)
    resp = hr.post(f"{ORDERS}/items/", data={"id": order.id, "do": "add", "student_id": a.student.id,
                                             "to_class_id": a.other_class.id}, follow_redirects=True)
    assert "Проведённый приказ" in flashes(resp)
    db.session.expire_all()
    assert db.session.get(MovementOrder, order.id).number == "101" and len(order.items) == 1

    # «Отменить приказом» drafts the reverse order; applied, the student is back.
    resp = hr.post(f"{ORDERS}/action/", data={"action": "cancel", "rowid": order.id})
    cancel = db.session.scalar(select(MovementOrder).where(MovementOrder.cancels_id == order.id))
    assert resp.headers["Location"].endswith(f"/items/?id={cancel.id}")
    resp = hr.post(f"{ORDERS}/items/", data={"id": cancel.id, "do": "apply"}, follow_redirects=True)
    assert "проведён" in flashes(resp)
    db.session.expire_all()
    assert db.session.get(Student, a.classmate.id).class_id == a.klass.id
    assert db.session.get(MovementOrder, order.id).status == "cancelled"


def test_a_draft_with_a_problem_shows_it_and_is_not_applied(world, mv_browser):
    a = world.a
    order = mv_order(a.org, "transfer", D(2026, 11, 10), [(a.classmate, a.other_class)], apply=False)
    mv_transfer(a.classmate, a.other_class, D(2026, 11, 3))
    hr = mv_browser("a.hr")
    page = hr.get(f"{ORDERS}/items/?id={order.id}").get_data(as_text=True)
    assert "Приказ пока нельзя провести" in page and "сейчас в «6Б»" in page
    resp = hr.post(f"{ORDERS}/items/", data={"id": order.id, "do": "apply"}, follow_redirects=True)
    assert "не проведён" in flashes(resp)
    assert db.session.get(MovementOrder, order.id).status == "draft"


def test_enrollment_order_creates_the_cards_hr_fills_in_the_same_flow(world, mv_browser):
    a = world.a
    hr = mv_browser("a.hr")
    create_order(hr, kind="enrollment", number="7-у", order_date="09.11.2026")
    order = db.session.scalar(select(MovementOrder))
    card = {"to_class_id": a.klass.id, "last_name": "Морозова", "first_name": "Алина", "middle_name": "Сергеевна",
            "sex": "f", "birth_date": "14.03.2015", "snils": "123-456-789 00", "personal_file_number": "М-17"}
    resp = hr.post(f"{ORDERS}/card/?id={order.id}", data=card, follow_redirects=True)
    assert "Карточка обучающегося не сохранена" in flashes(resp) and "контрольной суммы" in flashes(resp)
    assert 'value="Морозова"' in resp.get_data(as_text=True)  # what was typed stays on the page
    assert db.session.scalar(select(func.count(MovementItem.id))) == 0
    snils = next_snils()
    resp = hr.post(f"{ORDERS}/card/?id={order.id}", data={**card, "snils": snils, "another": "1"})
    assert resp.headers["Location"].endswith(f"/card/?id={order.id}")
    resp = hr.post(f"{ORDERS}/card/?id={order.id}", data={**card, "snils": snils, "last_name": "Морозов",
                                                          "sex": "m", "personal_file_number": "М-18"},
                   follow_redirects=True)
    assert "уже указан у «Морозова Алина Сергеевна» в этом приказе" in flashes(resp)
    page = hr.get(f"{ORDERS}/items/?id={order.id}").get_data(as_text=True)
    assert "Морозова Алина Сергеевна" in page and "новая карточка" in page
    assert db.session.scalar(select(func.count(Student.id)).where(Student.last_name == "Морозова")) == 0
    hr.post(f"{ORDERS}/items/", data={"id": order.id, "do": "apply"})
    pupil = db.session.scalar(select(Student).where(Student.last_name == "Морозова"))
    assert (pupil.class_id, pupil.enrollment_order_number, pupil.enrollment_order_date, pupil.snils) == \
        (a.klass.id, "7-у", D(2026, 11, 9), snils)
    history = db.session.scalars(select(ClassMembership).where(ClassMembership.student_id == pupil.id)).all()
    assert [(m.class_id, m.start_date, m.end_date, m.start_order_id) for m in history] == \
        [(a.klass.id, D(2026, 11, 9), None, order.id)]


def test_the_card_form_does_not_move_a_student_it_points_to_the_movement_book(world, mv_browser):
    a = world.a
    hr = mv_browser("a.hr")
    form = student_form(world, last_name=a.student.last_name, first_name=a.student.first_name,
                        middle_name=a.student.middle_name, sex="m", birth_date="01.03.2015", snils=a.student.snils,
                        personal_file_number=a.student.personal_file_number, enrollment_order_number="12-у",
                        passport_series="", passport_number="", passport_date="", birth_certificate_date="",
                        parents=None, klass=str(a.other_class.id))
    resp = hr.post(f"/students/edit/?id={a.student.id}", data={**form, "_version": a.student.version},
                   follow_redirects=True)
    assert "приказом книги движения" in flashes(resp)
    resp = hr.post(f"/students/edit/?id={a.student.id}", data={**form, "klass": str(a.klass.id),
                                                              "_version": a.student.version,
                                                              "status": "withdrawn"}, follow_redirects=True)
    assert "Статус обучающегося меняется только приказом" in flashes(resp)
    db.session.expire_all()
    student = db.session.get(Student, a.student.id)
    assert (student.class_id, student.status) == (a.klass.id, "studying")
    resp = hr.post(f"/students/edit/?id={a.student.id}", data={**form, "klass": str(a.klass.id),
                                                              "_version": a.student.version,
                                                              "address": "г. Тест, ул. Лесная, 3"},
                   follow_redirects=True)
    assert "Запись была сохранена" in flashes(resp)
    assert db.session.get(Student, a.student.id).address == "г. Тест, ул. Лесная, 3"


@pytest.mark.parametrize("role", ["deputy", "director"])
def test_the_director_and_the_deputy_read_the_book_and_change_nothing(world, mv_browser, role):
    a = world.a
    draft = mv_order(a.org, "transfer", D(2026, 11, 10), [(a.classmate, a.other_class)], apply=False)
    applied = mv_transfer(a.student, a.other_class, D(2026, 11, 3))
    b = mv_browser(a.logins[role])
    assert b.get(f"{ORDERS}/").status_code == 200
    assert b.get(f"{ORDERS}/items/?id={draft.id}").status_code == 200
    assert "Провести приказ" not in b.get(f"{ORDERS}/items/?id={draft.id}").get_data(as_text=True)
    assert b.get(f"{ORDERS}/new/").status_code == 403
    assert b.post(f"{ORDERS}/action/", data={"action": "apply", "rowid": draft.id}).status_code == 403
    assert b.post(f"{ORDERS}/items/", data={"id": draft.id, "do": "apply"}).status_code == 403
    assert b.post(f"{ORDERS}/items/", data={"id": applied.id, "do": "cancel"}).status_code == 403
    assert b.post(f"{ORDERS}/items/", data={"id": draft.id, "do": "add", "student_id": a.stranger.id,
                                            "to_class_id": a.klass.id}).status_code == 403
    assert b.get(f"{ORDERS}/card/?id={draft.id}").status_code == 403
    assert b.get("/movement/year-transfer/").status_code == 403
    assert b.get("/movement/history/").status_code == 200
    db.session.expire_all()
    assert db.session.get(MovementOrder, draft.id).status == "draft" and len(draft.items) == 1
    assert db.session.scalar(select(func.count(MovementOrder.id))) == 2


@pytest.mark.parametrize("role", ["teacher", "student", "parent"])
def test_teachers_students_and_parents_see_no_book(world, mv_browser, role):
    b = mv_browser(world.a.logins[role])
    for url in (f"{ORDERS}/", "/movement/history/", "/movement/year-transfer/", "/reports/class-fill/",
                "/reports/movement/"):
        assert b.get(url).status_code == 403, url


def test_a_class_teacher_sees_the_history_of_his_own_class_only(world, mv_browser):
    a = world.a
    b = mv_browser("a.class_teacher")
    page = b.get("/movement/history/").get_data(as_text=True)
    assert "Учеников Пётр" in page and "Чужов" not in page
    assert b.get(f"{ORDERS}/").status_code == 403
    stranger = db.session.scalar(select(ClassMembership.id).where(ClassMembership.student_id == a.stranger.id))
    assert b.get(f"/movement/history/details/?id={stranger}").status_code == 404


def test_another_organizations_book_is_out_of_reach(world, mv_browser):
    a, other = world.a, world.b
    draft = mv_order(a.org, "transfer", D(2026, 11, 10), [(a.classmate, a.other_class)], apply=False)
    hr = mv_browser("b.hr")
    assert hr.get(f"{ORDERS}/items/?id={draft.id}").status_code == 404
    assert hr.get(f"{ORDERS}/edit/?id={draft.id}").status_code == 404
    assert hr.post(f"{ORDERS}/action/", data={"action": "apply", "rowid": draft.id}).status_code == 404
    assert hr.post(f"{ORDERS}/items/", data={"id": draft.id, "do": "apply"}).status_code == 404
    assert hr.post(f"{ORDERS}/delete/", data={"id": draft.id}).status_code in (302, 404)
    own = mv_order(other.org, "transfer", D(2026, 11, 10), apply=False)
    resp = hr.post(f"{ORDERS}/items/", data={"id": own.id, "do": "add", "student_id": a.student.id,
                                             "to_class_id": other.other_class.id}, follow_redirects=True)
    assert "Нет доступа" in flashes(resp)
    resp = hr.post(f"{ORDERS}/items/", data={"id": own.id, "do": "add", "student_id": other.student.id,
                                             "to_class_id": a.other_class.id}, follow_redirects=True)
    assert "не найден" in flashes(resp)
    assert f'<option value="{a.classmate.id}">' not in hr.get(f"{ORDERS}/items/?id={own.id}").get_data(as_text=True)
    theirs = db.session.scalar(select(ClassMembership.id).where(ClassMembership.student_id == a.classmate.id))
    assert f"details/?id={theirs}&" not in hr.get("/movement/history/").get_data(as_text=True)
    assert hr.get(f"/movement/history/details/?id={theirs}").status_code == 404
    db.session.expire_all()
    assert db.session.get(MovementOrder, draft.id).status == "draft"
    assert db.session.scalar(select(func.count(MovementItem.id)).where(MovementItem.order_id == own.id)) == 0
    with pytest.raises(permissions.PermissionDenied):
        movement.apply_order(Actor.for_user(other.hr.user), draft.id)


def test_the_lists_cost_the_same_whatever_the_number_of_orders(world, mv_browser):
    a = world.a
    hr = mv_browser("a.hr")

    def cost(url):
        with count_queries() as statements:
            assert hr.get(url).status_code == 200
        return len(statements)

    mv_transfer(a.classmate, a.other_class, D(2026, 10, 1))
    small = (cost(f"{ORDERS}/"), cost("/movement/history/"))
    for n in range(6):
        mv_order(a.org, "transfer", D(2026, 10, 2 + n), [(a.classmate, a.klass if n % 2 == 0 else a.other_class)])
    large = (cost(f"{ORDERS}/"), cost("/movement/history/"))
    assert large == small


def test_the_year_transfer_page_prepares_the_drafts(world, mv_browser):
    a = world.a
    nxt = AcademicYear(org_id=a.org.id, name="2027/2028", start_date=D(2027, 9, 1), end_date=D(2028, 6, 30))
    db.session.add(nxt)
    db.session.commit()
    admin = mv_browser("a.admin")
    page = admin.get(f"/movement/year-transfer/?class_id={a.klass.id}").get_data(as_text=True)
    assert f'value="{a.klass.id}" id="c{a.klass.id}" checked' in page and "2027/2028" in page
    form = {"year_id": a.year.id, "class_id": [a.klass.id], "next_year_id": nxt.id, "number": "50",
            "order_date": "31.05.2027", "final": "11"}
    page = admin.post("/movement/year-transfer/", data=form).get_data(as_text=True)
    assert "Черновики приказов готовы" in page and "6А" in page
    six_a = db.session.scalar(select(SchoolClass).where(SchoolClass.year_id == nxt.id))
    assert (six_a.name, six_a.grade, six_a.class_teacher_id) == ("6А", 6, a.class_teacher.id)
    page = admin.post("/movement/year-transfer/", data={**form, "final": ""}).get_data(as_text=True)
    assert "добавлено учеников — 0" in page
    assert db.session.scalar(select(func.count(MovementOrder.id))) == 1
    page = admin.post("/movement/year-transfer/", data={**form, "class_id": [], "number": "51"}).get_data(as_text=True)
    assert "Выберите классы" in page


def test_a_cancellation_draft_gets_its_own_number_and_date_on_the_form(world, mv_browser):
    a = world.a
    original = mv_transfer(a.classmate, a.other_class, D(2026, 10, 12))
    hr = mv_browser("a.hr")
    hr.post(f"{ORDERS}/items/", data={"id": original.id, "do": "cancel"})
    cancel = db.session.scalar(select(MovementOrder).where(MovementOrder.cancels_id == original.id))
    page = hr.get(f"{ORDERS}/edit/?id={cancel.id}").get_data(as_text=True)
    assert "Отмена приказа" in page and "Перевод из класса в класс</option>" not in page
    resp = hr.post(f"{ORDERS}/edit/?id={cancel.id}", data={"kind": "cancellation", "number": "31-отм",
                                                           "order_date": "13.10.2026", "effective_date": "12.10.2026",
                                                           "_version": cancel.version})
    assert resp.headers["Location"].endswith(f"/items/?id={cancel.id}")
    db.session.expire_all()
    assert (cancel.number, cancel.order_date, cancel.effective_date) == ("31-отм", D(2026, 10, 13), D(2026, 10, 12))
    hr.post(f"{ORDERS}/items/", data={"id": cancel.id, "do": "apply"})
    db.session.expire_all()
    assert (db.session.get(MovementOrder, original.id).status, a.classmate.class_id) == ("cancelled", a.klass.id)


def test_an_orders_page_costs_the_same_whatever_its_size(world, mv_browser):
    a = world.a
    hr = mv_browser("a.hr")
    classes = [make_class(a.org, a.year, f"{g}В", g) for g in (7, 8)]
    pupils = [make_student(a.org, classes[n % 2], f"Переводов{chr(1072 + n)}", "Иван", birth=D(2013, 1, 1))
              for n in range(8)]
    db.session.commit()

    def cost(order):
        url = f"{ORDERS}/items/?id={order.id}"  # the test's own read of the id is not the page's cost
        with count_queries() as statements:
            assert hr.get(url).status_code == 200
        return len(statements)

    small = mv_order(a.org, "transfer", D(2026, 11, 10), [(p, a.other_class) for p in pupils[:2]], apply=False)
    large = mv_order(a.org, "transfer", D(2026, 11, 11), [(p, a.other_class) for p in pupils[2:]], apply=False)
    assert cost(small) == cost(large)
    actor = mv_actor(a.org)
    cards = []
    for size in (1, 5):
        order = movement.create_order(actor, "enrollment", movement.suggest_number(a.org.id, D(2026, 11, 12)),
                                      D(2026, 11, 12))
        for n in range(size):
            enrollment.save_card(actor, order.id, {"last_name": f"Новенький{chr(1072 + n)}", "first_name": "Иван",
                                                 "sex": "m", "birth_date": "01.01.2015", "snils": next_snils(),
                                                 "personal_file_number": f"Н-{size}-{n}"}, a.klass.id)
        cards.append(order)
    assert cost(cards[0]) == cost(cards[1])
