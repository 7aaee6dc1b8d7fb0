"""Subgroups: every student in exactly one subgroup of the subject per period, who may split
which class, copying the previous period's split, and the page that does it."""
from datetime import date

import pytest
from sqlalchemy import func, select

from models import Period, Subgroup, SubgroupMember, db
from services.planning import subjects as planning
from services.errors import DomainError, PermissionDenied
from tests.factories import actor_of, make_staff, pl_assignment, pl_curriculum, pl_subject


@pytest.fixture
def split(world):
    """5А's English taught by a.teacher, two subgroups, and a first quarter before a.period."""
    a = world.a
    english = pl_subject(a.org, "Английский язык")
    pl_curriculum(a.org, a.year, 5, [(english, 3)], max_hours=29)
    pl_assignment(a.org, a.klass, english, a.teacher)
    q1 = Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=1, name="1 четверть",
                start_date=date(2026, 9, 1), end_date=date(2026, 10, 24))
    db.session.add(q1)
    db.session.commit()
    groups = planning.create_subgroups(actor_of("a.deputy"), a.klass, english, 2)
    return english, q1, groups


def members(period):
    return dict(db.session.execute(select(SubgroupMember.student_id, SubgroupMember.subgroup_id)
                                   .where(SubgroupMember.period_id == period.id)).all())


def test_every_student_in_one_subgroup_is_saved(world, split):
    english, q1, (g1, g2) = split
    a = world.a
    planning.save_split(actor_of("a.class_teacher"), a.klass, english, a.period,
                        {a.student.id: [g1.id], a.classmate.id: [g2.id]})
    assert members(a.period) == {a.student.id: g1.id, a.classmate.id: g2.id}
    # Saving again replaces, never adds.
    planning.save_split(actor_of("a.class_teacher"), a.klass, english, a.period,
                        {a.student.id: [g2.id], a.classmate.id: [g2.id]})
    assert members(a.period) == {a.student.id: g2.id, a.classmate.id: g2.id}


def test_a_student_left_out_is_named_and_nothing_is_saved(world, split):
    english, q1, (g1, g2) = split
    a = world.a
    with pytest.raises(DomainError) as err:
        planning.save_split(actor_of("a.teacher"), a.klass, english, a.period, {a.student.id: [g1.id]})
    assert "не распределены: Соседов Семён Иванович" in str(err.value)
    assert members(a.period) == {}


def test_a_student_in_two_subgroups_is_named_and_nothing_is_saved(world, split):
    english, q1, (g1, g2) = split
    a = world.a
    planning.save_split(actor_of("a.teacher"), a.klass, english, a.period,
                        {a.student.id: [g1.id], a.classmate.id: [g2.id]})
    with pytest.raises(DomainError) as err:
        planning.save_split(actor_of("a.teacher"), a.klass, english, a.period,
                            {a.student.id: [g1.id, g2.id], a.classmate.id: [g1.id]})
    assert "записаны в несколько подгрупп: Учеников Пётр Иванович (1 группа, 2 группа)" in str(err.value)
    assert members(a.period) == {a.student.id: g1.id, a.classmate.id: g2.id}


def test_a_subgroup_of_another_subject_is_refused(world, split):
    english, q1, (g1, g2) = split
    a = world.a
    german = pl_subject(a.org, "Немецкий язык")
    db.session.commit()
    other = Subgroup(org_id=a.org.id, year_id=a.year.id, class_id=a.klass.id, subject_id=german.id, name="1 группа")
    db.session.add(other)
    db.session.commit()
    with pytest.raises(DomainError, match="выбрана подгруппа другого класса или предмета: Учеников"):
        planning.save_split(actor_of("a.deputy"), a.klass, english, a.period,
                            {a.student.id: [other.id], a.classmate.id: [g2.id]})
    assert members(a.period) == {}


WHO_MAY_SPLIT = [
    ("a.class_teacher", True),   # his class
    ("a.teacher", True),         # his subject in this class
    ("a.deputy", True), ("a.admin", True),
    ("a.director", False), ("a.hr", False), ("b.deputy", False), ("other.teacher", False),
]


