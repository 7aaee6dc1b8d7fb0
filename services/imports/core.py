"""Imports of lists from .xlsx or .csv, all or nothing (issue 17.1; seed 000 §4.1 «импорт внешних массивов
данных»). The kernel every kind of import shares; each kind (students with their parents, staff, classes,
subjects, the curriculum) is one `Importer` in its own module, registered in services/imports/__init__.py.

The path of a file, whatever the door (the page, `flask import KIND FILE --org N [--apply]`):

1. ``read_table(data, columns)`` — the bytes, bounded and checked by services/uploads.py like every upload
   (size, zip bombs, a sheet that declares a million rows), as an .xlsx (a zip) or else as a CSV (UTF-8 with or
   without BOM, or Windows-1251; «;», «,» or tab). The header row is found among the first rows by the columns'
   titles (case, spaces, the required mark «*» and «ё» don't matter); a required column missing is one refusal
   naming it. Each non-empty row becomes a ``Row``: its number as the spreadsheet shows it and its cells by
   the columns' keys (stripped text, None for empty).
2. ``Importer.plan(actor, rows) -> Preview`` — every row checked and matched against the database, nothing
   written: what will be created, updated and skipped, and every bad row with its number, its column and a
   Russian message. The same file planned twice gives the same preview.
3. ``run(actor, kind, data, apply=True)`` — plans again inside the request's transaction and, only when no row
   is bad, calls ``Importer.apply`` (which writes through the services that own the rows, flushing, never
   committing: the caller's unit of work commits once, or rolls everything back). A file with one bad row
   changes nothing. A file applied twice changes nothing the second time (its rows are then «без изменений»).

``template(kind)`` writes the downloadable template (the header, the required columns marked «*», one
example row, a sheet «Пояснения» with each column's meaning); ``export(actor, kind, fmt)`` writes the same
columns filled from the database, so a school can move its data out and back in.
"""
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import xlsxwriter

from services import dates, permissions, uploads
from services.errors import DomainError

MAX_ROWS = 5000  # data rows of one file: a large school's students (2 000) with room to spare
HEADER_SEARCH = 10  # the header row is looked for among the first rows (a title line may precede it)
MAX_CELL = 1000  # characters of one cell; a longer one is a bad row, never cut
CREATE, UPDATE, SKIP = "create", "update", "skip"
ACTION_LABELS = {CREATE: "будет создано", UPDATE: "будет изменено", SKIP: "без изменений"}
APPLIED_LABELS = {CREATE: "создано", UPDATE: "изменено", SKIP: "без изменений"}
CSV_ENCODINGS = ("utf-8-sig", "cp1251")


@dataclass(frozen=True)
class Column:
    """One column of a kind's file: `key` names the cell in a Row, `title` heads the column."""

    key: str
    title: str
    required: bool = False
    example: str = ""
    hint: str = ""
    aliases: tuple = ()

    @property
    def header(self):
        return f"{self.title} *" if self.required else self.title


@dataclass
class Row:
    number: int  # as the spreadsheet shows it (the header is row 1 in a template)
    cells: dict  # key → stripped text or None

    def get(self, key):
        return self.cells.get(key)


@dataclass
class RowError:
    row: int  # 0: the file as a whole
    column: str  # the column's title, or "" for the row as a whole
    message: str

    def __str__(self):
        where = f"Строка {self.row}" if self.row else "Файл"
        return f"{where}, «{self.column}»: {self.message}" if self.column else f"{where}: {self.message}"


@dataclass
class Change:
    action: str  # CREATE, UPDATE or SKIP
    what: str  # «Ученик», «Родитель», «Класс» …
    label: str  # whom or which: «Иванов Пётр Сергеевич, 5А»
    row: int = 0
    detail: str = ""  # what changes: «телефон, адрес»


