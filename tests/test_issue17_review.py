"""Issue 17 reviewed as acceptance tests would: the students import carries the contingent register's fields
(coded values by their Russian labels, exported as labels: export → import is a no-op), bad input on the import
doors, the permission on the import's kind checked by the service, two «Загрузить» of one job import once."""
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bench.import_students import workbook
from models import CalendarDay, DeadlineRule, MovementOrder, Student, db
from services import clock, imports
from services.control import deadlines as control
from services.control import rules as deadline_rules
from services.demo.school import create_demo
from services.errors import DomainError, PermissionDenied
from services.imports import core, jobs
from services.imports.staff import COLUMNS as STAFF
from services.imports.students import COLUMNS, StudentsImporter
from services.org.calendar import WorkingCalendar
from services.org.orgs import initialize_organization
from services.validation import snils_with_checksum
from tests.factories import actor_of
from tests.helpers import flashes, fresh, open_browser

KEYS = [c.key for c in COLUMNS]
HEADER = [c.header for c in COLUMNS]
PAGE = "/imports/"


def run(actor, data, apply=False, kind="students"):
    return core.run(actor, imports.get(kind), data, apply=apply)


def row(**values):
    base = {"last_name": "Контингентов", "first_name": "Олег", "middle_name": "Петрович", "sex": "м",
            "birth_date": "02.02.2015", "snils": snils_with_checksum("600000001"), "klass": "5А",
            "personal_file_number": "К-1", "order_number": "91-у", "order_date": "02.09.2026",
            "citizenship": "Российская Федерация", "birth_place": "г. Тест", "registration_address": "г. Тест, д. 5",
            "health_group": "2", "disability": "нет", "ovz": "Да", "adapted_program": "АООП, вариант 7.1",
            "study_form": "Очная", "funding": "Бюджет: местный",
            "previous_doc_kind": "Справка об обучении", "previous_doc_number": "15", "previous_doc_date": "30.05.2026"}
    base.update(values)
    return base


def book(*rows):
    return workbook(list(rows), header=HEADER, keys=KEYS)


