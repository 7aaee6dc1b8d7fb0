"""A database that goes away is survivable (issue 12.6): the Russian 503 page without touching the database,
one log line per burst of failures, /healthz answering in time, recovery without a restart.

The fault test runs its own throwaway PostgreSQL server (initdb into a temporary directory, a free port on
127.0.0.1), stops it and freezes it (SIGSTOP) under a live application. It is skipped where the server's
programs are missing. The other tests run on any database, with the failures simulated.
"""
import logging
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import click
import psycopg
import pytest
from flask import cli as flask_cli
from flask_migrate import upgrade
from sqlalchemy import event, exc as sa_exc, text

import app as app_module
from app import create_app
from models import db
from services import database
from tests.conftest import Browser
from tests.factories import build_world
from tests.querycount import count_queries
from tests.helpers import real_clock_environ

# Real commits: a PostgreSQL server of its own, stopped and frozen.
pytestmark = pytest.mark.real_commits

TITLE = "Сервис временно недоступен"


def unavailable_page(resp):
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503, html[:500]
    assert '<html lang="ru">' in html and TITLE in html and "Код ошибки: 503" in html
    assert "Traceback" not in html
    assert resp.headers["Cache-Control"] == "no-store"
    return html


@contextmanager
def warnings_logged():
    """The records of WARNING and above logged in the block, by any logger. Not pytest's caplog: running
    the migrations configures logging anew (alembic.ini) and removes its handler."""
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logging.getLogger().addHandler(handler)
    try:
        yield records
    finally:
        logging.getLogger().removeHandler(handler)


def timed(call, *args):
    began = time.monotonic()
    result = call(*args)
    return result, time.monotonic() - began


def link_error(message="connection refused"):
    return sa_exc.OperationalError("SELECT users.id FROM users", {}, psycopg.OperationalError(message))


@pytest.fixture
def outage_log(app, monkeypatch):
    """The application's outage log as if nothing had failed before (the suite shares one application)."""
    watch = app.extensions["database"]
    monkeypatch.setattr(watch, "outage", database.OutageLog(app.logger, watch.outage.interval))


@pytest.fixture
def checkouts(app):
    """How many connections the pool hands out meanwhile (a statement needs one)."""
    taken = []
    listener = lambda *args: taken.append(1)  # noqa: E731
    event.listen(db.engine, "checkout", listener)
    yield taken
    event.remove(db.engine, "checkout", listener)


# -- the 503 page, on any database ---------------------------------------------------------------------------

def test_a_failing_user_loader_gets_the_503_page_without_touching_the_database(world, browser, monkeypatch,
                                                                               checkouts, outage_log):
    b = browser()
    b.login("a.teacher")
    assert b.get("/").status_code == 200

    def down(*args, **kwargs):
        raise link_error()

    checkouts.clear()
    with monkeypatch.context() as patch, warnings_logged() as lines, count_queries() as statements:
        patch.setattr(db.session, "get", down)  # what the user loader calls
        for _ in range(5):
            html = unavailable_page(b.get("/"))
    assert statements == [] and checkouts == []
    assert "Электронный журнал не может связаться с базой данных" in html
    assert "a.teacher" not in html and "Выйти" not in html  # no user, no menu
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert "database failing: OperationalError: connection refused" in lines[0].getMessage()
    assert lines[0].exc_info is None  # a line, not a traceback
    assert b.get("/").status_code == 200  # the next request, the database back


@pytest.mark.parametrize("error", [
    link_error(),
    psycopg.OperationalError("server closed the connection unexpectedly"),
    sa_exc.InterfaceError("SELECT 1", {}, psycopg.InterfaceError("connection already closed")),
    sa_exc.DBAPIError("SELECT 1", {}, Exception("lost"), connection_invalidated=True),
    sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
    sa_exc.OperationalError("UPDATE x", {}, sqlite3.OperationalError("disk I/O error")),
], ids=["sqlalchemy", "psycopg", "interface", "invalidated", "pool", "sqlite-disk"])
def test_database_failures_in_a_page_or_before_it_get_the_503_page(world, browser, app, monkeypatch, error):
    b = browser()
    b.login("a.admin")

    def broken(*args, **kwargs):
        raise error

    with monkeypatch.context() as patch:
        patch.setattr("services.context.Actor.for_user", broken)  # before_request
        unavailable_page(b.get("/"))
    monkeypatch.setitem(app.view_functions, "auth.change_password", broken)
    unavailable_page(b.get("/change-password"))


@pytest.mark.parametrize("error", [
    sa_exc.ProgrammingError("SELECT nonsense", {}, psycopg.ProgrammingError("syntax error")),
    sa_exc.OperationalError("SELECT * FROM x", {}, sqlite3.OperationalError("no such table: x")),
], ids=["postgresql", "sqlite"])
def test_an_error_of_the_request_is_still_a_500(world, browser, app, monkeypatch, error):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setitem(app.view_functions, "auth.change_password", broken)
    b = browser()
    b.login("a.admin")
    resp = b.get("/change-password")
    assert resp.status_code == 500 and "Внутренняя ошибка" in resp.get_data(as_text=True)