@dataclass
class Preview:
    kind: str
    title: str
    rows: int = 0
    changes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self):
        return not self.errors and self.rows > 0

    def counts(self):
        """{(what, action): n}, for the summary line of each kind of record."""
        out = {}
        for change in self.changes:
            out[(change.what, change.action)] = out.get((change.what, change.action), 0) + 1
        return out

    def count(self, action, what=None):
        return sum(1 for c in self.changes if c.action == action and (what is None or c.what == what))

    def summary(self):
        """«Ученик: будет создано 12, без изменений 3; Родитель: …» — one line per kind of record."""
        labels = APPLIED_LABELS if self.applied else ACTION_LABELS
        kinds = []
        for change in self.changes:
            if change.what not in kinds:
                kinds.append(change.what)
        parts = []
        for what in kinds:
            figures = ", ".join(f"{labels[action]} {self.count(action, what)}" for action in (CREATE, UPDATE, SKIP)
                                if self.count(action, what))
            parts.append(f"{what}: {figures}")
        return "; ".join(parts) or "нет строк с данными"

    def error(self, row, column, message):
        self.errors.append(RowError(row.number if isinstance(row, Row) else row,
                                    column.title if isinstance(column, Column) else (column or ""), message))

    def change(self, action, what, label, row=None, detail=""):
        self.changes.append(Change(action, what, label, row.number if isinstance(row, Row) else (row or 0), detail))


class Importer:
    """One kind of import. A subclass sets the class attributes and writes plan/apply/export_rows."""

    code = ""  # the CLI's and the URL's name: students, staff, classes, subjects, curriculum
    title = ""  # «Ученики и родители»
    columns: tuple = ()
    resource = ""  # the permission table's resource the import writes (services/permissions.py)
    filename = "import"  # the template's and the export's file name, without extension

    def plan(self, actor, rows, preview):  # pragma: no cover - every kind writes its own
        """Check and match every row, record changes and errors in `preview`; write nothing."""
        raise NotImplementedError

    def apply(self, actor, rows, preview, progress=None):  # pragma: no cover
        """Write what `plan` found (it found no error); flush, never commit. May use state plan kept on self
        only through `preview` or by planning again: an Importer instance serves one call of `run`."""
        raise NotImplementedError

    def export_rows(self, actor):  # pragma: no cover
        """The organization's records as dicts by column key (values: text, numbers or dates)."""
        raise NotImplementedError

    def column(self, key):
        return next(c for c in self.columns if c.key == key)


# -- reading ----------------------------------------------------------------------------------------------------

def _norm(title):
    text = str(title or "").replace("\xa0", " ").replace("ё", "е").replace("Ё", "Е").strip().rstrip("*").strip()
    return re.sub(r"\s+", " ", text).lower()


