"""The load test: gunicorn with 2 workers on a PostgreSQL database loaded with the data set, on a
free loopback port; simulated teachers save marks and parents read diaries, all logged in through
`/login`; then a consistency check against the database.

    python -m bench.load [--duration 60] [--teachers 50] [--parents 50] [--size large|tiny]
    python -m bench.load --contention [--duration 20] [--pairs 8] [--threads 16] [--size large|tiny]

Alone it creates a throwaway PostgreSQL database, loads the set, runs and drops the database;
`make bench` (bench/run.py) calls `run_load()` on the database it has already loaded.

A teacher logs in, GETs his journal (the CSRF token and the versions of the cells, parsed from the
page), then POSTs saves of 1–3 changed marks of one lesson in a loop, keeping the versions
himself (each accepted change raises a cell's version by one). A parent logs in and GETs his
child's diary week after week in a loop. Threads with the standard library's `http.client`, one
connection per request (gunicorn's sync workers close it anyway). The load stops by itself after
`--duration` seconds (at most 60 by default; logins come before and are not timed).

Consistency: every save the server accepted (HTTP 200, ok) must be in the database — each cell
holds the last value its client saved and exactly the version the client counted (no update
lost, none applied twice) — and no cell (task, student) has two marks. A save that failed
without an answer (a timeout) may or may not have been applied: its cell is left out of the
check and counted as «неясно».

Contention (issue 12; `--contention [--pairs 8] [--threads 16]`): instead of that load, two
sessions of each of `--pairs` teachers work on the same lesson — the same mark cells, and its topic
(the first session) and homework (the second), each with the versions its page showed, as
static/journal.js sends them; a 409 makes a session take the page again. Through gunicorn with
threaded workers. At 60 % of the time the administrator closes their period by the periods list's
action, as saves keep coming. Checked: every change accepted is in the database or replaced by a
later accepted change of the same field («потеряно»), no two were accepted from one version
(«дублей»), none was accepted after the close answered nor reached the database after it
(«поздних записей») — all must be 0 — and the close's time.

Login throttling (services/people/accounts.py) counts only failed logins (per login, and per address
with 50 free failures that it forgets at one a minute); a successful login adds nothing, so 100
logins from 127.0.0.1 pass without any bypass, and none is added to the application. The test
logs in with the right passwords only; a refused login counts as an error.
"""
import argparse
import html
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.dataset import (OUT, PASSWORD, ROOT, TODAY_ENV, BenchError, Config, dispose, log, prepare, set_today,
                           targets)
from bench.measure import percentile

REQUEST_TIMEOUT = 30
# Logins (a password hash each) and the first pages, before the timed load, go a few at a time: a hundred at
# once queue behind two workers past the request timeout on a busy machine.
LOGINS = threading.Semaphore(4)


# -- HTTP -------------------------------------------------------------------------------------------------

