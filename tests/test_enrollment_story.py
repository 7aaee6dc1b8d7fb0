"""Issue 15.4: one path to enroll a new student. «Ученики → Создать» is an enrollment order of the movement
book, applied: one POST writes the card, the order (new, or the applied one of the same number and date),
the class history that names it, and the links to his parents — one found among the cards, one new."""
from datetime import date

import pytest
from sqlalchemy import func, select

from models import ClassMembership, MovementItem, MovementOrder, Parent, Student, db
from services.errors import DomainError
from services.movement import admission
from tests.factories import actor_of, mv_order
from tests.helpers import SNILS, flashes, fresh, open_browser, student_form
from services.validation import snils_with_checksum

TABLES = (Student, MovementOrder, MovementItem, ClassMembership, Parent)


def counts():
    return {model.__name__: db.session.scalar(select(func.count(model.id))) for model in TABLES}


def new_father(n=1, **changes):
    values = {"last_name": "Морозов", "first_name": "Сергей", "middle_name": "Петрович", "relation": "father",
              "phone": "+7 (912) 555-44-33", "email": "morozov@example.ru", **changes}
    return {f"parent{n}_{name}": value for name, value in values.items()}


def test_one_post_writes_the_card_the_applied_order_the_history_and_two_parents(world, browser):
    a = world.a
    hr = open_browser(browser, "a.hr")
    form = hr.get("/students/new/").get_data(as_text=True)
    assert "Новый родитель 1" in form and 'name="parent2_phone"' in form
    assert '<option selected value="__None">— выберите —</option><option value="m">' in form  # «Пол»: no default
    assert 'name="status"' not in form  # a new card studies: the order says so

    resp = hr.post("/students/new/", data={**student_form(world, parents=[str(a.parent.id)]), **new_father()},
                   follow_redirects=True)
    text = flashes(resp)
    assert "Морозова Алина Сергеевна зачислен(а) в «5А» приказом № 45-у от 28.08.2026" in text, text

    fresh()
    student = db.session.scalar(select(Student).where(Student.snils == SNILS))
    assert (student.class_id, student.status) == (a.klass.id, "studying")
    order = db.session.scalar(select(MovementOrder).where(MovementOrder.number == "45-у"))
    assert (order.kind, order.status, order.order_date, order.effective_date) == \
        ("enrollment", "applied", date(2026, 8, 28), date(2026, 8, 28))
    assert [item.student_id for item in order.items] == [student.id] and order.applied_by_id == a.hr.user_id
    stay, = db.session.scalars(select(ClassMembership).where(ClassMembership.student_id == student.id))
    assert (stay.class_id, stay.start_order_id, stay.end_date) == (a.klass.id, order.id, None)
    assert stay.start_date == max(date(2026, 8, 28), a.klass.year.start_date)

    father = db.session.scalar(select(Parent).where(Parent.last_name == "Морозов"))
    assert (father.phone, father.email, father.relation, father.org_id) == \
        ("+7 (912) 555-44-33", "morozov@example.ru", "father", a.org.id)
    assert sorted(p.id for p in student.parents) == sorted([a.parent.id, father.id])

    history = hr.get("/movement/history/").get_data(as_text=True)
    assert "Морозова А. С." in history or "Морозова Алина" in history
    assert "№ 45-у от 28.08.2026" in history


def test_a_second_card_of_the_same_order_joins_it(world, browser):
    a = world.a
    hr = open_browser(browser, "a.hr")
    hr.post("/students/new/", data=student_form(world), follow_redirects=True)
    second = student_form(world, last_name="Морозов", first_name="Илья", middle_name="Сергеевич", sex="m",
                          snils=snils_with_checksum("222333444"), personal_file_number="М-18",
                          klass=str(a.other_class.id))
    resp = hr.post("/students/new/", data=second, follow_redirects=True)
    assert "зачислен(а) в «6Б» приказом № 45-у" in flashes(resp)
    fresh()
    order, = db.session.scalars(select(MovementOrder).where(MovementOrder.number == "45-у"))
    assert order.status == "applied"
    assert sorted(i.person_name for i in order.items) == ["Морозов Илья Сергеевич", "Морозова Алина Сергеевна"]
    ilya = db.session.scalar(select(Student).where(Student.first_name == "Илья"))
    assert db.session.scalar(select(ClassMembership.start_order_id).where(
        ClassMembership.student_id == ilya.id)) == order.id


