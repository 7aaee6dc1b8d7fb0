"""Test harness: the schema is built by the migrations, on SQLite or on PostgreSQL
(DATABASE_URL=postgresql+psycopg://...), and every test starts from empty tables — or from the `world`
alone, if it asks for it.

The world is built once per test module, in a transaction of the module's own connection that is never
committed; every test runs inside a SAVEPOINT of it, rolled back after the test, and every session of the
test (its own, each request's, a CLI command's, a second app's on the same database) works on that
connection, in a SAVEPOINT of its own: a commit releases it, a rollback rolls back to it. A test that needs
real commits — other connections or threads that must see its data, subprocesses, backups, migrations —
is marked `real_commits`: it gets the database to itself, builds its world and empties every table after
itself, as every test did before. JOURNAL_TESTS_REAL_COMMITS=1 runs every test so."""
import contextvars
import os
import re
import threading
import time
from datetime import date
from types import SimpleNamespace

import pytest
from flask import has_app_context
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, text

from admin_views.control import views as control_views
from admin_views.movement import views as movement_views
from admin_views.rollover import views as rollover_views
from app import create_app
from models import Period, Role, db
from services import clock
from tests.factories import (build_world, jr_assignment, jr_period_mark, jr_subject, make_staff, ro_school,
                             ro_year_mark, rp_school)
from tests.helpers import movement_registered, rollover_pages_registered


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
        "SLIPS_DIR": str(tmp_path_factory.mktemp("slips")),
        "FILES_DIR": str(tmp_path_factory.mktemp("files")),  # stored files (services/files.py)
        # Cheap Argon2id parameters: the suite hashes hundreds of passwords.
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 64, "parallelism": 1},
        # Background jobs (services/jobs/): threads in the process unless a test says otherwise (tests/test_jobs.py
        # runs RQ on a Redis of its own queue); queued e-mails are not sent by a job unless a test asks for it.
        "REDIS_URL": None, "JOBS_BACKEND": "auto", "JOBS_NOTIFY": False,
    })
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.session.remove()
    # A session joins the module's connection in a SAVEPOINT of its own (commit: RELEASE; rollback: ROLLBACK TO).
    db.session.session_factory.kw["join_transaction_mode"] = "create_savepoint"
    return app


def _wipe():
    """Empty every table, children first (DELETE is far cheaper than TRUNCATE on small tables); inside the
    test's SAVEPOINT when the module's connection is open."""
    if _shared.connection is not None:
        for table in reversed(db.metadata.sorted_tables):
            _shared.connection.execute(table.delete())
        return
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


class SharedTransaction:
    """A test module's connection, in a transaction never committed, which holds the module's world."""

    def __init__(self):
        self.engine = self.connection = self.outer = self.world = self.thread = None

    def open(self):
        if self.connection is not None:
            return
        self.engine = db.engine
        self.connection = self.engine.connect()
        self.outer = self.connection.begin()
        if self.connection.dialect.name == "sqlite":
            # pysqlite (legacy transaction control) begins no transaction for a SAVEPOINT: without this BEGIN
            # the first SAVEPOINT would begin it, and its RELEASE (a session's commit) would commit it.
            self.connection.exec_driver_sql("BEGIN")
        self.thread = threading.get_ident()

    def bind_for(self, engine):
        """The module's connection for a session of this thread on this database, else None."""
        if self.connection is not None and threading.get_ident() == self.thread and engine is not None \
                and engine.url == self.engine.url:
            return self.connection
        return None

    def build_world(self):
        """The world, built at the module's level (outside any test's SAVEPOINT) on first demand, kept as
        detached expired instances that each test merges into its session (no statement)."""
        if self.world is None:
            self.world = build_world()
            db.session.remove()

    def attach(self, value):
        if isinstance(value, SimpleNamespace):
            return SimpleNamespace(**{key: self.attach(item) for key, item in vars(value).items()})
        if isinstance(value, (list, tuple)):
            return type(value)(self.attach(item) for item in value)
        if isinstance(value, dict):
            return {key: self.attach(item) for key, item in value.items()}
        if hasattr(value, "_sa_instance_state"):
            row = db.session.merge(value, load=False)
            db.session.expire(row)  # as after build_world()'s commit: read again on first use
            return row
        return value

    def close(self):
        """Roll the module's transaction back: the database is empty again."""
        if self.connection is not None:
            try:
                self.outer.rollback()
            finally:
                self.connection.close()
        self.engine = self.connection = self.outer = self.world = self.thread = None


_shared = SharedTransaction()
_REAL_COMMITS_ONLY = os.environ.get("JOURNAL_TESTS_REAL_COMMITS") == "1"
_flask_get_bind = FlaskSession.get_bind
_FLUSHED = "tests.flushed"  # session.info: this transaction of the session has written


@event.listens_for(FlaskSession, "after_flush")
def _flushed(session, flush_context):
    session.info[_FLUSHED] = True


@event.listens_for(FlaskSession, "after_transaction_end")
def _transaction_ended(session, transaction):
    if transaction.parent is None:
        session.info.pop(_FLUSHED, None)


