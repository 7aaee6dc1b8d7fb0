"""The NetSchool-compatible diary API (issue 19) at the protocol level, through the Flask test client: the
login exactly as netschoolapi and netschoolpy compute it, app passwords (created, revoked, the real password
refused), tokens (expired, logged out, throttled), the diary equal to the product's, refusals and the access log."""
import contextvars
from datetime import date, timedelta
from decimal import Decimal
from hashlib import md5

from sqlalchemy import func, select

from models import AccessLog, ApiToken, AppPassword, AuditLog, Parent, ParentRelation, db
from services import clock
from services.api import passwords as app_passwords
from services.errors import DomainError
from services.journal import diary
from tests.factories import (jr_assignment, jr_lessons, jr_mark, jr_subject, jr_task, make_student,
                             tt_bells)
from tests.querycount import count_queries

MONDAY = date(2026, 11, 16)  # the frozen today (20.11.2026) is its Friday
TEST_PASSWORD = "test-pass-123"


class Api:
    """An app's HTTP session: keeps cookies, sends `at` after the login; each request in a fresh context."""

    def __init__(self, app):
        self.client = app.test_client()
        self.at = None

    def request(self, method, url, **kwargs):
        db.session().commit()
        headers = kwargs.pop("headers", {})
        if self.at:
            headers["at"] = self.at
        response = contextvars.Context().run(getattr(self.client, method), "/webapi/" + url, headers=headers,
                                             **kwargs)
        db.session.expire_all()
        return response

    def get(self, url, **kwargs):
        return self.request("get", url, **kwargs)

    def post(self, url, **kwargs):
        return self.request("post", url, **kwargs)

    def login(self, login, password, school_id):
        """As both clients: logindata, auth/getdata, login with pw2 = md5(salt + md5(cp1251)), pw = pw2[:len]."""
        assert self.get("logindata").status_code == 200
        meta = self.post("auth/getdata").get_json()
        salt = meta.pop("salt")
        pw2 = md5(salt.encode() + md5(password.encode("windows-1251")).hexdigest().encode()).hexdigest()
        response = self.post("login", data={"loginType": 1, "scid": school_id, "un": login, "pw": pw2[:len(password)],
                                            "pw2": pw2, **meta})
        if response.status_code == 200:
            self.at = response.get_json()["at"]
        return response


def new_password(login, name="бот в Telegram"):
    row, password = app_passwords.create_for_login(login, name)
    db.session.commit()
    return row, password


def week_data(world):
    """5А's week: Математика Monday (a 5 of weight 1.5 with a comment, a «зач», a debt, homework), Русский
    язык Wednesday (a 4); a classmate's mark that is not the student's."""
    a = world.a
    tt_bells(a.org)
    math = jr_subject(a.org, "Математика")
    russian = jr_subject(a.org, "Русский язык")
    (mon, fri) = jr_lessons(jr_assignment(a.org, a.year, a.klass, a.teacher, math), a.period,
                            [MONDAY, MONDAY + timedelta(days=4)])
    (wed,) = jr_lessons(jr_assignment(a.org, a.year, a.klass, a.teacher, russian), a.period,
                        [MONDAY + timedelta(days=2)], number=3)
    mon.topic, mon.homework, mon.homework_due_lesson_id = "Дроби", "№ 5 и 6", fri.id
    test = jr_task(mon, "Контрольная работа", weight=Decimal("1.5"), topic="Сложение дробей")
    jr_mark(test, a.student, "5", comment="Отлично")
    jr_mark(test, a.classmate, "2")
    passed = jr_task(mon, "Ответ на уроке")
    jr_mark(passed, a.student, "зач")
    jr_task(mon, "Ответ на уроке", mandatory=True, topic="Самостоятельная")  # a debt
    jr_mark(jr_task(wed, "Ответ на уроке"), a.student, "4")
    db.session.commit()
    return SimpleWeek(mon, wed, fri, test)


class SimpleWeek:
    def __init__(self, mon, wed, fri, test):
        self.mon, self.wed, self.fri, self.test = mon, wed, fri, test


def logged_in(app, world, login="a.parent"):
    _, password = new_password(login)
    api = Api(app)
    assert api.login(login, password, world.a.org.id).status_code == 200
    return api


