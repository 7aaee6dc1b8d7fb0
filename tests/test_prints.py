"""Prints that read (issue 15.9): the page setup of the reports' .xlsx, read back with openpyxl.

A wide ledger is split over pages between its column groups with the names repeated, a narrow report fits one
page wide; every column is as wide as its values («100,0» never prints as «###») and as its header's longest
word (a header wraps between words only); a row of wrapped text is as tall as its lines; the print area,
the page header (the organization) and footer (page numbers) are set; the parent letter prints a portrait
page per student with no table header carried over. `make print-check` renders the same workbooks with
LibreOffice to look at them (bench/print_check.py); the last test here runs it only when asked
(PRINT_CHECK=1) and LibreOffice is installed.
"""
import io
import os
import re
import shutil

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from bench import print_check
from models import Organization
from reports import registry
from reports.document import Column, Document
from reports.render import LINE, SPLIT_SCALE, to_xlsx
from services.demo.school import create_demo
from tests.conftest import TEST_TODAY
from tests.factories import actor_of

SUBJECTS = ("Русский язык", "Литература", "Английский язык", "Математика", "Информатика", "История",
            "Обществознание", "Биология", "Физическая культура")
SLOTS = ("1 ч.", "2 ч.", "3 ч.", "4 ч.", "Год", "Экз.", "Итог.")
LONG = "МДК.01.01 Технологические процессы изготовления деталей машин и сборки узлов"


def _org():
    return Organization(kind="school", short_name="МБОУ «СОШ № 7» & Ко",
                        full_name="Муниципальное бюджетное общеобразовательное учреждение «Средняя "
                                  "общеобразовательная школа № 7»")


def _ledger():
    """A ledger as wide as a real one: №, name, movement, then 9 subjects × 7 marks; a figures table under it."""
    doc = Document(name="probe", title="Сводная ведомость учёта успеваемости", org=_org(),
                   params=[("Учебный год", "2026/2027")])
    sheet = doc.sheet("9А")
    sheet.text("Класс 9А; классный руководитель: Зайцев Фёдор Кириллович", "heading")
    groups = [("", 3)] + [(s, len(SLOTS)) for s in SUBJECTS]
    columns = [Column("№", "int", 4), Column("Фамилия, имя, отчество", "text", 30), Column("Движение", "text", 13)]
    table = sheet.table(columns + [Column(slot, "mark", 4.5) for _ in SUBJECTS for slot in SLOTS], groups=groups)
    for n in range(1, 31):
        table.add([n, f"Ученикова{n} Мария Александровна", "прибыла 05.11.2026, выбыла 12.12.2026" if n == 3 else ""]
                  + ["5", "4", "н/а", "зач", "5", "", "4"] * len(SUBJECTS))
    figs = sheet.table([Column("", "text", 4), Column("Показатель", "text", 30), Column("", "text", 13)]
                       + [Column(slot, "pct", 4.5) for _ in SUBJECTS for slot in SLOTS], groups=groups)
    figs.add(["", "Успеваемость, %", ""] + [100.0] * len(SUBJECTS) * len(SLOTS), "total")
    sheet.text("Учитываются обучающиеся, состоящие в классе в последний день периода столбца. " * 4, "note")
    sheet.sign(("Классный руководитель", "Зайцев Ф. К."), ("Директор", "Соколова Е. В."))
    return doc


def _narrow():
    doc = Document(name="probe", title="Итоги успеваемости группы", org=_org())
    sheet = doc.sheet("Итоги")
    table = sheet.table([Column("Дисциплина", "text", 30), Column("Учеников", "int", 9),
                         Column("по уважительной причине", "int", 10), Column("Успеваемость, %", "pct", 12),
                         Column("Средний балл", "avg", 10)], groups=[("", 2), ("Пропущено уроков и показатели", 3)])
    table.add([LONG, 25, 3, 100.0, 4.5])
    table.add(["Физическая культура", 25, 0, 96.0, 4.12])
    sheet.text("Примечание. " + "Успеваемость — доля «5», «4», «3» и «зач». " * 6, "note")
    return doc


def _book(doc, paper="A4"):
    return openpyxl.load_workbook(io.BytesIO(to_xlsx(doc, paper).bytes()))


def _width(ws, col):
    return ws.column_dimensions[get_column_letter(col)].width


