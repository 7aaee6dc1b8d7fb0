"""«Анализ работы с журналом» (issue 17.4): the figures counted by hand on a small school, the time zone's
midnight between a lesson's day and a late entry, who sees which rows, the .xlsx, bad ranges, the number of
statements, and the demo school's late entries.

Organization A works in Yekaterinburg (UTC+5). Математика 5А (a.teacher): 10.11 — topic, homework, roll call;
12.11 — none of them; 13.11 cancelled (topic kept: not counted); 25.11 — after today. 16.11 — a substitute
(a.deputy) gives it, with a topic. Русский язык 5А (a.class_teacher): 11.11 — topic and roll call.
Marks of 10.11: Учеников «5» at 23:30 local (18:30 UTC, the lesson's day), Соседов «4» at 00:30 local of 11.11
(19:30 UTC of 10.11: still the lesson's day in UTC, late by one day in the school's). Mark of 12.11: Учеников «3»
on 15.11 (three days late). «1 четверть» (01.09–24.10): Учеников has his Математика mark, Соседов not; nobody
has Русский язык."""
import io
import re
from datetime import date, datetime, timezone
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from models import AuditLog, Period, Role, db
from reports import registry
from reports.render import to_json, to_xlsx
from services import clock
from services.errors import DomainError, PermissionDenied
from tests.factories import (actor_of, jr_assignment, jr_lessons, jr_mark, jr_period_mark, jr_subject, jr_task,
                             make_class, make_staff, make_student)
from tests.querycount import count_queries

D = date
TODAY = D(2026, 11, 20)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UTC = timezone.utc
LETTERS = "абвгдежзик"


def at_utc(*args):
    return datetime(*args, tzinfo=UTC)


def build(login, raw=None, today=TODAY):
    return registry.build(actor_of(login), "journal-work", raw or {}, today=today)


def tables(doc, sheet):
    return [b for b in to_json(doc)["sheets"][sheet]["blocks"] if b["type"] == "table"][0]["rows"]


def by_teacher(doc):
    return {row[0]: row[1:] for row in tables(doc, 0)}


def by_journal(doc):
    return {(row[0], row[1], row[2]): row[3:] for row in tables(doc, 1)}


def mark_at(moment, task, student, value):
    """A mark entered at `moment` (aware): the audit trail's row is written by the flush, as for any entry."""
    with clock.frozen(moment):
        return jr_mark(task, student, value)


@pytest.fixture
def school(world):
    a = world.a
    a.org.timezone = "Asia/Yekaterinburg"
    a.p1 = Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=1, name="1 четверть",
                  start_date=D(2026, 9, 1), end_date=D(2026, 10, 24))
    db.session.add(a.p1)
    a.math, a.russian = jr_subject(a.org, "Математика"), jr_subject(a.org, "Русский язык")
    a.m5a = jr_assignment(a.org, a.year, a.klass, a.teacher, a.math)
    a.r5a = jr_assignment(a.org, a.year, a.klass, a.class_teacher, a.russian)
    full, bare, future = jr_lessons(a.m5a, a.period, [D(2026, 11, 10), D(2026, 11, 12), D(2026, 11, 25)])
    full.topic, full.homework, full.attendance_taken = "Дроби", "§ 12, № 3", True
    bare.topic, bare.homework = "  ", None  # blank is no topic
    jr_lessons(a.m5a, a.period, [D(2026, 11, 13)], is_cancelled=True, topic="Отменён")
    (sub,) = jr_lessons(a.m5a, a.period, [D(2026, 11, 16)], topic="Замена")
    sub.teacher_id = a.deputy.id
    # the deputy teaches too (a subject without marks: no period marks to miss), so she is among the teachers
    jr_assignment(a.org, a.year, a.other_class, a.deputy, jr_subject(a.org, "ОРКСЭ", grading="none"))
    (russian,) = jr_lessons(a.r5a, a.period, [D(2026, 11, 11)], number=3, topic="Имя существительное",
                            attendance_taken=True)
    task = jr_task(full)
    mark_at(at_utc(2026, 11, 10, 18, 30), task, a.student, "5")  # 23:30 local of 10.11: on the day
    mark_at(at_utc(2026, 11, 10, 19, 30), task, a.classmate, "4")  # 00:30 local of 11.11: a day late
    mark_at(at_utc(2026, 11, 15, 5, 0), jr_task(bare), a.student, "3")  # 10:00 local of 15.11: 3 days late
    jr_mark(jr_task(future), a.student, "5")  # a lesson after today: not counted
    jr_period_mark(a.student, a.math, a.p1, "4")
    # organization B: a teacher of its own, never shown to A
    b = world.b
    b.math = jr_subject(b.org, "Математика")
    (b_lesson,) = jr_lessons(jr_assignment(b.org, b.year, b.klass, b.teacher, b.math), b.period, [D(2026, 11, 10)])
    jr_mark(jr_task(b_lesson), b.student, "2")
    db.session.commit()
    a.lessons = (full, bare, sub, russian)
    return a


# -- the figures, counted by hand ---------------------------------------------------------------------------

