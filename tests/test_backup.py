"""`flask backup` / `flask restore`: the restore drill on SQLite, and on PostgreSQL when the suite runs there
(DATABASE_URL=postgresql…): back up a school, lose it, restore it, and find the same rows and a working app."""
import hashlib
import os
import shutil
import sqlite3
import threading
import uuid
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg
import pytest
from flask_migrate import stamp, upgrade
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from app import create_app
from models import LoginEvent, db
from services import backup, clock
from services.demo.school import create_demo
from tests.conftest import TEST_TODAY, Browser
from alembic.script import ScriptDirectory
from flask import current_app

# Real commits: backups and restores: other connections, pg_dump/pg_restore, the engine disposed.
pytestmark = pytest.mark.real_commits

PASSWORD = "demo-pass-2026"
DIGESTED = ("mark", "student", "audit_log")
ON_POSTGRESQL = (os.environ.get("DATABASE_URL") or "").startswith("postgresql")


def new_app(app, url):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "test-secret",
                       "PASSWORD_HASH_PARAMS": app.config["PASSWORD_HASH_PARAMS"]})


@contextmanager
def serving(app):
    """The app's context for the block; its connections closed after (the database may be dropped)."""
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def school(app, url):
    """An installation on `url` with the demo school (marks, audit log, accounts); its admin's login."""
    fresh = new_app(app, url)
    with serving(fresh):
        upgrade()
        admin_login = create_demo(password=PASSWORD)[0].login
        db.session.commit()  # as the `demo-data` command's unit of work does
    return fresh, admin_login


def flask(app, *args, answer=None):
    result = app.test_cli_runner().invoke(args=list(map(str, args)), input=answer)
    db.session.remove()
    return result


