"""Reads of children's personal data (152-ФЗ art. 19) in the access log, apart from the change log: a card
opened, a list exported, a report naming students (page, .xlsx, command line), a diary opened by staff,
credential slips — each one row: who, when, what, how many rows; a family reading its own data writes
none. «Журнал доступа» filters them in the organization's time, one organization never sees another's,
and `flask audit prune` deletes those older than ACCESS_LOG_RETENTION_DAYS."""
from datetime import datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from admin_views.audit import AccessLogView
from app import create_app
from models import AccessLog, AuditLog, db
from services import clock


def reads():
    db.session.expire_all()
    return db.session.scalars(select(AccessLog).order_by(AccessLog.id)).all()


def signed_in(browser, login):
    b = browser()
    b.login(login)
    return b


# -- cards, exports, slips: the secure base view --------------------------------------------------------

def test_opening_a_student_or_parent_card_is_one_read(world, browser):
    a = world.a
    b = signed_in(browser, "a.admin")
    assert b.get(f"/students/details/?id={a.student.id}").status_code == 200
    [row] = reads()
    assert (row.action, row.object_kind, row.object_id, row.row_count) == ("view_card", "student", a.student.id, None)
    assert (row.user_id, row.org_id, row.address, row.at) == (a.admin.user_id, a.org.id, "127.0.0.1", clock.utcnow())
    assert row.detail == "Учеников Пётр Иванович"

    assert b.get(f"/parents/edit/?id={a.parent.id}").status_code == 200  # the edit form shows the card too
    assert b.get("/students/").status_code == 200  # a list is no card
    assert b.get(f"/students/details/?id={world.b.student.id}").status_code == 404  # nothing shown, nothing read
    assert b.get(f"/staff/details/?id={a.teacher.id}").status_code == 200  # not a child's data
    assert [(r.object_kind, r.object_id) for r in reads()] == [("student", a.student.id), ("parent", a.parent.id)]
    assert not db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "view_card"))


def test_an_export_is_one_read_with_its_rows(world, browser):
    a = world.a
    b = signed_in(browser, "a.hr")
    everyone = b.get("/students/export/csv/").get_data(as_text=True)
    assert len(everyone.strip().splitlines()) == 1 + 3
    found = b.get("/students/export/csv/?search=Соседов").get_data(as_text=True)
    assert len(found.strip().splitlines()) == 1 + 1
    first, second = reads()
    assert (first.action, first.object_kind, first.object_id, first.row_count, first.user_id, first.org_id) == \
        ("export", "student", None, 3, a.hr.user_id, a.org.id)
    assert "CSV" in first.detail and "отбор" not in first.detail
    assert second.row_count == 1 and "search=Соседов" in second.detail


def test_credential_slips_are_a_read_of_accounts(world, browser):
    a = world.a
    b = signed_in(browser, "a.admin")
    resp = b.post("/students/action/", data={"action": "issue_logins", "rowid": [a.classmate.id, a.stranger.id]},
                  follow_redirects=True)
    assert resp.status_code == 200 and "Выдано логинов: 2" in resp.get_data(as_text=True)
    resp = b.get("/students/slips/")
    assert resp.status_code == 200 and "spreadsheet" in resp.headers["Content-Type"]
    [row] = reads()
    assert (row.action, row.object_kind, row.row_count, row.user_id) == ("slips", "student", 2, a.admin.user_id)
    assert "Учётные данные" in row.detail


# -- reports: the page, its files, the command line ------------------------------------------------------

def test_a_report_naming_students_is_one_read_per_page_or_file(world, browser):
    a = world.a
    b = signed_in(browser, "a.class_teacher")
    assert b.get("/reports/class-attendance/?class=5А").status_code == 200
    assert b.get("/reports/class-attendance/?class=5А&format=xlsx").status_code == 200
    assert b.get("/reports/class-attendance/?class=5А&format=json").status_code == 200
    rows = reads()
    assert [(r.action, r.object_kind, r.object_id, r.row_count, r.user_id, r.org_id) for r in rows] == \
        [("report", "report", None, 2, a.class_teacher.user_id, a.org.id)] * 3
    assert rows[0].detail.startswith("«Отчёт о посещаемости класса» (class-attendance, экран)")
    assert "Класс: 5А" in rows[0].detail and "Даты: с 01.11.2026 по 30.11.2026" in rows[0].detail
    assert "(class-attendance, xlsx)" in rows[1].detail and "(class-attendance, json)" in rows[2].detail

    assert b.get("/reports/class-results/?class=5А").status_code == 200  # subjects and figures, no names
    assert b.get("/reports/class-attendance/?class=6Б").status_code == 200  # refused: nothing shown
    assert len(reads()) == 3


