"""Lists export as .xlsx and as CSV Russian Excel opens (UTF-8 with a BOM, «;»), with the list's own rows only,
Russian headers, dates дд.мм.гггг and a formula never a formula; a list prints (issue 15.8)."""
import csv
import io
import zipfile
from datetime import date

from openpyxl import load_workbook

from models import Role, db
from tests.factories import make_staff, pl_plan, pl_subject
from tests.helpers import open_browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_rows(resp):
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    body = resp.get_data()
    assert body.startswith("\ufeff".encode("utf-8"))  # Excel reads UTF-8 only by its BOM
    text = body.decode("utf-8")[1:]
    assert text.splitlines()[0].count(";") >= 1 and "\r\n" in text
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def xlsx_rows(resp):
    assert resp.status_code == 200 and resp.mimetype == XLSX
    assert ".xlsx" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.get_data())).active
    return ws, [["" if cell is None else cell for cell in row] for row in ws.iter_rows(values_only=True)]


def plans(world):
    """Two КТП of the organization, one the teacher's own; the other's name is a formula."""
    a = world.a
    other = make_staff(a.org, "Словесникова", "Ольга", [Role.TEACHER.value], "a.other", sex="f")
    pl_plan(a.org, a.year, a.teacher, pl_subject(a.org, "Математика"), 5, name="КТП математики")
    pl_plan(a.org, a.year, other, pl_subject(a.org, "Русский язык"), 5, name='=cmd|" /C calc"!A0')
    db.session.commit()


def test_an_export_has_exactly_the_rows_the_list_shows_to_each_role(world, browser):
    plans(world)
    for login, names in (("a.admin", {"КТП математики", '=cmd|" /C calc"!A0'}), ("a.teacher", {"КТП математики"})):
        b = open_browser(browser, login)
        listed = b.get("/ktp/").get_data(as_text=True)
        assert ("calc" in listed) == (len(names) == 2)
        rows = csv_rows(b.get("/ktp/export/csv/"))
        assert rows[0][0] == "Название" and all(any("а" <= ch <= "я" for ch in h.lower()) for h in rows[0]), rows[0]
        assert {row[0].lstrip("'") for row in rows[1:]} == names, login
        ws, table = xlsx_rows(b.get("/ktp/export/xlsx/"))
        assert table[0] == rows[0]
        assert {row[0] for row in table[1:]} == names, login
        # A search narrows the export as it narrows the list.
        assert len(csv_rows(b.get("/ktp/export/csv/?search=математики"))) == 2


def test_a_formula_stays_text_in_both_files(world, browser):
    plans(world)
    b = open_browser(browser, "a.admin")
    rows = csv_rows(b.get("/ktp/export/csv/"))
    assert "'=cmd|\" /C calc\"!A0" in [row[0] for row in rows]  # the apostrophe: Excel shows it as text
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)
    resp = b.get("/ktp/export/xlsx/")
    ws, table = xlsx_rows(resp)
    cell = next(c for row in ws.iter_rows() for c in row if c.value == '=cmd|" /C calc"!A0')
    assert cell.data_type == "s"  # a string cell, never a formula
    with zipfile.ZipFile(io.BytesIO(resp.get_data())) as book:
        assert "<f>" not in book.read("xl/worksheets/sheet1.xml").decode()


def test_dates_and_the_printed_page(world, browser):
    a = world.a
    a.student.birth_date = date(2015, 3, 1)
    db.session.commit()
    b = open_browser(browser, "a.admin")
    rows = csv_rows(b.get("/students/export/csv/"))
    assert "01.03.2015" in {cell for row in rows for cell in row}
    assert not any("2015-03-01" in cell for row in rows for cell in row)
    ws, table = xlsx_rows(b.get("/students/export/xlsx/"))
    assert "01.03.2015" in {cell for row in table for cell in row}
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    page = b.get("/students/").get_data(as_text=True)
    assert "list_print.css" in page and "data-print" in page
    assert "Excel (.xlsx)" in page and "/students/export/xlsx/" in page
    assert b.get("/static/list_print.css").status_code == 200


def test_a_role_without_the_export_gets_no_file(world, browser):
    plans(world)
    b = open_browser(browser, "a.class_teacher")  # reads students of his class, exports nothing
    assert b.get("/students/export/xlsx/").status_code == 403
    assert b.get("/students/export/csv/").status_code == 403
    assert "/students/export/" not in b.get("/students/").get_data(as_text=True)