def test_a_save_that_meets_the_failure_gets_the_503_page_not_a_flash(world, browser, monkeypatch, outage_log):
    b = browser()
    b.login("a.admin")

    def down(*args, **kwargs):
        raise link_error("server closed the connection unexpectedly")

    monkeypatch.setattr(db.session, "commit", down)
    with warnings_logged() as lines:
        unavailable_page(b.post("/rooms/new/", {"name": "101"}))
    assert len(lines) == 1, [r.getMessage() for r in lines]


# -- the log: one line per burst -----------------------------------------------------------------------------

def test_the_outage_log_writes_one_line_per_burst(monkeypatch):
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(database, "time", SimpleNamespace(monotonic=lambda: clock.now))
    log = database.OutageLog(logging.getLogger("outage-test"), interval=60)
    with warnings_logged() as lines:
        log.recovered()  # no outage: nothing to say
        for _ in range(100):
            log.failed(link_error("connection refused\n\tIs the server running?"))
            clock.now += 0.5  # 100 requests in 50 s
        clock.now += 10
        log.failed(link_error("timeout expired"))
        log.recovered()
        log.recovered()
        log.failed(link_error("canceling statement due to statement timeout"))
        clock.now += 61  # a minute without failures ends a burst even with nothing telling the recovery
        log.failed(link_error("database is locked"))
    assert [r.getMessage() for r in lines] == [
        "database failing: OperationalError: connection refused",
        "database still failing after 60 s: 100 failures since the last line, the last: "
        "OperationalError: timeout expired",
        "database answers again after 60 s (0 failures since the last line)",
        "database failing: OperationalError: canceling statement due to statement timeout",
        "database failing: OperationalError: database is locked",
    ]


# -- /healthz ------------------------------------------------------------------------------------------------

def test_healthz_answers_503_in_time_when_the_check_hangs(app, browser, monkeypatch):
    health = app.extensions["database"].health
    release, started = threading.Event(), []

    def hanging():
        started.append(1)
        release.wait(10)

    b = browser()
    with monkeypatch.context() as patch:
        patch.setattr(health, "timeout", 0.2)
        patch.setattr(health, "_select_one", hanging)
        try:
            for _ in range(3):
                resp, seconds = timed(b.get, "/healthz")
                assert resp.status_code == 503 and seconds < 1, seconds
                assert resp.get_json() == {"status": "error", "database": "недоступна"}
            assert started == [1]  # one check at a time: the hanging one is awaited again, not a thread per call
        finally:
            release.set()
    assert b.get("/healthz").status_code == 200


# -- settings ------------------------------------------------------------------------------------------------

def test_postgresql_connections_get_timeouts_and_keepalives_sqlite_nothing():
    config = {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}, **database.SETTINGS}
    sqlite = database.engine_options({**config, "SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"})
    assert sqlite == {"pool_pre_ping": True}
    postgres = {**config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db"}
    page = database.engine_options(postgres)
    assert page["pool_pre_ping"] is False  # the check on checkout, with a deadline, replaces it
    assert page["connect_args"] == {"connect_timeout": 3, "options": "-c statement_timeout=15000 -c lock_timeout=5000",
                                    "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3,
                                    "keepalives_count": 3}
    cli = database.engine_options({**postgres, "DB_CONNECT_TIMEOUT": 1.5}, long_statements=True)
    assert cli["connect_args"]["options"] == "-c statement_timeout=600000 -c lock_timeout=5000"
    assert cli["connect_args"]["connect_timeout"] == 2


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT", "30")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT", "2.5")
    settings = database.settings_from_environment()
    assert settings["DB_STATEMENT_TIMEOUT"] == 30 and settings["DB_CONNECT_TIMEOUT"] == 2.5
    assert settings["DB_LOCK_TIMEOUT"] == 5


def test_flask_commands_run_long_statements_the_web_server_does_not():
    assert not app_module._run_by_a_flask_command()  # gunicorn, the tests: no click command around
    with click.Context(click.Command("upgrade")):
        assert app_module._run_by_a_flask_command()
    with click.Context(flask_cli.run_command):
        assert not app_module._run_by_a_flask_command()


# -- a real PostgreSQL server that stops and freezes ---------------------------------------------------------

def _bindir():
    """The directory of PostgreSQL's initdb and pg_ctl, or None."""
    candidates = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(found.stdout.strip())
    candidates += sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin"))[::-1]
    if shutil.which("initdb"):
        candidates.append(str(Path(shutil.which("initdb")).parent))
    for candidate in candidates:
        if candidate and all((Path(candidate) / name).is_file() for name in ("initdb", "pg_ctl")):
            return Path(candidate)
    return None


