"""ОО-1 (СПО-1 in a college): the form's counts against a hand count on a small school with movers, the age on
1 January, the sex split, ОВЗ and disability, the repeaters and the previous year's results, the drill-down
listing exactly the students counted, the roles and the other organization, the .xlsx, the statements."""
import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from models import AccessLog, Organization, Specialty, db
from reports import registry
from reports.oo1 import build_form
from reports.parameters import resolve
from services.context import Actor
from services.errors import DomainError, PermissionDenied
from services.movement import enrollment
from services.movement import orders as movement
from tests.factories import (make_class, make_staff, make_student, mv_actor, mv_order, mv_transfer, mv_withdraw,
                             next_snils, next_year, ro_college)
from tests.querycount import count_queries

D = date
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def enroll(org, klass, last, day, sex="m", birth="01.03.2015"):
    actor = mv_actor(org)
    order = movement.create_order(actor, "enrollment", movement.suggest_number(org.id, day), day)
    enrollment.save_card(actor, order.id, {"last_name": last, "first_name": "Иван", "sex": sex, "birth_date": birth,
                                         "snils": next_snils(), "personal_file_number": f"Н-{last}"}, klass.id)
    movement.apply_order(actor, order.id)
    db.session.commit()


@pytest.fixture
def movers(world):
    """World A on 20.10.2026: 5А — Девочкина (ОВЗ, инвалидность, английский), Ранний (enrolled 15.09);
    6Б — Чужов, Соседов (from 5А on 12.10). Учеников left for another school on 01.10 (not counted),
    Новенькая is enrolled into 6Б on 09.11 (after the date: not counted)."""
    a = world.a
    girl = make_student(a.org, a.klass, "Девочкина", "Анна", birth=D(2015, 6, 1), ovz="yes", disability="yes",
                        disability_category="child", foreign_language="Английский",
                        adapted_program="АООП НОО, вариант 7.1")
    girl.sex = "f"
    a.girl = girl
    db.session.commit()
    enroll(a.org, a.klass, "Ранний", D(2026, 9, 15))
    mv_withdraw(a.student, D(2026, 10, 1))
    mv_transfer(a.classmate, a.other_class, D(2026, 10, 12))
    enroll(a.org, a.other_class, "Новенькая", D(2026, 11, 9), sex="f")
    return world


def form_of(login_card, **raw):
    actor = Actor.for_user(login_card.user)
    return actor, build_form(actor, resolve(actor, registry.REGISTRY["oo-1"], raw))


def value(form, code, line, graph):
    return form.section(code).cell(line, graph).value


def listed(actor, cell, **raw):
    doc = registry.REGISTRY["oo-1"].drill(actor, resolve(actor, registry.REGISTRY["oo-1"], raw), cell)
    return [row.values[1].split()[0] for row in doc.sheets[0].blocks[0].rows]


def test_headcount_by_grade_counted_by_hand(movers):
    a = movers.a
    actor, form = form_of(a.admin, to="20.10.2026")
    assert form.on == D(2026, 10, 20)
    # graphs: 3 classes, 4 students, 5 girls, 6 repeaters, 7 ОВЗ, 8 disabled; line 05 — 5th grade, 12 — total
    assert [value(form, "2.1.1", "05", g) for g in range(3, 9)] == [1, 2, 1, 0, 1, 1]
    assert [value(form, "2.1.1", "06", g) for g in range(3, 9)] == [1, 2, 0, 0, 0, 0]
    assert [value(form, "2.1.1", "12", g) for g in range(3, 9)] == [2, 4, 1, 0, 1, 1]
    assert value(form, "2.1.1", "07", 4) == 0
    # the drill-down lists exactly the students counted: the mover once, in the class he was in on the date
    assert listed(actor, "2.1.1:05:4", to="20.10.2026") == ["Девочкина", "Ранний"]
    assert listed(actor, "2.1.1:06:4", to="20.10.2026") == ["Соседов", "Чужов"]
    assert listed(actor, "2.1.1:12:4", to="20.10.2026") == ["Девочкина", "Ранний", "Соседов", "Чужов"]
    assert listed(actor, "2.1.1:12:7", to="20.10.2026") == ["Девочкина"]
    # before the moves: Учеников and Соседов in 5А, Ранний not yet enrolled
    _, early = form_of(a.admin, to="14.09.2026")
    assert [value(early, "2.1.1", line, 4) for line in ("05", "06", "12")] == [3, 1, 4]
    assert listed(actor, "2.1.1:05:4", to="14.09.2026") == ["Девочкина", "Соседов", "Учеников"]
    assert listed(actor, "2.1.1:12:3", to="20.10.2026") == ["5А", "6Б"]  # the classes counted
    # 2.1.2: two classes of up to 10 students
    assert (value(form, "2.1.2", "01", 3), value(form, "2.1.2", "01", 4), value(form, "2.1.2", "07", 3)) == (2, 4, 2)


