"""The previous release's database upgrades and serves (issue 14.11).

`tests/data/release-0.1.0.sqlite.gz` is the database of release 0.1.0 (`python -m bench.release_db` on the
release's commit: the migrations to 0005_final_marks, the small demo school, the clock at 20.11.2026),
`release-0.1.0.json` its revision, demo accounts and rows per table. The test upgrades a copy with the
migrations of the code under test, finds every row still there and signs in as the demo administrator
and a demo teacher. The fixture is a SQLite file: on PostgreSQL (DATABASE_URL=postgresql…) the test is
skipped, the SQLite run covers it.

The released migrations are never edited (docs/DEVELOPING.md: a schema change is a new revision): their
sha256 is recorded here, and a change to one fails whatever the database.
"""
import gzip
import hashlib
import json
import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from app import create_app
from models import db
from services import clock
from tests.conftest import Browser

RELEASE = "0.1.0"
DATA = Path(__file__).resolve().parent / "data"
VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
ON_POSTGRESQL = (os.environ.get("DATABASE_URL") or "").startswith("postgresql")

# The migrations of release 0.1.0, as released.
RELEASED_MIGRATIONS = {
    "0001_initial.py": "535ef2cf6fdfeaa68185a0012a255e5c4d248b0a362984c0ddd1d5c8e8e087df",
    "0002_access_log.py": "63771ea84537ff59374fb3d876a2d1fd4ca410477a5bb3a9da18c78d15da1f9a",
    "0003_versions.py": "86d33c49c9aec4116290acef3512e1d202178291ed111abb917012950dbc6f7c",
    "0004_natural_keys.py": "bf396bd1559fee57f29c5e51767939f8931de3e7c67b07fb4bd8255095422ef5",
    "0005_final_marks.py": "43ead60e507c3a734ae01791c67460c73fa49a80edb78ff384e7ba154e4485f0",
}
# A later migration that means to change a table's rows of the release says so here:
# {table: rows after the upgrade} (a dropped table: None). Every other table keeps its rows.
EXPECTED_CHANGES = {}


def test_the_released_migrations_are_unchanged():
    for name, digest in RELEASED_MIGRATIONS.items():
        path = VERSIONS / name
        assert path.is_file(), f"released migration {name} is gone"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, \
            f"released migration {name} was edited: a schema change is a new revision, never an edit"


def row_counts():
    names = inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() for name in names}


def sign_in(app, login, password):
    b = Browser(app)
    resp = b.login(login, password)
    assert resp.status_code == 302, f"{login} did not sign in: {resp.status_code}"
    return b


@pytest.mark.skipif(ON_POSTGRESQL, reason="the release fixture is a SQLite database; the SQLite run upgrades it")
def test_the_previous_release_database_upgrades_and_serves(tmp_path):
    info = json.loads((DATA / f"release-{RELEASE}.json").read_text(encoding="utf-8"))
    path = tmp_path / f"release-{RELEASE}.sqlite"
    with gzip.open(DATA / f"release-{RELEASE}.sqlite.gz", "rb") as packed, open(path, "wb") as plain:
        shutil.copyfileobj(packed, plain)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True, "SECRET_KEY": "test-secret",
                      "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 64, "parallelism": 1}})
    with app.app_context(), clock.frozen(date.fromisoformat(info["today"])):
        try:
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == \
                    info["alembic_revision"]
            upgrade()
            heads = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_heads()
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() in heads

            # No row of the release lost (nor made up) by the upgrade.
            after = row_counts()
            for table, rows in info["row_counts"].items():
                if table == "alembic_version":
                    continue
                expected = EXPECTED_CHANGES.get(table, rows)
                assert after.get(table) == expected, f"{table}: {rows} rows in {RELEASE}, {after.get(table)} after"

            accounts = info["accounts"]
            for role in ("admin", "teacher"):
                b = sign_in(app, accounts[role], info["password"])
                home = b.get("/")
                assert home.status_code == 200, role
                assert "Здравствуйте" in home.get_data(as_text=True), role
                journal = b.get("/journal/")
                assert journal.status_code == 200, role
                grids = re.findall(r'href="(/journal/\d+/)"', journal.get_data(as_text=True))
                assert grids, f"{role}: no class journal listed"
                grid = b.get(grids[0])
                assert grid.status_code == 200 and "journal-config" in grid.get_data(as_text=True), (role, grids[0])
        finally:
            db.session.remove()
            db.engine.dispose()
