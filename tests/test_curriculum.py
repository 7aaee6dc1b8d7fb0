"""The curriculum (учебный план): the maximum load, the grid, the copy actions, subjects, who may
edit it, and that one organization's deputy never reaches another's."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import AcademicYear, Curriculum, CurriculumLine, Organization, Subject, db
from services.planning import curriculum as curricula
from services.errors import DomainError, PermissionDenied
from tests.factories import actor_of, make_class, pl_curriculum, pl_subject


@pytest.fixture
def plan5(world):
    a = world.a
    math, russian, english = (pl_subject(a.org, n) for n in ("Математика", "Русский язык", "Английский язык"))
    plan = pl_curriculum(a.org, a.year, 5, [(math, 5), (russian, 4)], max_hours=10)
    db.session.commit()
    return plan, math, russian, english


def line_count(plan_id):
    return db.session.scalar(select(func.count(CurriculumLine.id)).where(CurriculumLine.curriculum_id == plan_id))


def hours_of(plan_id):
    return sorted((line.subject.name, line.hours_per_week) for line in db.session.scalars(
        select(CurriculumLine).where(CurriculumLine.curriculum_id == plan_id)))


# -- the maximum load -----------------------------------------------------------------------

def test_a_line_over_the_maximum_is_refused_naming_total_and_maximum(world, plan5):
    plan, math, russian, english = plan5
    before = hours_of(plan.id)
    with pytest.raises(DomainError) as err:
        curricula.save_lines(actor_of("a.deputy"), plan, [
            curricula.LineInput(subject_id=english.id, component="federal", hours_per_week="3")])
    assert "12 ч" in str(err.value) and "10 ч" in str(err.value)
    db.session.expire_all()
    assert hours_of(plan.id) == before


def test_within_the_maximum_the_grid_saves_all_rows_at_once(world, plan5):
    plan, math, russian, english = plan5
    math_line = next(line for line in plan.lines if line.subject_id == math.id)
    curricula.save_lines(actor_of("a.deputy"), plan, [
        curricula.LineInput(id=math_line.id, hours_per_week="4"),
        curricula.LineInput(subject_id=english.id, component="school", hours_per_week="2")])
    db.session.expire_all()
    assert hours_of(plan.id) == [("Английский язык", Decimal("2.0")), ("Математика", Decimal("4.0")),
                                 ("Русский язык", Decimal("4.0"))]


def test_one_bad_row_of_the_grid_changes_nothing(world, plan5):
    plan, math, russian, english = plan5
    math_line = next(line for line in plan.lines if line.subject_id == math.id)
    with pytest.raises(DomainError) as err:
        curricula.save_lines(actor_of("a.deputy"), plan, [
            curricula.LineInput(id=math_line.id, hours_per_week="1"),
            curricula.LineInput(subject_id=english.id, hours_per_week="три")])
    assert "Английский язык" in str(err.value) and "не число часов" in str(err.value)
    db.session.expire_all()
    assert hours_of(plan.id) == [("Математика", Decimal("5.0")), ("Русский язык", Decimal("4.0"))]


def test_lowering_the_maximum_below_the_total_is_refused_through_the_form(world, browser, plan5):
    plan = plan5[0]
    b = browser()
    b.login("a.deputy")
    page = b.post(f"/curricula/edit/?id={plan.id}", data={
        "year": plan.year_id, "grade": "5", "profile": "", "max_hours": "8", "weeks": "34", "_version": plan.version},
        follow_redirects=True).get_data(as_text=True)
    assert "Недельная нагрузка 5 класса — 9 ч, больше максимально допустимой 8 ч" in page
    db.session.expire_all()
    assert db.session.get(Curriculum, plan.id).max_hours == Decimal("10.0")


def test_the_deputy_adds_a_line_over_the_maximum_through_the_page_and_is_refused(world, browser, plan5):
    plan, math, russian, english = plan5
    b = browser()
    b.login("a.deputy")
    page = b.post(f"/curricula/lines/?id={plan.id}", data={
        "id": plan.id, "do": "save", "version": plan.version, "new-0-subject": english.id, "new-0-component": "federal",
        "new-0-hours": "3"}, follow_redirects=True).get_data(as_text=True)
    assert "Недельная нагрузка 5 класса — 12 ч, больше максимально допустимой 10 ч" in page
    assert line_count(plan.id) == 2
    page = b.post(f"/curricula/lines/?id={plan.id}", data={
        "id": plan.id, "do": "save", "version": plan.version, "new-0-subject": english.id, "new-0-component": "federal",
        "new-0-hours": "1"}, follow_redirects=True).get_data(as_text=True)
    assert "Учебный план сохранён" in page
    assert line_count(plan.id) == 3


def test_a_school_plan_gets_the_sanpin_maximum_when_none_is_given(world):
    plan = pl_curriculum(world.a.org, world.a.year, 9, [])
    assert plan.max_hours == Decimal(33)


def test_the_same_grade_and_profile_twice_in_a_year_is_refused(world, plan5):
    with pytest.raises(DomainError, match="уже есть"):
        pl_curriculum(world.a.org, world.a.year, 5, [])
    db.session.rollback()
    assert pl_curriculum(world.a.org, world.a.year, 5, [], profile="Лингвистический").profile == "Лингвистический"


def test_a_college_counts_hours_per_semester_against_its_maximum(world):
    a = world.a
    org = db.session.get(Organization, a.org.id)
    org.kind = "college"
    db.session.commit()
    math = pl_subject(org, "Математика", kind="discipline")
    plan = Curriculum(org_id=org.id, year_id=a.year.id, grade=1, max_hours=Decimal(100))
    plan.lines.append(CurriculumLine(org_id=org.id, subject_id=math.id, period1_hours=Decimal(60),
                                     period2_hours=Decimal(120)))
    db.session.add(plan)
    with pytest.raises(DomainError, match="за 2 семестр — 120 ч, больше максимально допустимой 100 ч"):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count(Curriculum.id))) == 0


# -- copying ---------------------------------------------------------------------------------

def test_copying_from_another_grade_level_adds_only_missing_lines(world, browser, plan5):
    plan, math, russian, english = plan5
    a = world.a
    target = pl_curriculum(a.org, a.year, 6, [(math, 6)], max_hours=30)
    db.session.commit()
    b = browser()
    b.login("a.deputy")
    for expected in ("Скопировано строк: 1", "ничего не добавлено"):
        page = b.post(f"/curricula/lines/?id={target.id}", data={"id": target.id, "do": "copy",
                                                                  "source_id": plan.id},
                      follow_redirects=True).get_data(as_text=True)
        assert expected in page
    db.session.expire_all()
    # Математика keeps the target's own 6 hours; Русский язык comes from the 5th grade.
    assert hours_of(target.id) == [("Математика", Decimal("6.0")), ("Русский язык", Decimal("4.0"))]


def test_copying_into_the_next_year_twice_makes_one_plan_without_duplicate_lines(world, browser, plan5):
    plan = plan5[0]
    a = world.a
    db.session.add(AcademicYear(org_id=a.org.id, name="2027/2028", start_date=date(2027, 9, 1),
                                end_date=date(2028, 6, 30)))
    db.session.commit()
    b = browser()
    b.login("a.deputy")
    page = b.post("/curricula/action/", data={"action": "copy", "rowid": plan.id, "url": "/curricula/"},
                  follow_redirects=True).get_data(as_text=True)
    assert "Создано учебных планов: 1, добавлено строк: 2" in page
    page = b.post("/curricula/action/", data={"action": "copy", "rowid": plan.id, "url": "/curricula/"},
                  follow_redirects=True).get_data(as_text=True)
    assert "Создано учебных планов: 0, добавлено строк: 0" in page
    copies = db.session.scalars(select(Curriculum).where(Curriculum.id != plan.id)).all()
    assert len(copies) == 1 and copies[0].grade == 5 and copies[0].max_hours == Decimal("10.0")
    assert hours_of(copies[0].id) == hours_of(plan.id)


def test_copying_into_a_missing_next_year_is_refused(world, plan5):
    with pytest.raises(DomainError, match="Нет учебного года после 2026/2027"):
        curricula.copy_to_next_year(actor_of("a.deputy"), [plan5[0].id])
    assert db.session.scalar(select(func.count(Curriculum.id))) == 1


# -- who may edit ------------------------------------------------------------------------------

def test_only_planning_roles_open_the_curriculum(world, browser, plan5):
    plan, _, _, english = plan5
    for login in ("a.teacher", "a.class_teacher", "a.hr", "a.student", "a.parent"):
        b = browser()
        b.login(login)
        assert b.get("/curricula/").status_code == 403, login
        assert b.get(f"/curricula/lines/?id={plan.id}").status_code == 403, login
        resp = b.post(f"/curricula/lines/?id={plan.id}", data={"id": plan.id, "new-0-subject": english.id,
                                                               "new-0-hours": "1"})
        assert resp.status_code == 403, login
        assert line_count(plan.id) == 2


def test_the_director_reads_the_curriculum_but_cannot_change_it(world, browser, plan5):
    plan, _, _, english = plan5
    b = browser()
    b.login("a.director")
    page = b.get(f"/curricula/lines/?id={plan.id}")
    assert page.status_code == 200 and "Математика" in page.get_data(as_text=True)
    resp = b.post(f"/curricula/lines/?id={plan.id}", data={"id": plan.id, "new-0-subject": english.id,
                                                           "new-0-hours": "1"})
    assert resp.status_code == 403
    assert line_count(plan.id) == 2
    with pytest.raises(PermissionDenied):
        curricula.save_lines(actor_of("a.director"), plan, [])


def test_the_administrator_edits_the_curriculum_too(world, plan5):
    plan, _, _, english = plan5
    curricula.save_lines(actor_of("a.admin"), plan, [curricula.LineInput(subject_id=english.id,
                                                                         hours_per_week="1")])
    assert line_count(plan.id) == 3


def test_another_organizations_deputy_neither_sees_nor_changes_the_curriculum(world, browser, plan5):
    plan, _, _, english = plan5
    b_plan = pl_curriculum(world.b.org, world.b.year, 5, [], max_hours=30)
    db.session.commit()
    b = browser()
    b.login("b.deputy")
    listing = b.get("/curricula/").get_data(as_text=True)
    assert f"lines/?id={b_plan.id}" in listing and f"lines/?id={plan.id}" not in listing
    assert b.get(f"/curricula/lines/?id={plan.id}").status_code == 404
    assert b.get(f"/curricula/edit/?id={plan.id}").status_code == 404
    assert b.post(f"/curricula/lines/?id={plan.id}", data={"id": plan.id, "new-0-subject": english.id,
                                                           "new-0-hours": "1"}).status_code == 404
    # Nor can he copy a's plan into his own.
    b.post(f"/curricula/lines/?id={b_plan.id}", data={"id": b_plan.id, "do": "copy", "source_id": plan.id})
    assert line_count(b_plan.id) == 0 and line_count(plan.id) == 2
    with pytest.raises(PermissionDenied):
        curricula.copy_lines(actor_of("b.deputy"), plan, b_plan)
    # A subject of organization a cannot be put into b's plan.
    with pytest.raises(DomainError):
        curricula.save_lines(actor_of("b.deputy"), b_plan, [curricula.LineInput(subject_id=english.id,
                                                                                hours_per_week="1")])
    assert line_count(b_plan.id) == 0


# -- which curriculum a class follows -----------------------------------------------------------

def test_a_class_follows_the_curriculum_of_its_profile_else_the_general_one(world, plan5):
    a = world.a
    plan, math = plan5[0], plan5[1]
    ling = pl_curriculum(a.org, a.year, 5, [(math, 6)], max_hours=30, profile="Лингвистический")
    profiled = make_class(a.org, a.year, "5Л", 5)
    profiled.profile = "лингвистический"
    db.session.flush()
    index = curricula.CurriculumIndex.for_years([a.year.id])
    assert index.for_class(a.klass).id == plan.id
    assert index.for_class(profiled).id == ling.id
    assert index.subject_hours(profiled, math.id).weekly == Decimal(6)
    assert index.subject_hours(profiled, math.id).annual == Decimal(6 * 34)


# -- subjects ----------------------------------------------------------------------------------

def test_a_school_subject_is_always_a_subject(world):
    with pytest.raises(DomainError, match="В школе тип"):
        pl_subject(world.a.org, "Технология машиностроения", kind="mdk")


def test_a_college_mdk_belongs_to_a_professional_module(world):
    org = db.session.get(Organization, world.a.org.id)
    org.kind = "college"
    db.session.flush()
    module = pl_subject(org, "ПМ.01 Разработка", kind="module")
    discipline = pl_subject(org, "Инженерная графика", kind="discipline")
    assert pl_subject(org, "МДК.01.01 Технология", kind="mdk", module_id=module.id).module_id == module.id
    with pytest.raises(DomainError, match="не профессиональный модуль"):
        pl_subject(org, "МДК.01.02 Что-то", kind="mdk", module_id=discipline.id)


def test_subjects_are_edited_by_the_deputy_and_not_by_a_teacher(world, browser):
    b = browser()
    b.login("a.teacher")
    assert b.get("/subjects/").status_code == 200
    assert b.post("/subjects/new/", data={"name": "Астрономия", "grading": "marks"}).status_code == 403
    b = browser()
    b.login("a.deputy")
    b.post("/subjects/new/", data={"name": "Астрономия", "grading": "marks", "sort_order": "1"})
    made = db.session.scalars(select(Subject).where(Subject.name == "Астрономия")).all()
    assert [(s.org_id, s.kind) for s in made] == [(world.a.org.id, "subject")]
