"""Deadline control (SPEC §3 rule 5): each role's overdue and due-soon items, counted in working
days of the organization's calendar (04.11.2026 is a public holiday), gone once fixed; another
organization's items are never shown; the page costs the same whatever the size of the school."""
import json
from datetime import date, datetime

import pytest
from sqlalchemy import select

from models import Attendance, Holiday, Lesson, Period, SchoolClass, Student, db
from services.people import accounts
from services.control import deadlines as control
from services.journal import absences, grid_save, period_marks
from services.errors import DomainError, PermissionDenied
from tests.factories import (actor_of, fill_contingent, jr_attendance, jr_lessons, make_staff, make_student,
                             pl_curriculum, pl_subject, tt_assignment)
from tests.querycount import count_queries
from admin_views.control.views import link_of

MON, TUE, THU, FRI, NEXT_MON = (date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 5), date(2026, 11, 6),
                                date(2026, 11, 9))


@pytest.fixture
def ctl(world):
    """Organization A: the first quarter (to 04.11.2026), 5А and 6Б (with its own class teacher) taught
    mathematics by a.teacher; Monday 02.11's lessons without a topic, a student of each absent."""
    a = world.a
    a.q1 = Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=1, name="1 четверть",
                  start_date=date(2026, 9, 1), end_date=date(2026, 11, 4))
    db.session.add(a.q1)
    a.ct2 = make_staff(a.org, "Второва", "Вера", ["teacher"], "a.ct2", sex="f")
    db.session.get(SchoolClass, a.other_class.id).class_teacher_id = a.ct2.id
    a.math = pl_subject(a.org, "Математика")
    a.math_5a = tt_assignment(a.org, a.year, a.klass, a.teacher, a.math)
    a.math_6b = tt_assignment(a.org, a.year, a.other_class, a.teacher, a.math)
    a.lesson_5a = jr_lessons(a.math_5a, a.q1, [MON])[0]
    a.lesson_6b = jr_lessons(a.math_6b, a.q1, [MON])[0]
    a.absent = jr_attendance(a.lesson_5a, a.student)
    a.absent_6b = jr_attendance(a.lesson_6b, a.stranger)
    db.session.commit()
    return a


def section(login, key, today):
    result = control.control(actor_of(login), today)
    return next((s for s in result.sections if s.key == key), None)


def titles(login, key, today):
    found = section(login, key, today)
    return [i.title for i in found.items] if found is not None else None


def item(login, key, today, text):
    return next(i for i in section(login, key, today).items if text in i.title)


def test_absence_reasons_count_working_days_across_the_holiday_and_the_weekend(ctl):
    on_time = item("a.class_teacher", "absences", THU, "Учеников")
    assert on_time.due == THU and on_time.state == "soon"  # Tue 03.11, (Wed 04.11 off), Thu 05.11
    late = item("a.class_teacher", "absences", FRI, "Учеников")
    assert (late.state, late.late_days) == ("overdue", 1)
    later = item("a.class_teacher", "absences", NEXT_MON, "Учеников")
    assert later.late_days == 2  # Friday and Monday; the weekend does not count
    assert item("a.class_teacher", "absences", TUE, "Учеников").state == "soon"


def test_each_class_teacher_sees_his_class_and_the_deputy_all(ctl):
    assert [t for t in titles("a.class_teacher", "absences", FRI)] == [
        "5А, Учеников П. И.: пропуски без причины — 1 ур."]
    assert [t for t in titles("a.ct2", "absences", FRI)] == ["6Б, Чужов И. И.: пропуски без причины — 1 ур."]
    assert len(titles("a.deputy", "absences", FRI)) == 2
    assert titles("a.teacher", "absences", FRI) is None
    assert titles("b.class_teacher", "absences", FRI) == [] and titles("b.deputy", "absences", FRI) == []