def test_age_on_first_january_and_sex(movers):
    a = movers.a
    actor, form = form_of(a.admin, to="20.10.2026")
    assert form.age_day == D(2027, 1, 1)
    # lines: 01 younger than 6, 02 six … 13 seventeen, 14 eighteen and older, 15 total; graphs 3 all, 4 girls,
    # 5 grades 1–4, 6 grades 5–9, 7 grades 10–11. On 01.01.2027: born 2015 → 11 (line 07), 2014 → 12 (line 08).
    assert [value(form, "2.2", "07", g) for g in range(3, 8)] == [3, 1, 0, 3, 0]
    assert [value(form, "2.2", "08", g) for g in range(3, 8)] == [1, 0, 0, 1, 0]
    assert [value(form, "2.2", "15", g) for g in range(3, 8)] == [4, 1, 0, 4, 0]
    assert listed(actor, "2.2:08:3", to="20.10.2026") == ["Чужов"]
    # languages and health: only Девочкина has them on her card
    assert value(form, "2.3", "01", 3) == 1 and form.section("2.3").rows[0][1] == "Английский язык"
    assert value(form, "2.3", "03", 3) == 3  # the language not on the card
    assert [value(form, "2.4", line, 3) for line in ("01", "02", "03", "04")] == [1, 1, 1, 1]
    assert listed(actor, "2.4:03:4", to="20.10.2026") == ["Девочкина"]


def test_movement_from_the_start_of_the_year(movers):
    a = movers.a
    actor, form = form_of(a.admin, to="20.10.2026")
    section = form.section("2.5")
    graph = {title: n for n, title in enumerate(section.columns, start=3)}
    keys = ("На начало учебного года", "Прибыло всего", "из них зачислено (из других организаций)", "Выбыло всего",
            "из них переведено в другие классы", "выбыло из школы",
            "в т. ч. в другую организацию", "На дату формы")
    assert [value(form, "2.5", "05", graph[k]) for k in keys] == [3, 1, 1, 2, 1, 1, 1, 2]
    assert [value(form, "2.5", "06", graph[k]) for k in keys] == [1, 1, 0, 0, 0, 0, 0, 2]
    assert [value(form, "2.5", "12", graph[k]) for k in keys] == [4, 2, 1, 2, 1, 1, 1, 4]
    assert listed(actor, f"2.5:12:{graph['Выбыло всего']}", to="20.10.2026") == ["Соседов", "Учеников"]
    assert listed(actor, f"2.5:06:{graph['Прибыло всего']}", to="20.10.2026") == ["Соседов"]