def reads(student_id):
    return db.session.scalar(select(func.count(AccessLog.id)).where(
        AccessLog.action == "diary", AccessLog.object_id == student_id))


# -- app passwords -----------------------------------------------------------------------------------------

def test_app_password_is_random_stored_as_the_protocol_needs_and_only_for_families(world):
    row, password = new_password("a.parent")
    assert len(password) >= 20 and password != new_password("a.parent")[1]
    assert row.secret_md5 == md5(password.encode("cp1251")).hexdigest() and password not in row.secret_md5
    for staff in ("a.teacher", "a.admin", "root"):
        try:
            app_passwords.create_for_login(staff, "бот")
        except DomainError as exc:
            assert "ученикам и родителям" in str(exc)
        else:
            raise AssertionError(staff)
    for name in ("", "   ", "x" * 101):
        try:
            app_passwords.create_for_login("a.parent", name)
        except DomainError:
            pass
        else:
            raise AssertionError(name)


def test_cli_prints_the_password_alone_on_its_last_line(world, app):
    result = app.test_cli_runner().invoke(args=["api-password", "a.student", "--name", "бот в Telegram"])
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1]
    assert len(password) >= 20 and " " not in password
    assert Api(app).login("a.student", password, world.a.org.id).status_code == 200
    refused = app.test_cli_runner().invoke(args=["api-password", "nobody"])
    assert refused.exit_code != 0 and "нет" in refused.output


def test_profile_page_creates_lists_and_revokes(world, browser):
    b = browser()
    b.login("a.parent")
    assert "Пароли приложений" in b.get("/change-password").get_data(as_text=True)
    page = b.post("/app-passwords", data={"name": "бот в Telegram"}).get_data(as_text=True)
    row = db.session.scalar(select(AppPassword))
    assert "бот в Telegram" in page and "больше он показан не будет" in page and row.revoked_at is None
    listing = b.get("/app-passwords").get_data(as_text=True)
    assert "бот в Telegram" in listing and "не использовался" in listing
    assert b.post("/app-passwords/revoke", data={"password_id": row.id}).status_code == 302
    db.session.refresh(row)
    assert row.revoked_at is not None
    other = browser()
    other.login("a.student")
    assert other.post("/app-passwords/revoke", data={"password_id": row.id}).status_code == 404


# -- the login and the tokens --------------------------------------------------------------------------------

def test_login_wrong_password_and_real_password_are_409_in_russian(world, app):
    new_password("a.parent")
    for password in ("wrong-password", TEST_PASSWORD):
        response = Api(app).login("a.parent", password, world.a.org.id)
        assert response.status_code == 409
        assert "Неверный логин или пароль" in response.get_json()["message"]
    assert Api(app).login("nobody", "x", world.a.org.id).status_code == 409


def test_login_to_a_school_without_his_card_is_refused(world, app):
    row, password = new_password("a.parent")
    assert Api(app).login("a.parent", password, world.b.org.id).status_code == 409  # no card in school b


def test_a_replayed_login_is_refused(world, app):
    _, password = new_password("a.parent")
    api = Api(app)
    api.get("logindata")
    meta = api.post("auth/getdata").get_json()
    salt = meta.pop("salt")
    pw2 = md5(salt.encode() + md5(password.encode()).hexdigest().encode()).hexdigest()
    form = {"loginType": 1, "scid": world.a.org.id, "un": "a.parent", "pw": pw2[:24], "pw2": pw2, **meta}
    assert api.post("login", data=form).status_code == 200
    assert api.post("login", data=form).status_code == 409


def test_no_token_unknown_token_and_page_session_are_401(world, app, browser):
    api = Api(app)
    assert api.get("student/diary/init").status_code == 401
    api.at = "forged"
    assert api.get("student/diary/init").status_code == 401
    b = browser()
    b.login("a.parent")  # a page session opens no API
    assert b.get("/webapi/student/diary/init").status_code == 401
    response = logged_in(app, world).get("student/diary/init")
    assert response.status_code == 200 and "journal_session" not in response.headers.get("Set-Cookie", "")