def test_an_absence_reason_set_clears_the_item(ctl):
    absences.set_absence_reason(actor_of("a.class_teacher"), ctl.absent.id, "б", "справка № 7", TUE)
    assert titles("a.class_teacher", "absences", FRI) == []
    assert len(titles("a.deputy", "absences", FRI)) == 1


def test_lessons_without_a_topic_the_teacher_his_own_the_deputy_all(ctl):
    a = ctl
    sub = Lesson(org_id=a.org.id, assignment_id=a.math_5a.id, period_id=a.q1.id, date=TUE, number=3,
                 teacher_id=a.class_teacher.id)  # a substitution (замена)
    db.session.add(sub)
    db.session.commit()
    mine = item("a.teacher", "lessons", FRI, "5А")
    assert (mine.title, mine.due, mine.state, mine.late_days) == ("5А, Математика — без темы: 1", MON, "overdue", 3)
    assert mine.link == ("journal.grid", {"assignment_id": a.math_5a.id})
    no_roll_call = "5А, Математика — без темы: 1; без отметки посещаемости: 1"
    assert titles("a.class_teacher", "lessons", FRI) == [no_roll_call]  # the one he gave
    assert sorted(titles("a.deputy", "lessons", FRI)) == [
        f"Классова К. П.: {no_roll_call}", "Учителев Т. П.: 5А, Математика — без темы: 1",
        "Учителев Т. П.: 6Б, Математика — без темы: 1"]
    assert titles("a.teacher", "lessons", MON) == []  # on the lesson's day it is not late yet
    grid_save.save_entries(actor_of("a.teacher"), a.math_5a.id, {"lessons": [{"lesson_id": a.lesson_5a.id,
                                                                            "topic": "Дроби"}]})
    assert titles("a.teacher", "lessons", FRI) == ["6Б, Математика — без темы: 1"]
    assert sub.id and titles("b.deputy", "lessons", FRI) == []


def test_lessons_without_a_roll_call_until_attendance_is_saved_or_ticked(ctl, browser):
    a = ctl
    teacher = actor_of("a.teacher")
    tuesday = jr_lessons(a.math_5a, a.q1, [TUE])[0]
    thursday = jr_lessons(a.math_5a, a.q1, [THU])[0]
    db.session.commit()
    grid_save.save_entries(teacher, a.math_5a.id, {"lessons": [
        {"lesson_id": lesson.id, "topic": "Дроби"} for lesson in (a.lesson_5a, tuesday, thursday)]})
    assert sorted(titles("a.teacher", "lessons", FRI)) == [
        "5А, Математика — без отметки посещаемости: 2", "6Б, Математика — без темы: 1"]
    assert item("a.teacher", "lessons", FRI, "5А").due == TUE  # the oldest lesson without a roll call
    # An absence saved through the grid records the roll call of its lesson.
    grid_save.save_entries(teacher, a.math_5a.id, {"attendance": [
        {"lesson_id": tuesday.id, "student_id": a.student.id, "code": "н"}]})
    assert db.session.get(Lesson, tuesday.id).attendance_taken is True
    assert item("a.teacher", "lessons", FRI, "5А").title == "5А, Математика — без отметки посещаемости: 1"
    # «Все присутствовали»: the box ticked on the grid, by a direct POST of the grid's form.
    b = browser()
    b.login("a.teacher")
    payload = {"lessons": [{"lesson_id": thursday.id, "version": thursday.version, "topic": "Дроби", "homework": "",
                            "attendance_taken": True}]}
    response = b.post(f"/journal/{a.math_5a.id}/save", data={"payload": json.dumps(payload), "period_id": a.q1.id},
                      headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Lesson, thursday.id).attendance_taken is True
    assert titles("a.teacher", "lessons", FRI) == ["6Б, Математика — без темы: 1"]


