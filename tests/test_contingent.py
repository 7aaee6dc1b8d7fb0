"""The federal contingent register's data (issue 17.6, seed 000 §4.3; services/people/contingent.py): the card's
rules (a passport not before the 14th birthday, health group I–V, ОВЗ with its adapted programme, the previous
document's date …) on every path — the card's form, the admission form, a flush of any import — refused with a
Russian message beside the field and nothing saved; the class teacher's completeness list; the export's layout
(docs/CONTINGENT.md), its access log, another organization's students never in it; the migration on a database
with students."""
import json
from datetime import date
from xml.etree import ElementTree as ET

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from app import create_app
from models import AccessLog, Student, db
from services.control import deadlines as control
from services.errors import DomainError, PermissionDenied
from services.movement import admission
from services.org.years import current_year
from services.demo.school import create_demo
from services.people import contingent
from tests.factories import CONTINGENT_COMPLETE, actor_of, fill_contingent, make_student
from tests.helpers import flashes, form_of, open_browser, post_form, student_form
from tests.querycount import count_queries

TODAY = date(2026, 11, 20)


def _refused(student, **changes):
    """Save `changes` on the card through a flush (any path: an import, a script); the refusal, nothing kept."""
    before = {name: getattr(student, name) for name in changes}
    for name, value in changes.items():
        setattr(student, name, value)
    with pytest.raises(DomainError) as refused:
        db.session.flush()
    db.session.rollback()
    fresh = db.session.get(Student, student.id)
    assert {name: getattr(fresh, name) for name in changes} == before
    assert refused.value.message == "Карточка обучающегося не сохранена"
    return refused.value


CASES = [
    # The reported case: an 11-year-old (born 01.03.2015) with a passport dated 01.09.2026.
    (dict(passport_series="6525", passport_number="123456", passport_date=date(2026, 9, 1)), "passport_date",
     "Паспорт выдаётся с 14 лет: дата выдачи 01.09.2026 раньше 14-летия (01.03.2029)"),
    (dict(passport_series="6525", passport_number="123456", passport_date=date(2026, 12, 1)), "passport_date",
     "не может быть в будущем"),
    (dict(passport_series="6525", passport_number="123456", passport_date=date(2014, 1, 1)), "passport_date",
     "раньше даты рождения"),
    (dict(birth_certificate_date=date(2015, 2, 1)), "birth_certificate_date", "раньше даты рождения"),
    (dict(health_group="VI"), "health_group", "«Группа здоровья»: значение «VI» не из справочника"),
    (dict(ovz="yes"), "adapted_program", "Для обучающегося с ОВЗ укажите адаптированную образовательную программу"),
    (dict(adapted_program="АООП НОО, вариант 7.1"), "adapted_program", "только для обучающегося с ОВЗ"),
    (dict(previous_doc_kind="personal_file", previous_doc_date=date(2026, 12, 1)), "previous_doc_date",
     "Дата выдачи документа о предыдущем образовании 01.12.2026 не может быть в будущем"),
    (dict(previous_doc_kind="basic_general", previous_doc_date=date(2010, 6, 1)), "previous_doc_date",
     "раньше даты рождения"),
    (dict(previous_doc_number="123"), "previous_doc_kind", "Укажите вид документа о предыдущем образовании"),
    (dict(citizenship="foreign"), "citizenship_country", "Для иностранного гражданства укажите страну"),
    (dict(citizenship="rf", citizenship_country="Казахстан"), "citizenship_country",
     "только для иностранного гражданства"),
    (dict(citizenship="марс"), "citizenship", "не из справочника"),
    (dict(disability="no", disability_category="child"), "disability_category", "только если инвалидность"),
    (dict(study_form="distance"), "study_form", "не из справочника"),
    (dict(funding="free"), "funding", "не из справочника"),
]


@pytest.mark.parametrize("changes, field, message", CASES)
def test_every_rule_is_refused_in_russian_beside_its_field_and_nothing_is_saved(world, changes, field, message):
    student = db.session.get(Student, world.a.student.id)
    assert student.birth_date == date(2015, 3, 1)
    refused = _refused(student, **changes)
    assert message in refused.fields[field], refused.fields
    assert any(message in e for e in refused.errors)


def test_a_text_too_long_is_refused_by_its_russian_name(world):
    student = db.session.get(Student, world.a.student.id)
    student.birth_place = "г. " + "Я" * 300
    with pytest.raises(DomainError) as refused:
        db.session.flush()
    db.session.rollback()
    assert "«Место рождения» — не длиннее 300 символов" in str(refused.value)
    assert db.session.get(Student, world.a.student.id).birth_place is None
    # The admission's card is checked before anything is written: the same refusal, beside the field.
    errors, fields = [], {}
    probe = Student(birth_date=date(2015, 3, 1), birth_place="Я" * 301)
    contingent.check(probe, TODAY, errors, fields)
    assert fields == {"birth_place": "«Место рождения»: не длиннее 300 символов (сейчас 301)"}


