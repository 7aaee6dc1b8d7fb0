"""The diary (issue 4): a student reads his own, a parent only his own children; the week and the
period views; refused attempts are logged; the query budget. Through the Flask test client."""
import re
from datetime import date, timedelta

from sqlalchemy import func, select

from models import AuditLog, Mark, db
from tests.factories import (jr_assignment, jr_attendance, jr_lessons, jr_mark, jr_period_mark, jr_subject,
                             jr_task, make_parent, make_student, tt_bells)
from tests.querycount import count_queries
from tests.factories import tt_subgroup
from models import SubgroupMember

MONDAY = date(2026, 11, 9)


def lessons_of(world, name, days, teacher=None, subgroup=None, number=2, **extra):
    a = world.a
    subject = jr_subject(a.org, name)
    assignment = jr_assignment(a.org, a.year, a.klass, teacher or a.teacher, subject, subgroup)
    return subject, assignment, jr_lessons(assignment, a.period, days, number=number, **extra)


def week_url(student, day=MONDAY):
    return f"/diary/{student.id}/?week={day.isoformat()}"


def refusals():
    return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "denied"))


def test_student_reads_his_week(world, browser):
    a = world.a
    tt_bells(a.org)
    _, _, (mon, wed) = lessons_of(world, "Математика", [MONDAY, MONDAY + timedelta(days=2)])
    mon.topic, mon.homework, mon.homework_due_lesson_id = "Дроби", "№ 5 и 6", wed.id
    test = jr_task(mon, "Контрольная работа", topic="Сложение дробей")
    jr_mark(test, a.student, "5", comment="Отлично")
    jr_mark(test, a.classmate, "2")
    jr_attendance(wed, a.student, "б")
    _, _, (cancelled,) = lessons_of(world, "Музыка", [MONDAY + timedelta(days=1)], is_cancelled=True)
    db.session.commit()
    b = browser()
    b.login("a.student")
    assert b.get("/diary/").headers["Location"].endswith(f"/diary/{a.student.id}/")
    html = b.get(week_url(a.student)).get_data(as_text=True)
    assert "Понедельник, 9 ноября" in html and "Среда, 11 ноября" in html
    assert "Математика" in html and "Тема:</span> Дроби" in html
    assert "Задано к 11.11:</span> № 5 и 6" in html
    assert "Д/з на этот урок (задано 09.11):</span> № 5 и 6" in html
    assert re.search(r'class="dl-mark mark-5" title="Контрольная работа, вес 3: Отлично">5<', html)
    assert "5 — Контрольная работа, вес 3 (Сложение дробей)" in html
    assert 'class="dl-att" title="Болел">б<' in html
    assert "Урок отменён" in html and "Музыка" in html
    assert "09:20–10:00" in html  # lesson 2 of the bell schedule
    assert "mark-2" not in html  # a classmate's mark is not his


def test_week_navigation(world, browser):
    a = world.a
    lessons_of(world, "Математика", [MONDAY + timedelta(days=7)])
    db.session.commit()
    b = browser()
    b.login("a.student")
    html = b.get(week_url(a.student, MONDAY + timedelta(days=3))).get_data(as_text=True)
    assert "9 ноября — 14 ноября" in html
    assert f"week={(MONDAY + timedelta(days=7)).isoformat()}" in html
    assert f"week={(MONDAY - timedelta(days=7)).isoformat()}" in html
    assert "Уроков нет" in html
    assert "Математика" in b.get(week_url(a.student, MONDAY + timedelta(days=7))).get_data(as_text=True)


def test_parent_chooses_among_his_own_children_only(world, browser):
    a = world.a
    sister = make_student(a.org, a.other_class, "Ученикова", "Анна", birth=date(2013, 1, 1))
    a.parent.children.append(sister)
    db.session.commit()
    b = browser()
    b.login("a.parent")
    page = b.get("/diary/").get_data(as_text=True)
    assert f"/diary/{a.student.id}/" in page and f"/diary/{sister.id}/" in page
    assert f"/diary/{a.stranger.id}/" not in page and "Чужов" not in page
    week = b.get(week_url(sister)).get_data(as_text=True)
    assert "Анна Ученикова" in week and f'<option value="{a.student.id}"' in week
    assert b.get(f"/diary/?student={sister.id}").headers["Location"].endswith(f"/diary/{sister.id}/")


def test_another_childs_diary_is_refused_and_logged(world, browser):
    a = world.a
    b = browser()
    b.login("a.parent")
    before = refusals()
    for url in (week_url(a.stranger), f"/diary/{a.classmate.id}/period/", f"/diary/?student={a.stranger.id}",
                week_url(world.b.student)):
        assert b.get(url).status_code == 404, url
    assert refusals() == before + 4
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "denied").order_by(AuditLog.id))
    assert row.user_id == a.parent.user_id and row.entity == "student" and row.entity_id == a.stranger.id
    assert "дневник" in row.summary
    student = browser()
    student.login("a.student")
    assert student.get(week_url(a.classmate)).status_code == 404
    assert refusals() == before + 5


