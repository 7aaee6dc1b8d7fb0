"""Several app servers (issue 20.3, docs/DEPLOYMENT.md): two real gunicorn processes on two ports against ONE
database (a SQLite file; on PostgreSQL a throwaway database beside DATABASE_URL's) with one SECRET_KEY. Nothing
a request needs is in one process's memory: a login and its cookie made on one server work on the other, a
save made on one is seen on the other, the login throttle counts the failures made on both, a logout on one
ends the session on the other; with Redis on the machine, /metrics of one counts the requests of both.

The servers live on the tests' day: FROZEN_TODAY (app.py) freezes their services.clock as conftest freezes
this process's. The jobs package adds its case («a job started on 1 is polled and downloaded on 2») in
`test_a_job_crosses_servers` below.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from flask_migrate import upgrade

from app import create_app
from models import db
from services import metrics
from tests.conftest import TEST_PASSWORD, TEST_TODAY
from tests.factories import build_world, journal, jr_task
from tests.helpers import real_clock_environ

ROOT = Path(__file__).resolve().parents[1]
SECRET = "two-servers-shared-secret"
START_TIMEOUT = 20  # seconds for both servers to listen


REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis():
    """The machine's Redis (for the shared metrics), or None without it or its package."""
    if metrics.redis is None:
        return None
    client = metrics.redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except Exception:  # noqa: BLE001
        return None
    return client


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database(tmp_path):
    """(url, drop): a fresh database for the servers, committed to for real (not the suite's transaction)."""
    base = os.environ.get("DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'shared.db'}", lambda: None
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'postgres'}_two_servers"
    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))

    def run(sql):
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), lambda: run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Client:
    """One browser: its session cookie (sent to whichever server it is given), no redirects followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self):
        self.cookie = None
        self.opener = urllib.request.build_opener(self._NoRedirect)

    def request(self, base, path, data=None, headers=None):
        body = urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(base + path, data=body, headers=dict(headers or {}))
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        try:
            resp = self.opener.open(req, timeout=15)
        except urllib.error.HTTPError as exc:
            resp = exc
        for header in resp.headers.get_all("Set-Cookie") or []:
            name_value = header.split(";", 1)[0]
            if name_value.startswith("journal_session="):
                self.cookie = name_value if name_value != "journal_session=" else None
        return resp.status, resp.headers, resp.read().decode(errors="replace")  # a download: not text

    def csrf(self, base, path="/login"):
        status, _, html = self.request(base, path)
        match = re.search(r'name="csrf-token" content="([^"]+)"', html) or \
            re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, (status, html[:300])
        return match.group(1)

    def login(self, base, login, password=TEST_PASSWORD, token_from=None):
        token = self.csrf(token_from or base)
        return self.request(base, "/login", {"login": login, "password": password, "csrf_token": token})


@pytest.fixture
def shared(tmp_path):
    """The database both servers use, with the tests' world and a journal with a task to mark."""
    url, drop = _database(tmp_path)
    setup = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": SECRET,
                        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 64, "parallelism": 1}})
    with setup.app_context():
        upgrade()
        world = build_world()
        subject, assignment, lessons = journal(world)
        task = jr_task(lessons[0])
        db.session.commit()
        ids = {"assignment": assignment.id, "period": world.a.period.id, "task": task.id,
               "student": world.a.student.id}
        db.session.remove()
    try:
        yield url, ids
    finally:
        with setup.app_context():
            db.engine.dispose()
        drop()


@pytest.fixture
def servers_env(request):
    """What a test adds to the servers' environment (`indirect` parametrization), {} by default."""
    return dict(getattr(request, "param", None) or {})


@pytest.fixture
def server_environment(shared, tmp_path, servers_env):
    """The environment of every process of the installation (the servers, a worker)."""
    url, _ = shared
    # the real clock: under CI's libfaketime gunicorn's sleeps fail (EINVAL); the app's day is FROZEN_TODAY
    env = {**real_clock_environ(), "DATABASE_URL": url, "SECRET_KEY": SECRET, "FROZEN_TODAY": TEST_TODAY.isoformat(),
           "LOG_FORMAT": "json", "FILES_DIR": str(tmp_path / "files"), "SLIPS_DIR": str(tmp_path / "slips"),
           "IMPORT_DIR": str(tmp_path / "imports"), "ARCHIVE_DIR": str(tmp_path / "archive"),
           # the jobs' RQ queue of this run alone (never the installation's «journal» on this machine's Redis)
           "JOBS_QUEUE": f"journal-test-{uuid.uuid4().hex[:12]}"}
    env.pop("REDIS_URL", None)
    env.pop("JOBS_BACKEND", None)
    if _redis() is not None:  # the metrics' counters in Redis, under this run's own key
        env.update(REDIS_URL=REDIS_URL, METRICS_REDIS_KEY=f"journal:test:{uuid.uuid4().hex}:")
    env.update(servers_env)
    yield env
    client = _redis()
    if client is not None:
        client.delete(*client.keys(f"rq:queue:{env['JOBS_QUEUE']}*") or ["-"])


