"""Races of issue 12 on PostgreSQL, where the locks are the point (tests/concurrency.py):

- two saves of one lesson's topic made from the same version: the second waits for the first and
  is refused (its UPDATE … WHERE version = … matches nothing), never written over it;
- a period mark and the marks under it: a mark is changed before the period mark is set, or
  refused after it — after the period mark commits, no mark under it changes;
- closing a period while teachers save into it: the close finishes within a second or two, and
  every save after it is refused.
"""
import threading
import time

import pytest
from sqlalchemy import select

from models import Lesson, Mark, PeriodMarkKind, db
from services import uow
from services.errors import DomainError
from services.journal import marks_save
from services.journal.grid_save import save_entries
from services.journal.payload import GridPayload, VersionConflict
from services.journal.period_marks import set_period_mark
from services.journal.periods import close_period
from tests.concurrency import BLOCKED, WAIT, Worker, needs_postgresql, run_held_then
from tests.factories import actor_of
from tests.journal_rules_fixtures import big_class, journal_world, new_task

# Real commits: threads with connections of their own (tests/concurrency.py).
pytestmark = [needs_postgresql, pytest.mark.real_commits]

PERIOD_MARK_SET = "отметка за период уже выставлена"


@pytest.fixture
def big(world):
    ns = journal_world(world)
    big = big_class(ns, count=8)
    big.ns = ns
    return big


def make_tasks(big, count, lesson=None):
    """`count` tasks on a lesson of the big class (as its teacher); their ids."""
    lesson = lesson or big.lessons[0]
    result = save_entries(actor_of("a.big_teacher"), big.assignment.id,
                          {"tasks": [new_task(big.ns, lesson, f"k{n}") for n in range(count)]})
    return [result.task_ids[f"k{n}"] for n in range(count)]


def marks_of(student_ids, session=None):
    session = session or db.session
    return sorted(session.execute(select(Mark.task_id, Mark.student_id, Mark.value, Mark.version)
                                  .where(Mark.student_id.in_(student_ids))).all())


# -- a lesson's topic ---------------------------------------------------------------------------------------

def test_two_topics_saved_from_one_version_the_second_is_refused_after_waiting(app, big):
    lesson_id, assignment_id = big.lessons[0].id, big.assignment.id

    def topic(text):
        return lambda: save_entries(actor_of("a.big_teacher"), assignment_id, {"lessons": [
            {"lesson_id": lesson_id, "version": 1, "topic": text}]})
    a, (b,), waited, _ = run_held_then(app, topic("Дроби"), topic("Проценты"))
    assert a.error is None
    assert waited, "the second save did not wait for the first one's row"
    assert isinstance(b.error, VersionConflict), b.error
    db.session.expire_all()
    lesson = db.session.get(Lesson, lesson_id)
    assert (lesson.topic, lesson.version) == ("Дроби", 2)


# -- a period mark and the marks under it ---------------------------------------------------------------------

def period_mark(big, student_id, value="5"):
    ids = (student_id, big.ns.math.id, big.ns.a.year.id, big.ns.a.period.id)
    return lambda: set_period_mark(actor_of("a.big_teacher"), ids[0], ids[1], ids[2], PeriodMarkKind.PERIOD.value,
                                   ids[3], value)


def mark_change(big, task_id, student_id, value, version):
    """`big`: the world, or the assignment's id read before (a saver's thread must not load what the test's session
    expired: that session is the main thread's)."""
    assignment_id = big if isinstance(big, int) else big.assignment.id
    return lambda: save_entries(actor_of("a.big_teacher"), assignment_id, {"marks": [
        {"task_id": task_id, "student_id": student_id, "value": value, "version": version}]})


