"""The КТП workbook: the empty template a teacher fills and imports, and a plan's own topics in
the same layout (so a downloaded plan can be edited and imported back)."""
from reports.xlsx import Book
from services.planning.ktp import COLUMNS, HEADER_ROW

EXAMPLE = [("Раздел 1. Повторение", "Повторение изученного в прошлом году", 2, "§1, упр. 3"),
           ("", "Входная контрольная работа", 1, "")]


def ktp_workbook(plan=None, topics=()):
    book = Book()
    ws = book.sheet("КТП", landscape=True, repeat_rows=(HEADER_ROW, HEADER_ROW))
    for col, (_, width) in enumerate(COLUMNS):
        ws.set_column(col, col, width)
    ws.write_string(0, 0, "Календарно-тематический план", book.title)
    if plan is not None:
        unit = "курс" if plan.year.organization.is_college else "класс"
        subtitle = (f"{plan.subject.name}, {plan.grade} {unit}, {plan.year.name} уч. год. "
                    f"Учитель: {plan.teacher.full_name}. {plan.name}")
    else:
        subtitle = ("Заполните строки начиная с пятой: тема урока и число часов обязательны, "
                    "порядок строк — порядок уроков. Пример ниже замените своими темами.")
    ws.write_string(1, 0, subtitle, book.small)
    for col, (label, _) in enumerate(COLUMNS):
        ws.write_string(HEADER_ROW, col, label, book.header)
    rows = [(t.section or "", t.title, t.hours, t.homework or "") for t in topics] if plan is not None \
        else EXAMPLE
    for i, (section, title, hours, homework) in enumerate(rows):
        r = HEADER_ROW + 1 + i
        book.put(ws, r, 0, i + 1, book.cell)
        book.put(ws, r, 1, section, book.cell)
        book.put(ws, r, 2, title, book.cell)
        book.put(ws, r, 3, hours, book.cell)
        book.put(ws, r, 4, homework, book.cell)
    ws.data_validation(HEADER_ROW + 1, 3, HEADER_ROW + 1000, 3, {
        "validate": "integer", "criteria": "between", "minimum": 1, "maximum": 100,
        "error_title": "Часы", "error_message": "Целое число от 1 до 100"})
    ws.freeze_panes(HEADER_ROW + 1, 0)
    last = HEADER_ROW + 2 + len(rows)
    ws.write_string(last + 1, 0, "Учитель ____________________ / ____________________ /", book.text)
    ws.write_string(last + 2, 0, "Согласовано: заместитель директора ____________________", book.text)
    return book
