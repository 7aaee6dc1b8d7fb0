"""«Ученики и родители» (issue 17.1–17.2): all or nothing, every bad row listed, students matched by СНИЛС or
name + birth date, siblings sharing a parent, a family on several rows, new students enrolled by an applied
order of the movement book, a second import changing nothing; the files refused; the CLI; the template and
the export in one layout; the page and who may use it."""
import io
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from bench.import_students import student_rows, workbook
from models import (AccessLog, AuditLog, ClassMembership, MovementItem, MovementOrder, Organization, Parent,
                    Student, db, scope)
from services import imports
from services.context import Actor
from services.errors import DomainError
from services.imports import core
from services.imports.students import COLUMNS
from services.validation import snils_with_checksum
from tests.factories import actor_of, make_class, make_org
from tests.helpers import flashes, fresh, open_browser
from tests.querycount import count_queries

CLASSES = [("5А", 5), ("6Б", 6)]
BIG_ROWS = student_rows(CLASSES, 2000, 3500, file_prefix="И-")
BAD_AT = 1500  # the index in BIG_ROWS of the one bad row
BIG_ROWS[BAD_AT] = {**BIG_ROWS[BAD_AT], "birth_date": "31.02.2015"}
BIG = workbook(BIG_ROWS)  # built once for the module
SMALL_ROWS = student_rows(CLASSES, 30, 50, snils_base=400_000_000, file_prefix="М-")
SMALL = workbook(SMALL_ROWS)
KEYS = [c.key for c in COLUMNS]


def run(actor, data, apply=False):
    return core.run(actor, imports.get("students"), data, apply=apply)


def admin(world):
    return actor_of("a.admin")


def counts():
    return (db.session.scalar(select(func.count(Student.id))), db.session.scalar(select(func.count(Parent.id))),
            db.session.scalar(select(func.count(MovementOrder.id))))


def row(**values):
    base = {"last_name": "Новенький", "first_name": "Олег", "middle_name": "Петрович", "sex": "м",
            "birth_date": "02.02.2015", "snils": snils_with_checksum("500000001"), "klass": "5А",
            "personal_file_number": "Н-1", "order_number": "77-у", "order_date": "02.09.2026"}
    base.update(values)
    return base


def test_2000_students_with_one_bad_row_import_nothing_and_name_it(world):
    """The cheap 2 000-row test: the plan of the whole file, the one bad row listed; nothing written."""
    before = counts()
    preview = run(admin(world), BIG, apply=True)
    assert not preview.applied and preview.rows == len(BIG_ROWS)
    bad = [BIG_ROWS.index(BIG_ROWS[BAD_AT]) + 2]  # the header is row 1
    assert sorted({e.row for e in preview.errors}) == bad
    assert [(e.column, e.message) for e in preview.errors] == [
        ("Дата рождения", "«31.02.2015» — не дата; нужна дата в виде дд.мм.гггг")]
    assert counts() == before


def test_a_clean_file_imports_and_a_second_import_changes_nothing(world):
    actor = admin(world)
    before = counts()
    preview = run(actor, SMALL)
    assert preview.ok and preview.count("create", "Ученик") == 30
    parents = {(r.get("p1_last_name"), r.get("p1_phone")) for r in SMALL_ROWS} | \
        {(r.get("p2_last_name"), r.get("p2_phone")) for r in SMALL_ROWS if r.get("p2_last_name")}
    assert preview.count("create", "Родитель") == len(parents) == 50
    assert counts() == before  # a preview writes nothing
    done = run(actor, SMALL, apply=True)
    assert done.applied and "Ученик: создано 30" in done.summary()
    db.session.flush()
    students, parents_now, orders = counts()
    assert (students - before[0], parents_now - before[1], orders - before[2]) == (30, 50, 1)
    audit = db.session.scalar(select(func.count(AuditLog.id)))
    with count_queries() as statements:
        again = run(actor, SMALL, apply=True)
        db.session.flush()
    assert again.applied and {c.action for c in again.changes} == {"skip"}
    assert again.count("skip", "Ученик") == 30 and again.count("skip", "Родитель") == 50
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert db.session.scalar(select(func.count(AuditLog.id))) == audit
    assert len(statements) < 40  # set-based: the organization read once, not per row