def end_reading_transaction():
    """Before a request: the test's session ends a transaction that has only read, as on a server, where it
    would hold nothing. Else the request's SAVEPOINT would be taken inside the test session's, and a later
    rollback of the test session (a refused flush) would take the request's commit back with it."""
    if _shared.connection is None:
        return
    session = db.session()
    if session.in_transaction() and not (session.new or session.dirty or session.deleted) \
            and not session.info.get(_FLUSHED):
        session.rollback()


def _get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
    """Flask-SQLAlchemy's choice of engine, but the module's connection while it is open."""
    if bind is None and _shared.connection is not None and has_app_context():
        connection = _shared.bind_for(self._db.engines.get(None))
        if connection is not None:
            return connection
    return _flask_get_bind(self, mapper, clause, bind, **kwargs)


FlaskSession.get_bind = _get_bind


@pytest.fixture(scope="module", autouse=True)
def _module_transaction(app):
    yield
    _shared.close()


@pytest.fixture(autouse=True)
def ctx(app, request):
    real_commits = _REAL_COMMITS_ONLY or request.node.get_closest_marker("real_commits") is not None
    with app.app_context(), clock.frozen(TEST_TODAY):
        if real_commits:
            _shared.close()
            yield app
            db.session.remove()
            _wipe()
            return
        _shared.open()
        wants_world = "world" in request.fixturenames
        if wants_world:
            _shared.build_world()
        savepoint = _shared.connection.begin_nested()
        if not wants_world and _shared.world is not None:
            _wipe()  # a test without the world starts from empty tables
        try:
            yield app
        finally:
            db.session.remove()
            try:
                savepoint.rollback()
            except Exception:
                _shared.close()  # whatever the test left open: the next test starts a new transaction
                raise


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
def world(ctx):
    """Two organizations, each with one person in every role (see tests/factories.py): the module's, in this
    test's session, or built for this test alone (`real_commits`)."""
    return build_world() if _shared.world is None else _shared.attach(_shared.world)


# -- the data of several test modules ------------------------------------------------------------------------

@pytest.fixture
def fw(world):
    """World A's 5А (Учеников, Соседов) with four quarters: Математика by a.teacher, Русский язык by
    a.other; period marks of Математика: Учеников 5 and 4, Соседов 3 and 4."""
    a = world.a
    a.q1 = Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=1, name="1 четверть",
                  start_date=date(2026, 9, 1), end_date=date(2026, 10, 24))
    a.q3 = Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=3, name="3 четверть",
                  start_date=date(2027, 1, 12), end_date=date(2027, 3, 20))
    a.q4 = Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=4, name="4 четверть",
                  start_date=date(2027, 3, 30), end_date=date(2027, 5, 26))
    db.session.add_all([a.q1, a.q3, a.q4])
    a.math, a.russian = jr_subject(a.org, "Математика"), jr_subject(a.org, "Русский язык")
    a.other = make_staff(a.org, "Словесникова", "Ольга", [Role.TEACHER.value], "a.other", sex="f")
    jr_assignment(a.org, a.year, a.klass, a.teacher, a.math)
    jr_assignment(a.org, a.year, a.klass, a.other, a.russian)
    for student, values in ((a.student, ("5", "4")), (a.classmate, ("3", "4"))):
        for period, value in zip((a.q1, a.period), values):
            jr_period_mark(student, a.math, period, value)
    db.session.commit()
    return a


@pytest.fixture
def report_school(world):
    """The small school of the teacher's and the student's reports (tests/factories.py rp_school)."""
    return rp_school(world)


@pytest.fixture
def rollover_school(world):
    """The world's organization `a` made a small school with a year to close (tests/factories.py
    ro_school), one of its students a repeater (an annual «2»)."""
    a = ro_school(world.a)
    ro_year_mark(a.classmate, a.math, a.year, "2")
    db.session.commit()
    return a


# -- the pages not registered yet: served by a second app on the same database --------------------------------
# Until admin_views/registry.py registers the movement, rollover and control views, their pages are served by a
# second app with these pages added; once registered, the suite's own app is used.

def _app_with(app, views):
    other = create_app({key: app.config[key] for key in
                        ("SQLALCHEMY_DATABASE_URI", "TESTING", "SECRET_KEY", "PASSWORD_HASH_PARAMS")})
    admin = other.extensions["journal_admin"]
    for view in views:
        admin.add_view(view)
    return other


def _browser_of(app):
    def open_browser(login=None):
        b = Browser(app)
        if login is not None:
            assert b.login(login).status_code == 302, login
        return b
    return open_browser


@pytest.fixture(scope="session")
def mv_app(app):
    """The app serving the movement book's pages."""
    if movement_registered(app):
        return app
    return _app_with(app, [*movement_views.views(), *movement_views.pages()])


@pytest.fixture
def mv_browser(mv_app):
    return _browser_of(mv_app)


@pytest.fixture(scope="session")
def ro_app(app):
    """The app serving the rollover, semester and control pages."""
    if rollover_pages_registered(app):
        return app
    return _app_with(app, [*rollover_views.pages(), *control_views.pages()])


@pytest.fixture
def ro_browser(ro_app):
    return _browser_of(ro_app)