MISSING = [
    ({"klass": "__None"}, "Обучающийся должен быть зачислен в класс (группу)"),
    ({"klass": ""}, "Обучающийся должен быть зачислен в класс (группу)"),
]


@pytest.mark.parametrize("changes, message", MISSING)
def test_no_class_is_a_russian_error_and_nothing_is_written(world, browser, changes, message):
    hr = open_browser(browser, "a.hr")
    before = counts()
    resp = hr.post("/students/new/", data={**student_form(world, **changes), **new_father()}, follow_redirects=True)
    text = flashes(resp)
    assert "Карточка обучающегося не сохранена" in text and message in text, text
    assert counts() == before


def test_no_sex_is_refused_in_the_form_and_by_the_service(world, browser):
    hr = open_browser(browser, "a.hr")
    before = counts()
    resp = hr.post("/students/new/", data={**student_form(world, sex="__None"), **new_father()})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Обязательное поле" in page
    assert 'value="Морозов"' in page  # what was typed is kept
    assert counts() == before

    card = {name: value for name, value in student_form(world, sex=None).items()}
    with pytest.raises(DomainError) as refused:
        admission.enroll_student(actor_of("a.hr"), card, None, "46-у", date(2026, 8, 28),
                                 new_parents=[admission.NewParent(last_name="Морозов", first_name="Сергей")])
    assert refused.value.message == "Карточка обучающегося не сохранена"
    assert "Укажите пол" in refused.value.errors
    assert "Обучающийся должен быть зачислен в класс (группу)" in refused.value.errors
    db.session.rollback()
    assert counts() == before


def test_a_bad_new_parent_or_a_foreign_one_writes_nothing(world, browser):
    hr = open_browser(browser, "a.hr")
    before = counts()
    resp = hr.post("/students/new/", data={**student_form(world), **new_father(email="не-почта")},
                   follow_redirects=True)
    assert "Родитель «Морозов Сергей»: Адрес электронной почты указан неверно" in flashes(resp)
    assert counts() == before

    with pytest.raises(DomainError, match="Карточка обучающегося не сохранена") as refused:
        admission.enroll_student(actor_of("a.hr"), student_form(world), world.a.klass.id, "46-у",
                                 date(2026, 8, 28), parent_ids=[world.b.parent.id])
    assert "Родитель не найден среди карточек, которые вам доступны" in refused.value.errors
    db.session.rollback()
    assert counts() == before


def test_an_order_number_taken_by_another_order_is_refused(world, browser):
    a = world.a
    mv_order(a.org, "enrollment", date(2026, 9, 1), number="45-у", apply=False)
    mv_order(a.org, "transfer", date(2026, 9, 1), number="47-у", apply=False)
    hr = open_browser(browser, "a.hr")
    before = counts()
    resp = hr.post("/students/new/", data=student_form(world), follow_redirects=True)
    assert "черновик книги движения: добавьте ученика в этот приказ" in flashes(resp)
    resp = hr.post("/students/new/", data=student_form(world, enrollment_order_number="47-у"),
                   follow_redirects=True)
    assert "Приказ № 47-у за 2026 год уже есть (от 01.09.2026, «Перевод из класса в класс», черновик)" \
        in flashes(resp)
    assert counts() == before


def test_only_those_who_apply_orders_create_cards(world):
    with pytest.raises(DomainError):
        admission.enroll_student(actor_of("a.class_teacher"), student_form(world), world.a.klass.id, "46-у",
                                 date(2026, 8, 28))
