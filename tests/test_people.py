"""Person cards through the forms: the student card by HR in one form, its checks, parents and
children linked from both sides, the staff card with its functions (roles)."""
import html
import json
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from models import Parent, Staff, Student, db
from services.people.cards import class_list
from services.validation import snils_with_checksum
from tests.helpers import flashes, open_browser, SNILS, student_form
from services.context import Actor
from services.errors import DomainError
from services.people.cards import check_staff_change

def count(model):
    return db.session.scalar(select(func.count(model.id)))


def filter_arg(page, group, operation):
    """The list filter's URL argument for (column label, operation), read from the list page."""
    raw = re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', page, re.S).group(1)
    groups = json.loads(html.unescape(raw))
    return next(f["arg"] for f in groups[group] if f["operation"] == operation)


def test_hr_enrolls_a_student_with_the_whole_card_in_one_form(world, browser):
    hr = open_browser(browser, "a.hr")
    form = hr.get("/students/new/").get_data(as_text=True)
    for label in ("Фамилия", "Имя", "Отчество", "Пол", "Дата рождения", "СНИЛС", "Класс",
                  "Приказ о зачислении №", "Дата приказа о зачислении", "№ личного дела", "Адрес",
                  "Свидетельство о рождении: серия", "Паспорт: серия", "Состав семьи",
                  "Социальный статус", "Изучаемый иностранный язык", "Родители (законные представители)"):
        assert label in form, label

    resp = hr.post("/students/new/", data=student_form(world), follow_redirects=True)
    assert "Запись была создана" in flashes(resp)

    student = db.session.scalar(select(Student).where(Student.snils == SNILS))
    assert (student.full_name, student.sex, student.birth_date) == ("Морозова Алина Сергеевна", "f",
                                                                      date(2011, 3, 14))
    assert (student.enrollment_order_number, student.enrollment_order_date) == ("45-у", date(2026, 8, 28))
    assert student.personal_file_number == "М-17" and student.address.startswith("г. Заречный")
    assert (student.birth_certificate_series, student.birth_certificate_number,
            student.birth_certificate_date) == ("II-АИ", "512345", date(2011, 4, 1))
    assert (student.passport_series, student.passport_number, student.passport_date) == \
        ("6525", "123456", date(2025, 3, 20))
    assert (student.family_composition, student.social_status, student.foreign_language) == \
        ("полная", "многодетная семья", "Немецкий")
    assert student.org_id == world.a.org.id and student.status == "studying"
    assert [p.id for p in student.parents] == [world.a.parent.id]

    # In the class list at once: the service, the class card's count and the list filter.
    assert student.id in [s.id for s in class_list(world.a.klass.id)]
    listing = hr.get("/students/").get_data(as_text=True)
    arg = filter_arg(listing, "Класс", "равно")
    in_5a = hr.get(f"/students/?flt1_{arg}=5А").get_data(as_text=True)
    in_6b = hr.get(f"/students/?flt1_{arg}=6Б").get_data(as_text=True)
    assert "Морозова" in in_5a and "Учеников" in in_5a and "Морозова" not in in_6b
    classes = hr.get("/classes/").get_data(as_text=True)
    assert re.search(r"5А.*?<td[^>]*>\s*3\s*</td>", classes, re.S)  # two before, three now


BAD_CARDS = [
    ({"snils": "112-233-445 96"}, "контрольной суммы"),
    ({"snils": "112-233-44"}, "11 цифр"),
    ({"passport_series": "", "passport_number": "", "passport_date": ""}, "С 14 лет обязательны"),
    ({"birth_date": "01.02.2030"}, "не может быть в будущем"),
    ({"birth_date": "01.02.1950", "birth_certificate_date": "", "passport_date": ""}, "невозможна"),
    ({"birth_date": "01.02.2024", "passport_series": "", "passport_number": "", "passport_date": "",
      "birth_certificate_date": ""}, "невозможна"),
    ({"enrollment_order_date": "01.01.2030"}, "не может быть в будущем"),
    ({"passport_series": "65", "passport_number": "12"}, "Серия паспорта"),
    ({"last_name": "Smith"}, "русские буквы"),
    ({"klass": ""}, "зачислен в класс"),
]


def test_a_bad_student_card_is_refused_with_a_russian_message(world, browser):
    hr = open_browser(browser, "a.hr")
    before = count(Student)
    for changes, message in BAD_CARDS:
        resp = hr.post("/students/new/", data=student_form(world, **changes), follow_redirects=True)
        text = flashes(resp)
        assert "Карточка обучающегося не сохранена" in text and message in text, (changes, text)
        assert count(Student) == before, changes