def test_a_cancelled_lesson_takes_no_roll_call(ctl):
    a = ctl
    lesson = jr_lessons(a.math_5a, a.q1, [TUE])[0]
    lesson.is_cancelled = True
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        grid_save.save_entries(actor_of("a.teacher"), a.math_5a.id, {"lessons": [
            {"lesson_id": lesson.id, "attendance_taken": True}, {"lesson_id": a.lesson_5a.id, "topic": "Дроби"}]})
    assert "урок отменён" in " ".join(refused.value.errors)
    db.session.rollback()
    assert db.session.get(Lesson, lesson.id).attendance_taken is False
    assert db.session.get(Lesson, a.lesson_5a.id).topic is None  # all or nothing


def test_period_marks_missing_after_the_period_s_last_day(ctl):
    a = ctl
    assert titles("a.teacher", "period_marks", date(2026, 10, 20)) == []  # far from the end
    soon = item("a.teacher", "period_marks", date(2026, 11, 2), "5А")
    assert soon.state == "soon" and soon.due == date(2026, 11, 4)
    late = item("a.teacher", "period_marks", FRI, "5А")
    assert (late.title, late.state, late.late_days) == ("5А, Математика: 1 четверть — нет отметок: 2", "overdue", 2)
    teacher = actor_of("a.teacher")
    for student in (a.student, a.classmate):
        period_marks.set_period_mark(teacher, student.id, a.math.id, a.year.id, "period", a.q1.id, "4")
    assert titles("a.teacher", "period_marks", FRI) == ["6Б, Математика: 1 четверть — нет отметок: 1"]
    assert len(titles("a.deputy", "period_marks", FRI)) == 1
    assert titles("a.hr", "period_marks", FRI) is None


def test_student_cards_hr_all_the_class_teacher_his_class_and_late_entries(ctl):
    a = ctl
    assert len(titles("a.hr", "cards", FRI)) == 3
    assert [t.split(",")[0] for t in titles("a.class_teacher", "cards", FRI)] == ["5А", "5А"]
    card = db.session.get(Student, a.student.id)
    card.address = "г. Тест, ул. Мира, 1"
    card.birth_certificate_series, card.birth_certificate_number = "II-АБ", "123456"
    card.family_composition, card.social_status, card.foreign_language = "полная", "—", "Английский"
    db.session.commit()
    assert any("Учеников" in t for t in titles("a.hr", "cards", FRI))  # the contingent register's data missing
    fill_contingent(card)
    db.session.commit()
    assert not any("Учеников" in t for t in titles("a.hr", "cards", FRI))

    late = make_student(a.org, a.klass, "Поздняков", "Илья")
    late.enrollment_order_date, late.created_at = TUE, datetime(2026, 11, 6, 9, 0)  # due Thu 05.11: a day late
    timely = make_student(a.org, a.klass, "Своевременнов", "Олег")
    timely.enrollment_order_date, timely.created_at = TUE, datetime(2026, 11, 5, 9, 0)
    db.session.commit()
    entered = [i for i in section("a.hr", "cards", date(2026, 11, 10)).items if i.state == "late"]
    assert [(i.title, i.late_days) for i in entered] == [("5А, Поздняков И. И.: карточка внесена 06.11.2026", 1)]


def test_accounts_within_three_working_days_and_cleared_when_issued(ctl):
    a = ctl
    new = make_staff(a.org, "Новиков", "Нил", ["teacher"])
    new.hire_date = date(2026, 10, 30)
    db.session.commit()
    admin_items = titles("a.admin", "accounts", FRI)
    assert sorted(admin_items) == ["5А, обучающийся Соседов С. И.: не выдана учётная запись",
                                   "6Б, обучающийся Чужов И. И.: не выдана учётная запись",
                                   "6Б, родитель Чужова О. И.: не выдана учётная запись"]
    assert titles("a.class_teacher", "accounts", FRI) == ["5А, обучающийся Соседов С. И.: не выдана учётная запись"]
    staff = item("a.admin", "staff", THU, "Новиков")
    assert staff.state == "soon" and staff.due == THU  # Mon, Tue, (Wed off), Thu
    assert item("a.admin", "staff", FRI, "Новиков").late_days == 1
    assert titles("a.hr", "accounts", FRI) is None and not any("Новиков" in t for t in titles("a.hr", "staff", FRI))
    accounts.issue_logins(actor_of("a.admin"), "student", Student, [a.classmate.id])
    db.session.commit()
    assert titles("a.class_teacher", "accounts", FRI) == []
    assert len(titles("a.admin", "accounts", FRI)) == 2
    theirs = {(i.link[0], i.link[1]["id"]) for i in section("b.admin", "accounts", FRI).items}
    assert theirs and not theirs & {("student.edit_view", a.stranger.id), ("parent.edit_view", a.stranger_parent.id)}


