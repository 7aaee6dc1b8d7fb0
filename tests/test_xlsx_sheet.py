"""reports/xlsx_sheet.py's FastWorksheet writes the same bytes as XlsxWriter's stock Worksheet (issue 20,
item 4): every XML part of the zip (core.xml without its dates) of real reports written both ways — the whole
institution's ledgers, every report of the registry the administrator can build without parameters, the
journal archive — and of a workbook with every kind of cell XlsxWriter stores (formulas, booleans, dates,
rich strings, links, errors, array formulas, row and column formats, comments, escaped text)."""
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import xlsxwriter
from markupsafe import Markup
from xlsxwriter.worksheet import Worksheet

from reports import journal_archive as archive
from reports import registry, render, xlsx, xlsx_sheet
from reports.document import Column, Document
from reports.parameters import pick_year
from services.errors import DomainError
from tests.factories import actor_of
from tests.xlsx_parts import differing_parts, parts

TODAY = date(2026, 11, 20)


def both(make):
    """(stock bytes, fast bytes) of `make()` — a function that builds a Book and returns its bytes."""
    files = {}
    for name, cls in (("stock", xlsxwriter.Workbook), ("fast", xlsx.FastWorkbook)):
        old = xlsx.Book.workbook_class
        xlsx.Book.workbook_class = cls
        try:
            files[name] = make()
        finally:
            xlsx.Book.workbook_class = old
    return files["stock"], files["fast"]


def same(make):
    stock, fast = both(make)
    assert differing_parts(stock, fast) == []
    return parts(fast)


def test_the_book_writes_with_the_fast_worksheet():
    book = xlsx.Book()
    ws = book.sheet("Лист")
    assert type(ws) is xlsx_sheet.FastWorksheet and xlsx_sheet.supported()


def test_the_institutions_ledgers_are_the_same_bytes(report_school, monkeypatch):
    doc = registry.build(actor_of("a.admin"), "institution-ledgers", {}, today=TODAY)
    written = []
    fast = xlsx_sheet.FastWorksheet._write_rows_fast
    monkeypatch.setattr(xlsx_sheet.FastWorksheet, "_write_rows_fast", lambda self: (written.append(self.name),
                                                                                    fast(self)))
    got = same(lambda: render.to_xlsx(doc).bytes())
    sheets = [name for name in got if name.startswith("xl/worksheets/sheet")]
    assert len(written) == len(sheets) > 1  # the fast path did write them (twice would be the stock's)
    assert any(b"<mergeCell " in got[name] for name in sheets)


def test_every_report_the_administrator_builds_is_the_same_bytes(report_school):
    actor, built = actor_of("a.admin"), []
    for name in sorted(registry.REGISTRY):
        try:
            doc = registry.build(actor, name, {}, today=TODAY)
        except DomainError:  # a report refusing without its parameters (or to the administrator)
            continue
        for paper in ("A4", "A3"):
            same(lambda doc=doc, paper=paper: render.to_xlsx(doc, paper).bytes())
        built.append(name)
    assert len(built) >= 10, built


def test_the_journal_archive_is_the_same_bytes(report_school):
    actor = actor_of("a.deputy")
    year = pick_year(actor, None, TODAY)
    klass = archive.find_class(actor, year, "5А")
    got = same(lambda: archive.class_workbook(actor, year, klass, TODAY)[1])
    assert sum(name.startswith("xl/worksheets/sheet") for name in got) > 3