@pytest.fixture
def servers(server_environment, tmp_path):
    """Two gunicorn processes on two free ports; stopped (their process groups: SIGINT, then SIGKILL) at the end."""
    env = server_environment
    redis_key = env.get("METRICS_REDIS_KEY") if env.get("REDIS_URL") else None
    started = []
    for number in (1, 2):
        port = _free_port()
        log = open(tmp_path / f"server{number}.log", "w+")
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
             "--timeout", "30", "app:create_app()"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append((proc, port, log))
    try:
        deadline = time.monotonic() + START_TIMEOUT
        for proc, port, log in started:
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    pytest.fail(f"server on {port} exited: {log.read()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"server on {port} did not answer in {START_TIMEOUT} s")
                time.sleep(0.1)
        yield [f"http://127.0.0.1:{port}" for _, port, _ in started], [log for *_, log in started], redis_key
    finally:
        if redis_key:
            _redis().delete(*(redis_key + name for name in ("requests", "seconds", "buckets")))
        for proc, _, log in started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)  # gunicorn: quick shutdown
        for proc, _, log in started:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            log.close()


def _signed_in(client, base):
    status, headers, _ = client.request(base, "/")
    return status == 200 or (status == 302 and "/login" not in headers.get("Location", ""))


def test_a_login_a_save_the_throttle_and_a_logout_cross_two_servers(shared, servers):
    (one, two), logs, redis_key = servers
    _, ids = shared

    # a login on server 1 (with a form token got from server 2: CSRF is the shared key's, not a process's)
    teacher = Client()
    status, headers, _ = teacher.login(one, "a.teacher", token_from=two)
    assert status == 302 and "/login" not in headers["Location"]
    assert _signed_in(teacher, two), "the cookie of server 1 opens server 2"

    # a save on server 1 (the journal grid's), seen on server 2
    token = teacher.csrf(one, "/")
    payload = {"marks": [{"task_id": ids["task"], "student_id": ids["student"], "value": "4", "version": None}]}
    status, _, body = teacher.request(one, f"/journal/{ids['assignment']}/save",
                                      {"payload": json.dumps(payload), "period_id": ids["period"], "csrf_token": token},
                                      {"X-Requested-With": "fetch"})
    assert status == 200 and json.loads(body)["ok"], body
    # server 2 knows the mark: the same new mark sent there is a stale edit (a mark is already in the cell)
    status, _, body = teacher.request(two, f"/journal/{ids['assignment']}/save",
                                      {"payload": json.dumps(payload), "period_id": ids["period"],
                                       "csrf_token": teacher.csrf(two, "/")}, {"X-Requested-With": "fetch"})
    assert status == 409 and not json.loads(body)["ok"], (status, body)

    # the throttle: 5 failures of one account from one address lock it, made 3 on server 1 and 2 on server 2
    stranger = Client()
    for base in (one, two, one, two, one):
        status, _, html = stranger.login(base, "a.deputy", "wrong-password")
        assert status == 401 and "Неверный логин или пароль" in html
    status, _, html = stranger.login(two, "a.deputy")  # the right password, on the other server
    assert status in (401, 429) and "Слишком много неудачных попыток входа" in html, status

    # a logout on server 2 ends the session on server 1: the cookie it had no longer opens anything
    stale = Client()
    stale.cookie = teacher.cookie
    status, _, _ = teacher.request(two, "/logout", {"csrf_token": teacher.csrf(two, "/")})
    assert status == 302
    assert not _signed_in(stale, one)

    # with Redis the metrics are the installation's: server 2 counts the login made on server 1
    if redis_key:
        with urllib.request.urlopen(f"{two}/metrics", timeout=5) as resp:
            text = resp.read().decode()
        assert 'journal_http_requests_total{endpoint="auth.login",method="POST",status="302"} 1' in text, text
        assert re.search(r'journal_http_requests_total\{endpoint="auth.login",method="POST",status="401"\} [56]$',
                         text, re.M), text

    # each server wrote its request lines, JSON without personal data
    for log in logs:
        log.seek(0)
        lines = [json.loads(line) for line in log.read().splitlines() if line.startswith("{")]
        assert lines and all("a.teacher" not in json.dumps(line) for line in lines)


