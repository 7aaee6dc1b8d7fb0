"""The read replica (issue 20.3, services/database.py `on_replica`): with DATABASE_REPLICA_URL a report's SELECTs
are read from the replica's engine, its writes never; without the setting everything is on the primary.

The replica here is a copy of the primary made different from it after the copy (its students are girls there),
so a report's figures say which database it read: a copy of a SQLite file, or on PostgreSQL (DATABASE_URL) a
second database made from the first as its template.
"""
import os
import shutil
import sqlite3
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import event, select

from app import create_app
from models import Organization, db
from reports import registry
from reports.render import to_json
from services import database
from tests.conftest import TEST_TODAY
from tests.factories import actor_of, build_world


def _girls_of_5a(doc):
    rows = to_json(doc)["sheets"][0]["blocks"][0]["rows"]
    return next(row[5] for row in rows if row[1] == "5А")


class SqliteCopies:
    """A primary file and its copy."""

    def __init__(self, tmp_path):
        self.primary, self.replica = tmp_path / "primary.db", tmp_path / "replica.db"
        self.primary_url, self.replica_url = f"sqlite:///{self.primary}", f"sqlite:///{self.replica}"

    def copy(self):
        shutil.copyfile(self.primary, self.replica)

    def on_replica(self, sql):
        with sqlite3.connect(self.replica) as conn:
            return conn.execute(sql).fetchall()

    def drop(self):
        pass


class PostgresCopies:
    """Two throwaway databases beside DATABASE_URL's: the primary, and its copy (CREATE DATABASE … TEMPLATE)."""

    def __init__(self, base):
        parts = urlsplit(base)
        stem = parts.path.lstrip("/") or "postgres"
        self.names = (f"{stem}_replica_primary", f"{stem}_replica_copy")
        self.admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
        self.primary_url, self.replica_url = (urlunsplit(parts._replace(path=f"/{name}")) for name in self.names)
        self.drop()
        self._admin(f'CREATE DATABASE "{self.names[0]}"')

    def _admin(self, sql):
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(sql)

    def copy(self):
        self._admin(f'CREATE DATABASE "{self.names[1]}" TEMPLATE "{self.names[0]}"')

    def on_replica(self, sql):
        url = urlunsplit(urlsplit(self.replica_url)._replace(scheme="postgresql"))
        with psycopg.connect(url, autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def drop(self):
        for name in self.names:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def replicated(tmp_path):
    base = os.environ.get("DATABASE_URL") or ""
    copies = PostgresCopies(base) if base.startswith("postgresql") else SqliteCopies(tmp_path)
    setup = create_app({"SQLALCHEMY_DATABASE_URI": copies.primary_url, "TESTING": True, "SECRET_KEY": "test",
                        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 64, "parallelism": 1}})
    with setup.app_context():
        upgrade()
        build_world()
        db.session.remove()
        db.engine.dispose()
    copies.copy()
    copies.on_replica("UPDATE student SET sex = 'f'")
    app = create_app({"SQLALCHEMY_DATABASE_URI": copies.primary_url, "TESTING": True, "SECRET_KEY": "test",
                      "DATABASE_REPLICA_URL": copies.replica_url})
    try:
        with app.app_context():
            log = {"primary": [], "replica": []}
            replica_engine = database.replica_engine()
            for name, engine in (("primary", db.engine), ("replica", replica_engine)):
                event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *args, name=name:
                             log[name].append(sql.lstrip().split()[0].upper()))
            yield app, log, copies
            db.session.remove()
            db.engine.dispose()
            replica_engine.dispose()
    finally:
        copies.drop()


def test_a_report_reads_the_replica_and_writes_stay_on_the_primary(replicated):
    app, log, copies = replicated
    actor = actor_of("a.admin")
    before = len(log["primary"])
    doc = registry.build(actor, "class-fill", {}, today=TEST_TODAY)
    assert _girls_of_5a(doc) == 2, "the figures are the replica's"
    assert log["replica"] and set(log["replica"]) == {"SELECT"}
    assert len(log["primary"]) - before <= 3, "the parameters' few reads only, not the report's"

    # a write inside the block goes to the primary, never to the replica
    with database.on_replica():
        org = db.session.scalars(select(Organization).order_by(Organization.id)).first()
        org.short_name = "Первичная"
        db.session.flush()
    db.session.commit()
    assert "UPDATE" in log["primary"] and set(log["replica"]) == {"SELECT"}
    assert copies.on_replica("SELECT count(*) FROM organization WHERE short_name = 'Первичная'") == [(0,)]


def test_without_a_replica_everything_is_on_the_primary(replicated):
    app, log, _ = replicated
    app.extensions["database"].replica = None
    doc = registry.build(actor_of("a.admin"), "class-fill", {}, today=TEST_TODAY)
    assert _girls_of_5a(doc) == 0
    assert log["replica"] == []
