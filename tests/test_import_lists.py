"""Imports and exports of the lists (issue 17.1–17.2): staff, classes, subjects, the curriculum — all or nothing,
every bad row with its column and message, a re-import and an export → import change nothing."""
import csv
import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
from sqlalchemy import func, select

from models import (Curriculum, CurriculumLine, Department, EducationalArea, Organization, Position, Role, SchoolClass,
                    Specialty, Staff, StaffRole, Subject, db, scope)
from services.context import Actor
from services.errors import PermissionDenied
from services.imports import core, get
from tests.querycount import count_queries
from tests.factories import actor_of, make_org, make_staff, pl_curriculum, pl_subject


def csv_file(kind, rows):
    """A CSV in the kind's layout: the header of its columns and `rows` ({column key: text})."""
    importer = get(kind)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([c.header for c in importer.columns])
    for row in rows:
        writer.writerow([str(row.get(c.key, "") or "") for c in importer.columns])
    return out.getvalue().encode("utf-8")


def run(actor, kind, data, apply=True):
    return core.run(actor, get(kind), data, apply=apply)


def export(actor, kind, fmt="xlsx"):
    return core.export(actor, get(kind), fmt)[0]


def count(model, org):
    return db.session.scalar(select(func.count()).select_from(model).where(model.org_id == org.id))


def errors_of(preview):
    return [(e.row, e.column, e.message) for e in preview.errors]


# -- staff --------------------------------------------------------------------------------------------------------

STAFF = [
    {"last_name": "Иванова", "first_name": "Мария", "middle_name": "Петровна", "sex": "ж", "birth_date": "12.04.1985",
     "snils": "112-233-445 95", "position": "учитель", "functions": "учитель, классный руководитель",
     "hire_date": "25.08.2015", "hire_order_number": "45-к", "phone": "+7 900 123-45-67",
     "email": "ivanova@example.ru", "qualification_category": "первая"},
    {"last_name": "Петров", "first_name": "Олег", "sex": "м", "birth_date": "01.02.1970", "position": "Завхоз",
     "hire_date": "01.09.2001"},
    {"last_name": "Сидорова", "first_name": "Анна", "sex": "Женский", "birth_date": "03.03.1990",
     "functions": "Заместитель директора; учитель", "hire_date": "01.09.2020",
     "qualification_category": "соответствие занимаемой должности"},
]


def test_staff_clean_file_imports_with_positions_and_functions(world):
    a = world.a
    admin = actor_of("a.admin")
    before = count(Staff, a.org)
    preview = run(admin, "staff", csv_file("staff", STAFF), apply=False)
    assert preview.ok and not preview.errors, errors_of(preview)
    assert preview.count(core.CREATE, "Сотрудник") == 3
    assert count(Staff, a.org) == before  # the preview writes nothing
    applied = run(admin, "staff", csv_file("staff", STAFF))
    assert applied.applied and count(Staff, a.org) == before + 3
    ivanova = db.session.scalar(select(Staff).where(Staff.last_name == "Иванова"))
    assert ivanova.role_codes == [Role.TEACHER.value]  # the class teacher comes from the class card
    assert ivanova.position.name == "учитель" and ivanova.snils == "112-233-445 95"
    assert ivanova.qualification_category == "первая" and ivanova.hire_date == date(2015, 8, 25)
    sidorova = db.session.scalar(select(Staff).where(Staff.last_name == "Сидорова"))
    assert sidorova.role_codes == sorted([Role.DEPUTY.value, Role.TEACHER.value]) and sidorova.sex == "f"
    assert sidorova.qualification_category == "соответствие"
    assert {p.name for p in db.session.scalars(select(Position).where(Position.org_id == a.org.id))} >= {
        "учитель", "Завхоз"}
    again = run(admin, "staff", csv_file("staff", STAFF))
    assert again.count(core.SKIP) == 3 and not again.count(core.CREATE) and not again.count(core.UPDATE)
    assert count(Staff, a.org) == before + 3


