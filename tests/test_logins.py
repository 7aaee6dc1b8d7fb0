"""Logins: issuing (students, parents, staff), printable slips, reset, block; the class teacher's reach."""
import io
import re

import openpyxl
from sqlalchemy import func, select

from models import Parent, Student, User, db
from services.people import accounts
from services.errors import DomainError
from tests.conftest import TEST_PASSWORD
from tests.factories import make_parent, make_staff, make_student
from tests.helpers import action, flashes, fresh, logs_in, open_browser, user_of
from services.context import Actor

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def slips(resp, b=None):
    """{sheet title: [{'ФИО':…, 'Логин':…, 'Пароль':…, …}, …]} and the workbook, from a slips file: the
    response itself (a reset), or, given the browser `b`, the one-time download linked from the list the
    issuing action goes back to."""
    if b is not None:
        resp = b.get(downloaded_from(b, resp))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == XLSX
    assert resp.headers["Cache-Control"] == "no-store"
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    result = {}
    for ws in book.worksheets:
        people, current = [], None
        for label, value in ws.iter_rows(values_only=True, max_col=2):
            if label == "ФИО":
                current = {"ФИО": value}
                people.append(current)
            elif current is not None and label in ("Роль", "Адрес сайта", "Логин", "Пароль"):
                current[label] = value
            elif current is not None and isinstance(label, str) and label.startswith("✂"):
                current["cut"] = True
        result[ws.title] = people
    return result, book


def downloaded_from(b, resp):
    """The slips' link on the list «Выдать логины» redirected to (the list shows the new logins)."""
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    page = b.get(resp.headers["Location"]).get_data(as_text=True)
    link = re.search(r'<a href="([^"]+/slips/)" data-autodownload>', page)
    assert link, page[:3000]
    return link.group(1)


# -- logins from names ------------------------------------------------------------------


def test_login_is_transliterated_from_the_name_and_unique_across_installation(world):
    card = Student(last_name="Щукина", first_name="Юлия", middle_name="Ёрьевна")
    assert accounts.base_login(card) == "shchukina.ie"
    assert accounts.base_login(Parent(last_name="Иванов-Петров", first_name="Илья")) == "ivanov-petrov.i"
    assert accounts.base_login(Parent(last_name="Сэмюэлсон-Ōno", first_name="Ян")).isascii()
    accounts.new_user("ivanov.ii", "занят в другой организации")
    db.session.flush()
    taken = set()
    assert accounts.unique_login("ivanov.ii", taken) == "ivanov.ii2"
    assert accounts.unique_login("ivanov.ii", taken) == "ivanov.ii3"  # the same batch
    assert accounts.unique_login("ivanov.i", taken) == "ivanov.i"


# -- the administrator issues ---------------------------------------------------------------


def test_admin_issues_student_logins_as_slips_by_class_and_each_logs_in(world, browser):
    a = world.a
    namesake = make_student(a.org, a.other_class, "Соседов", "Семён")  # same ФИО as the classmate
    db.session.commit()
    admin = open_browser(browser, "a.admin")

    resp = action(admin, "/students/action/", "issue_logins", [a.classmate.id, namesake.id, a.stranger.id])
    by_class, book = slips(resp, admin)

    assert set(by_class) == {"5А", "6Б"}  # one sheet (so one printed page run) per class
    assert [p["ФИО"] for p in by_class["5А"]] == ["Соседов Семён Иванович"]
    assert sorted(p["ФИО"] for p in by_class["6Б"]) == ["Соседов Семён Иванович", "Чужов Игорь Иванович"]
    logins = {p["Логин"] for people in by_class.values() for p in people}
    assert logins == {"sosedov.si", "sosedov.si2", "chuzhov.ii"}
    for ws in book.worksheets:
        assert ws.page_setup.paperSize == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
        assert "Учётные данные" in ws["A1"].value and ws.title in ws["A1"].value
    for people in by_class.values():
        for p in people:
            assert p["Адрес сайта"] == "http://localhost" and p["Роль"] == "Обучающийся" and p["cut"]
            assert len(p["Пароль"]) >= 8

    fresh()
    issued = {s.user.login: s for s in db.session.scalars(
        select(Student).where(Student.id.in_([a.classmate.id, namesake.id, a.stranger.id])))}
    assert set(issued) == logins
    for people in by_class.values():
        for p in people:
            user = issued[p["Логин"]].user
            assert user.must_change_password and p["Пароль"] not in user.password_hash
            logs_in(browser, p["Логин"], p["Пароль"])

    # Logins are unique across the installation: the namesake in organization B gets the next one.
    admin_b = open_browser(browser, "b.admin")
    by_class, _ = slips(action(admin_b, "/students/action/", "issue_logins", [world.b.stranger.id]), admin_b)
    assert by_class["6Б"][0]["Логин"] == "chuzhov.ii2"


