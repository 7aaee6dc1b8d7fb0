"""Concurrent requests in a test: each Worker runs a function in its own thread and application
context (its own session and database connection), as a threaded or multi-process server runs
requests. One can be held just before its commit — its statements ran, its locks are taken — so
that the others provably run against its uncommitted change."""
import threading
import time

from sqlalchemy import event

from models import db

WAIT = 20  # seconds: an upper bound that only a broken lock would hit (SQLite's busy timeout is 15 s)
BLOCKED = 0.7  # how long the others must stay blocked behind the held transaction


class Worker(threading.Thread):
    """Runs `fn()` in its own application context; with `hold`, stops just before its commit."""

    def __init__(self, app, fn, hold=False):
        super().__init__(daemon=True)
        self.app, self.fn, self.hold = app, fn, hold
        self.at_commit, self.release = threading.Event(), threading.Event()
        self.result = self.error = self.finished_at = None
        self.was_held = False

    def _before_commit(self, session):
        self.was_held = True
        self.at_commit.set()
        self.release.wait(WAIT)

    def run(self):
        with self.app.app_context():
            session = db.session()
            if self.hold:
                event.listen(session, "before_commit", self._before_commit)
            try:
                self.result = self.fn()
            except Exception as exc:  # noqa: BLE001 — the test inspects it
                self.error = exc
            finally:
                self.finished_at = time.monotonic()
                self.at_commit.set()
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