def test_staff_one_bad_row_imports_nothing(world):
    a = world.a
    admin = actor_of("a.admin")
    rows = [dict(r) for r in STAFF]
    rows[1]["birth_date"] = "31.02.1970"
    rows[2]["functions"] = "учитель, волшебник"
    before = (count(Staff, a.org), count(Position, a.org))
    preview = run(admin, "staff", csv_file("staff", rows))
    assert not preview.applied
    assert (3, "Дата рождения", "«31.02.1970» — не дата; нужна дата в виде дд.мм.гггг") in errors_of(preview)
    assert any(e.row == 4 and e.column == "Функции" and "волшебник" in e.message for e in preview.errors)
    assert (count(Staff, a.org), count(Position, a.org)) == before


def test_staff_rules_of_the_card_and_duplicates_are_row_errors(world):
    admin = actor_of("a.admin")
    rows = [dict(STAFF[0]), dict(STAFF[0], phone="+7 900 000-00-01"), dict(STAFF[1], phone="12"),
            dict(STAFF[1], hire_date="01.01.1960"),
            dict(STAFF[2], email="нет", last_name="Smith")]
    preview = run(admin, "staff", csv_file("staff", rows))
    found = errors_of(preview)
    assert any(r == 3 and "тот же сотрудник, что в строке 2" in m for r, _, m in found)
    assert any(r == 4 and c == "Телефон" for r, c, m in found)
    assert any(r == 5 and c == "Дата приёма" and "раньше даты рождения" in m for r, c, m in found), found
    assert any(r == 6 and c == "Эл. почта" for r, c, m in found)
    assert any(r == 6 and c == "Фамилия" and "русские буквы" in m for r, c, m in found)


def test_staff_matched_by_snils_or_name_and_birth_date_updates_changed_fields(world):
    a = world.a
    admin = actor_of("a.admin")
    run(admin, "staff", csv_file("staff", STAFF))
    before = count(Staff, a.org)
    rows = [dict(STAFF[0], last_name="Смирнова", phone="+7 900 000-00-00"), dict(STAFF[1], rank="5")]
    preview = run(admin, "staff", csv_file("staff", rows))
    assert preview.applied and count(Staff, a.org) == before, errors_of(preview)
    details = {c.label: c.detail for c in preview.changes if c.action == core.UPDATE}
    assert details == {"Иванова Мария Петровна": "фамилия, телефон", "Петров Олег": "разряд"}
    card = db.session.scalar(select(Staff).where(Staff.snils == "112-233-445 95"))
    assert card.last_name == "Смирнова" and card.phone == "+7 900 000-00-00"
    # a file without patronymics finds the cards by surname, name and date of birth
    no_patronymic = dict(STAFF[0], last_name="Смирнова", middle_name="", snils="", phone="+7 900 555-55-55")
    preview = run(admin, "staff", csv_file("staff", [no_patronymic]))
    assert preview.applied and preview.count(core.UPDATE) == 1 and count(Staff, a.org) == before
    assert card.phone == "+7 900 555-55-55" and card.middle_name == "Петровна"
    # the same person with another СНИЛС is a bad row, not a second card
    preview = run(admin, "staff", csv_file("staff", [dict(no_patronymic, snils="112-233-446 96")]))
    assert not preview.applied and [(e.row, e.column) for e in preview.errors] == [(2, "СНИЛС")], errors_of(preview)


def test_staff_export_import_round_trip_is_a_no_op(world):
    admin = actor_of("a.admin")
    run(admin, "staff", csv_file("staff", STAFF))
    for fmt in ("xlsx", "csv"):
        preview = run(admin, "staff", export(admin, "staff", fmt))
        assert preview.applied and not preview.count(core.CREATE) and not preview.count(core.UPDATE), \
            (fmt, errors_of(preview), [(c.label, c.detail) for c in preview.changes if c.action != core.SKIP])
        assert preview.count(core.SKIP) == preview.rows


def test_staff_template_example_imports(world):
    admin = actor_of("a.admin")
    preview = run(admin, "staff", core.template(get("staff")), apply=False)
    assert preview.ok, errors_of(preview)
    book = openpyxl.load_workbook(io.BytesIO(core.template(get("staff"))))
    assert book.worksheets[0]["A1"].value == "Фамилия *"