def csv_of(*rows):
    lines = [";".join(HEADER)] + [";".join(str(r.get(k) or "") for k in KEYS) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def student(snils=None):
    return db.session.scalar(select(Student).where(Student.snils == (snils or row()["snils"])))


def test_the_students_import_carries_the_contingent_fields_by_their_labels(world):
    actor = actor_of("a.admin")
    assert {"Гражданство", "Группа здоровья", "ОВЗ", "Форма обучения", "Форма финансирования",
            "Документ о предыдущем образовании: вид", "Адрес регистрации", "Место рождения"} <= set(HEADER)
    done = run(actor, book(row()), apply=True)
    assert done.applied, [str(e) for e in done.errors]
    card = student()
    assert (card.citizenship, card.health_group, card.disability, card.ovz, card.study_form, card.funding,
            card.previous_doc_kind) == ("rf", "II", "no", "yes", "full_time", "municipal", "study_cert")
    assert (card.birth_place, card.registration_address, card.adapted_program) == \
        ("г. Тест", "г. Тест, д. 5", "АООП, вариант 7.1")
    # the same file twice: nothing changes; the export (labels, not codes) read back: nothing changes
    assert {c.action for c in run(actor, book(row()), apply=True).changes} == {"skip"}
    for fmt in ("xlsx", "csv"):
        data = core.export(actor, imports.get("students"), fmt)[0]
        if fmt == "csv":
            text = data.decode("utf-8-sig")
            assert "Российская Федерация" in text and "Бюджет: местный" in text and ";municipal;" not in text
        again = run(actor, data, apply=True)
        assert again.applied and {c.action for c in again.changes} == {"skip"}, \
            [(c.label, c.detail) for c in again.changes if c.action != "skip"]
    # a change of a coded field is shown by its labels, and written as the code
    changed = run(actor, book(row(funding="Бюджет: региональный")), apply=True)
    assert [c.detail for c in changed.changes if c.what == "Ученик"] == \
        ["форма финансирования: Бюджет: местный → Бюджет: региональный"]
    assert student().funding == "regional"


def test_contingent_cells_are_checked_by_the_cards_rules(world):
    actor = actor_of("a.admin")
    before = db.session.scalar(select(func.count(Student.id)))
    preview = run(actor, book(
        row(citizenship="Марс"),
        row(snils=snils_with_checksum("600000002"), personal_file_number="К-2", last_name="Второй",
            adapted_program=None),
        row(snils=snils_with_checksum("600000003"), personal_file_number="К-3", last_name="Третий",
            passport_series="4509", passport_number="123456", passport_date="01.09.2026"),
        row(snils=snils_with_checksum("600000004"), personal_file_number="К-4", last_name="Четвёртый",
            previous_doc_date="01.01.2027")), apply=True)
    found = {(e.row, e.column): e.message for e in preview.errors}
    assert "«Марс» — нет в справочнике" in found[(2, "Гражданство")]
    assert "Российская Федерация; Иностранное государство; Без гражданства" in found[(2, "Гражданство")]
    assert "адаптированную образовательную программу" in found[(3, "")]
    assert "Паспорт выдаётся с 14 лет" in found[(4, "")]
    assert "не может быть в будущем" in found[(5, "")]
    assert not preview.applied and db.session.scalar(select(func.count(Student.id))) == before


def test_a_formula_in_a_csv_is_exported_escaped_and_read_back_as_it_was(world):
    actor = actor_of("a.admin")
    assert run(actor, csv_of(row(birth_place="=cmd|' /C calc'!A0", address="@SUM(1)")), apply=True).applied
    card = student()
    assert card.birth_place == "=cmd|' /C calc'!A0"
    text = core.export(actor, imports.get("students"), "csv")[0].decode("utf-8-sig")
    assert "'=cmd|" in text and "'@SUM(1)" in text and ";=cmd" not in text
    again = run(actor, text.encode("utf-8"), apply=True)
    assert {c.action for c in again.changes} == {"skip"}, [c.detail for c in again.changes]
    fresh()
    assert student().birth_place == "=cmd|' /C calc'!A0"


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00" + b"\x00" * 200


@pytest.mark.parametrize("data, message", [
    (b"", "Файл не выбран или пустой"),
    (PNG, "не .xlsx и не .csv"),
    (b"\xff\xfe" + ";".join(HEADER).encode("utf-16-le") + b"\x00\xd8", "Файл не читается"),
    ((";".join(HEADER) + "\r\n" + "Иванов;\r\n" * 6000).encode("utf-8"), "можно не больше 5000"),
    ((";".join(HEADER) + ";Класс *\r\n").encode("utf-8"), "встречается в заголовке дважды"),
    (b"PK\x03\x04 not really a zip" + b"\x00" * 100, ""),
])
def test_bad_files_are_refused_in_russian_and_write_nothing(world, data, message):
    before = db.session.scalar(select(func.count(Student.id)))
    with pytest.raises(DomainError) as refused:
        run(actor_of("a.admin"), data, apply=True)
    assert message in refused.value.message and refused.value.message
    assert not any(ch in refused.value.message for ch in ("Traceback", "Error:"))
    assert db.session.scalar(select(func.count(Student.id))) == before


def test_a_unicode_text_file_of_excel_is_read(world):
    text = "\t".join(HEADER) + "\r\n" + "\t".join(str(row().get(k) or "") for k in KEYS) + "\r\n"
    preview = run(actor_of("a.admin"), text.encode("utf-16"), apply=True)
    assert preview.applied and student().birth_place == "г. Тест"


def test_a_header_only_file_is_one_bad_row_not_an_import(world):
    preview = run(actor_of("a.admin"), (";".join(HEADER) + "\r\n").encode("utf-8"), apply=True)
    assert not preview.applied and [str(e) for e in preview.errors] == \
        ["Файл: в файле нет ни одной строки с данными под заголовком"]


def test_the_service_checks_the_kind_whatever_the_door(world):
    """HR imports people, not the curriculum; a teacher nothing: the service refuses, not only the page."""
    with pytest.raises(PermissionDenied):
        run(actor_of("a.hr"), b"x;y\r\n1;2\r\n", kind="curriculum")
    with pytest.raises(PermissionDenied):
        run(actor_of("a.teacher"), book(row()), kind="students")
    with pytest.raises(PermissionDenied):
        run(actor_of("a.deputy"), book(row()), kind="staff")


@pytest.fixture
def jobs_dir(app, tmp_path):
    before = app.config.get("IMPORT_DIR")
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    yield tmp_path / "imports"
    app.config["IMPORT_DIR"] = before


def test_a_job_is_claimed_once_two_applies_import_once(world, app, jobs_dir):
    """Two «Загрузить» of one job at once (a double click, two tabs): only the first may apply; the lock is
    a file created exclusively, so it holds on SQLite (no row locks) and across workers."""
    actor = actor_of("a.admin")
    with app.test_request_context():
        preview = run(actor, book(row()))
        job_id = jobs.create(actor, "students", "f.xlsx", book(row()), preview)
        assert jobs.claim(actor, job_id) is not None
        assert jobs.claim(actor, job_id) is None  # the second click while the first runs
        assert jobs.claim(actor_of("b.admin"), job_id) is None
        jobs.release(job_id)  # the first was refused: the job may be applied again
        assert jobs.claim(actor, job_id) is not None
        jobs.record(actor, job_id, jobs.APPLIED, preview)
        jobs.release(job_id)
        assert jobs.claim(actor, job_id) is None  # applied for good


def test_a_second_apply_while_the_first_runs_is_refused_through_the_page(world, browser, jobs_dir):
    b = open_browser(browser, "a.admin")
    resp = b.post(f"{PAGE}check/", data={"kind": "students", "file": (io.BytesIO(book(row())), "k.xlsx")},
                  content_type="multipart/form-data")
    job_id = resp.headers["Location"].rstrip("/").split("/")[-1]
    (jobs_dir / job_id / jobs.LOCK).write_text("")  # another request holds it
    orders = db.session.scalar(select(func.count(MovementOrder.id)))
    second = b.post(f"{PAGE}job/{job_id}/apply/", follow_redirects=True)
    assert "уже загружается" in flashes(second)
    fresh()
    assert student() is None and db.session.scalar(select(func.count(MovementOrder.id))) == orders
    (jobs_dir / job_id / jobs.LOCK).unlink()
    done = b.post(f"{PAGE}job/{job_id}/apply/", follow_redirects=True)
    assert "Загружено" in flashes(done)
    again = b.post(f"{PAGE}job/{job_id}/apply/", follow_redirects=True)
    assert "уже загружен" in flashes(again)
    fresh()
    assert student() is not None


def test_bad_files_through_the_page_and_the_cli(world, browser, app, jobs_dir, tmp_path):
    b = open_browser(browser, "a.hr")
    for data, name in ((PNG, "photo.xlsx"), (b"", "empty.csv")):
        resp = b.post(f"{PAGE}check/", data={"kind": "students", "file": (io.BytesIO(data), name)},
                      content_type="multipart/form-data")
        assert resp.status_code == 302
        assert "Файл не принят" in flashes(b.get(resp.headers["Location"])) or "/job/" not in resp.headers["Location"]
    path = tmp_path / "photo.xlsx"
    path.write_bytes(PNG)
    out = app.test_cli_runner().invoke(args=["import", "students", str(path), "--org", str(world.a.org.id)])
    assert out.exit_code != 0 and "Traceback" not in out.output and "не .xlsx и не .csv" in out.output


# -- deadlines: a rule turned off lists nothing ------------------------------------------------------------

def _card_items(login="a.class_teacher"):
    result = control.control(actor_of(login), date(2026, 11, 20))
    section = next((s for s in result.sections if s.key == "cards"), None)
    return [] if section is None else [f"{i.title} {i.detail}" for i in section.items]


def _set_rule(org, code, **values):
    deadline_rules.ensure_rows(org.id)
    rule = db.session.scalar(select(DeadlineRule).where(DeadlineRule.org_id == org.id, DeadlineRule.code == code))
    for name, value in values.items():
        setattr(rule, name, value)
    db.session.commit()


def test_turning_off_the_card_and_contingent_rules_removes_their_items(world):
    listed = _card_items()
    assert any("гражданство" in text for text in listed), listed
    _set_rule(world.a.org, "contingent_data", enabled=False)
    listed = _card_items()
    assert not any("гражданство" in text or "группа здоровья" in text for text in listed), listed
    _set_rule(world.a.org, "card_data", enabled=False)
    assert _card_items() == []


@pytest.mark.parametrize("kind", sorted(imports.KINDS))
def test_every_kinds_export_read_back_changes_nothing(world, kind):
    actor = actor_of("a.admin")
    for fmt in ("xlsx", "csv"):
        data, _, _, count = core.export(actor, imports.get(kind), fmt)
        if not count:
            continue
        preview = run(actor, data, apply=True, kind=kind)
        assert preview.applied, [str(e) for e in preview.errors]
        assert {c.action for c in preview.changes} == {"skip"}, \
            [(c.what, c.label, c.detail) for c in preview.changes if c.action != "skip"]


def test_the_demo_schools_exports_read_back_change_nothing():
    accounts = create_demo(kind="school", password="demo-pass-2026", today=date(2026, 11, 20))
    db.session.commit()
    actor = actor_of(next(a.login for a in accounts if a.role == "Администратор системы"))
    for kind in sorted(imports.KINDS):
        data, _, _, count = core.export(actor, imports.get(kind), "csv")
        assert count, kind
        preview = run(actor, data, apply=True, kind=kind)
        assert preview.applied, (kind, [str(e) for e in preview.errors[:10]])
        assert {c.action for c in preview.changes} == {"skip"}, \
            (kind, [(c.what, c.label, c.detail) for c in preview.changes if c.action != "skip"][:10])
        db.session.rollback()


def test_a_new_organizations_calendar_rests_on_the_statutory_holidays_after_the_shipped_decrees(world):
    """The shipped decrees end with 2026; the academic year 2026/2027 runs into 2027: 1–8 January, 23 February,
    8 March… are still days off (ст. 112 ТК РФ), so a deadline across the New Year counts working days."""
    org = world.a.org
    initialize_organization(org)
    db.session.commit()
    calendar = WorkingCalendar(org.id)
    assert calendar.add_working_days(date(2026, 11, 3), 1) == date(2026, 11, 5)  # 4 November (the decree)
    # 31.12.2026 (the decree), 1–8.01.2027 (the Code), the weekend: 11, 12, 13 January
    assert calendar.add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 13)
    assert not calendar.is_working(date(2027, 2, 23)) and not calendar.is_working(date(2027, 3, 8))
    # 1 May and 12 June 2027 are Saturdays, 9 May a Sunday: Mondays 3 May, 10 May and 14 June are off (ч. 2 ст. 112)
    assert [d for d in (date(2027, 5, 3), date(2027, 5, 10), date(2027, 6, 14)) if calendar.is_working(d)] == []
    initialize_organization(org)  # idempotent
    db.session.commit()
    assert db.session.scalar(select(func.count(CalendarDay.id)).where(
        CalendarDay.org_id == org.id, CalendarDay.day == date(2027, 1, 4))) == 1


