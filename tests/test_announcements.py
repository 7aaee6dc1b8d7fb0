"""Announcements (issue 16.3): who sees which (the whole organization, a grade, a class, the staff), the dates
window, who may publish (the administration any kind, a class teacher his own class only — by the service and by
a direct POST), the attachment downloaded only by those concerned, the start page and the diary showing them
(the text escaped, links as rel="noopener nofollow"), the start page's query count with many announcements, and
the notifications queued in a bounded number of statements."""
import re
from datetime import date, timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from models import Announcement, AnnouncementFile, Audience, Notification, Parent, Staff, StoredFile, User, db
from services import clock
from services.announcements import board
from services.announcements.board import AnnouncementInput
from services.context import Actor
from services.demo.school import create_demo
from services.people import accounts
from services.errors import DomainError, PermissionDenied
from tests.factories import PASSWORD, actor_of, tt_assignment, tt_subject
from tests.querycount import count_queries

TODAY = date(2026, 11, 20)  # TEST_TODAY
PDF = b"%PDF-1.4 announcement"


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def signed_in(browser, login):
    b = browser()
    assert b.login(login).status_code == 302
    return b


def ann(actor, title, audience=Audience.ALL, klass=None, grade=None, start=TODAY, end=TODAY + timedelta(days=7),
        body="Текст объявления.", upload=None):
    return board.publish(actor, AnnouncementInput(
        title=title, body=body, audience=audience, grade=grade, class_id=klass.id if klass is not None else None,
        publish_date=start, end_date=end), upload)


@pytest.fixture
def files_dir(app, tmp_path):
    app.config["FILES_DIR"] = str(tmp_path / "files")
    yield
    app.config.pop("FILES_DIR")


@pytest.fixture
def board_a(world):
    """World A's announcements, all by the administrator: the organization's, 5th grade's, 5А's, 6Б's and the
    staff's."""
    a = world.a
    admin = actor_of("a.admin")
    ann(admin, "Всем: день открытых дверей")
    ann(admin, "Параллель 5: экскурсия", Audience.GRADE, grade=5)
    ann(admin, "5А: родительское собрание", Audience.CLASS, klass=a.klass)
    ann(admin, "6Б: родительское собрание", Audience.CLASS, klass=a.other_class)
    ann(admin, "Сотрудникам: педсовет", Audience.STAFF)
    db.session.commit()
    return world


ALL = {"Всем: день открытых дверей", "Параллель 5: экскурсия", "5А: родительское собрание",
       "6Б: родительское собрание", "Сотрудникам: педсовет"}


def titles(actor):
    return {a.title for a in board.reading_list(actor, TODAY)}


@pytest.mark.parametrize("login, seen", [
    ("a.admin", ALL),
    ("a.deputy", ALL),
    ("a.student", {"Всем: день открытых дверей", "Параллель 5: экскурсия", "5А: родительское собрание"}),
    ("a.parent", {"Всем: день открытых дверей", "Параллель 5: экскурсия", "5А: родительское собрание"}),
    ("a.class_teacher", {"Всем: день открытых дверей", "Параллель 5: экскурсия", "5А: родительское собрание",
                         "Сотрудникам: педсовет"}),
    ("a.teacher", {"Всем: день открытых дверей", "Сотрудникам: педсовет"}),
    ("a.hr", {"Всем: день открытых дверей", "Сотрудникам: педсовет"}),
    ("b.admin", set()),
    ("b.parent", set()),
])
def test_who_sees_which(board_a, login, seen):
    assert titles(actor_of(login)) == seen


def test_another_class_parent_sees_the_organizations_and_his_class_only(board_a):
    a = board_a.a
    stranger_parent = Actor(user=None, org=a.org, parent_id=a.stranger_parent.id)
    assert titles(stranger_parent) == {"Всем: день открытых дверей", "6Б: родительское собрание"}


def test_a_teacher_sees_the_announcements_of_the_classes_he_teaches(board_a):
    a = board_a.a
    tt_assignment(a.org, a.year, a.other_class, a.teacher, tt_subject(a.org, "Музыка"))
    assert titles(actor_of("a.teacher")) == {"Всем: день открытых дверей", "Сотрудникам: педсовет",
                                             "6Б: родительское собрание"}