def test_the_command_line_report_is_a_read_too(world, app, tmp_path):
    a = world.a
    runner = app.test_cli_runner()
    done = runner.invoke(args=["report", "run", "summary-ledger", "--as", "a.deputy", "--class", "5А",
                               "--format", "xlsx", "--out", str(tmp_path / "ledger.xlsx")])
    assert done.exit_code == 0, done.output
    done = runner.invoke(args=["report", "run", "class-attendance", "--org", str(a.org.id), "--class", "5А",
                               "--out", str(tmp_path / "attendance.json")])
    assert done.exit_code == 0, done.output
    runner.invoke(args=["report", "run", "class-attendance", "--as", "a.parent", "--class", "5А"])  # refused
    first, second = reads()
    assert (first.action, first.user_id, first.org_id, first.row_count) == ("report", a.deputy.user_id, a.org.id, 2)
    assert "(summary-ledger, командная строка, xlsx)" in first.detail
    assert (second.user_id, second.org_id, second.row_count) == (None, a.org.id, 2)  # the operator


def test_a_familys_own_report_is_no_read_but_the_class_teachers_is(world, browser):
    a = world.a
    for login in ("a.parent", "a.student"):
        b = signed_in(browser, login)
        assert b.get("/reports/student-marks/").status_code == 200
        assert b.get("/reports/student-marks/?format=xlsx").status_code == 200
    assert reads() == []
    b = signed_in(browser, "a.class_teacher")
    assert b.get(f"/reports/student-marks/?class=5А&student={a.student.id}").status_code == 200
    [row] = reads()
    assert (row.action, row.row_count, row.user_id) == ("report", 1, a.class_teacher.user_id)
    assert "Ученик: Учеников Пётр Иванович" in row.detail


# -- the diary -------------------------------------------------------------------------------------------

def test_a_deputy_opening_a_diary_is_a_read_a_parent_opening_his_childs_is_not(world, browser):
    a = world.a
    for login in ("a.parent", "a.student"):
        b = signed_in(browser, login)
        assert b.get(f"/diary/{a.student.id}/").status_code == 200
        assert b.get(f"/diary/{a.student.id}/period/").status_code == 200
    assert reads() == []

    deputy = signed_in(browser, "a.deputy")
    week = deputy.get(f"/diary/{a.student.id}/")
    assert week.status_code == 200 and "Пётр Учеников" in week.get_data(as_text=True)
    [row] = reads()
    assert (row.action, row.object_kind, row.object_id, row.user_id, row.org_id, row.row_count) == \
        ("diary", "student", a.student.id, a.deputy.user_id, a.org.id, None)
    assert row.detail == "Дневник: Пётр Учеников, 5А"
    assert deputy.get(f"/diary/{a.stranger.id}/period/").status_code == 200
    assert [r.object_id for r in reads()] == [a.student.id, a.stranger.id]  # one row per page opened

    assert deputy.get("/diary/").status_code == 403  # the menu and the chooser stay the family's
    assert deputy.get(f"/diary/{world.b.student.id}/").status_code == 404  # another organization's
    assert len(reads()) == 2
    assert f'href="/diary/{a.student.id}/"' in deputy.get("/students/").get_data(as_text=True)
    teacher = signed_in(browser, "a.teacher")
    assert teacher.get(f"/diary/{a.student.id}/").status_code == 403
    page = signed_in(browser, "a.admin").get("/students/").get_data(as_text=True)
    assert f'href="/diary/{a.student.id}/"' not in page


# -- the page «Журнал доступа» ---------------------------------------------------------------------------

def filter_args(app):
    view = next(v for v in app.extensions["journal_admin"]._views if isinstance(v, AccessLogView))
    args = {flt.name: f"flt0_{arg}" for arg, (_, flt) in view._filter_args.items()
            if flt.name in ("Когда", "Действие", "Что", "№ карточки")}
    args["Логин"] = next(f"flt0_{arg}" for arg, (_, flt) in view._filter_args.items()
                         if type(flt) is FilterEqual and flt.column.key == "login")
    return args


@pytest.fixture
def logged(world):
    """Reads of three people in organization A on two days (stored in UTC; the school lives in Moscow,
    UTC+3), and one in organization B."""
    a = world.a
    read = dict(org_id=a.org.id, address="10.0.0.5")
    db.session.add_all([
        AccessLog(at=datetime(2026, 11, 18, 20, 0), user_id=a.hr.user_id, action="export", object_kind="student",
                  detail="Список «Обучающиеся»", row_count=3, **read),  # 18.11 23:00 in Moscow
        AccessLog(at=datetime(2026, 11, 18, 22, 30), user_id=a.deputy.user_id, action="diary", object_kind="student",
                  object_id=a.student.id, detail="Дневник: Пётр Учеников", **read),  # 19.11 01:30 in Moscow
        AccessLog(at=datetime(2026, 11, 20, 9, 0), user_id=a.admin.user_id, action="view_card", object_kind="parent",
                  object_id=a.parent.id, detail="Ученикова Мария Ивановна", **read),  # 20.11 12:00
        AccessLog(at=datetime(2026, 11, 20, 9, 0), org_id=world.b.org.id, user_id=world.b.admin.user_id,
                  action="view_card", object_kind="student", object_id=world.b.student.id, detail="Чужов из Б"),
    ])
    db.session.commit()
    return world