def test_hr_imports_staff_but_gives_no_functions_and_no_administrator_rights(world):
    head = [c.header for c in STAFF]
    keys = [c.key for c in STAFF]

    def staff_file(functions):
        values = {"last_name": "Кадрова", "first_name": "Анна", "sex": "ж", "birth_date": "12.04.1985",
                  "hire_date": "25.08.2020", "functions": functions}
        return workbook([values], header=head, keys=keys)

    preview = run(actor_of("a.hr"), staff_file("Администратор системы"), apply=True, kind="staff")
    assert not preview.applied and preview.errors and all(e.column == "Функции" for e in preview.errors), \
        [str(e) for e in preview.errors]
    assert run(actor_of("a.hr"), staff_file(None), apply=True, kind="staff").applied


def test_a_student_another_user_wrote_meanwhile_refuses_the_file_in_russian(world, monkeypatch):
    """Two uploads of one file applied at once: the second's plan saw no such student, its flush meets the one
    the first has just written (the unique СНИЛС on PostgreSQL, the card rules): a refusal, not a 500."""
    planned = StudentsImporter.plan

    def plan_then_another_writes(self, actor, rows, preview):
        planned(self, actor, rows, preview)
        klass = world.a.classmate.klass
        db.session.add(Student(org_id=world.a.org.id, class_id=klass.id, last_name="Другой", first_name="Ученик",
                               sex="m", birth_date=date(2015, 1, 1), snils=row()["snils"],
                               personal_file_number="Д-1", enrollment_order_number="1-у",
                               enrollment_order_date=date(2026, 8, 28)))
    monkeypatch.setattr(StudentsImporter, "plan", plan_then_another_writes)
    with pytest.raises(core.ImportRefused) as refused:
        run(actor_of("a.admin"), book(row()), apply=True)
    assert "Файл не загружен" in refused.value.message and refused.value.preview.errors