class Session:
    """One user's cookies against the server; a new connection per request."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.csrf = None

    def request(self, method, path, form=None, headers=None, keep_cookies=True):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            body = urlencode(form) if form is not None else None
            head = {"Host": f"127.0.0.1:{self.port}", "Accept": "text/html,application/json"}
            if body is not None:
                head["Content-Type"] = "application/x-www-form-urlencoded"
            if self.cookies:
                head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            head.update(headers or {})
            conn.request(method, path, body=body, headers=head)
            resp = conn.getresponse()
            data = resp.read()
            if keep_cookies:
                for value in resp.headers.get_all("Set-Cookie") or ():
                    jar = SimpleCookie()
                    jar.load(value)
                    for key, morsel in jar.items():
                        self.cookies[key] = morsel.value
            return resp.status, resp.headers, data
        finally:
            conn.close()

    def login(self, login):
        status, _, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        if status != 200 or token is None:
            raise BenchError(f"страница входа: ответ {status}")
        status, headers, page = self.request("POST", "/login", form={
            "login": login, "password": PASSWORD, "csrf_token": token.group(1).decode()})
        if status != 302:
            message = re.search(rb'class="alert[^>]*>(.*?)<', page, re.S)
            raise BenchError(f"вход «{login}» не удался: {status} "
                             f"{message.group(1).decode().strip() if message else ''}")


# -- the grid page ----------------------------------------------------------------------------------------

def parse_grid(html):
    """(csrf token, {(task_id, student_id): (value, version)}) of a journal grid page (templates/
    journal/grid.html): the columns in order (attendance, then the lesson's tasks), the rows' cells
    by their column index."""
    token = re.search(r'name="csrf-token" content="([^"]+)"', html)
    columns = []
    for tag in re.findall(r'<th class="j[at]-head[^>]*>', html):
        task = re.search(r'data-task="t(\d+)"', tag)
        columns.append(int(task.group(1)) if task else None)
    cells = {}
    for student_id, row in re.findall(r'<tr data-row="\d+" data-student="(\d+)"(.*?)</tr>', html, re.S):
        for col, version, value in re.findall(
                r'<input class="jc m" data-col="(\d+)"(?: data-v="(\d+)" value="([^"]*)")?', row):
            task_id = columns[int(col)] if int(col) < len(columns) else None
            if task_id is not None:
                cells[(task_id, int(student_id))] = (value or None, int(version) if version else None)
    return (token.group(1) if token else None), cells


# -- the simulated users ----------------------------------------------------------------------------------

@dataclass
class Stats:
    saves: int = 0
    marks: int = 0
    reads: int = 0
    errors: int = 0
    uncertain: int = 0
    save_times: list = field(default_factory=list)
    read_times: list = field(default_factory=list)
    messages: list = field(default_factory=list)

    def error(self, text):
        self.errors += 1
        if len(self.messages) < 20:
            self.messages.append(text)


class Teacher(threading.Thread):
    def __init__(self, port, target, start_event, deadline_box, seed):
        super().__init__(daemon=True)
        self.session, self.target = Session(port), target
        self.start_event, self.deadline_box = start_event, deadline_box
        self.rnd = random.Random(seed)
        self.stats = Stats()
        self.ready = False
        self.cells = {}  # (task, student) -> (value, version) as this client believes
        self.accepted = {}  # (task, student) -> the last value the server accepted
        self.unsure = set()  # cells of a save with no answer

    def load_grid(self):
        t = self.target
        status, _, page = self.session.request("GET", f"/journal/{t.assignment_id}/?period={t.period_id}")
        if status != 200:
            raise BenchError(f"журнал {t.assignment_id}: ответ {status}")
        token, cells = parse_grid(page.decode())
        if token is None:
            raise BenchError(f"журнал {t.assignment_id}: нет CSRF-токена")
        self.session.csrf = token
        self.cells = {k: v for k, v in cells.items() if k[0] == t.task_id and k[1] in set(t.student_ids)}
        for sid in t.student_ids:
            self.cells.setdefault((t.task_id, sid), (None, None))
        return page.decode()

    def run(self):
        try:
            with LOGINS:
                self.session.login(self.target.login)
                self.load_grid()
            self.ready = True
        except (BenchError, OSError) as exc:
            self.stats.error(f"учитель {self.target.login}: {exc}")
            return
        self.start_event.wait()
        deadline = self.deadline_box[0]
        t = self.target
        values = [v for v in t.values if v != "1"][:4] or list(t.values)
        while time.monotonic() < deadline:
            chosen = self.rnd.sample(t.student_ids, min(len(t.student_ids), self.rnd.randint(1, 3)))
            marks, new = [], {}
            for sid in chosen:
                value, version = self.cells[(t.task_id, sid)]
                new_value = self.rnd.choice([v for v in values if v != value])
                new[(t.task_id, sid)] = (new_value, 1 if version is None else version + 1)
                marks.append({"task_id": t.task_id, "student_id": sid, "value": new_value, "comment": "",
                              "version": version})
            form = {"payload": json.dumps({"marks": marks}), "period_id": t.period_id,
                    "csrf_token": self.session.csrf}
            started = time.perf_counter()
            try:
                # the flash «Журнал сохранён» would go to the page the browser opens next; the
                # test does not open it, so the session cookie is not grown by unread messages
                status, _, body = self.session.request(
                    "POST", f"/journal/{t.assignment_id}/save", form=form,
                    headers={"X-Requested-With": "fetch", "Accept": "application/json"}, keep_cookies=False)
            except (OSError, http.client.HTTPException) as exc:
                self.stats.error(f"сохранение без ответа: {exc!r}")
                self.stats.uncertain += 1
                self.unsure.update(new)
                continue
            elapsed = time.perf_counter() - started
            try:
                answer = json.loads(body)
            except ValueError:
                answer = {}
            if status == 200 and answer.get("ok"):
                self.stats.saves += 1
                self.stats.marks += len(marks)
                self.stats.save_times.append(elapsed)
                self.cells.update(new)
                self.accepted.update({k: v[0] for k, v in new.items()})
            else:
                self.stats.error(f"сохранение: {status} {str(answer.get('message', body[:200]))[:200]}")
                if status == 409:  # someone else changed it: take the page again
                    try:
                        self.load_grid()
                    except (BenchError, OSError) as exc:
                        self.stats.error(str(exc))
                        return


class Parent(threading.Thread):
    def __init__(self, port, target, start_event, deadline_box, seed, weeks=4):
        super().__init__(daemon=True)
        self.session, self.target = Session(port), target
        self.start_event, self.deadline_box = start_event, deadline_box
        self.rnd = random.Random(seed)
        self.weeks = [target.week - timedelta(days=7 * n) for n in range(weeks)]
        self.stats = Stats()
        self.ready = False

    def run(self):
        try:
            with LOGINS:
                self.session.login(self.target.login)
            self.ready = True
        except (BenchError, OSError) as exc:
            self.stats.error(f"родитель {self.target.login}: {exc}")
            return
        self.start_event.wait()
        deadline = self.deadline_box[0]
        while time.monotonic() < deadline:
            week = self.rnd.choice(self.weeks)
            started = time.perf_counter()
            try:
                status, _, body = self.session.request(
                    "GET", f"/diary/{self.target.student_id}/?week={week.isoformat()}")
            except (OSError, http.client.HTTPException) as exc:
                self.stats.error(f"дневник без ответа: {exc!r}")
                continue
            elapsed = time.perf_counter() - started
            if status == 200 and b"diary-week" in body:
                self.stats.reads += 1
                self.stats.read_times.append(elapsed)
            else:
                self.stats.error(f"дневник: ответ {status}")


# -- the server ----------------------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn on 127.0.0.1:<free port> with `workers` sync workers (or threaded ones, with
    `threads`); its log in bench/out/."""

    def __init__(self, url, workers=2, threads=None, today=None):
        self.url, self.workers, self.threads, self.today = url, workers, threads, today
        self.port = free_port()
        OUT.mkdir(parents=True, exist_ok=True)
        self.log_path = OUT / f"gunicorn-{self.port}.log"
        self.proc = None

    def __enter__(self):
        env = dict(os.environ, DATABASE_URL=self.url, SECRET_KEY=secrets.token_hex(32))
        env.pop("TRUSTED_PROXIES", None)
        if self.today is not None:  # the data set's «today»: its lessons up to it are given (bench/dataset.py)
            env[TODAY_ENV] = self.today.isoformat()
        self.log_file = open(self.log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
             *(["--threads", str(self.threads)] if self.threads else []),
             "--timeout", "120", "--graceful-timeout", "5", "--backlog", "2048", "--log-level", "warning",
             "bench.dataset:server_app()" if self.today is not None else "app:create_app()"],
            cwd=str(ROOT), env=env, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn не запустился, см. {self.log_path}")
            try:
                status, _, _ = Session(self.port).request("GET", "/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise BenchError("gunicorn не ответил за 60 с")

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the master stops its workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        if self.log_path.exists() and self.log_path.stat().st_size == 0:
            self.log_path.unlink()  # nothing logged: keep bench/out/ clean

    def errors_logged(self):
        self.log_file.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text.count("Traceback"), text


# -- where the processor time went ---------------------------------------------------------------------------

def _cpu(pid):
    """utime + stime of a process, in seconds (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid):
    found = []
    try:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                            found.append(int(entry))
                except (OSError, IndexError, ValueError):
                    continue
    except OSError:
        pass
    return found


def _pg_backends(url):
    """Pids of the PostgreSQL backends serving the database of `url` (this one's own left out)."""
    name = make_url(url).database
    try:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1), connect_timeout=5) as conn:
            return [r[0] for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,))]
    except psycopg.Error:
        return []


