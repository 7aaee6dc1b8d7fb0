"""Requests to correct personal data (issue 16.5, services/people/requests.py): a parent asks about his own card
or his child's; the class teacher of the child's class or HR applies the change through the card's rules (audited,
linked) or refuses it with a reason; the parent is notified; the scan is read only by those who read the request;
the control page and the start page show the open ones."""
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import AuditLog, DataRequest, Notification, Parent, Student, db
from services import clock
from services.errors import DomainError, PermissionDenied
from services.demo.school import create_demo
from services.people import requests as data_requests
from tests.factories import actor_of
from tests.querycount import count_queries

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture
def family(world):
    """World A's parent with an e-mail (so that he is notified), his child Учеников in 5А."""
    a = world.a
    a.parent.email = "mama@example.ru"
    db.session.flush()
    return a


@pytest.fixture
def files_dir(app, tmp_path):
    app.config["FILES_DIR"] = str(tmp_path / "files")
    yield
    app.config.pop("FILES_DIR")


def _send(a, field="address", proposed="г. Тест, ул. Новая, д. 5", card="student", card_id=None, **kw):
    card_id = card_id if card_id is not None else (a.student.id if card == "student" else a.parent.id)
    return data_requests.send(actor_of(a.logins["parent"]), card, card_id, field, proposed, **kw)


def _notes(user_id):
    return db.session.scalars(select(Notification).where(Notification.user_id == user_id,
                                                         Notification.kind == "request")).all()


def test_applied_round_trip_changes_the_card_audits_it_and_notifies_the_parent(family):
    a = family
    request = _send(a, comment="Переехали")
    assert request.status == "open" and request.old_value == "—"
    data_requests.apply(actor_of(a.logins["class_teacher"]), request.id, request.version)
    student = db.session.get(Student, a.student.id)
    assert student.address == "г. Тест, ул. Новая, д. 5"
    row = db.session.get(AuditLog, request.audit_id)
    assert row.entity == "student" and row.entity_id == student.id and row.action == "update"
    assert row.changes["address"] == [None, "г. Тест, ул. Новая, д. 5"]
    assert row.user_id is None or row.user_id  # the request's actor (set by the request's context)
    assert request.status == "applied" and request.new_value == "г. Тест, ул. Новая, д. 5"
    assert request.closed_by_id == a.class_teacher.user_id
    note, = _notes(a.parent.user_id)
    assert note.address == "mama@example.ru" and "исправлено" in note.subject and "ул. Новая" in note.body


def test_a_parent_corrects_his_own_phone_through_hr(family):
    a = family
    request = _send(a, field="phone", proposed="+7 (900) 123-45-67", card="parent")
    with pytest.raises(DomainError, match="ещё ждёт ответа"):
        _send(a, field="phone", proposed="+7 (900) 765-43-21", card="parent")
    with pytest.raises(DomainError, match="изменена другим пользователем"):
        data_requests.apply(actor_of(a.logins["hr"]), request.id, request.version + 1)
    data_requests.apply(actor_of(a.logins["hr"]), request.id, request.version)
    assert db.session.get(Parent, a.parent.id).phone == "+7 (900) 123-45-67"
    assert db.session.get(AuditLog, request.audit_id).entity == "parent"


def test_refused_with_a_reason(family):
    a = family
    request = _send(a, field="last_name", proposed="Новикова", card="parent")
    hr = actor_of(a.logins["hr"])
    with pytest.raises(DomainError, match="причину отказа"):
        data_requests.refuse(hr, request.id, request.version, "  ")
    data_requests.refuse(hr, request.id, request.version, "Нужна копия свидетельства о браке")
    assert request.status == "refused" and request.answer == "Нужна копия свидетельства о браке"
    assert db.session.get(Parent, a.parent.id).last_name == "Ученикова"
    note, = _notes(a.parent.user_id)
    assert "отклонено" in note.subject and "свидетельства о браке" in note.body
    with pytest.raises(DomainError, match="уже закрыт"):
        data_requests.apply(hr, request.id, request.version)