ARCHIVE_YEAR = f"{TEST_TODAY.year}/{TEST_TODAY.year + 1}"


def _start_archive(client, base):
    """«Сформировать архив всех классов» on `base`: the job's id (from the page it redirects to)."""
    status, headers, _ = client.request(base, f"/journal-archive/all?year={ARCHIVE_YEAR}",
                                        {"csrf_token": client.csrf(base, "/journal-archive/")})
    assert status == 302 and "job=" in headers["Location"], (status, headers)
    return headers["Location"].split("job=")[1].split("&")[0]


def _poll(client, base, job_id, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        status, _, body = client.request(base, f"/jobs/status/{job_id}")
        assert status == 200, (status, body[:300])
        state = json.loads(body)
        if state["state"] in ("done", "failed") or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def _download_checked(client, base, job_id, state):
    assert state["state"] == "done", state
    assert state["done"] == state["total"] >= 1 and state["download"] == f"/jobs/download/{job_id}"
    status, headers, _ = client.request(base, state["download"])
    assert status == 200 and headers["Content-Type"] == "application/zip", (status, headers)
    assert headers["Content-Disposition"].startswith("attachment;") and ".zip" in headers["Content-Disposition"]
    status, _, _ = client.request(base, f"/journal-archive/download/{job_id}")
    assert status == 200
    status, _, page = client.request(base, "/jobs/")
    assert status == 200 and "Архив журналов всех классов за " + ARCHIVE_YEAR in page


def _worker(env, tmp_path, *command):
    """A third process of the installation: a worker run until the queue is empty."""
    done = subprocess.run(list(command), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    return done


@pytest.mark.parametrize("servers_env", [{"JOBS_BACKEND": "thread"}], indirect=True, ids=["threads"])
def test_a_job_crosses_servers(shared, servers):
    """Without Redis (the app's threads): the journal archive started through server 1 runs in server 1's
    process; server 2 polls its status, lists it and hands out its result, read from the database; another
    user sees nothing of it on either."""
    (one, two), _, _ = servers
    deputy = Client()
    deputy.login(one, "a.deputy")
    job_id = _start_archive(deputy, one)
    _download_checked(deputy, two, job_id, _poll(deputy, two, job_id))
    for login in ("a.teacher", "b.deputy"):
        other = Client()
        other.login(two, login)
        for path in (f"/jobs/status/{job_id}", f"/jobs/download/{job_id}"):
            assert other.request(one, path)[0] == 404 and other.request(two, path)[0] == 404, (login, path)
        # the archive's own URL: 404, or 403 to a role without the archive page at all (whatever the id)
        for base in (one, two):
            assert other.request(base, f"/journal-archive/download/{job_id}")[0] in (403, 404), login


@pytest.mark.parametrize("servers_env", [{"JOBS_BACKEND": "rq"}], indirect=True, ids=["rq"])
def test_a_job_crosses_servers_through_rq_and_a_worker(shared, servers, server_environment, tmp_path):
    """With Redis: started through server 1 (and again through server 2 — a double click on two servers is one
    job), queued in RQ, run by a worker process of its own (`flask worker --burst`), polled and downloaded through
    server 2; a second through `rq worker -w services.jobs.worker.AppWorker`."""
    if _redis() is None:
        pytest.skip("no Redis on 127.0.0.1:6379")
    (one, two), _, _ = servers
    env = server_environment
    deputy = Client()
    deputy.login(one, "a.deputy")
    job_id = _start_archive(deputy, one)
    assert _start_archive(deputy, two) == job_id, "the same job still queued: not started twice"
    status, _, body = deputy.request(two, f"/jobs/status/{job_id}")
    assert status == 200 and json.loads(body)["state"] == "queued"
    _worker(env, tmp_path, sys.executable, "-m", "flask", "--app", "app", "worker", "--burst")
    state = _poll(deputy, two, job_id, seconds=5)
    assert state["attempts"] == 1
    _download_checked(deputy, two, job_id, state)

    # The documented `rq worker` with the app's worker class, on the queue the servers were given.
    status, _, _ = deputy.request(two, "/logout", {"csrf_token": deputy.csrf(two, "/")})
    admin = Client()
    admin.login(two, "a.admin")
    second = _start_archive(admin, two)
    assert second != job_id
    _worker(env, tmp_path, str(Path(sys.executable).parent / "rq"), "worker", "--burst", "-w",
            "services.jobs.worker.AppWorker", "--url", env["REDIS_URL"], env["JOBS_QUEUE"])
    _download_checked(admin, one, second, _poll(admin, one, second, seconds=5))
