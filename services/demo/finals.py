"""Final marks of the demo (issue 13.1): the senior classes (the 11th grade; a college's last course)
get year, exam and final marks, and in a college each group's first discipline has its attestation
(a дифференцированный зачёт held after the lessons, before today) with every student's result, so
the ledgers' «Год / Экз. / Итог.» columns and the exam results are filled. Written through the
services (services.journal.period_marks.save_period_marks, services.journal.finals.save_exam_results) as the system
actor, inside the demo's one transaction."""
import random
from datetime import time, timedelta

from sqlalchemy import select

from models import (ExamEntry, ExamKind, Grading, Period, PeriodMark, Student, StudentStatus, TeachingAssignment,
                    db)
from services import clock
from services.journal import finals
from services.journal import period_marks, policy
from services.context import Actor

EXAM_SUBJECTS = 2  # the first subjects of a senior class (Русский язык, Математика) end with an exam


def create_finals_demo(org, year, classes, today, seed=2026):
    actor = Actor.system_actor(org)
    rnd = random.Random(seed + 13)
    top = max(c.grade for c in classes)
    for klass in classes:
        if klass.grade == top:
            _final_marks(actor, org, year, klass, rnd)
    if org.is_college:
        _exam_results(actor, org, year, classes, min(today, clock.today(org)), rnd)


def _subjects(org, klass):
    """(subject, teacher id) of the class with marks, in the curriculum's order."""
    seen = {}
    for a in db.session.scalars(select(TeachingAssignment).where(TeachingAssignment.class_id == klass.id)
                                .order_by(TeachingAssignment.id)):
        if a.subject_id not in seen and not policy.no_marks(org, klass, a.subject):
            seen[a.subject_id] = (a.subject, a.teacher_id)
    return sorted(seen.values(), key=lambda s: (s[0].sort_order, s[0].name))


def _final_marks(actor, org, year, klass, rnd):
    students = db.session.scalars(select(Student.id).where(
        Student.class_id == klass.id, Student.status == StudentStatus.STUDYING.value)).all()
    if not students:
        return
    periods = {}
    for student_id, subject_id, value in db.session.execute(
            select(PeriodMark.student_id, PeriodMark.subject_id, PeriodMark.value).where(
                PeriodMark.year_id == year.id, PeriodMark.kind == "period", PeriodMark.student_id.in_(students))):
        periods.setdefault((student_id, subject_id), []).append(value)
    for n, (subject, _) in enumerate(_subjects(org, klass)):
        pass_fail = subject.grading == Grading.PASS_FAIL.value
        items = []
        for student_id in students:
            year_mark = finals.suggested_year_mark(periods.get((student_id, subject.id), []), org.rounding_threshold) \
                or ("зач" if pass_fail else rnd.choice("3445"))
            items.append({"student_id": student_id, "kind": "year", "value": year_mark})
            final = year_mark
            if n < EXAM_SUBJECTS and year_mark.isdigit():
                exam = str(min(5, max(3, int(year_mark) + rnd.choice((-1, 0, 0, 1)))))
                items.append({"student_id": student_id, "kind": "exam", "value": exam})
                final = finals.suggested_year_mark([year_mark, exam], org.rounding_threshold)
            items.append({"student_id": student_id, "kind": "final", "value": final})
        period_marks.save_period_marks(actor, subject.id, year.id, items)


def _exam_results(actor, org, year, classes, today, rnd):
    day = today
    for klass in classes:
        subjects = _subjects(org, klass)
        day -= timedelta(days=1)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        period = db.session.scalar(select(Period).where(Period.year_id == year.id, Period.start_date <= day,
                                                        Period.end_date >= day))
        if not subjects or period is None or period.is_closed:
            continue
        subject, examiner_id = subjects[0]
        kind = ExamKind.CREDIT.value if subject.grading == Grading.PASS_FAIL.value else ExamKind.DIFF_CREDIT.value
        entry = ExamEntry(org_id=org.id, year_id=year.id, period_id=period.id, kind=kind,
                          subject_id=subject.id, class_id=klass.id, date=day, starts_at=time(17, 30),
                          ends_at=time(19), examiner_id=examiner_id, note="Досрочная аттестация по дисциплине")
        db.session.add(entry)
        db.session.flush()
        passing = ("зач",) if kind == ExamKind.CREDIT.value else ("5", "4", "3")  # no debts in the demo
        sheet = finals.exam_sheet(actor, entry.id, today)
        items = [{"student_id": row.student_id, "value": rnd.choice(passing)} for row in sheet.rows]
        finals.save_exam_results(actor, entry.id, items)