def test_staff_have_no_diary(world, browser):
    for login in ("a.teacher", "a.class_teacher", "a.admin"):
        b = browser()
        b.login(login)
        assert b.get("/diary/").status_code == 403, login
        assert b.get(week_url(world.a.student)).status_code == 403, login


def test_only_the_students_subgroup_lessons(world, browser):
    a = world.a
    english = jr_subject(a.org, "Английский язык")
    g1 = tt_subgroup(a.org, a.year, a.klass, english, "1 группа")
    g2 = tt_subgroup(a.org, a.year, a.klass, english, "2 группа")
    one = jr_assignment(a.org, a.year, a.klass, a.teacher, english, g1)
    two = jr_assignment(a.org, a.year, a.klass, a.deputy, english, g2)
    jr_lessons(one, a.period, [MONDAY], number=3, topic="Тема первой группы")
    jr_lessons(two, a.period, [MONDAY], number=4, topic="Тема второй группы")
    db.session.add_all([SubgroupMember(subgroup_id=g1.id, student_id=a.student.id, period_id=a.period.id,
                                       subject_id=english.id),
                        SubgroupMember(subgroup_id=g2.id, student_id=a.classmate.id, period_id=a.period.id,
                                       subject_id=english.id)])
    db.session.commit()
    b = browser()
    b.login("a.student")
    html = b.get(week_url(a.student)).get_data(as_text=True)
    assert "Тема первой группы" in html and "Тема второй группы" not in html


def test_period_view_with_averages_and_period_marks(world, browser):
    a = world.a
    math, _, (l1, l2) = lessons_of(world, "Математика", [MONDAY, MONDAY + timedelta(days=2)])
    jr_mark(jr_task(l1), a.student, "5")
    jr_mark(jr_task(l2, "Контрольная работа"), a.student, "4")
    jr_attendance(l2, a.student, "н")
    jr_period_mark(a.student, math, a.period, "4")
    lessons_of(world, "История", [MONDAY])
    db.session.commit()
    b = browser()
    b.login("a.parent")
    html = b.get(f"/diary/{a.student.id}/period/").get_data(as_text=True)
    assert "Математика" in html and "История" in html
    assert "ср. <b>4,25</b>" in html  # (5·1 + 4·3) / 4
    assert '<span class="dp-final" title="Отметка за период"><b>4</b>' in html
    assert "проп. 1" in html
    assert "2 четверть" in html


def test_diary_week_costs_at_most_ten_statements_whatever_the_size(world, browser):
    a = world.a
    tt_bells(a.org)
    counts = []
    for subjects in (1, 8):
        for n in range(subjects):
            days = [MONDAY + timedelta(days=d) for d in range(5)]
            _, _, lessons = lessons_of(world, f"Предмет {'абвгдежзиклм'[n]}{subjects}", days, number=n % 7 + 1,
                                       homework="Упражнение")
            for lesson in lessons:
                for kind in ("Ответ на уроке", "Контрольная работа"):
                    jr_mark(jr_task(lesson, kind), a.student, "4")
                jr_attendance(lesson, a.student, "оп")
        db.session.commit()
        b = browser()
        b.login("a.parent")
        url = week_url(a.student)
        with count_queries() as statements:
            resp = b.get(url)
        assert resp.status_code == 200
        counts.append(len(statements))
        if subjects == 8:
            assert resp.get_data(as_text=True).count('class="dl-mark') >= 8 * 5 * 2
        db.session.execute(Mark.__table__.delete())
    assert counts[1] <= 10, counts  # the lessons' files and materials: a statement each only when a lesson has them
    assert counts[0] == counts[1]


def test_a_parent_of_children_in_two_classes_gets_each_ones_lessons(world, browser):
    a = world.a
    younger = make_student(a.org, a.other_class, "Ученикова", "Вера", birth=date(2014, 4, 4))
    make_parent(a.org, [a.student, younger], "Учеников", "Олег", login="a.father")
    lessons_of(world, "Математика", [MONDAY])
    subject = jr_subject(a.org, "Физика")
    physics = jr_assignment(a.org, a.year, a.other_class, a.teacher, subject)
    jr_lessons(physics, a.period, [MONDAY])
    db.session.commit()
    b = browser()
    b.login("a.father")
    first = b.get(week_url(a.student)).get_data(as_text=True)
    second = b.get(week_url(younger)).get_data(as_text=True)
    assert "Математика" in first and "Физика" not in first
    assert "Физика" in second and "Математика" not in second
