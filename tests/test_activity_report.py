"""Issue 17.3: «Отчёт по активности пользователей» (seed 000 §6.1 every two weeks, §4.1 and §4.3 monitoring):
logins per role, per class (students and parents apart), per user; who never logged in and whether his login was
issued. The administration sees the whole organization, a class teacher his class; nobody else; another
organization never. Figures counted by hand on the world (tests/factories.py build_org)."""
import io
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from models import LoginEvent, User, db
from reports import registry
from reports.render import to_json
from services.demo.school import create_demo
from services.errors import DomainError, PermissionDenied
from tests.factories import actor_of, make_parent, make_student, ro_college
from tests.helpers import fresh, open_browser
from tests.querycount import count_queries

TODAY = date(2026, 11, 20)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def utc(day, hour, minute=0):
    """A stored timestamp (naive UTC) of a local Moscow time (UTC+3)."""
    return datetime(2026, 11, day, hour, minute) - timedelta(hours=3)


def logins(user, *moments, success=True):
    for at in moments:
        db.session.add(LoginEvent(at=at, login=user.login, user_id=user.id, address="10.0.0.1", success=success,
                                  reason="" if success else "bad credentials"))
        if success and (user.last_login_at is None or at > user.last_login_at):
            user.last_login_at = at


@pytest.fixture
def activity(world):
    """5А: Учеников (a.student) logged in 3 times within the last two weeks (07.11–20.11 local), once on
    06.11 and failed once; his mother (a.parent) once; Соседов has no login, his mother Соседова one issued and
    never used. a.admin logged in twice; the other staff never. In 6Б nobody has a login. In organization B,
    b.student logged in within the range."""
    a, b = world.a, world.b
    a.sosedova = make_parent(a.org, [a.classmate], "Соседова", "Галина", "a.sosedova")
    student, parent, admin = (db.session.get(User, c.user_id) for c in (a.student, a.parent, a.admin))
    logins(student, utc(6, 23, 30), utc(7, 0, 30), utc(15, 8), utc(20, 7, 45))  # 06.11 23:30 is outside
    logins(student, utc(16, 9), success=False)
    logins(parent, utc(10, 19))
    logins(admin, utc(1, 9), utc(19, 10), utc(20, 8))
    logins(db.session.get(User, b.student.user_id), utc(12, 12), utc(13, 12))
    db.session.commit()
    return a


def build(login, **raw):
    return registry.build(actor_of(login), "user-activity", raw, today=TODAY)


def tables(doc):
    """{sheet name: rows of its first table}, as the JSON carries them."""
    return {sheet["name"]: sheet["blocks"][0]["rows"] for sheet in to_json(doc)["sheets"]}


def test_the_figures_counted_by_hand(activity):
    doc = build("a.admin")
    assert doc.params == [("Даты", "с 07.11.2026 по 20.11.2026")]  # the last two weeks up to today
    t = tables(doc)
    roles = {row[0]: row[1:] for row in t["По ролям"]}
    # people, issued, logged in within the range, never logged in, logins within the range, % of issued
    assert roles["Администратор системы"] == [1, 1, 1, 0, 2, 100.0]
    assert roles["Директор"] == [1, 1, 0, 1, 0, 0.0]
    assert roles["Заместитель директора"] == [1, 1, 0, 1, 0, 0.0]
    assert roles["Специалист отдела кадров"] == [1, 1, 0, 1, 0, 0.0]
    assert roles["Учитель"] == [3, 3, 0, 3, 0, 0.0]  # a.teacher, a.class_teacher, a.deputy
    assert roles["Классный руководитель"] == [1, 1, 0, 1, 0, 0.0]
    assert roles["Обучающийся"] == [3, 1, 1, 2, 3, 100.0]  # 3 logins of Учеников within the range, not 4
    assert roles["Родитель"] == [3, 2, 1, 2, 1, 50.0]
    # 6 staff + 3 students + 3 parents; 6 + 1 + 2 with an account; 3 logged in; 5 + 2 + 2 never; 2 + 3 + 1 logins
    assert roles["Всего"] == [12, 9, 3, 9, 6, 33.3]

    by_class = {row[1]: row[3:] for row in t["По классам"]}
    # students: count, issued, logged in, logins | parents: the same — counted apart
    assert by_class["5А"] == [2, 1, 1, 3, 2, 2, 1, 1]
    assert by_class["6Б"] == [1, 0, 0, 0, 1, 0, 0, 0]
    assert by_class["Всего"] == [3, 1, 1, 3, 3, 2, 1, 1]

    users = {row[1]: row[2:] for row in t["По пользователям"]}
    assert users["Учеников Пётр Иванович"] == ["Обучающийся", "5А", "a.student", 3, "20.11.2026 07:45"]
    assert users["Ученикова Мария Ивановна"] == ["Родитель", "5А", "a.parent", 1, "10.11.2026 19:00"]
    assert users["Админов Антон Петрович"] == ["Администратор системы", "", "a.admin", 2, "20.11.2026 08:00"]
    assert users["Соседова Галина Ивановна"] == ["Родитель", "5А", "a.sosedova", 0, "не входил(а)"]
    assert users["Классова Клара Петровна"] == ["Учитель, Классный руководитель", "5А", "a.class_teacher", 0,
                                                "не входил(а)"]
    assert "Соседов Семён Иванович" not in users  # no login: not a user
    assert not any(name.startswith("Чуж") for name in users)

    never = {row[1]: row[2:] for row in t["Ни разу не входили"]}
    assert never["Соседов Семён Иванович"] == ["Обучающийся", "5А", "нет", ""]
    assert never["Соседова Галина Ивановна"][:2] == ["Родитель", "5А"]
    assert never["Соседова Галина Ивановна"][2].startswith("да, ") and never["Соседова Галина Ивановна"][3] == \
        "a.sosedova"
    assert never["Чужов Игорь Иванович"] == ["Обучающийся", "6Б", "нет", ""]
    assert never["Чужова Ольга Ивановна"] == ["Родитель", "6Б", "нет", ""]
    assert never["Учителев Тимур Петрович"][0] == "Учитель"
    assert "Учеников Пётр Иванович" not in never and "Админов Антон Петрович" not in never
    assert len(never) == 9
    # organization B's people, accounts and logins are nowhere
    text = str(to_json(doc))
    assert "b.student" not in text and "b.admin" not in text