def test_shown_only_between_the_publication_and_end_dates(world):
    a = world.a
    admin = actor_of("a.admin")
    ann(admin, "Будущее", start=TODAY + timedelta(days=1))
    ann(admin, "Прошедшее", start=TODAY - timedelta(days=10), end=TODAY - timedelta(days=1))
    ann(admin, "Последний день", start=TODAY - timedelta(days=3), end=TODAY)
    gone = ann(admin, "Снятое")
    board.withdraw(admin, gone.id)
    parent = actor_of("a.parent")
    assert titles(parent) == {"Последний день"}
    assert {x.title for x in board.reading_list(parent, TODAY + timedelta(days=1))} == {"Будущее"}
    with clock.frozen(TODAY + timedelta(days=1)):
        assert {x.title for x in board.for_home(parent, TODAY + timedelta(days=1))[0]} == {"Будущее"}
    assert {x.title for x in board.managed_list(admin)} == {"Будущее", "Прошедшее", "Последний день", "Снятое"}
    with pytest.raises(DomainError, match="раньше даты публикации"):
        ann(admin, "Наоборот", start=TODAY, end=TODAY - timedelta(days=1))
    assert a.org is not None


def test_who_may_publish(world):
    a = world.a
    ct = actor_of("a.class_teacher")
    assert ann(ct, "Собрание 5А", Audience.CLASS, klass=a.klass).author_id == ct.user_id
    with pytest.raises(PermissionDenied, match="только для своего класса"):
        ann(ct, "Собрание 6Б", Audience.CLASS, klass=a.other_class)
    with pytest.raises(PermissionDenied):
        ann(ct, "Всем", Audience.ALL)
    for login in ("a.teacher", "a.student", "a.parent", "a.hr"):
        with pytest.raises(PermissionDenied):
            ann(actor_of(login), "Нельзя")
    for login in ("a.admin", "a.deputy", "a.director"):
        assert ann(actor_of(login), f"Можно: {login}", Audience.STAFF).id


def test_class_teacher_posting_for_another_class_is_refused_and_nothing_saved(world, browser):
    a = world.a
    b = signed_in(browser, "a.class_teacher")
    form = {"title": "Собрание", "body": "В 18:00", "audience": "class", "publish_date": "20.11.2026",
            "end_date": "27.11.2026"}
    assert b.post("/announcements/new/", data={**form, "class_id": a.other_class.id}).status_code == 403
    assert b.post("/announcements/new/", data={**form, "audience": "all"}).status_code == 403
    assert db.session.scalar(select(func.count(Announcement.id))) == 0
    assert signed_in(browser, "a.teacher").post("/announcements/new/", data=form).status_code == 403
    assert b.post("/announcements/new/", data={**form, "class_id": a.klass.id}).status_code == 302
    assert db.session.scalar(select(Announcement.class_id)) == a.klass.id
    page = b.post("/announcements/new/", data={**form, "class_id": a.klass.id, "end_date": "31.02.2026"})
    assert page.status_code == 200 and "не дата" in page.get_data(as_text=True)


def test_edit_and_withdraw_by_the_author_or_the_administration(world, browser):
    a = world.a
    made = ann(actor_of("a.admin"), "Педсовет", Audience.STAFF)
    own = ann(actor_of("a.class_teacher"), "Собрание 5А", Audience.CLASS, klass=a.klass)
    db.session.commit()
    ct = signed_in(browser, "a.class_teacher")
    assert ct.get(f"/announcements/{made.id}/edit/").status_code == 404
    assert ct.post(f"/announcements/{made.id}/withdraw/").status_code == 404
    assert ct.get(f"/announcements/{own.id}/edit/").status_code == 200
    resp = ct.post(f"/announcements/{own.id}/edit/", data={
        "title": "Собрание 5А переносится", "body": "На четверг", "audience": "class", "class_id": a.klass.id,
        "publish_date": "20.11.2026", "end_date": "26.11.2026", "version": own.version})
    assert resp.status_code == 302
    deputy = signed_in(browser, "a.deputy")
    assert deputy.post(f"/announcements/{own.id}/withdraw/").status_code == 302
    got = db.session.get(Announcement, own.id)
    assert got.title == "Собрание 5А переносится" and got.withdrawn
    assert titles(actor_of("a.parent")) == set()


