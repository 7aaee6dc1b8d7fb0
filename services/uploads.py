"""Every uploaded file an import reads comes through here, bounded before it is parsed.

``read_upload(file) -> bytes``
    the bytes of an uploaded file (werkzeug's FileStorage, an open file, or None when none was
    chosen), read no further than MAX_UPLOAD_BYTES + 1.
``xlsx_rows(data, max_rows=…, max_cols=…) -> [tuple]``
    the first sheet's rows of an .xlsx, each a tuple of `max_cols` values (None for an empty cell).

An .xlsx is a zip of XML parts, and the cost of reading one is not its size: a 2 MB zip of zeros
unpacks to gigabytes, a 2 KB sheet may declare its last row to be the 3 000 000th, and openpyxl
builds every row up to it. So, in this order, before anything is parsed: the file's size; that it
is a zip at all (a password-protected workbook or an old .xls is not: each gets its own message);
the zip's directory — how many parts, how large each unpacks and by what ratio — where zipfile
never unpacks a part beyond the size its directory declares. Then openpyxl opens it read-only
(parts are parsed lazily, with defusedxml, which openpyxl uses whenever it is installed: no
entities, no DTD), the sheet's declared dimension is checked against the import's row limit, and
rows are read only up to that limit, whatever the dimension said.

Whatever is wrong is a DomainError naming the problem or the limit; nothing has been changed yet.
The request body of an upload is capped by MAX_CONTENT_LENGTH (app.py) at MAX_UPLOAD_BYTES.
"""
import io
import math
import zipfile

from services.errors import DomainError
from openpyxl import load_workbook

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PARTS = 300
MAX_PART_BYTES = 10 * 1024 * 1024       # one part unpacked; a legitimate import's sheet is a few MB
MAX_UNPACKED_BYTES = 20 * 1024 * 1024   # all parts together
MAX_RATIO = 100                         # unpacked : packed; XML packs about 10:1, zeros 1000:1
RATIO_FROM_BYTES = 1024 * 1024          # small parts may pack better: only larger ones are judged

NOT_XLSX = "Файл не читается как книга Excel (.xlsx)"
ENCRYPTED = "Файл защищён паролем: снимите пароль в Excel и загрузите книгу снова"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound document: an old .xls or an encrypted .xlsx
OLE_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")


def megabytes(size):
    return f"{math.ceil(size / (1024 * 1024))} МБ"


def read_upload(file, expected=".xlsx"):
    """`expected`: what the message about an empty file asks for (an import's .xlsx; None for an attachment,
    which may be of several types)."""
    data = file.read(MAX_UPLOAD_BYTES + 1) if file is not None else b""
    _check_size(data, expected)
    return data


def xlsx_rows(data, *, max_rows, max_cols):
    _check_size(data)
    _check_archive(data)
    return _first_sheet_rows(data, max_rows, max_cols)


def _check_size(data, expected=".xlsx"):
    if not data:
        raise DomainError("Файл не выбран или пустой" + (f": выберите файл {expected}" if expected else
                                                         ": приложите файл с содержимым"))
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(f"Файл больше {megabytes(MAX_UPLOAD_BYTES)}: такой файл не загружается")


def _check_archive(data):
    if data.startswith(OLE_MAGIC):
        if OLE_ENCRYPTED in data:
            raise DomainError(ENCRYPTED)
        raise DomainError(f"{NOT_XLSX}: это файл старого формата (.xls) — сохраните его в Excel как "
                          "«Книга Excel (*.xlsx)»")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except Exception as exc:  # noqa: BLE001 — any failure to read a foreign file's directory is the same refusal
        raise DomainError(f"{NOT_XLSX}: это не книга .xlsx (файл другого формата или повреждён)") from exc
    if len(parts) > MAX_PARTS:
        raise DomainError(f"{NOT_XLSX}: в архиве {len(parts)} частей, допустимо не больше {MAX_PARTS}")
    for part in parts:
        if part.flag_bits & 0x1:
            raise DomainError(ENCRYPTED)
        if part.file_size > MAX_PART_BYTES:
            raise DomainError(f"{NOT_XLSX}: часть «{part.filename}» распаковывается в {megabytes(part.file_size)}, "
                              f"допустимо не больше {megabytes(MAX_PART_BYTES)}")
        if part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise DomainError(f"{NOT_XLSX}: часть «{part.filename}» сжата в "
                              f"{part.file_size // max(part.compress_size, 1)} раз, допустимо не больше "
                              f"{MAX_RATIO} — так устроены «zip-бомбы»")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        raise DomainError(f"{NOT_XLSX}: архив распаковывается в {megabytes(unpacked)}, допустимо не больше "
                          f"{megabytes(MAX_UNPACKED_BYTES)}")


def _too_many_rows(sheet, rows, max_rows):
    return DomainError(f"На листе «{sheet}» {rows} строк, а загрузить можно не больше {max_rows}: удалите "
                       "лишние строки (в том числе пустые, но оформленные) и загрузите файл снова")


def _first_sheet_rows(data, max_rows, max_cols):
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not book.worksheets:
                raise DomainError(f"{NOT_XLSX}: в книге нет ни одного листа")
            sheet = book.worksheets[0]
            if (sheet.max_row or 0) > max_rows:  # the dimension the sheet declares, read before any row
                raise _too_many_rows(sheet.title, sheet.max_row, max_rows)
            rows = list(sheet.iter_rows(max_row=max_rows + 1, max_col=max_cols, values_only=True))
        finally:
            book.close()
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 — malformed XML, forbidden entities, missing parts: one refusal
        raise DomainError(f"{NOT_XLSX}: файл повреждён или содержит недопустимую разметку") from exc
    if len(rows) > max_rows:  # the dimension was missing or understated
        raise _too_many_rows(sheet.title, f"больше {max_rows}", max_rows)
    return rows
