"""One unit of work (issue 14): services only flush; one place commits.

- a request: `App.dispatch_request` (app.py) runs the endpoint in `unit()` — its writes are committed
  once when it returns (a GET/HEAD is read-only: nothing is committed, the session is discarded at
  teardown as before), rolled back when it raises; app.py's error handlers then turn the error (a
  DomainError, a stale version, a busy database) into the Russian page or message, once;
- a CLI command: `command` wraps it the same way, and a DomainError it does not answer itself
  becomes the Russian message on stderr and exit code 1 (so does a database without the program's tables);
- a background job (services/jobs/): its own `unit()`.

`after_commit(fn)`: run `fn()` once the current unit has committed (a job is dispatched to its queue only
when its row is there for the worker to read); dropped if the unit rolls back.

Where work must commit in the middle, it says so with `checkpoint(reason)` (what the unit has done so
far is kept whatever follows: a login throttle counter, an audit row of a refused attempt) or `step()`
(one transaction of multi-transaction work, such as a step of the year rollover). Nothing else in
services/, admin_views/, reports/ or app.py calls `commit()` (tests/test_unit_of_work.py checks it).
"""
import functools
from contextlib import contextmanager


from models import db
from services import database
from services.errors import CommandError, DomainError


_PENDING = "uow_after_commit"


def after_commit(fn):
    """Call `fn()` after the current unit commits (not at all if it rolls back)."""
    db.session.info.setdefault(_PENDING, []).append(fn)


def _run_after_commit():
    pending = db.session.info.pop(_PENDING, None) or ()
    for fn in pending:
        fn()


@contextmanager
def unit(read_only=False):
    """The work of one request, command or job: committed when the block ends (`read_only`: left to
    be discarded at teardown), rolled back and re-raised when it raises or the commit fails."""
    try:
        yield
        if not read_only or db.session.info.get(_PENDING):
            db.session.commit()
    except BaseException:
        db.session.info.pop(_PENDING, None)
        db.session.rollback()
        raise
    _run_after_commit()


@contextmanager
def step():
    """One transaction of multi-transaction work: committed when the block ends, rolled back (and
    re-raised) whatever breaks it; the units' boundaries were chosen for concurrency (locks held until
    the step commits), so each step keeps its own."""
    with unit():
        yield


def checkpoint(reason, expire=True):
    """Commit what the unit has done so far, for `reason` (said at the call: it must persist whatever
    the rest of the unit does). `expire=False`: what is loaded stays loaded (no reload per row)."""
    assert reason, "a checkpoint says why it commits"
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = expire and previous
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous


def rollback():
    """Discard what the unit has done so far (a refused attempt answered by the page itself)."""
    db.session.info.pop(_PENDING, None)
    db.session.rollback()


def command(fn):
    """A CLI command's unit of work: committed when it ends, rolled back when it fails; a DomainError
    it does not answer itself is printed (Russian) to stderr with exit code 1."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            with unit():
                return fn(*args, **kwargs)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        except Exception as exc:
            if database.is_missing_schema(exc):
                raise CommandError(database.NO_SCHEMA) from None
            raise
    return run
