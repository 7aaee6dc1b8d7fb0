"""Uploads are bounded (issue 11.11): crafted .xlsx files — a sheet declaring 3 000 000 rows, a zip
part of zeros that unpacks to hundreds of MB, malformed XML, entities, a non-zip, a password-protected
or empty file — are refused quickly with a Russian message naming the problem, and change nothing;
through services/uploads.py and through the КТП import page, as an attacker would send them."""
import io
import struct
import time
import zipfile

import openpyxl.xml
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from models import ThematicPlanTopic, db
from services import uploads
from services.planning import ktp
from services.errors import DomainError
from tests.factories import actor_of, pl_plan, pl_subject

SHEET = "xl/worksheets/sheet1.xml"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUICK = 3.0  # seconds; before the fix the 3 000 000-row sheet took 5–8 s and the zip bomb 179 s


def sheet_xml(rows="", dimension=None, prolog=""):
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'{prolog}<worksheet {NS}>{dim}<sheetData>{rows}</sheetData></worksheet>'.encode()


def text_row(number, text):
    return f'<row r="{number}"><c r="C{number}" t="inlineStr"><is><t>{text}</t></is></c></row>'


def workbook(sheet=None, zeros=0):
    """A real workbook made by openpyxl whose first sheet is replaced by `sheet` (bytes), or by
    `zeros` bytes of zeros streamed into the zip (the zip stays a few hundred KB)."""
    buf = io.BytesIO()
    Workbook().save(buf)
    source = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in source.infolist():
            if part.filename != SHEET:
                archive.writestr(part.filename, source.read(part.filename))
            elif zeros:
                chunk = b"\0" * (1024 * 1024)
                with archive.open(SHEET, "w") as target:
                    for _ in range(zeros // len(chunk)):
                        target.write(chunk)
            else:
                archive.writestr(SHEET, sheet)
    return out.getvalue()


def with_central_directory(data, name, **fields):
    """The zip with the central-directory entry of `name` patched: the directory is what zipfile
    trusts, so a bomb can lie there about its size (file_size) or claim a password (flag_bits)."""
    offsets = {"flag_bits": (8, "<H"), "file_size": (24, "<I")}
    data = bytearray(data)
    at = struct.unpack_from("<I", data, data.rindex(b"PK\x05\x06") + 16)[0]  # the directory's first entry
    while True:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_length].decode() == name:
            break
        extra, comment = struct.unpack_from("<HH", data, at + 30)
        at += 46 + name_length + extra + comment
    for field, value in fields.items():
        offset, fmt = offsets[field]
        struct.pack_into(fmt, data, at + offset, value)
    return bytes(data)


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
                            for n in range(1, 10)) + "]>")
OLE = uploads.OLE_MAGIC + b"\0" * 504

CRAFTED = {
    # name: (the file, what the message says)
    "a sheet declaring 3 000 000 rows": (
        lambda: workbook(sheet_xml(text_row(3_000_000, "x"), dimension="A1:A3000000")),
        "3000000 строк, а загрузить можно не больше"),
    "a sheet declaring row 10⁹": (
        lambda: workbook(sheet_xml(text_row(1_000_000_000, "x"), dimension="A1:E1000000000")),
        "1000000000 строк, а загрузить можно не больше"),
    "a row 3 000 000 with no dimension declared": (
        lambda: workbook(sheet_xml(text_row(3_000_000, "x"))),
        "больше 1030 строк, а загрузить можно не больше 1030"),
    "a zip bomb: 300 MB of zeros": (
        lambda: workbook(zeros=300 * 1024 * 1024),
        "распаковывается в 300 МБ, допустимо не больше 10 МБ"),
    "a smaller bomb under the size limit": (
        lambda: workbook(zeros=8 * 1024 * 1024),
        "сжата в"),
    "a bomb that lies about its size in the zip's directory": (
        lambda: with_central_directory(workbook(zeros=300 * 1024 * 1024), SHEET, file_size=50_000),
        "файл повреждён или содержит недопустимую разметку"),
    "malformed XML": (
        lambda: workbook(b"<worksheet><sheetData><row r='1'><c"),
        "файл повреждён или содержит недопустимую разметку"),
    "entities (billion laughs)": (
        lambda: workbook(sheet_xml(text_row(5, "&lol9;"), prolog=BILLION_LAUGHS)),
        "файл повреждён или содержит недопустимую разметку"),
    "not a zip": (lambda: b"not a zip at all, just text", "это не книга .xlsx"),
    "a truncated zip": (lambda: workbook(sheet_xml(text_row(5, "x")))[:3000], "это не книга .xlsx"),
    "a password-protected workbook": (
        lambda: OLE + uploads.OLE_ENCRYPTED + b"\0" * 64, "защищён паролем"),
    "a zip part flagged as encrypted": (
        lambda: with_central_directory(workbook(sheet_xml(text_row(5, "x"))), SHEET, flag_bits=1),
        "защищён паролем"),
    "an old .xls": (lambda: OLE + "Workbook".encode("utf-16-le"), "старого формата (.xls)"),
    "an empty file": (lambda: b"", "Файл не выбран или пустой"),
}