def test_staff_of_another_organization_never_matched(world):
    b_admin = actor_of("b.admin")
    a_admin = actor_of("a.admin")
    run(a_admin, "staff", csv_file("staff", STAFF))
    before_a = count(Staff, world.a.org)
    preview = run(b_admin, "staff", csv_file("staff", [dict(STAFF[0], phone="+7 911 111-11-11")]))
    assert preview.applied and preview.count(core.CREATE, "Сотрудник") == 1 and not preview.count(core.UPDATE)
    assert count(Staff, world.a.org) == before_a
    a_card = db.session.scalar(select(Staff).where(Staff.org_id == world.a.org.id, Staff.last_name == "Иванова"))
    assert a_card.phone == "+7 900 123-45-67"


def test_staff_hr_imports_cards_but_not_functions(world):
    hr = actor_of("a.hr")
    plain = [dict(STAFF[1], position="")]
    assert run(hr, "staff", csv_file("staff", plain)).applied
    preview = run(hr, "staff", csv_file("staff", [dict(STAFF[2])]))
    assert not preview.applied
    assert any(e.column == "Функции" and "назначают директор и администратор" in e.message for e in preview.errors)
    # the director's function, given by the director, is refused (the administrator's right)
    director = actor_of("a.director")
    with pytest.raises(PermissionDenied):
        run(director, "staff", csv_file("staff", plain))
    admin = actor_of("a.admin")
    preview = run(admin, "staff", csv_file("staff", [dict(STAFF[1], functions="директор")]))
    assert preview.applied, errors_of(preview)


def test_staff_position_unknown_to_hr_is_a_row_error(world):
    hr = actor_of("a.hr")
    preview = run(hr, "staff", csv_file("staff", [dict(STAFF[1], position="Звездочёт")]))
    assert not preview.applied
    assert any(e.row == 2 and e.column == "Должность" and "Звездочёт" in e.message for e in preview.errors)


def test_teacher_cannot_import_lists(world):
    teacher = actor_of("a.teacher")
    for kind in ("staff", "classes", "subjects", "curriculum"):
        with pytest.raises(PermissionDenied):
            run(teacher, kind, core.template(get(kind)), apply=False)
        with pytest.raises(PermissionDenied):
            get(kind).export_rows(teacher)


# -- classes ------------------------------------------------------------------------------------------------------

CLASSES = [
    {"name": "7в", "grade": "7", "class_teacher": "Учителев Тимур Петрович", "max_students": "25"},
    {"name": "8А", "grade": "8", "profile": "Физико-математический", "class_teacher": "Классова К. П."},
    {"name": "5А", "grade": "5"},  # the world's 5А, unchanged
]


def test_classes_clean_file_imports_and_reimport_changes_nothing(world):
    a = world.a
    admin = actor_of("a.admin")
    before = count(SchoolClass, a.org)
    preview = run(admin, "classes", csv_file("classes", CLASSES), apply=False)
    assert preview.ok, errors_of(preview)
    assert (preview.count(core.CREATE), preview.count(core.SKIP)) == (2, 1)
    applied = run(admin, "classes", csv_file("classes", CLASSES))
    assert applied.applied and count(SchoolClass, a.org) == before + 2
    seventh = db.session.scalar(select(SchoolClass).where(SchoolClass.org_id == a.org.id,
                                                          SchoolClass.name == "7В"))
    assert seventh.class_teacher_id == a.teacher.id and seventh.max_students == 25 and seventh.year_id == a.year.id
    eighth = db.session.scalar(select(SchoolClass).where(SchoolClass.org_id == a.org.id, SchoolClass.name == "8А"))
    assert eighth.class_teacher_id == a.class_teacher.id and eighth.profile == "Физико-математический"
    again = run(admin, "classes", csv_file("classes", CLASSES))
    assert again.count(core.SKIP) == 3 and again.count(core.SKIP) == again.rows
    changed = run(admin, "classes", csv_file("classes", [dict(CLASSES[0], max_students="28")]))
    assert [(c.action, c.detail) for c in changed.changes] == [(core.UPDATE, "наполняемость")]