DETAILS = ("Список «Обучающиеся»", "Дневник: Пётр Учеников", "Ученикова Мария Ивановна", "Чужов из Б")


def test_the_page_filters_by_date_user_action_and_card_in_local_time(logged, browser, app):
    a = logged.a
    b = signed_in(browser, "a.admin")
    args = filter_args(app)

    def shown(**query):
        page = b.get("/access-log/", query_string=query)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        return {d for d in DETAILS if d in html}

    everything = b.get("/access-log/").get_data(as_text=True)
    assert "18.11.2026 23:00" in everything and "19.11.2026 01:30" in everything and "20.11.2026 12:00" in everything
    assert "просмотр дневника" in everything and "Журнал доступа" in everything
    assert shown() == set(DETAILS[:3])  # not organization B's
    assert shown(**{args["Когда"]: "19.11.2026"}) == {"Дневник: Пётр Учеников"}  # its local day, not UTC's 18th
    assert shown(**{args["Когда"]: "2026-11-18 to 2026-11-19"}) == set(DETAILS[:2])
    assert shown(**{args["Когда"]: "20.11.2026 to 18.11.2026"}) == set(DETAILS[:3])  # backwards: ignored
    assert shown(**{args["Логин"]: "a.hr"}) == {"Список «Обучающиеся»"}
    assert shown(**{args["Действие"]: "diary"}) == {"Дневник: Пётр Учеников"}
    assert shown(**{args["Что"]: "parent", args["№ карточки"]: str(a.parent.id)}) == {"Ученикова Мария Ивановна"}
    assert shown(search="Дневник") == {"Дневник: Пётр Учеников"}
    assert len(reads()) == 4  # reading the log is not itself logged


def test_only_the_audit_roles_see_it_and_each_organization_its_own(logged, browser):
    foreign = next(r.id for r in reads() if r.detail == "Чужов из Б")
    own = next(r.id for r in reads() if r.detail == "Ученикова Мария Ивановна")
    a = signed_in(browser, "a.admin")
    assert a.get(f"/access-log/details/?id={foreign}").status_code == 404
    assert "Ученикова Мария Ивановна" in a.get(f"/access-log/details/?id={own}").get_data(as_text=True)
    b = signed_in(browser, "b.admin")
    assert "Чужов из Б" in b.get("/access-log/").get_data(as_text=True)
    assert "Ученикова" not in b.get("/access-log/").get_data(as_text=True)
    assert b.get(f"/access-log/details/?id={own}").status_code == 404
    for login in ("a.hr", "a.deputy", "a.director", "a.class_teacher", "a.teacher", "a.parent", "a.student"):
        other = signed_in(browser, login)
        assert other.get("/access-log/").status_code == 403, login
        assert "/access-log/" not in other.get("/").get_data(as_text=True), login
    root = signed_in(browser, "root")
    log_page = root.get("/access-log/").get_data(as_text=True)
    assert {"Чужов из Б", "Ученикова Мария Ивановна"} <= {d for d in DETAILS if d in log_page}
    assert a.get("/access-log/new/").status_code == 403
    assert a.post("/access-log/delete/", {"id": str(own)}).status_code == 403
    assert len(reads()) == 4


# -- retention ---------------------------------------------------------------------------------------------

def test_prune_deletes_the_reads_older_than_the_retention(world, app):
    a = world.a
    now = clock.utcnow()
    for days in (400, 366, 364, 10):
        db.session.add(AccessLog(at=now - timedelta(days=days), org_id=a.org.id, user_id=a.admin.user_id,
                                 action="view_card", object_kind="student", detail=f"{days} дн."))
    db.session.commit()
    assert app.config["ACCESS_LOG_RETENTION_DAYS"] == 365
    runner = app.test_cli_runner()

    done = runner.invoke(args=["audit", "prune"])
    assert done.exit_code == 0, done.output
    assert "старше 365 дн.: 2" in done.output
    assert [r.detail for r in reads()] == ["364 дн.", "10 дн."]

    done = runner.invoke(args=["audit", "prune", "--days", "30"])
    assert done.exit_code == 0 and "старше 30 дн.: 1" in done.output
    assert [r.detail for r in reads()] == ["10 дн."]
    assert runner.invoke(args=["audit", "prune", "--days", "0"]).exit_code != 0


# -- the schema ---------------------------------------------------------------------------------------------

def test_the_migration_builds_the_model(app):
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert [d for d in differences if "access_log" in repr(d)] == []
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(db.engine).get_indexes("access_log")}
    assert indexes == {"ix_access_log_org_id_at": ["org_id", "at"], "ix_access_log_user_id_at": ["user_id", "at"]}


def test_the_migration_goes_down_and_up(app, tmp_path):
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrations.db'}", "TESTING": True,
                        "SECRET_KEY": "test-secret"})
    with fresh.app_context():
        upgrade()
        assert "access_log" in inspect(db.engine).get_table_names()
        downgrade(revision="0001_initial")
        assert "access_log" not in inspect(db.engine).get_table_names()
        upgrade()
        assert "access_log" in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