def snapshot():
    """Row counts of every table and a digest of the contents of a few."""
    with db.engine.connect() as conn:
        counts = {t.name: conn.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
        digests = {name: digest(conn, db.metadata.tables[name]) for name in DIGESTED}
    return counts, digests


def digest(conn, table):
    rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def revision():
    with db.engine.connect() as conn:
        return conn.scalar(text("SELECT version_num FROM alembic_version"))


def head_revision():
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def assert_serves(app, login):
    browser = Browser(app)
    assert browser.get("/login").status_code == 200
    assert browser.login(login, PASSWORD).status_code == 302


def assert_refused(result, message):
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback


def delete_rows():
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def delete_file():
    db.engine.dispose()
    Path(db.engine.url.database).unlink()


@pytest.fixture(scope="module")
def demo_file(app, tmp_path_factory):
    """The demo school on SQLite, built once; each test works on a copy of the file."""
    path = tmp_path_factory.mktemp("demo") / "journal.db"
    with clock.frozen(TEST_TODAY):
        _, admin_login = school(app, f"sqlite:///{path}")
    return path, admin_login


@pytest.fixture
def sqlite_school(app, demo_file, tmp_path):
    path, admin_login = demo_file
    (tmp_path / "db").mkdir()
    shutil.copyfile(path, tmp_path / "db" / "journal.db")
    fresh = new_app(app, f"sqlite:///{tmp_path / 'db' / 'journal.db'}")
    with serving(fresh):
        yield fresh, admin_login


@pytest.mark.parametrize("lose", [delete_rows, delete_file])
def test_restore_drill_on_sqlite(sqlite_school, tmp_path, lose):
    fresh, admin_login = sqlite_school
    before = snapshot()
    assert min(before[0][name] for name in DIGESTED) > 0

    result = flask(fresh, "backup", tmp_path)
    assert result.exit_code == 0, result.output
    copy = tmp_path / "journal-2026-11-20-0900.sqlite3"  # the frozen clock's instant, UTC
    assert f"Резервная копия записана и проверена: {copy}" in result.output

    lose()
    result = flask(fresh, "restore", copy, "--yes")
    assert result.exit_code == 0, result.output
    assert "База данных восстановлена" in result.output

    assert snapshot() == before
    assert_serves(fresh, admin_login)


def test_a_backup_taken_while_another_thread_writes_is_consistent(sqlite_school, tmp_path):
    fresh, _ = sqlite_school
    folder = tmp_path / "copies"
    folder.mkdir()
    writing, stop = threading.Event(), threading.Event()

    def write():  # a login's two events per transaction, so a torn copy would hold an odd number
        with serving(fresh):
            for n in range(3000):
                if stop.is_set():
                    break
                db.session.add_all([LoginEvent(login=f"load{n}", success=False),
                                    LoginEvent(login=f"load{n}", success=True)])
                db.session.commit()
                writing.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert writing.wait(30)
        for _ in range(5):
            clock.advance(minutes=1)
            result = flask(fresh, "backup", folder)
            assert result.exit_code == 0, result.output
    finally:
        stop.set()
        writer.join()

    copies = sorted(folder.iterdir())
    assert len(copies) == 5
    counts = []
    for copy in copies:
        with closing(sqlite3.connect(copy)) as con:
            assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            counts.append(con.execute("SELECT count(*) FROM login_event WHERE login LIKE 'load%'").fetchone()[0])
    assert all(count % 2 == 0 for count in counts), counts
    assert 0 < counts[0] < counts[-1], counts  # the writer wrote between the copies


def test_a_backup_gives_up_on_a_database_locked_too_long(sqlite_school, tmp_path, monkeypatch):
    fresh, _ = sqlite_school
    monkeypatch.setattr(backup, "LOCK_WAIT", 0)  # a minute is too long for a test
    monkeypatch.setattr(backup, "BUSY_RETRIES", 2)
    db.engine.dispose()  # the app's pooled connections let go of the file
    with closing(sqlite3.connect(tmp_path / "db" / "journal.db", isolation_level=None)) as other:
        # In WAL mode an ordinary writer does not stop a reader (nor a backup): only a connection in
        # exclusive locking mode with a write under way does.
        other.execute("PRAGMA locking_mode=EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        other.execute("CREATE TABLE holding_the_lock (x)")
        result = flask(fresh, "backup", tmp_path / "copy.sqlite3")
        other.execute("ROLLBACK")

    assert_refused(result, "База данных SQLite занята дольше минуты")
    assert not list(tmp_path.glob("*copy.sqlite3*"))


def test_an_older_backup_comes_up_on_the_current_schema(sqlite_school, tmp_path):
    fresh, _ = sqlite_school
    old = new_app(fresh, f"sqlite:///{tmp_path / 'old.db'}")
    with serving(old):
        stamp(revision="base")  # the oldest schema there is: before the first migration
        assert revision() is None
        assert flask(old, "backup", tmp_path / "old.sqlite3").exit_code == 0

    result = flask(fresh, "restore", tmp_path / "old.sqlite3", "--yes")

    assert result.exit_code == 0, result.output
    counts, _ = snapshot()
    assert set(counts.values()) == {0}  # every table is there again, empty: the old copy's contents
    assert revision() == head_revision()


def test_restore_refuses_a_file_of_the_wrong_kind(sqlite_school, tmp_path):
    fresh, _ = sqlite_school
    before = snapshot()
    dump = tmp_path / "journal.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00\x04\x08\x01\x01")
    notes = tmp_path / "notes.txt"
    notes.write_text("не копия", encoding="utf-8")

    assert_refused(flask(fresh, "restore", dump, "--yes"),
                   "резервная копия базы PostgreSQL, а приложение работает с базой SQLite")
    assert_refused(flask(fresh, "restore", notes, "--yes"), "не резервная копия базы SQLite")
    assert_refused(flask(fresh, "restore", tmp_path / "absent.sqlite3", "--yes"), "Файла")
    assert snapshot() == before


def test_restore_asks_first_and_refuses_without_a_yes(sqlite_school, tmp_path):
    fresh, _ = sqlite_school
    copy = tmp_path / "copy.sqlite3"
    assert flask(fresh, "backup", copy).exit_code == 0
    delete_rows()

    for answer in (None, "n\n"):  # no terminal (cron) or a «no»
        result = flask(fresh, "restore", copy, answer=answer)
        assert_refused(result, "Восстановление отменено")
        assert "будут заменены данными из копии" in result.output
        assert snapshot()[0]["mark"] == 0

    assert flask(fresh, "restore", copy, answer="y\n").exit_code == 0
    assert snapshot()[0]["mark"] > 0


def test_backup_names_rotates_and_leaves_no_half_files(sqlite_school, tmp_path):
    fresh, _ = sqlite_school
    folder = tmp_path / "copies"
    folder.mkdir()
    foreign = [folder / "notes.txt", folder / "journal-before-upgrade.sqlite3", folder / "journal-2020-01-01-0000.dump"]
    for path in foreign:
        path.write_bytes(b"")
    for _ in range(3):
        clock.advance(hours=6)
        result = flask(fresh, "backup", folder, "--keep", 2)
        assert result.exit_code == 0, result.output

    assert "Удалена старая копия: " + str(folder / "journal-2026-11-20-1500.sqlite3") in result.output
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [p.name for p in foreign] + ["journal-2026-11-21-0300.sqlite3", "journal-2026-11-20-2100.sqlite3"])
    assert oct((folder / "journal-2026-11-21-0300.sqlite3").stat().st_mode & 0o777) == "0o600"  # personal data

    assert_refused(flask(fresh, "backup", folder / "one.sqlite3", "--keep", 2),
                   "--keep задаётся только вместе с каталогом")
    assert_refused(flask(fresh, "backup", tmp_path / "absent" / "x.sqlite3"), "Каталога")
    assert_refused(flask(fresh, "backup", tmp_path / "db" / "journal.db"), "сам файл рабочей базы")