def test_a_mark_change_during_a_period_mark_waits_for_it_and_is_refused(app, big):
    task_id = make_tasks(big, 1)[0]
    student_id = big.students[0].id
    mark_change(big, task_id, student_id, "4", None)()
    p, (g,), waited, _ = run_held_then(app, period_mark(big, student_id), mark_change(big, task_id, student_id, "2", 1))
    assert p.error is None
    assert waited, "the mark change did not wait for the period mark"
    assert isinstance(g.error, DomainError) and PERIOD_MARK_SET in str(g.error), g.error
    assert [row[2] for row in marks_of([student_id])] == ["4"]


def test_a_period_mark_during_a_mark_change_waits_for_it(app, big):
    task_id = make_tasks(big, 1)[0]
    student_id = big.students[0].id
    mark_change(big, task_id, student_id, "4", None)()
    g, (p,), waited, released_at = run_held_then(app, mark_change(big, task_id, student_id, "2", 1),
                                              period_mark(big, student_id))
    assert g.error is None and p.error is None
    assert waited and p.finished_at >= released_at, "the period mark did not wait for the mark change"
    assert [row[2] for row in marks_of([student_id])] == ["2"]


class Saver(threading.Thread):
    """Saves one mark cell again and again (keeping its version) until it is refused or stopped;
    `accepted` counts the saves that went in."""

    def __init__(self, app, fn_of, stop):
        super().__init__(daemon=True)
        self.app, self.fn_of, self.stop = app, fn_of, stop
        self.version, self.accepted, self.refused, self.errors = None, 0, None, []

    def run(self):
        values = ("4", "5")
        with self.app.app_context():
            while not self.stop.is_set() and self.refused is None:
                try:
                    with uow.unit():  # as a request runs it
                        result = self.fn_of(values[self.accepted % 2], self.version)()
                    self.version = next(iter(result.versions["marks"].values()))
                    self.accepted += 1
                except VersionConflict as exc:  # a deadlock victim; never expected here
                    self.errors.append(exc)
                except DomainError as exc:
                    self.refused = exc
                finally:
                    db.session.remove()


def start_saving(savers):
    """Start the savers and wait until each has a save in: the race is on."""
    # The test's own work so far, before the savers (requests) see it; what it holds stays loaded (the
    # savers read it from their threads).
    uow.checkpoint("the test's work before the savers", expire=False)
    for saver in savers:
        saver.start()
    wait_for(savers, lambda s: s.accepted or s.refused)
    assert all(s.accepted for s in savers), [s.refused for s in savers]


def stop_saving(savers, stop):
    """Let every saver meet the refusal (its next save after the change), then stop them all."""
    wait_for(savers, lambda s: s.refused is not None or s.errors)
    stop.set()
    for saver in savers:
        saver.join(WAIT)


def wait_for(savers, condition):
    limit = time.monotonic() + WAIT
    while not all(condition(s) for s in savers) and time.monotonic() < limit:
        time.sleep(0.02)


def test_after_a_period_mark_commits_no_mark_under_it_changes(app, big):
    """Teachers' saves hammer one student's marks while his period mark is set, round after round:
    the marks at the period mark's commit (read inside its transaction) are the marks for good."""
    tasks = make_tasks(big, 4)
    assignment_id = big.assignment.id
    for round_, student in enumerate(big.students[:5]):
        stop = threading.Event()
        savers = [Saver(app, lambda value, version, t=t, s=student.id: mark_change(assignment_id, t, s, value, version),
                        stop) for t in tasks]
        start_saving(savers)
        snapshot = []
        setter = Worker(app, period_mark(big, student.id),
                        at_commit=lambda session, s=student.id: snapshot.extend(marks_of([s], session)))
        setter.start()
        setter.join(WAIT)
        stop_saving(savers, stop)
        assert setter.error is None, setter.error
        assert all(not s.errors for s in savers), [s.errors for s in savers]
        assert all(s.refused is not None and PERIOD_MARK_SET in str(s.refused) for s in savers), \
            [s.refused for s in savers]
        db.session.expire_all()
        assert marks_of([student.id]) == snapshot, f"round {round_}: a mark changed after the period mark"


