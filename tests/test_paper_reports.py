"""Printed progress on a parent's written request (issue 16.8, seed 001 §8.12): the register (a class
teacher records his class's requests only, by the service and by a direct POST; nothing outside the
organization), the week's book (a sheet per student in force, the week's dates, the report's own builder, a
bounded number of statements), the print recorded and logged, the control page's missed week gone once printed,
withdrawn requests not printed."""
import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from models import AccessLog, PaperReportPrint, PaperReportRequest, db
from reports import paper_reports as week_prints
from services.control import deadlines as control
from services.errors import DomainError, PermissionDenied
from services.journal import paper_reports
from tests.factories import actor_of, make_parent, make_student
from tests.querycount import count_queries

WEEK = date(2026, 11, 9)  # Monday; the report school's marks of 10.11–13.11 (TEST_TODAY is Friday 20.11)


def add(login, student, parent, requested=date(2026, 11, 2), ends=None):
    return paper_reports.add_request(actor_of(login), student.id, parent.id, requested, ends)


def requests_count():
    return db.session.scalar(select(func.count()).select_from(PaperReportRequest))


def test_class_teacher_records_his_class_only(world):
    a = world.a
    request = add("a.class_teacher", a.student, a.parent)
    assert request.student_id == a.student.id and request.ends_on is None
    with pytest.raises(DomainError, match="не из вашего класса"):
        add("a.class_teacher", a.stranger, a.stranger_parent)  # 6Б: not his class
    with pytest.raises(PermissionDenied):
        add("a.teacher", a.student, a.parent)  # leads no class
    other = make_parent(a.org, [a.classmate], "Соседова", "Анна")
    with pytest.raises(DomainError, match="не указан в карточке"):
        add("a.deputy", a.student, other)  # not his parent
    with pytest.raises(DomainError, match="ещё не наступила"):
        add("a.admin", a.classmate, other, requested=date(2026, 11, 21))
    with pytest.raises(DomainError, match="раньше даты заявления"):
        add("a.admin", a.classmate, other, requested=date(2026, 11, 10), ends=date(2026, 11, 9))
    with pytest.raises(DomainError, match="уже есть заявление"):
        add("a.admin", a.student, a.parent, requested=date(2026, 11, 16))
    # The class teacher cannot end another class's request either.
    theirs = add("a.admin", a.stranger, a.stranger_parent)
    with pytest.raises(DomainError, match="не найдено"):
        paper_reports.end_request(actor_of("a.class_teacher"), theirs.id, date(2026, 11, 20))
    assert [r.id for r, *_ in paper_reports.requests_of(actor_of("a.class_teacher"))] == [request.id]
    assert len(paper_reports.requests_of(actor_of("a.deputy"))) == 2


def test_a_request_outside_the_organization_is_refused(world):
    a, b = world.a, world.b
    with pytest.raises(DomainError, match="не найден в вашей организации"):
        add("a.admin", b.student, b.parent)
    with pytest.raises(DomainError, match="не указан в карточке"):
        add("a.admin", a.student, b.parent)
    assert requests_count() == 0


def test_the_register_page_refuses_another_class_on_a_direct_post(world, browser):
    a = world.a
    b = browser()
    b.login("a.class_teacher")
    page = b.get("/paper-reports/")
    assert page.status_code == 200 and "Заявления на бумажный отчёт" in page.get_data(as_text=True)
    sent = {"student_id": str(a.stranger.id), "parent_id": str(a.stranger_parent.id), "requested_on": "02.11.2026"}
    refused = b.post("/paper-reports/add", data=sent)
    assert refused.status_code == 200 and "не из вашего класса" in refused.get_data(as_text=True)
    assert requests_count() == 0
    bad = b.post("/paper-reports/add", data={**sent, "requested_on": "31.02.2026"})
    assert bad.status_code == 200 and requests_count() == 0
    ok = b.post("/paper-reports/add", data={**sent, "student_id": str(a.student.id), "parent_id": str(a.parent.id)})
    assert ok.status_code == 303 and requests_count() == 1
    assert b.post("/paper-reports/print", data={"week": "09.11.2026"}).status_code == 403  # the administration's
    t = browser()
    t.login("a.teacher")
    assert t.get("/paper-reports/").status_code == 403
    assert t.post("/paper-reports/add", data=sent).status_code == 403


def sheets_of(book):
    return openpyxl.load_workbook(io.BytesIO(book.bytes()))


def texts(ws):
    return [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]