class CpuMeter:
    """Processor seconds spent during the load by the gunicorn workers, the PostgreSQL backends of
    the database and this process (the simulated users), against what 2 cores × the time offer."""

    def __init__(self, server, url):
        self.server, self.url = server, url

    def sample(self):
        workers = {pid: _cpu(pid) for pid in [self.server.proc.pid] + _children(self.server.proc.pid)}
        backends = {pid: _cpu(pid) for pid in _pg_backends(self.url)}
        return workers, backends, time.process_time(), time.monotonic()

    @staticmethod
    def spent(before, after):
        def delta(a, b):
            return sum(b[pid] - a.get(pid, 0.0) for pid in b)
        return {"gunicorn": delta(before[0], after[0]), "postgresql": delta(before[1], after[1]),
                "client": after[2] - before[2], "wall": after[3] - before[3]}


# -- the run -------------------------------------------------------------------------------------------------

@dataclass
class LoadResult:
    duration: float
    teachers: int
    parents: int
    workers: int
    saves: int = 0
    marks: int = 0
    reads: int = 0
    errors: int = 0
    uncertain: int = 0
    lost: int = 0
    duplicates: int = 0
    checked_cells: int = 0
    server_tracebacks: int = 0
    save_p50: float | None = None
    save_p95: float | None = None
    read_p50: float | None = None
    read_p95: float | None = None
    login_seconds: float = 0
    cpu: dict = field(default_factory=dict)  # seconds: gunicorn, postgresql, client, wall
    messages: list = field(default_factory=list)
    clients: list = field(default_factory=list, repr=False)  # the Teacher threads, for the check

    @property
    def saves_per_second(self):
        return self.saves / self.duration if self.duration else 0

    @property
    def reads_per_second(self):
        return self.reads / self.duration if self.duration else 0

    @property
    def marks_per_second(self):
        return self.marks / self.duration if self.duration else 0

    @property
    def consistent(self):
        return self.lost == 0 and self.duplicates == 0

    def summary(self):
        return (f"{self.saves_per_second:.0f} сохранений/с ({self.marks_per_second:.0f} отметок/с), "
                f"{self.reads_per_second:.0f} чтений дневника/с; p95: сохранение "
                f"{_ms(self.save_p95)} мс, дневник {_ms(self.read_p95)} мс; ошибок {self.errors}, "
                f"потеряно {self.lost}, дублей {self.duplicates}, неясно {self.uncertain}; "
                f"проверено ячеек {self.checked_cells}" + (f"; {self.cpu_summary()}" if self.cpu else ""))

    def cpu_summary(self):
        """Where the 2 cores went: processor seconds of each side, and per request."""
        cpu, requests = self.cpu, max(1, self.saves + self.reads)
        offered = cpu["wall"] * len(os.sched_getaffinity(0))
        ours = cpu["gunicorn"] + cpu["postgresql"] + cpu["client"]
        return (f"процессор за {cpu['wall']:.0f} с: gunicorn {cpu['gunicorn']:.0f} с, PostgreSQL "
                f"{cpu['postgresql']:.0f} с, клиенты {cpu['client']:.0f} с из {offered:.0f} с "
                f"({ours / offered * 100:.0f} %); на запрос: gunicorn {cpu['gunicorn'] / requests * 1000:.0f} мс, "
                f"PostgreSQL {cpu['postgresql'] / requests * 1000:.0f} мс")


