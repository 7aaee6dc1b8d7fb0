"""Security of the foundation: CSRF, Russian error pages without traces, cookies, health check,
and the read-only audit of changes and logins."""
import io
import re

from flask_admin.contrib.sqla.filters import FilterEqual
from sqlalchemy import func, select

from admin_views.audit import AuditLogView
from app import create_app
from models import AuditLog, LoginEvent, Student, User, db
from tests.conftest import TEST_PASSWORD, Browser
from tests.helpers import form_of, russian_page, submit

SESSION_COOKIE = "journal_session"


# -- CSRF --------------------------------------------------------------------------------------

def test_login_without_csrf_token_is_refused_and_not_attempted(world, browser):
    b = browser()
    resp = b.post("/login", {"login": "a.teacher", "password": TEST_PASSWORD}, csrf=False)
    russian_page(resp, 400, "Неверный запрос")
    assert "Форма устарела" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LoginEvent)) == 0
    assert b.get("/").status_code == 302


def test_post_without_csrf_token_changes_nothing(world, browser):
    b = browser()
    b.login("a.admin")
    student = world.a.student
    url = f"/students/edit/?id={student.id}"
    fields = dict(form_of(b.get(url)))
    assert "last_name" in fields and "csrf_token" in fields
    fields.pop("csrf_token")
    fields["last_name"] = "Подменов"

    resp = b.post(url, fields, csrf=False)

    russian_page(resp, 400, "Неверный запрос")
    assert db.session.get(Student, student.id).last_name == "Учеников"
    resp = b.post(url, {**fields, "csrf_token": "forged-token"}, csrf=False)
    assert resp.status_code == 400
    assert db.session.get(Student, student.id).last_name == "Учеников"
    # logging out and blocking are POSTs too
    assert b.post("/logout", csrf=False).status_code == 400
    assert b.post("/accounts/action/", {"action": "block", "rowid": str(world.a.teacher.user_id)},
                  csrf=False).status_code == 400
    assert not db.session.get(User, world.a.teacher.user_id).is_blocked
    assert b.get("/").status_code == 200


# -- error pages -------------------------------------------------------------------------------

def test_error_pages_are_russian(world, browser):
    b = browser()
    russian_page(b.get("/no-such-page"), 404, "Страница не найдена")
    russian_page(b.get("/logout"), 405, "Метод не поддерживается")
    russian_page(b.get("/static/app.css", headers={"Range": "bytes=999999-"}), 416, "Запрос не выполнен")
    assert b.get("/students").status_code == 308  # a redirect is not an error
    b.login("a.admin")
    russian_page(b.get("/no-such-page"), 404, "Страница не найдена")
    russian_page(b.get("/students/details/?id=999999"), 404, "Страница не найдена")
    teacher = browser()
    teacher.login("a.teacher")
    html = russian_page(teacher.get("/audit/"), 403, "Доступ запрещён")
    assert "У вас нет прав" in html


def test_500_shows_the_russian_page_and_no_trace(world, browser, app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret-detail /work/main/app.py line 42")

    monkeypatch.setitem(app.view_functions, "healthz", broken)
    html = russian_page(browser().get("/healthz"), 500, "Внутренняя ошибка")
    for leak in ("Traceback", "RuntimeError", "secret-detail", "app.py", 'File "'):
        assert leak not in html

    b = browser()
    b.login("a.admin")
    monkeypatch.setitem(app.view_functions, "auth.change_password", broken)
    html = russian_page(b.get("/change-password"), 500, "Внутренняя ошибка")
    assert "RuntimeError" not in html and "secret-detail" not in html


def test_413_for_an_oversized_upload(world, browser, app):
    b = browser()
    b.login("a.admin")
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 5 * 1024 * 1024  # services/uploads.MAX_UPLOAD_BYTES: no page takes more
    big = io.BytesIO(b"x" * (limit + 1))
    resp = b.post("/students/new/", {"file": (big, "students.xlsx")})
    html = russian_page(resp, 413, "слишком")
    assert "не больше 5 МБ" in html
    assert "Traceback" not in html


# -- cookies and headers -----------------------------------------------------------------------

def _set_cookie(resp):
    headers = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith(SESSION_COOKIE + "=")]
    assert headers, resp.headers
    return headers[-1]


def test_session_cookie_is_httponly_and_lax(world, browser):
    b = browser()
    resp = b.login("a.teacher")
    cookie = _set_cookie(resp)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in development would otherwise lose the session


def test_session_cookie_is_secure_over_https(world, app):
    b = Browser(app)
    https = {"base_url": "https://localhost"}
    page = b.get("/login", **https)
    assert "Secure" in _set_cookie(page)
    b.token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    # over https Flask-WTF also checks that the form came from this site's own page
    resp = b.post("/login", {"login": "a.teacher", "password": TEST_PASSWORD},
                  headers={"Referer": "https://localhost/login"}, **https)
    assert resp.status_code == 302
    cookie = _set_cookie(resp)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logged_in_pages_are_not_cached_nor_framed(world, browser):
    b = browser()
    b.login("a.teacher")
    resp = b.get("/")
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


# -- health check ------------------------------------------------------------------------------

def test_healthz_checks_the_database_without_a_login(app, browser, tmp_path):
    resp = browser().get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok"}

    broken = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db",
                         "TESTING": True, "SECRET_KEY": "test-secret"})
    resp = Browser(broken).get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "error"


# -- audit -------------------------------------------------------------------------------------

