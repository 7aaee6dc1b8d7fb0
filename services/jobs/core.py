"""Jobs: their rows, the one runner every backend calls, and the owner's reads.

A job's row is written by `enqueue` in the caller's unit of work and dispatched to a backend only after that
unit commits (`uow.after_commit`): a worker never looks for a row that is not there yet. `run(job_id)` claims
the job with one conditional UPDATE (queued → running; a running job whose heartbeat stopped STALE ago — its
process died — may be claimed again), so two workers, two app servers or a retried message never run it
twice. The work runs in its own unit of work with the owner's actor rebuilt (his user and organization now:
a right taken away since is taken away from his job too). Its outcome:
- done: the result (a file) stored in `job_result`;
- a DomainError: failed, with its Russian message;
- a transient database failure (the server gone, a deadlock, SQLite's lock): queued again while attempts
  remain (the backend runs it again), else failed with FAILED_DB;
- anything else: failed with FAILED (no detail for the user; the log keeps the traceback, never personal data).
"""
import json
import logging
import threading
import time
import unicodedata
import uuid
from contextlib import nullcontext
from datetime import timedelta

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.exc import OperationalError

from models import Job, JobResult, Organization, User, db, dialect, scope
from services import clock, database, metrics, uow
from services.context import Actor
from services.errors import DomainError
from services.jobs import registry

log = logging.getLogger("journal.jobs")

QUEUED, RUNNING, DONE, FAILED_STATE = "queued", "running", "done", "failed"
STATE_LABELS = {QUEUED: "в очереди", RUNNING: "выполняется", DONE: "готово", FAILED_STATE: "ошибка"}
KEEP_DAYS = 7
STALE = timedelta(minutes=5)  # a running job whose heartbeat is older: its process died
HEARTBEAT = 30.0  # seconds between two heartbeats of a running job (a thread of its runner, `_Heartbeat`)
LOST = timedelta(minutes=2)  # a job queued this long ago and not claimed: its dispatch was lost
PROGRESS_EVERY = 1.0  # seconds between two progress writes
FAILED = "Задание не выполнено из-за внутренней ошибки. Попробуйте повторить его; если ошибка повторится, " \
         "сообщите администратору (подробности — в журнале сервера)."
ABANDONED = "Задание прервано: обработчик заданий останавливался во время его выполнения столько раз, сколько " \
            "допускается попыток. Повторите его; если это повторится, сообщите администратору."
FAILED_DB = "Задание не выполнено: база данных была недоступна. Повторите его позже."


class Context:
    """What a running job gets besides its actor and parameters: `progress(done, total, text)`."""

    def __init__(self, job_id, kind):
        self.job_id = job_id
        self.kind = kind
        self._last = 0.0
        self.values = {}  # the last progress reported: written with the job's end whatever was written before

    def progress(self, done, total, text=""):
        self.values = dict(progress_done=done, progress_total=total, progress_text=(text or "")[:200])
        now = time.monotonic()
        if now - self._last < PROGRESS_EVERY and done < total:
            return  # throttled: at most one write a second, and always the last one
        self._last = now
        values = dict(self.values, heartbeat_at=clock.utcnow())
        statement = update(Job).where(Job.id == self.job_id).values(**values)
        if not self.kind.writes:
            db.session.execute(statement)
            uow.checkpoint("the page polls the progress while the job runs", expire=False)
        elif db.engine.dialect.name == "postgresql":
            # The job's writes stay in its own transaction; the progress goes through a connection of its own.
            with db.engine.begin() as conn:
                conn.execute(update(Job.__table__).where(Job.__table__.c.id == self.job_id).values(**values))
        # SQLite, a writing job: its write lock is held until it ends; the progress shows at the end.


