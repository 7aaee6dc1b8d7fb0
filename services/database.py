"""The link to the database, made to survive the database going away (issue 12.6).

PostgreSQL only (SQLite keeps SQLAlchemy's defaults):
- every connection starts with a connect timeout, a statement timeout (pages) and a lock timeout, and TCP
  keepalives (a dead host or network is noticed by the kernel, not by the gunicorn timeout);
- a command of the `flask` CLI gets the long statement timeout for all its statements; a named long job of a
  page raises it for a block with `long_statements()`;
- a pooled connection is checked on checkout by a query with a deadline. SQLAlchemy's own pre-ping has none:
  a frozen server (SIGSTOP, a paused VM) still has a kernel that acknowledges the packets, so neither TCP
  nor libpq ever gives up. A failed check invalidates the whole pool, so after a restart of the server
  every stale connection is replaced, and the application recovers without a restart of its own.

A statement already running when the server freezes still waits (nothing client-side interrupts it): the
deadline is on the way in, so new requests fail fast while the server is frozen.

A read replica (`DATABASE_REPLICA_URL`, optional; docs/DEPLOYMENT.md): inside `on_replica()` — a report's
build (reports/registry.py `build`) — the session's plain SELECTs go to the replica's engine; every write, a
`SELECT … FOR UPDATE`, a text statement and everything outside the block go to the primary. This module is the
one place that routes; without the setting everything is on the primary.

Everywhere: `is_unavailable(exc)` tells a failure of the database from a bug (the 503 page, not the 500 one),
`OutageLog` writes one line per burst of failures instead of a traceback per request, and `HealthCheck`
answers /healthz within its own deadline whatever state the server is in.
"""
import math
import os
import selectors
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import psycopg
from flask import current_app
from sqlalchemy import Engine, create_engine, event, exc as sa_exc, inspect as sa_inspect
from sqlalchemy.orm import Session

from models import db
from models.base import Session as RoutingSession

# Seconds; each may be set by the environment variable of the same name (or the app's config).
SETTINGS = {
    "DB_CONNECT_TIMEOUT": 3,  # to open a connection, and for a pooled one to answer its check (psycopg: ≥ 2)
    "DB_STATEMENT_TIMEOUT": 15,  # one statement of a page; 0: no limit
    "DB_LONG_STATEMENT_TIMEOUT": 600,  # one statement of the CLI or of a long job (`long_statements()`)
    "DB_LOCK_TIMEOUT": 5,  # waiting for a row or table lock
    "DB_HEALTH_TIMEOUT": 1,  # /healthz's answer
    "DB_OUTAGE_LOG_INTERVAL": 60,  # at most one log line per interval while the database keeps failing
    "REPORT_BUILDER_TIMEOUT": 10,  # one statement of «Конструктор отчётов» (`bounded_statements`)
}

# TCP keepalives: an idle connection to a host that is gone is dropped after about 10 + 3 × 3 s.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3, "keepalives_count": 3}

# Failures of the link or of the server, as opposed to errors of the request (a constraint, a bug): the
# server down or frozen, a connection lost, a statement or lock timeout, no free connection in the pool.
LINK_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
               psycopg.OperationalError, psycopg.InterfaceError)
# SQLite calls its SQL errors (no such table, a syntax error) OperationalError too: only these are its state.
# «database is locked» is not an outage: the database answers, a writer held it past the busy
# timeout — models/dialect.is_database_busy answers «База данных занята, повторите …» instead.
SQLITE_UNAVAILABLE = ("unable to open database file", "disk I/O error")


def settings_from_environment():
    return {**{name: float(os.environ.get(name, default)) for name, default in SETTINGS.items()},
            # a read-only copy of the database (PostgreSQL streaming replica) for the reports; None: none
            "DATABASE_REPLICA_URL": os.environ.get("DATABASE_REPLICA_URL") or None}


