"""A report's Document as .xlsx (XlsxWriter), as JSON, and its chart as SVG for the screen.

The workbook prints readably (issue 15.9; `make print-check` renders every report to look at it): A4 (or A3)
landscape unless the report is a letter; column widths from the content (a percentage fits «100,0», a header
wraps between words only), rows as tall as their wrapped text; one page wide when that keeps the text at
MIN_FIT or more, else split over pages between column groups with the names repeated; the first table's header
rows repeated on every page (not in a letter, a page per student); the print area; the organization and the
title in the page header, the page numbers in its footer; the organization, the title and the parameters on
top, the signature lines where the report puts them; strings are always written as strings. The JSON holds
the same rows and figures.
"""
from datetime import date
from decimal import Decimal
from html import escape
from itertools import zip_longest

from markupsafe import Markup

from reports.document import Chart, PageBreak, Signatures, Table, Text, display
from reports.xlsx import (LINE, PAD, PAPERS, Book, column_pixels, longest_word, paused_gc, text_width,
                          wrapped_lines)
from services import dates

NUMBER_FORMATS = {"pct": "0.0", "avg": "0.00", "int": "0"}
TEXT_CAP = 40  # a text column grows to its longest value up to this width (in digits) and wraps beyond
MIN_FIT = 0.78  # a sheet is shrunk to one page wide down to this scale (10 pt prints at 7.8 pt) ...
SPLIT_SCALE = 85  # ... a wider one is printed at this scale (%) over several pages
KEY_WIDTH = 25  # the columns repeated on those pages: the name's, and the next text column while narrower
BOLD_ROWS = ("total", "group")
CHART_WIDTH = 720  # pixels
CHART_ROWS = 12  # rows above a chart that still leave it room on their page (300 pixels, 17 rows)
DEFAULT_WIDTH = 8.43  # a column's width when not set