# -- closing a period under load ------------------------------------------------------------------------------------

def test_a_close_under_a_stream_of_saves_finishes_at_once_and_refuses_the_saves_after_it(app, big):
    lessons = big.lessons[:4]
    tasks = [make_tasks(big, 1, lesson)[0] for lesson in lessons]
    cells = [(t, s.id) for t in tasks for s in big.students[:3]]  # 12 savers, each its own cell
    stop = threading.Event()
    savers = [Saver(app, lambda value, version, c=c: mark_change(big, c[0], c[1], value, version), stop)
              for c in cells]
    start_saving(savers)
    time.sleep(0.2)
    snapshot = []
    period_id, student_ids = big.ns.a.period.id, [s.id for s in big.students]
    closer = Worker(app, lambda: close_period(actor_of("a.admin"), period_id, "2 четверть"),
                    at_commit=lambda session: snapshot.extend(marks_of(student_ids, session)))
    started = time.monotonic()
    closer.start()
    closer.join(WAIT)
    took = time.monotonic() - started
    stop_saving(savers, stop)
    assert closer.error is None and closer.result is True, closer.error
    assert took < 2, f"the close took {took:.1f} s under {len(savers)} saving threads"
    assert all(s.refused is not None and "закрыт" in str(s.refused) for s in savers), [s.refused for s in savers]
    db.session.expire_all()
    assert marks_of(student_ids) == snapshot, "a mark changed after the period was closed"


# -- two tabs of one teacher: the lean marks save and a save with period marks -----------------------------------

def test_a_lean_save_and_a_save_setting_period_marks_take_their_locks_in_one_order(app, big, monkeypatch):
    """The lean save (services/journal/marks_save.py) holds the period-mark gates when it reaches the marks' rows; a
    general save that sets a period mark must take those gates before the rows too (_writes.LOCK_ORDER), else one
    holds a mark's row waiting for the gate the other holds while waiting for that row: a deadlock, one of the two
    refused. Held between the lean save's gates and its UPDATE, the general save starts; both must be saved."""
    task_id = make_tasks(big, 1)[0]
    s1, s2 = big.students[0].id, big.students[1].id
    assignment_id, period_id = big.assignment.id, big.ns.a.period.id
    save_entries(actor_of("a.big_teacher"), assignment_id, {"marks": [
        {"task_id": task_id, "student_id": s, "value": "4", "version": None} for s in (s1, s2)]})
    gated, go = threading.Event(), threading.Event()
    gates = marks_save._LeanSave._gates

    def held_gates(self):
        gates(self)
        gated.set()
        go.wait(WAIT)

    monkeypatch.setattr(marks_save._LeanSave, "_gates", held_gates)
    lean = Worker(app, lambda: marks_save.save_marks(actor_of("a.big_teacher"), assignment_id, period_id,
                                                     GridPayload.from_dict({"marks": [
                                                         {"task_id": task_id, "student_id": s1, "value": "5",
                                                          "version": 1}]})))
    lean.start()
    assert gated.wait(WAIT), "the lean save never passed its gates"
    general = Worker(app, lambda: save_entries(actor_of("a.big_teacher"), assignment_id, {
        "marks": [{"task_id": task_id, "student_id": s2, "value": "3", "version": 1}],
        "period_marks": [{"student_id": s1, "kind": PeriodMarkKind.PERIOD.value, "period_id": period_id,
                          "value": "4", "version": None}]}))
    general.start()
    time.sleep(BLOCKED)  # the general save is now waiting: for the gate (one order) or with the rows (deadlock)
    go.set()
    lean.join(WAIT)
    general.join(WAIT)
    assert lean.error is None and lean.result is True, lean.error
    assert general.error is None, general.error
    assert [(row[1], row[2]) for row in marks_of([s1, s2])] == [(s1, "5"), (s2, "3")]
