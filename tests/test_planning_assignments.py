"""Teaching assignments: no duplicates (a missing subgroup included), hours prefilled from and
checked against the curriculum, who sees which assignments."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import TeachingAssignment, db
from services.errors import DomainError
from tests.factories import (make_staff, pl_assignment, pl_curriculum, pl_subject, tt_subgroup)
from tests.querycount import count_queries


@pytest.fixture
def english(world):
    a = world.a
    subject = pl_subject(a.org, "Английский язык")
    pl_curriculum(a.org, a.year, 5, [(subject, 3)], max_hours=29)
    db.session.commit()
    return subject


def count():
    return db.session.scalar(select(func.count(TeachingAssignment.id)))


def test_hours_are_prefilled_from_the_curriculum(world, english):
    assignment = pl_assignment(world.a.org, world.a.klass, english, world.a.teacher)
    assert assignment.hours_per_week == Decimal(3)
    assert assignment.hours_total == Decimal(3 * 34)
    assert assignment.year_id == world.a.year.id


def test_more_hours_than_the_curriculum_gives_are_refused(world, english):
    with pytest.raises(DomainError, match="по учебному плану 3 ч в неделю, а с этой нагрузкой — 4"):
        pl_assignment(world.a.org, world.a.klass, english, world.a.teacher, hours=Decimal(4))
    db.session.rollback()
    assert count() == 0


def test_two_teachers_share_the_plan_hours_and_not_more(world, english):
    a = world.a
    pl_assignment(a.org, a.klass, english, a.teacher, hours=Decimal(2))
    second = pl_assignment(a.org, a.klass, english, a.deputy)
    assert second.hours_per_week == Decimal(1)  # the remainder
    db.session.commit()
    with pytest.raises(DomainError, match="а с этой нагрузкой — 4"):
        pl_assignment(a.org, a.klass, english, a.class_teacher, hours=Decimal(1))


def test_a_subject_missing_from_the_class_curriculum_is_refused(world, english):
    chemistry = pl_subject(world.a.org, "Химия")
    with pytest.raises(DomainError, match="Предмета «Химия» нет в учебном плане: 5 класс"):
        pl_assignment(world.a.org, world.a.klass, chemistry, world.a.teacher)


def test_no_duplicate_assignment_even_without_a_subgroup(world, english):
    a = world.a
    pl_assignment(a.org, a.klass, english, a.teacher, hours=Decimal(1))
    db.session.commit()
    with pytest.raises(DomainError, match="Такая нагрузка уже есть: Учителев Т. П. — 5А, Английский язык"):
        pl_assignment(a.org, a.klass, english, a.teacher, hours=Decimal(1))
    db.session.rollback()
    assert count() == 1


def test_each_subgroup_gets_the_full_hours_once(world, english):
    a = world.a
    g1 = tt_subgroup(a.org, a.year, a.klass, english, "1 группа")
    g2 = tt_subgroup(a.org, a.year, a.klass, english, "2 группа")
    assert pl_assignment(a.org, a.klass, english, a.teacher, subgroup=g1).hours_per_week == Decimal(3)
    assert pl_assignment(a.org, a.klass, english, a.deputy, subgroup=g2).hours_per_week == Decimal(3)
    db.session.commit()
    with pytest.raises(DomainError, match="Такая нагрузка уже есть"):
        pl_assignment(a.org, a.klass, english, a.teacher, subgroup=g1, hours=Decimal(1))


def test_a_subgroup_of_another_class_is_refused(world, english):
    a = world.a
    other = tt_subgroup(a.org, a.year, a.other_class, english, "1 группа")
    with pytest.raises(DomainError, match="относится к другому классу или предмету"):
        pl_assignment(a.org, a.klass, english, a.teacher, subgroup=other)


def test_only_teachers_get_a_teaching_load(world, english):
    with pytest.raises(DomainError, match="нет функции «Учитель»"):
        pl_assignment(world.a.org, world.a.klass, english, world.a.hr)


def test_the_deputy_assigns_through_the_form_and_the_hours_come_from_the_plan(world, browser, english):
    a = world.a
    b = browser()
    b.login("a.deputy")
    b.post("/assignments/new/", data={"klass": a.klass.id, "subject": english.id, "teacher": a.teacher.id})
    row = db.session.scalars(select(TeachingAssignment)).one()
    assert (row.org_id, row.hours_per_week, row.hours_total) == (a.org.id, Decimal(3), Decimal(102))
    page = b.post("/assignments/new/", data={"klass": a.klass.id, "subject": english.id,
                                             "teacher": a.teacher.id}, follow_redirects=True)
    assert "Такая нагрузка уже есть" in page.get_data(as_text=True)
    assert count() == 1


def test_others_cannot_create_or_change_assignments(world, browser, english):
    a = world.a
    assignment = pl_assignment(a.org, a.klass, english, a.teacher)
    db.session.commit()
    for login in ("a.teacher", "a.class_teacher", "a.director", "b.deputy"):
        b = browser()
        b.login(login)
        resp = b.post("/assignments/new/", data={"klass": a.klass.id, "subject": english.id,
                                                 "teacher": a.class_teacher.id})
        # b's deputy may create, but only from b's classes, subjects and teachers: the form refuses a's.
        assert resp.status_code == (200 if login == "b.deputy" else 403), login
        assert b.post(f"/assignments/edit/?id={assignment.id}", data={
            "klass": a.klass.id, "subject": english.id, "teacher": a.class_teacher.id}).status_code in (403, 404)
        db.session.expire_all()
        assert count() == 1 and db.session.get(TeachingAssignment, assignment.id).teacher_id == a.teacher.id


def test_a_teacher_sees_his_own_assignments_and_a_class_teacher_those_of_his_class(world, browser, english):
    a = world.a
    pl_curriculum(a.org, a.year, 6, [(english, 3)], max_hours=30)
    mine = pl_assignment(a.org, a.klass, english, a.teacher)
    other_class = pl_assignment(a.org, a.other_class, english, a.deputy)
    foreign = pl_assignment(world.b.org, world.b.klass, pl_subject(world.b.org, "Английский язык"),
                            world.b.teacher)
    db.session.commit()

    def visible(login):
        b = browser()
        b.login(login)
        page = b.get("/assignments/").get_data(as_text=True)
        return {x.id for x in (mine, other_class, foreign) if f"details/?id={x.id}&" in page}

    assert visible("a.teacher") == {mine.id}
    assert visible("a.class_teacher") == {mine.id}  # 5А is his class
    assert visible("a.deputy") == {mine.id, other_class.id}
    assert visible("a.director") == {mine.id, other_class.id}
    b = browser()
    b.login("a.teacher")
    assert b.get(f"/assignments/details/?id={other_class.id}").status_code == 404


def test_the_assignment_list_costs_the_same_for_many_rows(world, browser, english):
    a = world.a
    b = browser()
    b.login("a.deputy")
    pl_assignment(a.org, a.klass, english, a.teacher)
    db.session.commit()
    with count_queries() as few:
        assert b.get("/assignments/").status_code == 200
    teachers = [make_staff(a.org, "Новиков", f"Иван{'а' * i}", ["teacher"]) for i in range(4)]
    subjects = [pl_subject(a.org, f"Предмет {i}") for i in range(4)]
    pl_curriculum(a.org, a.year, 6, [(s, 1) for s in subjects], max_hours=30)
    for teacher, subject in zip(teachers, subjects):
        pl_assignment(a.org, a.other_class, subject, teacher)
    db.session.commit()
    with count_queries() as many:
        assert b.get("/assignments/").status_code == 200
    assert len(many) == len(few)
