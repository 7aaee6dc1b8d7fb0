"""«Наполняемость классов» and «Движение учащихся по школе»: the numbers counted by hand on a small
school, the same on the screen and in the printable .xlsx, bad parameters, roles, the other
organization, and a bounded number of queries."""
import io
import re
from datetime import date

import openpyxl
import pytest

from models import Student, db
from reports.class_fill import class_fill
from reports.movement import school_movement
from services.movement import enrollment
from services.movement import orders as movement
from services.context import Actor
from services.errors import DomainError, PermissionDenied
from tests.factories import make_class, make_student, mv_actor, mv_transfer, mv_withdraw, next_snils
from tests.querycount import count_queries

D = date
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def girl(org, klass, last):
    card = Student(org_id=org.id, class_id=klass.id, last_name=last, first_name="Анна", middle_name="Ивановна",
                   sex="f", birth_date=D(2015, 6, 1), snils=next_snils(), personal_file_number=f"Д-{last}",
                   enrollment_order_number="12-у", enrollment_order_date=D(2026, 8, 28))
    db.session.add(card)
    db.session.flush()
    return card


@pytest.fixture
def moved(world):
    """5А: Учеников, Соседов, Девочкина; 6Б: Чужов. Соседов goes to 6Б on 12.10, Новенькая is enrolled
    into 6Б on 09.11, Учеников leaves for another school on 16.11."""
    a = world.a
    girl(a.org, a.klass, "Девочкина")
    a.klass.max_students = 25
    db.session.commit()
    mv_transfer(a.classmate, a.other_class, D(2026, 10, 12))
    actor = mv_actor(a.org)
    order = movement.create_order(actor, "enrollment", "20-у", D(2026, 11, 9))
    enrollment.save_card(actor, order.id, {"last_name": "Новенькая", "first_name": "Ольга", "sex": "f",
                                         "birth_date": "02.02.2015", "snils": next_snils(),
                                         "personal_file_number": "Н-1"}, a.other_class.id)
    movement.apply_order(actor, order.id)
    mv_withdraw(a.student, D(2026, 11, 16), reason="other_school", destination="МБОУ «СОШ № 9», г. Москва")
    return world


def fill_numbers(report):
    return {row.label: (row.total, row.boys, row.girls) for row in report.rows + [report.total]}


def test_class_fill_counted_by_hand(moved):
    a = moved.a
    actor = Actor.for_user(a.admin.user)
    early = class_fill(actor, D(2026, 10, 1))
    assert fill_numbers(early) == {"5А": (3, 2, 1), "Итого 5-е классы": (3, 2, 1), "6Б": (1, 1, 0),
                                   "Итого 6-е классы": (1, 1, 0), "Всего по школе": (4, 3, 1)}
    five_a = early.rows[0]
    assert (five_a.teacher, five_a.max_students, five_a.free) == ("Классова Клара Петровна", 25, 22)
    late = class_fill(actor, D(2026, 11, 20))
    assert fill_numbers(late) == {"5А": (1, 0, 1), "Итого 5-е классы": (1, 0, 1), "6Б": (3, 2, 1),
                                  "Итого 6-е классы": (3, 2, 1), "Всего по школе": (4, 2, 2)}
    with pytest.raises(DomainError) as caught:
        class_fill(actor, D(2027, 8, 1))
    assert "не входит ни в один учебный год" in caught.value.errors[0]


def movement_numbers(report, *keys):
    return {row.label: tuple(row.value(k) for k in keys) for row in report.rows + [report.total]}


