"""«Конструктор отчётов» as .xlsx: the report's table on one printable sheet (reports/xlsx.py `Book`: every text
is written as text, so a value starting with = + - @ is never a formula), its conditions above it, and the cap's
note when the rows were cut (services/report_builder/run.py)."""
from datetime import date

from services import dates
from services.report_builder.catalogue import NUMBER
from services.terms import for_kind

from reports.xlsx import Book, text_width


def builder_xlsx(result, org):
    book = Book()
    ws = book.sheet("Отчёт", repeat_rows=(len(result.params) + 2, len(result.params) + 2),
                    header=(org.short_name if org is not None else "", result.title))
    ws.write_string(0, 0, result.title, book.title)
    row = 1
    for label, text in result.params:
        ws.write_string(row, 0, for_kind(f"{label}: {text}", org), book.small)
        row += 1
    row += 1
    widths = []
    for col, (label, _) in enumerate(result.headers):
        label = for_kind(label, org)
        ws.write_string(row, col, label, book.header)
        widths.append(max(8.0, min(40.0, text_width(label, bold=True) / 2 + 2)))
    number = book.wb.add_format({"border": 1, "valign": "top"})
    for values in result.rows:
        row += 1
        for col, value in enumerate(values):
            kind = result.headers[col][1]
            if isinstance(value, date):
                value = dates.format_date(value, org)
            Book.put(ws, row, col, value, number if kind == NUMBER else book.cell)
            if value is not None:
                widths[col] = max(widths[col], min(60.0, text_width(str(value)) + 2))
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    if result.cut:
        ws.write_string(row + 2, 0, result.cut, book.bold)
    return book
