"""Operations for a region (issue 20.5): one JSON line per request without personal data (services/request_log.py)
and /metrics in the Prometheus text format, readable from loopback or with METRICS_TOKEN (services/metrics.py)."""
import json
import logging
import re
import uuid

import pytest
from sqlalchemy import select

from models import Mark, db
from services import metrics, request_log
from tests.conftest import TEST_PASSWORD
from tests.factories import journal, jr_task
from tests.helpers import grid_url, login, post_payload, user_of
from tests.querycount import count_queries


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def request_lines(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOG_FORMAT", "json")
    handler = Lines()
    logger = logging.getLogger(request_log.LOGGER)
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_one_json_line_per_request_with_the_route_and_no_personal_data(world, browser, request_lines):
    a = world.a
    _, assignment, _ = journal(world)
    b = login(browser, "a.teacher")
    request_lines.clear()
    resp = b.get(grid_url(assignment) + "?q=Ученикова")
    assert resp.status_code == 200
    assert len(request_lines) == 1
    line = json.loads(request_lines[0])
    assert list(line) == list(request_log.FIELDS)
    assert line["user_id"] == user_of(a.teacher).id
    assert line["org_id"] == a.org.id
    assert line["method"] == "GET" and line["status"] == 200
    assert "<" in line["route"] and str(assignment.id) not in line["route"], "the URL rule, not the path"
    assert line["endpoint"] and isinstance(line["duration_ms"], float) and line["sql"] > 0
    assert "Ученикова" not in request_lines[0] and "?" not in request_lines[0]

    # a refused login: neither the login typed nor the password is in the line
    request_lines.clear()
    anonymous = browser()
    anonymous.post("/login", {"login": "a.teacher", "password": "not-" + TEST_PASSWORD})
    assert request_lines and all("a.teacher" not in text and TEST_PASSWORD not in text for text in request_lines)
    failed = json.loads(request_lines[-1])
    assert failed["user_id"] is None and failed["route"] == "/login" and failed["status"] == 401


def test_the_line_is_written_only_with_log_format_json(world, browser, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOG_FORMAT", "text")
    handler = Lines()
    logging.getLogger(request_log.LOGGER).addHandler(handler)
    try:
        browser().get("/login")
    finally:
        logging.getLogger(request_log.LOGGER).removeHandler(handler)
    assert handler.lines == []


def _scrape(b, **kwargs):
    return b.client.get("/metrics", **kwargs)


def test_metrics_count_requests_latency_pool_and_registered_gauges(world, browser, app, monkeypatch):
    monkeypatch.setitem(app.extensions, "metrics", metrics.LocalCounters())
    monkeypatch.setattr(metrics, "_gauges", {})
    metrics.register_gauge("jobs_queued", "Jobs waiting in the queue.", lambda: {(("queue", "default"),): 3})
    b = login(browser, "a.teacher")
    b.get("/")
    resp = _scrape(b)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = resp.get_data(as_text=True)
    assert re.search(r'^journal_http_requests_total\{endpoint="auth.login",method="POST",status="302"\} 1$', text, re.M)
    assert "# TYPE journal_http_request_duration_seconds histogram" in text
    count = int(re.search(r"^journal_http_request_duration_seconds_count (\d+)$", text, re.M).group(1))
    inf = int(re.search(r'^journal_http_request_duration_seconds_bucket\{le="\+Inf"\} (\d+)$', text, re.M).group(1))
    assert count == inf >= 4
    assert re.search(r'^journal_db_pool_checked_out\{pid="\d+"\} \d+$', text, re.M)
    assert 'journal_jobs_queued{queue="default"} 3' in text
    for line in text.splitlines():  # every sample line is «name{labels} number»
        assert line.startswith("#") or re.fullmatch(r'journal_[a-z_]+(\{[^}]*\})? -?[0-9.e+]+', line), line


def test_metrics_are_not_public(world, browser, app, monkeypatch):
    b = browser()
    assert _scrape(b, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    assert _scrape(b, headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 404, "through a proxy on this host"
    assert _scrape(b, environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-token")
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    assert _scrape(b, environ_base=remote, headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert _scrape(b, environ_base=remote, headers={"Authorization": "Bearer s3cret-token"}).status_code == 200


class FakeRedis:
    """The three hash commands RedisCounters uses, on one shared dict (as one Redis server)."""

    def __init__(self, store):
        self.store = store

    def pipeline(self, transaction=False):
        return self

    def hincrby(self, key, field, amount):
        bucket = self.store.setdefault(key, {})
        bucket[field] = int(bucket.get(field, 0)) + amount

    def hincrbyfloat(self, key, field, amount):
        bucket = self.store.setdefault(key, {})
        bucket[field] = float(bucket.get(field, 0)) + amount

    def execute(self):
        return []

    def hgetall(self, key):
        return {k.encode(): str(v).encode() for k, v in self.store.get(key, {}).items()}


def test_with_redis_the_processes_count_together():
    store = {}
    one, two = metrics.RedisCounters(FakeRedis(store)), metrics.RedisCounters(FakeRedis(store))
    one.add("home|GET|200", "home", 0.02, ["0.025", "+Inf"])
    two.add("home|GET|200", "home", 0.03, ["+Inf"])
    requests, seconds, buckets = one.read()
    assert requests == {"home|GET|200": 2} and seconds["home"] == pytest.approx(0.05)
    assert buckets == {"0.025": 1, "+Inf": 2}


def real_redis():
    """A client of the machine's Redis (127.0.0.1:6379), or None when the package or the server is missing."""
    if metrics.redis is None:
        return None
    client = metrics.redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1)
    try:
        client.ping()
    except Exception:  # noqa: BLE001
        return None
    return client


def test_with_a_real_redis():
    client = real_redis()
    if client is None:
        pytest.skip("no Redis on 127.0.0.1:6379 (or no redis package)")
    key = f"journal:test:{uuid.uuid4().hex}:"
    try:
        one, two = metrics.RedisCounters(client, key), metrics.RedisCounters(client, key)
        one.add("home|GET|200", "home", 0.02, ["+Inf"])
        two.add("home|GET|200", "home", 0.02, ["+Inf"])
        assert one.read()[0] == {"home|GET|200": 2}
    finally:
        client.delete(*(key + name for name in ("requests", "seconds", "buckets")))


def test_the_line_costs_no_statement(world, browser, app, request_lines, monkeypatch):
    """The ids of the line are read without loading the user or the organization again after the save's commit."""
    _, assignment, lessons = journal(world)
    task = jr_task(lessons[0])
    b = login(browser, "a.teacher")
    payload = {"marks": [{"task_id": task.id, "student_id": world.a.student.id, "value": "5", "version": None}]}
    counted = []
    for log_format, value in (("text", "5"), ("json", "4")):
        monkeypatch.setitem(app.config, "LOG_FORMAT", log_format)
        payload["marks"][0]["value"] = value
        payload["marks"][0]["version"] = db.session.scalar(select(Mark.version).where(Mark.task_id == task.id))
        with count_queries() as statements:
            resp = post_payload(b, assignment, world.a.period, payload)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        counted.append(len(statements))
    assert counted[0] == counted[1]
    line = json.loads(request_lines[-1])
    assert line["user_id"] == user_of(world.a.teacher).id and line["org_id"] == world.a.org.id
    assert line["route"] == "/journal/<id:assignment_id>/save" and line["sql"] == counted[1]


class BrokenRedis(FakeRedis):
    calls = 0

    def execute(self):
        BrokenRedis.calls += 1
        raise ConnectionError("Connection refused")


def test_a_failing_redis_is_left_alone_for_a_while_and_never_fails_the_page(world, browser, app, monkeypatch):
    monkeypatch.setitem(app.extensions, "metrics", metrics.RedisCounters(BrokenRedis({})))
    b = browser()
    assert [b.get("/login").status_code for _ in range(3)] == [200, 200, 200]
    assert BrokenRedis.calls == 1, "tried once, then paused"