def enqueue(actor, kind, params=None, title=None):
    """Write the job's row (flushed with the caller's unit) and dispatch it once the unit commits; returns
    its id. A user's job identical to one of his still queued or running (the same kind and parameters, in the
    same organization: a double click, a page sent twice) is not started again: that one's id is returned."""
    spec = registry.get(kind)
    if spec is None:
        raise ValueError(f"unknown job kind: {kind}")
    prune()
    encoded = json.dumps(params or {}, ensure_ascii=False, sort_keys=True)
    user_id = actor.user_id if actor is not None else None
    if user_id is not None:
        running = _active_twin(user_id, actor.org_id, kind, encoded)
        if running is not None:
            return running
    job = Job(id=uuid.uuid4().hex, org_id=actor.org_id if actor is not None else None,
              user_id=user_id, kind=kind,
              title=(title or spec.title)[:200], params=encoded,
              state=QUEUED, max_attempts=1 + spec.retries, created_at=clock.utcnow(),
              progress_done=0, progress_total=0, progress_text="", attempts=0, error="")
    db.session.add(job)
    db.session.flush()
    _dispatch_after_commit(job.id)
    return job.id


def _active_twin(user_id, org_id, kind, encoded):
    """The user's queued or running job of this kind with these parameters, or None. On PostgreSQL two
    requests of one user starting one kind wait for each other here (a transaction-scoped advisory lock): the
    second sees the first's row once it commits. SQLite: the database's write lock taken before the read
    (`dialect.locked`), the same order."""
    query = select(Job.id).where(
        Job.user_id == user_id, Job.kind == kind, Job.params == encoded, Job.state.in_((QUEUED, RUNNING)),
        Job.org_id.is_(None) if org_id is None else Job.org_id == org_id).limit(1)
    if db.session.connection().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"),
                           {"a": 20_2, "b": _lock_key(user_id, kind)})
    else:
        query = dialect.locked(query)
    return db.session.scalar(query)


def _lock_key(user_id, kind):
    """A stable signed 32-bit key of (user, kind) for the advisory lock."""
    value = (user_id * 1_000_003 + sum(ord(ch) * 31 ** i for i, ch in enumerate(kind))) % (2 ** 32)
    return value - 2 ** 32 if value >= 2 ** 31 else value


def _dispatch_after_commit(job_id):
    dispatch = registry.BACKEND["dispatch"]  # services/jobs/backends.py (which imports this module)
    uow.after_commit(lambda: dispatch(job_id))


def retry(actor, job_id):
    """«Повторить»: the actor's failed job queued again (its attempts counted afresh)."""
    job = own(actor, job_id)
    if job is None:
        return None
    if job.state != FAILED_STATE:
        raise DomainError("Повторить можно только задание, завершившееся ошибкой.")
    # The UPDATE is the check: of two «Повторить» (a double click, two tabs, two servers) one queues it again;
    # the other changes nothing — above all not the result of the run the first one started.
    again = db.session.execute(update(Job).where(Job.id == job_id, Job.state == FAILED_STATE).values(
        state=QUEUED, attempts=0, error="", progress_done=0, progress_total=0, progress_text="",
        started_at=None, finished_at=None).execution_options(synchronize_session=False)).rowcount
    if again != 1:
        raise DomainError("Задание уже поставлено в очередь повторно.")
    db.session.execute(delete(JobResult).where(JobResult.job_id == job_id))
    _dispatch_after_commit(job_id)
    return job_id