def test_editing_a_student_card_writes_who_when_and_old_to_new(world, browser):
    b = browser()
    b.login("a.admin")
    student = world.a.student
    resp = submit(b, f"/students/edit/?id={student.id}",
                  {"last_name": "Новиков", "address": "г. Тверь, ул. Советская, д. 1"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert db.session.get(Student, student.id).last_name == "Новиков"

    row = db.session.scalars(select(AuditLog).where(AuditLog.entity == "student",
                                                    AuditLog.action == "update")).one()
    assert row.entity_id == student.id
    assert row.user_id == world.a.admin.user_id
    assert row.org_id == world.a.org.id
    assert row.address == "127.0.0.1"
    assert row.at is not None
    assert row.changes["last_name"] == ["Учеников", "Новиков"]
    assert row.changes["address"] == [None, "г. Тверь, ул. Советская, д. 1"]
    assert "snils" not in row.changes and "birth_date" not in row.changes  # unchanged fields

    # the administrator reads it in the journal of changes, old → new
    listing = b.get("/audit/").get_data(as_text=True)
    assert "Новиков" in listing and "изменение" in listing
    details = b.get(f"/audit/details/?id={row.id}").get_data(as_text=True)
    assert "Учеников" in details and "Новиков" in details and "Было" in details


def test_the_audit_knows_the_old_value_of_a_record_expired_by_a_commit(world):
    student = db.session.get(Student, world.a.student.id)
    db.session.commit()  # a service that commits in steps: the loaded values are expired
    student.last_name = "Новиков"
    db.session.commit()
    row = db.session.scalars(select(AuditLog).where(AuditLog.entity == "student",
                                                    AuditLog.action == "update")).one()
    assert row.changes == {"last_name": ["Учеников", "Новиков"]}


def test_the_audit_is_read_only_and_for_administrators(world, browser):
    b = browser()
    b.login("a.admin")
    submit(b, f"/students/edit/?id={world.a.student.id}", {"first_name": "Павел"})
    row_id = db.session.scalars(select(AuditLog.id).where(AuditLog.entity == "student",
                                                          AuditLog.action == "update")).one()
    total = db.session.scalar(select(func.count()).select_from(AuditLog))

    assert b.get("/audit/").status_code == 200
    page = b.get("/audit/").get_data(as_text=True)
    assert "/audit/new/" not in page and "/audit/edit/" not in page and "/audit/delete/" not in page
    assert b.get("/audit/new/").status_code == 403
    assert b.get(f"/audit/edit/?id={row_id}").status_code == 403
    assert b.post(f"/audit/edit/?id={row_id}", {"summary": "подчищено"}).status_code == 403
    assert b.post("/audit/delete/", {"id": str(row_id)}).status_code == 403
    assert b.post("/audit/action/", {"action": "delete", "rowid": str(row_id)}).status_code in (403, 404)
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) >= total
    assert db.session.get(AuditLog, row_id) is not None

    for login in ("a.teacher", "a.hr", "a.parent", "a.student"):
        other = browser()
        other.login(login)
        assert other.get("/audit/").status_code == 403, login
        assert other.get("/logins/").status_code == 403, login


def test_the_audit_can_be_filtered(world, browser, app):
    b = browser()
    b.login("a.admin")
    submit(b, f"/students/edit/?id={world.a.student.id}", {"first_name": "Павел"})
    submit(b, f"/parents/edit/?id={world.a.parent.id}", {"phone": "+7 900 123-45-67"})
    view = next(v for v in app.extensions["journal_admin"]._views if isinstance(v, AuditLogView))
    arg = next(arg for arg, (_, flt) in view._filter_args.items()
               if type(flt) is FilterEqual and flt.column.key == "entity")

    students_only = b.get("/audit/", query_string={f"flt0_{arg}": "student"}).get_data(as_text=True)
    parents_only = b.get("/audit/", query_string={f"flt0_{arg}": "parent"}).get_data(as_text=True)

    assert "Учеников" in students_only and "Ученикова" not in students_only
    assert "Ученикова" in parents_only and "Учеников Павел" not in parents_only


def test_the_audit_of_one_organization_is_hidden_from_another(world, browser):
    a = browser()
    a.login("a.admin")
    submit(a, f"/students/edit/?id={world.a.student.id}", {"first_name": "Евлампий"})
    row_id = db.session.scalars(select(AuditLog.id).where(AuditLog.entity == "student",
                                                          AuditLog.action == "update")).one()
    assert "Евлампий" in a.get("/audit/").get_data(as_text=True)
    b = browser()
    b.login("b.admin")
    assert "Евлампий" not in b.get("/audit/").get_data(as_text=True)
    assert b.get(f"/audit/details/?id={row_id}").status_code == 404


def test_logins_are_browsable_by_the_administrator(world, browser):
    failed = browser()
    failed.post("/login", {"login": "a.teacher", "password": "wrong-password"},
                environ_base={"REMOTE_ADDR": "10.9.8.7"})
    admin = browser()
    admin.login("a.admin")
    page = admin.get("/logins/").get_data(as_text=True)
    assert "a.teacher" in page and "10.9.8.7" in page
    assert "a.admin" in page
    assert admin.get("/logins/new/").status_code == 403
    event_id = db.session.scalars(select(LoginEvent.id)).first()
    assert admin.post("/logins/delete/", {"id": str(event_id)}).status_code == 403
    assert db.session.get(LoginEvent, event_id) is not None
