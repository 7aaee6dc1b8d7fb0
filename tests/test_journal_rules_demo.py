"""The demo school's journal: the current period's lessons up to today have topics, tasks, a
realistic spread of marks and a few absences; a period already over has its period marks and is
closed; grade 1 has no marks."""
from collections import Counter
from datetime import date

from sqlalchemy import func, select

from models import (Attendance, Lesson, Mark, Period, PeriodMark, SchoolClass, Task, TeachingAssignment, db)
from services.demo.journal_analysis import NO_TOPIC_LESSONS
from services.demo.school import create_demo

TODAY = date(2026, 11, 20)  # the second quarter has begun; the first is over


def test_the_demo_journal_is_filled_and_consistent(app):
    create_demo(kind="school", password="demo-pass-2026", today=TODAY)
    db.session.commit()  # as the `demo-data` command's unit of work does
    marks = Counter(db.session.scalars(select(Mark.value)))
    assert sum(marks.values()) > 300
    assert set(marks) <= {"5", "4", "3", "2"} and marks["4"] > marks["2"] and marks["5"] > marks["2"]
    # Only lessons already given carry entries, and those have a topic — but the few the demo of «Анализ работы с
    # журналом» left without one (services/demo/journal_analysis.py: a teacher who forgot it).
    late = db.session.scalar(select(func.count(Task.id)).join(Lesson, Lesson.id == Task.lesson_id)
                             .where(Lesson.date > TODAY))
    assert late == 0
    untitled = db.session.scalar(select(func.count(Lesson.id)).where(
        Lesson.date <= TODAY, Lesson.is_cancelled.is_(False), Lesson.topic.is_(None),
        Lesson.period_id.in_(select(Period.id).where(Period.start_date <= TODAY, Period.end_date >= TODAY))))
    assert untitled == NO_TOPIC_LESSONS
    assert db.session.scalar(select(func.count(Attendance.id))) > 0
    # Grade 1: attendance and topics only.
    first_grade_marks = db.session.scalar(
        select(func.count(Mark.id)).join(Task, Task.id == Mark.task_id).join(Lesson, Lesson.id == Task.lesson_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id).where(SchoolClass.grade == 1))
    assert first_grade_marks == 0
    # The first quarter is over: closed, with period marks.
    first = db.session.scalar(select(Period).where(Period.number == 1))
    assert first.is_closed
    assert db.session.scalar(select(func.count(PeriodMark.id)).where(PeriodMark.period_id == first.id)) > 100
    assert not db.session.scalar(select(Period).where(Period.number == 2)).is_closed
