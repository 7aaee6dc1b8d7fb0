"""Issue 15.5: logins by class for parents too. A class filter on the students', parents' and accounts' lists;
«Выдать логины» goes back to the list, which shows the logins at once, with a one-time link to the slips
(only for the user who issued them, once, not cached); a slip reset from the accounts list names the role."""
import html
import io
import json
import re
from datetime import timedelta

import openpyxl

from models import User, db
from services import clock
from services.people import slips
from tests.factories import make_parent
from tests.helpers import action, flashes, fresh, open_browser, user_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def class_filter(page):
    """The class filter's URL argument and its choices {name: id}, read from a list page."""
    raw = re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', page, re.S).group(1)
    # «Группа» in a college; on the students' list beside the class name's own filters (text, «пусто»)
    flt, = [f for f in json.loads(html.unescape(raw))["Класс"] if f["operation"] == "равно" and f.get("options")]
    return flt["arg"], {name: value for value, name in flt["options"]}


def listed(b, url, class_name):
    page = b.get(url).get_data(as_text=True)
    arg, choices = class_filter(page)
    resp = b.get(f"{url}?flt0_{arg}={choices[class_name]}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def slip_rows(data):
    book = openpyxl.load_workbook(io.BytesIO(data))
    people = []
    for ws in book.worksheets:
        for label, value in ws.iter_rows(values_only=True, max_col=2):
            if label == "ФИО":
                people.append({"ФИО": value, "group": ws.title})
            elif label in ("Роль", "Логин", "Пароль") and people:
                people[-1][label] = value
    return people


def test_class_filter_on_students_parents_and_accounts(world, browser):
    a = world.a
    admin = open_browser(browser, "a.admin")

    in_5a = listed(admin, "/students/", "5А")
    assert "Учеников" in in_5a and "Соседов" in in_5a and "Чужов" not in in_5a
    in_6b = listed(admin, "/students/", "6Б")
    assert "Чужов" in in_6b and "Учеников" not in in_6b

    parents_5a = listed(admin, "/parents/", "5А")
    assert "Ученикова" in parents_5a and "Чужова" not in parents_5a
    parents_6b = listed(admin, "/parents/", "6Б")
    assert "Чужова" in parents_6b and "Ученикова" not in parents_6b

    accounts_5a = listed(admin, "/accounts/", "5А")  # the student's and the parent's accounts, nobody else's
    assert "a.student" in accounts_5a and "a.parent" in accounts_5a
    assert "a.teacher" not in accounts_5a and "b.student" not in accounts_5a

    # Only the organization's classes are offered; a class of another one or a bad value selects nothing.
    _, choices = class_filter(admin.get("/parents/").get_data(as_text=True))
    assert set(choices) == {"5А", "6Б"}
    arg, _ = class_filter(admin.get("/students/").get_data(as_text=True))
    foreign = admin.get(f"/students/?flt0_{arg}={world.b.klass.id}").get_data(as_text=True)
    assert "Учеников" not in foreign and "Чужов" not in foreign
    assert admin.get(f"/students/?flt0_{arg}=%EF%BC%91").status_code == 200

    # A class teacher is offered his class only, and his rows stay his whatever the filter says.
    ct = open_browser(browser, "a.class_teacher")
    arg, choices = class_filter(ct.get("/parents/").get_data(as_text=True))
    assert set(choices) == {"5А"}
    assert "Чужова" not in ct.get(f"/parents/?flt0_{arg}={a.other_class.id}").get_data(as_text=True)


def test_issued_logins_show_on_the_list_and_the_slips_come_once(world, browser):
    a = world.a
    mother = make_parent(a.org, [a.classmate], "Соседова", "Галина")
    db.session.commit()
    admin = open_browser(browser, "a.admin")
    page = admin.get("/parents/").get_data(as_text=True)
    arg, choices = class_filter(page)
    in_5a = f"/parents/?flt0_{arg}={choices['5А']}"
    assert "не выдан" in admin.get(in_5a).get_data(as_text=True)

    # The class's list, everyone chosen, «Выдать логины»: back to the same list, which shows the logins.
    resp = admin.post("/parents/action/", data={"action": "issue_logins", "rowid": [str(mother.id)], "url": in_5a})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(in_5a)
    page = admin.get(resp.headers["Location"])
    text = page.get_data(as_text=True)
    assert "Выдано логинов: 1" in flashes(page)
    login = user_of(mother).login
    assert login == "sosedova.gi" and login in text and "не выдан" not in text  # the list's new state
    link = re.search(r'<a href="([^"]+)" data-autodownload>Скачать листки', text).group(1)
    assert link == "/parents/slips/"

    # Another user of the same rights gets nothing: the slips are the issuer's session's.
    other = open_browser(browser, "a.class_teacher")
    resp = other.get(link)
    assert resp.status_code == 302 and "/parents/" in resp.headers["Location"]

    resp = admin.get(link)
    assert resp.status_code == 200 and resp.mimetype == XLSX
    assert resp.headers["Cache-Control"] == "no-store"
    slip, = slip_rows(resp.data)
    assert (slip["ФИО"], slip["Логин"], slip["group"]) == ("Соседова Галина Ивановна", login, "5А")
    assert slip["Роль"] == "Родитель (Соседов С. И.)"

    resp = admin.get(link, follow_redirects=True)  # once
    assert resp.mimetype == "text/html" and "Файл с логинами уже получен или устарел" in flashes(resp)


def test_kept_slips_are_enciphered_and_expire(app, world):
    with app.test_request_context():
        token = slips.store(7, b"PK secret slips")
        stored = [p.read_bytes() for p in slips._folder().iterdir() if p.name.endswith(slips.SUFFIX)]
        assert stored and all(b"secret" not in data for data in stored)
        assert slips.take(8, token) is None  # another user: not his file
        assert slips.take(7, token) == b"PK secret slips"
        assert slips.take(7, token) is None  # once

        token = slips.store(7, b"PK late")
        with clock.frozen(clock.now_aware() + timedelta(seconds=slips.KEEP_SECONDS + 1)):
            assert slips.take(7, token) is None


def test_a_reset_slip_names_the_role(world, browser):
    a = world.a
    admin = open_browser(browser, "a.admin")
    ids = [a.teacher.user_id, a.parent.user_id, a.student.user_id]
    resp = action(admin, "/accounts/action/", "reset_password", ids)
    assert resp.mimetype == XLSX
    roles = {row["Логин"]: row["Роль"] for row in slip_rows(resp.data)}
    assert roles == {"a.teacher": "Учитель", "a.parent": "Родитель (Учеников П. И.)", "a.student": "Обучающийся"}
    fresh()
    assert all(db.session.get(User, pk).must_change_password for pk in ids)
