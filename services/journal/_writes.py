"""What the journal's writes share (private to services/journal): one transaction per call, written
to the audit as the actor; the row locks and the gates; the periods around a save; the words of
their messages.

Concurrency (issue 12: nothing a user typed is lost unnoticed):
- each mark, attendance and period mark carries a `version` that grows with every change (bumped
  on flush, whatever the path). A save reads the entries it changes under a row lock (SELECT … FOR
  UPDATE; SQLite: the database write lock) and refuses any whose version is not the one the page
  showed; the unique keys refuse a second copy of a new entry. A whole grid is still saved in a
  few multi-row statements.
- lessons and tasks carry SQLAlchemy's version counter (models.org.Versioned): the page sends only
  the fields the user changed, with the version it showed; a stale one is refused, and a change
  committed after the check fails the UPDATE's `WHERE version = …`. Both are a VersionConflict.
- a period mark and the marks under it: a grid save reads the students' period marks after
  passing their gates (student × subject) in shared mode, a period-mark save passes them in
  exclusive mode, so a mark is changed before the period mark is set or refused after it, never
  in between (_gate_period_marks).
- closing a period: a save passes the period's gate in shared mode, `close_period` in exclusive
  mode, and the save checks `is_closed` after it: a mark is saved before the close or refused
  after it, never inside a closed period, and the close waits only for the saves already in
  flight, whatever the load (_gated_periods).
The gates are PostgreSQL advisory transaction locks, which queue fairly (_gate); on SQLite the
database write lock serializes the writers.

Every write of the journal takes its locks in LOCK_ORDER (the general save, grid_save.py; the lean
marks save, marks_save.py, whose first statement passes both gates; a period-mark save; a close):
two saves of one teacher from two tabs wait for each other but never deadlock.
"""
from contextlib import contextmanager

from sqlalchemy import BigInteger, and_, false, func, literal, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from models import Period, Student, db
from models.dialect import is_concurrent_change, locked
from services import audit
from services.journal.payload import VersionConflict
from services.rules import trusted
from services.terms import term


# -- locks and the transaction ------------------------------------------------------------------

def _write_lock(connection):
    """SQLite locks the whole database: a write that changes nothing takes its write lock first
    (once per transaction), so what is read after it cannot change until this transaction ends."""
    if not connection.connection.dbapi_connection.in_transaction:
        connection.execute(update(Period.__table__).where(false()).values(is_closed=Period.__table__.c.is_closed))


def _locked(query, exclusive=False):
    """Rows read under a lock: shared (a save's periods) or exclusive (a close's period, the
    entries a save changes), read again after waiting, so a version or a flag compared after it
    is the current one (models/dialect.py: FOR SHARE / FOR UPDATE; SQLite: its write lock)."""
    return db.session.scalars(locked(query, read=not exclusive)).all()


def _gate(key, condition, order, exclusive):
    """Pass the gates `key` of the rows matching `condition` (taken in `order`, so that two
    transactions never wait for each other): shared, or exclusive; held until the transaction ends.

    PostgreSQL: advisory transaction locks. Unlike row locks they queue fairly: an exclusive request
    waits for the holders already in, and every request after it waits behind it — a stream of
    shared holders cannot starve it (row locks let new FOR SHARE lockers pass a waiting FOR UPDATE:
    a close waited up to a minute behind saves, issue 12). SQLite: the database write lock."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        _write_lock(connection)
        return
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    db.session.execute(select(lock(*key)).where(condition).order_by(order))


LOCK_ORDER = (
    "the periods' gates (_gated_periods; a close takes them exclusive)",
    "the students' period-mark gates (_gate_period_marks; a period-mark save takes them exclusive)",
    "the entries' rows: marks, then attendance (_locked, FOR UPDATE; the lean save's UPDATE)",
    "the period marks' rows",
)

PERIOD_GATE = 4150  # the first of a period's two advisory lock keys (the second is its id)


def _gated_periods(condition, exclusive=False):
    """The periods matching `condition`, read after passing their gates: a save holds them shared
    until it commits, a close or a reopen exclusively. So a close waits only for the saves already
    in flight, and the saves that come after it read the period closed and are refused."""
    _gate((PERIOD_GATE, Period.id), condition, Period.id, exclusive)
    return db.session.scalars(select(Period).where(condition).order_by(Period.id)
                              .execution_options(populate_existing=True)).all()


def _gate_period_marks(subject_id, student_ids, exclusive):
    """The gates of the students' period marks of a subject: shared for a save that checks its
    marks against them, exclusive for a save that sets them. So a mark is changed before a period
    mark is set over it, or refused after — never in between (issue 12). A key is the subject and
    the student in one bigint (PostgreSQL keeps it apart from the periods' two-int keys)."""
    if student_ids:
        key = literal(subject_id << 32, BigInteger) + Student.id
        _gate((key,), Student.id.in_(student_ids), Student.id, exclusive)


@contextmanager
def _transaction(actor):
    """One write, written to the audit as the actor; a version or key race → VersionConflict. It is a
    part of the caller's unit of work (services/uow.py): flushed here, committed by the request (the
    locks taken here are held until then)."""
    previous = audit.get_context()
    audit.set_context(actor.user_id or previous[0], actor.org_id or previous[1], previous[2])
    # The service checks its periods under their locks: the flush's closed-period rule is skipped.
    checked = trusted("a journal service checks its periods under their locks", "journal.closed_period")
    checked.__enter__()
    try:
        yield
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise VersionConflict() from None
    except (IntegrityError, DBAPIError) as exc:
        db.session.rollback()
        if is_concurrent_change(exc):
            raise VersionConflict() from None
        raise
    except BaseException:
        db.session.rollback()
        raise
    finally:
        checked.__exit__(None, None, None)
        audit.set_context(*previous)


class _Periods:
    """The organization's periods around the dates of a save, gated against a concurrent close."""

    def __init__(self, org_id, lessons=(), year_ids=()):
        dates = [lesson.date for lesson in lessons]
        ids = {lesson.period_id for lesson in lessons if lesson.period_id}
        cond = [Period.id.in_(ids)] if ids else []
        if dates:
            cond.append(and_(Period.start_date <= max(dates), Period.end_date >= min(dates)))
        if year_ids:
            cond.append(Period.year_id.in_(year_ids))
        rows = _gated_periods(and_(Period.org_id == org_id, or_(*cond))) if cond else []
        self.by_id = {p.id: p for p in rows}

    def of_lesson(self, lesson):
        if lesson.period_id:
            period = self.by_id.get(lesson.period_id)
            return [period] if period is not None else []
        return [p for p in self.by_id.values() if p.start_date <= lesson.date <= p.end_date]

    def closed_for(self, lesson):
        return next((p for p in self.of_lesson(lesson) if p.is_closed), None)

    def year_end_closed(self, year_id):
        """The last period of a year (by its end) closed: its year, exam and final marks are too."""
        periods = [p for p in self.by_id.values() if p.year_id == year_id]
        if not periods:
            return None
        last = max(p.end_date for p in periods)
        return next((p for p in periods if p.end_date == last and p.is_closed), None)


def _class_word(org):
    return term("class_gen", org)


def _name(student):
    return student.short_name if student is not None else "обучающийся"