def test_attachment_downloaded_only_by_those_concerned(world, browser, files_dir):
    a = world.a
    made = ann(actor_of("a.admin"), "Собрание 5А", Audience.CLASS, klass=a.klass, upload=("Повестка.pdf", PDF))
    db.session.commit()
    url = f"/announcements/{made.id}/file/"
    resp = signed_in(browser, "a.parent").get(url)
    assert resp.status_code == 200 and resp.data == PDF
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    for login in ("a.teacher", "a.hr", "b.parent", "b.admin"):
        assert signed_in(browser, login).get(url).status_code == 404, login
    assert signed_in(browser, "a.class_teacher").get(url).status_code == 200


def test_several_attachments_each_downloaded_only_by_those_concerned(world, browser, files_dir):
    a = world.a
    made = ann(actor_of("a.admin"), "Собрание 5А", Audience.CLASS, klass=a.klass,
               upload=[("Повестка.pdf", PDF), ("Список.txt", b"1. \xd0\x98\xd1\x82\xd0\xbe\xd0\xb3\xd0\xb8"),
                       ("План.pdf", PDF + b" 2")])
    db.session.commit()
    assert [f.name for f in made.attachments] == ["Повестка.pdf", "Список.txt", "План.pdf"]
    urls = [f"/announcements/{made.id}/file/{f.id}/" for f in made.attachments]
    parent = signed_in(browser, "a.parent")
    assert [parent.get(url).data for url in urls] == [PDF, "1. Итоги".encode(), PDF + b" 2"]
    assert parent.get(f"/announcements/{made.id}/file/").data == PDF  # the old address: the first one
    for login in ("a.teacher", "a.hr", "b.parent", "b.admin"):
        who = signed_in(browser, login)
        assert [who.get(url).status_code for url in urls] == [404] * 3, login
    other = ann(actor_of("a.admin"), "Другое", upload=("Чужое.pdf", PDF))
    db.session.commit()
    # a file of another announcement is not served under this one's address
    assert parent.get(f"/announcements/{made.id}/file/{other.attachments[0].id}/").status_code == 404
    html = parent.get("/").get_data(as_text=True)
    assert all(f'href="{url}"' in html for url in urls)


def test_removing_one_attachment_keeps_the_others(world, browser, files_dir):
    a = world.a
    made = ann(actor_of("a.admin"), "Собрание", upload=[("Один.pdf", PDF), ("Два.pdf", PDF + b"2")])
    db.session.commit()
    first_id, second_id = (f.id for f in made.attachments)
    b = signed_in(browser, "a.admin")
    page = b.get(f"/announcements/{made.id}/edit/").get_data(as_text=True)
    assert page.count('name="drop"') == 2 and "multiple" in page
    resp = b.post(f"/announcements/{made.id}/edit/", data={
        "title": "Собрание", "body": "Текст", "audience": "all", "publish_date": "20.11.2026",
        "end_date": "27.11.2026", "version": made.version, "drop": str(first_id),
        "file": [(BytesIO(PDF + b"3"), "Три.pdf")]})
    assert resp.status_code == 302
    db.session.expire_all()
    got = db.session.get(Announcement, made.id)
    assert [f.name for f in got.attachments] == ["Два.pdf", "Три.pdf"]
    assert db.session.get(StoredFile, first_id) is None
    assert signed_in(browser, "a.parent").get(f"/announcements/{made.id}/file/{second_id}/").data == PDF + b"2"
    assert signed_in(browser, "a.parent").get(f"/announcements/{made.id}/file/{first_id}/").status_code == 404
    assert a.org is not None