def test_every_kind_of_cell_is_the_same_bytes():
    def make():
        book = xlsx.Book()
        wb = book.wb
        red = wb.add_format({"font_color": "red"})
        money = wb.add_format({"num_format": "0.00"})
        day = wb.add_format({"num_format": "dd.mm.yyyy"})
        ws = book.sheet("Всё", repeat_rows=(0, 1))
        ws.set_column(3, 4, 12, red)  # a column's format for its cells without one
        ws.set_row(5, 30, money)  # a row's format and height
        ws.set_row(40, None, None, {"hidden": True})  # a row with attributes only
        ws.set_row(41, 20)
        values = ["текст", " ведущий пробел", "хвост ", "a & b < c > d \"e\"", "строка\nвторая", "_x0041_",
                  "управляющий \x01 символ", "=1+1", "", "ё" * 300]
        for row, text in enumerate(values):
            ws.write_string(row, 0, text, book.cell if row % 2 else None)
            ws.write_number(row, 1, row * 1.1 + 1e-17, money)
            ws.write_number(row, 2, 10 ** (row + 10))
            ws.write_blank(row, 3, None, book.cell if row % 3 else None)
            ws.write_blank(row, 4, None)  # ignored without a format …
            ws.write(row, 4, row)  # … a number in its column's format
        ws.write_number(5, 6, 7)  # the row's format
        ws.write_blank(5, 7, None, red)
        ws.write_datetime(12, 0, datetime(2026, 11, 20, 13, 45), day)
        ws.write_datetime(12, 1, date(2027, 5, 26))
        ws.write_formula(13, 0, "=SUM(B1:B10)", money, 55.5)
        ws.write_formula(13, 1, '="a"&"b"', None, "ab")
        ws.write_formula(13, 2, "=1/0", None, "#DIV/0!")
        ws.write_formula(13, 3, "=TRUE()", None, True)
        ws.write_array_formula(14, 0, 15, 0, "{=B1:B2*2}", None, 3)
        ws.write_dynamic_array_formula(14, 1, 15, 1, "=SORT(B1:B2)")
        ws.write_boolean(16, 0, True)
        ws.write_boolean(16, 1, False, red)
        ws.write_rich_string(17, 0, "обычный ", wb.add_format({"bold": True}), "жирный", " & хвост")
        ws.write_url(18, 0, "https://example.org/?a=1&b=2", None, "ссылка")
        ws.write_url(18, 1, "internal:'Второй'!A1")
        ws.merge_range(19, 0, 20, 3, "объединение", book.header)
        ws.write_string(22, 70, "далеко")  # beyond the 26 letters, a span of its own
        ws.write_number(1000, 16383, 1)  # the last column, another block of rows
        ws.write_comment(30, 2, "примечание")
        ws.write_comment(31, 5, "только примечание")
        ws.insert_textbox(33, 0, "надпись")
        for n in range(3):  # the same rule's formula again and again (remembered), and others
            ws.conditional_format(0, 0, 10, 4, {"type": "blanks", "format": red})
            ws.conditional_format(0, 1, 10, 1, {"type": "formula", "criteria": f"=AND($B1>{n},UNIQUE(A1:A2)=1)",
                                                "format": money})
            ws.conditional_format(0, 2, 10, 2, {"type": "cell", "criteria": ">", "value": 1.5 + n, "format": red})
        ws.data_validation(50, 0, 60, 0, {"validate": "list", "source": ["да", "нет & «может быть»"]})
        ws.data_validation(50, 1, 60, 1, {"validate": "custom", "value": "=XLOOKUP(A51,A1:A2,B1:B2)>0"})
        second = book.sheet("Второй", landscape=False, header=("Школа & Ко", "Заголовок"))
        for row in range(100):
            for col in range(30):
                xlsx.Book.put(second, row, col, [None, True, row * col, 0.5 + col, TODAY, datetime(2026, 1, 2, 3, 4),
                                            f"ячейка {row}:{col}"][(row + col) % 7], book.cell)
        wb.add_worksheet("Пустой")
        columns = book.sheet("Столбцы")  # the columns' dimension stored before any cell, the rows' not
        columns.set_column(2, 9, 10, red)
        columns.write_string(5, 0, "левее")
        columns.write_string(1, 1, "выше")
        tall = book.sheet("Строки")
        tall.set_row(50, 20, money)
        tall.write_string(2, 3, "строка")
        tall.write_string(90, 0, "ниже и левее")
        tall.write_string(0, 5, "x" * 20000)  # over half of Excel's limit: the stock method
        tall.write_string("B2", "по A1")
        tall.write_string(3, 3, "ключом", cell_format=red)
        return book.bytes()

    got = same(make)
    assert b'<f t="array"' in got["xl/worksheets/sheet1.xml"] and b't="b"' in got["xl/worksheets/sheet1.xml"]