def test_logindata_sets_nssessionid_and_no_page_session(world, app):
    response = Api(app).get("logindata")
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("NSSESSIONID=") for c in cookies) and not any("journal_session" in c for c in cookies)


def test_token_expires_idle_and_absolute_and_by_logout(world, app):
    api = logged_in(app, world)
    clock.advance(minutes=29)
    assert api.get("years/current").status_code == 200
    clock.advance(minutes=31)
    assert api.get("years/current").status_code == 401  # idle more than 30 min
    api = logged_in(app, world)
    for _ in range(25):  # busy, but 12 h after the login it ends
        clock.advance(minutes=29)
        status = api.get("years/current").status_code
    assert status == 401
    api = logged_in(app, world)
    assert api.post("auth/logout").status_code == 200
    assert api.get("years/current").status_code == 401
    assert db.session.scalar(select(func.count(ApiToken.id)).where(ApiToken.token_hash == api.at)) == 0


def test_revoked_app_password_ends_its_tokens_and_logins(world, app):
    row, password = new_password("a.parent")
    api = Api(app)
    assert api.login("a.parent", password, world.a.org.id).status_code == 200
    user = row.user
    app_passwords.revoke(user, row.id)
    db.session.commit()
    assert api.get("student/diary/init").status_code == 401
    assert Api(app).login("a.parent", password, world.a.org.id).status_code == 409


def test_failed_api_logins_are_throttled_like_logins(world, app):
    _, password = new_password("a.parent")
    for _ in range(5):
        assert Api(app).login("a.parent", "bad-guess", world.a.org.id).status_code == 409
    response = Api(app).login("a.parent", password, world.a.org.id)
    assert response.status_code == 409 and "Слишком много" in response.get_json()["message"]


# -- the data -------------------------------------------------------------------------------------------------

def test_diary_equals_the_products_diary_and_is_logged(world, app):
    a = world.a
    week = week_data(world)
    api = logged_in(app, world)
    init = api.get("student/diary/init").get_json()
    assert [s["studentId"] for s in init["students"]] == [a.student.id]
    year = api.get("years/current").get_json()
    types = {t["id"]: t for t in api.get("grade/assignment/types", query_string={"all": "false"}).get_json()}
    before = reads(a.student.id)
    response = api.get("student/diary", query_string={"studentId": a.student.id, "yearId": year["id"],
                                                      "weekStart": MONDAY.isoformat(),
                                                      "weekEnd": (MONDAY + timedelta(days=5)).isoformat()})
    data = response.get_json()
    assert response.status_code == 200 and reads(a.student.id) == before + 1
    assert data["weekStart"] == "2026-11-16T00:00:00" and data["weekEnd"] == "2026-11-21T00:00:00"
    child = diary.DiaryChild(a.student.id, "", a.klass.id, "5А")
    product = [lesson for d in diary.diary_week(child, MONDAY) for lesson in d.lessons]
    ours = [lesson for d in data["weekDays"] for lesson in d["lessons"]]
    assert [(x["subjectName"], x["day"][:10], x["number"]) for x in ours] == \
        [(x.subject, x.date.isoformat(), x.number) for x in product]
    monday = ours[0]
    assert monday["startTime"] == "09:20" and monday["endTime"] == "10:00"
    marks = [(x["mark"]["mark"], x["mark"].get("abbr"), x["weight"], x["weightExact"]) for x in
             monday["assignments"] if x["mark"] and not x["mark"]["dutyMark"]]
    assert marks == [(5, None, 2, "1.5"), (None, "зач", 1, "1")]
    assert [(m.value, m.weight) for m in product[0].marks] == [("5", Decimal("1.5")), ("зач", Decimal("1"))]
    debts = [x for x in monday["assignments"] if x["mark"] and x["mark"]["dutyMark"]]
    assert len(debts) == product[0].debts == 1 and debts[0]["mark"]["mark"] is None
    homework = [x for x in monday["assignments"] if x["typeId"] == 0]
    assert homework[0]["assignmentName"] == "№ 5 и 6" and homework[0]["dueDate"] == "2026-11-20T00:00:00"
    five = next(x for x in monday["assignments"] if x["id"] == week.test.id)
    assert five["markComment"]["name"] == "Отлично" and five["assignmentName"] == "Сложение дробей"
    assert all(x["typeId"] in types for lesson in ours for x in lesson["assignments"])
    assert "2" not in [str(x["mark"]["mark"]) for lesson in ours for x in lesson["assignments"] if x["mark"]]