# Columns after the name: lessons, with topic, %, with homework, %, with roll call, %, marks, marks per lesson,
# late, late %, late average days, late max days, period marks missing.

def test_figures_counted_by_hand_for_the_current_month(school):
    doc = build("a.deputy")
    assert ("Даты", "с 01.11.2026 по 20.11.2026") in doc.params  # by default: the month up to today
    rows = by_teacher(doc)
    # Учителев: 10.11 and 12.11 given (13.11 cancelled, 25.11 after today); 1 with topic (12.11's is blank),
    # 1 with homework, 1 roll call; 3 marks / 2 lessons = 1.50; late: Соседов's (1 day, local midnight) and
    # 12.11's (3 days) → 2 of 3 = 66.7 %, on average (1 + 3) / 2 = 2.00 days, at most 3.
    assert rows["Учителев Т. П."] == [2, 1, 50.0, 1, 50.0, 1, 50.0, 3, 1.5, 2, 66.7, 2.0, 3, 0]
    # The substitute's lesson counts with the substitute: Завучева, 16.11, topic only.
    assert rows["Завучева В. П."] == [1, 1, 100.0, 0, 0.0, 0, 0.0, 0, 0.0, 0, None, None, None, 0]
    assert rows["Классова К. П."] == [1, 1, 100.0, 0, 0.0, 1, 100.0, 0, 0.0, 0, None, None, None, 0]
    assert rows["Всего по школе"] == [4, 3, 75.0, 1, 25.0, 2, 50.0, 3, 0.75, 2, 66.7, 2.0, 3, 0]
    journals = by_journal(doc)
    assert journals[("5А", "Математика", "Учителев Т. П.")][:10] == [2, 1, 50.0, 1, 50.0, 1, 50.0, 3, 1.5, 2]
    assert journals[("5А", "Математика", "Завучева В. П.")][0] == 1
    assert "Чужов" not in str(to_json(doc)) and len(journals) == 4  # 3 journals' rows and the total


def test_the_audit_trail_decides_late_in_the_time_zone_of_the_school(school):
    # The entry at 19:30 UTC of 10.11 is the lesson's day in UTC and the next day in Yekaterinburg: late.
    stamps = db.session.scalars(select(AuditLog.at).where(AuditLog.entity == "mark", AuditLog.action == "insert",
                                                          AuditLog.org_id == school.org.id)
                                .order_by(AuditLog.at)).all()
    assert datetime(2026, 11, 10, 19, 30) in stamps and datetime(2026, 11, 15, 5, 0) in stamps
    assert by_teacher(build("a.admin"))["Учителев Т. П."][9:13] == [2, 66.7, 2.0, 3]
    # In Moscow (UTC+3) 19:30 UTC is 22:30 of the lesson's day: only the 3-day entry is late.
    school.org.timezone = "Europe/Moscow"
    db.session.commit()
    assert by_teacher(build("a.admin"))["Учителев Т. П."][9:13] == [1, 33.3, 3.0, 3]


def test_period_marks_missing_of_the_periods_ended_in_the_range(school):
    doc = build("a.admin", {"from": "01.10.2026", "to": "20.11.2026"})
    rows = by_teacher(doc)
    # «1 четверть» ended on 24.10: Математика — Соседов has no mark (Учеников has); Русский язык — both.
    assert rows["Учителев Т. П."][-1] == 1
    assert rows["Классова К. П."][-1] == 2
    assert rows["Завучева В. П."][-1] == 0  # a substitute answers for no period marks
    assert rows["Всего по школе"][-1] == 3
    # November alone: no period ended
    assert by_teacher(build("a.admin"))["Всего по школе"][-1] == 0


def test_filters_by_teacher_and_class(school):
    doc = build("a.admin", {"teacher": str(school.teacher.id)})
    assert list(by_teacher(doc)) == ["Учителев Т. П.", "Всего по школе"]
    doc = build("a.admin", {"class": "5А", "from": "01.11.2026", "to": "09.11.2026"})
    assert list(by_teacher(doc)) == []
    assert "Нет уроков" in str(to_json(doc))
    assert list(by_teacher(build("a.admin", {"class": "6Б"}))) == []  # the deputy's journal there: no lessons
    with pytest.raises(DomainError) as refused:
        build("a.admin", {"class": "9Я"})
    assert "не найден" in str(refused.value.errors)


# -- who sees what ----------------------------------------------------------------------------------------------

def test_a_teacher_sees_only_his_own_rows(school):
    doc = build("a.teacher", {"from": "01.10.2026"})
    assert list(by_teacher(doc)) == ["Учителев Т. П.", "Всего по школе"]
    assert list(by_journal(doc)) == [("5А", "Математика", "Учителев Т. П."), ("Всего по школе", "", "")]
    assert by_teacher(doc)["Всего по школе"][-1] == 1  # his journal's missing period mark only
    with pytest.raises(DomainError) as refused:
        build("a.teacher", {"teacher": str(school.class_teacher.id)})
    assert "только администрации" in str(refused.value.errors)
    # the class teacher sees her Русский язык only, not the class's other journals
    assert list(by_teacher(build("a.class_teacher"))) == ["Классова К. П.", "Всего по школе"]


