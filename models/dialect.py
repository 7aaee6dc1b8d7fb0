"""Where SQLite and PostgreSQL differ for correctness: the connection's settings, row locks and the
errors a concurrent change raises; and for speed, a condition kept out of SQLite's index choice
(`unindexed`). Services lock rows with `locked()` and never ask the dialect.

SQLite ignores `SELECT … FOR UPDATE`: it has no row locks, only one write lock for the whole
database. pysqlite (its legacy transaction control, kept) reads outside a transaction and begins
one at the first write, which takes the write lock there; a check read before that first write can
be overtaken by another request's commit (one movement order applied by eight requests at once
was applied up to eight times). So `locked()` takes the write lock before the rows are read —
BEGIN IMMEDIATE, unless this transaction has written already and so holds it — and nothing that
is read after it can change until the transaction ends: PostgreSQL's guarantee, coarser.
"""
from sqlalchemy import Integer, String, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from models.base import db

BUSY_TIMEOUT_MS = 15_000
SQLITE_SETTINGS = (
    "foreign_keys=ON",  # enforced only when asked, per connection
    f"busy_timeout={BUSY_TIMEOUT_MS}",  # a writer waits for the write lock instead of failing at once
    "journal_mode=WAL",  # readers never wait for the writer, nor the writer for readers
    "synchronous=NORMAL",  # with WAL: durable but for the last commits on a power cut, far fewer syncs
)
# PostgreSQL's SQLSTATEs and SQLite's messages of a change that collided with a concurrent one.
UNIQUE_VIOLATION, FOREIGN_KEY_VIOLATION = "23505", "23503"
CONCURRENT_STATES = {UNIQUE_VIOLATION, FOREIGN_KEY_VIOLATION, "40001", "40P01"}  # + serialization, deadlock
SQLITE_UNIQUE, SQLITE_FOREIGN_KEY = "UNIQUE constraint failed", "FOREIGN KEY constraint failed"


@event.listens_for(Engine, "connect")
def _sqlite_settings(dbapi_connection, connection_record):
    if dbapi_connection.__class__.__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        for setting in SQLITE_SETTINGS:
            cursor.execute(f"PRAGMA {setting}")
        cursor.close()
        # SQLite's own lower() folds ASCII only: `folded()` below needs Cyrillic folded too.
        dbapi_connection.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def locked(query, **for_update):
    """`query` (a select of rows to check and then change) to run with its rows locked until the
    transaction ends: PostgreSQL `FOR UPDATE` (`read=True`: FOR SHARE; `key_share=True`: FOR NO KEY
    UPDATE, which rows referring to them still pass; `of=`), SQLite the database's write lock, taken
    now. The rows are read again (a wait may have let another transaction change them)."""
    query = query.execution_options(populate_existing=True)
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return query.with_for_update(**for_update)
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    return query


def skip_locked(query):
    """`query` (a select of rows to claim) passing over the rows another transaction holds locked: PostgreSQL
    `FOR UPDATE SKIP LOCKED`, so that two workers claiming at once each take different rows instead of the
    second waiting for the first's and then finding them taken; SQLite writes one statement at a time and
    needs nothing."""
    if db.session.connection().dialect.name == "sqlite":
        return query
    return query.with_for_update(skip_locked=True)


class unindexed(FunctionElement):
    """An integer column in a condition that must stay a filter, never the index a query is planned by
    (the organization scope's `org_id = ?`, models/scope.py). SQLite would walk `ix_mark_org_id` — every
    mark of the organization — instead of the journal's own index (the grid ×8 slower); its unary plus
    keeps the column out of index choice. PostgreSQL plans by its statistics: the column stays plain, so
    its estimates stay right."""

    type = Integer()
    name = "unindexed"
    inherit_cache = True


@compiles(unindexed)
def _unindexed(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.clauses, **kw)


class joined_text(FunctionElement):
    """An aggregate: the text of a group's values joined by «, » (a student's parents' phones in one cell, in one
    statement): PostgreSQL's `string_agg`, in the values' order; SQLite's `group_concat`."""

    type = String()
    name = "joined_text"
    inherit_cache = True


@compiles(joined_text)
def _joined_text(element, compiler, **kw):
    value = compiler.process(element.clauses, **kw)
    return f"string_agg(CAST({value} AS TEXT), ', ' ORDER BY CAST({value} AS TEXT))"


@compiles(joined_text, "sqlite")
def _joined_text_sqlite(element, compiler, **kw):
    return f"group_concat({compiler.process(element.clauses, **kw)}, ', ')"


class folded(FunctionElement):
    """Text folded to lower case for a comparison whatever the case, Cyrillic too: PostgreSQL's `lower` (by the
    database's locale), SQLite's `unicode_lower` (Python's, registered on every connection above)."""

    type = String()
    name = "folded"
    inherit_cache = True


@compiles(folded)
def _folded(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element, compiler, **kw):
    return f"unicode_lower({compiler.process(element.clauses, **kw)})"


def _cause(exc):
    return getattr(exc, "orig", None) or exc


def is_unique_violation(exc):
    cause = _cause(exc)
    return getattr(cause, "sqlstate", None) == UNIQUE_VIOLATION or SQLITE_UNIQUE in str(cause)


def is_concurrent_change(exc):
    """A unique or foreign key violation, a serialization failure or a deadlock."""
    cause = _cause(exc)
    text = str(cause)
    return getattr(cause, "sqlstate", None) in CONCURRENT_STATES or SQLITE_UNIQUE in text or SQLITE_FOREIGN_KEY in text


def is_database_busy(exc):
    """SQLite's write lock still taken when the busy timeout ran out."""
    return isinstance(exc, OperationalError) and "database is locked" in str(_cause(exc))


__all__ = ["locked", "unindexed", "is_unique_violation", "is_concurrent_change", "is_database_busy"]
