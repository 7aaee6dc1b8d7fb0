"""`flask --app app create-admin LOGIN`: the only way to the first account (no default accounts)."""
from flask_migrate import upgrade
from sqlalchemy import func, select

from app import create_app
from models import LoginEvent, User, db
from tests.conftest import Browser

GOOD_PASSWORD = "winter-lamp-river"


def users():
    db.session.expire_all()
    return db.session.scalars(select(User).order_by(User.id)).all()


def test_a_fresh_installation_has_no_accounts(app, tmp_path):
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.db'}",
                        "TESTING": True, "SECRET_KEY": "test-secret",
                        "PASSWORD_HASH_PARAMS": app.config["PASSWORD_HASH_PARAMS"]})
    with fresh.app_context():
        upgrade()
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        b = Browser(fresh)
        for login, password in (("admin", "admin"), ("admin", "password"), ("root", "root")):
            assert b.post("/login", {"login": login, "password": password}).status_code == 401

        result = fresh.test_cli_runner().invoke(args=["create-admin", "admin", "--password", GOOD_PASSWORD])

        assert result.exit_code == 0, result.output
        assert Browser(fresh).login("admin", GOOD_PASSWORD).status_code == 302
        db.session.remove()
        db.engine.dispose()


def test_create_admin_with_the_password_option(app, browser):
    result = app.test_cli_runner().invoke(args=["create-admin", " Chief ", "--password", GOOD_PASSWORD])

    assert result.exit_code == 0, result.output
    assert "Создан администратор установки «chief»." in result.output
    [admin] = users()
    assert admin.login == "chief"
    assert admin.is_superadmin and not admin.is_blocked
    assert not admin.must_change_password  # he chose the password himself
    assert admin.password_hash.startswith("$argon2id$") and GOOD_PASSWORD not in admin.password_hash

    b = browser()
    assert b.login("chief", GOOD_PASSWORD).status_code == 302
    page = b.get("/organizations/")
    assert page.status_code == 200
    assert b.get("/organizations/new/").status_code == 200
    assert db.session.scalars(select(LoginEvent.success)).all() == [True]


def test_create_admin_asks_for_the_password_twice(app, browser):
    result = app.test_cli_runner().invoke(args=["create-admin", "chief"],
                                          input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Пароль" in result.output and "Повторите пароль" in result.output
    assert GOOD_PASSWORD not in result.output  # hidden input is not echoed
    assert browser().login("chief", GOOD_PASSWORD).status_code == 302


def test_create_admin_refuses_a_mismatched_confirmation(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "chief"],
                                          input=f"{GOOD_PASSWORD}\nsomething-else\n")
    assert result.exit_code != 0
    assert users() == []


def test_create_admin_refuses_a_short_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "chief", "--password", "1234567"])
    assert result.exit_code == 1
    assert "Пароль должен содержать не менее 8 символов." in result.output
    result = runner.invoke(args=["create-admin", "chief"], input="short\nshort\n")
    assert result.exit_code == 1
    assert "не менее 8 символов" in result.output
    result = runner.invoke(args=["create-admin", "chief", "--password", "Chief"])
    assert result.exit_code == 1
    assert users() == []


def test_create_admin_refuses_the_login_as_password(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "chiefadmin", "--password", "ChiefAdmin"])
    assert result.exit_code == 1
    assert "не должен совпадать с логином" in result.output
    assert users() == []


def test_create_admin_refuses_a_taken_login(world, app):
    before = [(u.id, u.password_hash) for u in users()]
    runner = app.test_cli_runner()
    for login in ("root", "A.Admin"):
        result = runner.invoke(args=["create-admin", login, "--password", GOOD_PASSWORD])
        assert result.exit_code == 1
        assert f"Логин «{login.lower()}» уже занят." in result.output
    assert [(u.id, u.password_hash) for u in users()] == before
    assert not db.session.scalar(select(User).where(User.login == "a.admin")).is_superadmin


def test_create_admin_refuses_an_empty_login(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "  ", "--password", GOOD_PASSWORD])
    assert result.exit_code == 1
    assert "Укажите логин." in result.output
    assert users() == []