def test_classes_one_bad_row_imports_nothing(world):
    a = world.a
    admin = actor_of("a.admin")
    before = count(SchoolClass, a.org)
    rows = CLASSES + [{"name": "9Б", "grade": "12"}, {"name": "10А", "grade": "10", "class_teacher": "Никто Н. Н."},
                      {"name": "7В", "grade": "7"}, {"name": "11А", "grade": "девять"}]
    preview = run(admin, "classes", csv_file("classes", rows))
    assert not preview.applied and count(SchoolClass, a.org) == before
    found = errors_of(preview)
    assert any(r == 5 and c == "Параллель" for r, c, m in found), found
    assert any(r == 6 and c == "Классный руководитель" and "Никто" in m for r, c, m in found), found
    assert any(r == 7 and c == "Класс" and "строке 2" in m for r, c, m in found), found
    assert any(r == 8 and c == "Параллель" and "девять" in m for r, c, m in found), found


def test_classes_export_import_round_trip_and_other_organization(world):
    admin, b_admin = actor_of("a.admin"), actor_of("b.admin")
    run(admin, "classes", csv_file("classes", CLASSES))
    for fmt in ("xlsx", "csv"):
        preview = run(admin, "classes", export(admin, "classes", fmt))
        assert preview.applied and preview.count(core.SKIP) == preview.rows == 4, errors_of(preview)
    # B's file names A's teacher: not found in B; B's own 5А is matched, A's is not touched
    run(admin, "staff", csv_file("staff", STAFF[:1]))
    ivanova = csv_file("classes", [dict(CLASSES[0], class_teacher="Иванова Мария Петровна")])
    assert run(admin, "classes", ivanova).applied
    preview = run(b_admin, "classes", ivanova)
    assert not preview.applied and preview.errors[0].column == "Классный руководитель"
    preview = run(b_admin, "classes", csv_file("classes", [{"name": "5а", "grade": "5", "max_students": "20"}]))
    assert preview.applied and preview.count(core.UPDATE) == 1
    assert world.a.klass.max_students is None and world.b.klass.max_students == 20


# -- subjects -----------------------------------------------------------------------------------------------------

SUBJECTS = [
    {"name": "Математика", "short_name": "Матем.", "area": "Математика и информатика", "grading": "Отметки 5…1"},
    {"name": "Информатика", "area": "Математика и информатика"},
    {"name": "Физкультура", "grading": "зачёт"},
]


def test_subjects_clean_file_imports_and_reimport_changes_nothing(world):
    a = world.a
    deputy = actor_of("a.deputy")
    preview = run(deputy, "subjects", csv_file("subjects", SUBJECTS), apply=False)
    assert preview.ok, errors_of(preview)
    assert preview.count(core.CREATE, "Предмет") == 3 and preview.count(core.CREATE, "Образовательная область") == 1
    assert run(deputy, "subjects", csv_file("subjects", SUBJECTS)).applied
    subjects = {s.name: s for s in db.session.scalars(select(Subject).where(Subject.org_id == a.org.id))}
    assert set(subjects) == {"Математика", "Информатика", "Физкультура"}
    assert subjects["Математика"].area_id == subjects["Информатика"].area_id is not None
    assert subjects["Физкультура"].grading == "pass_fail" and subjects["Математика"].short_name == "Матем."
    assert count(EducationalArea, a.org) == 1
    again = run(deputy, "subjects", csv_file("subjects", SUBJECTS))
    assert again.count(core.SKIP) == again.rows == 3
    for fmt in ("xlsx", "csv"):
        round_trip = run(deputy, "subjects", export(deputy, "subjects", fmt))
        assert round_trip.applied and round_trip.count(core.SKIP) == 3, errors_of(round_trip)
    changed = run(deputy, "subjects", csv_file("subjects", [{"name": "математика", "short_name": "Мат."}]))
    assert [(c.action, c.label, c.detail) for c in changed.changes] == [(core.UPDATE, "Математика", "краткое название")]


