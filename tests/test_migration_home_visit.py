"""Migration 0006_home_last_visit on a database with accounts (issue 15.1): every account keeps its
data and starts with no visit of the start page. On its own SQLite file, whatever DATABASE_URL the suite
runs on."""
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from models import db


def test_accounts_keep_their_data_and_start_without_a_visit(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'released.db'}", "TESTING": True,
                      "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(revision="0005_final_marks")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO user_account (id, login, password_hash, is_blocked, is_superadmin, "
                              "must_change_password, session_token, display_name, created_at) VALUES "
                              "(1, 'ivanova', 'hash', 0, 0, 0, 'token', 'Иванова Мария', '2026-09-01 08:00:00')"))
        upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT login, display_name, password_hash, home_seen_at, home_since "
                                    "FROM user_account")).one()
        assert tuple(row) == ("ivanova", "Иванова Мария", "hash", None, None)
        db.session.remove()
        db.engine.dispose()