def test_a_bad_file_among_good_ones_keeps_none_and_the_typed_text(world, browser, files_dir):
    b = signed_in(browser, "a.admin")
    resp = b.post("/announcements/new/", data={
        "title": "Экскурсия в музей", "body": "Сбор у школы в 9:00", "audience": "all",
        "publish_date": "20.11.2026", "end_date": "25.11.2026",
        "file": [(BytesIO(PDF), "Маршрут.pdf"), (BytesIO(b"MZ\x90\x00 program"), "virus.exe"),
                 (BytesIO(PDF + b"2"), "Список.pdf")]})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Экскурсия в музей" in html and "Сбор у школы в 9:00" in html
    assert "такой файл приложить нельзя" in html
    assert db.session.scalar(select(func.count(Announcement.id))) == 0
    assert db.session.scalar(select(func.count(StoredFile.id))) == 0
    made = ann(actor_of("a.admin"), "Собрание", upload=("Один.pdf", PDF))
    db.session.commit()
    edit = b.post(f"/announcements/{made.id}/edit/", data={
        "title": "Собрание в пятницу", "body": "Текст", "audience": "all", "publish_date": "20.11.2026",
        "end_date": "27.11.2026", "version": made.version, "drop": str(made.attachments[0].id),
        "file": [(BytesIO(PDF), "Два.pdf"), (BytesIO(b""), "пустой.pdf")]})
    assert edit.status_code == 200 and "Собрание в пятницу" in edit.get_data(as_text=True)
    db.session.expire_all()
    got = db.session.get(Announcement, made.id)
    assert got.title == "Собрание" and [f.name for f in got.attachments] == ["Один.pdf"]


def test_at_most_ten_attachments(world, files_dir):
    admin = actor_of("a.admin")
    with pytest.raises(DomainError, match="не больше 10"):
        ann(admin, "Много", upload=[(f"Ф{n}.pdf", PDF + bytes([n])) for n in range(board.MAX_FILES + 1)])
    made = ann(admin, "Десять", upload=[(f"Ф{n}.pdf", PDF + bytes([n])) for n in range(board.MAX_FILES)])
    assert len(made.attachments) == board.MAX_FILES


def test_home_and_diary_show_them_escaped_with_links(world, browser):
    a = world.a
    admin = actor_of("a.admin")
    ann(admin, "Собрание <b>5А</b>", Audience.CLASS, klass=a.klass,
        body='<script>alert(1)</script> Подробно: https://school.example/sobranie?a=1&b=2. <a href="x">x</a>')
    ann(admin, "Педсовет", Audience.STAFF)
    db.session.commit()
    html = signed_in(browser, "a.parent").get("/").get_data(as_text=True)
    assert 'id="home-announcements"' in html and "Собрание &lt;b&gt;5А&lt;/b&gt;" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert ('<a href="https://school.example/sobranie?a=1&amp;b=2" rel="noopener nofollow" target="_blank">'
            in html)
    assert '<a href="x">' not in html and "Педсовет" not in html
    teacher = text_of(signed_in(browser, "a.teacher").get("/").get_data(as_text=True))
    assert "Педсовет" in teacher and "Собрание" not in teacher
    diary = signed_in(browser, "a.parent").get(f"/diary/{a.student.id}/").get_data(as_text=True)
    assert 'id="diary-announcements"' in diary and "Собрание &lt;b&gt;5А&lt;/b&gt;" in diary
    assert "Педсовет" not in diary
    listing = text_of(signed_in(browser, "a.student").get("/announcements/").get_data(as_text=True))
    assert "Собрание <b>5А</b>" not in listing and "Педсовет" not in listing