def test_subjects_one_bad_row_imports_nothing(world):
    a = world.a
    admin = actor_of("a.admin")
    rows = SUBJECTS + [{"name": "Черчение", "kind": "МДК"}, {"name": "Музыка", "grading": "по настроению"},
                       {"name": "математика"}]
    preview = run(admin, "subjects", csv_file("subjects", rows))
    assert not preview.applied and count(Subject, a.org) == 0 and count(EducationalArea, a.org) == 0
    found = errors_of(preview)
    assert any(r == 5 and c == "Тип" and "В школе" in m for r, c, m in found), found
    assert any(r == 6 and c == "Оценивание" and "по настроению" in m for r, c, m in found), found
    assert any(r == 7 and c == "Предмет" and "строке 2" in m for r, c, m in found), found


def test_subjects_of_a_college_with_their_modules_and_another_organization(world):
    college = SimpleNamespace()
    college.org, college.year, _ = make_org("c", "college")
    make_staff(college.org, "Админов", "Антон", [Role.ADMIN.value], "c.admin")
    admin = actor_of("c.admin")
    rows = [{"name": "Технология обработки металлов", "code": "МДК.01.01", "kind": "МДК", "module": "ПМ.01"},
            {"name": "Обработка деталей", "code": "ПМ.01", "kind": "Профессиональный модуль"},
            {"name": "Математика", "kind": "Дисциплина"}]
    preview = run(admin, "subjects", csv_file("subjects", rows))
    assert preview.applied, errors_of(preview)
    assert preview.title == "Дисциплины" and preview.count(core.CREATE, "Дисциплина") == 3
    mdk = db.session.scalar(select(Subject).where(Subject.org_id == college.org.id, Subject.code == "МДК.01.01"))
    assert mdk.module.code == "ПМ.01"
    assert run(admin, "subjects", export(admin, "subjects")).count(core.SKIP) == 3
    # A's «Математика» is not matched by the college's file, nor changed
    assert count(Subject, world.a.org) == 0
    a_admin = actor_of("a.admin")
    bad = run(a_admin, "subjects", csv_file("subjects", rows[:1]))
    assert not bad.applied and any(e.column == "Профессиональный модуль" for e in bad.errors)


# -- the curriculum -----------------------------------------------------------------------------------------------

def _subjects(org, *names):
    return [pl_subject(org, name) for name in names]


def curriculum_rows():
    return [
        {"grade": "5", "subject": "Математика", "hours_per_week": "5"},
        {"grade": "5", "subject": "Русский язык", "hours_per_week": "4,5", "max_hours": "29", "weeks": "34"},
        {"klass": "6Б", "subject": "Математика", "hours_per_week": "5",
         "component": "Обязательная часть (федеральный компонент)"},
        {"grade": "6", "subject": "Математика", "hours_per_week": "1", "component": "Региональный компонент"},
    ]


def test_curriculum_clean_file_imports_and_reimport_changes_nothing(world):
    a = world.a
    _subjects(a.org, "Математика", "Русский язык")
    deputy = actor_of("a.deputy")
    preview = run(deputy, "curriculum", csv_file("curriculum", curriculum_rows()), apply=False)
    assert preview.ok, errors_of(preview)
    assert preview.count(core.CREATE, "Учебный план") == 2 and preview.count(core.CREATE, "Строка учебного плана") == 4
    assert run(deputy, "curriculum", csv_file("curriculum", curriculum_rows())).applied
    plans = {c.grade: c for c in db.session.scalars(select(Curriculum).where(Curriculum.org_id == a.org.id))}
    assert set(plans) == {5, 6} and plans[5].year_id == a.year.id and plans[5].max_hours == 29
    hours = {(line.subject.name, line.component): line.hours_per_week for line in plans[5].lines}
    assert hours == {("Математика", "federal"): Decimal("5"), ("Русский язык", "federal"): Decimal("4.5")}
    assert {line.component for line in plans[6].lines} == {"federal", "regional"}
    again = run(deputy, "curriculum", csv_file("curriculum", curriculum_rows()))
    assert again.count(core.SKIP) == again.rows == 4 and not again.count(core.CREATE)
    for fmt in ("xlsx", "csv"):
        round_trip = run(deputy, "curriculum", export(deputy, "curriculum", fmt))
        assert round_trip.applied and round_trip.count(core.SKIP) == round_trip.rows == 4, errors_of(round_trip)
    changed = run(deputy, "curriculum", csv_file("curriculum", [{"grade": "5", "subject": "математика",
                                                                 "hours_per_week": "6"}]))
    assert [(c.action, c.detail) for c in changed.changes] == [(core.UPDATE, "часы")]
    assert count(CurriculumLine, a.org) == 4


