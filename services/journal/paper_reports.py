"""Printed progress reports on a parent's written request (seed 001 §8.12: «администрация … должна
предоставить информацию об успеваемости в печатном виде не реже 1 раза в неделю по письменному заявлению»).

- The register «Заявления на бумажный отчёт» (`PaperReportRequest`): the class teacher records a parent's
  written request for his child (of his class only; the administrator and the deputy director: any student);
  the request is in force from the date of the written request until its end (`ends_on`: the withdrawal, or
  the date the parent asked), inclusive.
- The week is Monday–Sunday (`week_of`). A request counts for a week when it is in force on any day of it
  (`active_requests`). Each week the administration prints, in one action, the «Отчёт об успеваемости и
  посещаемости ученика» of every such student for that week as one workbook (reports/paper_reports.py builds
  it with the report's own builder; services never import reports/) and the print is recorded
  (`PaperReportPrint`: the week, who, when, how many students; `record_print`).
- The deadline (decided here, written in docs/DOMAIN.md): a week's print is due by the end of the first
  working day after it (normally its following Monday): the report covers the whole week, so it can only be
  printed once the week is over, and «не реже 1 раза в неделю» leaves no more than that day. A past week of
  the academic year with working days, requests in force and no print recorded is overdue on the control page
  (`missed_weeks`); a print recorded later clears it.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from models.dialect import locked
from models import (AcademicYear, PaperReportPrint, PaperReportRequest, Parent, SchoolClass, Student, StudentStatus,
                    db, student_parent)
from services import dates, permissions
from services.errors import DomainError
from services.terms import for_kind

KEY = "paper_report_request"
PRINT_KEY = "paper_report_print"
NOTE_LENGTH = 250
HISTORY_WEEKS = 8  # the control page looks back this many weeks for a missed print


def week_of(day):
    """The Monday of the week of `day`."""
    return day - timedelta(days=day.weekday())


def week_label(monday):
    return f"{monday:%d.%m.%Y}–{monday + timedelta(days=6):%d.%m.%Y}"


def _refuse(message, field=None):
    message = for_kind(message)
    raise DomainError("Заявление не сохранено", [message], {field: message} if field else None)


def add_request(actor, student_id, parent_id, requested_on, ends_on=None, note=None):
    """Record a parent's written request; the student must be in the actor's reach (a class teacher: his
    class), the parent one of the student's parents, the dates in order and not in the future."""
    permissions.require(actor, KEY, "create")
    if student_id is None:
        _refuse("Выберите ученика", "student_id")
    reach = permissions.row_condition(actor, "student", "list", Student)
    student = db.session.scalar(select(Student).where(Student.id == student_id, Student.org_id == actor.org_id,
                                                      reach))
    if student is None:
        _refuse("Ученик не найден в вашей организации или не из вашего класса", "student_id")
    if parent_id is None:
        _refuse("Выберите родителя (законного представителя), подавшего заявление", "parent_id")
    parent = db.session.scalar(select(Parent).join(student_parent, student_parent.c.parent_id == Parent.id)
                               .where(Parent.id == parent_id, Parent.org_id == actor.org_id,
                                      student_parent.c.student_id == student.id))
    if parent is None:
        _refuse("Этот родитель не указан в карточке ученика", "parent_id")
    today = dates.today(actor.org)
    if requested_on is None:
        _refuse("Укажите дату письменного заявления", "requested_on")
    if requested_on > today:
        _refuse(f"Дата заявления {requested_on:%d.%m.%Y} ещё не наступила", "requested_on")
    if ends_on is not None and ends_on < requested_on:
        _refuse(f"Окончание {ends_on:%d.%m.%Y} раньше даты заявления {requested_on:%d.%m.%Y}", "ends_on")
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_LENGTH:
        _refuse(f"Примечание длиннее {NOTE_LENGTH} символов", "note")
    # Two requests recorded at once (a double click) must not both pass: the student's row is locked first.
    db.session.execute(locked(select(Student.id).where(Student.id == student.id), key_share=True))
    overlapping = db.session.scalar(select(PaperReportRequest.id).where(
        PaperReportRequest.org_id == actor.org_id, PaperReportRequest.student_id == student.id,
        or_(PaperReportRequest.ends_on.is_(None), PaperReportRequest.ends_on >= requested_on),
        PaperReportRequest.requested_on <= (ends_on or date.max)).limit(1))
    if overlapping is not None:
        _refuse(f"У ученика {student.short_name} уже есть заявление, действующее в эти даты; "
                f"сначала отметьте его окончание", "student_id")
    request = PaperReportRequest(org_id=actor.org_id, student_id=student.id, parent_id=parent.id,
                                 requested_on=requested_on, ends_on=ends_on, note=note,
                                 created_by_id=actor.user_id)
    db.session.add(request)
    db.session.flush()
    return request


def end_request(actor, request_id, ends_on):
    """The request ends on `ends_on` (the parent withdrew it, or asked it to end then): printed no more after."""
    permissions.require(actor, KEY, "edit")
    request = db.session.scalar(select(PaperReportRequest).where(
        PaperReportRequest.id == request_id, PaperReportRequest.org_id == actor.org_id,
        permissions.row_condition(actor, KEY, "edit", PaperReportRequest)))
    if request is None:
        raise DomainError(for_kind("Заявление не найдено или не из вашего класса"))
    if ends_on is None:
        _refuse("Укажите дату окончания", "ends_on")
    if ends_on < request.requested_on:
        _refuse(f"Окончание {ends_on:%d.%m.%Y} раньше даты заявления {request.requested_on:%d.%m.%Y}", "ends_on")
    request.ends_on = ends_on
    db.session.flush()
    return request


