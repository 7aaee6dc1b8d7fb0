"""Concurrent requests in a test: each Worker runs a function in its own thread and application
context (its own session and database connection), as a threaded or multi-process server runs
requests. One can be held just before its commit — its statements ran, its locks are taken — so
that the others provably run against its uncommitted change.

On SQLite the held transaction holds the database's write lock (models/dialect.py), so the others
wait as they would for PostgreSQL's row locks; interleavings that only row and advisory locks make
possible are tested on PostgreSQL alone (`needs_postgresql`)."""
import os
import threading
import time

import pytest
from sqlalchemy import event

from models import db
from services import uow

WAIT = 20  # seconds: an upper bound that only a broken lock would hit (SQLite's busy timeout is 15 s)
BLOCKED = 0.7  # how long the others must stay blocked behind the held transaction

needs_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="concurrent transactions need PostgreSQL (row and advisory locks); SQLite serializes writers")


class Worker(threading.Thread):
    """Runs `fn()` in its own application context; with `hold`, stops just before its commit;
    `at_commit(session)` runs there too (in the transaction, under its locks)."""

    def __init__(self, app, fn, hold=False, at_commit=None):
        super().__init__(daemon=True)
        self.app, self.fn, self.hold, self.on_commit = app, fn, hold, at_commit
        self.at_commit, self.release = threading.Event(), threading.Event()
        self.result = self.error = self.finished_at = None
        self.was_held = False

    def start(self):
        # What the test did before (services only flush, services/uow.py) is its own unit of work,
        # committed before a worker — a request — can see it; what the test holds stays loaded.
        uow.checkpoint("the test's work before a worker", expire=False)
        super().start()

    def _before_commit(self, session):
        if self.on_commit is not None:
            self.on_commit(session)
        if self.hold:
            self.was_held = True
            self.at_commit.set()
            self.release.wait(WAIT)

    def run(self):
        with self.app.app_context():
            session = db.session()
            event.listen(session, "before_commit", self._before_commit)
            try:
                with uow.unit():  # as a request runs it: its unit of work commits at the end
                    self.result = self.fn()
            except Exception as exc:  # noqa: BLE001 — the test inspects it
                self.error = exc
            finally:
                self.finished_at = time.monotonic()
                self.at_commit.set()
                event.remove(session, "before_commit", self._before_commit)
                db.session.remove()


def run_held_then(app, first, *others):
    """Start `first`, hold it at its commit, start `others`, check that they wait, then let go.
    Returns the first worker, the others, whether all of them were still waiting when it was let
    go, and when that was."""
    held = Worker(app, first, hold=True)
    held.start()
    assert held.at_commit.wait(WAIT), "the first transaction never reached its commit"
    assert held.error is None, held.error
    assert held.was_held, "the first transaction ended without a commit"
    workers = [Worker(app, fn) for fn in others]
    for worker in workers:
        worker.start()
    time.sleep(BLOCKED)
    still_waiting = all(worker.is_alive() for worker in workers)
    released_at = time.monotonic()
    held.release.set()
    for worker in [held, *workers]:
        worker.join(WAIT)
    assert not any(worker.is_alive() for worker in [held, *workers]), "a transaction hung"
    return held, workers, still_waiting, released_at
