"""XlsxWriter groundwork shared by every printable workbook: page setup, safe strings, download, and how wide
a text prints (the column widths and row heights of reports/render.py)."""
import functools
import gc
import io
import math
import threading
from contextlib import contextmanager
from datetime import date

import xlsxwriter
from flask import send_file

from reports import xlsx_sheet
from services import dates

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Arial is in every office suite or has a metric twin (LibreOffice's Liberation Sans), so the widths measured
# below print the same in Excel and in LibreOffice; Calibri falls back to a much wider font where it is missing.
FONT = {"font_name": "Arial", "font_size": 10}
LINE = 12.75  # points per line of 10 pt text
# Paper: XlsxWriter's code, the printable width in inches (landscape, portrait) within MARGINS.
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.7, "bottom": 0.6}
PAPERS = {"A4": (9, 11.69 - 0.8, 8.27 - 0.8), "A3": (8, 16.54 - 0.8, 11.69 - 0.8)}
PAD = 1.2  # a cell's inner margins, in widths of a digit

# The width of a character in widths of a digit of Arial (the unit of a column's width); 1 when not listed.
_NARROW = dict.fromkeys(" .,:;!|'il1ijtfr()[]/-", 0.55)
_WIDE = dict.fromkeys("жмшщыюфЖМШЩЫЮФ%—mwMW", 1.45)
_UPPER = 1.25


_gc_lock = threading.Lock()
_gc_pauses = [0, False]  # the reports building now; whether the collector was on before the first


@contextmanager
def paused_gc():
    """The cyclic garbage collector paused while a report is built and written: a big workbook allocates
    hundreds of thousands of short-lived objects (rows, cells, XML strings), each of which reference counting
    frees; without the pause the collector walks the whole heap again and again (a quarter of the whole
    institution's ledgers' time). Nested and concurrent pauses (threads) count: it resumes after the last."""
    with _gc_lock:
        if _gc_pauses[0] == 0:
            _gc_pauses[1] = gc.isenabled()
            gc.disable()
        _gc_pauses[0] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses[0] -= 1
            if _gc_pauses[0] == 0 and _gc_pauses[1]:
                gc.enable()


@functools.lru_cache(maxsize=8192)
def text_width(text, bold=False):
    """How wide `text` prints in 10 pt Arial, in widths of a digit (a column's width unit)."""
    width = 0.0
    for ch in text:
        w = _NARROW.get(ch) or _WIDE.get(ch)
        if w is None:
            w = _UPPER if ch.isupper() else 1.0
        width += w
    return width * (1.1 if bold else 1.0)


@functools.lru_cache(maxsize=8192)
def longest_word(text, bold=False):
    """The width of the longest word of `text`: a column that wraps between words only is at least this wide."""
    return max((text_width(word, bold) for word in str(text).split()), default=0.0)


@functools.lru_cache(maxsize=16384)
def wrapped_lines(text, width, bold=False):
    """How many lines `text` takes in a wrapping cell `width` digits wide (breaking between words); remembered
    (the same titles of narrow columns are measured on every sheet of a workbook)."""
    room = max(1.0, width - PAD)
    text = str(text)
    if len(text) * 1.45 * (1.1 if bold else 1) <= room and "\n" not in text:
        return 1  # the common case, without measuring
    lines = 0
    space = text_width(" ", bold)
    for paragraph in text.split("\n"):
        used, count = 0.0, 1
        for word in paragraph.split():
            w = text_width(word, bold)
            if used and used + space + w > room + 0.01:
                count += 1
                used = 0.0
            if w > room:  # a word wider than the cell breaks where it must
                count += math.ceil(w / room) - 1
                w = w % room
            used += (space if used else 0) + w
        lines += count
    return lines


def column_pixels(width):
    """A column's width in pixels as Excel draws it (XlsxWriter's rule for Calibri 11 and Arial 10 alike)."""
    return 0 if width <= 0 else (int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5))


def unique_sheet_name(text, taken):
    """A worksheet name from `text`: without the characters Excel refuses, within its 31 characters
    and unique case-insensitively among `taken` (a set it adds to): «5А», «5А 2» …"""
    base = "".join(ch for ch in text if ch not in "[]:*?/\\'")[:28].strip() or "Лист"
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base[:28 - len(str(n))]} {n}"
    taken.add(name.lower())
    return name


def _header_text(text):
    return str(text or "").replace("&", "&&")


class FastWorkbook(xlsxwriter.Workbook):
    """XlsxWriter's Workbook whose worksheets write their cells faster, the same bytes (reports/xlsx_sheet.py)."""

    worksheet_class = xlsx_sheet.FastWorksheet


class Book:
    """A workbook in memory with the project's formats; text is always written as text."""

    workbook_class = FastWorkbook  # xlsxwriter.Workbook: the stock writer (the tests compare the two)

    def __init__(self):
        self.buffer = io.BytesIO()
        workbook = self.workbook_class
        if workbook is FastWorkbook and not xlsx_sheet.supported():  # another XlsxWriter: its own sheets
            workbook = xlsxwriter.Workbook
        self.wb = workbook(self.buffer, {"in_memory": True, "strings_to_formulas": False,
                                                    "strings_to_urls": False,
                                                    "strings_to_numbers": False,
                                                    "default_format_properties": dict(FONT)})
        add = self.wb.add_format
        self.title = add({"bold": True, "font_size": 14})
        self.bold = add({"bold": True})
        self.text = add({"text_wrap": True, "valign": "top"})
        self.header = add({"bold": True, "border": 1, "bg_color": "#E8EEF7", "text_wrap": True,
                           "valign": "vcenter", "align": "center"})
        self.cell = add({"border": 1, "valign": "top", "text_wrap": True})
        self.small = add({"font_size": 9, "italic": True})

    def sheet(self, name, landscape=True, repeat_rows=None, fit_width=True, paper="A4", header=None):
        """A worksheet set up for print: the paper, its orientation, the margins, one page wide (`fit_width`),
        the rows repeated on every page, the page numbers in the footer; `header` — (left, right) texts of
        the page's header (the organization and the document's title)."""
        safe = "".join(ch for ch in name if ch not in "[]:*?/\\")[:31] or "Лист"
        ws = self.wb.add_worksheet(safe)
        ws.set_paper(PAPERS.get(paper, PAPERS["A4"])[0])
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        if fit_width:
            ws.fit_to_pages(1, 0)
        if repeat_rows is not None:
            ws.repeat_rows(*repeat_rows)
        ws.set_margins(**MARGINS)
        if header is not None:
            left, right = (_header_text(text)[:110] for text in header)
            ws.set_header(f"&L&8{left}&R&8{right}", {"margin": 0.3})
        ws.set_footer("&C&8Страница &P из &N", {"margin": 0.3})
        return ws

    @staticmethod
    def put(ws, row, col, value, fmt=None):
        """Write a value by its type; strings with write_string so '=…' stays text."""
        if value is None:
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            ws.write_string(row, col, "да" if value else "нет", fmt)
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, value, fmt)
        elif isinstance(value, date):  # a datetime too: the organization's local time
            ws.write_string(row, col, dates.format_datetime(value), fmt)
        else:
            ws.write_string(row, col, str(value), fmt)

    def response(self, filename):
        with paused_gc():
            self.wb.close()
        self.buffer.seek(0)
        resp = send_file(self.buffer, mimetype=XLSX_MIME, as_attachment=True, download_name=filename)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    def bytes(self):
        with paused_gc():
            self.wb.close()
        return self.buffer.getvalue()