def requests_of(actor):
    """The register as the actor sees it (a class teacher: his class's), newest first, with the student, his
    class and the parent loaded (one statement)."""
    cond = permissions.row_condition(actor, KEY, "list", PaperReportRequest)
    return db.session.execute(
        select(PaperReportRequest, Student, Parent, SchoolClass.name)
        .join(Student, Student.id == PaperReportRequest.student_id)
        .join(Parent, Parent.id == PaperReportRequest.parent_id)
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .where(cond, PaperReportRequest.org_id == actor.org_id)
        .order_by(PaperReportRequest.requested_on.desc(), PaperReportRequest.id.desc())).all()


def choices(actor):
    """The students the actor may record a request for, each with his parents: [(student, class name,
    [parent])], in two statements."""
    reach = permissions.row_condition(actor, "student", "list", Student)
    rows = db.session.execute(select(Student, SchoolClass.name)
                              .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
                              .where(reach, Student.org_id == actor.org_id,
                                     Student.status == StudentStatus.STUDYING.value)
                              .order_by(SchoolClass.name, Student.last_name, Student.first_name, Student.id)
                              .limit(2000)).all()
    ids = [s.id for s, _ in rows]
    parents = {}
    if ids:
        for sid, parent in db.session.execute(
                select(student_parent.c.student_id, Parent).join(Parent, Parent.id == student_parent.c.parent_id)
                .where(student_parent.c.student_id.in_(ids)).order_by(Parent.last_name, Parent.first_name)):
            parents.setdefault(sid, []).append(parent)
    return [(s, name, parents.get(s.id, [])) for s, name in rows]


def _in_force(first, last):
    return and_(PaperReportRequest.requested_on <= last,
                or_(PaperReportRequest.ends_on.is_(None), PaperReportRequest.ends_on >= first))


def active_students(org_id, monday, condition=None):
    """The students with a request in force during the week of `monday` (Monday–Sunday), each once, in
    the order of their class and name: [(student, class name)] in one statement."""
    sunday = monday + timedelta(days=6)
    query = (select(Student, SchoolClass.name)
             .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
             .where(Student.org_id == org_id, Student.id.in_(
                 select(PaperReportRequest.student_id).where(PaperReportRequest.org_id == org_id,
                                                             _in_force(monday, sunday))))
             .order_by(SchoolClass.name, Student.last_name, Student.first_name, Student.id))
    if condition is not None:
        query = query.where(condition)
    return db.session.execute(query).all()


def study_week(org_id, monday):
    """The week's days within the academic year it falls in: (year, first, last), or None when the week
    is outside every academic year of the organization."""
    sunday = monday + timedelta(days=6)
    year = db.session.scalar(select(AcademicYear).where(
        AcademicYear.org_id == org_id, AcademicYear.start_date <= sunday, AcademicYear.end_date >= monday)
        .order_by(AcademicYear.start_date).limit(1))
    if year is None:
        return None
    return year, max(monday, year.start_date), min(sunday, year.end_date)


def record_print(actor, monday, students):
    """The week's book was printed by the actor now, for `students` students."""
    permissions.require(actor, PRINT_KEY, "create")
    printed = PaperReportPrint(org_id=actor.org_id, week_start=week_of(monday), printed_by_id=actor.user_id,
                               students=students)
    db.session.add(printed)
    db.session.flush()
    return printed


def prints_of(actor, limit=20):
    """The latest prints with who made them."""
    cond = permissions.row_condition(actor, PRINT_KEY, "list", PaperReportPrint)
    return db.session.scalars(select(PaperReportPrint).where(cond, PaperReportPrint.org_id == actor.org_id)
                              .options(joinedload(PaperReportPrint.printed_by))
                              .order_by(PaperReportPrint.printed_at.desc(), PaperReportPrint.id.desc())
                              .limit(limit)).all()


@dataclass
class MissedWeek:
    monday: date
    due: date
    students: int


def missed_weeks(org_id, today, working):
    """The past weeks (within HISTORY_WEEKS, in an academic year, with a working day) that had requests in
    force and no print recorded: [MissedWeek], the due date the first working day after the week
    (`working`: the control page's Days — `after(day, n)`, `is_working(day)`). Three statements."""
    this_monday = week_of(today)
    first = this_monday - timedelta(weeks=HISTORY_WEEKS)
    requests = db.session.execute(select(PaperReportRequest.student_id, PaperReportRequest.requested_on,
                                         PaperReportRequest.ends_on)
                                  .where(PaperReportRequest.org_id == org_id,
                                         _in_force(first, this_monday - timedelta(days=1)))).all()
    if not requests:
        return []
    printed = set(db.session.scalars(select(PaperReportPrint.week_start).where(
        PaperReportPrint.org_id == org_id, PaperReportPrint.week_start >= first)))
    years = db.session.execute(select(AcademicYear.start_date, AcademicYear.end_date).where(
        AcademicYear.org_id == org_id, AcademicYear.start_date <= this_monday,
        AcademicYear.end_date >= first)).all()
    result = []
    monday = first
    while monday < this_monday:
        sunday = monday + timedelta(days=6)
        days = [monday + timedelta(days=n) for n in range(7)]
        studied = [d for d in days if any(s <= d <= e for s, e in years) and working.is_working(d)]
        students = {sid for sid, since, until in requests if since <= sunday and (until is None or until >= monday)}
        if studied and students and monday not in printed:
            result.append(MissedWeek(monday, working.after(sunday, 1), len(students)))
        monday += timedelta(weeks=1)
    return result


__all__ = ["add_request", "end_request", "requests_of", "choices", "active_students", "study_week", "record_print",
           "prints_of", "missed_weeks", "week_of", "week_label", "MissedWeek"]
