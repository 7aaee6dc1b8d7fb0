"""Two people at once, on PostgreSQL (each thread has its own application context, session and
connection). A thread is held just before its commit — after its statements ran, with its locks
taken — so the other one provably runs against an uncommitted change:

- two teachers saving the same mark with the same version: one wins, the other waits for its row
  lock, reads the new version and gets the Russian conflict message; two inserting the same new
  mark: the unique key refuses the second, also as a conflict, never a 500;
- close_period while a save is in flight: the close waits for the save's commit; a save while a
  close is in flight waits for it and is refused — a mark never lands in a closed period.

SQLite has one writer at a time and no row locks, so these interleavings cannot happen there.
"""
import os
import threading
import time

import pytest
from sqlalchemy import event, func, select

from models import Mark, Period, db
from services.errors import DomainError
from services.journal import VersionConflict, close_period, save_entries
from tests.factories import actor_of
from tests.journal_rules_fixtures import add_task, journal_world

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="concurrent transactions need PostgreSQL (row locks); SQLite serializes writers")

WAIT = 15  # seconds: an upper bound that only a broken lock would hit
BLOCKED = 0.7  # how long a thread must stay blocked behind the other's uncommitted change


class Worker(threading.Thread):
    """Runs `fn()` in its own application context; with `hold`, stops just before its commit."""

    def __init__(self, app, fn, hold=False):
        super().__init__(daemon=True)
        self.app, self.fn, self.hold = app, fn, hold
        self.at_commit, self.release = threading.Event(), threading.Event()
        self.result = self.error = self.finished_at = None

    def _before_commit(self, session):
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


@pytest.fixture
def jw(world):
    ns = journal_world(world)
    ns.task_id = add_task(ns)
    db.session.commit()
    return ns


def saver(ns, value, version):
    ids = (ns.assignment.id, ns.task_id, ns.a.student.id)

    def run():
        return save_entries(actor_of("a.teacher"), ids[0], {"marks": [
            {"task_id": ids[1], "student_id": ids[2], "value": value, "version": version}]})
    return run


def test_same_mark_same_version_one_wins_the_other_gets_a_conflict(app, jw):
    saver(jw, "4", None)()
    a, b, waited, _ = run_held_then(app, saver(jw, "5", 1), saver(jw, "3", 1))
    assert a.error is None
    assert waited, "the second save did not wait for the first one's row lock"
    assert isinstance(b.error, VersionConflict), b.error
    assert b.error.message == "Запись изменил другой пользователь — обновите страницу"
    db.session.expire_all()
    mark = db.session.scalar(select(Mark))
    assert (mark.value, mark.version) == ("5", 2)


def test_two_new_copies_of_one_mark_one_wins_the_other_gets_a_conflict(app, jw):
    a, b, waited, _ = run_held_then(app, saver(jw, "5", None), saver(jw, "2", None))
    assert a.error is None
    assert isinstance(b.error, VersionConflict), b.error
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Mark.id))) == 1
    assert db.session.scalar(select(Mark.value)) == "5"


def closer(ns):
    period_id = ns.a.period.id
    return lambda: close_period(actor_of("a.admin"), period_id)


def test_a_close_waits_for_the_save_in_flight(app, jw):
    a, c, waited, released_at = run_held_then(app, saver(jw, "5", None), closer(jw))
    assert a.error is None and c.error is None and c.result is True
    assert waited and c.finished_at >= released_at, "the close did not wait for the save's commit"
    db.session.expire_all()
    assert db.session.scalar(select(Mark.value)) == "5"  # saved before the close
    assert db.session.get(Period, jw.a.period.id).is_closed


def test_a_save_during_a_close_is_refused_after_it(app, jw):
    c, a, waited, _ = run_held_then(app, closer(jw), saver(jw, "5", None))
    assert c.error is None and c.result is True
    assert waited, "the save did not wait for the close"
    assert isinstance(a.error, DomainError) and not isinstance(a.error, VersionConflict), a.error
    assert "закрыт" in str(a.error)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Mark.id))) == 0
    assert db.session.get(Period, jw.a.period.id).is_closed