def test_curriculum_keeps_lines_the_file_does_not_name(world):
    a = world.a
    math, russian = _subjects(a.org, "Математика", "Русский язык")
    pl_curriculum(a.org, a.year, 5, [(math, 5), (russian, 4)])
    admin = actor_of("a.admin")
    preview = run(admin, "curriculum", csv_file("curriculum", [{"grade": "5", "subject": "Русский язык",
                                                                "hours_per_week": "5"}]))
    assert preview.applied and preview.count(core.UPDATE) == 1, errors_of(preview)
    lines = db.session.scalars(select(CurriculumLine).where(CurriculumLine.org_id == a.org.id)).all()
    assert sorted((line.subject_id, line.hours_per_week) for line in lines) == sorted(
        [(math.id, Decimal(5)), (russian.id, Decimal(5))])


def test_curriculum_one_bad_row_imports_nothing(world):
    a = world.a
    _subjects(a.org, "Математика", "Русский язык")
    admin = actor_of("a.admin")
    rows = curriculum_rows() + [
        {"grade": "7", "subject": "Алхимия", "hours_per_week": "2"},
        {"klass": "9Я", "subject": "Математика", "hours_per_week": "2"},
        {"grade": "5", "subject": "Математика", "hours_per_week": "3"},
        {"grade": "7", "subject": "Математика"},
        {"grade": "7", "subject": "Русский язык", "hours_per_week": "много"},
    ]
    preview = run(admin, "curriculum", csv_file("curriculum", rows))
    assert not preview.applied and count(Curriculum, a.org) == 0 and count(CurriculumLine, a.org) == 0
    found = errors_of(preview)
    assert any(r == 6 and c == "Предмет" and "Алхимия" in m for r, c, m in found), found
    assert any(r == 7 and c == "Класс" and "9Я" in m for r, c, m in found), found
    assert any(r == 8 and c == "Предмет" and "строке 2" in m for r, c, m in found), found
    assert any(r == 9 and c == "Часов в неделю" and "укажите часы" in m for r, c, m in found), found
    assert any(r == 10 and c == "Часов в неделю" and "много" in m for r, c, m in found), found


def test_curriculum_load_over_the_maximum_is_a_row_error(world):
    a = world.a
    _subjects(a.org, "Математика", "Русский язык")
    admin = actor_of("a.admin")
    rows = [{"grade": "1", "subject": "Математика", "hours_per_week": "15"},
            {"grade": "1", "subject": "Русский язык", "hours_per_week": "10"}]
    preview = run(admin, "curriculum", csv_file("curriculum", rows))
    assert not preview.applied and count(Curriculum, a.org) == 0
    assert [(e.row, e.column) for e in preview.errors] == [(3, "Часов в неделю")]
    assert "больше максимально допустимой 21" in preview.errors[0].message


def test_curriculum_of_another_organization_is_not_matched(world):
    a, b = world.a, world.b
    _subjects(a.org, "Математика")
    _subjects(b.org, "Математика")
    pl_curriculum(a.org, a.year, 5, [(db.session.scalar(select(Subject).where(Subject.org_id == a.org.id)), 3)])
    b_deputy = actor_of("b.deputy")
    preview = run(b_deputy, "curriculum", csv_file("curriculum", curriculum_rows()[:1]))
    assert preview.applied and preview.count(core.CREATE, "Учебный план") == 1, errors_of(preview)
    a_line = db.session.scalar(select(CurriculumLine).where(CurriculumLine.org_id == a.org.id))
    assert a_line.hours_per_week == 3 and count(Curriculum, b.org) == 1
    assert len(get("curriculum").export_rows(actor_of("a.admin"))) == 1


