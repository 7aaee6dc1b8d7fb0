"""Every regulation deadline on the control page, as data (issue 17.5): the movement book's orders, the reports of
the regulations and homework, each counted in working days of the organization's calendar with its transfers (a
Saturday made working, a weekday made a holiday); the organization's own rule values («Сроки регламента»: the
administrator adjusts them, his own organization's only, bad values refused in Russian); the start page's «На этой
неделе». Today is Friday 20.11.2026 (conftest.TEST_TODAY)."""
import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from models import (AcademicYear, CalendarDay, ClassMembership, DeadlineRule, Lesson, Organization, Period,
                    ReportBuild, Role, Staff, User, db)
from services.context import Actor
from admin_views.control.views import link_of
from services.control import deadlines as control
from services.control import rules as deadline_rules
from services.errors import DomainError
from services.journal import absences
from tests.factories import (actor_of, jr_lessons, make_class, make_student, mv_order, mv_withdraw, pl_subject,
                             tt_assignment)
from tests.querycount import count_queries

TODAY = date(2026, 11, 20)  # Friday
THU_12, FRI_13, SAT_14, MON_16, TUE_17, WED_18 = (date(2026, 11, 12), date(2026, 11, 13), date(2026, 11, 14),
                                                  date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18))


def calendar(org, *days):
    """Exceptions of the organization's calendar: (day, is_working)."""
    for day, working in days:
        db.session.add(CalendarDay(org_id=org.id, day=day, is_working=working, note="перенос (тест)"))
    db.session.commit()


def transfers(org):
    """Saturday 14.11 made working, Tuesday 17.11 made a holiday."""
    calendar(org, (SAT_14, True), (TUE_17, False))


def set_rule(org, rule_code, **values):
    deadline_rules.ensure_rows(org.id)
    row = db.session.scalar(select(DeadlineRule).where(DeadlineRule.org_id == org.id,
                                                       DeadlineRule.code == rule_code))
    for name, value in values.items():
        setattr(row, name, value)
    db.session.commit()
    return row


def items(login, key, today=TODAY):
    result = control.control(actor_of(login), today)
    found = next((s for s in result.sections if s.key == key), None)
    return found.items if found is not None else None


def one(login, key, text, today=TODAY):
    found = [i for i in items(login, key, today) if text in i.title]
    assert len(found) == 1, [i.title for i in items(login, key, today)]
    return found[0]


def build(org, report, day, class_id=None, period_id=None, teacher_id=None):
    """A report built on `day` (09:00 UTC), as reports/document.log_read records it."""
    db.session.add(ReportBuild(org_id=org.id, report=report, class_id=class_id, period_id=period_id,
                               teacher_id=teacher_id, built_at=datetime.combine(day, datetime.min.time())
                               .replace(hour=9)))
    db.session.commit()


# -- the movement book -------------------------------------------------------------------------------------

def test_an_enrollment_order_within_3_working_days_of_the_event_with_the_calendars_transfers(world):
    a = world.a
    mv_order(a.org, "enrollment", THU_12, effective=THU_12, number="31-у", apply=False)
    draft = one("a.admin", "movement", "31-у")
    # Fri 13, Mon 16, Tue 17 → due Tuesday; late Wed, Thu, Fri
    assert (draft.due, draft.state, draft.late_days) == (TUE_17, "overdue", 3)
    assert "не проведён" in draft.title and draft.link[0] == "movement_order.items_view"
    transfers(a.org)  # Saturday 14.11 worked, Tuesday 17.11 off: Fri 13, Sat 14, Mon 16 → due Monday
    draft = one("a.admin", "movement", "31-у")
    assert (draft.due, draft.late_days) == (MON_16, 3)  # Wed, Thu, Fri (Tuesday is off)
    assert one("a.hr", "movement", "31-у").due == MON_16
    assert items("a.teacher", "movement") is None and items("b.admin", "movement") == []


def test_a_withdrawal_order_issued_late_is_listed_with_its_working_days(world):
    a = world.a
    transfers(a.org)
    mv_withdraw(a.classmate, WED_18, effective=THU_12, number="32-в")
    late = one("a.admin", "movement", "32-в")
    # due Monday 16.11 (Saturday worked); applied today, Friday: Wed, Thu, Fri (Tuesday off)
    assert (late.due, late.state, late.late_days) == (MON_16, "late", 3)
    assert "издан 20.11.2026" in late.title