def test_site_address_on_slips_comes_from_the_organization_card(world, browser):
    world.a.org.site_url = "https://journal.school7.ru"
    db.session.commit()
    admin = open_browser(browser, "a.admin")
    by_class, _ = slips(action(admin, "/students/action/", "issue_logins", [world.a.classmate.id]), admin)
    assert by_class["5А"][0]["Адрес сайта"] == "https://journal.school7.ru"


def test_an_issued_account_must_change_its_password_at_first_login(world, browser):
    admin = open_browser(browser, "a.admin")
    by_class, _ = slips(action(admin, "/students/action/", "issue_logins", [world.a.classmate.id]), admin)
    slip = by_class["5А"][0]

    student = logs_in(browser, slip["Логин"], slip["Пароль"])
    resp = student.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/change-password")
    assert student.get("/students/").headers["Location"].endswith("/change-password")
    page = student.get("/change-password").get_data(as_text=True)
    assert "Это первый вход с выданным паролем" in page

    resp = student.post("/change-password", data={"old_password": slip["Пароль"],
                                                  "new_password": "moi-parol-2026",
                                                  "confirm_password": "moi-parol-2026"})
    assert resp.status_code == 302
    assert student.get("/").status_code == 200
    assert not user_of(world.a.classmate).must_change_password
    logs_in(browser, slip["Логин"], "moi-parol-2026")


def test_issuing_again_changes_nothing_and_says_so(world, browser):
    a = world.a
    before = user_of(a.student).password_hash
    admin = open_browser(browser, "a.admin")

    resp = action(admin, "/students/action/", "issue_logins", [a.student.id], follow_redirects=True)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert "уже есть учётные записи" in flashes(resp)
    assert user_of(a.student).password_hash == before
    logs_in(browser, "a.student", TEST_PASSWORD)

    # In a mixed batch only those without an account get one; the others keep theirs.
    users_before = db.session.scalar(select(func.count(User.id)))
    by_class, _ = slips(action(admin, "/students/action/", "issue_logins", [a.student.id, a.classmate.id]),
                        admin)
    assert [p["ФИО"] for p in by_class["5А"]] == ["Соседов Семён Иванович"]
    fresh()
    assert db.session.scalar(select(func.count(User.id))) == users_before + 1
    assert user_of(a.student).password_hash == before