def _cell_text(value):
    """A cell as the importer sees it: text without outer spaces, a date as дд.мм.гггг, a whole number
    without «.0», None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime(dates.DATE_FORMAT)
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\xa0", " ").strip()
    return text or None


def _csv_rows(data):
    # Excel's «Текст Юникод (*.txt)» is UTF-16 with its byte order mark: read as such, not refused as binary.
    encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else CSV_ENCODINGS
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # cp1251 decodes almost anything; a broken UTF-16 file or a binary one fails here or below
        raise DomainError("Файл не читается: сохраните его как «Книга Excel (*.xlsx)» или «CSV UTF-8»")
    if "\x00" in text:
        raise DomainError("Файл не читается как таблица: это не .xlsx и не .csv (сохраните его как «Книга Excel "
                          "(*.xlsx)» или «CSV UTF-8»)")
    sample = text[:4096]
    delimiter = max((";", ",", "\t"), key=sample.count)
    try:
        rows = []
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(tuple(_unescape(cell) for cell in row))
            if len(rows) > MAX_ROWS + HEADER_SEARCH:
                raise DomainError(f"В файле больше {MAX_ROWS} строк, а загрузить можно не больше "
                                          f"{MAX_ROWS}: разделите файл на части")
    except csv.Error as exc:
        raise DomainError(f"Файл CSV повреждён: {exc}") from exc
    return rows


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _unescape(cell):
    """A CSV cell the export protected from running as a formula («'=…», see `_export_text`) as it was: an
    export read back changes nothing."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_START and _escaped(cell[1:]) else cell


def _escaped(text):
    return text[:1] in FORMULA_START and not re.fullmatch(r"[+-]?[0-9 ()-]+", text)


def _raw_rows(data, width):
    """The file's rows as tuples of cell values, an .xlsx or a CSV (decided by the content, not the name)."""
    data = bytes(data or b"")
    if not data:
        raise DomainError("Файл не выбран или пустой: выберите файл .xlsx или .csv")
    if len(data) > uploads.MAX_UPLOAD_BYTES:
        raise DomainError(f"Файл больше {uploads.megabytes(uploads.MAX_UPLOAD_BYTES)}: такой файл не загружается")
    if data.startswith(b"PK") or data.startswith(uploads.OLE_MAGIC):
        return uploads.xlsx_rows(data, max_rows=MAX_ROWS + HEADER_SEARCH, max_cols=width)
    return _csv_rows(data)


def read_table(data, columns):
    """The data rows of a file laid out as `columns` (see the module's docstring). Raises DomainError for a
    file that can't be read at all or lacks a required column; a bad cell is not this function's business."""
    columns = tuple(columns)
    width = max(len(columns) + 20, 40)
    raw = _raw_rows(data, width)
    names = {}
    for col in columns:
        for name in (col.title, *col.aliases):
            names[_norm(name)] = col
    header_at, header = None, None
    for i, row in enumerate(raw[:HEADER_SEARCH]):
        found = {j: names[_norm(v)] for j, v in enumerate(row) if _norm(v) in names}
        if found and (header is None or len(found) > len(header)):
            header_at, header = i, found
        if header and len(header) == len(columns):
            break
    if header is None:
        titles = ", ".join(f"«{c.title}»" for c in columns if c.required)
        raise DomainError(f"В файле не найдена строка заголовка: в ней должны быть столбцы {titles}. "
                          "Скачайте шаблон и заполните его.")
    seen = {}
    for j, col in header.items():
        if col.key in seen:
            raise DomainError(f"Столбец «{col.title}» встречается в заголовке дважды: оставьте один")
        seen[col.key] = j
    missing = [c.title for c in columns if c.required and c.key not in seen]
    if missing:
        raise DomainError("В файле нет обязательных столбцов: " + ", ".join(f"«{m}»" for m in missing)
                          + ". Скачайте шаблон и перенесите данные в него.")
    rows = []
    for offset, values in enumerate(raw[header_at + 1:], start=header_at + 2):
        cells = {key: _cell_text(values[j]) if j < len(values) else None for key, j in seen.items()}
        if all(v is None for v in cells.values()):
            continue
        rows.append(Row(offset, cells))
    if len(rows) > MAX_ROWS:
        raise DomainError(f"В файле {len(rows)} строк с данными, а загрузить можно не больше {MAX_ROWS}: "
                          "разделите файл на части")
    return rows


def check_lengths(rows, columns, preview, limits):
    """Cells longer than their column's limit ({key: characters}, MAX_CELL for the rest) are bad rows: a value
    is never cut silently. Returns the rows without such cells' errors counted twice."""
    by_key = {c.key: c for c in columns}
    for row in rows:
        for key, value in row.cells.items():
            limit = limits.get(key, MAX_CELL)
            if value is not None and len(value) > limit:
                preview.error(row, by_key[key], f"не длиннее {limit} символов (сейчас {len(value)})")


# -- running ----------------------------------------------------------------------------------------------------

def run(actor, importer, data, *, apply=False, progress=None):
    """Read, plan and (with `apply`, when nothing is wrong) apply one file. Returns the Preview.

    A file that can't be read raises DomainError. With `apply` and any bad row, nothing is written and the
    preview lists the bad rows (`preview.applied` stays False). `progress(done, total)`, if given, is called
    while rows are applied."""
    permissions.require(actor, importer.resource, "create")  # the page lists only these kinds; any door checks
    rows = read_table(data, importer.columns)
    preview = Preview(importer.code, importer.title, rows=len(rows))
    if not rows:
        preview.error(0, "", "в файле нет ни одной строки с данными под заголовком")
        return preview
    importer.plan(actor, rows, preview)
    preview.errors.sort(key=lambda e: (e.row, e.column))
    if apply and not preview.errors:
        applied = Preview(importer.code, importer.title, rows=len(rows))
        importer.apply(actor, rows, applied, progress=progress)
        if applied.errors:  # a rule the plan could not see (another user's change in between): nothing stays
            applied.errors.sort(key=lambda e: (e.row, e.column))
            raise ImportRefused(applied)
        applied.applied = True
        return applied
    return preview


class ImportRefused(DomainError):
    """Applying found a bad row after all; the caller rolls the transaction back and shows the preview."""

    def __init__(self, preview):
        super().__init__("Файл не загружен, ни одна строка не импортирована",
                         errors=[str(e) for e in preview.errors[:50]])
        self.preview = preview


# -- writing ----------------------------------------------------------------------------------------------------

def _book(importer, rows):
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True,
                            "valign": "top"})
    text = book.add_format({"num_format": "@"})
    day = book.add_format({"num_format": "dd.mm.yyyy"})
    sheet = book.add_worksheet(importer.title[:31])
    for j, col in enumerate(importer.columns):
        sheet.write_string(0, j, col.header, head)
        sheet.set_column(j, j, max(12, min(40, len(col.header) + 2)), text)
    sheet.freeze_panes(1, 0)
    for i, row in enumerate(rows, start=1):
        for j, col in enumerate(importer.columns):
            value = row.get(col.key)
            if value is None or value == "":
                continue
            if isinstance(value, datetime):
                value = value.date()
            if isinstance(value, date):
                sheet.write_datetime(i, j, datetime(value.year, value.month, value.day), day)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(i, j, value)
            else:
                sheet.write_string(i, j, str(value), text)
    notes = book.add_worksheet("Пояснения")
    notes.set_column(0, 0, 34)
    notes.set_column(1, 1, 90)
    notes.write_string(0, 0, "Столбец", head)
    notes.write_string(0, 1, "Что в нём", head)
    for i, col in enumerate(importer.columns, start=1):
        meaning = ("Обязательный. " if col.required else "") + (col.hint or "")
        notes.write_string(i, 0, col.title)
        notes.write_string(i, 1, meaning.strip())
    notes.write_string(len(importer.columns) + 2, 0,
                       "Даты — дд.мм.гггг. Строка заголовка должна остаться первой строкой таблицы; порядок "
                       "столбцов любой, лишние столбцы не читаются. Файл загружается целиком или не загружается "
                       "вовсе: сначала проверка покажет, что будет создано и изменено и какие строки с ошибками.")
    book.close()
    return out.getvalue()


