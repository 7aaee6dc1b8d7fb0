"""Two (or more) people at once, on PostgreSQL: each thread has its own application context,
session and connection. A thread can be held just before its commit — after its statements ran,
with its locks taken — so another one provably runs against an uncommitted change.

SQLite has one writer at a time and no row locks, so these interleavings cannot happen there:
the tests that use this module are skipped on it (`needs_postgresql`)."""
import os
import threading
import time

import pytest
from sqlalchemy import event

from models import db

needs_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="concurrent transactions need PostgreSQL (row and advisory locks); SQLite serializes writers")

WAIT = 15  # seconds: an upper bound that only a broken lock would hit
BLOCKED = 0.7  # how long a thread must stay blocked behind the other's uncommitted change


class Worker(threading.Thread):
    """Runs `fn()` in its own application context; with `hold`, stops just before its commit;
    `at_commit(session)` runs there too (in the transaction, under its locks)."""

    def __init__(self, app, fn, hold=False, at_commit=None):
        super().__init__(daemon=True)
        self.app, self.fn, self.hold, self.on_commit = app, fn, hold, at_commit
        self.at_commit, self.release = threading.Event(), threading.Event()
        self.result = self.error = self.finished_at = None

    def _before_commit(self, session):
        if self.on_commit is not None:
            self.on_commit(session)
        if self.hold:
            self.at_commit.set()
            self.release.wait(WAIT)

    def run(self):
        with self.app.app_context():
            session = db.session()
            event.listen(session, "before_commit", self._before_commit)
            try:
                self.result = self.fn()
            except Exception as exc:  # noqa: BLE001 — the test inspects it
                self.error = exc
            finally:
                self.finished_at = time.monotonic()
                self.at_commit.set()
                event.remove(session, "before_commit", self._before_commit)
                db.session.remove()


def run_held_then(app, first, second):
    """Start `first`, hold it at its commit, start `second`, check that it waits, then let go."""
    a = Worker(app, first, hold=True)
    a.start()
    assert a.at_commit.wait(WAIT), "the first transaction never reached its commit"
    assert a.error is None, a.error
    b = Worker(app, second)
    b.start()
    b.join(BLOCKED)
    still_waiting = b.is_alive()
    released_at = time.monotonic()
    a.release.set()
    a.join(WAIT)
    b.join(WAIT)
    assert not a.is_alive() and not b.is_alive(), "a transaction hung"
    return a, b, still_waiting, released_at