def test_past_mandatory_card_attachments_announcements_school(world, app):
    a = world.a
    week = week_data(world)
    api = logged_in(app, world, "a.student")
    overdue = api.get("student/diary/pastMandatory", query_string={"studentId": a.student.id}).get_json()
    assert [(x["assignmentName"], x["dueDate"], x["mark"]["dutyMark"]) for x in overdue] == \
        [("Самостоятельная", "2026-11-16T00:00:00", True)]
    card = api.get(f"student/diary/assigns/{week.test.id}", query_string={"studentId": a.student.id}).get_json()
    assert card["teachers"][0]["name"].startswith("Учителев") and card["subjectGroup"]["name"] == "Математика"
    files = api.post("student/diary/get-attachments", query_string={"studentId": a.student.id},
                     json={"assignId": [-week.mon.id]})
    assert files.status_code == 200 and files.get_json() == [{"assignmentId": -week.mon.id, "attachments": []}]
    assert api.get("announcements", query_string={"take": -1}).status_code == 200
    school = api.get(f"schools/{a.org.id}/card").get_json()
    assert school["commonInfo"]["fullSchoolName"] == a.org.full_name
    assert api.get(f"schools/{world.b.org.id}/card").status_code == 404
    assert api.get("context").get_json()["schoolId"] == a.org.id


def test_another_familys_student_is_refused_and_logged(world, app):
    a = world.a
    week = week_data(world)
    api = logged_in(app, world)
    for url, args in (("student/diary", {"weekStart": MONDAY.isoformat(), "weekEnd": MONDAY.isoformat()}),
                      ("student/diary/pastMandatory", {}), (f"student/diary/assigns/{week.test.id}", {})):
        for student in (a.stranger, a.classmate, world.b.student):
            response = api.get(url, query_string={"studentId": student.id, **args})
            assert response.status_code == 404 and "message" in response.get_json()
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "denied")) >= 9
    assert api.get("student/diary", query_string={"studentId": a.student.id, "weekStart": "x"}).status_code == 400
    assert api.get("no/such/method").status_code == 404


def test_parent_with_children_in_two_schools(world, app):
    a, b = world.a, world.b
    user_id = a.parent.user_id
    card = Parent(org_id=b.org.id, last_name="Ученикова", first_name="Мария", middle_name="Ивановна",
                  relation=ParentRelation.MOTHER.value, user_id=user_id)
    card.children = [b.student]
    db.session.add(card)
    db.session.commit()
    schools = Api(app).get("schools/search").get_json()
    assert {s["id"] for s in schools} >= {a.org.id, b.org.id}
    _, password = new_password("a.parent")
    for org, child in ((a.org, a.student), (b.org, b.student)):
        api = Api(app)
        assert api.login("a.parent", password, org.id).status_code == 200
        assert [s["studentId"] for s in api.get("student/diary/init").get_json()["students"]] == [child.id]
        other = b.student if child is a.student else a.student
        assert api.get("student/diary/pastMandatory", query_string={"studentId": other.id}).status_code == 404


def test_marks_of_every_kind_keep_the_clients_shapes(world, app):
    a = world.a
    tt_bells(a.org)
    (lesson,) = jr_lessons(jr_assignment(a.org, a.year, a.klass, a.teacher, jr_subject(a.org, "Физкультура")),
                           a.period, [MONDAY])
    for value in ("незач", "1", "зач"):
        jr_mark(jr_task(lesson, "Ответ на уроке", weight=Decimal("0.25")), a.student, value)
    db.session.commit()
    sister = make_student(a.org, a.klass, "Ученикова", "Анна")
    a.parent.children.append(sister)
    db.session.commit()
    api = logged_in(app, world)
    data = api.get("student/diary", query_string={"studentId": a.student.id, "weekStart": MONDAY.isoformat(),
                                                  "weekEnd": MONDAY.isoformat()}).get_json()
    marks = [x["mark"] for x in data["weekDays"][0]["lessons"][0]["assignments"]]
    assert [(m["mark"], m.get("abbr")) for m in marks] == [(None, "незач"), (1, None), (None, "зач")]
    assert all(isinstance(x["weight"], int) for x in data["weekDays"][0]["lessons"][0]["assignments"])
    assert len(api.get("student/diary/init").get_json()["students"]) == 2