def test_constant_memory_and_other_versions_keep_the_stock_writer(monkeypatch, tmp_path):
    wb = xlsx.FastWorkbook(str(tmp_path / "a.xlsx"), {"constant_memory": True})
    ws = wb.add_worksheet()
    monkeypatch.setattr(xlsx_sheet.FastWorksheet, "_write_rows_fast", lambda self: pytest.fail("the fast path"))
    ws.write_string(0, 0, "a")
    ws.write_number(1, 0, 1)
    wb.close()
    monkeypatch.setattr(xlsxwriter, "__version__", "9.9.9")
    book = xlsx.Book()
    ws = book.sheet("Лист")
    assert type(ws) is Worksheet  # the whole stock worksheet, its write_string too
    book.put(ws, 0, 0, "текст")
    assert book.bytes()


def test_books_written_in_threads_at_once_are_the_same(monkeypatch):
    def make():
        book = xlsx.Book()
        ws = book.sheet("Лист")
        for row in range(200):
            for col in range(0, 400, 7):
                xlsx.Book.put(ws, row, col, f"{row}:{col}" if col % 2 else row * col, book.cell)
        return book.bytes()

    stock = both(make)[0]
    monkeypatch.setattr(xlsx_sheet, "_COLUMNS", [])  # the letters grown while the threads write
    with ThreadPoolExecutor(4) as pool:
        files = list(pool.map(lambda _: make(), range(8)))
    assert all(differing_parts(stock, got) == [] for got in files)
    assert xlsx_sheet._letters(16383)[16383] == "XFD" and xlsx_sheet._letters(27)[26:28] == ["AA", "AB"]


def test_a_documents_rows_are_the_same_bytes_written_a_row_at_a_time():
    """render._write_values: the fast sheet's write_row_values (a row at a time) against the stock calls cell by
    cell — every kind of value in every kind of column, long strings, an empty row, merges of headers."""
    doc = Document(name="x", title="Строки", org=SimpleNamespace(full_name="Школа", short_name="", is_college=False))
    sheet = doc.sheet("Строки")
    kinds = ("text", "int", "pct", "avg", "mark", "date")
    table = sheet.table([Column(kind, kind, 6) for kind in kinds] + [Column("ещё", "text", 12)],
                        groups=[("Вместе", 3), ("", 1), ("Ещё вместе", 3)])
    values = [None, "", "5", 5, 5.0, 4.25, Decimal("5"), Decimal("4.125"), True, False,
              date(2026, 9, 1), datetime(2026, 9, 1, 8, 30), Markup("<b>"), "=1+1", "я" * 20000, "строка\nвторая"]
    for n in range(len(values)):
        table.add([values[(n + k) % len(values)] for k in range(len(kinds) + 1)],
                  ("", "total", "group", "muted")[n % 4])
    table.add([])  # an empty row
    table.add([None, ""], "total")  # nothing written
    table.add(["короткая"])
    same(lambda: render.to_xlsx(doc).bytes())


def test_a_values_remembered_width_is_its_own_types():
    """Equal values of different types print differently (5 → «5», Decimal 5 → «5,0» in a percentage): the
    remembered widths do not mix them."""
    render._WIDTHS.clear()
    for value in (5, Decimal("5"), 5.0, True, "5"):
        assert render._value_width(value, "pct", True) == xlsx.text_width(render._shown(value, "pct"), True)
        assert render._value_width(value, "pct", True) == xlsx.text_width(render._shown(value, "pct"), True)


