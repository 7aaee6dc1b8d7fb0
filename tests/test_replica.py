"""The read replica (issue 20.3, services/database.py `on_replica`): with DATABASE_REPLICA_URL a report's SELECTs
are read from the replica's engine, its writes never; without the setting everything is on the primary.

The replica here is a copy of a SQLite file made different from its primary after the copy (its students are
girls there), so a report's figures say which database it read. The routing does not depend on the dialect.
"""
import shutil
import sqlite3

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


@pytest.fixture
def replicated(tmp_path):
    primary, replica = tmp_path / "primary.db", tmp_path / "replica.db"
    setup = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{primary}", "TESTING": True, "SECRET_KEY": "test",
                        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 64, "parallelism": 1}})
    with setup.app_context():
        upgrade()
        build_world()
        db.session.remove()
        db.engine.dispose()
    shutil.copyfile(primary, replica)
    with sqlite3.connect(replica) as conn:
        conn.execute("UPDATE student SET sex = 'f'")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{primary}", "TESTING": True, "SECRET_KEY": "test",
                      "DATABASE_REPLICA_URL": f"sqlite:///{replica}"})
    with app.app_context():
        log = {"primary": [], "replica": []}
        for name, engine in (("primary", db.engine), ("replica", database.replica_engine())):
            event.listen(engine, "before_cursor_execute",
                         lambda conn, cursor, sql, *args, name=name: log[name].append(sql.lstrip().split()[0].upper()))
        replica_engine = database.replica_engine()
        yield app, log, replica
        db.session.remove()
        db.engine.dispose()
        replica_engine.dispose()


def test_a_report_reads_the_replica_and_writes_stay_on_the_primary(replicated):
    app, log, replica_file = replicated
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
    with sqlite3.connect(replica_file) as conn:
        assert conn.execute("SELECT count(*) FROM organization WHERE short_name = 'Первичная'").fetchone() == (0,)


def test_without_a_replica_everything_is_on_the_primary(replicated):
    app, log, _ = replicated
    app.extensions["database"].replica = None
    doc = registry.build(actor_of("a.admin"), "class-fill", {}, today=TEST_TODAY)
    assert _girls_of_5a(doc) == 0
    assert log["replica"] == []