def _ms(seconds):
    return "—" if seconds is None else f"{seconds * 1000:.0f}"


def run_load(url, t, duration=60, teachers=50, parents=50, workers=2, seed=7, threads=None):
    """Load `t.journals[:teachers]` and `t.diaries[:parents]` (bench/dataset.py Targets, logins
    granted) through gunicorn on the database `url` (`workers` sync workers, or gthread ones with
    `threads`); then the consistency check."""
    journals, diaries = t.journals[:teachers], t.diaries[:parents]
    if len(journals) < teachers or len(diaries) < parents:
        log(f"нагрузка: в наборе только {len(journals)} учителей и {len(diaries)} родителей для теста")
    result = LoadResult(duration=duration, teachers=len(journals), parents=len(diaries), workers=workers)
    start_event, deadline_box = threading.Event(), [0.0]
    with Server(url, workers, threads=threads, today=t.today) as server:
        kind = f"{workers} воркера" + (f" × {threads} потоков" if threads else "")
        log(f"нагрузка: gunicorn ({kind}) на 127.0.0.1:{server.port}; вход "
            f"{len(journals)} учителей и {len(diaries)} родителей …")
        users = [Teacher(server.port, j, start_event, deadline_box, seed + n) for n, j in enumerate(journals)]
        users += [Parent(server.port, d, start_event, deadline_box, seed + 1000 + n) for n, d in enumerate(diaries)]
        started = time.monotonic()
        for user in users:
            user.start()
        limit = started + 120
        while time.monotonic() < limit and not all(u.ready or not u.is_alive() for u in users):
            time.sleep(0.1)
        result.login_seconds = time.monotonic() - started
        log(f"нагрузка: вход за {result.login_seconds:.1f} с; {duration} с нагрузки …")
        meter = CpuMeter(server, url)
        cpu_before = meter.sample()
        began = time.monotonic()
        deadline_box[0] = began + duration
        start_event.set()
        for user in users:
            user.join(timeout=max(0.0, deadline_box[0] - time.monotonic()) + REQUEST_TIMEOUT + 5)
        result.duration = time.monotonic() - began  # the last answers come a little after the deadline
        result.cpu = meter.spent(cpu_before, meter.sample())
        result.server_tracebacks, _ = server.errors_logged()
    save_times, read_times = [], []
    for user in users:
        s = user.stats
        result.saves += s.saves
        result.marks += s.marks
        result.reads += s.reads
        result.errors += s.errors
        result.uncertain += s.uncertain
        save_times += s.save_times
        read_times += s.read_times
        result.messages += s.messages[:3]
    result.save_p50, result.save_p95 = percentile(save_times, 50), percentile(save_times, 95)
    result.read_p50, result.read_p95 = percentile(read_times, 50), percentile(read_times, 95)
    result.clients = [u for u in users if isinstance(u, Teacher)]
    check_consistency(url, result.clients, result)
    return result


