"""Journal data for the rule tests: a subject taught in 5А of organization A with a few lessons of
the second quarter, built through the models (their rules run on every flush)."""
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from models import AttendanceCode, Lesson, Subject, TaskType, TeachingAssignment, db
from tests.factories import actor_of, make_class, make_staff, make_student
from services.journal.grid_save import save_entries

LESSON_DATES = (date(2026, 11, 9), date(2026, 11, 10), date(2026, 11, 12))


def subject(org, name, grading="marks"):
    row = Subject(org_id=org.id, name=name, grading=grading)
    db.session.add(row)
    db.session.flush()
    return row


def assignment(ns, klass, subj, teacher, subgroup=None):
    row = TeachingAssignment(org_id=ns.org.id, year_id=klass.year_id, class_id=klass.id, subject_id=subj.id,
                             teacher_id=teacher.id, subgroup_id=subgroup.id if subgroup else None)
    db.session.add(row)
    db.session.flush()
    return row


def lessons(ns, assignment_row, dates=LESSON_DATES, number=2, teacher=None, period=None):
    period = period or ns.period
    rows = [Lesson(org_id=ns.org.id, assignment_id=assignment_row.id, period_id=period.id, date=day, number=number,
                   teacher_id=(teacher or assignment_row.teacher).id) for day in dates]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def school_days(start, count):
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def journal_world(world):
    """Organization A of `world` with Математика taught by a.teacher in 5А on three lessons."""
    a = world.a
    ns = SimpleNamespace(world=world, a=a, org=a.org)
    ns.math = subject(a.org, "Математика")
    ns.assignment = assignment(a, a.klass, ns.math, a.teacher)
    ns.lessons = lessons(a, ns.assignment)
    ns.types = {t.name: t for t in db.session.scalars(select(TaskType).where(TaskType.org_id == a.org.id))}
    ns.codes = {c.code: c for c in db.session.scalars(select(AttendanceCode).where(AttendanceCode.org_id == a.org.id))}
    ns.answer = ns.types["Ответ на уроке"]
    ns.test_type = ns.types["Контрольная работа"]
    db.session.commit()
    return ns


def new_task(ns, lesson, key="k1", type_row=None, **extra):
    return {"task_id": None, "key": key, "lesson_id": lesson.id, "type_id": (type_row or ns.answer).id, **extra}


def add_task(ns, lesson=None, type_row=None):
    """A saved task on a lesson (made through the service as the teacher); returns its id."""
    lesson = lesson or ns.lessons[0]
    result = save_entries(actor_of("a.teacher"), ns.assignment.id,
                          {"tasks": [new_task(ns, lesson, "t", type_row)]})
    return result.task_ids["t"]


def big_class(ns, count=30):
    """A class of `count` students with its own assignment and ten lessons."""
    a = ns.a
    klass = make_class(a.org, a.year, "7В", 7, None)
    stems, endings = ("Бел", "Вол", "Гор", "Мор", "Сок", "Лес", "Рыб", "Зим"), ("ов", "ин", "ев", "ский")
    students = [make_student(a.org, klass, stems[n % 8] + endings[n // 8 % 4] + "а" * (n // 32), "Иван",
                             birth=date(2013, 1, 1)) for n in range(count)]
    teacher = make_staff(a.org, "Многоуроков", "Матвей", ["teacher"], "a.big_teacher")
    row = assignment(a, klass, ns.math, teacher)
    rows = lessons(a, row, dates=school_days(date(2026, 11, 9), 10))
    db.session.commit()
    return SimpleNamespace(klass=klass, students=students, teacher=teacher, assignment=row, lessons=rows)