def test_a_copy_that_fails_its_check_is_not_kept(sqlite_school, tmp_path, monkeypatch):
    fresh, _ = sqlite_school
    (tmp_path / "copy.sqlite3").write_bytes(b"the previous copy")

    def torn_copy(source, target):
        with open(source, "rb") as src, open(target, "wb") as dst:
            dst.write(src.read()[:50_000])
    monkeypatch.setattr(backup, "_sqlite_copy", torn_copy)

    result = flask(fresh, "backup", tmp_path / "copy.sqlite3")

    assert_refused(result, f"Копия {tmp_path / 'copy.sqlite3'} не записана")
    assert (tmp_path / "copy.sqlite3").read_bytes() == b"the previous copy"
    assert not list(tmp_path.glob(".copy.sqlite3.*"))


def test_the_postgresql_password_is_never_on_a_command_line():
    store = backup.PostgreSQLStore(make_url("postgresql+psycopg://journal:s3cret@db.local:5433/school?sslmode=require"))
    assert store.conninfo == "postgresql://journal@db.local:5433/school?sslmode=require"
    assert store.env["PGPASSWORD"] == "s3cret"


# -- PostgreSQL: skipped unless the suite runs there --------------------------------------------------------------

@pytest.fixture
def pg_urls():
    """Two throwaway databases next to the test database, dropped afterwards."""
    if not ON_POSTGRESQL:
        pytest.skip("the PostgreSQL drill runs when DATABASE_URL is postgresql")
    server = make_url(os.environ["DATABASE_URL"])
    names = [f"journal_backup_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    admin = server.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield [server.set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_restore_drill_on_postgresql(app, pg_urls, tmp_path):
    original, admin_login = school(app, pg_urls[0])
    with serving(original):
        before = snapshot()
        assert min(before[0][name] for name in DIGESTED) > 0
        result = flask(original, "backup", tmp_path)
        assert result.exit_code == 0, result.output
    copy = tmp_path / "journal-2026-11-20-0900.dump"

    restored = new_app(app, pg_urls[1])
    with serving(restored):
        result = flask(restored, "restore", copy, "--yes")
        assert result.exit_code == 0, result.output
        assert snapshot() == before
        assert revision() == head_revision()
        assert_serves(restored, admin_login)
        after_login = snapshot()

        # A dump that breaks off half-way is refused and changes nothing: the restore is one transaction.
        torn = tmp_path / "torn.dump"
        torn.write_bytes(copy.read_bytes()[: copy.stat().st_size * 2 // 3])
        assert_refused(flask(restored, "restore", torn, "--yes"), "pg_restore")
        assert snapshot() == after_login

        sqlite_copy = tmp_path / "journal.sqlite3"
        with closing(sqlite3.connect(sqlite_copy)) as con:
            con.execute("CREATE TABLE t (id INTEGER)")
        assert_refused(flask(restored, "restore", sqlite_copy, "--yes"),
                       "резервная копия базы SQLite, а приложение работает с базой PostgreSQL")


def test_a_folder_named_without_an_extension_is_made_on_first_use(app, tmp_path):
    """A cron line's folder (/var/backups/journal/daily) need not exist before the first night."""
    fresh, _ = school(app, f"sqlite:///{tmp_path / 'live.db'}")
    folder = tmp_path / "backups" / "journal" / "daily"
    with serving(fresh):
        result = flask(fresh, "backup", folder, "--keep", 30)
    assert result.exit_code == 0, result.output
    assert folder.is_dir() and len(list(folder.glob("journal-*.sqlite3"))) == 1
    assert folder.stat().st_mode & 0o077 == 0