def _number(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


class _Formats:
    def __init__(self, book):
        add = book.wb.add_format
        self.book = book
        self.cache = {}
        self.base = {"cell": {"border": 1, "valign": "top", "text_wrap": True},
                     "total": {"border": 1, "bold": True, "bg_color": "#E8EEF7", "text_wrap": True},
                     "group": {"border": 1, "bold": True, "bg_color": "#F3F3F3", "text_wrap": True},
                     "muted": {"border": 1, "font_color": "#808080", "italic": True, "text_wrap": True},
                     "risk": {"border": 1, "bg_color": "#FDECEA", "text_wrap": True}}
        self.add = add
        self.blanks = {}
        # The lines above and under the tables, wrapped within the table's width: (format, font size, bold).
        wrap = {"text_wrap": True, "valign": "top"}
        self.lines = {"org": (add({**wrap, "bold": True}), 10, True),
                      "title": (add({**wrap, "bold": True, "font_size": 14}), 14, True),
                      "heading": (add({**wrap, "bold": True}), 10, True),
                      "note": (add({**wrap, "italic": True, "font_size": 9}), 9, False),
                      "": (add(wrap), 10, False)}

    def blank(self, style):
        """The conditional format of a row's empty cells: the border, and the style's shading."""
        if style not in self.blanks:
            spec = {"border": 1}
            spec.update({k: v for k, v in self.base.get(style or "cell", {}).items() if k == "bg_color"})
            self.blanks[style] = self.add(spec)
        return self.blanks[style]

    def row(self, style, kinds):
        """The formats of a row's cells, by its style and the columns' kinds (cached per pair)."""
        return [self.get(style, kind) for kind in kinds]

    def get(self, style, kind):
        key = (style or "cell", kind)
        if key not in self.cache:
            spec = dict(self.base.get(style or "cell", self.base["cell"]))
            if kind in NUMBER_FORMATS:
                spec["num_format"] = NUMBER_FORMATS[kind]
                spec["align"] = "right"
            elif kind in ("mark", "int"):
                spec["align"] = "center"
            self.cache[key] = self.add(spec)
        return self.cache[key]


def to_xlsx(doc, paper="A4"):
    """The Document as a printable workbook on `paper` (A4 or A3, as the school prints)."""
    book = Book()
    formats = _Formats(book)
    with paused_gc():
        for sheet in doc.sheets:
            _write_sheet(book, formats, doc, sheet, paper if paper in PAPERS else "A4")
    return book


def documents_to_xlsx(docs, paper="A4"):
    """Several Documents as one printable workbook, each sheet laid out as `to_xlsx` lays it (the weekly
    printed reports: a sheet per student). The sheets' names must be unique (`xlsx.unique_sheet_name`)."""
    book = Book()
    formats = _Formats(book)
    for doc in docs:
        for sheet in doc.sheets:
            _write_sheet(book, formats, doc, sheet, paper if paper in PAPERS else "A4")
    return book


# -- the sheet's layout: widths from the content, the page setup from the widths ------------------------------

def _shown(value, kind):
    """A value of a number or mark column as the cell shows it (to measure it)."""
    if isinstance(value, (float, Decimal)) and kind in NUMBER_FORMATS:
        return display(Decimal(str(value)), kind)
    return display(value, kind)


def column_widths(sheet):
    """{column: width} of the sheet's columns (every table on it shares them): at least the column's own width,
    its title's longest word (a header wraps between words only) and every value of a number, mark or date
    column; a text column grows to its longest value up to TEXT_CAP and wraps beyond."""
    widths = {}

    def need(col, width):
        widths[col] = max(widths.get(col, 0), width)

    stretched = _stretched(sheet)
    for block in sheet.blocks:
        if isinstance(block, Table):
            cells = _by_column(block)
            for col, column in enumerate(block.columns):
                if stretched.get(id(block)) == col:
                    continue
                need(col, _column_need(block, col, column, cells))
        elif isinstance(block, Chart):
            need(0, max((text_width(name) for name, _ in block.series), default=0) + PAD)
            for col, category in enumerate(block.categories, start=1):
                need(col, max(6, text_width(str(category), bold=True) + PAD))
    return widths


_NO_CELL = object()  # a row shorter than the table


def _by_column(table):
    """(the table's values column by column — _NO_CELL where a row is shorter —, each row's boldness)."""
    columns = list(zip_longest(*(r.values for r in table.rows), fillvalue=_NO_CELL))
    return columns, [r.style in BOLD_ROWS for r in table.rows]


_WIDTHS = {}  # (class, value, kind, bold) → text_width(_shown(value, kind), bold) of a str or number
_WIDTHS_MAX = 65536
_REMEMBERED = (str, int, float, Decimal)  # shown the same whatever the organization (not a date: its local time)


def _value_width(value, kind, bold):
    """How wide a value prints in a column of `kind` — remembered: the same marks, numbers and percentages
    fill every column of the biggest workbooks (the ledgers: 98 columns × 70 sheets). A text column's values are
    measured afresh: they are names and such (nothing to gain, and no person's name kept in the process)."""
    cls = value.__class__
    if cls not in _REMEMBERED or kind == "text":
        return text_width(_shown(value, kind), bold)
    key = (cls, value, kind, bold)
    if not value and (cls is float or cls is Decimal):  # 0 == -0, but -0 prints «-0,0» (wider): apart
        key = (cls, value, kind, bold, str(value)[0] == "-")
    width = _WIDTHS.get(key)
    if width is None:
        width = text_width(_shown(value, kind), bold)
        if len(_WIDTHS) >= _WIDTHS_MAX:
            _WIDTHS.clear()
        _WIDTHS[key] = width
    return width


_NOTHING = (_NO_CELL, None, "")  # no value to measure
_STRING_COLUMNS = {}  # (kind, width, its type, title, frozenset of str values) → a number or mark column's need
_STRING_COLUMNS_MAX = 4096


def _column_need(table, col, column, cells=None):
    """How wide the table's column wants to be (see `column_widths`); `cells`: `_by_column(table)`."""
    columns, bolds = cells or _by_column(table)
    values = columns[col] if col < len(columns) else ()
    kind = column.kind
    if kind == "text":
        values = {(value, bold) for value, bold in zip(values, bolds) if value is not _NO_CELL}
        widest = max((_value_width(value, kind, bold) for value, bold in values
                      if value is not None and value != ""), default=0) + PAD
    else:  # numbers measured bold (a total's), each distinct value once: the ledgers' columns hold a few
        values = set(values)
        values.difference_update(_NOTHING)
        # A column of strings alone (the ledgers' marks: 98 columns × 70 sheets of a few «5», «4», «н/а») is
        # remembered whole: its kind, width (and its type: 4 and 4.0 are one key), title and values decide its
        # need. Only strings: equal values of other types print differently (5, 5.0, Decimal 5, True; 0 and -0)
        # and would share a key.
        key = None
        if all([value.__class__ is str for value in values]):
            key = (kind, column.width, column.width.__class__, column.title, frozenset(values))
            got = _STRING_COLUMNS.get(key)
            if got is not None:
                return got
        widest = max([_value_width(value, kind, True) for value in values], default=0) + PAD
        own = max(column.width, longest_word(column.title, bold=True) + PAD)
        got = max(own, widest)
        if key is not None:
            if len(_STRING_COLUMNS) >= _STRING_COLUMNS_MAX:
                _STRING_COLUMNS.clear()
            _STRING_COLUMNS[key] = got
        return got
    own = max(column.width, longest_word(column.title, bold=True) + PAD)
    return max(own, widest if column.kind != "text" else min(widest, max(column.width, TEXT_CAP)))


def _stretched(sheet):
    """{id(table): its last column} of the tables narrower than the sheet's widest whose last column is text (a
    list of subjects): that column is merged over the columns to its right as far as it needs, rather than
    widening a column the wider table uses for a number."""
    tables = [b for b in sheet.blocks if isinstance(b, Table)]
    most = max((len(t.columns) for t in tables), default=0)
    return {id(t): len(t.columns) - 1 for t in tables
            if 0 < len(t.columns) < most and t.columns[-1].kind == "text"}


def _stretch_span(table, widths):
    """{last column: the column its cells are merged to} of a stretched table (see `_stretched`)."""
    col = len(table.columns) - 1
    need, end, width = _column_need(table, col, table.columns[-1]), col, widths.get(col, 0)
    while width < need and end < max(widths):
        end += 1
        width += widths.get(end, 0)
    return {col: end} if end > col else {}


def _key_columns(table, widths):
    """The last of the columns that name a row (№ and the name; a class and its teacher), repeated on every
    page of a split sheet; None when the table has no such column (a table of figures only is shrunk to the
    page, not split)."""
    for col, column in enumerate(table.columns[:4]):
        if column.kind == "text":
            while (col + 1 < len(table.columns) and table.columns[col + 1].kind == "text"
                   and sum(widths.get(c, 0) for c in range(col + 1)) < KEY_WIDTH):
                col += 1
            return col
    return None


def _column_breaks(table, widths, first, room):
    """Where a sheet split over pages breaks: between the table's column groups (a subject's columns stay on
    one page), each page `room` pixels wide after the repeated columns; `first` is the first column after them."""
    units, start = [], 0
    for _, span in (table.groups or [("", 1)] * len(table.columns)):
        wide = sum(column_pixels(widths.get(c, 0)) for c in range(start, start + span)) > room / 2
        # A group wider than half a page is broken between its columns, not moved whole to the next page.
        units += [(c, c) for c in range(start, start + span)] if wide else [(start, start + span - 1)]
        start += span
    breaks, used = [], 0
    for lo, hi in units:
        lo = max(lo, first)
        if lo > hi:
            continue
        width = sum(column_pixels(widths.get(c, 0)) for c in range(lo, hi + 1))
        if used and used + width > room:
            breaks.append(lo)
            used = 0
        used += width
    return breaks


def _page_setup(book, doc, sheet, widths, paper):
    """The worksheet with its page set up, and the columns its lines go over: (first, last) of the lines that
    name it (the organization, the title, the parameters, a heading) and of the others (notes, signatures).

    A sheet that fits one page wide at MIN_FIT or more is printed so; a wider one (a ledger of every subject
    and period) is printed at SPLIT_SCALE over as many pages as it needs, broken between column groups, with
    the columns that name a row repeated on every page: the lines that name the sheet go over those columns (so
    every page shows them whole), the notes and the signatures over the rest of the first page (so no page
    shows them cut)."""
    _, landscape_width, portrait_width = PAPERS[paper]
    # Pixels at 100 %; LibreOffice draws a column some 7 % wider than Excel's pixels (Arial's digit is 7.4 px).
    printable = (landscape_width if doc.landscape else portrait_width) * 96 * 0.92
    last = max(widths) if widths else 0
    content = sum(column_pixels(widths.get(c, 0)) for c in range(last + 1))
    tables = [b for b in sheet.blocks if isinstance(b, Table)]
    widest = max(tables, key=lambda t: len(t.columns)) if tables else None
    key = _key_columns(widest, widths) if widest is not None else None
    split = key is not None and content * MIN_FIT > printable
    ws = book.sheet(sheet.name, landscape=doc.landscape, fit_width=not split, paper=paper,
                    header=(doc.org.short_name or doc.org.full_name, doc.title))
    if not split:
        return ws, (0, last), (0, last)
    room = printable * 100 / SPLIT_SCALE
    key_width = sum(column_pixels(widths.get(c, 0)) for c in range(key + 1))
    breaks = _column_breaks(widest, widths, key + 1, room - key_width)
    ws.set_print_scale(SPLIT_SCALE)
    ws.print_across()
    ws.repeat_columns(0, key)
    if breaks:
        ws.set_v_pagebreaks(breaks)
    first_page = breaks[0] - 1 if breaks else last
    return ws, (0, key), (key + 1 if key < first_page else 0, first_page)


def _line(book, formats, ws, row, text, style, widths, span):
    """A line above or under the tables, merged over the columns `span`, wrapped, its row tall enough."""
    fmt, size, bold = formats.lines[style]
    first, last = span
    if last > first:
        ws.merge_range(row, first, row, last, text, fmt)
    else:
        book.put(ws, row, first, text, fmt)
    width = sum(widths.get(c, 0) for c in range(first, last + 1)) * 10 / size
    lines = wrapped_lines(text, width, bold)
    if lines > 1 or size > 10:
        ws.set_row(row, lines * LINE * size / 10 + 1)


def _write_sheet(book, formats, doc, sheet, paper):
    widths = column_widths(sheet) or {0: 90}
    ws, top, body = _page_setup(book, doc, sheet, widths, paper)
    _line(book, formats, ws, 0, doc.org.full_name, "org", widths, top)
    _line(book, formats, ws, 1, doc.title, "title", widths, top)
    row = 2
    for label, text in doc.params:
        _line(book, formats, ws, row, f"{label}: {text}", "", widths, top)
        row += 1
    row += 1
    repeated = not sheet.repeat_header
    stretched = _stretched(sheet)
    breaks = []
    end = row
    for block in sheet.blocks:
        if isinstance(block, Table):
            if block.title:
                book.put(ws, row, 0, block.title, book.bold)
                row += 1
            first_header = row
            if block.groups:
                row = _write_groups(book, ws, block, widths, row)
            spans = _stretch_span(block, widths) if id(block) in stretched else {}
            lines = 1
            for col, column in enumerate(block.columns):
                title = column.title
                if col in spans:
                    ws.merge_range(row, col, row, spans[col], title, book.header)
                    width = _span_width(widths, col, spans)
                else:
                    if title.__class__ is str:  # Book.put of a str, without its checks of the other types
                        ws.write_string(row, col, title, book.header)
                    else:
                        book.put(ws, row, col, title, book.header)
                    width = widths.get(col, 0)
                # xlsx.wrapped_lines' first test (surely one line) without the call, the same expression
                if title.__class__ is str and len(title) * 1.45 * 1.1 <= max(1.0, width - PAD) and "\n" not in title:
                    continue
                lines = max(lines, wrapped_lines(title, width, bold=True))
            if lines > 1:
                ws.set_row(row, lines * LINE + 2)
            if not repeated:
                ws.repeat_rows(first_header, row)
                repeated = True
            row += 1
            row = _write_rows(ws, formats, block, row, widths, spans)
            end = row - 1
            row += 1
        elif isinstance(block, Text):
            _line(book, formats, ws, row, block.text, block.style, widths, top if block.style == "heading" else body)
            end = row
            row += 1
        elif isinstance(block, Chart):
            row = _write_chart(book, ws, block, row, breaks)
            end = row - 1
        elif isinstance(block, Signatures):
            row += 1
            end = _write_signatures(book, ws, block, row, widths, body)
            row = end + 2
        elif isinstance(block, PageBreak):
            breaks.append(row)
    # A run of neighbouring columns of one width in one call: XlsxWriter stores each column alike
    run = None
    for col, width in widths.items():
        if run is not None and col == run[1] + 1 and width == run[2] and width.__class__ is run[2].__class__:
            run[1] = col
            continue
        if run is not None:
            ws.set_column(*run)
        run = [col, col, width]
    if run is not None:
        ws.set_column(*run)
    if breaks:
        ws.set_h_pagebreaks(breaks)
    ws.print_area(0, 0, max(end, row - 1), max(max(widths), _chart_columns(sheet, widths)))


def _chart_columns(sheet, widths):
    """The last column a chart of the sheet covers (CHART_WIDTH pixels from column A), for the print area."""
    if not any(isinstance(b, Chart) for b in sheet.blocks):
        return 0
    col, pixels = 0, column_pixels(widths.get(0, DEFAULT_WIDTH))
    while pixels < CHART_WIDTH:
        col += 1
        pixels += column_pixels(widths.get(col, DEFAULT_WIDTH))
    return col


def _write_groups(book, ws, table, widths, row):
    """The groups' row above the columns' titles (a subject over its periods); tall enough for a long title."""
    col, lines = 0, 1
    for title, span in table.groups:
        if span > 1:
            ws.merge_range(row, col, row, col + span - 1, title, book.header)
        else:
            book.put(ws, row, col, title, book.header)
        width = sum(widths.get(c, 0) for c in range(col, col + span))
        lines = max(lines, wrapped_lines(title, width, bold=True))
        col += span
    if lines > 1:
        ws.set_row(row, lines * LINE + 2)
    return row + 1


def _write_signatures(book, ws, block, row, widths, span):
    """«Классный руководитель ____ / Фамилия И. О.» in the columns `span`: the labels over as many columns as
    they need, the lines after them; returns the last row written."""
    first, last = span
    label_width = max((text_width(label) for label, _ in block.lines), default=0) + PAD
    end, width = first, widths.get(first, 0)
    while width < label_width and end < last:
        end += 1
        width += widths.get(end, 0)
    at = end + 1 if end < last else min(first + 2, last)
    for label, name in block.lines:
        if end > first and at > end:
            ws.merge_range(row, first, row, end, label, book.text)
        else:
            book.put(ws, row, first, label)
        _merge(book, ws, row, at, last, "________________ / " + (name or "________________"))
        row += 2
    return row - 2


def _merge(book, ws, row, first, last, text):
    if last > first:
        ws.merge_range(row, first, row, last, text, book.text)
    else:
        book.put(ws, row, first, text)


def _span_width(widths, col, spans):
    return sum(widths.get(c, 0) for c in range(col, spans.get(col, col) + 1))


def _write_rows(ws, formats, table, row, widths, spans):
    """The table's rows from `row`; returns the row after the last. The hot loop of the biggest workbooks
    (the whole institution's ledgers: 200 000 cells), so it dispatches on the exact type once per cell.
    Empty cells are not written one by one: a conditional format per run of rows of one style gives them
    the border (and a total's shading)."""
    last_col = max([len(table.columns) - 1, *spans.values()])
    run_start, run_style = row, None
    for item in table.rows:
        if item.style != run_style:
            if row > run_start:
                _blank_rule(ws, formats, run_start, row - 1, last_col, run_style)
            run_start, run_style = row, item.style
        row += 1
    if row > run_start:
        _blank_rule(ws, formats, run_start, row - 1, last_col, run_style)
    first = row - len(table.rows)
    _row_heights(ws, table, first, widths, spans)
    end = _write_values(ws, formats, table, first)
    for col, last in spans.items():  # a stretched column's cells, merged to the right
        fmts = {}
        for n, item in enumerate(table.rows):
            value = item.values[col] if col < len(item.values) else None
            fmt = fmts.get(item.style) or fmts.setdefault(item.style, formats.get(item.style, "text"))
            ws.merge_range(first + n, col, first + n, last, "" if value is None else display(value), fmt)
    return end


def _row_heights(ws, table, row, widths, spans):
    """A row whose text wraps gets the height of its lines (a printed row does not grow by itself)."""
    texts = [(col, _span_width(widths, col, spans)) for col, column in enumerate(table.columns)
             if column.kind == "text"]
    # xlsx.wrapped_lines' first test (a text surely on one line) without the call, the same expression
    texts = [(col, width, max(1.0, width - PAD)) for col, width in texts]
    for item in table.rows:
        lines = 1
        bold = item.style in BOLD_ROWS
        factor = 1.1 if bold else 1
        values = item.values
        for col, width, room in texts:
            value = values[col] if col < len(values) else None
            if type(value) is str and value:
                if len(value) * 1.45 * factor <= room and "\n" not in value:
                    continue
                lines = max(lines, wrapped_lines(value, width, bold))
        if lines > 1:
            ws.set_row(row, lines * LINE + 1)
        row += 1


def _blank_rule(ws, formats, first, last, last_col, style):
    if last_col >= 0:
        ws.conditional_format(first, 0, last, last_col, {"type": "blanks", "format": formats.blank(style)})


def _write_values(ws, formats, table, row):
    kinds = [column.kind for column in table.columns]
    numeric = [kind in NUMBER_FORMATS or kind in ("int", "mark") for kind in kinds]
    write_string, write_number = ws.write_string, ws.write_number
    write_row = getattr(ws, "write_row_values", None)  # reports/xlsx_sheet.py: the same cells, a row at a time

    def convert(col, value):  # what the loop below writes of a value neither str nor int nor a number column's
        kind = value.__class__
        if kind is float or kind is Decimal:
            return display(Decimal(str(value)), kinds[col] if col < len(kinds) else "text")
        if kind is bool:
            return "да" if value else "нет"
        return display(value)

    by_style = {}
    for item in table.rows:
        fmts = by_style.get(item.style)
        if fmts is None:
            fmts = by_style[item.style] = formats.row(item.style, kinds)
        if write_row is not None:
            write_row(row, item.values, fmts, numeric, convert)
            row += 1
            continue
        for col, value in enumerate(item.values):
            fmt = fmts[col] if col < len(fmts) else None
            kind = type(value)
            if value is None or value == "":
                continue
            if kind is str:
                write_string(row, col, value, fmt)
            elif kind is int or (kind in (float, Decimal) and col < len(numeric) and numeric[col]):
                write_number(row, col, float(value) if kind is Decimal else value, fmt)
            elif kind is float or kind is Decimal:
                write_string(row, col, display(Decimal(str(value)), kinds[col] if col < len(kinds) else "text"), fmt)
            elif kind is bool:
                write_string(row, col, "да" if value else "нет", fmt)
            else:
                write_string(row, col, display(value), fmt)
        row += 1
    return row


def _write_chart(book, ws, chart, row, breaks):
    """The chart's data as a small table, and the chart over it below: on a page of its own (a page break
    in `breaks`) when more than CHART_ROWS rows come before it, so that no page cuts it."""
    book.put(ws, row, 0, chart.title, book.bold)
    row += 1
    header = row
    book.put(ws, header, 0, "", book.header)
    for col, category in enumerate(chart.categories, start=1):
        book.put(ws, header, col, str(category), book.header)
    for n, (name, values) in enumerate(chart.series, start=1):
        book.put(ws, header + n, 0, name, book.cell)
        for col, value in enumerate(values, start=1):
            book.put(ws, header + n, col, _number(value), book.cell)
    xl = book.wb.add_chart({"type": "line"})
    last_col = len(chart.categories)
    for n, (name, _) in enumerate(chart.series, start=1):
        xl.add_series({"name": [ws.name, header + n, 0],
                       "categories": [ws.name, header, 1, header, last_col],
                       "values": [ws.name, header + n, 1, header + n, last_col],
                       "marker": {"type": "circle"}})
    xl.set_title({"name": chart.title})
    xl.set_y_axis({"min": chart.y_min, "max": chart.y_max})
    xl.set_size({"width": CHART_WIDTH, "height": 300})
    row = header + len(chart.series) + 2
    if row > CHART_ROWS:
        breaks.append(row)
    ws.insert_chart(row, 0, xl)
    return row + 17


def _json_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):  # a datetime too: the organization's local time (services/dates.py)
        return dates.format_datetime(value)
    return value