@pytest.fixture(scope="module", params=sorted(CRAFTED))
def crafted(request):
    make, message = CRAFTED[request.param]
    return make(), message


def test_openpyxl_parses_with_defusedxml():
    assert openpyxl.xml.DEFUSEDXML


def test_a_crafted_file_is_refused_quickly_by_the_reader(crafted):
    data, message = crafted
    started = time.monotonic()
    with pytest.raises(DomainError) as caught:
        uploads.xlsx_rows(data, max_rows=ktp.MAX_ROWS, max_cols=5)
    assert time.monotonic() - started < QUICK
    assert message in str(caught.value)


@pytest.fixture
def plan(world):
    a = world.a
    english = pl_subject(a.org, "Английский язык")
    row = pl_plan(a.org, a.year, a.teacher, english, 5, "Английский, 5 класс", [("Тема 1", 2), ("Тема 2", 1)])
    db.session.commit()
    return row


def topics(plan_id):
    db.session.expire_all()
    return db.session.scalars(select(ThematicPlanTopic.title).where(ThematicPlanTopic.plan_id == plan_id)
                              .order_by(ThematicPlanTopic.position)).all()


def upload(b, plan, data):
    return b.post(f"/ktp/topics/?id={plan.id}", data={"id": plan.id, "do": "import",
                                                      "file": (io.BytesIO(data), "ktp.xlsx", XLSX)},
                  content_type="multipart/form-data", follow_redirects=True)


def test_a_crafted_file_is_refused_by_the_import_page_and_changes_nothing(world, browser, plan, crafted):
    data, message = crafted
    b = browser()
    b.login("a.teacher")
    started = time.monotonic()
    resp = upload(b, plan, data)
    assert time.monotonic() - started < QUICK
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    assert topics(plan.id) == ["Тема 1", "Тема 2"]
    with pytest.raises(DomainError):  # the service refuses it as well, whoever calls it
        ktp.import_xlsx(actor_of("a.teacher"), plan, data)
    assert topics(plan.id) == ["Тема 1", "Тема 2"]


def test_a_sheet_up_to_the_row_limit_still_imports(world, browser, plan):
    """A full plan of 1000 topics with its signature line on the last row allowed imports."""
    def cells(number, *values):
        return f'<row r="{number}">' + "".join(
            f'<c r="{col}{number}" t="inlineStr"><is><t>{value}</t></is></c>' for col, value in values) + "</row>"

    last = ktp.MAX_ROWS
    rows = cells(4, ("C", "Тема урока"), ("D", "Часов")) + "".join(
        cells(n, ("C", f"Тема {n}"), ("D", "1")) for n in range(5, 5 + ktp.MAX_TOPICS))
    signature = cells(last, ("A", "Учитель ____"))
    b = browser()
    b.login("a.teacher")
    page = upload(b, plan, workbook(sheet_xml(rows + signature, dimension=f"A1:E{last}"))).get_data(as_text=True)
    assert f"Загружено тем: {ktp.MAX_TOPICS}" in page
    page = upload(b, plan, workbook(sheet_xml(rows + cells(last + 1, ("A", "Учитель ____"))))).get_data(as_text=True)
    assert f"больше {last} строк" in page
    assert len(topics(plan.id)) == ktp.MAX_TOPICS


def test_an_upload_is_read_no_further_than_the_limit():
    class Endless(io.RawIOBase):
        asked = 0

        def read(self, size=-1):
            assert size != -1, "an upload is never read whole"
            self.asked += size
            return b"\0" * size

    stream = Endless()
    with pytest.raises(DomainError) as caught:
        uploads.read_upload(stream)
    assert "Файл больше 5 МБ" in str(caught.value)
    assert stream.asked == uploads.MAX_UPLOAD_BYTES + 1


def test_an_oversized_upload_is_a_russian_413_naming_the_limit(world, browser, plan, app):
    assert app.config["MAX_CONTENT_LENGTH"] == uploads.MAX_UPLOAD_BYTES == 5 * 1024 * 1024
    b = browser()
    b.login("a.teacher")
    resp = upload(b, plan, b"\0" * (uploads.MAX_UPLOAD_BYTES + 1))
    assert resp.status_code == 413
    page = resp.get_data(as_text=True)
    assert "Файл слишком большой" in page and "не больше 5 МБ" in page and "Traceback" not in page
    assert topics(plan.id) == ["Тема 1", "Тема 2"]