def _header_row(ws, title):
    return next(c.row for row in ws.iter_rows() for c in row if c.value == title)


def test_a_wide_ledger_is_split_between_subjects_with_the_names_repeated():
    ws = _book(_ledger()).active
    setup = ws.page_setup
    assert setup.orientation == "landscape" and setup.paperSize == 9  # A4
    # Not shrunk to one page wide (that printed it at 5 pt): its own scale, over several pages.
    assert not ws.sheet_properties.pageSetUpPr.fitToPage and setup.scale == SPLIT_SCALE
    assert ws.print_title_cols == "$A:$B"  # № and the name on every page
    header = _header_row(ws, "Фамилия, имя, отчество")
    assert ws.print_title_rows == f"${header - 1}:${header}"  # the subjects and the marks' titles
    breaks = [b.id for b in ws.col_breaks.brk]
    assert len(breaks) >= 2
    assert all((col - 3) % len(SLOTS) == 0 for col in breaks), breaks  # between subjects, never inside one
    # The print area: the whole table, nothing beyond it.
    last = get_column_letter(3 + len(SUBJECTS) * len(SLOTS))
    assert re.fullmatch(rf"'?9А'?!\$A\$1:\${last}\$\d+", ws.print_area), ws.print_area
    # The organization and the title in the page header («&» escaped), the page numbers in the footer.
    assert "МБОУ «СОШ № 7» && Ко" in ws.oddHeader.left.text and "Сводная ведомость" in ws.oddHeader.right.text
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    # The notes and the signatures stay on the first page, right of the repeated columns: no page shows them cut.
    note = next(c for row in ws.iter_rows() for c in row if str(c.value or "").startswith("Учитываются"))
    merged = next(r for r in ws.merged_cells.ranges if note.coordinate in r)
    assert merged.min_col == 3 and merged.max_col < breaks[0] + 1


def test_a_narrow_report_fits_one_page_wide_on_a4_or_a3():
    for paper, code in (("A4", 9), ("A3", 8)):
        ws = _book(_narrow(), paper).active
        assert ws.page_setup.paperSize == code and ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
        assert ws.page_setup.fitToHeight == 0 and ws.print_title_cols is None
    # The ledger fits one page wide on A3 no better than on A4: still split, the names repeated.
    assert _book(_ledger(), "A3").active.print_title_cols == "$A:$B"


def test_columns_are_as_wide_as_their_values_and_their_headers_longest_word():
    ws = _book(_ledger()).active
    header = _header_row(ws, "Фамилия, имя, отчество")
    for col in range(1, ws.max_column + 1):
        title = ws.cell(header, col).value
        if title:  # a header wraps between words: its longest word fits (bold: a little wider than its letters)
            assert _width(ws, col) >= 1.1 * max(len(w) for w in title.split()), (title, _width(ws, col))
    percent = next(c for row in ws.iter_rows() for c in row if c.value == 100.0)
    assert percent.number_format == "0.0"
    assert _width(ws, percent.column) >= len("100,0") + 1  # «100,0», not «###»
    ws = _book(_narrow()).active
    header = _header_row(ws, "Дисциплина")
    assert [ws.cell(header, c).value for c in range(1, 6)][3] == "Успеваемость, %"
    assert _width(ws, 4) >= 1.1 * len("Успеваемость,")  # not «Успеваемост/ь»
    assert _width(ws, 3) >= 1.1 * len("уважительной")
    assert _width(ws, 1) >= 30  # a long discipline's name grows its column (and wraps beyond TEXT_CAP)


def test_rows_of_wrapped_text_are_as_tall_as_their_lines():
    ws = _book(_narrow()).active
    header = _header_row(ws, "Дисциплина")
    # «по уважительной причине» takes three lines: the header row is tall enough (it overlapped the groups' row).
    assert ws.row_dimensions[header].height >= 3 * LINE
    long_row = next(c.row for row in ws.iter_rows() for c in row if c.value == LONG)
    assert ws.row_dimensions[long_row].height >= 2 * LINE  # it did overlap the next row
    assert ws.row_dimensions[long_row + 1].height is None  # a one-line row keeps the default
    note = next(c for row in ws.iter_rows() for c in row if str(c.value or "").startswith("Примечание"))
    assert ws.row_dimensions[note.row].height >= 2 * LINE * 0.9
    assert any(note.coordinate in r and r.max_col == 5 for r in ws.merged_cells.ranges)  # within the table's width
    # A text column grows to its longest value (up to TEXT_CAP): the ledger's movement notes print on one line.
    ws = _book(_ledger()).active
    moved = next(c for row in ws.iter_rows() for c in row if str(c.value or "").startswith("прибыла"))
    assert _width(ws, moved.column) > 13 and ws.row_dimensions[moved.row].height is None