def test_new_students_are_one_applied_enrollment_order_of_the_book(world):
    run(admin(world), SMALL, apply=True)
    order = db.session.scalar(select(MovementOrder).where(MovementOrder.number == "12-у",
                                                          MovementOrder.org_id == world.a.org.id))
    assert order.kind == "enrollment" and order.status == "applied" and order.order_date == date(2026, 8, 28)
    assert len(order.items) == 30 and all(i.student is not None for i in order.items)
    student = db.session.scalar(select(Student).where(Student.snils == SMALL_ROWS[0]["snils"]))
    stay = db.session.scalar(select(ClassMembership).where(ClassMembership.student_id == student.id))
    assert stay.start_order_id == order.id and stay.klass.name == "5А" and stay.start_date == date(2026, 9, 1)
    assert student.enrollment_order_number == "12-у" and student.status == "studying"
    # A second file with the same order's number and date: its students join that applied order.
    more = workbook([row(order_number="12-у", order_date="28.08.2026")])
    assert run(admin(world), more, apply=True).applied
    db.session.refresh(order)
    assert len(order.items) == 31


def test_an_order_number_the_book_has_for_something_else_is_a_bad_row(world):
    run(admin(world), workbook([row()]), apply=True)
    preview = run(admin(world), workbook([row(snils=snils_with_checksum("500000002"), personal_file_number="Н-2",
                                              last_name="Другой", order_date="03.09.2026")]))
    assert [e.column for e in preview.errors] == ["Приказ о зачислении №"]
    assert "№ 77-у за 2026 год уже есть" in preview.errors[0].message


def test_siblings_share_one_parent_and_a_family_may_take_several_rows(world):
    run(admin(world), SMALL, apply=True)
    first, sibling = SMALL_ROWS[0], next(r for r in SMALL_ROWS[1:] if r["p1_phone"] == SMALL_ROWS[0]["p1_phone"])
    mother = db.session.scalar(select(Parent).where(Parent.phone == first["p1_phone"]))
    assert sorted(c.snils for c in mother.children) == sorted([first["snils"], sibling["snils"]])
    # family 0 (every seventh) has the father on a row of its own: the student repeated with another parent
    rows_of_first = [r for r in SMALL_ROWS if r["snils"] == first["snils"]]
    assert len(rows_of_first) == 2 and rows_of_first[1]["p1_relation"] == "отец"
    student = db.session.scalar(select(Student).where(Student.snils == first["snils"]))
    assert sorted(p.relation for p in student.parents) == ["father", "mother"]


def test_existing_students_are_matched_by_snils_or_by_name_and_birth_date(world):
    a = world.a
    new_snils = snils_with_checksum("500000077")
    rows = [row(last_name=a.student.last_name, first_name=a.student.first_name, middle_name=a.student.middle_name,
                birth_date="01.03.2015", snils=a.student.snils, personal_file_number=a.student.personal_file_number,
                address="г. Тест, ул. Новая, д. 5", order_number=None, order_date=None,
                p1_last_name="Ученикова", p1_first_name="Мария", p1_middle_name="Ивановна"),
            row(last_name=a.classmate.last_name, first_name=a.classmate.first_name,
                middle_name=a.classmate.middle_name, birth_date="01.03.2015", snils=new_snils,
                personal_file_number=a.classmate.personal_file_number, order_number="12-у",
                order_date="28.08.2026")]
    before = counts()
    preview = run(admin(world), workbook(rows))
    assert not preview.errors, [str(e) for e in preview.errors]
    changes = {c.label.split(",")[0]: c for c in preview.changes if c.what == "Ученик"}
    assert changes["Учеников Пётр Иванович"].action == "update"
    assert changes["Учеников Пётр Иванович"].detail == "адрес: — → г. Тест, ул. Новая, д. 5"
    assert changes["Соседов Семён Иванович"].detail == f"СНИЛС: {a.classmate.snils} → {new_snils}"
    # the mother without phone or e-mail is the one already linked to this child, not a new card
    assert preview.count("skip", "Родитель") == 1 and preview.count("create", "Родитель") == 0
    assert run(admin(world), workbook(rows), apply=True).applied
    db.session.flush()
    assert counts() == before
    db.session.refresh(a.classmate)
    assert a.classmate.snils == new_snils
    assert db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.entity == "student", AuditLog.entity_id == a.classmate.id, AuditLog.action == "update")) == 1