def test_home_query_count_does_not_grow_with_the_announcements(world, browser):
    a = world.a
    admin = actor_of("a.admin")
    ann(admin, "Первое", Audience.CLASS, klass=a.klass)
    db.session.commit()
    b = signed_in(browser, "a.parent")
    b.get("/")
    with count_queries() as few:
        assert b.get("/").status_code == 200
    db.session.add_all(Announcement(
        org_id=a.org.id, audience=Audience.ALL if n % 2 else Audience.CLASS, class_id=a.klass.id,
        title=f"Объявление {n}", body="Текст", publish_date=TODAY, end_date=TODAY, author_id=admin.user_id,
        files=[AnnouncementFile(position=k, stored_file=StoredFile(
            org_id=a.org.id, name=f"Файл {n}-{k}.pdf", content_type="application/pdf", size=1, sha256="0" * 64,
            storage_key=f"k{n}-{k}")) for k in range(3)])
        for n in range(300))
    db.session.commit()
    with count_queries() as many:
        html = b.get("/").get_data(as_text=True)
    assert html.count('class="announcement"') == board.HOME_SHOWN and "Все объявления" in html
    assert html.count("Вложение: Файл ") == 3 * board.HOME_SHOWN  # every file of every shown announcement
    assert len(many) <= len(few) + 1, (len(few), len(many))
    with count_queries() as listing:
        assert b.get("/announcements/").status_code == 200
    assert len(listing) <= len(few) + 2


def test_publishing_queues_a_notification_for_each_concerned_person_with_an_address(world):
    a = world.a
    for person, email in ((a.parent, "parent@example.org"), (a.stranger_parent, "other@example.org"),
                          (a.class_teacher, "ct@example.org"), (a.teacher, "t@example.org"),
                          (a.admin, "admin@example.org"), (a.deputy, "deputy@example.org")):
        person.email = email
    db.session.flush()
    a.stranger_parent.user_id = accounts.new_user("a.other.parent", "Чужова Ольга", PASSWORD, must_change=False)[0].id
    tt_assignment(a.org, a.year, a.klass, a.deputy, tt_subject(a.org, "Литература"))
    admin = actor_of("a.admin")
    with count_queries() as statements:
        made = ann(admin, "Собрание 5А", Audience.CLASS, klass=a.klass)
    queued = db.session.execute(select(Notification.address, Notification.kind, Notification.subject)
                                .order_by(Notification.address)).all()
    assert [q.address for q in queued] == ["ct@example.org", "deputy@example.org", "parent@example.org"]
    assert {q.kind for q in queued} == {"announcement"} and queued[0].subject == "Объявление: Собрание 5А"
    assert made.notified and len(statements) <= 8
    ann(admin, "Педсовет", Audience.STAFF)
    staff = set(db.session.scalars(select(Notification.address).where(Notification.subject == "Объявление: Педсовет")))
    assert staff == {"ct@example.org", "t@example.org", "admin@example.org", "deputy@example.org"}
    later = ann(admin, "Потом", start=TODAY + timedelta(days=2))
    assert not later.notified
    assert board.notify_due(a.org, TODAY + timedelta(days=2)) == 5  # admin, deputy, ct, teacher, the parent
    assert later.notified and board.notify_due(a.org, TODAY + timedelta(days=2)) == 0


def test_the_administration_publishes_with_an_attachment_through_the_page(world, browser, files_dir):
    a = world.a
    b = signed_in(browser, "a.deputy")
    assert b.get("/announcements/new/").status_code == 200
    resp = b.post("/announcements/new/", data={
        "title": "Экскурсия", "body": "Сбор в 9:00", "audience": "grade", "grade": "5", "publish_date": "20.11.2026",
        "end_date": "25.11.2026", "file": (BytesIO(PDF), "Маршрут.pdf")})
    assert resp.status_code == 302
    made = db.session.scalar(select(Announcement))
    assert made.grade == 5 and [f.name for f in made.attachments] == ["Маршрут.pdf"]
    assert signed_in(browser, "a.student").get(f"/announcements/{made.id}/file/").data == PDF
    refused = b.post("/announcements/new/", data={
        "title": "Скрипт", "body": "x", "audience": "all", "publish_date": "20.11.2026", "end_date": "25.11.2026",
        "file": (BytesIO(b"<html><script>alert(1)</script>"), "x.html")})
    assert refused.status_code == 200 and "Скрипт" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Announcement.id))) == 1
    assert a.org is not None


