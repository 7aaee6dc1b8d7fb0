"""Test harness: the schema is built by the migrations, on SQLite or on PostgreSQL
(DATABASE_URL=postgresql+psycopg://...), and every test starts from empty tables."""
import contextvars
import os
import re
import threading
import time
from datetime import date

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from models import db
from services import clock


def _sleep_under_libfaketime():
    """.ci/run repeats the suite under Debian's libfaketime 0.9.10 with FAKETIME_DONT_FAKE_MONOTONIC=1 (with the
    monotonic clock faked, every timed wait of a lock or a condition never times out). That version turns
    the absolute monotonic deadline of CPython's time.sleep (clock_nanosleep, TIMER_ABSTIME) into EINVAL,
    so there, and only there, a sleep is a timed wait on an event, which libfaketime leaves alone."""
    if "faketime" not in os.environ.get("LD_PRELOAD", ""):
        return

    def sleep(seconds):
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        threading.Event().wait(seconds)

    time.sleep = sleep


_sleep_under_libfaketime()

TEST_PASSWORD = "test-pass-123"
# The day every test lives on unless it moves the clock itself: the second quarter of the test
# year has begun, the first is over (tests/factories.py). No test reads the machine's date.
TEST_TODAY = date(2026, 11, 20)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        # Cheap Argon2id parameters: the suite hashes hundreds of passwords.
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 64, "parallelism": 1},
    })
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.session.remove()
    return app


def _wipe():
    """Empty every table, children first (DELETE is far cheaper than TRUNCATE on small tables)."""
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(autouse=True)
def ctx(app):
    with app.app_context(), clock.frozen(TEST_TODAY):
        yield app
        db.session.remove()
        _wipe()


class Browser:
    """A test client that logs in through /login and sends the CSRF token like a browser would.

    Each request runs in a fresh context, as on a real server: without that, Flask reuses the
    test's application context, so `g` (the CSRF token, the actor) and the database session
    would leak from one request into the next. Before a request the test's own work is committed
    (its unit of work); after it the test's session is expired, so objects the test holds show what
    the request wrote.
    """

    def __init__(self, app):
        self.client = app.test_client()
        self.token = None

    def _request(self, method, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # streamed bodies finish inside the request's context
        # What the test did before (services only flush, services/uow.py) is its own unit of work,
        # committed as a request's or a command's would be before the next request sees it (on the
        # Session itself: a test may replace the scoped session's commit to fail the request's).
        db.session().commit()
        response = contextvars.Context().run(getattr(self.client, method), *args, **kwargs)
        db.session.expire_all()
        return response

    def _refresh_token(self):
        page = self._request("get", "/login" if self.token is None else "/", follow_redirects=True)
        match = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True)) or \
            re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        self.token = match.group(1) if match else None

    def login(self, login, password=TEST_PASSWORD):
        self._request("get", "/login")
        self._refresh_token()
        resp = self._request("post", "/login", data={"login": login, "password": password,
                                                     "csrf_token": self.token})
        self.token = None
        self._refresh_token()
        return resp

    def get(self, url, **kwargs):
        return self._request("get", url, **kwargs)

    def post(self, url, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            if self.token is None:
                self._refresh_token()
            data.setdefault("csrf_token", self.token)
        return self._request("post", url, data=data, **kwargs)


@pytest.fixture
def browser(app):
    return lambda: Browser(app)


@pytest.fixture
def world():
    """Two organizations, each with one person in every role (see tests/factories.py)."""
    from tests.factories import build_world
    return build_world()
