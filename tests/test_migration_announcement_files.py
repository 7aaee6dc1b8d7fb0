"""Migration 0015_announcement_files on a database with announcements (issue 16.3): the single attachment of
each announcement (announcement.file_id) becomes its first attachment in announcement_file; an announcement
without one has none; everything else is kept. On its own SQLite file, whatever DATABASE_URL the suite runs on."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from app import create_app
from models import Announcement, db

# Real commits: migrations, on a database of their own.
pytestmark = pytest.mark.real_commits


def test_the_attached_file_of_an_announcement_stays_attached(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'released.db'}", "TESTING": True,
                      "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(revision="0014_paper_reports")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO organization "
                              "(id, kind, full_name, short_name, timezone, rounding_threshold) "
                              "VALUES (1, 'school', 'МБОУ СОШ № 1', 'СОШ № 1', 'Europe/Moscow', 0.5)"))
            conn.execute(text("INSERT INTO stored_file (id, org_id, name, content_type, size, sha256, storage_key, "
                              "created_at) VALUES (7, 1, 'Повестка.pdf', 'application/pdf', 10, :sha, 'key-7', "
                              "'2026-11-19 10:00:00')"), {"sha": "a" * 64})
            for ident, file_id in ((1, 7), (2, None)):
                conn.execute(text(
                    "INSERT INTO announcement (id, org_id, audience, title, body, publish_date, end_date, file_id, "
                    "withdrawn, notified, created_at, version) VALUES (:id, 1, 'all', :title, 'Текст', "
                    "'2026-11-19', '2026-11-30', :file_id, 0, 1, '2026-11-19 10:00:00', 1)"),
                    {"id": ident, "title": f"Объявление {ident}", "file_id": file_id})
        upgrade()
        assert "file_id" not in {c["name"] for c in inspect(db.engine).get_columns("announcement")}
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT announcement_id, stored_file_id, position FROM announcement_file"
                                     )).all() == [(1, 7, 0)]
        with_file, without = db.session.scalars(select(Announcement).order_by(Announcement.id)).all()
        assert [f.name for f in with_file.attachments] == ["Повестка.pdf"] and without.attachments == []
        assert with_file.title == "Объявление 1" and with_file.version == 1
        db.session.remove()
        downgrade(revision="0014_paper_reports")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, file_id FROM announcement ORDER BY id")).all() == [(1, 7), (2, None)]
        db.session.remove()
        db.engine.dispose()