def test_the_parent_letter_prints_a_page_per_student_with_no_header_carried_over(report_school):
    a = report_school
    doc = registry.build(actor_of("a.class_teacher"), "parent-letter", {"class": "5А"})
    students = [b.text for b in doc.sheets[0].blocks if getattr(b, "style", None) == "heading"]
    assert len(students) >= 2
    ws = _book(doc).active
    assert ws.page_setup.orientation == "portrait"
    assert ws.print_title_rows is None  # the first student's table header printed above every other one's name
    assert len(ws.row_breaks.brk) == len(students) - 1
    names = [c.row for row in ws.iter_rows() for c in row if c.value in students]
    heads = [c.row for row in ws.iter_rows() for c in row if c.value == "Предмет"]
    assert len(heads) == len(students) and all(name < head for name, head in zip(names, heads))
    assert a.org.short_name in ws.oddHeader.left.text


# The reports of the demo school checked here (all of them in `make print-check`, with LibreOffice).
DEMO_REPORTS = {"summary-ledger", "class-attendance-ledger", "class-attendance", "parent-letter", "class-results",
                "school-results", "class-teachers-summary", "student-report-card"}


def test_the_demo_schools_reports_print_readably(tmp_path):
    """bench/print_check.py's workbooks (no LibreOffice): a print area, a page header and footer, no percentage
    or average narrower than «100,0», a one-page-wide fit or a split with the names repeated."""
    create_demo(kind="school", password="print-check-2026")  # on the tests' day: the first half-year's marks
    written = print_check.write_reports("school", tmp_path, DEMO_REPORTS, today=TEST_TODAY)
    assert {name for name, _ in written} == DEMO_REPORTS
    for name, path in written:
        for ws in openpyxl.load_workbook(path).worksheets:
            assert ws.print_area and "&P" in ws.oddFooter.center.text, (name, ws.title)
            fits = ws.sheet_properties.pageSetUpPr.fitToPage
            assert fits or (ws.print_title_cols and ws.page_setup.scale == SPLIT_SCALE), (name, ws.title)
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, float) and c.number_format in ("0.0", "0.00"):
                        assert _width(ws, c.column) >= len(f"{c.value:.1f}") + 1, (name, ws.title, c.coordinate)
    ledger = openpyxl.load_workbook(tmp_path / "school-summary-ledger.xlsx").active
    assert ledger.print_title_cols == "$A:$B" and ledger.col_breaks.brk


@pytest.mark.skipif(not os.environ.get("PRINT_CHECK") or not shutil.which("libreoffice")
                    or not shutil.which("pdftoppm"), reason="make print-check (PRINT_CHECK=1, LibreOffice)")
def test_print_check_renders_pages(tmp_path):
    out = tmp_path / "prints"
    assert print_check.main(["--kind", "school", "--only", "parent-letter", "--out", str(out), "--pages", "1"]) == 0
    assert list(out.glob("school-parent-letter-*.png"))


def test_a_school_printing_on_a3_gets_a3(app, report_school, tmp_path):
    """`flask report run --paper A3` and REPORT_PAPER (the page's download) set the workbook's paper."""
    out = tmp_path / "ledger.xlsx"
    done = app.test_cli_runner().invoke(args=["report", "run", "summary-ledger", "--org", str(report_school.org.id),
                                              "--class", "5А", "--format", "xlsx", "--paper", "A3", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert openpyxl.load_workbook(out).active.page_setup.paperSize == 8
    app.config["REPORT_PAPER"] = "A3"
    try:
        done = app.test_cli_runner().invoke(args=["report", "run", "summary-ledger", "--org",
                                                  str(report_school.org.id), "--class", "5А", "--format", "xlsx",
                                                  "--out", str(out)])
    finally:
        app.config["REPORT_PAPER"] = "A4"
    assert done.exit_code == 0 and openpyxl.load_workbook(out).active.page_setup.paperSize == 8