def _claim(job_id):
    """Queued → running (one runner wins); a running job whose runner died is taken over while its attempts
    last, else it is failed with ABANDONED (a job that kills its worker each time — memory, the RQ timeout —
    is not run for ever)."""
    now = clock.utcnow()
    dead = (Job.state == RUNNING) & (Job.heartbeat_at < now - STALE)
    claimed = db.session.execute(
        update(Job).where(Job.id == job_id, or_(Job.state == QUEUED, dead & (Job.attempts < Job.max_attempts)))
        .values(state=RUNNING, attempts=Job.attempts + 1, started_at=now, heartbeat_at=now, error="")
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.execute(update(Job).where(Job.id == job_id, dead, Job.attempts >= Job.max_attempts)
                           .values(state=FAILED_STATE, error=ABANDONED, finished_at=now)
                           .execution_options(synchronize_session=False))
    return claimed == 1


def _finish(job_id, state, error="", result=None, progress=None):
    with uow.unit():
        if result is not None:
            db.session.execute(delete(JobResult).where(JobResult.job_id == job_id))
            db.session.add(JobResult(job_id=job_id, file_name=file_name(result.file_name), mime=result.mime,
                                     size=len(result.content), content=result.content))
        db.session.execute(update(Job).where(Job.id == job_id).values(
            state=state, error=error, finished_at=clock.utcnow() if state in (DONE, FAILED_STATE) else None,
            heartbeat_at=clock.utcnow(), **(progress or {})).execution_options(synchronize_session=False))


def file_name(name, limit=200):
    """A result's file name as it is kept and sent: no folders, quotes or control characters (a kind may name it
    after a title someone typed), not hidden, its extension kept when it is cut to `limit`; Russian letters
    stay (the download sends them RFC 5987-encoded)."""
    name = "".join("_" if ch in '/\\"<>:|?*' or unicodedata.category(ch)[0] == "C" else ch for ch in str(name or ""))
    name = " ".join(name.split()).strip(" .") or "result"
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and 0 < len(ext) <= 10 else ""
        name = name[:limit - len(ext) - 1].rstrip(" .") + "." + ext if ext else name[:limit]
    return name


def _actor(job):
    org = db.session.get(Organization, job.org_id) if job.org_id is not None else None
    if job.user_id is None:
        return Actor.system_actor(org)
    user = db.session.get(User, job.user_id)
    if user is None or user.is_blocked:
        raise DomainError("Владелец задания больше не может работать в системе.")
    return Actor.for_user(user, job.org_id)


def _transient(exc):
    return isinstance(exc, OperationalError) or database.is_unavailable(exc)


class _Heartbeat:
    """While a job runs, a thread of its runner writes its `heartbeat_at` every HEARTBEAT seconds through a
    connection of its own: a job that runs long without reporting progress is never taken for one whose process
    died (and run a second time beside itself); a job whose process died stops beating and is claimed again
    STALE later. A beat that cannot be written (SQLite's write lock held by the job itself, a row lock on
    PostgreSQL) is skipped: the job holding that lock cannot be claimed meanwhile anyway."""

    def __init__(self, job_id):
        self.job_id = job_id
        self.engine = db.engine
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"job-heartbeat-{job_id[:8]}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(timeout=5)

    def _beat(self):
        table = Job.__table__
        while not self.stopped.wait(HEARTBEAT):
            try:
                with self.engine.begin() as conn:
                    if self.engine.dialect.name == "postgresql":
                        conn.execute(text("SET LOCAL lock_timeout = '2s'"))
                    conn.execute(update(table).where(table.c.id == self.job_id, table.c.state == RUNNING)
                                 .values(heartbeat_at=clock.utcnow()))
            except Exception as exc:  # noqa: BLE001 — a missed beat; the next one tries again
                log.info("job %s: heartbeat not written (%s)", self.job_id, type(exc).__name__)


def run(job_id):
    """Run the job once (every backend calls this). Returns its state after the run: "done", "failed",
    "queued" (a transient failure: to be run again) or None (not claimed: another runs or ran it)."""
    with uow.unit():
        if not _claim(job_id):
            return None
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    spec = registry.get(job.kind)
    attempts, max_attempts, kind_name = job.attempts, job.max_attempts, job.kind
    params = json.loads(job.params or "{}")
    try:
        if spec is None:
            raise LookupError(f"unknown job kind {kind_name}")
        ctx = Context(job_id, spec)
        with _Heartbeat(job_id), uow.unit():
            actor = _actor(job)
            with scope.organization(job.org_id) if job.org_id is not None else nullcontext(), \
                    database.long_statements():
                result = spec.fn(ctx, actor, params)
    except DomainError as exc:
        db.session.rollback()
        _finish(job_id, FAILED_STATE, str(exc) or FAILED)  # the message and its details, as a page shows them
        return FAILED_STATE
    except Exception as exc:  # noqa: BLE001 — every other failure is said to the user in Russian and logged
        db.session.rollback()
        if _transient(exc):
            log.warning("job %s (%s): transient database failure, attempt %s of %s: %s", job_id, kind_name,
                        attempts, max_attempts, type(exc).__name__)
            if attempts < max_attempts:
                _finish(job_id, QUEUED)
                return QUEUED
            _finish(job_id, FAILED_STATE, FAILED_DB)
            return FAILED_STATE
        log.exception("job %s (%s) failed", job_id, kind_name)
        _finish(job_id, FAILED_STATE, FAILED)
        return FAILED_STATE
    _finish(job_id, DONE, result=result, progress=ctx.values)
    return DONE


# The owner's reads ---------------------------------------------------------------------------------------

def _mine(actor):
    """The actor's jobs: his own, started in the organization he acts in now (a person with cards in two
    organizations does not reach one's jobs — their data — from the other)."""
    return (Job.user_id == actor.user_id) & (
        Job.org_id.is_(None) if actor.org_id is None else Job.org_id == actor.org_id)


def own(actor, job_id):
    """The actor's job (his own only: another's is None, as one that does not exist)."""
    if actor is None or actor.user_id is None or not is_job_id(job_id):
        return None
    return db.session.scalar(select(Job).where(Job.id == job_id, _mine(actor)))


def is_job_id(value):
    """A job's id as `enqueue` makes it: 32 lowercase hex digits."""
    return isinstance(value, str) and len(value) == 32 and all(ch in "0123456789abcdef" for ch in value)


def own_jobs(actor, limit=100):
    """The actor's jobs, the newest first, each with whether it has a result (one statement)."""
    rows = db.session.execute(
        select(Job, JobResult.file_name, JobResult.size).outerjoin(JobResult, JobResult.job_id == Job.id)
        .where(_mine(actor)).order_by(Job.created_at.desc(), Job.id).limit(limit)).all()
    return rows


def result_of(actor, job_id):
    """The finished job's result row, or None."""
    job = own(actor, job_id)
    if job is None or job.state != DONE:
        return None
    return db.session.get(JobResult, job_id)


def status(job):
    """The JSON a page polls."""
    return {"state": job.state, "label": STATE_LABELS.get(job.state, job.state), "done": job.progress_done,
            "total": job.progress_total, "text": job.progress_text, "error": job.error,
            "attempts": job.attempts}


def own_jobs_of_kind(actor, kind, limit=20):
    """The actor's most recent jobs of a kind, the newest first."""
    return db.session.scalars(select(Job).where(_mine(actor), Job.kind == kind)
                              .order_by(Job.created_at.desc()).limit(limit)).all()


def params_of(job):
    return json.loads(job.params or "{}")


def latest(actor, kind):
    """The actor's most recent job of a kind (a page shows it when opened again), or None."""
    return db.session.scalar(select(Job).where(_mine(actor), Job.kind == kind)
                             .order_by(Job.created_at.desc()).limit(1))


def queue_length():
    """Jobs waiting or running (for /metrics)."""
    return db.session.scalar(select(func.count(Job.id)).where(Job.state.in_((QUEUED, RUNNING))))


def counts_by_kind(state):
    """{((("kind", kind),)): number} of the jobs in `state`, read from the database (every app server scraped
    answers the installation's numbers); every registered kind is present, 0 when none."""
    found = dict(db.session.execute(select(Job.kind, func.count(Job.id)).where(Job.state == state)
                                    .group_by(Job.kind)).all())
    return {(("kind", kind),): found.get(kind, 0) for kind in sorted(set(registry.KINDS) | set(found))}


metrics.register_gauge("jobs_queued", "Background jobs waiting to be run, by kind (the database's count).",
                       lambda: counts_by_kind(QUEUED))
metrics.register_gauge("jobs_running", "Background jobs being run, by kind (the database's count).",
                       lambda: counts_by_kind(RUNNING))


def orphans(limit=10):
    """Jobs nobody will run unless dispatched again: queued LOST ago (the process that was to run it ended, Redis
    lost its message) or running with a heartbeat older than STALE (its process died)."""
    now = clock.utcnow()
    return list(db.session.scalars(select(Job.id).where(or_(
        (Job.state == QUEUED) & (Job.created_at < now - LOST),
        (Job.state == RUNNING) & (Job.heartbeat_at < now - STALE))).order_by(Job.created_at).limit(limit)))


def prune():
    """Remove the finished jobs created more than KEEP_DAYS ago (their results go with them)."""
    limit = clock.utcnow() - timedelta(days=KEEP_DAYS)
    old = select(Job.id).where(Job.created_at < limit, Job.state.in_((DONE, FAILED_STATE)))
    db.session.execute(delete(JobResult).where(JobResult.job_id.in_(old)))
    db.session.execute(delete(Job).where(Job.id.in_(old)).execution_options(synchronize_session=False))
