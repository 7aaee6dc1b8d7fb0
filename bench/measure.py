"""In-process measurements through the Flask test client: the server time of a request (the whole
WSGI call: routing, the session, the views, SQL, rendering) and the SQL statements it sends
(a `before_cursor_execute` listener, as tests/querycount.py), p50 and p95 over repeated requests.

Each request runs in a fresh `contextvars.Context`, as on a real server: otherwise Flask would
reuse the harness's application context, its `g` and its database session (an identity map
already full of rows would hide statements).
"""
import contextvars
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy import event, select, text

from bench.dataset import PASSWORD, BenchError
from models import Attendance, AttendanceCode, Mark, db
from reports import catalogue, registry  # noqa: F401 — catalogue registers every report

WARMUP = 2


@dataclass
class Sample:
    times: list = field(default_factory=list)  # seconds
    statements: list = field(default_factory=list)

    @property
    def p50(self):
        return percentile(self.times, 50)

    @property
    def p95(self):
        return percentile(self.times, 95)

    @property
    def sql(self):
        return max(self.statements) if self.statements else None


def percentile(values, p):
    """The nearest-rank percentile (p50 of 20 values is the 10th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil
    return ordered[int(rank) - 1]


class StatementCounter:
    """Counts the statements the engine sends while `active`."""

    def __init__(self, engine):
        self.engine, self.count, self.active = engine, 0, False
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            self.count += 1

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._before)


class Client:
    """A logged-in user of the test client; every request in a fresh context."""

    def __init__(self, app, counter):
        self.app, self.counter = app, counter
        self.client = app.test_client()
        self.token = None

    def request(self, method, url, **kwargs):
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(getattr(self.client, method), url, **kwargs)

    def login(self, login):
        page = self.request("get", "/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        resp = self.request("post", "/login", data={"login": login, "password": PASSWORD,
                                                     "csrf_token": token.group(1) if token else ""})
        if resp.status_code != 302:
            raise BenchError(f"вход «{login}» не удался: {resp.status_code}")
        home = self.request("get", "/", follow_redirects=True).get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', home)
        self.token = token.group(1) if token else None
        return self

    def timed(self, method, url, **kwargs):
        """(seconds, statements, response) of one request."""
        self.counter.count, self.counter.active = 0, True
        started = time.perf_counter()
        try:
            resp = self.request(method, url, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            self.counter.active = False
        return elapsed, self.counter.count, resp


def repeat(client, repeat_count, make_request, check):
    """Warm up, then `repeat_count` timed requests; `make_request()` → (method, url, kwargs) (built
    outside the timing), `check(resp)` → an error text or None."""
    sample = Sample()
    for n in range(WARMUP + repeat_count):
        method, url, kwargs = make_request()
        elapsed, statements, resp = client.timed(method, url, **kwargs)
        problem = check(resp)
        if problem:
            raise BenchError(f"{url}: {problem}")
        if n >= WARMUP:
            sample.times.append(elapsed)
            sample.statements.append(statements)
    return sample


def ok_html(resp):
    if resp.status_code != 200:
        return f"ответ {resp.status_code}"
    return None


def ok_save(resp):
    answer = resp.get_json(silent=True) or {}
    if resp.status_code != 200 or not answer.get("ok"):
        return f"сохранение не принято: {resp.status_code} {answer.get('message', '')[:300]}"
    if answer.get("message") == "Изменений нет.":
        return "сохранение ничего не изменило"
    return None


def ok_xlsx(resp):
    if resp.status_code != 200:
        message = re.search(r'<div class="alert[^>]*>(.*?)</div>', resp.get_data(as_text=True), re.S)
        return f"ответ {resp.status_code}" + (f": {' '.join(message.group(1).split())[:300]}" if message else "")
    if not resp.get_data()[:2] == b"PK":
        return "ответ не .xlsx"
    return None


# -- the journal -------------------------------------------------------------------------------------------

def grid_url(target, period_id):
    return f"/journal/{target.assignment_id}/?period={period_id}"


def measure_grid(app, counter, t, repeat_count, period_id=None):
    journal = t.journals[0]
    client = Client(app, counter).login(journal.login)
    url = grid_url(journal, period_id or journal.period_id)
    sample = repeat(client, repeat_count, lambda: ("get", url, {}), ok_html)
    return sample


def lesson_state(app, journal):
    """{student id: (mark value, version)} on the task and {student id: (code, version)} on the lesson."""
    with app.app_context():
        marks = {sid: (value, version) for sid, value, version in db.session.execute(
            select(Mark.student_id, Mark.value, Mark.version).where(Mark.task_id == journal.task_id))}
        attendance = {sid: (code, version) for sid, code, version in db.session.execute(
            select(Attendance.student_id, AttendanceCode.code, Attendance.version)
            .join(AttendanceCode, AttendanceCode.id == Attendance.code_id)
            .where(Attendance.lesson_id == journal.lesson_id))}
        db.session.remove()
    return marks, attendance


def next_value(values, current):
    """Another allowed mark than `current` (cycling through the first three: 5 → 4 → 3 → 5)."""
    cycle = [v for v in values if v not in ("1",)][:3] or list(values)
    if current in cycle:
        return cycle[(cycle.index(current) + 1) % len(cycle)]
    return cycle[0]


def whole_lesson_payload(journal, marks, attendance, absent_code="н"):
    """Every student's mark on the lesson's task changed, and the attendance of the lesson: two
    students' absence toggled, the rest sent as they are (a whole lesson, as the grid sends it)."""
    students = journal.student_ids
    toggled = set(students[-2:])
    payload = {"lessons": [], "tasks": [], "marks": [], "attendance": [], "period_marks": []}
    for sid in students:
        value, version = marks.get(sid, (None, None))
        payload["marks"].append({"task_id": journal.task_id, "student_id": sid,
                                 "value": next_value(journal.values, value), "comment": "", "version": version})
        code, a_version = attendance.get(sid, ("", None))
        if sid in toggled:
            code = "" if code else absent_code
        payload["attendance"].append({"lesson_id": journal.lesson_id, "student_id": sid, "code": code,
                                      "version": a_version})
    return payload