def test_an_adjusted_rule_moves_the_deadline(world):
    a = world.a
    mv_order(a.org, "enrollment", THU_12, effective=THU_12, number="33-у", apply=False)
    set_rule(a.org, "order_enrollment", days=5)  # Fri 13, Mon 16, Tue 17, Wed 18, Thu 19
    assert (one("a.admin", "movement", "33-у").due, one("a.admin", "movement", "33-у").late_days) == (
        date(2026, 11, 19), 1)
    set_rule(a.org, "order_enrollment", days=8)  # … Mon 23, Tue 24: within 3 working days, «срок скоро»
    assert (one("a.admin", "movement", "33-у").state, one("a.admin", "movement", "33-у").due) == (
        "soon", date(2026, 11, 24))
    set_rule(a.org, "order_enrollment", enabled=False)
    assert not [i for i in items("a.admin", "movement") if "33-у" in i.title]
    # organization B keeps the seed's 3 days
    assert deadline_rules.load(world.b.org.id)["order_enrollment"].days == 3


def test_transfers_and_repeaters_by_31_august_and_the_first_classes_1_to_7_september(world):
    a = world.a
    old = AcademicYear(org_id=a.org.id, name="2025/2026", start_date=date(2025, 9, 1), end_date=date(2026, 6, 30))
    db.session.add(old)
    db.session.flush()
    fourth = make_class(a.org, old, "4А", 4)
    make_student(a.org, fourth, "Старов", "Олег")
    first = make_class(a.org, a.year, "1А", 1)
    db.session.commit()
    year = one("a.admin", "movement", "2025/2026")
    assert (year.due, year.state) == (date(2026, 8, 31), "overdue") and year.count == 1
    assert year.late_days == 58  # 01.09–20.11: 59 weekdays, less 04.11 (a public holiday)
    firsts = one("a.admin", "movement", "1-х классов")
    assert (firsts.due, firsts.state) == (date(2026, 9, 7), "overdue") and "1А" in firsts.detail
    assert "с 01.09.2026 по 07.09.2026" in firsts.detail
    set_rule(a.org, "year_orders", month=9, day=15)
    assert one("a.admin", "movement", "2025/2026").due == date(2026, 9, 15)
    make_student(a.org, first, "Первов", "Ян")
    db.session.commit()
    if db.session.scalar(select(func.count(ClassMembership.id)).where(ClassMembership.class_id == first.id)):
        assert not [i for i in items("a.admin", "movement") if "1-х классов" in i.title]


# -- homework (seed 001 §8.10) ---------------------------------------------------------------------------

@pytest.fixture
def lessons(world):
    a = world.a
    a.math = pl_subject(a.org, "Математика")
    a.math_5a = tt_assignment(a.org, a.year, a.klass, a.teacher, a.math)
    a.q1 = Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=1, name="1 четверть",
                  start_date=date(2026, 9, 1), end_date=date(2026, 11, 4))
    db.session.add(a.q1)
    db.session.flush()
    a.q1_lesson = jr_lessons(a.math_5a, a.q1, [date(2026, 11, 2)])[0]
    a.q1_lesson.homework = "№ 1"
    a.monday = jr_lessons(a.math_5a, a.period, [MON_16], homework=None)[0]
    db.session.commit()
    return a


def test_homework_missing_on_a_lesson_on_working_days(lessons):
    a = lessons
    item = one("a.teacher", "homework", "5А, Математика")
    assert (item.due, item.state, item.late_days) == (MON_16, "overdue", 4)
    assert item.title == "5А, Математика — без домашнего задания: 1"
    assert one("a.deputy", "homework", "Учителев Т. П.: 5А").count == 1
    calendar(a.org, (TUE_17, False))
    set_rule(a.org, "homework", days=1)  # the next working day: Wednesday (Tuesday is off)
    item = one("a.teacher", "homework", "5А")
    assert (item.due, item.late_days) == (WED_18, 2)
    rule = next(s for s in control.control(actor_of("a.teacher"), TODAY).sections if s.key == "homework").rule
    assert "не позднее 1 раб. дн. после урока" in rule
    db.session.get(Lesson, a.monday.id).homework = "§ 5"
    db.session.commit()
    assert items("a.teacher", "homework") == [] and items("b.deputy", "homework") == []


# -- the reports of the regulations (seed 001 §§10.3–10.4, seed 000 §6.1) -------------------------------------