def test_movement_counted_by_hand(moved):
    a = moved.a
    actor = Actor.for_user(a.hr.user)
    report = school_movement(actor, D(2026, 9, 1), D(2026, 11, 30))
    keys = ("at_start", "arrived", "enrolled", "from_class", "left", "to_class", "left_institution",
            "reason:other_school", "at_end")
    assert movement_numbers(report, *keys) == {
        "5А": (3, 0, 0, 0, 2, 1, 1, 1, 1), "Итого 5-е классы": (3, 0, 0, 0, 2, 1, 1, 1, 1),
        "6Б": (1, 2, 1, 1, 0, 0, 0, 0, 3), "Итого 6-е классы": (1, 2, 1, 1, 0, 0, 0, 0, 3),
        "Всего по школе": (4, 2, 1, 1, 2, 1, 1, 1, 4)}
    assert report.reasons == ["other_school"]
    assert [(o.number, o.kind) for o in report.orders] == [
        ("1", "transfer"), ("20-у", "enrollment"), ("21", "withdrawal")]
    later = school_movement(actor, D(2026, 10, 13), D(2026, 11, 30))
    assert movement_numbers(later, "at_start", "arrived", "left", "at_end") == {
        "5А": (2, 0, 1, 1), "Итого 5-е классы": (2, 0, 1, 1), "6Б": (2, 1, 0, 3), "Итого 6-е классы": (2, 1, 0, 3),
        "Всего по школе": (4, 1, 1, 4)}
    for row in report.rows + [report.total]:
        assert row.at_end == row.at_start + row.arrived - row.left


@pytest.mark.parametrize("start,end,message", [
    (D(2026, 11, 30), D(2026, 11, 1), "раньше даты начала"),
    (D(2026, 9, 1), D(2027, 7, 15), "внутри учебного года 2026/2027 (01.09.2026–30.06.2027)"),
    (D(2025, 1, 1), D(2025, 2, 1), "не входит ни в один учебный год"),
    (None, D(2025, 2, 1), "Укажите дату начала"),
])
def test_movement_refuses_a_bad_range(world, start, end, message):
    with pytest.raises(DomainError) as caught:
        school_movement(Actor.for_user(world.a.admin.user), start, end)
    assert message in caught.value.errors[0]


def screen_cells(html):
    return {key: value for key, value in re.findall(r'data-c="([^"]+)">([^<]*)</td>', html)}


def xlsx_cells(data, label_col, keys, first_row):
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book.worksheets[0]
    cells = {}
    for row in ws.iter_rows(min_row=first_row, values_only=True):
        label = row[label_col]
        if not label or label == "Директор":
            continue
        for offset, key in enumerate(keys):
            value = row[label_col + 1 + (1 if label_col == 1 else 0) + offset]
            cells[f"{label}|{key}"] = "" if value is None else str(value)
    return book, cells


def test_class_fill_on_screen_and_in_xlsx_are_the_same(moved, mv_browser):
    a = moved.a
    b = mv_browser("a.director")
    html = b.get("/reports/class-fill/?date=01.10.2026").get_data(as_text=True)
    screen = screen_cells(html)
    assert screen["5А|total"] == "3" and screen["Всего по школе|girls"] == "1" and screen["5А|free"] == "22"
    resp = b.get("/reports/class-fill/?date=01.10.2026&format=xlsx")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    keys = ("total", "boys", "girls", "max_students", "free")
    book, cells = xlsx_cells(resp.data, 1, keys, 6)
    assert cells == screen
    ws = book.worksheets[0]
    assert ws["A1"].value == a.org.full_name and "на 01.10.2026" in ws["A3"].value
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$5:$5"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert any(c.value == "Директор" for row in ws.iter_rows() for c in row)


