"""Where a job runs. `JOBS_BACKEND`:
- "auto" (the default): RQ when `REDIS_URL` is set and Redis answers, else "thread";
- "rq": the job's id goes to the RQ queue `JOBS_QUEUE` (default "journal") on Redis; a worker (`flask worker`
  or `rq worker`, services/jobs/worker.py) runs it; RQ runs it again after a transient failure (`Retry`); the jobs
  nobody runs (`core.orphans`: a worker killed mid-job, a lost message) go to the queue again with the next
  dispatch and when `flask worker` starts;
- "thread": a pool of `JOBS_THREADS` (2) threads in the app's process, each job in an app context of its own —
  the embedded set-up (`make run`) needs nothing more; a job whose process ended mid-way is claimed again
  by the next dispatch after STALE;
- "sync": run at once in the caller's thread, after its commit (tests, `flask` commands).
"""
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import redis
from flask import current_app
from rq import Queue, Retry

from models import db
from services.jobs import core, registry

log = logging.getLogger("journal.jobs")

_pool = None
_pool_lock = threading.Lock()
_redis_ok = {}  # REDIS_URL → (answered, when asked): asked again after a minute
RETRY_DELAYS = (2, 10, 30)  # seconds before a transient failure's next attempt


class RetryLater(Exception):
    """Raised inside an RQ worker: the job was queued again after a transient failure (RQ's Retry)."""


def redis_connection(url):
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)


def _redis_answers(url):
    known = _redis_ok.get(url)
    if known is not None and time.monotonic() - known[1] < 60:
        return known[0]
    try:
        answered = bool(redis_connection(url).ping())
    except Exception as exc:  # noqa: BLE001 — any failure: no Redis, the jobs run in-process
        log.warning("REDIS_URL does not answer (%s): jobs run in the app's process", type(exc).__name__)
        answered = False
    _redis_ok[url] = (answered, time.monotonic())
    return answered


def backend(config=None):
    config = config if config is not None else current_app.config
    chosen = config.get("JOBS_BACKEND") or "auto"
    if chosen == "auto":
        url = config.get("REDIS_URL")
        return "rq" if url and _redis_answers(url) else "thread"
    return chosen


def queue(config=None):
    """The RQ queue of the jobs."""
    config = config if config is not None else current_app.config
    return Queue(config.get("JOBS_QUEUE") or "journal", connection=redis_connection(config["REDIS_URL"]))


def dispatch(job_id, delay=0):
    """Hand the job to the backend (called after the unit that wrote its row committed). Redis failing now:
    the job runs in this process's threads instead (the page that started it never fails for that)."""
    app = current_app._get_current_object()
    chosen = backend(app.config)
    if chosen == "rq":
        try:
            _to_rq(app, job_id)
            for lost in core.orphans():  # left by a worker that died mid-job or a message Redis lost
                if lost != job_id:
                    _to_rq(app, lost)
            return
        except redis.RedisError as exc:
            log.warning("job %s: Redis refused it (%s), run in the app's process", job_id, type(exc).__name__)
            _redis_ok[app.config.get("REDIS_URL")] = (False, time.monotonic())
            chosen = "thread"
    if chosen == "sync":
        run_until_settled(job_id)
    else:
        pool = _thread_pool(app)
        pool.submit(_in_thread, app, job_id, delay)
        for lost in core.orphans():  # left by a process that ended: the claim lets one runner take each
            if lost != job_id:
                pool.submit(_in_thread, app, lost, 0)


def _to_rq(app, job_id):
    job = db.session.get(core.Job, job_id)
    retries = max(0, (job.max_attempts if job is not None else 1) - 1)
    q = queue(app.config)
    kwargs = dict(job_id=f"journal-{job_id}-{uuid.uuid4().hex[:8]}", result_ttl=3600, failure_ttl=86400,
                  job_timeout=app.config.get("JOBS_TIMEOUT", 3600), description=f"journal job {job_id}")
    if retries:
        delays = app.config.get("JOBS_RETRY_DELAYS", RETRY_DELAYS)
        kwargs["retry"] = Retry(max=retries, interval=list(delays[:retries]))
    q.enqueue("services.jobs.worker.perform", job_id, **kwargs)


def redispatch_orphans():
    """Dispatch again the jobs nobody runs (`core.orphans`): `flask worker` does it when it starts."""
    found = core.orphans(limit=1000)
    for job_id in found:
        dispatch(job_id)
    return len(found)


def run_until_settled(job_id):
    """Run the job, and again after each transient failure while its attempts last."""
    state = core.run(job_id)
    while state == core.QUEUED:
        state = core.run(job_id)
    return state


def _thread_pool(app):
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=int(app.config.get("JOBS_THREADS") or 2),
                                       thread_name_prefix="job")
        return _pool


def _in_thread(app, job_id, delay):
    if delay:
        time.sleep(delay)
    with app.app_context():
        try:
            state = core.run(job_id)
        except Exception:  # noqa: BLE001 — the claim or the finish itself failed (the database is gone)
            log.exception("job %s: the runner failed", job_id)
            state = None
        finally:
            db.session.remove()
        if state == core.QUEUED:
            _thread_pool(app).submit(_in_thread, app, job_id, RETRY_DELAYS[0])


registry.BACKEND["dispatch"] = dispatch
