"""A report's Document as .xlsx (XlsxWriter), as JSON, and its chart as SVG for the screen.

The workbook: A4 landscape, one page wide, the table's header rows repeated on every page, column
widths set, the organization, the title and the parameters on top, the signature lines where the
report puts them; strings are always written as strings. The JSON holds the same rows and figures.
"""
from datetime import date
from decimal import Decimal
from html import escape

from markupsafe import Markup

from reports.document import Chart, PageBreak, Signatures, Table, Text, display
from reports.xlsx import Book
from services import dates

NUMBER_FORMATS = {"pct": "0.0", "avg": "0.00", "int": "0"}


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


def to_xlsx(doc):
    book = Book()
    formats = _Formats(book)
    for sheet in doc.sheets:
        _write_sheet(book, formats, doc, sheet)
    return book


def _write_sheet(book, formats, doc, sheet):
    ws = book.sheet(sheet.name, landscape=doc.landscape)
    widths = {}
    book.put(ws, 0, 0, doc.org.full_name, book.bold)
    book.put(ws, 1, 0, doc.title, book.title)
    row = 2
    for label, text in doc.params:
        book.put(ws, row, 0, f"{label}: {text}")
        row += 1
    row += 1
    repeated = False
    breaks = []
    for block in sheet.blocks:
        if isinstance(block, Table):
            if block.title:
                book.put(ws, row, 0, block.title, book.bold)
                row += 1
            first_header = row
            if block.groups:
                col = 0
                for title, span in block.groups:
                    if span > 1:
                        ws.merge_range(row, col, row, col + span - 1, title, book.header)
                    else:
                        book.put(ws, row, col, title, book.header)
                    col += span
                row += 1
            for col, column in enumerate(block.columns):
                book.put(ws, row, col, column.title, book.header)
                widths[col] = max(widths.get(col, 0), column.width)
            if not repeated:
                ws.repeat_rows(first_header, row)
                repeated = True
            row += 1
            row = _write_rows(ws, formats, block, row)
            row += 1
        elif isinstance(block, Text):
            fmt = book.bold if block.style == "heading" else (book.small if block.style == "note" else book.text)
            book.put(ws, row, 0, block.text, fmt)
            lines = max(1, len(block.text) // 120 + block.text.count("\n") + 1)
            if block.style not in ("heading", "note") and lines > 1:
                ws.merge_range(row, 0, row, max(6, len(widths) - 1), block.text, book.text)
                ws.set_row(row, 15 * lines)
            row += 1
        elif isinstance(block, Chart):
            row = _write_chart(book, ws, block, row)
        elif isinstance(block, Signatures):
            row += 1
            for label, name in block.lines:
                book.put(ws, row, 0, label)
                book.put(ws, row, 2, "________________ / " + (name or "________________"))
                row += 2
        elif isinstance(block, PageBreak):
            breaks.append(row)
    for col, width in widths.items():
        ws.set_column(col, col, width)
    if breaks:
        ws.set_h_pagebreaks(breaks)


def _write_rows(ws, formats, table, row):
    """The table's rows from `row`; returns the row after the last. The hot loop of the biggest workbooks
    (the whole institution's ledgers: 200 000 cells), so it dispatches on the exact type once per cell.
    Empty cells are not written one by one: a conditional format per run of rows of one style gives them
    the border (and a total's shading)."""
    last_col = len(table.columns) - 1
    run_start, run_style = row, None
    for item in table.rows:
        if item.style != run_style:
            if row > run_start:
                _blank_rule(ws, formats, run_start, row - 1, last_col, run_style)
            run_start, run_style = row, item.style
        row += 1
    if row > run_start:
        _blank_rule(ws, formats, run_start, row - 1, last_col, run_style)
    return _write_values(ws, formats, table, row - len(table.rows))


def _blank_rule(ws, formats, first, last, last_col, style):
    if last_col >= 0:
        ws.conditional_format(first, 0, last, last_col, {"type": "blanks", "format": formats.blank(style)})


def _write_values(ws, formats, table, row):
    kinds = [column.kind for column in table.columns]
    numeric = [kind in NUMBER_FORMATS or kind in ("int", "mark") for kind in kinds]
    write_string, write_number = ws.write_string, ws.write_number
    by_style = {}
    for item in table.rows:
        fmts = by_style.get(item.style)
        if fmts is None:
            fmts = by_style[item.style] = formats.row(item.style, kinds)
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


def _write_chart(book, ws, chart, row):
    """The chart's data as a small table, and the chart over it below."""
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
    xl.set_size({"width": 720, "height": 300})
    row = header + len(chart.series) + 2
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

    def x(i):
        return left + (plot_w * (i + 0.5) / count)

    def y(v):
        return top + plot_h * (1 - (float(v) - chart.y_min) / span)

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


def _compact_chart_svg(chart, width=360):
    left, right, top, plot_h = 34, 14, 30, 170
    plot_w = width - left - right
    count = max(1, len(chart.categories))
    span = (chart.y_max - chart.y_min) or 1
    every = -(-count // 5)  # at most five names under the axis
    legend_top = top + plot_h + 44
    height = legend_top + 20 * len(chart.series)

    def x(i):
        return left + (plot_w * (i + 0.5) / count)

    def y(v):
        return top + plot_h * (1 - (float(v) - chart.y_min) / span)

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
