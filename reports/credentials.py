"""Credential slips: one slip per person, grouped by class, with cut lines; printed once."""
from itertools import groupby

from reports.xlsx import Book, unique_sheet_name
from services import dates

SLIP_ROWS = 7  # rows a slip takes, the cut line included


def write_slips(book, credentials, org, site, title):
    """One worksheet per class, so each class starts on its own page.

    Page breaks inside one sheet would not do: Excel and LibreOffice ignore manual breaks
    on a sheet printed "fit to width".
    """
    cut = book.wb.add_format({"bottom": 3, "font_size": 8, "font_color": "#888888"})
    login_fmt = book.wb.add_format({"bold": True, "font_name": "Courier New", "font_size": 13})
    org_name = str(org) if org is not None else ""
    sheets, used = [], set()
    for group, people in groupby(credentials, key=lambda c: c.group):
        ws = book.sheet(unique_sheet_name(group, used), landscape=False)
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 52)
        ws.set_footer(f"&C&8{title}: {group.replace('&', '&&')}. Выдано &D")
        book.put(ws, 0, 0, f"{title}: {group}", book.title)
        row = 2
        for cred in people:
            book.put(ws, row, 0, org_name, book.bold)
            book.put(ws, row + 1, 0, "ФИО")
            book.put(ws, row + 1, 1, cred.full_name, book.bold)
            book.put(ws, row + 2, 0, "Роль")
            book.put(ws, row + 2, 1, cred.role)
            book.put(ws, row + 3, 0, "Адрес сайта")
            book.put(ws, row + 3, 1, site)
            book.put(ws, row + 4, 0, "Логин")
            book.put(ws, row + 4, 1, cred.login, login_fmt)
            book.put(ws, row + 5, 0, "Пароль")
            book.put(ws, row + 5, 1, cred.password, login_fmt)
            book.put(ws, row + 6, 0, "✂ При первом входе задайте свой пароль. Никому не сообщайте пароль.", cut)
            ws.write_blank(row + 6, 1, None, cut)
            row += SLIP_ROWS + 1
        ws.print_area(0, 0, row - 1, 1)
        sheets.append(ws)
    return sheets


def slips_filename(org):
    return f"логины-{dates.today(org):%d.%m.%Y}.xlsx"


def credentials_workbook(credentials, org, site, title):
    book = Book()
    write_slips(book, credentials, org, site, title)
    return book.response(slips_filename(org))


def credentials_bytes(credentials, org, site, title):
    """The slips' workbook as bytes (kept for a one-time download: services/people/slips.py)."""
    book = Book()
    write_slips(book, credentials, org, site, title)
    return book.bytes()
