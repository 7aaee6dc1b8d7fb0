"""«Конструктор отчётов» (issue 18.1, seed 001 §10.5): the same saved report run by two roles reads two different,
correct row sets through the permission table's row filters; columns a role may not read are never offered and
refused when posted; unknown columns and operators are refused in Russian; grouping, «в классе на дату» by the
movement book, the .xlsx (text, never formulas), the cap said, other organizations invisible, two statements."""
import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from models import AccessLog, SavedReport, SchoolClass, Staff, User, db
from services import database
from services.context import Actor
from services.errors import DomainError, PermissionDenied
from services.report_builder import catalogue, definition as definitions, run as runs, saved
from tests.factories import (actor_of, jr_assignment, jr_attendance, jr_lessons, jr_mark, jr_period_mark, jr_subject,
                             jr_task, make_parent, mv_backfill, mv_transfer)
from tests.querycount import count_queries

URL = "/report-builder"
PHONES = {"entity": "students", "columns": ["full_name", "class_name", "personal_file_number", "parent_phones"],
          "filters": [], "group_by": [], "aggregates": [], "sort": [{"column": "personal_file_number", "desc": False}]}


def _run(login, raw, **kw):
    actor = actor_of(login)
    return runs.run(actor, definitions.check(actor, raw), **kw)


def browser_of_admin(browser):
    b = browser()
    b.login("a.admin")
    return b


def _files(result, column=2):
    return sorted(row[column] for row in result.rows)


def test_the_same_saved_report_gives_each_role_its_own_rows(world, browser):
    a = world.a
    make_parent(a.org, [a.classmate], "Соседова", "Анна").phone = "+7 900 111-22-33"
    report = saved.create(actor_of("a.admin"), "Ученики с телефонами родителей", True, PHONES)
    db.session.commit()
    everyone = {a.student.personal_file_number, a.classmate.personal_file_number, a.stranger.personal_file_number}
    mine = {a.student.personal_file_number, a.classmate.personal_file_number}
    assert set(_files(_run("a.admin", report.definition))) == everyone
    assert set(_files(_run("a.deputy", report.definition))) == everyone
    assert set(_files(_run("a.class_teacher", report.definition))) == mine
    phones = {row[2]: row[3] for row in _run("a.class_teacher", report.definition).rows}
    assert phones[a.classmate.personal_file_number] == "+7 900 111-22-33"
    # The same through the page, the class teacher's session: a shared report run with his own rights.
    b = browser()
    b.login("a.class_teacher")
    page = b.get(f"{URL}/{report.id}/").get_data(as_text=True)
    assert a.classmate.personal_file_number in page and a.stranger.personal_file_number not in page
    assert "+7 900 111-22-33" in page
    b = browser()
    b.login("a.admin")
    page = b.get(f"{URL}/{report.id}/").get_data(as_text=True)
    assert a.stranger.personal_file_number in page
    # A subject teacher, a parent: no builder at all.
    for login in ("a.teacher", "a.parent", "a.student"):
        b = browser()
        b.login(login)
        assert b.get(f"{URL}/{report.id}/").status_code in (403, 404)


