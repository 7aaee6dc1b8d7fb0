"""The load test: gunicorn with 2 workers on a PostgreSQL database loaded with the data set, on a
free loopback port; simulated teachers save marks and parents read diaries, all logged in through
`/login`; then a consistency check against the database.

    python -m bench.load [--duration 60] [--teachers 50] [--parents 50] [--size large|tiny]

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

Login throttling (services/accounts.py) counts only failed logins (per login, and per address
with 50 free failures that it forgets at one a minute); a successful login adds nothing, so 100
logins from 127.0.0.1 pass without any bypass, and none is added to the application. The test
logs in with the right passwords only; a refused login counts as an error.
"""
import argparse
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
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from bench.dataset import PASSWORD, ROOT, OUT, BenchError, Config, log
from bench.measure import percentile

REQUEST_TIMEOUT = 30


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

    def run(self):
        try:
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
    """gunicorn on 127.0.0.1:<free port> with `workers` sync workers; its log in bench/out/."""

    def __init__(self, url, workers=2):
        self.url, self.workers = url, workers
        self.port = free_port()
        OUT.mkdir(parents=True, exist_ok=True)
        self.log_path = OUT / f"gunicorn-{self.port}.log"
        self.proc = None

    def __enter__(self):
        env = dict(os.environ, DATABASE_URL=self.url, SECRET_KEY=secrets.token_hex(32))
        env.pop("TRUSTED_PROXIES", None)
        self.log_file = open(self.log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "120", "--graceful-timeout", "5", "--backlog", "2048", "--log-level", "warning",
             "app:create_app()"],
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
    import psycopg
    from sqlalchemy.engine import make_url
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


def run_load(url, t, duration=60, teachers=50, parents=50, workers=2, seed=7):
    """Load `t.journals[:teachers]` and `t.diaries[:parents]` (bench/dataset.py Targets, logins
    granted) through gunicorn on the database `url`; then the consistency check."""
    journals, diaries = t.journals[:teachers], t.diaries[:parents]
    if len(journals) < teachers or len(diaries) < parents:
        log(f"нагрузка: в наборе только {len(journals)} учителей и {len(diaries)} родителей для теста")
    result = LoadResult(duration=duration, teachers=len(journals), parents=len(diaries), workers=workers)
    start_event, deadline_box = threading.Event(), [0.0]
    with Server(url, workers) as server:
        log(f"нагрузка: gunicorn ({workers} воркера) на 127.0.0.1:{server.port}; вход "
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
    from sqlalchemy import create_engine, text

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


def main(argv=None):
    from bench.dataset import dispose, prepare, targets

    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="Нагрузочный тест: gunicorn (2 воркера) на PostgreSQL с набором данных, учителя сохраняют "
                    "отметки, родители читают дневники; затем проверка, что ни одно принятое сохранение не потеряно.")
    parser.add_argument("--duration", type=float, default=60, help="секунд нагрузки (по умолчанию 60)")
    parser.add_argument("--teachers", type=int, default=50, help="учителей (по умолчанию 50)")
    parser.add_argument("--parents", type=int, default=50, help="родителей (по умолчанию 50)")
    parser.add_argument("--workers", type=int, default=2, help="воркеров gunicorn (по умолчанию 2)")
    parser.add_argument("--size", choices=("large", "tiny"), default="large", help="набор данных")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    from bench.dataset import set_today
    today = set_today()
    database, app = prepare("postgresql", Config(args.size, args.seed), today, use_cache=False)
    try:
        with app.app_context():
            t = targets(today, teachers=args.teachers, parents=args.parents)
        dispose(app)
        result = run_load(database.url, t, args.duration, args.teachers, args.parents, args.workers)
    finally:
        dispose(app)
        database.drop()
    print(result.summary())
    for message in result.messages[:10]:
        print("  ", message)
    return 0 if result.errors == 0 and result.consistent else 1


if __name__ == "__main__":
    sys.exit(main())