def template(importer):
    """The template: the header and one example row."""
    return _book(importer, [{c.key: c.example for c in importer.columns}])


def export(actor, importer, fmt="xlsx"):
    """The organization's records in the import's own layout: (bytes, mimetype, extension)."""
    rows = importer.export_rows(actor)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow([c.header for c in importer.columns])
        for row in rows:
            writer.writerow([_export_text(row.get(c.key)) for c in importer.columns])
        return ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", "csv", len(rows)
    return (_book(importer, rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx",
            len(rows))


def _export_text(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime(dates.DATE_FORMAT)
    text = str(value)
    # A cell a spreadsheet would run as a formula (CSV injection) is written as text.
    return "'" + text if _escaped(text) else text


# -- cells --------------------------------------------------------------------------------------------------------

def parse_date_cell(row, column, preview, *, required=False):
    """A date cell (дд.мм.гггг, or a date the spreadsheet stored) or None; a bad one is a row error."""
    value = row.get(column.key)
    if value is None:
        if required:
            preview.error(row, column, "заполните (дата дд.мм.гггг)")
        return None
    parsed = dates.parse_date(value)
    if parsed is None:
        preview.error(row, column, f"«{value}» — не дата; нужна дата в виде дд.мм.гггг")
    return parsed


def parse_choice(row, column, preview, choices, *, required=False):
    """A cell that must be one of `choices` ({normalized text: value}); returns the value or None."""
    value = row.get(column.key)
    if value is None:
        if required:
            preview.error(row, column, "заполните: " + ", ".join(sorted({str(k) for k in choices})))
        return None
    found = choices.get(_norm(value))
    if found is None:
        preview.error(row, column, f"«{value}» — нет такого значения; допустимо: "
                      + ", ".join(sorted({str(k) for k in choices})))
    return found


def require(row, column, preview):
    value = row.get(column.key)
    if value is None:
        preview.error(row, column, "заполните")
    return value


def norm(text):
    """The comparison form of a name or title: case, spaces and «ё» don't matter."""
    return _norm(text)
