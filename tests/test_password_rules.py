"""Passwords a person chooses: not a common one, not his login nor his name; the same rule on every path
that sets a typed password — the change-password page, create-admin, demo-data (issue 11.8)."""
import pytest
from sqlalchemy import select

from models import User, db
from services.people import accounts
from tests.conftest import TEST_PASSWORD

COMMON = ["qwerty123", "Password1", "1q2w3e4r5t", "12345678", "Privet2024!", "gfhjkm12", "Пароль123",
          "Maksim1990", "iloveyou", "19901990", "qwertyuiop"]
LOGIN = "Пароль не должен совпадать с логином или содержать его."
NAME = "Пароль не должен содержать фамилию, имя, отчество или часть логина."
# a.teacher is «Учителев Тимур Петрович»
PERSONAL = {"A.Teacher": LOGIN, "my-a.teacher-pass": LOGIN, "teacher-2026-x": NAME, "Учителев!2026": NAME,
            "uchitelev-forever": NAME, "x-Timur-x-1987": NAME, "my-petrovich-pass": NAME}


def change(b, new):
    return b.post("/change-password", {"old_password": TEST_PASSWORD, "new_password": new, "confirm_password": new})


def password_hash(login):
    db.session.expire_all()
    return db.session.scalar(select(User.password_hash).where(User.login == login))


@pytest.fixture
def teacher(world, browser):
    b = browser()
    b.login("a.teacher")
    return b


@pytest.mark.parametrize("password", COMMON)
def test_a_common_password_is_refused_on_the_change_password_page(teacher, password):
    before = password_hash("a.teacher")
    resp = change(teacher, password)
    assert resp.status_code == 400
    assert "Этот пароль слишком распространён" in resp.get_data(as_text=True)
    assert password_hash("a.teacher") == before


@pytest.mark.parametrize("password", PERSONAL)
def test_the_login_or_the_persons_name_is_refused(teacher, password):
    before = password_hash("a.teacher")
    resp = change(teacher, password)
    assert resp.status_code == 400
    assert PERSONAL[password] in resp.get_data(as_text=True)
    assert password_hash("a.teacher") == before


def test_an_uncommon_password_of_unrelated_words_is_taken(teacher):
    page = teacher.get("/change-password").get_data(as_text=True)
    assert "не из списка распространённых паролей" in page
    resp = change(teacher, "лампа-зонт-река-7")
    assert resp.status_code == 302
    assert accounts.verify_password(db.session.scalar(select(User).where(User.login == "a.teacher")),
                                    "лампа-зонт-река-7")


def test_the_list_is_shipped_lower_case_with_thousands_of_entries():
    common = accounts.common_passwords()
    assert len(common) > 20_000
    assert all(p == p.lower() and not p.startswith("#") for p in common)
    assert {"qwerty", "parol", "privet", "1q2w3e", "gfhjkm", "пароль"} <= common


def test_create_admin_and_demo_data_refuse_a_common_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "chief", "--password", "qwerty123"])
    assert result.exit_code == 1 and "слишком распространён" in result.output
    result = runner.invoke(args=["create-admin", "chief", "--password", "chief-2026-pass"])
    assert result.exit_code == 1 and "содержать его" in result.output
    result = runner.invoke(args=["demo-data", "--password", "Password2026"])
    assert result.exit_code != 0 and "слишком распространён" in result.output
    assert db.session.scalar(select(User.id)) is None