def test_bad_rows_each_named_with_column_and_reason(world):
    b_only = make_class(world.b.org, world.b.year, "9Я", 9)
    rows = [row(snils=snils_with_checksum("500000010"), personal_file_number="Н-10", sex="x"),
            row(snils="123-456-789 00", personal_file_number="Н-11", last_name="Plain"),
            row(snils=snils_with_checksum("500000012"), personal_file_number="Н-12", klass=b_only.name,
                last_name="Третий"),
            row(snils=snils_with_checksum("500000013"), personal_file_number="Н-13", last_name="Первый"),
            row(snils=snils_with_checksum("500000013"), personal_file_number="Н-14", last_name="Второй"),
            row(snils=snils_with_checksum("500000015"), personal_file_number="Н-15", order_number=None,
                last_name="Шестой"),
            row(snils=snils_with_checksum("500000016"), personal_file_number="Н-16", last_name="Седьмой",
                p1_last_name="Мама",
                p1_first_name="Анна", p1_email="не почта", p1_relation="бабушка"),
            row(snils=snils_with_checksum("500000017"), personal_file_number=world.a.student.personal_file_number,
                last_name="Девятый"),
            row(snils=snils_with_checksum("500000018"), personal_file_number="Н-18", birth_date="01.01.1990",
                last_name="Десятый")]
    preview = run(admin(world), workbook(rows), apply=True)
    assert not preview.applied
    found = {(e.row, e.column): e.message for e in preview.errors}
    assert found[(2, "Пол")] == "«x» — нет такого значения; допустимо: ж, жен, женский, м, муж, мужской"
    assert "контрольной суммы" in found[(3, "СНИЛС")]
    assert found[(4, "Класс (группа)")] == "класс «9Я» не найден в учебном году 2026/2027"
    assert "уже указан в строке 5" in found[(6, "СНИЛС")]
    assert "укажите номер и дату приказа" in found[(7, "Приказ о зачислении №")]
    assert "«бабушка» — нет такого значения" in found[(8, "Родитель 1: кем приходится")]
    assert "уже занят: Учеников Пётр Иванович" in found[(9, "")]
    assert "невозможна для обучающегося" in found[(10, "")]
    assert counts()[0] == db.session.scalar(select(func.count(Student.id)))
    assert not db.session.scalar(select(func.count(Student.id)).where(Student.personal_file_number.like("Н-%")))


def test_files_that_are_not_tables_are_refused_in_russian(world):
    actor = admin(world)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w") as target:
            for _ in range(30):
                target.write(b"\0" * (1024 * 1024))
    huge = io.BytesIO()
    book = Workbook()
    book.active.append([c.header for c in COLUMNS])
    book.active.cell(row=6000, column=1, value="Иванов")
    book.save(huge)
    cases = {bomb.getvalue(): "распаковывается в 30 МБ", huge.getvalue(): "можно не больше",
             b"\x00\x01\x02garbage\x00" * 100: "не .xlsx и не .csv", b"": "Файл не выбран или пустой",
             b"just some text;and more\n1;2\n": "не найдена строка заголовка"}
    for data, message in cases.items():
        with pytest.raises(DomainError) as refused:
            run(actor, data)
        assert message in refused.value.message
    missing = workbook([row()], header=["Фамилия *", "Имя *"], keys=["last_name", "first_name"])
    with pytest.raises(DomainError, match="нет обязательных столбцов: «Пол»"):
        run(actor, missing)


def test_a_csv_in_windows_1251_is_read(world):
    header = ";".join(c.header for c in COLUMNS)
    line = ";".join(str(row().get(k) or "") for k in KEYS)
    preview = run(admin(world), (header + "\r\n" + line + "\r\n").encode("cp1251"), apply=True)
    assert preview.applied and preview.count("create", "Ученик") == 1
    assert db.session.scalar(select(Student).where(Student.personal_file_number == "Н-1")).last_name == "Новенький"


def test_another_organizations_class_is_not_matched(world):
    make_class(world.b.org, world.b.year, "7В", 7)
    preview = run(admin(world), workbook([row(klass="7В")]))
    assert [str(e) for e in preview.errors] == ["Строка 2, «Класс (группа)»: класс «7В» не найден в учебном году "
                                                "2026/2027"]


def test_template_and_export_have_one_layout_and_round_trip(world):
    actor = admin(world)
    template = load_workbook(io.BytesIO(core.template(imports.get("students"))))
    head = [c.value for c in template.worksheets[0][1]]
    assert head == [c.header for c in COLUMNS]
    example = [c.value for c in template.worksheets[0][2]]
    assert example[0] == "Иванов"
    run(actor, SMALL, apply=True)
    data, mime, ext, count = core.export(actor, imports.get("students"), "xlsx")
    exported = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in exported[1]] == head
    assert count >= 30 + 3
    again = run(actor, data, apply=True)
    assert again.applied and {c.action for c in again.changes} == {"skip"}, \
        [(c.label, c.detail) for c in again.changes if c.action != "skip"]
    csv_data, _, ext, _ = core.export(actor, imports.get("students"), "csv")
    assert ext == "csv" and csv_data.startswith("\ufeff".encode())
    assert {c.action for c in run(actor, csv_data).changes} == {"skip"}