def test_personal_data_columns_are_not_offered_and_refused_when_posted(world, browser):
    teacher = actor_of("a.class_teacher")
    students = catalogue.ENTITIES["students"]
    offered = {c.key for c in catalogue.columns_for(teacher, students)}
    assert "snils" not in offered and "passport" not in offered and "address" not in offered
    assert "parent_phones" in offered
    assert "snils" in {c.key for c in catalogue.columns_for(actor_of("a.admin"), students)}
    assert "staff" not in {e.key for e in catalogue.entities_for(teacher)}
    with pytest.raises(DomainError, match="СНИЛС.*недоступен"):
        definitions.check(teacher, {**PHONES, "columns": ["full_name", "snils"]})
    b = browser()
    b.login("a.class_teacher")
    page = b.get(f"{URL}/new/").get_data(as_text=True)
    assert 'value="snils"' not in page and "СНИЛС" not in page
    resp = b.post(f"{URL}/new/", {"entity": "students", "column": ["full_name", "snils"], "run": "1"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "недоступен" in text and world.a.student.snils not in text
    resp = b.post(f"{URL}/new/", {"entity": "students", "column": ["snils"], "save": "1", "name": "СНИЛС"})
    assert "недоступен" in resp.get_data(as_text=True)
    assert db.session.scalar(select(SavedReport.id).where(SavedReport.name == "СНИЛС")) is None
    resp = b.post(f"{URL}/new/", {"entity": "staff", "column": ["full_name"], "run": "1"})
    assert "недоступна" in resp.get_data(as_text=True)
    # An administrator's shared report with a personal data column: refused to the class teacher, nothing shown.
    report = saved.create(actor_of("a.admin"), "Со СНИЛС", True,
                          {**PHONES, "columns": ["full_name", "personal_file_number", "snils"]})
    db.session.commit()
    page = b.get(f"{URL}/{report.id}/").get_data(as_text=True)
    assert "«СНИЛС» вам недоступен" in page and world.a.student.snils not in page
    assert world.a.student.snils in browser_of_admin(browser).get(f"{URL}/{report.id}/").get_data(as_text=True)


def test_unknown_column_operator_and_bad_values_are_refused_in_russian(world):
    admin = actor_of("a.admin")
    with pytest.raises(DomainError, match="столбца «password_hash» нет"):
        definitions.check(admin, {**PHONES, "columns": ["password_hash"]})
    with pytest.raises(DomainError, match="нет операции «like»"):
        definitions.check(admin, {**PHONES, "filters": [{"column": "last_name", "op": "like", "value": "%"}]})
    with pytest.raises(DomainError, match="Сущности «user_account» нет"):
        definitions.check(admin, {"entity": "user_account", "columns": ["login"]})
    with pytest.raises(DomainError, match="не число"):
        definitions.check(admin, {**PHONES, "filters": [{"column": "grade", "op": "eq", "value": "5; DROP"}]})
    with pytest.raises(DomainError, match="не дата|дата"):
        definitions.check(admin, {**PHONES, "filters": [{"column": "birth_date", "op": "eq", "value": "31.02.2015"}]})
    with pytest.raises(DomainError, match="Итог «avg» не считается|не считается"):
        definitions.check(admin, {**PHONES, "group_by": ["class_name"], "aggregates": ["avg:last_name"]})
    with pytest.raises(DomainError, match="не больше чем по двум"):
        definitions.check(admin, {**PHONES, "group_by": ["class_name", "sex", "status"]})
    # A «contains» value is a value, never a pattern or SQL.
    result = _run("a.admin", {**PHONES, "filters": [{"column": "last_name", "op": "contains", "value": "%"}]})
    assert result.total == 0


def test_grouping_counts_and_averages_as_counted_by_hand(world):
    a = world.a
    subject = jr_subject(a.org, "Математика")
    lessons = jr_lessons(jr_assignment(a.org, a.year, a.klass, a.teacher, subject), a.period,
                         [date(2026, 11, 9), date(2026, 11, 10)])
    task1, task2 = jr_task(lessons[0]), jr_task(lessons[1])
    jr_mark(task1, a.student, "5")
    jr_mark(task2, a.student, "4")
    jr_mark(task1, a.classmate, "3")
    raw = {"entity": "marks", "columns": [], "group_by": ["student"],
           "aggregates": ["count", "avg:number", "min:number", "max:number"],
           "sort": [{"column": "student", "desc": False}]}
    rows = {row[0]: row[1:] for row in _run("a.admin", raw).rows}
    assert rows[a.student.full_name] == (2, 4.5, 4, 5)
    assert rows[a.classmate.full_name] == (1, 3, 3, 3)
    # Two columns, sorted by a total; the class teacher reads his class's journal the same.
    raw = {"entity": "marks", "group_by": ["subject", "lesson_date"], "aggregates": ["count"],
           "sort": [{"column": "lesson_date", "desc": True}]}
    assert _run("a.class_teacher", raw).rows == [("Математика", date(2026, 11, 10), 1),
                                                  ("Математика", date(2026, 11, 9), 2)]
    # Students by class: count by hand.
    raw = {"entity": "students", "group_by": ["class_name"], "aggregates": ["count"]}
    assert _run("a.admin", raw).rows == [("5А", 2), ("6Б", 1)]


def test_in_class_on_a_date_follows_the_movement_book(world):
    a = world.a
    mv_backfill(a.org)
    mv_transfer(a.classmate, a.other_class, date(2026, 10, 1))

    def members(class_id, day, login="a.admin"):
        raw = {**PHONES, "filters": [{"column": "class_on", "op": "in_class_on", "value": str(class_id),
                                      "value2": day}]}
        return set(_files(_run(login, raw)))

    assert members(a.klass.id, "15.09.2026") == {a.student.personal_file_number, a.classmate.personal_file_number}
    assert members(a.klass.id, "20.11.2026") == {a.student.personal_file_number}
    assert members(a.other_class.id, "20.11.2026") == {a.classmate.personal_file_number,
                                                        a.stranger.personal_file_number}
    # The class teacher cannot pick a class that is not his.
    with pytest.raises(DomainError, match="класс не найден"):
        members(a.other_class.id, "20.11.2026", login="a.class_teacher")
    with pytest.raises(DomainError, match="класс не найден"):
        members(world.b.klass.id, "20.11.2026")


def test_xlsx_writes_formulas_as_text_and_is_logged(world, browser):
    a = world.a
    a.stranger.foreign_language = "=HYPERLINK(\"http://x\",\"y\")"
    db.session.commit()
    b = browser()
    b.login("a.admin")
    resp = b.post(f"{URL}/new/", {"entity": "students", "column": ["full_name", "foreign_language"],
                                  "xlsx": "1"})
    assert resp.status_code == 200 and resp.mimetype.endswith("sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == a.stranger.foreign_language]
    assert cells and all(c.data_type == "s" for c in cells)
    assert db.session.scalar(select(AccessLog).where(AccessLog.object_kind == "report_builder").order_by(
        AccessLog.id.desc())).row_count == 3


def test_rows_are_capped_and_the_cut_is_said(world, browser, monkeypatch):
    result = _run("a.admin", PHONES, cap=2)
    assert result.total == 3 and len(result.rows) == 2
    assert result.cut == "Показаны первые 2 из 3 строк: уточните условия отбора."
    monkeypatch.setattr(runs, "SCREEN_CAP", 2)
    b = browser()
    b.login("a.admin")
    page = b.post(f"{URL}/new/", {"entity": "students", "column": ["full_name"], "run": "1"})
    assert "Показаны первые 2 из 3 строк" in page.get_data(as_text=True)


def test_other_organizations_reports_and_rows_are_never_reached(world, browser):
    theirs = saved.create(actor_of("b.admin"), "Отчёт школы Б", True, PHONES)
    mine = saved.create(actor_of("a.admin"), "Мой личный", False, PHONES)
    db.session.commit()
    deputy = actor_of("a.deputy")
    assert [r.name for r in saved.visible(deputy)] == []  # the admin's private one and B's shared one: neither
    assert [r.name for r in saved.visible(actor_of("a.admin"))] == ["Мой личный"]
    with pytest.raises(DomainError):
        saved.get(actor_of("a.admin"), theirs.id)
    with pytest.raises(DomainError, match="не найден"):
        saved.update(actor_of("a.admin"), theirs.id, 1, "x", True, PHONES)
    with pytest.raises(DomainError, match="не найден"):
        saved.delete(deputy, mine.id)  # another's private report: as if it did not exist
    b_files = {world.b.student.personal_file_number, world.b.stranger.personal_file_number}
    a_files = _files(_run("a.admin", PHONES))
    assert len(a_files) == 3 and not b_files & set(a_files) - {world.a.student.personal_file_number,
                                                                world.a.classmate.personal_file_number,
                                                                world.a.stranger.personal_file_number}
    # What B's administrator runs is his own organization's rows, the same definition.
    assert set(_files(_run("b.admin", PHONES))) == {world.b.student.personal_file_number,
                                                    world.b.classmate.personal_file_number,
                                                    world.b.stranger.personal_file_number}
    b = browser()
    b.login("a.admin")
    assert b.get(f"{URL}/{theirs.id}/").status_code == 404
    assert b.get(f"{URL}/{theirs.id}/edit/").status_code == 404
    assert b.post(f"{URL}/{theirs.id}/delete/").status_code == 404
    assert "Отчёт школы Б" not in b.get(f"{URL}/").get_data(as_text=True)
    assert db.session.scalar(select(SavedReport.id).where(SavedReport.id == theirs.id)) is not None


def test_only_the_author_edits_or_deletes(world, browser):
    report = saved.create(actor_of("a.admin"), "Общий", True, PHONES)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        saved.delete(actor_of("a.deputy"), report.id)
    b = browser()
    b.login("a.deputy")
    assert "Общий" in b.get(f"{URL}/").get_data(as_text=True)
    assert b.post(f"{URL}/{report.id}/delete/").status_code == 404
    b = browser()
    b.login("a.admin")
    report_id = report.id
    assert b.post(f"{URL}/{report_id}/delete/").status_code == 302
    assert db.session.scalar(select(SavedReport.id).where(SavedReport.id == report_id)) is None


def test_one_select_and_one_count_whatever_the_columns(world):
    a = world.a
    for n in range(4):
        make_parent(a.org, [a.student, a.classmate], f"Родителев{'абвг'[n]}", "Иван").phone = f"+7 900 000-00-0{n}"
    admin = actor_of("a.admin")
    every = [c.key for c in catalogue.columns_for(admin, catalogue.ENTITIES["students"]) if c.shown]
    for columns in (["full_name"], every):
        checked = definitions.check(admin, {"entity": "students", "columns": columns})
        with count_queries() as statements:
            result = runs.run(admin, checked)
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 2, selects
        assert len(result.rows) == 3
    checked = definitions.check(admin, {"entity": "students", "columns": every, "group_by": ["class_name"],
                                        "aggregates": ["count", "min:birth_date"]})
    with count_queries() as statements:
        runs.run(admin, checked)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2


def test_choosing_another_entity_starts_the_form_afresh(world, browser):
    b = browser_of_admin(browser)
    page = b.post(f"{URL}/new/", {"entity": "classes", "shown_entity": "students", "column": ["full_name"]})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="class_teacher" checked' in text and "full_name" not in text


def test_saved_definition_round_trips_and_a_stale_edit_is_refused(world, browser):
    b = browser()
    b.login("a.admin")
    resp = b.post(f"{URL}/new/", {"entity": "students", "column": ["full_name", "class_name"],
                                  "filter-0-column": "class_name", "filter-0-op": "eq", "filter-0-value": "5а",
                                  "sort1": "full_name", "save": "1", "name": "Пятый А", "shared": "1"})
    assert resp.status_code == 302
    report = db.session.scalar(select(SavedReport).where(SavedReport.name == "Пятый А"))
    assert report.shared and report.definition["filters"][0]["value"] == "5а"
    page = b.get(f"{URL}/{report.id}/").get_data(as_text=True)
    assert world.a.student.full_name in page and world.a.stranger.full_name not in page
    resp = b.post(f"{URL}/{report.id}/edit/", {"entity": "students", "column": ["full_name"], "name": "Пятый А",
                                               "version": "0", "save": "1"})
    assert "изменена другим" in resp.get_data(as_text=True).lower() or resp.status_code == 409


@pytest.mark.skipif("postgresql" in __import__("os").environ.get("DATABASE_URL", ""),
                    reason="SQLite's progress handler; PostgreSQL's statement_timeout is its own")
def test_a_report_past_its_timeout_is_stopped_with_a_russian_message(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_BUILDER_TIMEOUT", -1)
    monkeypatch.setattr(database, "PROGRESS_STEPS", 1)
    with pytest.raises(DomainError, match="дольше"):
        _run("a.admin", {"entity": "students", "columns": ["full_name", "parent_phones", "class_name"]})


def test_the_demo_school_has_shared_builder_reports_each_role_reads_its_own(app):
    result = app.test_cli_runner().invoke(args=["demo-data", "--password", "demo-pass-2026"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    reports = {r.name: r for r in db.session.scalars(select(SavedReport))}
    phones = next(r for name, r in reports.items() if "телефонами родителей" in name)
    assert phones.shared and "Средний балл по предметам" in reports
    admin = Actor.for_user(db.session.get(User, phones.owner_id))
    rows = runs.run(admin, definitions.check(admin, phones.definition)).rows
    assert len({row[1] for row in rows}) >= 1 and all(row[4] for row in rows)  # every student's parents' phones
    klass = db.session.scalar(select(SchoolClass).where(SchoolClass.name == rows[0][1]))
    teacher = Actor.for_user(db.session.get(Staff, klass.class_teacher_id).user)
    if teacher.user is not None:
        mine = runs.run(teacher, definitions.check(teacher, phones.definition)).rows
        assert mine and {row[1] for row in mine} == {klass.name} and len(mine) < len(rows) + 1
    marks = reports["Средний балл по предметам"]
    deputy = Actor.for_user(db.session.get(User, marks.owner_id))
    averages = runs.run(deputy, definitions.check(deputy, marks.definition)).rows
    assert averages and all(row[1] > 0 and 1 <= row[2] <= 5 for row in averages)


def test_every_entity_runs_with_every_column_filter_and_total_it_offers(world):
    a = world.a
    subject = jr_subject(a.org, "Русский язык")
    lesson, = jr_lessons(jr_assignment(a.org, a.year, a.klass, a.teacher, subject), a.period, [date(2026, 11, 12)])
    jr_mark(jr_task(lesson), a.student, "4")
    jr_attendance(lesson, a.classmate)
    jr_period_mark(a.student, subject, a.period, "4")
    mv_backfill(a.org)
    mv_transfer(a.stranger, a.klass, date(2026, 10, 5))
    admin = actor_of("a.admin")
    for entity in catalogue.entities_for(admin):
        columns = [c for c in catalogue.columns_for(admin, entity) if c.shown]
        result = runs.run(admin, definitions.check(admin, {"entity": entity.key, "columns": [c.key for c in columns]}))
        assert result.total >= 1, entity.key
        assert len(result.headers) == len(columns)
        for column in columns:
            op = "contains" if column.many or column.kind == "text" else \
                {"number": "between", "date": "between", "choice": "filled", "bool": "no"}[column.kind]
            value = {"between": "1" if column.kind == "number" else "01.01.2000"}.get(op, "а")
            raw = {"entity": entity.key, "columns": [column.key], "group_by": [column.key],
                   "aggregates": [key for key, _ in definitions.aggregate_options(admin, entity)],
                   "filters": [{"column": column.key, "op": op, "value": value}]}
            runs.run(admin, definitions.check(admin, raw))


def test_related_rows_in_a_cell_are_only_those_the_role_reads(world):
    a = world.a
    make_parent(a.org, [a.classmate, a.stranger], "Двоедетова", "Анна")
    raw = {"entity": "parents", "columns": ["full_name", "children"],
           "filters": [{"column": "last_name", "op": "eq", "value": "ДВОЕДЕТОВА"}]}
    children = _run("a.admin", raw).rows[0][1]
    assert a.classmate.full_name in children and a.stranger.full_name in children
    assert _run("a.class_teacher", raw).rows == [("Двоедетова Анна Ивановна", a.classmate.full_name)]
