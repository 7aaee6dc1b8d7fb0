"""Migration 0003_versions on a database with data (issue 12): the rows of a released schema get
version 1 and keep everything else; the edit forms work on them at once. On its own SQLite file,
whatever DATABASE_URL the suite runs on."""
import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from models import Organization, db

# Real commits: migrations, on a database of their own.
pytestmark = pytest.mark.real_commits


def test_existing_rows_get_version_one_and_keep_their_data(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'released.db'}", "TESTING": True,
                      "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(revision="0001_initial")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO organization "
                              "(id, kind, full_name, short_name, timezone, rounding_threshold) "
                              "VALUES (1, 'school', 'МБОУ СОШ № 1', 'СОШ № 1', 'Europe/Moscow', 0.5)"))
            conn.execute(text("INSERT INTO academic_year (id, org_id, name, start_date, end_date, is_closed) "
                              "VALUES (1, 1, '2026/2027', '2026-09-01', '2027-06-30', 0)"))
            conn.execute(text("INSERT INTO period (id, org_id, year_id, type, number, name, start_date, end_date, "
                              "is_closed) VALUES (1, 1, 1, 'quarter', 1, '1 четверть', '2026-09-01', '2026-10-31', 1)"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT name, is_closed, version FROM period")).one() == ("1 четверть", 1, 1)
        org = db.session.get(Organization, 1)
        assert (org.short_name, org.version) == ("СОШ № 1", 1)
        org.phone = "+7 343 000-00-00"
        db.session.commit()
        assert db.session.get(Organization, 1).version == 2
        db.session.remove()
        db.engine.dispose()