def test_class_teachers_period_reports_within_1_working_day_after_the_period(lessons):
    a = lessons  # the first quarter ended on Wednesday 04.11 (a public holiday)
    calendar(a.org, (date(2026, 11, 5), False))  # Thursday 05.11 made a holiday too: due Friday 06.11
    item = one("a.class_teacher", "reports", "1 четверть")
    assert (item.due, item.state) == (date(2026, 11, 6), "overdue") and item.title.startswith("5А:")
    assert "«Отчёт классного руководителя за учебный период»" in item.detail
    for name in ("class-period-report", "class-results"):
        build(a.org, name, date(2026, 11, 6), a.klass.id, a.q1.id)
    build(a.org, "class-attendance-ledger", date(2026, 11, 9), a.klass.id)  # Monday: a working day late
    late = one("a.class_teacher", "reports", "1 четверть")
    assert (late.state, late.late_days) == ("late", 1)
    assert not [i for i in items("b.class_teacher", "reports") or [] if "четверть" in i.title]


def test_the_teachers_and_the_summary_reports(lessons):
    a = lessons
    mine = one("a.teacher", "reports", "Отчёт учителя-предметника")
    assert (mine.due, mine.state) == (date(2026, 11, 5), "overdue")  # 04.11 off: the next working day
    assert mine.link == ("reports.show", {"key": "teacher-report", "period": "1 четверть", "teacher": a.teacher.id})
    assert "учителей — 1" in one("a.deputy", "reports", "Отчёт учителя-предметника").title
    summary = one("a.admin", "reports", "сводные отчёты")
    assert (summary.due, summary.late_days) == (date(2026, 11, 6), 10)  # Thu 05, Fri 06; then 10 working days
    build(a.org, "teacher-report", date(2026, 11, 5), period_id=a.q1.id, teacher_id=a.teacher.id)
    assert not [i for i in items("a.teacher", "reports") if "предметника" in i.title]
    for name in control.SUMMARY_REPORTS:
        build(a.org, name, date(2026, 11, 5), period_id=a.q1.id)
    assert not [i for i in items("a.admin", "reports") if "сводные" in i.title]


def test_the_preliminary_attendance_activity_and_students_summary_reports(lessons):
    a = lessons
    calendar(a.org, (MON_16, False))  # Monday 16.11 a holiday: a deadline on it moves to Tuesday
    build(a.org, "class-preliminary", date(2026, 11, 2), a.klass.id, a.q1.id)
    prelim = one("a.class_teacher", "reports", "Предварительный")
    assert (prelim.due, prelim.late_days) == (TUE_17, 3)  # 02.11 + 14 days = Monday 16.11 (off) → Tuesday
    set_rule(a.org, "preliminary_report", days=21)
    assert one("a.class_teacher", "reports", "Предварительный").state == "soon"  # due Monday 23.11
    activity = one("a.admin", "reports", "активности")
    assert activity.due == date(2026, 9, 15) and activity.link == ("reports.show", {"key": control.ACTIVITY_REPORT})
    build(a.org, control.ACTIVITY_REPORT, WED_18)
    assert not [i for i in items("a.admin", "reports") if "активности" in i.title]
    summary = one("a.class_teacher", "reports", "Итоговые данные")
    assert summary.due == date(2026, 10, 1) and summary.state == "overdue"
    build(a.org, "students-summary", date(2026, 9, 20))  # the school's workbook counts for every class
    assert not [i for i in items("a.class_teacher", "reports") if "Итоговые" in i.title]
    assert "Посещаемости" not in " ".join(i.title for i in items("a.teacher", "reports"))


def test_the_monthly_journal_control_of_the_administration(lessons):
    """Seed 000 §5: the director or the deputy checks the journals at least monthly — «Анализ работы с журналом»
    built every 31 days at the latest, from the year's start; a build moves the next deadline."""
    a = lessons
    control_item = one("a.deputy", "reports", "Анализ работы с журналом")
    assert control_item.due == date(2026, 10, 2) and control_item.state == "overdue"  # 01.09 + 31 days
    assert control_item.link == ("reports.show", {"key": control.JOURNAL_CONTROL_REPORT})
    build(a.org, control.JOURNAL_CONTROL_REPORT, date(2026, 11, 2))
    assert not [i for i in items("a.deputy", "reports") if "Анализ" in i.title]  # next: 03.12, not soon yet
    set_rule(a.org, "journal_control", days=20)
    assert one("a.deputy", "reports", "Анализ работы с журналом").due == date(2026, 11, 23)  # Sun 22.11 → Mon
    assert not [i for i in items("a.class_teacher", "reports") if "Анализ" in i.title]
    set_rule(a.org, "journal_control", enabled=False)
    assert not [i for i in items("a.deputy", "reports") if "Анализ" in i.title]