def check_consistency(url, teachers, result):
    """Every accepted save is in the database with the last value and the counted version; no cell
    (task, student) holds two marks."""

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            task_ids = sorted({t.target.task_id for t in teachers})
            if not task_ids:
                return
            rows = conn.execute(text("SELECT task_id, student_id, value, version FROM mark "
                                     "WHERE task_id IN (" + ",".join(str(int(i)) for i in task_ids) + ")")).all()
            stored = {(r[0], r[1]): (r[2], r[3]) for r in rows}
            result.duplicates = conn.execute(text(
                "SELECT count(*) FROM (SELECT task_id, student_id FROM mark GROUP BY task_id, student_id "
                "HAVING count(*) > 1) AS d")).scalar()
    finally:
        engine.dispose()
    for teacher in teachers:
        for cell, value in teacher.accepted.items():
            if cell in teacher.unsure:
                continue
            result.checked_cells += 1
            expected_version = teacher.cells[cell][1]
            if stored.get(cell) != (value, expected_version):
                result.lost += 1
                if len(result.messages) < 40:
                    result.messages.append(f"ячейка {cell}: ожидалось {value!r} v{expected_version}, "
                                           f"в базе {stored.get(cell)!r}")


# -- contention: two sessions on one lesson, and a close racing the saves (issue 12) -------------------

def lesson_versions(html):
    """{lesson id: version} of a journal grid page (data-v of the lessons table's rows)."""
    return {int(i): int(v) for i, v in re.findall(r'data-lesson-row="(\d+)" data-v="(\d+)"', html)}


@dataclass(frozen=True)
class Write:
    """A change the server accepted: of ("mark", task, student) or ("lesson", id), the version it
    made, the field it wrote and the value, and when its request was sent (time.monotonic())."""

    key: tuple
    version: int
    name: str
    value: str
    sent: float