def test_repeaters_and_the_previous_year(movers):
    a = movers.a
    nxt = next_year(a.org)
    five, six = make_class(a.org, nxt, "5А", 5), make_class(a.org, nxt, "7Б", 7)
    senior = make_class(a.org, a.year, "11А", 11)
    graduate = make_student(a.org, senior, "Выпускница", "Галина", birth=D(2009, 2, 2), passport_series="4510",
                            passport_number="123456", passport_date=D(2023, 3, 1), passport_issued_by="ОВД")
    graduate.sex = "f"
    db.session.commit()
    mv_order(a.org, "repeat", D(2027, 5, 31), [(a.girl, five)], effective=D(2027, 9, 1), target_year=nxt)
    mv_order(a.org, "next_year", D(2027, 5, 31), [(a.classmate, six)], effective=D(2027, 9, 1), target_year=nxt)
    mv_order(a.org, "graduation", D(2027, 5, 31), [(graduate, None)], effective=D(2027, 7, 1))
    actor, form = form_of(a.admin, year="2027/2028")
    assert form.on == D(2027, 9, 20)
    assert [value(form, "2.1.1", "05", g) for g in (4, 5, 6)] == [1, 1, 1]
    assert listed(actor, "2.1.1:05:6", year="2027/2028") == ["Девочкина"]
    # 2.6: 01 graduates of the 9th, 02 of the 11th, 03 others, 04 promoted, 05 repeaters
    assert [value(form, "2.6", line, 3) for line in ("01", "02", "03", "04", "05")] == [0, 1, 0, 1, 1]
    assert value(form, "2.6", "02", 4) == 1
    assert listed(actor, "2.6:02:3", year="2027/2028") == ["Выпускница"]


def test_staff_by_position(movers):
    a = movers.a
    actor, form = form_of(a.admin, to="20.10.2026")
    total = form.section("3.1").rows[-1]
    assert total[1] == "Всего работников"
    assert total[2][0].value == 6 and total[2][1].value == 3  # world A's six staff, three women
    make_staff(a.org, "Новиков", "Нил").hire_date = D(2026, 11, 1)  # hired after the date: not counted
    db.session.commit()
    _, again = form_of(a.admin, to="20.10.2026")
    assert again.section("3.1").rows[-1][2][0].value == 6
    line = total[0]
    doc = registry.REGISTRY["oo-1"].drill(actor, resolve(actor, registry.REGISTRY["oo-1"], {"to": "20.10.2026"}),
                                          f"3.1:{line}:4")
    assert sorted(r.values[1].split()[0] for r in doc.sheets[0].blocks[0].rows) == ["Завучева", "Кадрова", "Классова"]
    assert doc.staff


@pytest.mark.parametrize("cell", ["", "2.1.1", "2.1.1:5:4", "9.9:01:3", "2.1.1:99:4", "2.1.1:05:2",
                                  "2.1.1:05:40", "<script>", "2.1.1:05:4; drop"])
def test_a_bad_cell_is_refused(movers, cell):
    actor = Actor.for_user(movers.a.admin.user)
    with pytest.raises(DomainError):
        registry.REGISTRY["oo-1"].drill(actor, resolve(actor, registry.REGISTRY["oo-1"], {}), cell)