def _owner():
    """Who runs the server: the current user, or `postgres` through runuser when we are root (initdb
    refuses root). None when that is impossible."""
    if os.geteuid() != 0:
        return SimpleNamespace(prefix=[], uid=None)
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        return None
    if not shutil.which("runuser"):
        return None
    return SimpleNamespace(prefix=["runuser", "-u", "postgres", "--"], uid=account.pw_uid, gid=account.pw_gid)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid):
    """The server's processes besides the postmaster (its backends and workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class ThrowawayPostgres:
    """A PostgreSQL server of our own in a temporary directory: nothing shared is touched."""

    def __init__(self, bindir, owner):
        self.bindir, self.owner = bindir, owner
        # not pytest's tmp_path: the `postgres` user cannot enter root's private pytest directory
        self.dir = Path(tempfile.mkdtemp(prefix="journal-pg-outage-"))
        if owner.uid is not None:
            os.chown(self.dir, owner.uid, owner.gid)
        self.data = self.dir / "data"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program, *args):
        # Without CI's libfaketime (its fixed clock makes sleeping fail with EINVAL) and without subprocess's
        # timeout, which sleeps in this process under it: pg_ctl -w gives up after 60 s by itself.
        subprocess.run([*self.owner.prefix, str(self.bindir / program), *args], check=True, capture_output=True,
                       env=real_clock_environ())

    def init(self):
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")

    def start(self):
        settings = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c full_page_writes=off -c synchronous_commit=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-o", settings, "-w", "start")

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def _signal(self, sig):
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        for pid in [postmaster, *_children(postmaster)]:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def freeze(self):
        self._signal(signal.SIGSTOP)

    def thaw(self):
        self._signal(signal.SIGCONT)

    def destroy(self):
        if (self.data / "postmaster.pid").exists():
            self.thaw()
            try:
                self.stop("immediate")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def postgres_server():
    bindir, owner = _bindir(), _owner()
    if bindir is None:
        pytest.skip("PostgreSQL's initdb and pg_ctl are not installed")
    if owner is None:
        pytest.skip("running as root without a `postgres` OS user or runuser: initdb refuses root")
    server = ThrowawayPostgres(bindir, owner)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


CONNECT_TIMEOUT = 2  # psycopg's least


def test_the_app_survives_postgresql_stopping_and_freezing(postgres_server):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": postgres_server.url, "TESTING": True, "SECRET_KEY": "test-secret",
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 64, "parallelism": 1},
        "DB_CONNECT_TIMEOUT": CONNECT_TIMEOUT, "DB_HEALTH_TIMEOUT": 1, "DB_STATEMENT_TIMEOUT": 4,
        "DB_LOCK_TIMEOUT": 2, "DB_LONG_STATEMENT_TIMEOUT": 60,
    })
    with app.app_context():
        upgrade()
        build_world()
        assert db.session.scalar(text("SHOW statement_timeout")) == "4s"
        assert db.session.scalar(text("SHOW lock_timeout")) == "2s"
        with database.long_statements():
            assert db.session.scalar(text("SHOW statement_timeout")) == "1min"
            db.session.commit()  # a new transaction inside the block is long as well
            assert db.session.scalar(text("SHOW statement_timeout")) == "1min"
        db.session.commit()
        assert db.session.scalar(text("SHOW statement_timeout")) == "4s"
        db.session.remove()

        b = Browser(app)
        b.login("a.teacher")
        assert b.get("/").status_code == 200
        assert b.get("/healthz").status_code == 200

        # Stopped: connections refused at once; the page and /healthz in Russian, a few log lines.
        postgres_server.stop()
        with warnings_logged() as lines:
            for url in ["/", "/healthz"] * 10:
                resp, seconds = timed(b.get, url)
                assert resp.status_code == 503 and seconds < 2, (url, resp.status_code, seconds)
                if url == "/":
                    unavailable_page(resp)
                else:
                    assert resp.get_json()["database"] == "недоступна"
        assert 1 <= len(lines) <= 3, [r.getMessage() for r in lines]

        # Back: the same application recovers (the stale pooled connections are replaced).
        postgres_server.start()
        assert b.get("/").status_code == 200
        assert b.get("/healthz").status_code == 200

        # Frozen: the kernel still accepts connections and acknowledges packets, the server never answers.
        postgres_server.freeze()
        resp, seconds = timed(b.get, "/healthz")
        assert resp.status_code == 503 and seconds < 2, seconds
        resp, seconds = timed(b.get, "/")
        unavailable_page(resp)
        # the pooled connection's check, then a new connection: each given up after the connect timeout
        assert seconds < 2 * CONNECT_TIMEOUT + 1.5, seconds
        resp, seconds = timed(b.get, "/")
        unavailable_page(resp)
        assert seconds < CONNECT_TIMEOUT + 1.5, seconds

        postgres_server.thaw()
        assert b.get("/").status_code == 200
        assert b.get("/healthz").status_code == 200