class Rival(Teacher):
    """One of two sessions of a teacher on the same lesson, saving the same mark cells as the
    other and one field of the lesson (the first session the topic, the second the homework), each
    with the version it has seen — as static/journal.js does. A 409 makes it take the page again;
    a closed period ends it."""

    def __init__(self, port, target, start_event, deadline_box, seed, index):
        super().__init__(port, target, start_event, deadline_box, seed)
        self.index, self.writes, self.conflicts, self.refused_closed = index, [], 0, 0
        self.lesson_version, self.done = None, False

    def load_grid(self):
        page = super().load_grid()
        self.lesson_version = lesson_versions(page).get(self.target.lesson_id)
        if self.lesson_version is None:
            raise BenchError(f"журнал {self.target.assignment_id}: нет версии урока {self.target.lesson_id}")
        return page

    def run(self):
        try:
            self.session.login(self.target.login)
            self.load_grid()
            self.ready = True
        except (BenchError, OSError) as exc:
            self.stats.error(f"учитель {self.target.login}: {exc}")
            return
        self.start_event.wait()
        deadline, n = self.deadline_box[0], 0
        while time.monotonic() < deadline and not self.done:
            n += 1
            self._save(*(self._marks() if n % 2 else self._lesson(n)))

    def _marks(self):
        t = self.target
        values = [v for v in t.values if v != "1"][:4] or list(t.values)
        marks, writes = [], []
        for sid in self.rnd.sample(t.student_ids, min(len(t.student_ids), self.rnd.randint(1, 2))):
            value, version = self.cells[(t.task_id, sid)]
            new = self.rnd.choice([v for v in values if v != value])
            marks.append({"task_id": t.task_id, "student_id": sid, "value": new, "comment": "", "version": version})
            writes.append((("mark", t.task_id, sid), 1 if version is None else version + 1, "value", new))
        return {"marks": marks}, writes

    def _lesson(self, n):
        field_name, value = ("topic", "homework")[self.index], f"Сессия {self.index + 1}, сохранение {n}"
        item = {"lesson_id": self.target.lesson_id, "version": self.lesson_version, field_name: value}
        return {"lessons": [item]}, [(("lesson", self.target.lesson_id), self.lesson_version + 1, field_name, value)]

    def _save(self, payload, writes):
        t = self.target
        form = {"payload": json.dumps(payload), "period_id": t.period_id, "csrf_token": self.session.csrf}
        sent = time.monotonic()
        try:
            status, _, body = self.session.request(
                "POST", f"/journal/{t.assignment_id}/save", form=form,
                headers={"X-Requested-With": "fetch", "Accept": "application/json"}, keep_cookies=False)
        except (OSError, http.client.HTTPException) as exc:
            self.stats.error(f"сохранение без ответа: {exc!r}")
            self.stats.uncertain += 1
            self.unsure.update(w[0] for w in writes)
            return
        try:
            answer = json.loads(body)
        except ValueError:
            answer = {}
        message = str(answer.get("message", body[:200]))
        if status == 200 and answer.get("ok"):
            self.stats.saves += 1
            self.writes += [Write(*w, sent) for w in writes]
            for key, version, _, value in writes:
                if key[0] == "mark":
                    self.cells[key[1:]] = (value, version)
                else:
                    self.lesson_version = version
        elif status == 409:  # the other session saved first: take the page again, as its button does
            self.conflicts += 1
            try:
                self.load_grid()
            except (BenchError, OSError) as exc:
                self.stats.error(str(exc))
                self.done = True
        elif status == 400 and "закрыт" in message:
            self.refused_closed += 1
            self.done = True
        else:
            self.stats.error(f"сохранение: {status} {message[:200]}")


class Closer(threading.Thread):
    """The administrator closes the period of the rivals' lessons `at` seconds into the load, by
    the periods list's action as a browser posts it; how long it took, when it answered, and the
    state of the rivals' records right after it."""

    def __init__(self, port, login, period_id, start_event, began_box, at, read_state):
        super().__init__(daemon=True)
        self.session, self.login, self.period_id = Session(port), login, period_id
        self.start_event, self.began_box, self.at, self.read_state = start_event, began_box, at, read_state
        self.ready, self.error, self.seconds, self.done_at, self.snapshot = False, None, None, None, None

    def run(self):
        try:
            self.session.login(self.login)
            # The «Закрыть период» page (issue 15): a period not ended or with marks missing closes with
            # its name typed, as the administrator would type it from the page.
            status, _, page = self.session.request("GET", f"/periods/close/?ids={self.period_id}")
            token = re.search(rb'name="csrf-token" content="([^"]+)"', page)
            if status != 200 or token is None:
                raise BenchError(f"закрытие периода: ответ {status}")
            name = re.search(r'data-period-name="([^"]*)"', page.decode())
            self.confirm = html.unescape(name.group(1)) if name else ""
            self.ready = True
        except (BenchError, OSError) as exc:
            self.error = f"администратор {self.login}: {exc}"
            return
        self.start_event.wait()
        time.sleep(max(0.0, self.began_box[0] + self.at - time.monotonic()))
        sent = time.monotonic()
        try:
            status, _, _ = self.session.request("POST", "/periods/close/", form={
                "ids": str(self.period_id), f"confirm-{self.period_id}": self.confirm,
                "csrf_token": token.group(1).decode()})
        except (OSError, http.client.HTTPException) as exc:
            self.error = f"закрытие периода без ответа: {exc!r}"
            return
        self.done_at = time.monotonic()
        self.seconds = self.done_at - sent
        self.snapshot = self.read_state()
        if status != 302 or not self.snapshot[1]:
            self.error = f"закрытие периода: ответ {status}, период {'закрыт' if self.snapshot[1] else 'открыт'}"