def is_unavailable(exc):
    """The database failed, not the request: the 503 page, not the 500 one."""
    if getattr(exc, "connection_invalidated", False):
        return True
    if not isinstance(exc, LINK_ERRORS):
        return False
    cause = getattr(exc, "orig", None) or exc
    return not isinstance(cause, sqlite3.Error) or any(state in str(cause) for state in SQLITE_UNAVAILABLE)


# The schema was never created (or not upgraded): `flask db upgrade` was not run on this database.
NO_SCHEMA = ("База данных не подготовлена: в ней нет таблиц программы. Выполните «.venv/bin/flask --app app db "
             "upgrade» с той же настройкой DATABASE_URL и повторите.")


def is_missing_schema(exc):
    """A statement failed because a table is not in the database (SQLite's «no such table», PostgreSQL's
    undefined table) and the database has no migration applied at all: `flask db upgrade` was never run. A
    table missing from a migrated database is a bug of the request, not this."""
    cause = getattr(exc, "orig", None) or exc
    missing = isinstance(cause, psycopg.errors.UndefinedTable) or (
        isinstance(cause, sqlite3.OperationalError) and str(cause).startswith("no such table"))
    if not missing:
        return False
    try:
        return not sa_inspect(db.engine).has_table("alembic_version")
    except Exception:  # noqa: BLE001 — the question is asked while answering another error
        return False


def _ms(seconds):
    return int(seconds * 1000)


def engine_options(config, long_statements=False):
    """SQLAlchemy's engine options for `config`: on PostgreSQL the timeouts and keepalives of every
    connection, the statement timeout the long one when `long_statements` (the CLI)."""
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return options
    statement = config["DB_LONG_STATEMENT_TIMEOUT" if long_statements else "DB_STATEMENT_TIMEOUT"]
    connect_args = {
        "connect_timeout": math.ceil(config["DB_CONNECT_TIMEOUT"]),  # libpq takes whole seconds
        "options": f"-c statement_timeout={_ms(statement)} -c lock_timeout={_ms(config['DB_LOCK_TIMEOUT'])}",
        **KEEPALIVES,
    }
    options["connect_args"] = {**connect_args, **options.get("connect_args", {})}
    options["pool_pre_ping"] = False  # replaced by `_check_on_checkout`, which has a deadline
    return options


def driver_url(url):
    """`url` with psycopg 3 named for PostgreSQL (a plain postgresql:// would ask for psycopg2)."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def init_app(app, long_statements=False):
    """Configure the engine of `app` and register `db` on it; the outage log and health check of
    `app.extensions["database"]`, and the read replica's engine when `DATABASE_REPLICA_URL` is set."""
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config, long_statements)
    db.init_app(app)
    with app.app_context():
        engine = db.engine
    outage = OutageLog(app.logger, app.config["DB_OUTAGE_LOG_INTERVAL"])
    _check_pooled_connections(app, engine, outage)
    replica = None
    if app.config.get("DATABASE_REPLICA_URL"):
        url = driver_url(app.config["DATABASE_REPLICA_URL"])
        options = engine_options({**app.config, "SQLALCHEMY_DATABASE_URI": url}, long_statements)
        replica = create_engine(url, **options)
        _check_pooled_connections(app, replica, outage)
    app.extensions["database"] = Watch(outage, HealthCheck(engine, app.config["DB_HEALTH_TIMEOUT"]), replica)


def _check_pooled_connections(app, engine, outage):
    if engine.dialect.name != "postgresql":
        return
    timeout = app.config["DB_CONNECT_TIMEOUT"]

    @event.listens_for(engine, "checkout")
    def _check_on_checkout(dbapi_connection, connection_record, connection_proxy):
        _ping(dbapi_connection, timeout)
        outage.recovered()


@dataclass
class Watch:
    outage: "OutageLog"
    health: "HealthCheck"
    replica: "Engine | None" = None  # the read replica's engine (DATABASE_REPLICA_URL), if any