def test_a_parent_asks_only_about_his_own_family(family):
    a = family
    with pytest.raises(PermissionDenied):
        _send(a, card_id=a.stranger.id)
    with pytest.raises(PermissionDenied):
        _send(a, card="parent", card_id=a.stranger_parent.id)
    with pytest.raises(PermissionDenied):  # not a parent at all
        data_requests.send(actor_of(a.logins["teacher"]), "student", a.student.id, "address", "x")
    with pytest.raises(DomainError, match="контрольной суммы"):
        _send(a, field="snils", proposed="123-456-789 00")
    with pytest.raises(DomainError, match="из списка"):
        _send(a, field="status", proposed="graduated")
    assert db.session.scalar(select(func.count(DataRequest.id))) == 0


def test_a_class_teacher_answers_only_his_class(family):
    a = family
    a.other_class.class_teacher_id = a.teacher.id  # a.teacher leads 6Б, not 5А
    db.session.flush()
    request = _send(a)
    other = actor_of(a.logins["teacher"])
    assert data_requests.get(other, request.id) is None
    with pytest.raises(PermissionDenied):
        data_requests.apply(other, request.id, request.version)
    with pytest.raises(PermissionDenied):
        data_requests.refuse(actor_of(a.logins["admin"]), request.id, request.version, "нет")
    assert request.status == "open" and db.session.get(Student, a.student.id).address is None


def test_a_value_the_card_refuses_changes_nothing_and_the_request_stays_open(family):
    a = family
    request = _send(a, field="birth_date", proposed="01.01.2030")
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        data_requests.apply(actor_of(a.logins["hr"]), request.id, request.version)
    assert "не может быть в будущем" in str(refused.value) and "запрос остаётся открытым" in str(refused.value)
    db.session.rollback()
    assert db.session.get(Student, a.student.id).birth_date == date(2015, 3, 1)
    assert db.session.get(DataRequest, request.id).status == "open"


# -- the pages ----------------------------------------------------------------------------------------------