def measure_save(app, counter, t, repeat_count):
    journal = t.journals[0]
    client = Client(app, counter).login(journal.login)

    def make():
        marks, attendance = lesson_state(app, journal)
        payload = whole_lesson_payload(journal, marks, attendance)
        return "post", f"/journal/{journal.assignment_id}/save", {
            "data": {"payload": json.dumps(payload), "period_id": journal.period_id, "csrf_token": client.token},
            "headers": {"X-Requested-With": "fetch"}}

    return repeat(client, repeat_count, make, ok_save)


def measure_diary(app, counter, t, repeat_count):
    diary = t.diaries[0]
    client = Client(app, counter).login(diary.login)
    url = f"/diary/{diary.student_id}/?week={diary.week.isoformat()}"

    def check(resp):
        problem = ok_html(resp)
        if problem is None and "diary-lesson" not in resp.get_data(as_text=True):
            return "в дневнике нет уроков"
        return problem

    return repeat(client, repeat_count, lambda: ("get", url, {}), check)


# -- the reports ----------------------------------------------------------------------------------------

REPORTS = {
    # name: (the row's title, the parameters it is asked with)
    "summary-ledger": ("Сводная ведомость класса (.xlsx)", ("class", "year")),
    "institution-ledgers": ("Сводные ведомости всей организации (.xlsx)", ("year",)),
    "school-results": ("«Итоги успеваемости и качества знаний» (.xlsx)", ("period",)),
    "student-report-card": ("Табель успеваемости учащегося (.xlsx)", ("class", "year", "student")),
}


def report_registered(name):
    return name in registry.REGISTRY


def report_url(name, t):
    accepted = registry.REGISTRY[name].params
    values = {"class": t.report_class, "year": t.year_name, "period": t.report_period,
              "student": str(t.report_student_id)}
    query = {k: v for k, v in values.items() if k in accepted and k in REPORTS[name][1]}
    return f"/reports/{name}/?{urlencode(query)}&format=xlsx"


def measure_report(app, counter, t, name, repeat_count, client=None):
    client = client or Client(app, counter).login(t.admin_login)
    url = report_url(name, t)
    return repeat(client, repeat_count, lambda: ("get", url, {}), ok_xlsx)


# The hand-written single statement that fetches what each report needs: every period, year,
# exam and final mark of the students × subjects it shows, with their class memberships.
RAW_SQL = {
    "summary-ledger": """
        SELECT pm.student_id, pm.subject_id, pm.kind, pm.period_id, pm.value
        FROM period_mark pm
        WHERE pm.year_id = :year_id
          AND pm.student_id IN (SELECT cm.student_id FROM class_membership cm WHERE cm.class_id = :class_id)
    """,
    "institution-ledgers": """
        SELECT cm.class_id, pm.student_id, pm.subject_id, pm.kind, pm.period_id, pm.value
        FROM period_mark pm
        JOIN class_membership cm ON cm.student_id = pm.student_id
        JOIN school_class sc ON sc.id = cm.class_id AND sc.year_id = pm.year_id
        WHERE pm.year_id = :year_id
    """,
    "school-results": """
        SELECT cm.class_id, pm.student_id, pm.subject_id, pm.value
        FROM period_mark pm
        JOIN class_membership cm ON cm.student_id = pm.student_id
        JOIN school_class sc ON sc.id = cm.class_id AND sc.year_id = pm.year_id
        WHERE pm.year_id = :year_id AND pm.kind = 'period' AND pm.period_id = :period_id
    """,
    "student-report-card": """
        SELECT pm.subject_id, pm.kind, pm.period_id, pm.value
        FROM period_mark pm
        WHERE pm.year_id = :year_id AND pm.student_id = :student_id
    """,
}


def measure_raw(app, t, name, repeat_count):
    """(Sample, rows) of the raw aggregate, fetched to the last row."""
    params = {"year_id": t.year_id, "class_id": t.report_class_id, "period_id": t.report_period_id,
              "student_id": t.report_student_id}
    sample, rows = Sample(), 0
    with app.app_context():
        statement = text(RAW_SQL[name])
        wanted = {k: v for k, v in params.items() if f":{k}" in RAW_SQL[name]}
        for n in range(WARMUP + repeat_count):
            started = time.perf_counter()
            rows = len(db.session.execute(statement, wanted).all())
            elapsed = time.perf_counter() - started
            db.session.rollback()
            if n >= WARMUP:
                sample.times.append(elapsed)
                sample.statements.append(1)
        db.session.remove()
    return sample, rows
