"""Files people attach — homework and lesson materials, message and announcement attachments, scans sent with a
request to correct data — kept outside the database (issue 16.6).

``store(org_id, owner_id, filename, data) -> StoredFile``
    checks the file (size, type read from its content — never from its name), gives it a safe name, puts its
    bytes into the storage and flushes the row naming them. Whatever is wrong is a DomainError in Russian and
    nothing is kept.
``read(stored) -> bytes``
    its bytes back; who may read it is the caller's question (the lesson's, the message's readers).
``discard(stored)``
    the row deleted; ``prune(now)`` (`flask files prune`, daily from cron) removes bytes no row names.

One storage interface (`Storage`: put, get, delete by key); `LocalStorage` keeps the bytes in a folder
(config FILES_DIR, by default instance/files), each under a random key, never under a name a user chose, so
no name can reach outside the folder. Another storage (S3-compatible) would implement the same three
methods and be returned by `storage()`.

Accepted types (by content): PDF, PNG, JPEG, GIF, WebP, Office Open XML (.docx, .xlsx, .pptx), OpenDocument
(.odt, .ods, .odp), the old Office formats (.doc, .xls, .ppt), plain text in UTF-8 (.txt) and ZIP archives.
HTML, SVG, scripts and programs are refused whatever they are called; every file is served as an attachment
(admin_views/files.py), never inline.
"""
import hashlib
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import current_app

from sqlalchemy import select

from models import StoredFile, db, scope
from services.errors import DomainError
from services.uploads import MAX_UPLOAD_BYTES, megabytes

MAX_FILE_BYTES = MAX_UPLOAD_BYTES  # one attachment, as the request body is capped (MAX_CONTENT_LENGTH, app.py)
MAX_NAME = 120


@dataclass(frozen=True)
class Kind:
    content_type: str
    extensions: tuple  # the first is the one given to a name without a fitting extension
    label: str


PDF = Kind("application/pdf", (".pdf",), "PDF")
PNG = Kind("image/png", (".png",), "рисунок PNG")
JPEG = Kind("image/jpeg", (".jpg", ".jpeg"), "фотография JPEG")
GIF = Kind("image/gif", (".gif",), "рисунок GIF")
WEBP = Kind("image/webp", (".webp",), "рисунок WebP")
DOCX = Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), "документ Word")
XLSX = Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), "книга Excel")
PPTX = Kind("application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",),
            "презентация PowerPoint")
ODT = Kind("application/vnd.oasis.opendocument.text", (".odt",), "документ OpenDocument")
ODS = Kind("application/vnd.oasis.opendocument.spreadsheet", (".ods",), "таблица OpenDocument")
ODP = Kind("application/vnd.oasis.opendocument.presentation", (".odp",), "презентация OpenDocument")
OLE = Kind("application/vnd.ms-office", (".doc", ".xls", ".ppt"), "документ Microsoft Office")
ZIP = Kind("application/zip", (".zip",), "архив ZIP")
TEXT = Kind("text/plain; charset=utf-8", (".txt",), "текст")
KINDS = (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, ODT, ODS, ODP, OLE, ZIP, TEXT)
ALLOWED_HINT = "PDF, рисунки (PNG, JPEG, GIF, WebP), документы Word, Excel, PowerPoint, OpenDocument, текст, ZIP"

_OOXML = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
_ODF = {"application/vnd.oasis.opendocument.text": ODT, "application/vnd.oasis.opendocument.spreadsheet": ODS,
        "application/vnd.oasis.opendocument.presentation": ODP}
_MARKUP = re.compile(rb"^\s*(<!doctype|<html|<svg|<\?xml|<script|<head|<body|<iframe)", re.I)