@pytest.mark.parametrize("login", ["a.student", "a.parent", "a.hr"])
def test_students_parents_and_others_are_refused(school, login, browser):
    with pytest.raises(PermissionDenied):
        build(login)
    b = browser()
    b.login(login)
    assert b.get("/reports/journal-work/").status_code == 404


def test_another_organization_is_invisible(school):
    doc = build("b.admin")
    assert list(by_teacher(doc)) == ["Учителев Т. П.", "Всего по школе"]
    assert by_teacher(doc)["Учителев Т. П."][:1] == [1]  # B's own teacher (the same name), B's one lesson
    with pytest.raises(DomainError) as refused:
        build("b.admin", {"teacher": str(school.teacher.id)})
    assert "не найден" in str(refused.value.errors)


# -- the page, the .xlsx, bad input ------------------------------------------------------------------------------

def test_the_page_and_the_workbook(school, browser):
    b = browser()
    b.login("a.deputy")
    assert "/reports/journal-work/" in b.get("/reports/").get_data(as_text=True)
    page = b.get("/reports/journal-work/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Анализ работы с журналом" in html and "Учителев Т. П." in html
    assert "01.11.2026" in html  # the form shows the default range
    teacher_field = re.search(r'<select[^>]*id="f-teacher".*?</select>', html, re.S).group(0)
    assert re.search(r'<option value="" selected>', teacher_field), teacher_field  # the whole school, not herself
    assert f'value="{school.deputy.id}"' in teacher_field  # (she teaches: she could be picked)
    xlsx = b.get("/reports/journal-work/?from=01.10.2026&to=20.11.2026&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype == XLSX
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["По учителям", "По классам и предметам"]
    values = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert any(r[0] == "Учителев Т. П." and r[1] == 2 and r[10] == 2 for r in values), values
    teacher = browser()
    teacher.login("a.teacher")
    html = teacher.get("/reports/journal-work/").get_data(as_text=True)
    assert "Учителев Т. П." in html and "Классова" not in html and "Завучева" not in html


def test_the_xlsx_builds_from_the_document(school):
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(build("a.admin")).bytes()))
    assert len(book.worksheets) == 2


@pytest.mark.parametrize("query, message", [
    ("from=31.11.2026", "Начало диапазона"),
    ("from=20.11.2026&to=01.11.2026", "позже его конца"),
    ("from=01.08.2026", "выходит за"),
    ("to=abc", "Конец диапазона"),
    ("teacher=99999999999", "не найден"),
])
def test_a_bad_range_is_a_russian_message(school, browser, query, message):
    b = browser()
    b.login("a.admin")
    page = b.get(f"/reports/journal-work/?{query}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and message in html, html[-2000:]
    assert "Traceback" not in html
    assert b.get(f"/reports/journal-work/?{query}&format=xlsx").status_code == 200  # the page with its message


# -- statements --------------------------------------------------------------------------------------------------

def test_a_fixed_number_of_statements_whatever_the_school(school):
    def statements():
        db.session.commit()  # nothing in the session's identity map helps either run
        actor = actor_of("a.admin")
        with count_queries() as issued:
            doc = registry.build(actor, "journal-work", {"from": "01.10.2026"}, today=TODAY)
        return doc, issued

    _, small = statements()
    a = school
    # ten more teachers, each with a class, a subject, lessons and marks
    for n in range(10):
        teacher = make_staff(a.org, "Новиков" + LETTERS[n], "Ник", [Role.TEACHER.value])
        klass = make_class(a.org, a.year, "7" + LETTERS[n].upper(), 7)
        pupil = make_student(a.org, klass, "Семёнов" + LETTERS[n], "Сергей")
        subject = jr_subject(a.org, f"Предмет {n}")
        for lesson in jr_lessons(jr_assignment(a.org, a.year, klass, teacher, subject), a.period,
                                 [D(2026, 11, 9), D(2026, 11, 10), D(2026, 11, 11)]):
            mark_at(at_utc(2026, 11, 18, 6, 0), jr_task(lesson), pupil, "4")
    doc, large = statements()
    assert len(by_teacher(doc)) == 14
    assert len(large) == len(small) and len(large) <= 10, large  # 8 today: 3 of the parameters, 5 of the figures


# -- the demo school ---------------------------------------------------------------------------------------------

def test_the_demo_school_shows_late_entries_and_lessons_without_homework(ctx):
    from services.demo.school import create_demo  # noqa: PLC0415  (the demo module, as the other demo tests)
    accounts = {x.role: x.login for x in create_demo(password="demo-pass-2026", today=TODAY)}
    db.session.commit()
    doc = registry.build(actor_of(accounts[Role.DEPUTY.label]), "journal-work", {}, today=TODAY)
    total = by_teacher(doc)["Всего по школе"]
    lessons, topics, homework, marks, late = total[0], total[1], total[3], total[7], total[9]
    assert lessons > 0 and topics < lessons and homework < lessons and total[5] < lessons  # roll calls too
    assert 0 < late < marks / 5  # a few late entries, not the whole journal
    assert total[12] >= 2  # days late, at most
    assert Decimal(str(total[11])) >= 1  # on average at least a day