def test_every_roles_home_page_answers_with_its_week(world, browser):
    """The start page of each role (its «На этой неделе» built from the control page of each of its roles)."""
    _set_rule(world.a.org, "contingent_data", enabled=False)  # the organization's own rows, one turned off
    for login in ("a.admin", "a.hr", "a.deputy", "a.director", "a.teacher", "a.class_teacher", "a.student",
                  "a.parent", "b.admin"):
        b = browser()
        if b.login(login).status_code != 302:
            continue  # no such login in the test world
        resp = b.get("/")
        assert resp.status_code == 200, login
        assert "Traceback" not in resp.get_data(as_text=True)


def test_a_job_a_dead_worker_left_applying_is_removed_after_two_days(world, app, jobs_dir):
    actor = actor_of("a.admin")
    with app.test_request_context():
        preview = run(actor, book(row()))
        job_id = jobs.create(actor, "students", "f.xlsx", book(row()), preview)
        assert jobs.claim(actor, job_id) is not None  # the worker dies here: no release, no record
        with clock.frozen(clock.utcnow() + timedelta(hours=30)):
            jobs.create(actor, "students", "g.xlsx", book(row()), preview)  # prunes
            assert (jobs_dir / job_id).is_dir()  # maybe still applying: kept a day longer
        with clock.frozen(clock.utcnow() + timedelta(hours=60)):
            jobs.create(actor, "students", "h.xlsx", book(row()), preview)
            assert not (jobs_dir / job_id).exists()