def test_a_report_built_on_its_page_is_recorded(lessons, browser):
    a = lessons
    b = browser()
    assert b.login("a.class_teacher").status_code == 302
    response = b.get(f"/reports/class-period-report/?class={a.klass.id}&period=1")
    assert response.status_code == 200, response.status_code
    row = db.session.scalar(select(ReportBuild).where(ReportBuild.report == "class-period-report"))
    assert (row.class_id, row.period_id, row.org_id) == (a.klass.id, a.q1.id, a.org.id)
    assert any("предметника" in i.title for i in items("a.teacher", "reports"))
    t = browser()
    assert t.login("a.teacher").status_code == 302
    assert t.get("/reports/teacher-report/?period=1&format=xlsx").status_code == 200  # his own, as a file
    mine = [i for i in items("a.teacher", "reports") if "предметника" in i.title]
    assert [(i.state, i.late_days) for i in mine] == [("late", 11)]  # due 05.11; built today, 20.11


def test_the_control_page_costs_the_same_whatever_the_size_of_the_school(lessons):
    a = lessons
    with count_queries() as small:
        control.control(actor_of("a.director"), TODAY)
    for n in range(4):
        klass = make_class(a.org, a.year, f"7{'АБВГ'[n]}", 7)
        load = tt_assignment(a.org, a.year, klass, a.teacher, a.math)
        jr_lessons(load, a.q1, [date(2026, 11, 2)])
        jr_lessons(load, a.period, [MON_16])
        mv_order(a.org, "enrollment", THU_12, effective=THU_12, number=f"4{n}-у", apply=False)
    db.session.commit()
    with count_queries() as big:
        control.control(actor_of("a.director"), TODAY)
    assert len(big) == len(small), (len(small), len(big))


# -- «Сроки регламента»: the administrator's page ------------------------------------------------------------

def test_invalid_values_are_refused_in_russian_and_the_code_is_not_editable(world):
    a = world.a
    with pytest.raises(DomainError) as refused:
        set_rule(a.org, "order_enrollment", days=61)
    assert "Поле «Дней» — целое число от 0 до 60" in refused.value.errors
    db.session.rollback()
    for values, message in (({"days": -1}, "от 0 до 60"), ({"days": 0}, "от 1 до 60"),
                            ({"month": 13}, "от 1 до 12"), ({"day": 31}, "от 1 до 30"), ({"title": " "}, "обязательно"),
                            ({"code": "accounts"}, "«Код» изменить нельзя")):
        code = "activity_report" if values == {"days": 0} else "first_classes" if "day" in values or "month" in values \
            else "order_enrollment"
        if values == {"day": 31}:
            values = {"month": 9, "day": 31}
        with pytest.raises(DomainError) as refused:
            set_rule(a.org, code, **values)
        assert any(message in e for e in refused.value.errors), (values, refused.value.errors)
        db.session.rollback()
    assert deadline_rules.load(a.org.id)["order_enrollment"].days == 3


def _rule_id(org, code):
    deadline_rules.ensure_rows(org.id)
    db.session.commit()
    return db.session.scalar(select(DeadlineRule.id).where(DeadlineRule.org_id == org.id, DeadlineRule.code == code))


def _form(b, url):
    html = b.get(url).get_data(as_text=True)
    version = re.search(r'name="_version"[^>]*value="(\d+)"', html) or re.search(r'value="(\d+)"[^>]*name="_version"',
                                                                              html)
    return html, (version.group(1) if version else "1")