def test_movement_on_screen_and_in_xlsx_are_the_same_with_the_orders(moved, mv_browser):
    b = mv_browser("a.deputy")
    url = "/reports/movement/?start=01.09.2026&end=30.11.2026"
    html = b.get(url).get_data(as_text=True)
    screen = screen_cells(html)
    assert screen["Всего по школе|at_start"] == "4" and screen["5А|reason:other_school"] == "1"
    assert "МБОУ «СОШ № 9», г. Москва" in html and "Новенькая Ольга" in html
    resp = b.get(url + "&format=xlsx")
    assert resp.status_code == 200
    report = school_movement(Actor.for_user(moved.a.deputy.user), D(2026, 9, 1), D(2026, 11, 30))
    keys = [k for k, _ in report.columns()]
    book, cells = xlsx_cells(resp.data, 0, keys, 7)
    assert cells == screen
    ws = book.worksheets[0]
    assert ws.print_title_rows == "$5:$6" and ws.page_setup.orientation == "landscape"
    orders = book.worksheets[1]
    lines = [row for row in orders.iter_rows(min_row=5, values_only=True) if row[0] and row[0] != "Директор"]
    assert [(r[0], r[3], r[5]) for r in lines] == [
        ("1", "Перевод из класса в класс", "Соседов Семён Иванович"),
        ("20-у", "Зачисление", "Новенькая Ольга"),
        ("21", "Выбытие", "Учеников Пётр Иванович")]
    assert "СОШ № 9" in lines[2][8]


def test_bad_parameters_on_the_pages_give_a_russian_message(world, mv_browser):
    b = mv_browser("a.admin")
    page = b.get("/reports/movement/?start=30.11.2026&end=01.11.2026").get_data(as_text=True)
    assert "раньше даты начала" in page
    page = b.get("/reports/movement/?start=01.09.2026&end=15.07.2027").get_data(as_text=True)
    assert "внутри учебного года" in page
    page = b.get("/reports/class-fill/?date=32.13.2026")
    assert page.status_code == 200 and "дд.мм.гггг" in page.get_data(as_text=True)
    resp = b.get("/reports/movement/?start=30.11.2026&end=01.11.2026&format=xlsx")
    assert resp.mimetype != XLSX


@pytest.mark.parametrize("role,status", [("admin", 200), ("hr", 200), ("deputy", 200), ("director", 200),
                                         ("class_teacher", 403), ("teacher", 403), ("student", 403), ("parent", 403)])
def test_who_reads_the_reports(world, mv_browser, role, status):
    b = mv_browser(world.a.logins[role])
    for url in ("/reports/class-fill/", "/reports/class-fill/?format=xlsx", "/reports/movement/",
                "/reports/movement/?format=xlsx"):
        assert b.get(url).status_code == status, url
    if status == 403:
        with pytest.raises(PermissionDenied):
            class_fill(Actor.for_user(getattr(world.a, role).user), D(2026, 10, 1))
        with pytest.raises(PermissionDenied):
            school_movement(Actor.for_user(getattr(world.a, role).user), D(2026, 10, 1), D(2026, 10, 2))


def test_another_organization_counts_only_its_own(moved):
    b = moved.b
    report = class_fill(Actor.for_user(b.admin.user), D(2026, 11, 20))
    assert fill_numbers(report)["Всего по школе"] == (3, 3, 0)
    assert school_movement(Actor.for_user(b.admin.user), D(2026, 9, 1), D(2026, 11, 30)).orders == []


def test_the_reports_cost_the_same_whatever_the_school_size(world, mv_browser):
    a = world.a
    b = mv_browser("a.admin")

    def cost():
        counts = []
        for url in ("/reports/class-fill/?date=20.11.2026", "/reports/movement/?start=01.09.2026&end=30.11.2026"):
            with count_queries() as statements:
                assert b.get(url).status_code == 200
            counts.append(len(statements))
        return counts

    mv_transfer(a.classmate, a.other_class, D(2026, 10, 1))
    small = cost()
    for n in range(4):
        klass = make_class(a.org, a.year, f"{7 + n}В", 7 + n)
        for m in range(3):
            make_student(a.org, klass, f"Ученик{chr(1072 + n)}{chr(1072 + m)}", "Иван", birth=D(2011, 1, 1),
                         passport_series="6512", passport_number=f"4{n}{m}000")
    db.session.commit()
    mv_transfer(db.session.get(Student, a.student.id), a.other_class, D(2026, 10, 5))
    assert cost() == small