def test_a_valid_card_is_saved_and_normalised(world):
    student = db.session.get(Student, world.a.student.id)
    fill_contingent(student)
    student.health_group = "3"  # an import's arabic figure: the register's roman numeral
    student.ovz, student.adapted_program = "yes", "АООП НОО для обучающихся с ЗПР, вариант 7.1"
    student.disability, student.disability_category, student.disability_until = "yes", "child", date(2028, 9, 1)
    student.previous_doc_date = date(2026, 6, 25)
    student.citizenship, student.citizenship_country = "foreign", " Республика Казахстан "
    db.session.flush()
    assert (student.health_group, student.citizenship_country) == ("III", "Республика Казахстан")
    # A passport on the 14th birthday itself is accepted (the older classmate, born 01.03.2012).
    older = make_student(world.a.org, world.a.klass, "Старшов", "Пётр", birth=date(2012, 3, 1),
                         passport_series="6525", passport_number="654321", passport_date=date(2026, 3, 1))
    assert older.passport_date == date(2026, 3, 1)


def test_the_card_form_refuses_the_11_year_olds_passport_beside_the_field(world, browser):
    a = world.a
    hr = open_browser(browser, "a.hr")
    url = f"/students/edit/?id={a.student.id}"
    fields = form_of(hr.get(url))
    resp = post_form(hr, url, fields, {"passport_series": "6525", "passport_number": "123456",
                                       "passport_date": "01.09.2026"})
    page = resp.get_data(as_text=True)
    assert "Паспорт выдаётся с 14 лет" in flashes(resp)
    assert 'value="01.09.2026"' in page  # what was typed is kept
    assert "is-invalid" in page
    db.session.expire_all()
    assert db.session.get(Student, a.student.id).passport_date is None
    resp = post_form(hr, url, fields, {"health_group": "II", "ovz": "yes"})
    assert "Для обучающегося с ОВЗ укажите адаптированную" in flashes(resp)
    db.session.expire_all()
    assert db.session.get(Student, a.student.id).ovz is None


def test_the_admission_form_obeys_the_same_rules_and_writes_nothing(world, browser):
    hr = open_browser(browser, "a.hr")
    before = db.session.scalar(select(func.count(Student.id)))
    form = student_form(world, birth_date="14.03.2015", passport_date="20.03.2025")
    resp = hr.post("/students/new/", data=form, follow_redirects=True)
    assert "Паспорт выдаётся с 14 лет: дата выдачи 20.03.2025 раньше 14-летия (14.03.2029)" in flashes(resp)
    assert db.session.scalar(select(func.count(Student.id))) == before
    card = {k: v for k, v in student_form(world, health_group="VII", parents=None).items()}
    with pytest.raises(DomainError) as refused:
        admission.enroll_student(actor_of("a.hr"), card, world.a.klass.id, "46-у", date(2026, 8, 28))
    assert "health_group" in refused.value.fields
    db.session.rollback()
    assert db.session.scalar(select(func.count(Student.id))) == before
    # A complete card with the register's data comes in.
    resp = hr.post("/students/new/", data={**student_form(world), **CONTINGENT_COMPLETE,
                                           "ovz": "yes", "adapted_program": "АООП ООО для обучающихся с ЗПР"},
                   follow_redirects=True)
    assert "зачислен(а)" in flashes(resp)
    made = db.session.scalar(select(Student).where(Student.last_name == "Морозова"))
    assert (made.ovz, made.adapted_program, made.study_form) == ("yes", "АООП ООО для обучающихся с ЗПР", "full_time")


# -- the completeness check --------------------------------------------------------------------------------