def test_a_range_given_and_its_edges_in_local_time(activity):
    t = tables(build("a.admin", **{"from": "06.11.2026", "to": "06.11.2026"}))
    assert {row[1]: row[3:] for row in t["По классам"]}["5А"][:4] == [2, 1, 1, 1]  # 06.11 23:30 Moscow
    t = tables(build("a.admin", **{"from": "01.11.2026", "to": "20.11.2026"}))
    roles = {row[0]: row[1:] for row in t["По ролям"]}
    assert roles["Обучающийся"][4] == 4 and roles["Администратор системы"][4] == 3
    # a range of another academic year is answered too (the report is not bound to the year)
    t = tables(build("a.admin", **{"from": "01.08.2026", "to": "31.08.2026"}))
    assert {row[0]: row[1:] for row in t["По ролям"]}["Всего"][4] == 0


def test_the_class_teacher_sees_his_class_only(activity):
    t = tables(build("a.class_teacher"))
    roles = {row[0]: row[1:] for row in t["По ролям"]}
    assert set(roles) == {"Обучающийся", "Родитель", "Всего"}  # no staff
    assert roles["Обучающийся"] == [2, 1, 1, 1, 3, 100.0] and roles["Родитель"] == [2, 2, 1, 1, 1, 50.0]
    assert [row[1] for row in t["По классам"]] == ["5А", "Всего"]
    never = [row[1] for row in t["Ни разу не входили"]]
    assert never == ["Соседов Семён Иванович", "Соседова Галина Ивановна"]
    with pytest.raises(DomainError) as refused:  # another class is «не найден», like one that does not exist
        build("a.class_teacher", **{"class": "6Б"})
    assert "6Б" in " ".join(refused.value.errors)
    # the administration may narrow it to one class
    assert [row[1] for row in tables(build("a.deputy", **{"class": "6Б"}))["По классам"]] == ["6Б", "Всего"]


@pytest.mark.parametrize("login", ["a.teacher", "a.student", "a.parent", "a.hr"])
def test_nobody_else_builds_it(activity, login):
    with pytest.raises(PermissionDenied):
        build(login)


def test_the_director_and_the_deputy_see_the_whole_organization(activity):
    for login in ("a.director", "a.deputy"):
        roles = {row[0]: row[1:] for row in tables(build(login))["По ролям"]}
        assert roles["Всего"][:2] == [12, 9]


def test_another_organization_is_invisible(activity, world):
    doc = build("b.admin")
    text = str(to_json(doc))
    for name in ("Соседова", "a.student", "a.admin", "a.sosedova"):  # B's people bear A's names but Соседова
        assert name not in text
    users = {row[4]: row[5] for row in tables(doc)["По пользователям"]}
    assert users["b.student"] == 2 and users["b.admin"] == 0
    with pytest.raises(DomainError):  # a class of organization A by its id
        build("b.admin", **{"class": str(activity.klass.id)})


def test_a_fixed_number_of_statements(activity, world):
    actor = actor_of("a.admin")
    registry.build(actor, "user-activity", {}, today=TODAY)
    db.session.commit()  # as after the larger school's commit below: the organization is read again
    with count_queries() as small:
        registry.build(actor, "user-activity", {}, today=TODAY)
    a = activity
    for n, letter in enumerate("абвгдежзиклмнопрстуфхцчшщэюя"):
        kid = make_student(a.org, a.klass if n % 2 else a.other_class, f"Новиков-{letter}", "Иван",
                           login=f"a.kid{n}")
        mum = make_parent(a.org, [kid], f"Новикова-{letter}", "Анна", login=f"a.mum{n}")
        logins(db.session.get(User, kid.user_id), utc(18, 8))
        logins(db.session.get(User, mum.user_id), utc(18, 9), utc(19, 9))
    db.session.commit()
    with count_queries() as large:
        doc = registry.build(actor, "user-activity", {}, today=TODAY)
    assert len(large) == len(small) <= 10  # the parameters (4), classes, functions, staff, students, parents, logins
    roles = {row[0]: row[1:] for row in tables(doc)["По ролям"]}
    assert roles["Обучающийся"][4] == 3 + 28 and roles["Родитель"][4] == 1 + 56


