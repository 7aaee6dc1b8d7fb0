"""Two people at once, on PostgreSQL (tests/concurrency.py: a thread is held just before its
commit, so the other one provably runs against an uncommitted change):

- two teachers saving the same mark with the same version: one wins, the other waits for its row
  lock, reads the new version and gets the Russian conflict message; two inserting the same new
  mark: the unique key refuses the second, also as a conflict, never a 500;
- close_period while a save is in flight: the close waits for the save's commit; a save while a
  close is in flight waits for it and is refused — a mark never lands in a closed period.
"""
import pytest
from sqlalchemy import func, select

from models import Mark, Period, db
from services.errors import DomainError
from services.journal.grid_save import save_entries
from services.journal.payload import VersionConflict
from services.journal.periods import close_period
from tests.concurrency import needs_postgresql, run_held_then
from tests.factories import actor_of
from tests.journal_rules_fixtures import add_task, journal_world

# Real commits: threads with connections of their own (tests/concurrency.py).
pytestmark = [needs_postgresql, pytest.mark.real_commits]


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
    a, (b,), waited, _ = run_held_then(app, saver(jw, "5", 1), saver(jw, "3", 1))
    assert a.error is None
    assert waited, "the second save did not wait for the first one's row lock"
    assert isinstance(b.error, VersionConflict), b.error
    assert b.error.message == "Запись изменил другой пользователь — обновите страницу"
    db.session.expire_all()
    mark = db.session.scalar(select(Mark))
    assert (mark.value, mark.version) == ("5", 2)


def test_two_new_copies_of_one_mark_one_wins_the_other_gets_a_conflict(app, jw):
    a, (b,), waited, _ = run_held_then(app, saver(jw, "5", None), saver(jw, "2", None))
    assert a.error is None
    assert isinstance(b.error, VersionConflict), b.error
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Mark.id))) == 1
    assert db.session.scalar(select(Mark.value)) == "5"


def closer(ns):
    period_id = ns.a.period.id
    return lambda: close_period(actor_of("a.admin"), period_id, "2 четверть")


def test_a_close_waits_for_the_save_in_flight(app, jw):
    a, (c,), waited, released_at = run_held_then(app, saver(jw, "5", None), closer(jw))
    assert a.error is None and c.error is None and c.result is True
    assert waited and c.finished_at >= released_at, "the close did not wait for the save's commit"
    db.session.expire_all()
    assert db.session.scalar(select(Mark.value)) == "5"  # saved before the close
    assert db.session.get(Period, jw.a.period.id).is_closed


def test_a_save_during_a_close_is_refused_after_it(app, jw):
    c, (a,), waited, _ = run_held_then(app, closer(jw), saver(jw, "5", None))
    assert c.error is None and c.result is True
    assert waited, "the save did not wait for the close"
    assert isinstance(a.error, DomainError) and not isinstance(a.error, VersionConflict), a.error
    assert "закрыт" in str(a.error)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Mark.id))) == 0
    assert db.session.get(Period, jw.a.period.id).is_closed