def test_the_pages_roles_and_the_other_organization(movers, browser):
    a = movers.a
    b = browser()
    assert b.login("a.deputy").status_code == 302
    default = b.get("/reports/oo-1/").get_data(as_text=True)
    assert "По состоянию на: <strong>20.09.2026</strong>" in default and 'value="20.09.2026"' in default
    refused = b.get("/reports/oo-1/?to=15.07.2027")
    assert refused.status_code == 200 and "выходит за 2026/2027 учебный год" in refused.get_data(as_text=True)
    assert b.get("/reports/oo-1/?to=20.10.2026&format=json").status_code == 200
    page = b.get("/reports/oo-1/?to=20.10.2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Численность обучающихся по классам" in html
    assert "/reports/oo-1/cell/?cell=2.1.1%3A05%3A4" in html or "cell=2.1.1:05:4" in html
    before = db.session.scalar(select(db.func.count(AccessLog.id)))
    cell = b.get("/reports/oo-1/cell/?cell=2.1.1:05:4&to=20.10.2026")
    text = cell.get_data(as_text=True)
    assert cell.status_code == 200 and "Девочкина Анна" in text and "Ранний Иван" in text and "Чужов" not in text
    assert db.session.scalar(select(db.func.count(AccessLog.id))) == before + 1
    assert b.get("/reports/oo-1/cell/?cell=2.1.1:77:4&to=20.10.2026").status_code == 404
    assert b.get("/reports/oo-1/cell/?cell=junk").status_code == 404
    xlsx = b.get("/reports/oo-1/?to=20.10.2026&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype == XLSX
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    values = list(book.worksheets[0].iter_rows(values_only=True))
    line = next(row for row in values if row and row[0] == "5 класс")
    assert list(line[1:8]) == ["05", 1, 2, 1, 0, 1, 1]
    assert any(row and row[:3] == ("1", "2", "3") for row in values)  # the graphs' numbers under the header
    for login in ("a.teacher", "a.class_teacher", "a.hr", "a.student", "a.parent"):
        other = browser()
        assert other.login(login).status_code == 302
        assert other.get("/reports/oo-1/").status_code in (403, 404), login
        assert other.get("/reports/oo-1/cell/?cell=2.1.1:05:4").status_code in (403, 404), login
    for login in ("a.teacher", "a.class_teacher"):
        with pytest.raises(PermissionDenied):
            form_of(getattr(a, login.split(".")[1]), to="20.10.2026")
    # the other organization counts only its own: 5А Учеников, Соседов; 6Б Чужов
    _, theirs = form_of(movers.b.admin, to="20.10.2026")
    assert [value(theirs, "2.1.1", "12", g) for g in (3, 4)] == [2, 3]
    other = browser()
    assert other.login("b.admin").status_code == 302
    text = other.get("/reports/oo-1/cell/?cell=2.1.1:12:4&to=20.10.2026").get_data(as_text=True)
    assert "Девочкина" not in text and "Ранний" not in text


def test_a_bounded_number_of_statements(movers):
    a = movers.a
    actor = Actor.for_user(a.admin.user)
    params = resolve(actor, registry.REGISTRY["oo-1"], {"to": "20.10.2026"})
    with count_queries() as small:
        registry.REGISTRY["oo-1"].build(actor, params)
    for n, last in enumerate(("Первов", "Второв", "Третьев", "Четвертов")):
        make_student(a.org, a.other_class, last, "Иван", ovz="yes", adapted_program="АООП ООО",
                     foreign_language="Немецкий")
        make_class(a.org, a.year, f"7{'АБВГ'[n]}", 7)
    db.session.commit()
    params = resolve(actor, registry.REGISTRY["oo-1"], {"to": "20.10.2026"})
    with count_queries() as large:
        registry.REGISTRY["oo-1"].build(actor, params)
    # the classes, the class lists, the repeaters, the movement (its classes, stays, orders with their items),
    # the previous year, its orders, the staff: the same for any number of classes, students or staff
    assert len(small) == len(large) <= 11, [s[:80] for s in large]


def test_a_college_gets_spo1(world):
    c = ro_college("k")
    org = db.session.get(Organization, c.org.id)
    spec = Specialty(org_id=org.id, code="15.02.16", name="Технология машиностроения")
    db.session.add(spec)
    db.session.flush()
    c.group.specialty_id = spec.id
    c.students[0].sex = "f"
    c.students[1].study_form = "full_time"
    db.session.commit()
    enroll(org, c.group, "Поступивший", D(2026, 9, 10), birth="01.03.2013")
    actor = Actor.for_user(c.admin.user)
    form = build_form(actor, resolve(actor, registry.REGISTRY["oo-1"], {"to": "01.10.2026"}))
    assert form.college and form.section("2.1.1") is None
    head = form.section("2.1")
    assert head.columns[:2] == ["Всего", "2 курс"]
    assert head.rows[0][1] == "15.02.16 Технология машиностроения"
    assert [cell.value for cell in head.rows[0][2][:3]] == [4, 4, 1]
    assert head.cell("01", head.columns.index("Форма обучения: очная") + 3).value == 1
    admission = form.section("2.6")
    assert admission.title.startswith("Приём") and admission.rows[0][2][0].value == 1
    assert listed(actor, "2.6:01:3", to="01.10.2026") == ["Поступивший"]
    doc = registry.REGISTRY["oo-1"].build(actor, resolve(actor, registry.REGISTRY["oo-1"], {"to": "01.10.2026"}))
    assert doc.title.startswith("Форма № СПО-1")
    assert registry.REGISTRY["oo-1"].title_for(org).startswith("Форма СПО-1")