def test_the_cli_previews_without_apply_and_applies_with_it(world, app, tmp_path):
    path = tmp_path / "ucheniki.xlsx"
    path.write_bytes(SMALL)
    runner = app.test_cli_runner()
    before = counts()
    checked = runner.invoke(args=["import", "students", str(path), "--org", str(world.a.org.id)])
    assert checked.exit_code == 0, checked.output
    assert "Ученик: будет создано 30" in checked.output and "ничего не записано" in checked.output
    db.session.expire_all()
    assert counts() == before
    done = runner.invoke(args=["import", "students", str(path), "--org", str(world.a.org.id), "--apply"])
    assert done.exit_code == 0, done.output
    assert "Ученик: создано 30" in done.output
    db.session.expire_all()
    assert counts()[0] == before[0] + 30
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([row(sex="?")]))
    refused = runner.invoke(args=["import", "students", str(bad), "--org", str(world.a.org.id), "--apply"])
    assert refused.exit_code == 1 and "Строка 2, «Пол»" in refused.output and "Ни одна строка не загружена" \
        in refused.output
    unknown = runner.invoke(args=["import", "nothing", str(bad), "--org", str(world.a.org.id)])
    assert unknown.exit_code != 0 and "Нет такого вида импорта" in unknown.output


def test_the_system_actor_of_another_organization_does_not_see_these_students(world):
    run(admin(world), SMALL, apply=True)
    b = Actor.system_actor(db.session.get(Organization, world.b.org.id))
    data, _, _, count = core.export(b, imports.get("students"), "csv")
    assert SMALL_ROWS[0]["snils"] not in data.decode("utf-8-sig")
    assert db.session.scalar(select(func.count(MovementItem.id))) >= 30


# -- the page ---------------------------------------------------------------------------------------------------

PAGE = "/imports/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def jobs_dir(app, tmp_path):
    before = app.config.get("IMPORT_DIR")
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    yield tmp_path / "imports"
    app.config["IMPORT_DIR"] = before