@dataclass
class ContentionResult:
    duration: float
    pairs: int
    workers: int
    threads: int | None
    saves: int = 0
    conflicts: int = 0  # 409: the other session saved first, the page was taken again
    refused_after_close: int = 0
    errors: int = 0
    uncertain: int = 0
    lost: int = 0  # an accepted change that is neither in the database nor replaced by a later accepted one
    duplicates: int = 0  # two changes accepted from one version, or two marks in one cell
    late: int = 0  # a change accepted after the close answered, or one the database got after it
    checked: int = 0  # records checked (cells and lessons)
    close_seconds: float | None = None
    server_tracebacks: int = 0
    messages: list = field(default_factory=list)
    checked_with: tuple = field(default=(), repr=False)  # (targets, rivals, closer), for check_rivals

    @property
    def consistent(self):
        return self.lost == 0 and self.duplicates == 0 and self.late == 0

    def summary(self):
        close = "не выполнено" if self.close_seconds is None else f"{self.close_seconds * 1000:.0f} мс"
        return (f"{self.pairs} пар сессий на общих уроках: принято сохранений {self.saves} за {self.duration:.1f} с; "
                f"конфликтов (409, страница взята заново) {self.conflicts}; закрытие периода {close}, после "
                f"него отказано {self.refused_after_close}; потеряно {self.lost}, дублей {self.duplicates}, "
                f"поздних записей {self.late}, ошибок {self.errors}, неясно {self.uncertain}; "
                f"проверено записей {self.checked}")


def read_rival_state(url, targets):
    """(the rivals' records {key: {field: value, "version": …}}, whether their period is closed)."""

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            state = {}
            for t in targets:
                for task_id, sid, value, version in conn.execute(text(
                        "SELECT task_id, student_id, value, version FROM mark WHERE task_id = :t"), {"t": t.task_id}):
                    state[("mark", task_id, sid)] = {"value": value, "version": version}
                topic, homework, version = conn.execute(text(
                    "SELECT topic, homework, version FROM lesson WHERE id = :l"), {"l": t.lesson_id}).one()
                state[("lesson", t.lesson_id)] = {"topic": topic, "homework": homework, "version": version}
            closed = conn.execute(text("SELECT is_closed FROM period WHERE id = :p"),
                                  {"p": targets[0].period_id}).scalar()
            return state, bool(closed)
    finally:
        engine.dispose()


def check_rivals(url, targets, rivals, closer, result):
    """Every change accepted from the two sessions is in the database or replaced by a later
    accepted one of the same field; no two were accepted from one version; none after the close."""
    state, _ = read_rival_state(url, targets)
    unsure = set().union(*(r.unsure for r in rivals))
    by_key = defaultdict(list)
    for rival in rivals:
        for write in rival.writes:
            by_key[write.key].append(write)
    for key, writes in sorted(by_key.items()):
        if key in unsure:
            continue
        result.checked += 1
        stored = state.get(key, {})
        versions = [w.version for w in writes]
        result.duplicates += len(versions) - len(set(versions))
        top = max(versions)
        lost = [name for name in {w.name for w in writes}
                if stored.get(name) != max((w for w in writes if w.name == name), key=lambda w: w.version).value]
        if stored.get("version") != top or lost:
            result.lost += 1
            if len(result.messages) < 40:
                result.messages.append(f"{key}: принята версия {top}, в базе {stored}")
    if closer.done_at is not None:
        result.late += sum(1 for r in rivals for w in r.writes if w.sent >= closer.done_at)
        result.late += sum(1 for key, values in closer.snapshot[0].items() if state.get(key) != values)