def test_curriculum_ktp_and_timetable_by_15_september(ctl):
    a = ctl
    day = date(2026, 9, 16)
    planning = titles("a.deputy", "planning", day)
    assert "Нет учебного плана 5 класса" in planning and "Нет учебного плана 6 класса" in planning
    assert "Нет расписания уроков: 2" in planning and "Нет КТП у Учителев Т. П.: 2" in planning
    assert titles("a.teacher", "planning", day) == ["Нет КТП: 5А, Математика", "Нет КТП: 6Б, Математика"]
    assert item("a.deputy", "planning", day, "5 класса").late_days == 1
    assert titles("a.deputy", "planning", date(2026, 6, 1)) == []  # not yet
    pl_curriculum(a.org, a.year, 5, [(a.math, 5)])
    db.session.commit()
    assert "Нет учебного плана 5 класса" not in titles("a.deputy", "planning", day)


def test_holidays_two_weeks_before_the_break(ctl):
    a = ctl
    db.session.add(Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=3, name="3 четверть",
                          start_date=date(2027, 1, 12), end_date=date(2027, 3, 20)))
    db.session.commit()
    assert titles("a.deputy", "holidays", date(2026, 11, 20)) == []
    soon = item("a.deputy", "holidays", date(2026, 12, 1), "каникулы")
    assert soon.state == "soon" and soon.due == date(2026, 12, 15)
    late = item("a.deputy", "holidays", date(2026, 12, 20), "каникулы")
    assert (late.state, late.late_days) == ("overdue", 3)
    db.session.add(Holiday(org_id=a.org.id, year_id=a.year.id, name="Зимние каникулы", start_date=date(2026, 12, 29),
                           end_date=date(2027, 1, 11)))
    db.session.commit()
    assert titles("a.deputy", "holidays", date(2026, 12, 20)) == []


def test_the_new_year_and_the_organization_card_by_15_september(ctl):
    a = ctl
    year_items = titles("a.admin", "year", date(2027, 9, 20))
    assert "Переход на 2027/2028 учебный год не завершён" in year_items
    assert item("a.admin", "year", date(2027, 9, 20), "2027/2028").detail == "Учебный год 2027/2028 не создан"
    assert not any("2026/2027" in t for t in titles("a.admin", "year", date(2026, 9, 20)))
    assert "Карточка организации заполнена не полностью" in titles("a.admin", "year", FRI)
    org = a.org
    org.licence_number, org.licence_date = "Л035-01", date(2020, 1, 1)
    org.accreditation_number, org.accreditation_date = "А007-01", date(2020, 2, 1)
    org.director_name, org.address = "Директоров Д. П.", "г. Тест"
    db.session.commit()
    assert titles("a.admin", "year", FRI) == []