def upload(b, data, name="ucheniki.xlsx", kind="students"):
    return b.post(f"{PAGE}check/", data={"kind": kind, "file": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")


def job_of(resp):
    location = resp.headers["Location"]
    assert "/imports/job/" in location, location
    return location.rstrip("/").split("/")[-1]


def test_the_page_is_the_administrators_and_hrs_not_a_teachers(world, browser, jobs_dir):
    for login, code in (("a.teacher", 403), ("a.class_teacher", 403), ("a.parent", 403), ("a.deputy", 403),
                        ("a.admin", 200), ("a.hr", 200)):
        b = open_browser(browser, login)
        resp = b.get(PAGE)
        assert resp.status_code == code, login
        if code == 200:
            page = resp.get_data(as_text=True)
            assert "Ученики и родители" in page and "Скачать шаблон" in page and "Выгрузить данные" in page
        assert upload(b, SMALL).status_code in ((302,) if code == 200 else (403,)), login
    teacher = open_browser(browser, "a.teacher")
    assert teacher.get(f"{PAGE}template/?kind=students").status_code == 403
    assert teacher.get(f"{PAGE}export/?kind=students").status_code == 403


def test_upload_preview_and_apply_through_the_page(world, browser, jobs_dir):
    b = open_browser(browser, "a.admin")
    before = counts()
    resp = upload(b, SMALL)
    job_id = job_of(resp)
    page = b.get(f"{PAGE}job/{job_id}/").get_data(as_text=True)
    assert f"Строк с данными: {len(SMALL_ROWS)}." in page and "Ошибок нет" in page and 'id="import-apply"' in page
    assert "будет создано" in page and SMALL_ROWS[0]["last_name"] in page
    fresh()
    assert counts() == before
    assert b.get(f"{PAGE}job/{job_id}/status/").get_json()["state"] == "checked"
    done = b.post(f"{PAGE}job/{job_id}/apply/", follow_redirects=True)
    assert "Загружено — Ученик: создано 30" in flashes(done)
    fresh()
    assert counts()[0] == before[0] + 30
    status = b.get(f"{PAGE}job/{job_id}/status/").get_json()
    assert status == {"state": "applied", "done": status["total"], "total": status["total"]} and status["total"] > 0
    again = b.post(f"{PAGE}job/{job_id}/apply/", follow_redirects=True)
    assert "уже загружен" in flashes(again)
    # the job is its uploader's: another organization's administrator gets nothing, not even its status
    other = open_browser(browser, "b.admin")
    for url in (f"{PAGE}job/{job_id}/", f"{PAGE}job/{job_id}/status/"):
        assert other.get(url).status_code == 404
    assert other.post(f"{PAGE}job/{job_id}/apply/").status_code == 404
    assert open_browser(browser, "a.hr").get(f"{PAGE}job/{job_id}/").status_code == 404
    assert b.get(f"{PAGE}job/..%2F..%2Fetc/").status_code == 404


def test_a_file_with_a_bad_row_lists_it_and_applies_nothing(world, browser, jobs_dir):
    b = open_browser(browser, "a.hr")
    bad = workbook([*SMALL_ROWS[:5], row(sex="?"), *SMALL_ROWS[5:]])
    job_id = job_of(upload(b, bad))
    page = b.get(f"{PAGE}job/{job_id}/").get_data(as_text=True)
    assert "Строк с ошибками: 1" in page and "«?» — нет такого значения" in page
    assert 'id="import-apply"' not in page
    before = counts()
    resp = b.post(f"{PAGE}job/{job_id}/apply/", follow_redirects=True)
    assert "ни одна строка не импортирована" in flashes(resp)
    fresh()
    assert counts() == before
    refused = upload(b, b"\x00garbage\x00" * 10, name="x.xlsx")
    assert refused.status_code == 302 and "/imports/" in refused.headers["Location"]
    assert "Файл не принят" in flashes(b.get(refused.headers["Location"]))


def test_template_and_export_downloads_and_the_export_is_logged(world, browser, jobs_dir):
    run(admin(world), SMALL, apply=True)
    db.session.commit()
    b = open_browser(browser, "a.hr")
    template = b.get(f"{PAGE}template/?kind=students")
    assert template.status_code == 200 and template.mimetype == XLSX
    resp = b.get(f"{PAGE}export/?kind=students&format=csv")
    assert resp.status_code == 200 and SMALL_ROWS[0]["snils"] in resp.get_data(as_text=True)
    fresh()
    logged = db.session.scalars(select(AccessLog).where(AccessLog.action == "export",
                                                        AccessLog.object_kind == "student")).all()
    assert logged and logged[-1].row_count >= 30 and logged[-1].user_id == world.a.hr.user_id
    other = open_browser(browser, "b.admin").get(f"{PAGE}export/?kind=students&format=xlsx")
    exported = load_workbook(io.BytesIO(other.get_data())).worksheets[0]
    assert SMALL_ROWS[0]["snils"] not in [c.value for r in exported.iter_rows() for c in r]
    assert b.get(f"{PAGE}export/?kind=nothing").status_code == 404


def test_a_college_reads_its_groups_by_the_column_group(world):
    org, year, _ = make_org("c", kind="college")
    make_class(org, year, "ТМ-21", 1)
    actor = Actor.system_actor(org)
    header = [("Группа *" if c.key == "klass" else c.header) for c in COLUMNS]
    student = row(klass="ТМ-21", birth_date="02.02.2009", passport_series="4509", passport_number="123456",
                  passport_date="10.03.2023")
    with scope.organization(org.id):
        preview = run(actor, workbook([student, row(klass="ТМ-99", last_name="Другой",
                                                    snils=snils_with_checksum("500000099"),
                                                    personal_file_number="Н-99")], header=header, keys=KEYS))
    assert [str(e) for e in preview.errors] == ["Строка 3, «Класс (группа)»: группа «ТМ-99» не найдена в учебном "
                                                "году 2026/2027"]
    with scope.organization(org.id):
        done = run(actor, workbook([student], header=header, keys=KEYS), apply=True)
    assert done.applied and done.count("create", "Ученик") == 1


def test_applying_reports_its_progress(world):
    calls = []
    done = core.run(admin(world), imports.get("students"), SMALL, apply=True,
                    progress=lambda n, total: calls.append((n, total)))
    assert done.applied and len(calls) >= 3
    assert [n for n, _ in calls] == sorted(n for n, _ in calls) and calls[-1][0] == calls[-1][1] == 30 + 50
