"""XlsxWriter groundwork shared by every printable workbook: page setup, safe strings, download."""
import io
from datetime import date

import xlsxwriter
from flask import send_file

from services import dates

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


class Book:
    """A workbook in memory with the project's formats; text is always written as text."""

    def __init__(self):
        self.buffer = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self.buffer, {"in_memory": True, "strings_to_formulas": False,
                                                    "strings_to_urls": False,
                                                    "strings_to_numbers": False})
        add = self.wb.add_format
        self.title = add({"bold": True, "font_size": 14})
        self.bold = add({"bold": True})
        self.text = add({"text_wrap": True, "valign": "top"})
        self.header = add({"bold": True, "border": 1, "bg_color": "#E8EEF7", "text_wrap": True,
                           "valign": "vcenter", "align": "center"})
        self.cell = add({"border": 1, "valign": "top", "text_wrap": True})
        self.small = add({"font_size": 9, "italic": True})

    def sheet(self, name, landscape=True, repeat_rows=None, fit_width=True):
        safe = "".join(ch for ch in name if ch not in "[]:*?/\\")[:31] or "Лист"
        ws = self.wb.add_worksheet(safe)
        ws.set_paper(9)  # A4
        if landscape:
            ws.set_landscape()
        if fit_width:
            ws.fit_to_pages(1, 0)
        if repeat_rows is not None:
            ws.repeat_rows(*repeat_rows)
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
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
        self.wb.close()
        self.buffer.seek(0)
        resp = send_file(self.buffer, mimetype=XLSX_MIME, as_attachment=True, download_name=filename)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    def bytes(self):
        self.wb.close()
        return self.buffer.getvalue()