def test_the_week_book_a_sheet_per_student_in_force(report_school):
    a = report_school
    add("a.class_teacher", a.student, a.parent, requested=date(2026, 11, 12))  # from midweek: the whole week
    best_parent = make_parent(a.org, [a.best], "Отличникова", "Ольга")
    add("a.admin", a.best, best_parent, requested=date(2026, 10, 1), ends=date(2026, 11, 9))  # ends on Monday
    add("a.admin", a.stranger, a.stranger_parent, requested=date(2026, 10, 1), ends=date(2026, 11, 8))  # withdrawn
    week = week_prints.print_week(actor_of("a.admin"), date(2026, 11, 11))
    assert (week.monday, week.start, week.end, week.students) == (WEEK, WEEK, date(2026, 11, 15), 2)
    book = sheets_of(week.book)
    assert book.sheetnames == ["5А Отличников О. И.", "5А Учеников П. И."]
    assert all(len(name) <= 31 for name in book.sheetnames)
    pupil = texts(book["5А Учеников П. И."])
    assert "Отчёт об успеваемости и посещаемости ученика" in pupil
    assert "Даты: с 09.11.2026 по 15.11.2026" in pupil
    assert "Ученик: Учеников Пётр Иванович" in pupil
    assert "Контрольная работа" in pupil and "05.10.2026" not in pupil  # only the week's marks
    assert "Чужов" not in " ".join(t for name in book.sheetnames for t in texts(book[name]))
    printed = db.session.scalars(select(PaperReportPrint)).all()
    assert [(p.week_start, p.students, p.printed_by_id) for p in printed] == [(WEEK, 2, a.admin.user_id)]
    logged = db.session.scalars(select(AccessLog).where(AccessLog.action == "report")).all()
    assert len(logged) == 1 and logged[0].row_count == 2 and logged[0].user_id == a.admin.user_id
    assert "Отчёт об успеваемости и посещаемости ученика" in logged[0].detail and "09.11.2026" in logged[0].detail


def test_a_week_without_requests_or_outside_the_year_prints_nothing(report_school):
    a = report_school
    with pytest.raises(DomainError, match="нет действующих заявлений"):
        week_prints.print_week(actor_of("a.deputy"), WEEK)
    add("a.admin", a.student, a.parent)
    with pytest.raises(DomainError, match="вне учебного года"):
        week_prints.print_week(actor_of("a.deputy"), date(2027, 7, 20))
    with pytest.raises(PermissionDenied):
        week_prints.print_week(actor_of("a.director"), WEEK)
    assert db.session.scalar(select(func.count()).select_from(PaperReportPrint)) == 0


def test_the_print_page_gives_the_book(report_school, browser):
    a = report_school
    add("a.admin", a.student, a.parent)
    b = browser()
    b.login("a.deputy")
    page = b.get("/paper-reports/?week=10.11.2026").get_data(as_text=True)
    assert "09.11.2026–15.11.2026" in page and "Учеников П. И." in page
    response = b.post("/paper-reports/print", data={"week": "10.11.2026"})
    assert response.status_code == 200 and "spreadsheetml" in response.headers["Content-Type"]
    assert openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames == ["5А Учеников П. И."]
    assert db.session.scalar(select(func.count()).select_from(PaperReportPrint)) == 1
    bad = b.post("/paper-reports/print", data={"week": "вчера"})
    assert bad.status_code == 200 and "не дата" in bad.get_data(as_text=True)


def week_items(login, today):
    result = control.control(actor_of(login), today)
    found = next((s for s in result.sections if s.key == "paper_reports"), None)
    return None if found is None else [(i.title, i.state, i.due) for i in found.items]


def test_the_control_page_shows_a_missed_week_until_it_is_printed(report_school):
    a = report_school
    add("a.class_teacher", a.student, a.parent, requested=date(2026, 11, 10))
    items = week_items("a.admin", date(2026, 11, 20))
    assert items == [("Не напечатаны отчёты за неделю 09.11.2026–15.11.2026", "overdue", date(2026, 11, 16))]
    assert week_items("a.deputy", date(2026, 11, 16)) == [  # Monday: due today
        ("Не напечатаны отчёты за неделю 09.11.2026–15.11.2026", "soon", date(2026, 11, 16))]
    assert week_items("a.class_teacher", date(2026, 11, 20)) is None  # the administration's deadline
    week_prints.print_week(actor_of("a.deputy"), WEEK)
    assert week_items("a.admin", date(2026, 11, 20)) == []
    # The next week, once over, is due in its turn; a request withdrawn before it is not.
    assert [i[0] for i in week_items("a.admin", date(2026, 11, 24))] == [
        "Не напечатаны отчёты за неделю 16.11.2026–22.11.2026"]
    request = db.session.scalars(select(PaperReportRequest)).one()
    paper_reports.end_request(actor_of("a.class_teacher"), request.id, date(2026, 11, 15))
    assert week_items("a.admin", date(2026, 11, 24)) == []
    with pytest.raises(DomainError, match="нет действующих заявлений"):
        week_prints.print_week(actor_of("a.admin"), date(2026, 11, 16))


def test_building_the_book_costs_the_report_s_statements_per_student(report_school):
    a = report_school
    for student in [a.student, a.best, a.stranger]:
        parent = student.parents[0] if student.parents else make_parent(a.org, [student], student.last_name, "Анна")
        add("a.admin", student, parent)
    db.session.commit()
    actor = actor_of("a.admin")

    def count():
        db.session.expire_all()
        with count_queries() as statements:
            week = week_prints.build_week(actor, WEEK)
        return len(statements), week.students

    three, n = count()
    assert n == 3
    for suffix in ("ов", "ин", "ев", "ский"):
        extra = make_student(a.org, a.klass, f"Добав{suffix}", "Дмитрий")
        add("a.admin", extra, make_parent(a.org, [extra], f"Добав{suffix}а", "Дарья"))
    db.session.commit()
    seven, n = count()
    assert n == 7
    # The report reads three statements per student (his classes, marks, absences) and at most one more
    # for a class teacher not loaded yet; the book adds a fixed few, whatever the number of students.
    assert seven - three <= 4 * 4
    assert three <= 6 + 3 * 4