def header_rows(table):
    """The table's header rows as the sheet shows them: the groups' row (a group's title over its first
    column, None under the rest of its span) when it has one, then the columns' titles."""
    rows = []
    if table.groups:
        rows.append([cell for title, span in table.groups for cell in [title] + [None] * (span - 1)])
    rows.append([c.title for c in table.columns])
    return rows


def to_json(doc):
    """The document as plain data: everything the workbook shows — the tables with their header rows
    (`header`: the groups' row, e.g. months or subjects, and the columns' titles), rows and figures,
    the texts, the charts' data and the signature lines."""
    sheets = []
    for sheet in doc.sheets:
        blocks = []
        for block in sheet.blocks:
            if isinstance(block, Table):
                blocks.append({"type": "table", "title": block.title,
                               "header": header_rows(block),
                               "columns": [c.title for c in block.columns],
                               "rows": [[_json_value(v) for v in r.values] for r in block.rows],
                               "styles": [r.style for r in block.rows]})
            elif isinstance(block, Text):
                blocks.append({"type": "text", "text": block.text, "style": block.style})
            elif isinstance(block, Chart):
                blocks.append({"type": "chart", "title": block.title, "categories": list(block.categories),
                               "series": [{"name": n, "values": [_json_value(v) for v in vs]}
                                          for n, vs in block.series]})
            elif isinstance(block, Signatures):
                blocks.append({"type": "signatures", "lines": [list(x) for x in block.lines]})
        sheets.append({"name": sheet.name, "blocks": blocks})
    return {"report": doc.name, "title": doc.title, "organization": doc.org.full_name,
            "parameters": {label: text for label, text in doc.params}, "sheets": sheets}


COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def chart_svg(chart, width=720, height=260, compact=False):
    """A line chart as inline SVG (no script): the y axis from y_min to y_max, a point per category.

    `compact`: the phone's drawing (issue 15.10), shown instead of the wide one below 576 px (static/reports.css):
    a narrow viewBox drawn at about its own size, so its letters stay 12–14 px; the legend under the plot,
    every k-th category named (at most five; long words shortened where they do not fit, each point's title
    says it in full)."""
    if compact:
        return _compact_chart_svg(chart)
    left, right, top, bottom = 40, 150, 24, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(1, len(chart.categories))
    span = (chart.y_max - chart.y_min) or 1

    x, y = _scales(chart, left, top, plot_w, plot_h, count, span)

    parts = [f'<svg class="report-chart report-chart-wide" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(chart.title)}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{left}" y="14" font-size="13" font-weight="bold">{escape(chart.title)}</text>']
    parts += _y_ticks(chart, left, left + plot_w, y, 11)
    for i, category in enumerate(chart.categories):
        parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle">'
                     f'{escape(str(category))}</text>')
    for n, (name, values) in enumerate(chart.series):
        color = COLORS[n % len(COLORS)]
        parts += _series(chart, name, values, color, x, y, 2, 3.5)
        ly = top + 14 + n * 18
        parts.append(f'<rect x="{left + plot_w + 12}" y="{ly - 9}" width="12" height="4" fill="{color}"/>'
                     f'<text x="{left + plot_w + 30}" y="{ly - 4}" font-size="11">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _y_ticks(chart, x1, x2, y, size):
    parts, span = [], (chart.y_max - chart.y_min) or 1
    step = 1 if span <= 5 else span / 5
    tick = chart.y_min
    while tick <= chart.y_max + 1e-9:
        parts.append(f'<line x1="{x1}" x2="{x2}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="#ddd"/><text x="{x1 - 6}" y="{y(tick) + size / 3:.1f}" font-size="{size}" '
                     f'text-anchor="end">{display(Decimal(str(tick)).normalize())}</text>')
        tick += step
    return parts


def _series(chart, name, values, color, x, y, stroke, radius):
    parts = []
    points = [(x(i), y(v), chart.categories[i] if i < len(chart.categories) else "", v)
              for i, v in enumerate(values) if v is not None]
    if len(points) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="{stroke}" points="{path}"/>')
    for px, py, category, value in points:
        where = f" ({escape(str(category))})" if radius > 4 and category != "" else ""
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{radius}" fill="{color}">'
                     f'<title>{escape(name)}{where}: {display(value, "avg")}</title></circle>')
    return parts