def test_the_completeness_list_says_per_student_what_is_missing(world):
    a, b = world.a, world.b
    classmate = fill_contingent(db.session.get(Student, a.classmate.id))
    classmate.address, classmate.birth_certificate_number = "г. Тест, ул. Мира, 2", "654321"
    db.session.flush()
    year = current_year(a.org)
    teacher = actor_of(a.logins["class_teacher"])
    teacher.own_class_ids
    with count_queries() as counted:
        listed = contingent.completeness(teacher, year, TODAY)
    assert len(counted) == 2, counted  # the classes, their students
    assert [k.name for k, _ in listed] == ["5А"]  # the class teacher: his class only
    (_, rows), = listed
    by_name = {s.last_name: missing for s, missing in rows}
    assert by_name["Соседов"] == []
    assert by_name["Учеников"] == ["гражданство", "место рождения", "адрес регистрации", "адрес проживания",
                                   "группа здоровья", "сведения об инвалидности", "сведения об ОВЗ",
                                   "форма обучения", "форма финансирования", "документ о предыдущем образовании",
                                   "свидетельство о рождении"]
    student = db.session.get(Student, a.student.id)
    fill_contingent(student)
    student.citizenship, student.citizenship_country = "foreign", "Китай"
    student.birth_certificate_number = "123456"
    db.session.flush()
    listed = contingent.completeness(actor_of(a.logins["class_teacher"]), year, TODAY, a.klass.id)
    assert {s.last_name: m for s, m in listed[0][1]}["Учеников"] == ["адрес проживания"]
    deputy = contingent.completeness(actor_of(a.logins["deputy"]), year, TODAY)
    assert [k.name for k, _ in deputy] == ["5А", "6Б"]  # the administration: every class
    assert all(s.org_id == a.org.id for _, rows in deputy for s, _ in rows)
    assert b.student.id not in {s.id for _, rows in deputy for s, _ in rows}


def test_the_control_page_lists_the_register_gaps_due_in_the_first_week_of_september(world):
    a = world.a
    for card in (a.student, a.classmate):
        card = db.session.get(Student, card.id)
        card.address, card.birth_certificate_number = "г. Тест", "123456"
        card.family_composition, card.social_status, card.foreign_language = "полная", "—", "Английский"
    db.session.flush()
    fill_contingent(db.session.get(Student, a.classmate.id))
    db.session.flush()
    result = control.control(actor_of(a.logins["class_teacher"]), TODAY)
    cards = next(s for s in result.sections if s.key == "cards").items
    mine = [i for i in cards if "Учеников" in i.title]
    assert len(mine) == 1 and "группа здоровья" in mine[0].detail and mine[0].due == date(2026, 9, 7)
    assert not any("Соседов" in i.title and "группа здоровья" in i.detail for i in cards)