def sniff(data):
    """The Kind of a file read from its content, or None (not a type people may attach)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    return _text_kind(data)


def _zip_kind(data):
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                return _ODF.get(archive.read("mimetype")[:100].decode("ascii", "replace").strip(), ZIP)
            if "[Content_Types].xml" in names:
                for prefix, kind in _OOXML.items():
                    if any(name.startswith(prefix) for name in names):
                        return kind
            return ZIP
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None


def _text_kind(data):
    if b"\x00" in data or _MARKUP.match(data[:512]):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return TEXT


def safe_name(filename, kind):
    """The name a file is shown and downloaded under: the last part of what the browser sent, without
    control characters, path separators or leading dots, at most MAX_NAME characters, ending with an
    extension of its real type."""
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if f".{extension.lower()}" not in kind.extensions:
        stem = name  # the name's extension says another type: the real one is added
        extension = kind.extensions[0][1:]
    stem = (stem or "файл")[:MAX_NAME - len(extension) - 1].rstrip(" .")
    return f"{stem or 'файл'}.{extension.lower()}"


class LocalStorage:
    """The bytes of every file in one folder, each under a random key of two levels («ab/<32 hex>»)."""

    def __init__(self, root):
        self.root = Path(root)

    def _path(self, key):
        if not re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{32}", key or ""):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def put(self, data):
        key = secrets.token_hex(16)
        key = f"{key[:2]}/{key}"
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        return key

    def get(self, key):
        return self._path(key).read_bytes()

    def delete(self, key):
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass


def storage():
    """The configured storage (FILES_DIR, by default instance/files)."""
    return LocalStorage(current_app.config.get("FILES_DIR") or Path(current_app.instance_path) / "files")


def check(filename, data, max_bytes=MAX_FILE_BYTES):
    """The Kind of an upload that may be kept, or a DomainError saying why not."""
    label = safe_name(filename, TEXT).rsplit(".", 1)[0] if filename else "Файл"
    if not data:
        raise DomainError(f"«{label}»: файл пустой или не выбран.")
    if len(data) > max_bytes:
        raise DomainError(f"«{label}»: файл больше {megabytes(max_bytes)}. Уменьшите его и приложите снова.")
    kind = sniff(data)
    if kind is None:
        raise DomainError(f"«{label}»: такой файл приложить нельзя. Можно: {ALLOWED_HINT}.")
    return kind


def store(org_id, owner_id, filename, data, max_bytes=MAX_FILE_BYTES):
    """Keep an uploaded file; its row is flushed (the request's unit of work commits it). If the unit is
    rolled back, the bytes stay in the storage without a row: `flask files prune` removes them."""
    kind = check(filename, data, max_bytes)
    key = storage().put(data)
    stored = StoredFile(org_id=org_id, owner_id=owner_id, name=safe_name(filename, kind),
                        content_type=kind.content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                        storage_key=key)
    db.session.add(stored)
    db.session.flush()
    return stored


def size_label(size):
    """A file's size as people read it: «512 Б», «12 КБ», «1,5 МБ»."""
    if size < 1024:
        return f"{size} Б"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} КБ"
    return f"{size / 1024 / 1024:.1f} МБ".replace(".", ",")


def read(stored):
    """The file's bytes; a DomainError if the storage lost them."""
    try:
        return storage().get(stored.storage_key)
    except (FileNotFoundError, ValueError):
        raise DomainError(f"Файл «{stored.name}» не найден в хранилище. Сообщите администратору.") from None


def discard(stored):
    """Delete the row; its bytes stay until `flask files prune` (so a unit rolled back after it keeps a
    file with its bytes)."""
    db.session.delete(stored)
    db.session.flush()


PRUNE_AFTER_SECONDS = 3600  # bytes of an upload whose request has not committed yet are younger than this


def prune(now_timestamp):
    """Remove from the storage the bytes no row names (a rolled-back upload, a discarded file) that are older
    than PRUNE_AFTER_SECONDS; the keys removed."""
    root = storage().root
    if not root.exists():
        return []
    with scope.installation("files: the bytes of every organization are compared with every row"):
        known = set(db.session.scalars(select(StoredFile.storage_key)))
    removed = []
    for path in sorted(root.glob("??/*")):
        key = f"{path.parent.name}/{path.name}"
        if key in known or not path.is_file() or path.stat().st_mtime > now_timestamp - PRUNE_AFTER_SECONDS:
            continue
        storage().delete(key)
        removed.append(key)
    return removed