def _short_label(text):
    """«Сентябрь 26» → «Сен. 26», «1 четверть» → «1 чет.»: words over five letters cut to three."""
    return " ".join(f"{word[:3]}." if len(word) > 5 and word.isalpha() else word for word in str(text).split())


def _scales(chart, left, top, plot_w, plot_h, count, span):
    """The chart's x (a category's centre) and y (a value's height) in the drawing's coordinates."""
    def x(i):
        return left + (plot_w * (i + 0.5) / count)

    def y(v):
        return top + plot_h * (1 - (float(v) - chart.y_min) / span)
    return x, y


def _compact_chart_svg(chart, width=360):
    left, right, top, plot_h = 34, 14, 30, 170
    plot_w = width - left - right
    count = max(1, len(chart.categories))
    span = (chart.y_max - chart.y_min) or 1
    every = -(-count // 5)  # at most five names under the axis
    legend_top = top + plot_h + 44
    height = legend_top + 20 * len(chart.series)

    x, y = _scales(chart, left, top, plot_w, plot_h, count, span)

    parts = [f'<svg class="report-chart report-chart-compact" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(chart.title)}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(chart.title)}</text>']
    parts += _y_ticks(chart, left, left + plot_w, y, 12)
    for i, category in enumerate(chart.categories):
        if i % every == 0:
            label = str(category)
            if len(label) * 7 > plot_w * every / count - 4:  # about 7 px a letter at 12 px
                label = _short_label(label)
            parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 20}" font-size="12" text-anchor="middle">'
                         f'{escape(label)}</text>')
    for n, (name, values) in enumerate(chart.series):
        color = COLORS[n % len(COLORS)]
        parts += _series(chart, name, values, color, x, y, 2.5, 4.5)
        ly = legend_top + n * 20
        parts.append(f'<rect x="0" y="{ly - 7}" width="16" height="5" fill="{color}"/>'
                     f'<text x="22" y="{ly}" font-size="13">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
