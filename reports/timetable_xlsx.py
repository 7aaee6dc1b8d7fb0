"""The timetable as a printable workbook: landscape A4, fit to the page width, the title with the
organization's name, the header rows repeated on every printed page."""
from models import ExamKind, WEEKDAYS
from reports.xlsx import Book

HEADER_ROW = 3  # rows 0–2: organization, title, period


def grid_workbook(grid, org):
    """One sheet: lesson rows × day (or class) columns, every cell's lessons as lines of text."""
    book = Book()
    ws = book.sheet(grid.title, repeat_rows=(HEADER_ROW, HEADER_ROW))
    last_col = len(grid.columns) + 1
    changed = book.wb.add_format({"border": 1, "valign": "top", "text_wrap": True, "bg_color": "#FFF4CE"})
    off = book.wb.add_format({"border": 1, "valign": "vcenter", "align": "center", "italic": True,
                              "font_color": "#666666", "text_wrap": True})
    book.put(ws, 0, 0, org.full_name or org.short_name, book.bold)
    book.put(ws, 1, 0, f"Расписание: {grid.title}", book.title)
    book.put(ws, 2, 0, grid.period, book.small)
    book.put(ws, HEADER_ROW, 0, "Урок", book.header)
    book.put(ws, HEADER_ROW, 1, "Время", book.header)
    for col, (_key, label, sub) in enumerate(grid.columns, start=2):
        book.put(ws, HEADER_ROW, col, f"{label}\n{sub}" if sub else label, book.header)
    ws.set_column(0, 0, 14 if any("," in r[1] for r in grid.rows) else 6)
    ws.set_column(1, 1, 12)
    ws.set_column(2, last_col, 24)
    for row, (row_key, label, times) in enumerate(grid.rows, start=HEADER_ROW + 1):
        book.put(ws, row, 0, label, book.cell)
        book.put(ws, row, 1, times, book.cell)
        for col, (col_key, _label, _sub) in enumerate(grid.columns, start=2):
            if col_key in grid.notes:
                book.put(ws, row, col, grid.notes[col_key], off)
                continue
            items = grid.items(row_key, col_key)
            text = "\n\n".join("\n".join(item.lines()) for item in items)
            fmt = changed if any(item.change_kind for item in items) else book.cell
            book.put(ws, row, col, text or None, fmt)
    foot = HEADER_ROW + len(grid.rows) + 2
    book.put(ws, foot, 0, "Заместитель директора ____________________ / ____________________ /", book.text)
    return book


def exams_workbook(rows, org, title):
    """The exam-session timetable: one line per exam, by date and time."""
    book = Book()
    ws = book.sheet("Сессия", repeat_rows=(HEADER_ROW, HEADER_ROW))
    heads = ["Дата", "День", "Время", "Группа", "Вид", "Дисциплина", "Аудитория", "Экзаменатор", "Ассистент",
             "Примечание"]
    widths = [11, 12, 13, 12, 22, 36, 11, 22, 22, 24]
    book.put(ws, 0, 0, org.full_name or org.short_name, book.bold)
    book.put(ws, 1, 0, title, book.title)
    for col, (head, width) in enumerate(zip(heads, widths)):
        book.put(ws, HEADER_ROW, col, head, book.header)
        ws.set_column(col, col, width)
    for row, e in enumerate(rows, start=HEADER_ROW + 1):
        values = [e.date, WEEKDAYS.get(e.date.isoweekday(), "Воскресенье"),
                  f"{e.starts_at:%H:%M}–{e.ends_at:%H:%M}",
                  e.klass.name + (f" ({e.subgroup.name})" if e.subgroup else ""),
                  ExamKind(e.kind).label, str(e.subject), e.room.name if e.room else "",
                  e.examiner.short_name if e.examiner else "", e.assistant.short_name if e.assistant else "",
                  e.note or ""]
        for col, value in enumerate(values):
            book.put(ws, row, col, value, book.cell)
    return book