def test_a_real_login_is_counted(activity, browser):
    open_browser(browser, "a.parent")  # through /login: the login journal and the account's last login
    fresh()
    users = {row[4]: row[5:] for row in tables(build("a.admin"))["По пользователям"]}
    assert users["a.parent"] == [2, "20.11.2026 12:00"]  # the frozen clock: 20.11.2026 09:00 UTC


def test_the_page_the_workbook_and_who_is_refused(activity, browser):
    admin = open_browser(browser, "a.admin")
    index = admin.get("/reports/").get_data(as_text=True)
    assert "Отчёт по активности пользователей" in index
    page = admin.get("/reports/user-activity/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Ни разу не входили" in text and "Соседова Галина Ивановна" in text and 'name="from"' in text
    resp = admin.get("/reports/user-activity/?from=07.11.2026&to=20.11.2026&format=xlsx")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames == ["По ролям", "По классам", "По пользователям", "Ни разу не входили"]
    cells = [c for row in book["Ни разу не входили"].iter_rows(values_only=True) for c in row if c]
    assert "Соседов Семён Иванович" in cells and "Чужова Ольга Ивановна" in cells

    ct = open_browser(browser, "a.class_teacher")
    text = ct.get("/reports/user-activity/").get_data(as_text=True)
    assert "Соседов Семён Иванович" in text and "Чужов" not in text and "Админов" not in text
    other = open_browser(browser, "b.class_teacher").get("/reports/user-activity/").get_data(as_text=True)
    assert "Соседова" not in other and "Ученикова Мария Ивановна" in other  # B's own 5А only
    for login in ("a.teacher", "a.student", "a.parent", "a.hr"):
        b = open_browser(browser, login)
        assert b.get("/reports/user-activity/").status_code in (403, 404), login
        assert b.get("/reports/user-activity/?format=xlsx").status_code in (403, 404), login
        assert "активности" not in b.get("/reports/").get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ("from=20.11.2026&to=01.11.2026", "Начало диапазона 20.11.2026 позже его конца 01.11.2026"),
    ("from=32.13.2026", "Начало диапазона"),
    ("to=abc", "Конец диапазона"),
    ("from=1.1.99999999", "Начало диапазона"),
])
def test_a_bad_range_is_a_russian_message(activity, browser, query, message):
    admin = open_browser(browser, "a.admin")
    for url in (f"/reports/user-activity/?{query}", f"/reports/user-activity/?{query}&format=xlsx"):
        resp = admin.get(url)
        assert resp.status_code in (200, 400), url
        text = resp.get_data(as_text=True)
        assert message in text and "Traceback" not in text
        assert resp.mimetype == "text/html"


def test_a_college_says_group(world):
    ro_college("c")
    doc = registry.build(actor_of("c.admin"), "user-activity", {}, today=TODAY)
    t = tables(doc)
    assert "По группам" in t and [row[1] for row in t["По группам"]] == ["ТМ-21", "Всего"]
    roles = {row[0] for row in t["По ролям"]}
    assert "Преподаватель" in roles and "Куратор" in roles and "Учитель" not in roles
    assert to_json(doc)["sheets"][1]["blocks"][0]["columns"][2] == "Куратор"


def test_the_demo_school_shows_who_uses_the_system():
    accounts = create_demo(kind="school", password="demo-pass-2026", today=TODAY)
    db.session.commit()
    admin = next(a.login for a in accounts if a.role == "Администратор системы")
    t = tables(registry.build(actor_of(admin), "user-activity", {}, today=TODAY))
    roles = {row[0]: row[1:] for row in t["По ролям"]}
    for role in ("Обучающийся", "Родитель"):
        people, issued, active, never, logins, _ = roles[role]
        assert 0 < active < issued < people and logins > active and never > people - issued
    by_class = {row[1]: row[3:] for row in t["По классам"] if row[1] != "Всего"}
    assert sum(1 for row in by_class.values() if row[2]) >= 2  # students of two classes logged in
    assert any(row[2] == 0 for row in by_class.values())  # a class where nobody has
    never = [row[4] for row in t["Ни разу не входили"]]
    assert "нет" in never and any(x.startswith("да, ") for x in never)  # issued and not used, and not issued
    # the earlier weeks have their logins too, and nothing is dated after today
    earlier = tables(registry.build(actor_of(admin), "user-activity", {"from": "01.10.2026", "to": "06.11.2026"},
                                    today=TODAY))
    assert {row[0]: row[1:] for row in earlier["По ролям"]}["Всего"][4] > 0
    assert db.session.scalar(select(func.max(LoginEvent.at))) < datetime(2026, 11, 20)