def test_admin_issues_parent_and_staff_logins(world, browser):
    a = world.a
    mother = make_parent(a.org, [a.classmate, a.stranger], "Соседова", "Галина")
    newcomer = make_staff(a.org, "Новикова", "Нина", ["teacher"], sex="f")
    db.session.commit()
    admin = open_browser(browser, "a.admin")

    by_class, _ = slips(action(admin, "/parents/action/", "issue_logins", [mother.id, a.stranger_parent.id]),
                        admin)
    assert set(by_class) == {"5А, 6Б", "6Б"}
    slip = by_class["5А, 6Б"][0]
    assert slip["Логин"] == "sosedova.gi" and slip["Роль"].startswith("Родитель (")
    logs_in(browser, slip["Логин"], slip["Пароль"])
    logs_in(browser, by_class["6Б"][0]["Логин"], by_class["6Б"][0]["Пароль"])

    by_class, _ = slips(action(admin, "/staff/action/", "issue_logins", [newcomer.id]), admin)
    slip = by_class["Сотрудники"][0]
    assert slip["Логин"] == "novikova.np" and slip["Роль"] == "Учитель"
    teacher = logs_in(browser, slip["Логин"], slip["Пароль"])
    assert teacher.get("/").headers["Location"].endswith("/change-password")
    assert user_of(newcomer).must_change_password


def test_reset_password_ends_sessions_and_replaces_the_password(world, browser):
    student = open_browser(browser, "a.student")
    assert student.get("/").status_code == 200
    admin = open_browser(browser, "a.admin")

    by_class, _ = slips(action(admin, "/students/action/", "reset_password", [world.a.student.id]))
    slip = by_class["5А"][0]
    assert slip["Логин"] == "a.student" and slip["Пароль"] != TEST_PASSWORD

    resp = student.get("/")  # the session opened with the old password is over
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert open_browser(browser).login("a.student", TEST_PASSWORD).status_code == 401
    fresh_student = logs_in(browser, "a.student", slip["Пароль"])
    assert fresh_student.get("/").headers["Location"].endswith("/change-password")


def test_block_and_unblock(world, browser):
    parent = open_browser(browser, "a.parent")
    admin = open_browser(browser, "a.admin")

    resp = action(admin, "/parents/action/", "block", [world.a.parent.id], follow_redirects=True)
    assert "Заблокировано учётных записей: 1" in flashes(resp)
    assert user_of(world.a.parent).is_blocked
    assert "/login" in parent.get("/").headers["Location"]
    resp = open_browser(browser).login("a.parent", TEST_PASSWORD)
    assert resp.status_code == 401 and "заблокирована" in resp.get_data(as_text=True)

    resp = action(admin, "/parents/action/", "unblock", [world.a.parent.id], follow_redirects=True)
    assert "Разблокировано учётных записей: 1" in flashes(resp)
    logs_in(browser, "a.parent", TEST_PASSWORD)

    # Staff accounts too; the administrator cannot lock himself out.
    action(admin, "/staff/action/", "block", [world.a.teacher.id])
    assert user_of(world.a.teacher).is_blocked
    resp = action(admin, "/staff/action/", "block", [world.a.admin.id], follow_redirects=True)
    assert "собственную" in flashes(resp)
    assert not user_of(world.a.admin).is_blocked


def test_hr_may_not_issue_logins(world, browser):
    hr = open_browser(browser, "a.hr")
    resp = action(hr, "/students/action/", "issue_logins", [world.a.classmate.id])
    assert resp.status_code == 403
    assert user_of(world.a.classmate) is None


# -- the class teacher: own class only ----------------------------------------------------------


def test_class_teacher_manages_logins_of_own_students_and_their_parents(world, browser):
    a = world.a
    mother = make_parent(a.org, [a.classmate], "Соседова", "Галина")
    db.session.commit()
    ct = open_browser(browser, "a.class_teacher")

    by_class, _ = slips(action(ct, "/students/action/", "issue_logins", [a.classmate.id]), ct)
    logs_in(browser, by_class["5А"][0]["Логин"], by_class["5А"][0]["Пароль"])
    by_class, _ = slips(action(ct, "/parents/action/", "issue_logins", [mother.id]), ct)
    logs_in(browser, by_class["5А"][0]["Логин"], by_class["5А"][0]["Пароль"])

    by_class, _ = slips(action(ct, "/parents/action/", "reset_password", [a.parent.id]))
    logs_in(browser, "a.parent", by_class["5А"][0]["Пароль"])
    action(ct, "/students/action/", "block", [a.student.id])
    assert user_of(a.student).is_blocked
    action(ct, "/students/action/", "unblock", [a.student.id])
    assert not user_of(a.student).is_blocked


