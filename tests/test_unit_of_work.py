"""One unit of work (issue 14, services/uow.py): services only flush; a request, a CLI command or a
background job commits once at its end, and a DomainError is answered once with nothing changed."""
import re
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from models import User, db
from services import uow
from services.context import Actor
from services.errors import DomainError
from services.people import accounts

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = [ROOT / "app.py", *sorted((ROOT / "services").rglob("*.py")), *sorted((ROOT / "admin_views").rglob("*.py")),
           *sorted((ROOT / "reports").rglob("*.py"))]


@pytest.fixture
def commits():
    """The sessions committed while the test runs (the test's own, a request's, a command's)."""
    made = []

    def count(session):
        made.append(session)

    event.listen(Session, "after_commit", count)
    yield made
    event.remove(Session, "after_commit", count)


def of_requests(commits):
    """The commits but the test's own (a Browser commits the test's work before each request)."""
    own = db.session()
    return [session for session in commits if session is not own]


def user(login):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.login == login))


def test_only_the_unit_of_work_commits():
    """No `.commit()` and no `commit=` parameter in the product outside services/uow.py."""
    found = []
    for path in PRODUCT:
        if path == ROOT / "services" / "uow.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if re.search(r"\.commit\(\)|\bcommit\s*=", code):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_services_only_flush_and_the_caller_rolls_them_back(world, commits):
    admin = Actor.for_user(world.a.admin.user, world.a.org.id)
    teacher_id = world.a.teacher.user_id
    commits.clear()

    assert accounts.set_blocked(admin, "user", User, [teacher_id], True) == 1
    credentials = accounts.reset_passwords(admin, "user", User, [teacher_id])
    assert [c.login for c in credentials] == ["a.teacher"]
    accounts.change_password(world.a.admin.user, "test-pass-123", "a-new-lamp-river", "a-new-lamp-river")

    assert commits == []
    db.session.rollback()
    assert not user("a.teacher").is_blocked
    assert not user("a.teacher").must_change_password


def test_a_unit_commits_at_its_end_and_rolls_back_on_an_error(world):
    with uow.unit():
        db.session.get(User, world.a.teacher.user_id).is_blocked = True
    assert user("a.teacher").is_blocked

    with pytest.raises(DomainError), uow.unit():
        db.session.get(User, world.a.teacher.user_id).is_blocked = False
        db.session.flush()
        raise DomainError("Отказано")
    assert user("a.teacher").is_blocked


def test_a_successful_request_commits_once(world, browser, commits):
    admin = browser()
    admin.login("a.admin")
    commits.clear()

    resp = admin.post("/accounts/action/", {"action": "block", "rowid": str(world.a.teacher.user_id)})

    assert resp.status_code == 302
    assert len(of_requests(commits)) == 1
    assert user("a.teacher").is_blocked


def test_a_read_commits_nothing(world, browser, commits):
    admin = browser()
    admin.login("a.admin")
    commits.clear()

    assert admin.get("/").status_code == 200
    assert of_requests(commits) == []


def test_a_domain_error_of_a_page_changes_nothing_and_is_flashed_once(world, browser):
    admin = browser()
    admin.login("a.admin")

    # the teacher would be blocked with the admin, but the admin's own account cannot be: nothing is
    resp = admin.post("/accounts/action/", {"action": "block", "rowid": [str(world.a.teacher.user_id),
                                                                         str(world.a.admin.user_id)]})

    assert resp.status_code == 302
    assert not user("a.teacher").is_blocked and not user("a.admin").is_blocked
    page = admin.get(resp.location).get_data(as_text=True)
    assert page.count("Нельзя заблокировать собственную учётную запись.") == 1
    assert "Нельзя заблокировать" not in admin.get(resp.location).get_data(as_text=True)


def test_a_domain_error_of_a_command_exits_1_with_its_message_and_changes_nothing(world, app):
    before = db.session.scalar(select(func.count()).select_from(User))

    result = app.test_cli_runner().invoke(args=["create-admin", "a.teacher", "--password", "winter-lamp-river"])

    assert result.exit_code == 1
    assert "Логин «a.teacher» уже занят." in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_a_command_commits_once_at_its_end(app, commits):
    result = app.test_cli_runner().invoke(args=["create-admin", "chief", "--password", "winter-lamp-river"])

    assert result.exit_code == 0, result.output
    assert len(commits) == 1  # the command runs in the test's application context, on its session
    assert user("chief").is_superadmin
