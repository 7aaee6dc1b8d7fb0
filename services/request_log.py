"""One line per request (docs/DEPLOYMENT.md, «Журналы»): with `LOG_FORMAT=json`, a JSON object on the logger
`journal.request` (stderr, gunicorn's error log): time, user id, organization id, method, route (the URL rule,
`/journal/grid/<id:lesson_id>/`, never the path's values or its query string), endpoint, status, duration in
ms, the number of SQL statements. Nothing personal: no login, name, query string, form value, cookie or
address — a user is his id, which the audit trail resolves for those allowed to read it.

The statement counter (`count_statements()`) serves the metrics too; it is per request (a ContextVar), fed by
one engine-wide listener.
"""
import json
import logging
import os
import sys
from contextvars import ContextVar

from sqlalchemy import event, inspect as sa_inspect
from sqlalchemy.engine import Engine

from services import clock

LOGGER = "journal.request"
FIELDS = ("ts", "user_id", "org_id", "method", "route", "endpoint", "status", "duration_ms", "sql")

_statements = ContextVar("request_statements", default=None)


def settings_from_environment():
    return {"LOG_FORMAT": (os.environ.get("LOG_FORMAT") or "text").lower()}


@event.listens_for(Engine, "before_cursor_execute")
def _count(conn, cursor, statement, parameters, context, executemany):
    box = _statements.get()
    if box is not None:
        box[0] += 1


def start_counting():
    """Begin counting this request's statements (returns the token for `stop_counting`)."""
    return _statements.set([0])


def statements():
    box = _statements.get()
    return box[0] if box is not None else 0


def stop_counting(token):
    _statements.reset(token)


def identity(row):
    """The id of a loaded row, read from its identity: no SELECT, even when the request's commit has expired it
    (reading `row.id` would load it again). None for no row or one that is not a database row."""
    state = sa_inspect(row, raiseerr=False) if row is not None else None
    key = getattr(state, "identity", None)
    return key[0] if key else None


def init_app(app):
    """With LOG_FORMAT=json the request logger writes its lines, bare, to stderr."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if app.config.get("LOG_FORMAT") == "json" and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)


def line(*, user_id, org_id, method, route, endpoint, status, seconds, sql):
    """The JSON line of one request (the fields of FIELDS, in that order)."""
    return json.dumps({"ts": clock.now_aware().isoformat(timespec="milliseconds"), "user_id": user_id,
                       "org_id": org_id, "method": method, "route": route, "endpoint": endpoint,
                       "status": status, "duration_ms": round(seconds * 1000, 1), "sql": sql},
                      ensure_ascii=False)


def write(app, **fields):
    if app.config.get("LOG_FORMAT") == "json":
        logging.getLogger(LOGGER).info(line(**fields))