# -- set-based: the statements of a plan do not grow with the file ------------------------------------------------

def _staff_rows(n):
    return [{"last_name": "Сотрудникова", "first_name": "Анна", "middle_name": "Ивановна", "sex": "ж",
             "birth_date": f"{1 + i % 28:02d}.{1 + i // 28 % 12:02d}.{1960 + i // 336}", "position": "учитель",
             "functions": "учитель", "hire_date": "01.09.2020", "phone": f"+7 900 000-{i:04d}"[:20]}
            for i in range(n)]


def _plan_statements(actor, kind, data):
    importer = get(kind)
    with count_queries() as statements:
        preview = core.run(actor, importer, data, apply=False)
    assert preview.ok, errors_of(preview)
    return len(statements)


def test_plans_read_the_organization_once_whatever_the_file(world):
    admin = actor_of("a.admin")
    small = _plan_statements(admin, "staff", csv_file("staff", _staff_rows(5)))
    large = _plan_statements(admin, "staff", csv_file("staff", _staff_rows(200)))
    assert large == small, (small, large)
    run(admin, "staff", csv_file("staff", _staff_rows(200)))
    assert _plan_statements(admin, "staff", export(admin, "staff")) == small  # 206 cards, every one unchanged
    _subjects(world.a.org, *[f"Предмет {chr(0x410 + i)}" for i in range(20)])
    rows = [{"grade": str(1 + i % 11), "subject": f"Предмет {chr(0x410 + i // 11)}", "hours_per_week": "1"}
            for i in range(200)]
    small = _plan_statements(admin, "curriculum", csv_file("curriculum", rows[:11]))
    large = _plan_statements(admin, "curriculum", csv_file("curriculum", rows))
    assert large == small  # a plan's own rule once per plan (11 of them), never per line
    run(admin, "classes", csv_file("classes", CLASSES))
    run(admin, "subjects", csv_file("subjects", SUBJECTS))
    for kind in ("classes", "subjects"):
        assert _plan_statements(admin, kind, export(admin, kind)) <= 6


def test_staff_functions_of_stored_cards_follow_check_staff_change(world):
    a = world.a
    teacher_row = {"last_name": "Учителев", "first_name": "Тимур", "middle_name": "Петрович", "sex": "м",
                   "hire_date": "25.08.2020"}
    hr = actor_of("a.hr")
    preview = run(hr, "staff", csv_file("staff", [dict(teacher_row, functions="Учитель, Завуч")]))
    assert not preview.applied and [(e.row, e.column) for e in preview.errors] == [(2, "Функции")]
    assert a.teacher.role_codes == [Role.TEACHER.value]
    # the same cells with the functions the card has: HR keeps the card, nothing to appoint
    preview = run(hr, "staff", csv_file("staff", [dict(teacher_row, functions="учитель", phone="+7 900 222-22-22")]))
    assert preview.applied and preview.changes[0].detail == "телефон", errors_of(preview)
    director = actor_of("a.director")
    with pytest.raises(PermissionDenied):
        run(director, "staff", csv_file("staff", [teacher_row]))
    admin = actor_of("a.admin")
    preview = run(admin, "staff", csv_file("staff", [dict(teacher_row, functions="Учитель, Заместитель директора")]))
    assert preview.applied and preview.changes[0].detail == "функции"
    assert a.teacher.role_codes == sorted([Role.DEPUTY.value, Role.TEACHER.value])
    # the last administrator never loses his function, by an import neither
    admin_row = {"last_name": "Админов", "first_name": "Антон", "middle_name": "Петрович", "sex": "м",
                 "hire_date": "25.08.2020", "functions": "учитель"}
    with pytest.raises(core.ImportRefused):
        run(admin, "staff", csv_file("staff", [admin_row]))


def test_templates_read_back_with_every_column(world):
    for kind in ("staff", "classes", "subjects", "curriculum"):
        importer = get(kind)
        rows = core.read_table(core.template(importer), importer.columns)
        assert len(rows) == 1 and set(rows[0].cells) == {c.key for c in importer.columns}