# -- the read replica ----------------------------------------------------------------------------------------

_on_replica = ContextVar("on_replica", default=False)


@contextmanager
def on_replica():
    """The block's plain SELECTs go to the read replica when one is configured (a read-only report: lagging
    a second behind the primary is harmless there); its writes, row locks and text statements stay on the
    primary. Without a replica it changes nothing."""
    token = _on_replica.set(True)
    try:
        yield
    finally:
        _on_replica.reset(token)


def replica_engine():
    """The replica's engine of the current app, or None."""
    watch = current_app.extensions.get("database")
    return watch.replica if watch is not None else None


def _route(clause):
    """The session's engine for `clause` (models/base.py `Session.get_bind`): the replica's for a SELECT
    without FOR UPDATE inside `on_replica()`, else None (the primary)."""
    if not _on_replica.get() or clause is None or not getattr(clause, "is_select", False) \
            or getattr(clause, "_for_update_arg", None) is not None:
        return None
    return replica_engine()


RoutingSession.route = staticmethod(_route)


def _ping(dbapi_connection, timeout):
    """`SELECT 1` answered within `timeout` seconds, else InvalidatePoolError (the pool replaces this and
    every other connection of the time before). Sent through psycopg's libpq wrapper, whose calls do not
    block on a non-blocking connection (psycopg makes them so); psycopg's own execute would wait forever."""
    pgconn = dbapi_connection.pgconn
    deadline = time.monotonic() + timeout
    try:
        pgconn.send_query(b"SELECT 1")
        with selectors.DefaultSelector() as selector:
            selector.register(pgconn.socket, selectors.EVENT_READ)
            while True:
                unsent = pgconn.flush()
                pgconn.consume_input()
                if not unsent and not pgconn.is_busy():
                    break
                selector.modify(pgconn.socket, selectors.EVENT_READ | (selectors.EVENT_WRITE if unsent else 0))
                if not selector.select(max(deadline - time.monotonic(), 0)):
                    raise sa_exc.InvalidatePoolError(f"no answer to a ping within {timeout:g} s")
        while (result := pgconn.get_result()) is not None:
            if result.status != psycopg.pq.ExecStatus.TUPLES_OK:
                raise sa_exc.InvalidatePoolError(result.get_error_message() or "the ping failed")
    except psycopg.Error as exc:
        raise sa_exc.InvalidatePoolError(str(exc)) from exc


# -- long jobs ---------------------------------------------------------------------------------------------

_long_timeout = ContextVar("long_statement_timeout", default=None)


@contextmanager
def long_statements():
    """Statements in the block may run DB_LONG_STATEMENT_TIMEOUT seconds instead of a page's
    DB_STATEMENT_TIMEOUT: in the session's transaction open now and in every one it begins inside the block.
    `SET LOCAL` on PostgreSQL, so the longer limit ends with the transaction (at the latest with the block's
    last one); nothing elsewhere. Also a decorator: `@long_statements()` on a long job's function."""
    ms = _ms(current_app.config["DB_LONG_STATEMENT_TIMEOUT"])
    if db.session.get_bind().dialect.name == "postgresql":
        _set_statement_timeout(db.session.connection(), ms)
    token = _long_timeout.set(ms)
    try:
        yield
    finally:
        _long_timeout.reset(token)


@event.listens_for(Session, "after_begin")
def _long_transaction(session, transaction, connection):
    ms = _long_timeout.get()
    if ms is not None and connection.dialect.name == "postgresql":
        _set_statement_timeout(connection, ms)


def _set_statement_timeout(connection, ms):
    connection.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")


PROGRESS_STEPS = 200  # SQLite: how many steps of its virtual machine between two looks at the clock


class StatementTimedOut(Exception):
    """A statement of a `bounded_statements` block ran past its limit and was stopped."""