def test_the_page_shows_the_class_teacher_his_class_and_hides_another(world, browser):
    a = world.a
    ct = open_browser(browser, "a.class_teacher")
    page = ct.get("/contingent/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Учеников" in text and "группа здоровья" in text and "Чужов" not in text
    assert "JSON" not in text  # the export is the administrator's
    assert ct.get(f"/contingent/?class_id={a.other_class.id}").status_code == 404
    assert ct.get(f"/contingent/?class_id={world.b.klass.id}").status_code == 404
    assert ct.get("/contingent/export?format=json").status_code == 403
    deputy = open_browser(browser, "a.deputy").get("/contingent/").get_data(as_text=True)
    assert "Чужов" in deputy and "Учеников" in deputy
    assert open_browser(browser, "a.teacher").get("/contingent/").status_code == 403


# -- the export ----------------------------------------------------------------------------------------------

def _logged():
    return db.session.scalars(select(AccessLog).where(AccessLog.object_kind == "contingent")
                              .order_by(AccessLog.id)).all()


def test_the_export_follows_the_documented_layout_and_is_logged(world, browser):
    a = world.a
    student = db.session.get(Student, a.student.id)
    fill_contingent(student)
    student.ovz, student.adapted_program = "yes", "АООП НОО, вариант 7.1"
    db.session.flush()
    admin = open_browser(browser, "a.admin")
    resp = admin.get("/contingent/export?format=json")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    doc = json.loads(resp.get_data(as_text=True))
    assert (doc["format"], doc["version"], doc["generated_on"]) == ("contingent", "1.0", "2026-11-20")
    assert doc["organization"]["id"] == a.org.id
    assert doc["code_lists"]["health_group"] == {"I": "I", "II": "II", "III": "III", "IV": "IV", "V": "V"}
    names = [s["last_name"] for s in doc["students"]]
    assert names == ["Соседов", "Учеников", "Чужов"]  # studying students of this organization only
    me = doc["students"][1]
    assert set(me) == {"id", "last_name", "first_name", "middle_name", "sex", "birth_date", "birth_place", "snils",
                       "citizenship", "documents", "addresses", "health", "education", "previous_document",
                       "parents", "missing"}
    assert me["birth_date"] == "2015-03-01" and me["citizenship"] == {"code": "rf", "country": None}
    assert me["health"] == {"group": "II", "disability": False, "disability_category": None,
                            "disability_until": None, "ovz": True, "adapted_program": "АООП НОО, вариант 7.1"}
    assert me["education"]["class"] == "5А" and me["education"]["study_form"] == "full_time"
    assert me["addresses"] == {"registration": "г. Барнаул, ул. Мира, 1", "residence": None}
    assert me["parents"][0]["last_name"] == "Ученикова"
    assert "адрес проживания" in me["missing"]
    assert world.b.student.id not in {s["id"] for s in doc["students"]}
    log = _logged()
    assert len(log) == 1 and log[0].action == "export" and log[0].row_count == 3
    assert log[0].user_id == world.a.admin.user_id and log[0].org_id == a.org.id

    xml = admin.get("/contingent/export?format=xml")
    root = ET.fromstring(xml.get_data())
    assert root.tag == "contingent" and root.get("version") == "1.0"
    assert [s.findtext("last_name") for s in root.find("students")] == names
    assert root.find("students/student/health/ovz") is not None
    assert len(_logged()) == 2

    bad = admin.get("/contingent/export?format=csv", follow_redirects=True)
    assert "Формат «csv» не поддерживается" in flashes(bad) and len(_logged()) == 2


def test_the_export_is_the_administrators_and_set_based(world):
    with pytest.raises(PermissionDenied):
        contingent.export(actor_of(world.a.logins["deputy"]), "json")
    for name in ("Андреев", "Борисов", "Васильев", "Григорьев", "Дмитриев", "Егоров", "Жуков", "Зайцев",
                 "Ильин", "Козлов"):
        make_student(world.a.org, world.a.klass, name, "Иван")
    with count_queries() as counted:
        content, name = contingent.export(actor_of(world.a.logins["admin"]), "json")
    assert len(json.loads(content)["students"]) == 13 and name.endswith(".json")
    assert len(counted) <= 8, counted


def test_the_cli_exports_one_organization_to_a_file(world, app, tmp_path):
    out = tmp_path / "b.xml"
    result = app.test_cli_runner().invoke(args=["contingent", "export", "--org", str(world.b.org.id),
                                                "--format", "xml", "-o", str(out)])
    assert result.exit_code == 0, result.output
    root = ET.fromstring(out.read_bytes())
    ids = {int(s.findtext("id")) for s in root.find("students")}
    assert world.b.student.id in ids and world.a.student.id not in ids
    result = app.test_cli_runner().invoke(args=["contingent", "export", "--org", "999999"])
    assert result.exit_code != 0 and "не найдена" in result.output


def test_the_demo_leaves_some_cards_incomplete(ctx):
    create_demo(students_per_class=4)
    studying = db.session.scalars(select(Student).where(Student.status == "studying")).all()
    complete = [s for s in studying if not contingent.gaps(s, TODAY)]
    assert complete and len(complete) < len(studying)
    assert any(s.ovz == "yes" and s.adapted_program for s in studying)
    assert any(s.citizenship == "foreign" and s.citizenship_country for s in studying)


# -- the migration ---------------------------------------------------------------------------------------------

@pytest.mark.real_commits
def test_the_upgrade_keeps_existing_students_and_adds_empty_columns(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'released.db'}", "TESTING": True,
                      "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(revision="0016_deadline_rules")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO organization (id, kind, full_name, short_name, timezone, "
                              "rounding_threshold) VALUES (1, 'school', 'МБОУ СОШ № 1', 'СОШ № 1', "
                              "'Europe/Moscow', 0.5)"))
            conn.execute(text(
                "INSERT INTO student (id, org_id, last_name, first_name, sex, birth_date, personal_file_number, snils, "
                "address, enrollment_order_number, enrollment_order_date, status, created_at, version) VALUES "
                "(1, 1, 'Старый', 'Иван', 'm', '2015-03-01', 'Л-1', '112-233-445 95', 'г. Тест', '1-у', "
                "'2022-08-28', 'graduated', '2022-08-28 10:00:00', 1)"))
        upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT last_name, address, citizenship, health_group, previous_doc_date, "
                                    "version FROM student")).one()
        assert tuple(row) == ("Старый", "г. Тест", None, None, None, 1)
        db.session.remove()
        downgrade(revision="0016_deadline_rules")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT last_name, address FROM student")).one() == ("Старый", "г. Тест")
        db.session.remove()
        db.engine.dispose()


def test_the_page_costs_the_same_statements_for_a_bigger_school(world, browser):
    deputy = open_browser(browser, "a.deputy")
    deputy.get("/contingent/")
    with count_queries() as few:
        assert deputy.get("/contingent/").status_code == 200
    for name in ("Андреев", "Борисов", "Васильев", "Григорьев", "Дмитриев", "Егоров"):
        make_student(world.a.org, world.a.other_class, name, "Иван")
    with count_queries() as many:
        page = deputy.get("/contingent/")
    assert "Егоров" in page.get_data(as_text=True)
    assert len(many) == len(few), (len(few), len(many))