def test_a_student_card_without_a_required_field_is_not_saved(world, browser):
    hr = open_browser(browser, "a.hr")
    before = count(Student)
    for field in ("last_name", "first_name", "sex", "birth_date", "snils", "enrollment_order_number",
                  "enrollment_order_date", "personal_file_number"):
        resp = hr.post("/students/new/", data=student_form(world, **{field: ""}))
        assert resp.status_code == 200, field
        assert re.search(rf'id="{field}"[^>]*>(?:[^<]|<option[^>]*>|</option>)*(?:</select>)?\s*'
                         r'<div class="invalid-feedback">\s*<ul[^>]*>\s*<li>Обязательное поле',
                         resp.get_data(as_text=True)), field
        assert count(Student) == before, field


def test_snils_is_unique_within_the_organization_only(world, browser):
    hr = open_browser(browser, "a.hr")
    taken = world.a.student.snils
    before = count(Student)
    resp = hr.post("/students/new/", data=student_form(world, snils=taken), follow_redirects=True)
    assert f"СНИЛС {taken} уже указан в карточке: Учеников Пётр Иванович" in flashes(resp)
    assert count(Student) == before

    # Another school may enroll the same child (he moved): his СНИЛС is not theirs to check.
    hr_b = open_browser(browser, "b.hr")
    form = student_form(world, snils=taken, klass=str(world.b.klass.id), parents=None)
    resp = hr_b.post("/students/new/", data=form, follow_redirects=True)
    assert "Запись была создана" in flashes(resp)
    assert count(Student) == before + 1


def test_one_parent_with_several_children_through_the_parent_form(world, browser):
    a = world.a
    hr = open_browser(browser, "a.hr")
    before = count(Parent)
    resp = hr.post("/parents/new/", data={
        "last_name": "Соседова", "first_name": "Галина", "middle_name": "Петровна", "relation": "mother",
        "children": [str(a.classmate.id), str(a.stranger.id)], "phone": "+7 (912) 345-67-89",
        "email": "sosedova@example.ru"}, follow_redirects=True)
    assert "Запись была создана" in flashes(resp)
    assert count(Parent) == before + 1
    mother = db.session.scalar(select(Parent).where(Parent.last_name == "Соседова"))
    assert sorted(c.id for c in mother.children) == sorted([a.classmate.id, a.stranger.id])
    assert mother in db.session.get(Student, a.stranger.id).parents
    listing = hr.get("/parents/").get_data(as_text=True)
    assert "Соседов С. И." in listing and "Чужов И. И." in listing

    bad = hr.post("/parents/new/", data={"last_name": "Соседова", "first_name": "Галина",
                                         "email": "не-почта"}, follow_redirects=True)
    assert "Адрес электронной почты указан неверно" in flashes(bad)
    assert count(Parent) == before + 1


def test_two_parents_of_one_child_through_the_student_form(world, browser):
    a = world.a
    father = Parent(org_id=a.org.id, last_name="Морозов", first_name="Сергей", relation="father")
    db.session.add(father)
    db.session.commit()
    hr = open_browser(browser, "a.hr")
    resp = hr.post("/students/new/", data=student_form(world, parents=[str(a.parent.id), str(father.id)]),
                   follow_redirects=True)
    assert "Запись была создана" in flashes(resp)
    child = db.session.scalar(select(Student).where(Student.snils == SNILS))
    assert sorted(p.id for p in child.parents) == sorted([a.parent.id, father.id])
    # a.parent now has two children: one parent, several children, seen from his card.
    assert sorted(c.id for c in db.session.get(Parent, a.parent.id).children) == \
        sorted([a.student.id, child.id])

    # The edit form unlinks one of them.
    form = student_form(world, parents=[str(father.id)], snils=child.snils)
    resp = hr.post(f"/students/edit/?id={child.id}", data={**form, "_version": child.version}, follow_redirects=True)
    assert "Запись была сохранена" in flashes(resp)
    assert [p.id for p in db.session.get(Student, child.id).parents] == [father.id]


def test_another_organizations_parent_cannot_be_linked(world, browser):
    hr = open_browser(browser, "a.hr")
    hr.post("/students/new/", data=student_form(world, parents=[str(world.b.parent.id)]))
    child = db.session.scalar(select(Student).where(Student.snils == SNILS))
    assert child.parents == []  # not among the choices: dropped
    assert [c.id for c in db.session.get(Parent, world.b.parent.id).children] == [world.b.student.id]


def test_hr_changes_no_functions(world):
    hr, admin = Actor.for_user(world.a.hr.user), Actor.for_user(world.a.admin.user)
    card = db.session.get(Staff, world.a.hr.id)
    check_staff_change(hr, card)  # unchanged: HR may save the card
    for codes in (["admin", "hr"], ["hr", "teacher"]):
        card.role_codes = codes
        with pytest.raises(DomainError, match="назначают директор и администратор"):
            check_staff_change(hr, card)
        check_staff_change(admin, card)
        check_staff_change(Actor.system_actor(world.a.org), card)
    db.session.rollback()