@pytest.mark.parametrize("login,keys", [
    ("a.admin", {"year", "planning", "holidays", "accounts", "staff", "questions", "paper_reports", "movement",
                 "reports"}),
    ("a.hr", {"cards", "requests", "staff", "movement"}),
    ("a.deputy", {"planning", "holidays", "lessons", "period_marks", "absences", "questions", "paper_reports",
                  "movement", "homework", "reports"}),
    ("a.class_teacher", {"planning", "lessons", "period_marks", "absences", "cards", "accounts", "requests",
                         "questions", "homework", "reports"}),
    ("a.teacher", {"planning", "lessons", "period_marks", "homework", "reports"}),
    ("a.director", {"year", "planning", "holidays", "lessons", "period_marks", "absences", "cards", "accounts",
                    "staff", "questions", "paper_reports", "movement", "homework", "reports"}),
])
def test_each_role_sees_its_own_sections(ctl, login, keys):
    assert {s.key for s in control.control(actor_of(login), FRI).sections} == keys


@pytest.mark.parametrize("login", ["a.student", "a.parent"])
def test_students_and_parents_have_no_control_page(ctl, login):
    with pytest.raises(PermissionDenied):
        control.control(actor_of(login), FRI)
    assert control.summary(actor_of(login)) is None


def test_the_control_costs_the_same_whatever_the_size_of_the_school(ctl):
    a = ctl
    actor = actor_of("a.director")
    control.control(actor, FRI)
    with count_queries() as small:
        control.control(actor, FRI)
    for n in range(3):
        klass = db.session.scalar(select(SchoolClass).where(SchoolClass.id == a.klass.id))
        extra = make_student(a.org, klass, "Новенький" + "абв"[n], "Ян")
        lesson = jr_lessons(a.math_5a, a.q1, [date(2026, 10, 5 + n)])[0]
        jr_attendance(lesson, extra)
        assignment = tt_assignment(a.org, a.year, a.other_class, a.deputy, pl_subject(a.org, "Предмет " + "абв"[n]))
        jr_lessons(assignment, a.q1, [date(2026, 10, 12), date(2026, 10, 13)])
    db.session.commit()
    control.control(actor, FRI)  # the actor's organization, expired by the commit, loaded again
    with count_queries() as big:
        result = control.control(actor, FRI)
    assert len(titles("a.director", "absences", FRI)) == 5
    assert result.overdue > 0
    assert len(big) == len(small) and len(small) < 40, (len(small), len(big))


def test_every_item_links_to_the_page_where_it_is_fixed(ctl, ro_app):
    a = ctl
    pl_curriculum(a.org, a.year, 6, [])  # an empty plan
    db.session.add(Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=3, name="3 четверть",
                          start_date=date(2027, 1, 12), end_date=date(2027, 3, 20)))
    make_staff(a.org, "Новиков", "Нил", ["teacher"])
    db.session.commit()
    director = actor_of("a.director")
    items = [i for day in (date(2026, 9, 16), FRI, date(2026, 12, 20), date(2027, 9, 20))
             for s in control.control(director, day).sections for i in s.items]
    kinds = {i.link[0] for i in items}
    assert {"journal.grid", "absences.absences", "curriculum.lines_view", "curriculum.create_view", "ktp_control.index",
            "timetable_grid.index", "holiday.create_view", "rollover.index", "organization.edit_view",
            "student.edit_view", "parent.edit_view", "staff.edit_view"} <= kinds
    with ro_app.test_request_context():
        assert [i.link for i in items if link_of(i) is None] == []


def test_the_page_shows_the_items_and_clears_when_fixed(ctl, ro_browser):
    b = ro_browser("a.class_teacher")
    html = b.get("/control/").get_data(as_text=True)
    assert "Причины пропусков" in html and "Учеников П. И.: пропуски без причины" in html
    assert "Контроль сроков" in b.get("/").get_data(as_text=True)
    absences.set_absence_reason(actor_of("a.class_teacher"), ctl.absent.id, "у", "заявление родителей", TUE)
    html = b.get("/control/").get_data(as_text=True)
    assert "Учеников П. И.: пропуски без причины" not in html
    assert ro_browser("a.student").get("/control/").status_code == 403
    other = ro_browser("b.deputy").get("/control/").get_data(as_text=True)
    assert "Учеников" not in other and "Чужов" not in other
    assert db.session.get(Attendance, ctl.absent.id).reason_set_at is not None