def test_diary_statements_do_not_grow_with_the_week(world, app):
    a = world.a
    tt_bells(a.org)
    api = logged_in(app, world)
    counts = []
    for subjects in (1, 6):
        for n in range(subjects):
            subject = jr_subject(a.org, f"Предмет {n}-{subjects}")
            lessons = jr_lessons(jr_assignment(a.org, a.year, a.klass, a.teacher, subject), a.period,
                                 [MONDAY + timedelta(days=d) for d in range(5)], number=n + 1,
                                 homework="Упражнение")
            for lesson in lessons:
                jr_mark(jr_task(lesson, "Контрольная работа", weight=Decimal("1.5")), a.student, "4")
                jr_task(lesson, "Ответ на уроке", mandatory=True)
        db.session.commit()
        with count_queries() as statements:
            response = api.get("student/diary", query_string={"studentId": a.student.id,
                                                              "weekStart": MONDAY.isoformat(),
                                                              "weekEnd": (MONDAY + timedelta(days=5)).isoformat()})
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] and counts[1] <= 20, counts


def test_a_teacher_who_is_a_parent_reads_only_his_children(world, app):
    a = world.a
    card = Parent(org_id=a.org.id, last_name="Учителев", first_name="Тимур", middle_name="Иванович",
                  relation=ParentRelation.FATHER.value, user_id=a.teacher.user_id)
    card.children = [a.classmate]
    db.session.add(card)
    db.session.commit()
    api = logged_in(app, world, "a.teacher")
    assert [s["studentId"] for s in api.get("student/diary/init").get_json()["students"]] == [a.classmate.id]
    for student in (a.student, a.stranger):  # pupils of his lessons or class are not his through the API
        assert api.get("student/diary/pastMandatory", query_string={"studentId": student.id}).status_code == 404


def test_hostile_input_gets_json_never_a_traceback(world, app):
    _, password = new_password("a.parent")
    api = Api(app)
    for form in ({}, {"lt": "garbage", "un": "a.parent", "pw2": "x"},
                 {"lt": "x" * 5000, "scid": "9" * 40, "un": "a" * 500, "pw2": "Ж" * 300},
                 {"lt": api.post("auth/getdata").get_json()["lt"], "scid": "-1", "un": "a.parent", "pw2": "0"}):
        response = api.post("login", data=form)
        assert response.status_code == 409 and response.get_json()["message"]
    api = logged_in(app, world)
    sid = str(world.a.student.id)
    for url, args in (("student/diary", {"studentId": sid, "weekStart": "2026-02-30"}),
                      ("student/diary", {"studentId": sid, "weekStart": "2026-01-01", "weekEnd": "2027-01-01"}),
                      ("student/diary", {"studentId": "9" * 30}), ("student/diary/assigns/abc", {"studentId": sid}),
                      ("student/diary/assigns/" + "9" * 30, {"studentId": sid}), ("schools/x/card", {})):
        response = api.get(url, query_string=args)
        assert response.status_code in (400, 404) and response.get_json()["message"], (url, response.status_code)
    for body in ("not json", {"assignId": "1"}, {"assignId": [[1]]}, {"assignId": ["x"]}, [1]):
        kwargs = {"data": body} if isinstance(body, str) else {"json": body}
        response = api.post("student/diary/get-attachments", query_string={"studentId": sid}, **kwargs)
        assert response.status_code == 400 and response.get_json()["message"]
    response = api.post("student/diary/get-attachments", query_string={"studentId": sid},
                        json={"assignId": [2 ** 40, -(2 ** 40), 0]})
    assert response.status_code == 200 and response.get_json() == []
    assert api.request("delete", "student/diary").status_code == 404
    assert api.get("student/diary/init").status_code == 200  # the token still lives