def test_who_may_split_the_class(world, split):
    english, q1, (g1, g2) = split
    a = world.a
    make_staff(a.org, "Другов", "Олег", ["teacher"], "other.teacher")
    db.session.commit()
    choice = {a.student.id: [g1.id], a.classmate.id: [g2.id]}
    for login, allowed in WHO_MAY_SPLIT:
        actor = actor_of(login)
        assert planning.can_split(actor, a.klass, english) is allowed, login
        if allowed:
            planning.save_split(actor, a.klass, english, a.period, choice)
            assert len(members(a.period)) == 2, login
            db.session.execute(SubgroupMember.__table__.delete())
            db.session.commit()
        else:
            with pytest.raises(PermissionDenied):
                planning.save_split(actor, a.klass, english, a.period, choice)
            assert members(a.period) == {}, login


def test_a_subject_teacher_does_not_split_a_class_he_does_not_teach(world, split):
    english = split[0]
    a = world.a
    assert not planning.can_split(actor_of("a.teacher"), a.other_class, english)
    assert not planning.can_split(actor_of("a.class_teacher"), a.other_class, english)
    with pytest.raises(PermissionDenied):
        planning.create_subgroups(actor_of("a.teacher"), a.other_class, english, 2)


def test_creating_subgroups_twice_adds_none(world, split):
    english = split[0]
    again = planning.create_subgroups(actor_of("a.teacher"), world.a.klass, english, 2)
    assert again == []
    assert db.session.scalar(select(func.count(Subgroup.id))) == 2


def test_copying_the_previous_period_twice_gives_the_same_split(world, split):
    english, q1, (g1, g2) = split
    a = world.a
    actor = actor_of("a.class_teacher")
    planning.save_split(actor, a.klass, english, q1, {a.student.id: [g2.id], a.classmate.id: [g1.id]})
    for _ in range(2):
        planning.copy_previous_split(actor, a.klass, english, a.period)
        assert members(a.period) == {a.student.id: g2.id, a.classmate.id: g1.id}
    assert db.session.scalar(select(func.count(SubgroupMember.id))) == 4


def test_copying_when_the_previous_period_has_no_split_is_refused(world, split):
    english = split[0]
    with pytest.raises(DomainError, match="В периоде «1 четверть» 5А не был разделён"):
        planning.copy_previous_split(actor_of("a.deputy"), world.a.klass, english, world.a.period)


def test_a_closed_period_is_not_redrawn(world, split):
    english, q1, (g1, g2) = split
    q1.is_closed = True
    db.session.commit()
    with pytest.raises(DomainError, match="закрыт"):
        planning.save_split(actor_of("a.deputy"), world.a.klass, english, q1,
                            {world.a.student.id: [g1.id], world.a.classmate.id: [g2.id]})


# -- the page ----------------------------------------------------------------------------------

def page_url(world, english, period):
    return (f"/subgroups/?year_id={world.a.year.id}&class_id={world.a.klass.id}&subject_id={english.id}"
            f"&period_id={period.id}")


def test_the_class_teacher_splits_on_the_page(world, browser, split):
    english, q1, (g1, g2) = split
    a = world.a
    b = browser()
    b.login("a.class_teacher")
    page = b.get("/subgroups/").get_data(as_text=True)
    assert f'value="{a.klass.id}:{english.id}"' in page
    url = page_url(world, english, a.period)
    page = b.get(url).get_data(as_text=True)
    assert "Учеников Пётр Иванович" in page and "1 группа" in page
    page = b.post(url, data={"do": "save", f"member-{a.student.id}": g1.id,
                             f"member-{a.classmate.id}": g2.id}, follow_redirects=True).get_data(as_text=True)
    assert "Деление на подгруппы сохранено" in page
    assert members(a.period) == {a.student.id: g1.id, a.classmate.id: g2.id}


def test_a_doubled_student_in_a_direct_post_is_refused_with_his_name(world, browser, split):
    english, q1, (g1, g2) = split
    a = world.a
    b = browser()
    b.login("a.teacher")
    resp = b.post(page_url(world, english, a.period), data={
        "do": "save", f"member-{a.student.id}": [g1.id, g2.id], f"member-{a.classmate.id}": g2.id},
        follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "записаны в несколько подгрупп: Учеников Пётр Иванович" in page
    assert members(a.period) == {}


def test_the_page_refuses_those_who_may_not_split(world, browser, split):
    english, q1, (g1, g2) = split
    a = world.a
    make_staff(a.org, "Другов", "Олег", ["teacher"], "other.teacher")
    db.session.commit()
    for login in ("b.deputy", "a.director", "other.teacher"):
        b = browser()
        b.login(login)
        resp = b.post(page_url(world, english, a.period), data={
            "do": "save", f"member-{a.student.id}": g1.id, f"member-{a.classmate.id}": g2.id})
        assert resp.status_code in (403, 404), login
        assert members(a.period) == {}, login