def test_class_teacher_cannot_touch_another_class(world, browser):
    a = world.a
    fresh_one = make_student(a.org, a.klass, "Новиков", "Олег")
    db.session.commit()
    ct = open_browser(browser, "a.class_teacher")
    users_before = db.session.scalar(select(func.count(User.id)))

    for url, name, ids in [
        ("/students/action/", "issue_logins", [a.stranger.id]),
        ("/students/action/", "issue_logins", [fresh_one.id, a.stranger.id]),  # one foreign row spoils all
        ("/parents/action/", "issue_logins", [a.stranger_parent.id]),
        ("/students/action/", "reset_password", [world.b.student.id]),  # another organization
        ("/parents/action/", "block", [world.b.parent.id]),
    ]:
        assert action(ct, url, name, ids).status_code == 404, (url, name, ids)
    assert action(ct, "/staff/action/", "reset_password", [a.teacher.id]).status_code == 403

    fresh()
    assert db.session.scalar(select(func.count(User.id))) == users_before
    assert user_of(a.stranger) is None and user_of(fresh_one) is None and user_of(a.stranger_parent) is None
    assert not user_of(world.b.parent).is_blocked
    logs_in(browser, "b.student", TEST_PASSWORD)


def test_class_teacher_cannot_reset_an_account_that_also_opens_a_staff_card(world, browser):
    """A teacher whose child is in 5А is a parent there; his account is not the class teacher's."""
    a = world.a
    teacher_as_parent = make_parent(a.org, [a.classmate], "Админов", "Антон")
    teacher_as_parent.user_id = a.admin.user_id  # the administrator's own account
    db.session.commit()
    ct = open_browser(browser, "a.class_teacher")

    for name in ("reset_password", "block"):
        resp = action(ct, "/parents/action/", name, [teacher_as_parent.id], follow_redirects=True)
        assert "нет доступа" in flashes(resp), name
    logs_in(browser, "a.admin", TEST_PASSWORD)
    assert not user_of(a.admin).is_blocked


def test_services_refuse_rows_outside_the_actor_reach(world):
    ct = Actor.for_user(world.a.class_teacher.user)
    try:
        accounts.issue_logins(ct, "student", Student, [world.a.stranger.id])
    except DomainError as exc:
        assert "Нет доступа" in str(exc)
    else:
        raise AssertionError("a class teacher issued a login for another class")
    db.session.rollback()
    assert db.session.get(Student, world.a.stranger.id).user_id is None


def test_an_administrator_cannot_take_over_an_account_that_works_in_another_organization(world, browser):
    """B's administrator is also a parent in school A: A's administrator must not get his password."""
    a = world.a
    b_admin_as_parent = make_parent(a.org, [a.classmate], "Админов", "Антон")
    b_admin_as_parent.user_id = world.b.admin.user_id
    db.session.commit()
    before = user_of(world.b.admin).password_hash
    admin = open_browser(browser, "a.admin")

    for url, ids in (("/parents/action/", [b_admin_as_parent.id]), ("/accounts/action/", [world.b.admin.user_id])):
        for name in ("reset_password", "block"):
            resp = action(admin, url, name, ids, follow_redirects=True)
            assert resp.mimetype == "text/html" and "нет доступа" in flashes(resp), (url, name)
    assert user_of(world.b.admin).password_hash == before and not user_of(world.b.admin).is_blocked
    logs_in(browser, "b.admin", TEST_PASSWORD)

    # An account that lives only in A is A's to reset, from the accounts list too.
    by_group, _ = slips(action(admin, "/accounts/action/", "reset_password", [a.teacher.user_id]))
    slip = by_group["Учётные записи"][0]
    assert slip["Логин"] == "a.teacher"
    logs_in(browser, "a.teacher", slip["Пароль"])