@contextmanager
def bounded_statements(seconds):
    """Statements in the block are stopped after `seconds` each (a user's ad hoc query: «Конструктор отчётов»):
    PostgreSQL's `statement_timeout` (`SET LOCAL`, put back to the connection's own — or the long one — after
    the block), SQLite's progress handler (checked every PROGRESS_STEPS steps of its virtual machine). A statement
    so stopped raises StatementTimedOut (the transaction is then to be rolled back); other errors pass."""
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    raw = None
    if postgres:  # at least a millisecond: 0 would be no limit at all, a negative one the server's error
        _set_statement_timeout(connection, max(1, _ms(seconds)))
    else:
        raw = connection.connection.driver_connection
        deadline = time.monotonic() + seconds
        raw.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, PROGRESS_STEPS)
    try:
        yield
    except sa_exc.OperationalError as exc:
        cause = getattr(exc, "orig", None)
        if isinstance(cause, psycopg.errors.QueryCanceled) or (
                isinstance(cause, sqlite3.OperationalError) and "interrupted" in str(cause)):
            raise StatementTimedOut() from exc
        raise
    else:
        if postgres:
            long_ms = _long_timeout.get()
            connection.exec_driver_sql("SET LOCAL statement_timeout = DEFAULT" if long_ms is None
                                       else f"SET LOCAL statement_timeout = {long_ms}")
    finally:
        if raw is not None:
            raw.set_progress_handler(None, 0)


# -- the log and the health check --------------------------------------------------------------------------

def _cause(exc):
    """The failure in one line: the driver's error (the first line of its message), not the traceback."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"[:300]


class OutageLog:
    """One line when the database starts failing (with the cause), then at most one line per `interval`
    seconds with the number of failures since the last line, and one line when it answers again.
    A failing database fails every request: a traceback each would fill the disk (31 MB in 19 s)."""

    def __init__(self, logger, interval):
        self.logger = logger
        self.interval = interval
        self._lock = threading.Lock()
        self._since = None  # the time of the first failure of the burst; None: no burst
        self._last_failure = self._last_line = 0.0
        self._unlogged = 0  # failures since the last line

    def failed(self, exc):
        with self._lock:
            now = time.monotonic()
            # a burst ends when the database answers again, or after an interval without failures (SQLite
            # has no check that would tell it answers)
            first = self._since is None or now - self._last_failure >= self.interval
            self._last_failure = now
            if first:
                self._since, self._unlogged = now, 0
            elif now - self._last_line < self.interval:
                self._unlogged += 1
                return
            count, self._unlogged, self._last_line = self._unlogged + 1, 0, now
            seconds = now - self._since
        if first:
            self.logger.error("database failing: %s", _cause(exc))
        else:
            self.logger.error("database still failing after %.0f s: %d failures since the last line, the last: %s",
                              seconds, count, _cause(exc))

    def recovered(self):
        if self._since is None:  # the usual case, without taking the lock
            return
        with self._lock:
            if self._since is None:
                return
            seconds, count = time.monotonic() - self._since, self._unlogged
            self._since, self._unlogged = None, 0
        self.logger.warning("database answers again after %.0f s (%d failures since the last line)", seconds, count)


class HealthCheck:
    """`SELECT 1` in a thread of its own, awaited at most `timeout` seconds: /healthz answers in time even
    when the server is frozen (a new connection's timeout is at least 2 s in libpq and psycopg). One check
    at a time: while one is still waiting, the next requests wait for the same one."""

    def __init__(self, engine, timeout):
        self.engine = engine
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
        self._lock = threading.Lock()
        self._running = None

    def check(self):
        """Return when the database answered; raise its error, or TimeoutError."""
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._executor.submit(self._select_one)
            running = self._running
        try:
            running.result(timeout=self.timeout)
        except TimeoutError:
            raise TimeoutError(f"no answer to the health check within {self.timeout:g} s") from None

    def _select_one(self):
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