def run_contention(url, t, duration=20, pairs=4, workers=2, threads=8, close_at=0.6, seed=11):
    """Two sessions of each of the first `pairs` teachers of `t.journals` on the same lesson and
    cells (bench/dataset.py Targets, logins granted), through gunicorn with threaded workers; the
    administrator closes their period `close_at` × `duration` into the load."""
    journals = [j for j in t.journals[:pairs] if j.period_id == t.journals[0].period_id]
    result = ContentionResult(duration=duration, pairs=len(journals), workers=workers, threads=threads)
    start_event, deadline_box, began_box = threading.Event(), [0.0], [0.0]
    with Server(url, workers, threads, today=t.today) as server:
        rivals = [Rival(server.port, j, start_event, deadline_box, seed + 2 * n + i, i)
                  for n, j in enumerate(journals) for i in (0, 1)]
        closer = Closer(server.port, t.admin_login, journals[0].period_id, start_event, began_box,
                        close_at * duration, lambda: read_rival_state(url, journals))
        for user in [*rivals, closer]:
            user.start()
        limit = time.monotonic() + 120
        while time.monotonic() < limit and not all(u.ready or not u.is_alive() for u in [*rivals, closer]):
            time.sleep(0.1)
        log(f"соперничество: {len(rivals)} сессий ({len(journals)} пар), gunicorn {workers} × {threads} потоков; "
            f"{duration} с, закрытие периода на {close_at * duration:.0f}-й с …")
        began = began_box[0] = time.monotonic()
        deadline_box[0] = began + duration
        start_event.set()
        for user in [*rivals, closer]:
            user.join(timeout=max(0.0, began + duration - time.monotonic()) + REQUEST_TIMEOUT + 5)
        result.duration = time.monotonic() - began
        result.server_tracebacks, _ = server.errors_logged()
    for rival in rivals:
        result.saves += rival.stats.saves
        result.conflicts += rival.conflicts
        result.refused_after_close += rival.refused_closed
        result.errors += rival.stats.errors
        result.uncertain += rival.stats.uncertain
        result.messages += rival.stats.messages[:3]
    if closer.error:
        result.errors += 1
        result.messages.append(closer.error)
    result.close_seconds = closer.seconds
    result.checked_with = (journals, rivals, closer)
    check_rivals(url, *result.checked_with, result)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="Нагрузочный тест: gunicorn (2 воркера) на PostgreSQL с набором данных, учителя сохраняют "
                    "отметки, родители читают дневники; затем проверка, что ни одно принятое сохранение не потеряно. "
                    "С --contention: две сессии учителя на одном уроке и закрытие периода во время сохранений.")
    parser.add_argument("--duration", type=float, default=60, help="секунд нагрузки (по умолчанию 60)")
    parser.add_argument("--teachers", type=int, default=50, help="учителей (по умолчанию 50)")
    parser.add_argument("--parents", type=int, default=50, help="родителей (по умолчанию 50)")
    parser.add_argument("--workers", type=int, default=2, help="воркеров gunicorn (по умолчанию 2)")
    parser.add_argument("--size", choices=("large", "tiny"), default="large", help="набор данных")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--contention", action="store_true",
                        help="вместо обычной нагрузки: пары сессий на общих уроках и закрытие их периода")
    parser.add_argument("--pairs", type=int, default=8, help="пар сессий (--contention; по умолчанию 8)")
    parser.add_argument("--threads", type=int, default=None,
                        help="потоков в воркере (gthread; без него — sync-воркеры; --contention: по умолчанию 16)")
    args = parser.parse_args(argv)
    today = set_today()
    database, app = prepare("postgresql", Config(args.size, args.seed), today, use_cache=False)
    try:
        with app.app_context():
            t = targets(today, teachers=args.pairs if args.contention else args.teachers, parents=args.parents)
        dispose(app)
        if args.contention:
            result = run_contention(database.url, t, args.duration, args.pairs, args.workers, args.threads or 16)
        else:
            result = run_load(database.url, t, args.duration, args.teachers, args.parents, args.workers,
                              threads=args.threads)
    finally:
        dispose(app)
        database.drop()
    print(result.summary())
    for message in result.messages[:10]:
        print("  ", message)
    return 0 if result.errors == 0 and result.consistent else 1


if __name__ == "__main__":
    sys.exit(main())
