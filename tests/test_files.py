"""Stored files (services/files.py, issue 16.6): the type read from the content, never from the name; safe names;
the bytes outside the database under random keys; the download always an attachment; orphans pruned. And the
notification queue's writing side (services/notify.py)."""
import io
import os
import zipfile
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from admin_views.files import download
from models import Notification, StoredFile, User, db
from services import clock, files, notify
from services.errors import DomainError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_the_type_is_read_from_the_content():
    assert files.sniff(b"%PDF-1.7 ...") is files.PDF
    assert files.sniff(PNG) is files.PNG
    assert files.sniff(docx()) is files.DOCX
    assert files.sniff("Параграф 12, вопросы 1–3".encode()) is files.TEXT
    for refused in (b"<!DOCTYPE html><script>alert(1)</script>", b"  <svg onload=alert(1)>", b"MZ\x90\x00\x03",
                    b"\x00\x01binary", "текст в cp1251".encode("cp1251")):
        assert files.sniff(refused) is None, refused


@pytest.mark.parametrize("sent, kind, shown", [
    ("../../etc/passwd", files.TEXT, "passwd.txt"),
    ("C:\\Users\\учитель\\Домашнее задание.pdf", files.PDF, "Домашнее задание.pdf"),
    ("report.html", files.TEXT, "report.html.txt"),  # a text called .html is downloaded as text
    ("фото.JPG", files.JPEG, "фото.jpg"),
    ("..", files.PNG, "файл.png"),
    ("a\x00b\u202e.pdf", files.PDF, "ab.pdf"),
    ("x" * 300 + ".docx", files.DOCX, "x" * 115 + ".docx"),
])
def test_names_are_safe(sent, kind, shown):
    assert files.safe_name(sent, kind) == shown


def test_a_file_is_kept_outside_the_database_and_downloaded_as_an_attachment(world, app, tmp_path):
    app.config["FILES_DIR"] = str(tmp_path / "files")
    try:
        stored = files.store(world.a.org.id, world.a.teacher.user_id, "../Задание.pdf", b"%PDF-1.4 test")
        assert stored.name == "Задание.pdf" and stored.content_type == "application/pdf" and stored.size == 13
        assert list((tmp_path / "files").glob("??/*"))[0].read_bytes() == b"%PDF-1.4 test"
        with app.test_request_context():
            response = download(stored)
            response.direct_passthrough = False
            assert response.get_data() == b"%PDF-1.4 test"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
    finally:
        app.config.pop("FILES_DIR")


@pytest.mark.parametrize("data, message", [
    (b"", "пустой"),
    (b"<html><body>hi</body></html>", "такой файл приложить нельзя"),
    (b"%PDF-" + b"0" * (files.MAX_FILE_BYTES), "больше 5 МБ"),
])
def test_a_refused_file_keeps_nothing(world, app, tmp_path, data, message):
    app.config["FILES_DIR"] = str(tmp_path / "files")
    try:
        with pytest.raises(DomainError) as refused:
            files.store(world.a.org.id, None, "page.pdf", data)
        assert message in str(refused.value)
        assert not (tmp_path / "files").exists() or not list((tmp_path / "files").glob("??/*"))
        assert db.session.scalar(select(func.count(StoredFile.id))) == 0
    finally:
        app.config.pop("FILES_DIR")


def test_prune_removes_only_old_bytes_no_row_names(world, app, tmp_path):
    app.config["FILES_DIR"] = str(tmp_path / "files")
    try:
        kept = files.store(world.a.org.id, None, "a.pdf", b"%PDF-kept")
        orphan = files.storage().put(b"%PDF-orphan")  # a rolled-back upload's bytes
        young = files.storage().put(b"%PDF-young")
        old = clock.timestamp() - files.PRUNE_AFTER_SECONDS - 10
        for key in (kept.storage_key, orphan):
            path = tmp_path / "files" / key
            path.touch()

            os.utime(path, (old, old))
        assert files.prune(clock.timestamp()) == [orphan]
        assert files.read(kept) == b"%PDF-kept" and files.storage().get(young) == b"%PDF-young"
    finally:
        app.config.pop("FILES_DIR")


def test_the_storage_refuses_a_key_that_is_not_its_own(tmp_path):
    storage = files.LocalStorage(tmp_path)
    for key in ("../x", "ab/../../etc/passwd", "/etc/passwd", "ab/" + "g" * 32):
        with pytest.raises(ValueError):
            storage.get(key)


def test_a_notification_is_queued_for_a_user_with_an_address(world):
    a = world.a
    a.parent.email = "roditel@example.ru"
    db.session.flush()
    with clock.frozen(datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)):
        note = notify.enqueue(a.parent.user_id, "message", "Новое   сообщение", "Текст", org_id=a.org.id)
    assert (note.address, note.subject, note.sent_at, note.attempts) == ("roditel@example.ru", "Новое сообщение",
                                                                          None, 0)
    assert notify.enqueue(a.student.user_id, "message", "Тема", "Текст") is None  # no address of his own
    db.session.get(User, a.parent.user_id).is_blocked = True
    assert notify.enqueue(a.parent.user_id, "message", "Тема", "Текст") is None
    assert db.session.scalar(select(func.count(Notification.id))) == 1
    with pytest.raises(ValueError):
        notify.enqueue(a.parent.user_id, "spam", "Тема", "Текст")
