"""Backups that are correct while the application runs, and the restore of one
(`flask backup PATH`, `flask restore PATH`).

SQLite is copied by its online backup API (a plain copy of a file being written can be torn) and
the copy checked by `PRAGMA integrity_check`; PostgreSQL by `pg_dump -Fc` (one snapshot) and the
archive checked by `pg_restore --list`. A copy is written to a temporary file beside the target and
renamed only once checked: a failed or interrupted backup never leaves a half file under a backup's
name. A restore replaces the whole database at once (SQLite: the backup API into the live file;
PostgreSQL: one transaction) and then upgrades the schema to the current revision, so an older
backup comes up on the current code.
"""
import os
import re
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from flask import current_app

from models import db
from services import clock
from services.errors import os_reason

DEFAULT_NAME = re.compile(r"journal-\d{4}-\d{2}-\d{2}-\d{4}")
LOCK_WAIT = 5  # seconds; SQLite's own default
BUSY_RETRIES = 12  # × (LOCK_WAIT + 0.25 s): about a minute


class BackupError(Exception):
    """A backup or a restore could not be done; the message is Russian and says why."""


@dataclass
class Backup:
    path: Path
    size: int
    removed: list[Path]


class SQLiteStore:
    title = "SQLite"
    suffix = ".sqlite3"
    magic = b"SQLite format 3\x00"

    def __init__(self, url):
        if url.database in (None, "", ":memory:"):
            raise BackupError("База SQLite находится в памяти: копировать нечего.")
        self.live_file = Path(url.database)

    def dump(self, target):
        if not self.live_file.is_file():
            raise BackupError(f"Файла базы данных {self.live_file} нет.")
        _sqlite_copy(self.live_file, target)

    def verify(self, path):
        try:
            with closing(sqlite3.connect(path)) as con:
                problems = [row[0] for row in con.execute("PRAGMA integrity_check")]
        except sqlite3.Error as exc:
            raise BackupError(f"файл базы SQLite повреждён ({exc}).") from None
        if problems != ["ok"]:
            raise BackupError(f"проверка целостности SQLite не пройдена ({'; '.join(problems[:3])}).")

    def load(self, source):
        if not self.live_file.parent.is_dir():
            raise BackupError(f"Каталога базы данных {self.live_file.parent} нет.")
        _sqlite_copy(source, self.live_file)


class PostgreSQLStore:
    title = "PostgreSQL"
    suffix = ".dump"
    magic = b"PGDMP"
    live_file = None

    def __init__(self, url):
        # The password goes to the client programs through the environment, never on their command line
        # (`_replace`, not `set`: `set(password=None)` keeps the password).
        self.conninfo = url._replace(drivername="postgresql", password=None).render_as_string(hide_password=False)
        self.env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}

    def dump(self, target):
        self._run("pg_dump", "--format=custom", f"--file={target}", f"--dbname={self.conninfo}")

    def verify(self, path):
        self._run("pg_restore", "--list", str(path))

    def load(self, source):
        # The archive becomes an SQL script first: were it piped into psql, a dump that breaks off
        # half-way would end psql's input early and psql would commit what it had got.
        # Dropping the schema (not `--clean`) also removes tables newer than the backup.
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "restore.sql"
            self._run("pg_restore", "--no-owner", "--no-privileges", f"--file={script}", str(source))
            self._run("psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
                      "--command=DROP SCHEMA public CASCADE", "--command=CREATE SCHEMA public",
                      f"--file={script}", f"--dbname={self.conninfo}")

    def _run(self, program, *args):
        try:
            done = subprocess.run([program, *args], env=self.env, capture_output=True, text=True)
        except FileNotFoundError:
            raise BackupError(f"Программа {program} не найдена: установите клиент PostgreSQL "
                              "(пакет postgresql-client) той же версии, что и сервер.") from None
        if done.returncode != 0:
            detail = " ".join(done.stderr.strip().splitlines()[-3:])
            raise BackupError(f"{program} завершился с ошибкой: {detail}")


STORES = {"sqlite": SQLiteStore, "postgresql": PostgreSQLStore}


def backup(path, keep=None):
    """Copy the application's database to `path` (a file, or a directory for a default name — made if
    it does not exist and its name has no extension);
    with `keep`, leave only that many newest default-named copies in the directory."""
    store = _store()
    path = Path(path)
    if not path.exists() and not path.suffix:
        # a folder named without a file's extension (/var/backups/journal/daily): made on first use, the
        # owner's only, as a cron line's first night would need
        try:
            path.mkdir(mode=0o700, parents=True)
        except OSError as exc:
            raise _file_error(exc) from None
    if keep and not path.is_dir():
        raise BackupError("Ключ --keep задаётся только вместе с каталогом.")
    target = path / default_name(store) if path.is_dir() else path
    _refuse_live_file(store, target)
    try:
        _write_checked(store, target)
        removed = _rotate(target.parent, store, keep) if keep else []
        return Backup(target, target.stat().st_size, removed)
    except OSError as exc:
        raise _file_error(exc) from None


