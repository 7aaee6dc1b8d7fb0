"""The database's settings where they differ (models/dialect.py) and a busy database's answer: SQLite
connections wait for the write lock and use WAL; a lock still held when the wait runs out is a Russian
503 page (or a flash message on a model form), never a 500."""
import sqlite3

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from admin_views.base import SecureModelView
from models import Room, db
from models.dialect import locked
from services.rollover import year as rollover
from tests.factories import ro_school

# Real commits: the engine's settings, seen from connections of their own.
pytestmark = pytest.mark.real_commits

BUSY = OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


@pytest.fixture
def sqlite_only():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's connection settings")


def test_every_sqlite_connection_waits_for_the_write_lock_and_uses_wal(sqlite_only):
    with db.engine.connect() as connection:
        settings = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                    for name in ("busy_timeout", "journal_mode", "synchronous", "foreign_keys")}
    assert settings == {"busy_timeout": 15000, "journal_mode": "wal", "synchronous": 1, "foreign_keys": 1}


def test_a_lock_taken_on_sqlite_is_the_whole_database_s_write_lock(sqlite_only):
    db.session.scalars(locked(select(Room))).all()
    raw = db.session.connection().connection.dbapi_connection
    assert raw.in_transaction
    other = sqlite3.connect(db.engine.url.database, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        db.session.rollback()


def test_a_database_still_locked_after_the_wait_is_a_russian_503(world, browser, monkeypatch):
    ro_school(world.a)
    db.session.commit()
    b = browser()
    b.login("a.admin")

    def busy(actor, year):
        raise BUSY
    monkeypatch.setattr(rollover, "run_check", busy)
    resp = b.post(f"/rollover/step/1/?year_id={world.a.year.id}")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert "База данных занята, повторите через несколько секунд" in resp.get_data(as_text=True)


def test_a_model_form_saved_while_the_database_is_busy_says_so(world, browser, monkeypatch):
    b = browser()
    b.login("a.admin")

    def busy(self, form, model, is_created):
        raise BUSY
    monkeypatch.setattr(SecureModelView, "on_model_change", busy)
    resp = b.post("/rooms/new/", data={"name": "Кабинет 12"}, follow_redirects=True)
    assert "Запись не сохранена. База данных занята, повторите через несколько секунд." in resp.get_data(as_text=True)
    assert db.session.scalar(select(Room.id)) is None