def test_import_inside_the_request_scope_of_the_organization(world):
    admin = actor_of("a.admin")
    with scope.organization(world.a.org.id):
        assert run(admin, "staff", csv_file("staff", STAFF)).applied
        preview = run(admin, "staff", csv_file("staff", [dict(STAFF[2], functions="учитель")]))
    assert preview.applied and preview.changes[0].detail == "функции"


@pytest.mark.parametrize("kind", ["school", "college"])
def test_the_demo_organization_moves_out_and_back_in_unchanged(app, kind):
    """Every list of the demo school (college), exported and imported by its administrator, changes nothing."""
    result = app.test_cli_runner().invoke(args=["demo-data", "--kind", kind])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    org = db.session.scalar(select(Organization))
    card = db.session.scalar(select(Staff).join(StaffRole).where(Staff.org_id == org.id,
                                                                 StaffRole.role == Role.ADMIN.value))
    admin = Actor.for_user(card.user)
    for name in ("staff", "classes", "subjects", "curriculum"):
        for fmt in ("xlsx", "csv"):
            data = export(admin, name, fmt)
            preview = run(admin, name, data)
            assert preview.applied and preview.rows > 0, (name, fmt, errors_of(preview)[:5])
            assert preview.count(core.SKIP) == preview.rows, (name, fmt, [
                (c.label, c.detail) for c in preview.changes if c.action != core.SKIP][:5])


def test_a_college_imports_its_groups_and_semester_curriculum(world):
    college = SimpleNamespace()
    college.org, college.year, _ = make_org("c", "college")
    make_staff(college.org, "Админов", "Антон", [Role.ADMIN.value], "c.admin")
    curator = make_staff(college.org, "Кураторова", "Вера", [Role.TEACHER.value], sex="f")
    department = Department(org_id=college.org.id, name="Механическое отделение")
    db.session.add(department)
    db.session.flush()
    specialty = Specialty(org_id=college.org.id, department_id=department.id, code="15.02.08",
                          name="Технология машиностроения")
    db.session.add(specialty)
    pl_subject(college.org, "Математика", kind="discipline")
    db.session.flush()
    admin = actor_of("c.admin")
    groups = [{"name": "ТМ-21", "grade": "2", "class_teacher": "Кураторова Вера Петровна",
               "department": "Механическое отделение", "specialty": "15.02.08"}]
    preview = run(admin, "classes", csv_file("classes", groups))
    assert preview.applied and preview.title == "Группы" and preview.count(core.CREATE, "Группа") == 1, \
        errors_of(preview)
    group = db.session.scalar(select(SchoolClass).where(SchoolClass.org_id == college.org.id))
    assert (group.name, group.specialty_id, group.department_id, group.class_teacher_id) == (
        "ТМ-21", specialty.id, department.id, curator.id)
    lines = [{"klass": "ТМ-21", "subject": "Математика", "period1_hours": "48", "period2_hours": "40"}]
    preview = run(admin, "curriculum", csv_file("curriculum", lines))
    assert not preview.applied and [(e.row, e.column) for e in preview.errors] == [(2, "Максимальная нагрузка")]
    preview = run(admin, "curriculum", csv_file("curriculum", [dict(lines[0], max_hours="612")]))
    assert preview.applied, errors_of(preview)
    plan = db.session.scalar(select(Curriculum).where(Curriculum.org_id == college.org.id))
    assert (plan.grade, plan.specialty_id, plan.max_hours) == (2, specialty.id, 612)
    assert [(line.period1_hours, line.period2_hours, line.hours_per_week) for line in plan.lines] == [(48, 40, None)]
    for name in ("classes", "curriculum"):
        again = run(admin, name, export(admin, name, "csv"))
        assert again.applied and again.count(core.SKIP) == again.rows == 1, errors_of(again)
    bad = run(admin, "curriculum", csv_file("curriculum", [{"grade": "2", "specialty": "15.02.08",
                                                            "subject": "Математика", "hours_per_week": "4"}]))
    assert [(e.row, e.column) for e in bad.errors] == [(2, "Часов в 1 семестре")]