def test_pages_round_trip_and_refusals_by_post(family, browser, files_dir):
    a = family
    a.other_class.class_teacher_id = a.teacher.id
    db.session.commit()
    parent = browser()
    parent.login(a.logins["parent"])
    assert "Новый запрос" in parent.get("/requests/").get_data(as_text=True)
    form = parent.get("/requests/new").get_data(as_text=True)
    assert f'value="student-{a.student.id}"' in form and "Свидетельство о рождении: номер" in form
    # Another family's child, by POST: refused, nothing kept.
    resp = parent.post("/requests/new", {"card": f"student-{a.stranger.id}", "field": "address", "proposed": "x"})
    assert resp.status_code == 404
    assert db.session.scalar(select(func.count(DataRequest.id))) == 0
    # A bad value: the form again, in Russian, with what was typed.
    resp = parent.post("/requests/new", {"card": f"student-{a.student.id}", "field": "snils",
                                         "proposed": "123-456-789 00", "comment": "мой комментарий"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "контрольной суммы" in page and "мой комментарий" in page
    resp = parent.post("/requests/new", {"card": f"student-{a.student.id}", "field": "passport_series",
                                         "proposed": "45", "comment": "Получили паспорт",
                                         "scan": (io.BytesIO(PNG), "паспорт.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    request = db.session.scalars(select(DataRequest)).one()
    assert request.scan is not None and request.scan.content_type == "image/png"
    # The scan: the parent who sent it, the class teacher of the class, HR; nobody else.
    expected = {"parent": 200, "class_teacher": 200, "hr": 200, "teacher": 404, "admin": 404, "deputy": 404,
                "director": 404, "student": 404}
    for role, status in expected.items():
        b = parent if role == "parent" else browser()
        if role != "parent":
            b.login(a.logins[role])
        resp = b.get(f"/requests/{request.id}/scan")
        assert resp.status_code == status, role
        if status == 200:
            assert resp.data == PNG and resp.headers["Content-Disposition"].startswith("attachment")
    # A class teacher of another class, by POST: 404, nothing changed.
    other = browser()
    other.login(a.logins["teacher"])
    assert other.get(f"/requests/{request.id}/").status_code == 404
    resp = other.post(f"/requests/{request.id}/answer", {"do": "refuse", "answer": "нет",
                                                         "version": request.version})
    assert resp.status_code == 404 and db.session.get(DataRequest, request.id).status == "open"
    # The class teacher: the card refuses «45» (a passport series is 4 digits): the message, the request open.
    teacher = browser()
    teacher.login(a.logins["class_teacher"])
    page = teacher.get(f"/requests/{request.id}/").get_data(as_text=True)
    assert "Внести в карточку" in page and "паспорт.png" in page
    resp = teacher.post(f"/requests/{request.id}/answer", {"do": "apply", "value": "45",
                                                           "version": request.version})
    assert resp.status_code == 200 and "Серия паспорта — 4 цифры" in resp.get_data(as_text=True)
    assert db.session.get(DataRequest, request.id).status == "open"
    assert db.session.get(Student, a.student.id).passport_series is None
    # … he corrects the value and applies it.
    resp = teacher.post(f"/requests/{request.id}/answer", {"do": "apply", "value": "4510",
                                                           "version": request.version})
    assert resp.status_code == 302
    request = db.session.get(DataRequest, request.id)
    assert request.status == "applied" and db.session.get(Student, a.student.id).passport_series == "4510"
    audit = db.session.get(AuditLog, request.audit_id)
    assert audit.changes["passport_series"] == [None, "4510"] and audit.user_id == a.class_teacher.user_id
    page = parent.get("/requests/").get_data(as_text=True)
    assert "исправлено" in page and "Мои запросы" in page
    assert len(_notes(a.parent.user_id)) == 1


def test_control_page_and_home_show_open_requests(family, browser):
    a = family
    request = _send(a, field="phone", proposed="+7 900 000-00-00", card="parent")
    db.session.commit()
    for role in ("class_teacher", "hr"):
        b = browser()
        b.login(a.logins[role])
        control = b.get("/control/").get_data(as_text=True)
        assert "Запросы родителей об исправлении данных" in control and f"Запрос № {request.id}" in control
        assert "ждёт ответа 0 дн." in control
        assert f"Запрос № {request.id}" in b.get("/").get_data(as_text=True), role
    b = browser()
    b.login(a.logins["teacher"])
    assert f"Запрос № {request.id}" not in b.get("/control/").get_data(as_text=True)
    # A week later it is overdue.
    with clock.frozen(clock.today() + timedelta(days=10)):
        b = browser()
        b.login(a.logins["hr"])
        control = b.get("/control/").get_data(as_text=True)
        assert "ждёт ответа 10 дн." in control and "просрочено" in control
    data_requests.refuse(actor_of(a.logins["hr"]), request.id, request.version, "Номер не отвечает")
    db.session.commit()
    b = browser()
    b.login(a.logins["hr"])
    assert f"Запрос № {request.id}" not in b.get("/control/").get_data(as_text=True)


def test_the_demo_parent_has_an_open_and_a_closed_request(app):
    create_demo(password="demo-pass-123!")
    rows = db.session.scalars(select(DataRequest).order_by(DataRequest.id)).all()
    assert [r.status for r in rows] == ["applied", "open"]
    closed, opened = rows
    assert closed.audit_id is not None and db.session.get(Student, closed.student_id).address == closed.new_value
    assert opened.field == "phone" and opened.author_id == closed.author_id


def _many(a, count):
    for n in range(count):
        child = a.student if n % 2 else a.classmate
        db.session.add(DataRequest(org_id=a.org.id, author_id=a.parent.id, author_user_id=a.parent.user_id,
                                   student_id=child.id if n % 3 else None, parent_id=None if n % 3 else a.parent.id,
                                   field="address", proposed=f"ул. Новая, д. {n}",
                                   comment="<script>alert(1)</script>"))
    db.session.commit()


def _statements(b, url):
    with count_queries() as statements:
        resp = b.get(url)
    assert resp.status_code == 200
    return len(statements), resp.get_data(as_text=True)


def test_lists_and_control_take_a_bounded_number_of_statements(family, browser):
    a = family
    a.classmate.parents.append(a.parent)
    _many(a, 5)
    hr = browser()
    hr.login(a.logins["hr"])
    few = {url: _statements(hr, url)[0] for url in ("/requests/", "/control/", "/")}
    _many(a, 60)
    for url, before in few.items():
        after, page = _statements(hr, url)
        assert after <= before + 2, (url, before, after)
        assert "<script>alert(1)</script>" not in page
    first = db.session.scalars(select(DataRequest).order_by(DataRequest.id)).first()
    page = hr.get(f"/requests/{first.id}/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
