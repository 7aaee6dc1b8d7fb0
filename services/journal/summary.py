"""The class teacher's read models: the summary of his class (students × subjects: averages and period
marks, a fixed number of statements) and the absences he explains, with their deadlines. Rows are
reached only through the permission table's row conditions; reasons are written by
services/journal/grid_save.py and its siblings.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from models import (AbsenceKind, Attendance, AttendanceCode, Lesson, Mark, Period, PeriodMark, PeriodMarkKind,
                    SchoolClass, Student, StudentStatus, Subject, Task, TeachingAssignment, db)
from services import dates, permissions
from services.journal._common import current_period, short_person
from services.journal.figures import weighted_average
from services.control import rules as deadline_rules
from services.movement import roster
from services.org.calendar import WorkingCalendar

# -- the class teacher: the class's summary and the journals of all subjects -------------------

@dataclass
class SummaryCell:
    average: Decimal | None = None
    period_mark: str = ""
    count: int = 0


@dataclass
class ClassSummary:
    klass: SchoolClass
    period: Period | None
    periods: list
    subjects: list  # (subject, [assignments])
    students: list  # (student id, short name, withdrawn)
    cells: dict  # (student id, subject id) -> SummaryCell

    def cell(self, student_id, subject_id):
        return self.cells.get((student_id, subject_id)) or SummaryCell()


def load_class(actor, class_id):
    """The class (with the year's periods) if the actor may read its journal; one statement."""
    cond = permissions.row_condition(actor, "class_journal", "list", SchoolClass)
    rows = db.session.execute(
        select(SchoolClass, Period).outerjoin(Period, Period.year_id == SchoolClass.year_id)
        .where(cond, SchoolClass.id == class_id).order_by(Period.start_date)).all()
    if not rows:
        return None, []
    return rows[0][0], [r[1] for r in rows if r[1] is not None]


def class_summary(actor, class_id, period_id=None, today=None):
    klass, periods = load_class(actor, class_id)
    if klass is None:
        return None
    period = next((p for p in periods if p.id == period_id), None) or current_period(periods, today)
    assignments = db.session.scalars(
        select(TeachingAssignment).where(TeachingAssignment.class_id == klass.id)
        .options(joinedload(TeachingAssignment.subject), joinedload(TeachingAssignment.subgroup))).all()
    by_subject = defaultdict(list)
    for a in assignments:
        by_subject[a.subject].append(a)
    subjects = sorted(by_subject.items(), key=lambda kv: (kv[0].sort_order, kv[0].name))
    for _, items in subjects:
        items.sort(key=lambda a: a.subgroup.name if a.subgroup else "")
    # The class's students of the period by the movement book (one who moved mid-period is listed
    # in both classes); without periods, the card's class.
    in_class = Student.id.in_(roster.member_ids(klass.id, period.start_date, period.end_date, include_leave=True)) \
        if period is not None else Student.class_id == klass.id
    students = [(s.id, short_person(s.last_name, s.first_name, s.middle_name),
                 s.status == StudentStatus.WITHDRAWN.value)
                for s in db.session.execute(select(Student.id, Student.last_name, Student.first_name,
                                                   Student.middle_name, Student.status)
                                            .where(in_class)
                                            .order_by(Student.last_name, Student.first_name, Student.id)).all()]
    summary = ClassSummary(klass, period, periods, subjects, students, {})
    if period is None:
        return summary
    marks = db.session.execute(
        select(Mark.student_id, TeachingAssignment.subject_id, Mark.value, Task.weight)
        .join(Task, Task.id == Mark.task_id).join(Lesson, Lesson.id == Task.lesson_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .where(TeachingAssignment.class_id == klass.id, Lesson.date >= period.start_date,
               Lesson.date <= period.end_date)).all()
    pairs = defaultdict(list)
    for student_id, subject_id, value, weight in marks:
        pairs[(student_id, subject_id)].append((value, weight))
    cells = {}
    for key, values in pairs.items():
        cells[key] = SummaryCell(weighted_average(values), "", len(values))
    period_marks = db.session.execute(
        select(PeriodMark.student_id, PeriodMark.subject_id, PeriodMark.value)
        .where(PeriodMark.student_id.in_(select(Student.id).where(in_class)),
               PeriodMark.kind == PeriodMarkKind.PERIOD.value, PeriodMark.period_id == period.id)).all()
    for student_id, subject_id, value in period_marks:
        cells.setdefault((student_id, subject_id), SummaryCell()).period_mark = value
    summary.cells = cells
    return summary


# -- absences the class teacher explains ---------------------------------------------------------

@dataclass
class AbsenceRow:
    attendance_id: int
    student_name: str
    lesson_date: date
    lesson_number: int
    subject: str
    code: str
    code_kind: str
    note: str
    document_date: date | None
    reason_set: bool
    deadline: date | None
    overdue: bool
    document_text: str = ""  # the document's date as typed (dd.mm.yyyy)
    version: int | None = None  # of the attendance, sent back with the reason (a stale one is refused)


def absences(actor, class_id, start, end, today=None):
    """Absences («н», «б», «у» … all but lateness) of the class's students in a range of dates,
    with the deadline for the reason: 2 working days after the document (or the lesson)."""
    today = today or dates.today(actor.org)
    cond = permissions.row_condition(actor, "absence_reason", "list", Student)
    M = roster.M
    # The class's students on the lesson's date, by the movement book: his own dates only.
    in_class = select(M.id).where(M.student_id == Student.id, M.class_id == class_id,
                                  M.start_date <= Lesson.date,
                                  or_(M.end_date.is_(None), M.end_date >= Lesson.date)).exists()
    rows = db.session.execute(
        select(Attendance.id, Student.last_name, Student.first_name, Student.middle_name, Lesson.date,
               Lesson.number, Subject.name, AttendanceCode.code, AttendanceCode.kind, Attendance.reason_note,
               Attendance.document_date, Attendance.reason_set_at, Attendance.version)
        .join(Student, Student.id == Attendance.student_id)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .join(AttendanceCode, AttendanceCode.id == Attendance.code_id)
        .where(cond, in_class, AttendanceCode.kind != AbsenceKind.LATE.value,
               Lesson.date >= start, Lesson.date <= end)
        .order_by(Lesson.date, Student.last_name, Student.first_name, Lesson.number)).all()
    calendar = WorkingCalendar(actor.org_id, start - timedelta(days=31), max(end, today) + timedelta(days=120))
    reason_days = deadline_rules.load(actor.org_id).days("absences")  # the organization's rule (2 by default)
    result = []
    for r in rows:
        base = r[10] or r[4]
        deadline = calendar.add_working_days(base, reason_days)
        result.append(AbsenceRow(r[0], short_person(r[1], r[2], r[3]), r[4], r[5], r[6], r[7], r[8],
                                 r[9] or "", r[10], r[11] is not None, deadline,
                                 r[11] is None and today > deadline,
                                 r[10].strftime("%d.%m.%Y") if r[10] else "", version=r[12]))
    return result