def test_the_demo_school_has_its_announcements():
    create_demo(kind="school", password="demo-pass-2026", today=TODAY, students_per_class=3)
    db.session.commit()
    # the demo's parent (the printed account; the activity demo's issued logins wait for their first login)
    parent = Actor.for_user(db.session.scalar(select(Parent).join(Parent.user).where(
        User.must_change_password.is_(False))).user)
    seen = {x.title for x in board.reading_list(parent, TODAY)}
    assert "День открытых дверей" in seen and any(t.startswith("Родительское собрание") for t in seen)
    assert "Педагогический совет" not in seen and "Вакцинация против гриппа" not in seen
    deputy = Actor.for_user(db.session.scalar(select(Staff).where(Staff.role_rows.any(role="deputy"))).user)
    assert "Педагогический совет" in {x.title for x in board.for_home(deputy, TODAY)[0]}
    assert len(board.managed_list(deputy)) == 4
    # the demo's announcements queue no e-mail (the notifications demo's own announcement e-mail is sent already)
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == "announcement", Notification.sent_at.is_(None))) == 0


def test_the_daily_command_queues_the_announcements_whose_day_has_come(world, app):
    a = world.a
    a.parent.email = "parent@example.org"
    later = ann(actor_of("a.admin"), "Каникулы", start=TODAY + timedelta(days=1))
    db.session.commit()
    runner = app.test_cli_runner()
    assert "поставлено в очередь: 0" in runner.invoke(args=["announcements", "notify"]).output
    with clock.frozen(TODAY + timedelta(days=1)):
        result = runner.invoke(args=["announcements", "notify"])
    assert result.exit_code == 0 and "поставлено в очередь: 1" in result.output, result.output
    db.session.expire_all()
    assert db.session.get(Announcement, later.id).notified


def test_an_edit_made_from_an_older_version_is_refused_and_keeps_what_was_typed(world, browser):
    a = world.a
    made = ann(actor_of("a.admin"), "Собрание", Audience.CLASS, klass=a.klass)
    db.session.commit()
    form = {"title": "Собрание в четверг", "body": "В 18:30", "audience": "class", "class_id": a.klass.id,
            "publish_date": "20.11.2026", "end_date": "26.11.2026", "version": made.version}
    b = signed_in(browser, "a.admin")
    assert b.post(f"/announcements/{made.id}/edit/", data=form).status_code == 302
    again = b.post(f"/announcements/{made.id}/edit/", data={**form, "title": "Собрание в пятницу"})
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "Собрание в пятницу" in html and "изменена другим" in html
    refused = b.post(f"/announcements/{made.id}/edit/", data={**form, "version": made.version, "title": ""})
    assert refused.status_code == 200 and "Укажите заголовок" in refused.get_data(as_text=True)
    assert db.session.get(Announcement, made.id).title == "Собрание в четверг"


def test_a_diary_week_shows_the_schools_the_grades_and_the_classs_announcements_of_that_week(world):
    """board.for_student_week (its statement built once, its values bound): the organization's, the student's grade's
    and class's announcements shown on some day of the week; not another grade's, not one of another week; a student
    without a class gets only the organization's."""
    a = world.a
    admin = actor_of("a.admin")
    ann(admin, "Всем", Audience.ALL)
    ann(admin, "Параллели", Audience.GRADE, grade=a.klass.grade)
    ann(admin, "Другой параллели", Audience.GRADE, grade=a.klass.grade + 1)
    ann(admin, "Классу", Audience.CLASS, klass=a.klass)
    ann(admin, "Позже", Audience.ALL, start=TODAY + timedelta(days=20), end=TODAY + timedelta(days=25))
    db.session.commit()
    week = TODAY - timedelta(days=TODAY.weekday())
    titles = {x.title for x in board.for_student_week(a.org.id, a.klass.id, week, week + timedelta(days=6))}
    assert titles == {"Всем", "Параллели", "Классу"}
    assert {x.title for x in board.for_student_week(a.org.id, None, week, week + timedelta(days=6))} == {"Всем"}
    later = week + timedelta(days=21)
    assert {x.title for x in board.for_student_week(a.org.id, a.klass.id, later, later + timedelta(days=6))} == \
        {"Позже"}