def test_a_remembered_width_keeps_the_sign_of_a_zero():
    """0 and -0 are equal (one key) but print «0,0» and «-0,0»: a column of -0 is as wide after another report
    measured a 0 as on its own (the widths do not depend on what the process built before)."""
    org = SimpleNamespace(full_name="Организация", short_name="Орг", is_college=False, id=1)

    def book(value):
        doc = Document(name="x", title="Т", org=org)
        doc.sheet("Лист").table([Column("К", kind, 3) for kind in ("text", "pct", "avg", "int", "mark")]).add(
            [value] * 5)
        return parts(render.to_xlsx(doc).bytes())

    for zero, negative in ((Decimal("0.0"), Decimal("-0.0")), (0.0, -0.0)):
        render._WIDTHS.clear()
        alone = book(negative)
        book(zero)
        assert book(negative) == alone
        for kind in ("text", "pct", "avg", "int", "mark"):
            for bold in (False, True):
                for value in (zero, negative):
                    assert render._value_width(value, kind, bold) == \
                        xlsx.text_width(render._shown(value, kind), bold)


def test_a_remembered_string_column_is_its_own_kind_width_and_title():
    """A number or mark column of strings alone is measured once per kind, width, title and values
    (render._STRING_COLUMNS): each column's need is the one measured afresh, whatever was remembered before —
    4 and 4.0 (equal keys) keep their type, a mixed column (5 and «5») is measured afresh."""
    columns = [Column("I", "mark", 4.5), Column("I", "mark", 4), Column("I", "mark", 4.0), Column("I", "mark", 9),
               Column("Полугодие", "mark", 4.5), Column("I", "pct", 4.5), Column("I", "int", 4.5),
               Column("I", "mark", 4.5), Column("I", "mark", 4.5)]
    rows = [["5"] * 7 + ["н/а", 5], ["4"] * 7 + ["4", "5"], [None] * 9]
    doc = Document(name="x", title="Т", org=SimpleNamespace(full_name="О", short_name="О", is_college=False, id=1))
    table = doc.sheet("Лист").table(columns)
    for row in rows:
        table.add(row)
    cells = render._by_column(table)
    fresh = []
    for col, column in enumerate(columns):
        render._STRING_COLUMNS.clear()
        render._WIDTHS.clear()
        fresh.append(render._column_need(table, col, column, cells))
    render._STRING_COLUMNS.clear()
    for _ in range(2):
        got = [render._column_need(table, col, column, cells) for col, column in enumerate(columns)]
        assert got == fresh and [type(w) for w in got] == [type(w) for w in fresh]
    assert len(render._STRING_COLUMNS) == 8  # the mixed column is not remembered


def test_columns_widths_are_the_same_bytes(monkeypatch):
    """FastWorksheet.set_column / _write_col_info (a width alone, the render's case) write the stock <cols>: every
    kind of width (int, float, under 1, 0, the default's 8.43 without customWidth, a reversed range, a run), and
    the stock path's cases beside them (a format, options, A1 notation, out of the sheet)."""
    stock = []  # the stock methods the fast sheet still called: the cases not its own
    for name in ("_write_col_info", "set_column_pixels"):
        method = getattr(Worksheet, name)
        monkeypatch.setattr(Worksheet, name, lambda self, *args, method=method, name=name, **kwargs: (
            stock.append(name) if type(self) is xlsx_sheet.FastWorksheet else None, method(self, *args, **kwargs))[1])

    def make():
        book = xlsx.Book()
        ws = book.sheet("Лист")
        for col, width in enumerate((4, 4.5, 0.5, 0, 8.43, 13.7109375, 30, 255, 2.25)):
            assert ws.set_column(col, col, width) == 0
        ws.set_column(12, 10, 5.5)  # reversed, a run of one width
        ws.set_column(13, 13, 5.5)  # its neighbour: one <col> with them
        ws.set_column(14, 14, 6, book.header)
        ws.set_column(15, 15, 7, None, {"hidden": True})
        ws.set_column("Q:R", 9)
        ws.set_column(19, 19, None)
        assert ws.set_column(20, 16384, 5) == -1 and ws.set_column(-1, 2, 5) == -1
        ws.write_string(0, 0, "x")
        return book.bytes()

    got = same(make)
    assert b'customWidth="1"' in got["xl/worksheets/sheet1.xml"]
    # the format's, the options', A1's and no width's columns: the stock methods; the other 12 columns: not
    assert sorted(stock) == ["_write_col_info"] * 3 + ["set_column_pixels"] * 4