def test_admin_creates_a_staff_card_with_functions(world, browser):
    admin = open_browser(browser, "a.admin")
    form = admin.get("/staff/new/").get_data(as_text=True)
    for label in ("Фамилия", "Дата рождения", "Должность", "Функции (роли) в системе", "Разряд",
                  "Квалификационная категория", "Дата приёма"):
        assert label in form, label
    before = count(Staff)
    resp = admin.post("/staff/new/", data={
        "last_name": "Лебедева", "first_name": "Ольга", "middle_name": "Игоревна", "sex": "f",
        "birth_date": "12.05.1985", "snils": snils_with_checksum("123456789"),
        "role_codes": ["teacher", "deputy"], "rank": "14", "qualification_category": "высшая",
        "hire_date": "25.08.2026", "hire_order_number": "17-к", "phone": "+7 (912) 000-11-22",
        "email": "lebedeva@example.ru"}, follow_redirects=True)
    assert "Запись была создана" in flashes(resp)
    assert count(Staff) == before + 1
    card = db.session.scalar(select(Staff).where(Staff.last_name == "Лебедева"))
    assert card.role_codes == ["deputy", "teacher"] and card.org_id == world.a.org.id
    assert (card.birth_date, card.hire_date, card.qualification_category, card.rank) == \
        (date(1985, 5, 12), date(2026, 8, 25), "высшая", "14")
    listing = admin.get("/staff/").get_data(as_text=True)
    assert "Заместитель директора, Учитель" in listing

    resp = admin.post(f"/staff/edit/?id={card.id}", data={
        "last_name": "Лебедева", "first_name": "Ольга", "sex": "f", "hire_date": "25.08.2026",
        "role_codes": ["teacher"], "_version": card.version}, follow_redirects=True)
    assert db.session.get(Staff, card.id).role_codes == ["teacher"]


def test_a_bad_staff_card_is_refused(world, browser):
    admin = open_browser(browser, "a.admin")
    before = count(Staff)
    for changes, message in [
        ({"birth_date": "12.05.1900"}, "невозможна для сотрудника"),
        ({"hire_date": "01.01.1980", "birth_date": "12.05.1985"}, "Дата приёма раньше даты рождения"),
        ({"snils": "123-456-789 00"}, "контрольной суммы"),
        ({"email": "почта"}, "Адрес электронной почты"),
    ]:
        data = {"last_name": "Лебедева", "first_name": "Ольга", "sex": "f", "hire_date": "25.08.2026",
                "role_codes": ["teacher"], **changes}
        resp = admin.post("/staff/new/", data=data, follow_redirects=True)
        assert "Карточка сотрудника не сохранена" in flashes(resp) and message in flashes(resp), changes
        assert count(Staff) == before, changes


def test_hr_keeps_staff_cards_but_does_not_grant_functions(world, browser):
    """Functions are access rights: HR granting «администратор» would make anyone an administrator."""
    hr = open_browser(browser, "a.hr")
    before = count(Staff)
    resp = hr.post("/staff/new/", data={
        "last_name": "Лебедева", "first_name": "Ольга", "sex": "f", "hire_date": "25.08.2026",
        "hire_order_number": "17-к"}, follow_redirects=True)
    assert "Запись была создана" in flashes(resp)
    assert count(Staff) == before + 1

    for card in (world.a.hr, world.a.teacher):
        hr.post(f"/staff/edit/?id={card.id}", data={
            "last_name": card.last_name, "first_name": card.first_name, "sex": card.sex,
            "hire_date": "25.08.2020", "role_codes": ["admin"], "_version": card.version}, follow_redirects=True)
        assert "admin" not in db.session.get(Staff, card.id).role_codes
    hr_again = open_browser(browser, "a.hr")
    assert hr_again.get("/accounts/").status_code == 403


def test_a_graduate_card_stays_editable_years_later(world, browser):
    """Ages are checked at enrollment: a school graduate is 23 now, and that is no error."""
    graduate = Student(org_id=world.a.org.id, class_id=world.a.klass.id, last_name="Выпускников",
                       first_name="Глеб", middle_name="Олегович", sex="m", birth_date=date(2003, 5, 1),
                       snils=snils_with_checksum("222333444"), personal_file_number="В-1",
                       enrollment_order_number="3-у", enrollment_order_date=date(2010, 8, 28),
                       status="graduated")
    db.session.add(graduate)
    db.session.commit()
    hr = open_browser(browser, "a.hr")
    form = student_form(world, last_name="Выпускников", first_name="Глеб", middle_name="Олегович", sex="m",
                        birth_date="01.05.2003", snils=graduate.snils, personal_file_number="В-1",
                        enrollment_order_number="3-у", enrollment_order_date="28.08.2010",
                        status="graduated", passport_series="", passport_number="", passport_date="",
                        birth_certificate_date="", address="г. Екатеринбург, ул. Новая, д. 1", parents=None)
    resp = hr.post(f"/students/edit/?id={graduate.id}", data={**form, "_version": graduate.version},
                   follow_redirects=True)
    assert "Запись была сохранена" in flashes(resp)
    assert db.session.get(Student, graduate.id).address == "г. Екатеринбург, ул. Новая, д. 1"