def test_the_administrator_edits_his_own_organizations_rules_only(world, browser):
    a, b_org = world.a, world.b
    b = browser()
    assert b.login("a.admin").status_code == 302
    page = b.get("/deadline-rules/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Приказ о зачислении после события" in text and "Положение 001 §9.2" in text and "3 раб. дн." in text
    mine, theirs = _rule_id(a.org, "order_enrollment"), _rule_id(b_org.org, "order_enrollment")
    _, version = _form(b, f"/deadline-rules/edit/?id={mine}")
    answer = b.post(f"/deadline-rules/edit/?id={mine}", data={
        "title": "Приказ о зачислении", "days": "99", "enabled": "y", "_version": version})
    assert "Поле «Дней» — целое число от 0 до 60" in answer.get_data(as_text=True)
    assert db.session.get(DeadlineRule, mine).days == 3
    answer = b.post(f"/deadline-rules/edit/?id={mine}", data={
        "title": "Приказ о зачислении", "days": "три", "enabled": "y", "_version": version})
    text = answer.get_data(as_text=True)
    assert "Not a valid" not in text and db.session.get(DeadlineRule, mine).days == 3
    assert "Неверное целое число" in text
    answer = b.post(f"/deadline-rules/edit/?id={mine}", data={
        "title": "Приказ о зачислении", "days": "5", "enabled": "y", "_version": version, "code": "hacked"})
    assert answer.status_code == 302
    db.session.expire_all()
    row = db.session.get(DeadlineRule, mine)
    assert (row.days, row.code, row.title) == (5, "order_enrollment", "Приказ о зачислении")
    # organization B's row: not listed, not opened, not changed
    assert b.get(f"/deadline-rules/edit/?id={theirs}").status_code in (403, 404)
    b.post(f"/deadline-rules/edit/?id={theirs}", data={"title": "x", "days": "9", "_version": "1"})
    db.session.expire_all()
    assert db.session.get(DeadlineRule, theirs).days == 3
    # the deputy reads them, does not edit them
    d = browser()
    assert d.login("a.deputy").status_code == 302
    assert d.get("/deadline-rules/").status_code == 200
    assert d.get(f"/deadline-rules/edit/?id={mine}").status_code == 403
    t = browser()
    assert t.login("a.teacher").status_code == 302
    assert t.get("/deadline-rules/").status_code == 403


# -- the start page: what is due this week ---------------------------------------------------------------------

def test_the_start_page_shows_what_is_due_this_week(lessons, browser):
    a = lessons
    mv_order(a.org, "enrollment", TUE_17, effective=TUE_17, number="35-у", apply=False)  # due Friday: today
    mv_order(a.org, "enrollment", TODAY, effective=TODAY, number="36-у", apply=False)  # due next week
    b = browser()
    assert b.login("a.admin").status_code == 302
    html = b.get("/").get_data(as_text=True)
    week = html.split('id="home-week"')[1].split("</section>")[0]
    assert "На этой неделе" in html and "35-у" in week and "36-у" not in week and "20.11.2026" in week
    t = browser()
    assert t.login("a.teacher").status_code == 302
    week = t.get("/").get_data(as_text=True).split('id="home-week"')[1].split("</section>")[0]
    assert "5А, Математика — без домашнего задания: 1" in week and "16.11.2026" in week
    assert "35-у" not in week  # the teacher has no movement book


def test_the_absence_reasons_rule_is_the_one_of_the_journal_too(world):
    a = world.a
    assert absences.reason_deadline(a.org.id, THU_12) == MON_16  # Fri 13, Mon 16
    transfers(a.org)
    set_rule(a.org, "absences", days=3)  # Fri 13, Sat 14 (worked), Mon 16
    assert absences.reason_deadline(a.org.id, THU_12) == MON_16
    set_rule(a.org, "absences", days=4)  # … Tue 17 is off: Wed 18
    assert absences.reason_deadline(a.org.id, THU_12) == WED_18


def test_the_control_page_shows_the_new_sections_with_their_links(lessons, browser, app):
    a = lessons
    old = AcademicYear(org_id=a.org.id, name="2025/2026", start_date=date(2025, 9, 1), end_date=date(2026, 6, 30))
    db.session.add(old)
    db.session.flush()
    make_student(a.org, make_class(a.org, old, "4А", 4), "Старов", "Олег")
    make_class(a.org, a.year, "1А", 1)
    mv_order(a.org, "enrollment", THU_12, effective=THU_12, number="37-у", apply=False)
    result = control.control(actor_of("a.director"), TODAY)
    new = [i for s in result.sections if s.key in ("movement", "homework", "reports") for i in s.items]
    assert len(new) >= 8
    b = browser()
    assert b.login("a.director").status_code == 302
    html = b.get("/control/").get_data(as_text=True)
    for title in ("Приказы о движении обучающихся", "Домашние задания", "Отчёты по регламенту"):
        assert title in html
    with app.test_request_context():
        assert all(link_of(i) is not None for i in new if i.link is not None), [i.link for i in new]


def test_the_demo_school_shows_reports_built_late_and_due(app):
    result = app.test_cli_runner().invoke(args=["demo-data", "--password", "demo-pass-2026"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    org = db.session.scalar(select(Organization))
    assert db.session.scalar(select(func.count(DeadlineRule.id)).where(DeadlineRule.org_id == org.id)) == len(
        deadline_rules.DEFAULTS)
    staff = db.session.scalars(select(Staff)).all()
    director = next(s for s in staff if Role.DIRECTOR.value in s.role_codes)
    result = control.control(Actor.for_user(db.session.get(User, director.user_id), org.id), TODAY)
    reports = next(s for s in result.sections if s.key == "reports")
    states = {i.state for i in reports.items}
    assert "late" in states and "overdue" in states, [(i.title, i.state) for i in reports.items]