def restore(path, confirm):
    """Replace the application's database with the copy in `path`, then upgrade its schema.
    `confirm(question)` is asked once the file is checked; False cancels."""
    store = _store()
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Файла {path} нет.")
    _refuse_live_file(store, path)
    try:
        _check_kind(store, path)
        _verify(store, path, f"Файл {path} не годится для восстановления")
        if not confirm(f"Все данные базы {db.engine.url.render_as_string(hide_password=True)} будут "
                       f"заменены данными из копии {path}. Продолжить?"):
            raise BackupError("Восстановление отменено: подтвердите его ответом «y» или ключом --yes.")
        db.session.remove()
        db.engine.dispose()  # no connection of ours may hold the database while it is replaced
        store.load(path)
    except OSError as exc:
        raise _file_error(exc) from None
    db.engine.dispose()
    _upgrade_schema()


def default_name(store):
    """`journal-2026-11-20-1530.sqlite3`: UTC, the same for every organization of an installation."""
    return clock.utcnow().strftime("journal-%Y-%m-%d-%H%M") + store.suffix


def _store():
    url = db.engine.url
    kind = STORES.get(url.get_backend_name())
    if kind is None:
        raise BackupError(f"Резервное копирование базы {url.get_backend_name()} не поддерживается.")
    return kind(url)


def _refuse_live_file(store, path):
    if store.live_file is not None and path.resolve() == store.live_file.resolve():
        raise BackupError(f"{path} — это сам файл рабочей базы данных; укажите другой файл или каталог.")


def _write_checked(store, target):
    if not target.parent.is_dir():
        raise BackupError(f"Каталога {target.parent} нет.")
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    temp = Path(name)
    try:
        store.dump(temp)
        _verify(store, temp, f"Копия {target} не записана")
        _fsync(temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    _fsync(target.parent)  # the rename itself survives a power cut


def _verify(store, path, failure):
    try:
        store.verify(path)
    except BackupError as exc:
        raise BackupError(f"{failure}: {exc}") from None


def _fsync(path):
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _rotate(folder, store, keep):
    """Remove all but the `keep` newest default-named copies of this kind (the name sorts by time)."""
    copies = sorted(p for p in folder.iterdir() if p.suffix == store.suffix and DEFAULT_NAME.fullmatch(p.stem))
    old = copies[:-keep]
    for copy in old:
        copy.unlink()
    return old


def _check_kind(store, path):
    with open(path, "rb") as file:
        head = file.read(len(SQLiteStore.magic))
    if head.startswith(store.magic):
        return
    other = next((kind for kind in STORES.values() if head.startswith(kind.magic)), None)
    if other is not None:
        raise BackupError(f"Файл {path} — резервная копия базы {other.title}, а приложение работает с базой "
                          f"{store.title}: восстановить её сюда нельзя.")
    raise BackupError(f"Файл {path} — не резервная копия базы {store.title} "
                      f"(ожидается файл {store.suffix}, записанный командой flask backup).")


def _sqlite_copy(source, target):
    """The online backup API copies one consistent state of `source` even while others write it.
    A step finding the database locked waits LOCK_WAIT seconds (SQLite's busy handler slips in
    between a writer's commits), then the API sleeps 0.25 s and tries again, forever;
    `progress` raising after BUSY_RETRIES of those (about a minute) stops it."""
    retries = iter(range(BUSY_RETRIES))

    def progress(status, remaining, total):
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and next(retries, None) is None:
            raise BackupError("База данных SQLite занята дольше минуты; повторите позже.")

    try:
        with closing(sqlite3.connect(source, timeout=LOCK_WAIT)) as src, \
                closing(sqlite3.connect(target, timeout=LOCK_WAIT)) as dst:
            src.backup(dst, progress=progress)
    except sqlite3.Error as exc:
        raise BackupError(f"Не удалось скопировать базу SQLite: {exc}.") from None


def _upgrade_schema():
    """What `flask db upgrade` does: an older backup comes up on the current schema."""
    config = current_app.extensions["migrate"].migrate.get_config()
    try:
        command.upgrade(config, "head")
    except Exception as exc:  # noqa: BLE001 — any failure of a migration is reported, not shown as a traceback
        raise BackupError("Данные восстановлены, но обновить схему базы до текущей версии не удалось: "
                          f"{exc}. Исправьте причину и выполните flask db upgrade.") from None


def _file_error(exc):
    return BackupError(f"Ошибка файла {exc.filename or ''}: {os_reason(exc)}.")
