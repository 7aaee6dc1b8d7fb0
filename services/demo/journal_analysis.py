"""«Анализ работы с журналом» in the demo (issue 17.4): a journal kept mostly on time, with its gaps.

- The demo journal (services/demo/journal.py) is loaded in one go, so the audit trail would say every mark was
  entered today; its entries are dated on their lessons' days instead (the afternoon, the organization's time),
  as a school that keeps its journal on the day would have them.
- Then a few marks are entered late, the way a real entry is: a new task on a past lesson and its marks flushed
  with the clock set one to four days after the lesson, so the audit trail's own rule (services/audit.py) writes
  the moment, as the teacher (his user in the audit's context).
- A few past lessons of the same teachers lose their topic or their roll call (forgotten), and some homework is
  missing already (the journal's demo gives homework to about 70 % of the lessons).
"""
import random
from datetime import timedelta, timezone

from sqlalchemy import func, select, update

from models import (Attendance, AuditLog, Grading, Lesson, Mark, SchoolClass, Staff, Student, StudentStatus,
                    Subject, Task, TaskType, TeachingAssignment, db)
from services import audit, clock

TA = TeachingAssignment
ON_TIME_HOUR = 15  # the afternoon of the lesson's day, local time
LATE_LESSONS = 8
NO_TOPIC_LESSONS = 6
NO_ROLL_CALL_LESSONS = 3


def create_journal_analysis_demo(org, year, today, seed=2026):
    """Date the demo journal's entries, then enter a few marks late and drop a few topics; returns the number
    of late marks made."""
    rnd = random.Random(seed + 17)
    _date_entries_on_lesson_days(org)
    past = db.session.execute(
        select(Lesson, TA.class_id, TA.teacher_id).join(TA, TA.id == Lesson.assignment_id)
        .join(Subject, Subject.id == TA.subject_id).join(SchoolClass, SchoolClass.id == TA.class_id)
        .where(Lesson.org_id == org.id, TA.year_id == year.id, Lesson.is_cancelled.is_(False),
               TA.subgroup_id.is_(None), Subject.grading == Grading.MARKS.value,
               SchoolClass.grade > (0 if org.is_college else 1),
               Lesson.date < today - timedelta(days=1), Lesson.date >= today - timedelta(days=24))
        .order_by(Lesson.date, Lesson.id)).all()
    if not past:
        return 0
    teachers = sorted({t for _, _, t in past if t is not None})
    late_teachers = set(rnd.sample(teachers, min(2, len(teachers))))
    candidates = [(lesson, class_id, t) for lesson, class_id, t in past if t in late_teachers]
    chosen = rnd.sample(candidates, min(LATE_LESSONS, len(candidates)))
    made = _late_marks(org, today, rnd, chosen)
    # topics forgotten: a few lessons of one of the late teachers (those whose entries are late anyway)
    for lesson, _, _ in rnd.sample(candidates, min(NO_TOPIC_LESSONS, len(candidates))):
        lesson.topic = None
    # a roll call forgotten: lessons with nobody absent (attendance rows exist only for absences)
    absent = set(db.session.scalars(select(Attendance.lesson_id).where(
        Attendance.lesson_id.in_([lesson.id for lesson, _, _ in candidates]))))
    quiet = [lesson for lesson, _, _ in candidates if lesson.id not in absent]
    for lesson in rnd.sample(quiet, min(NO_ROLL_CALL_LESSONS, len(quiet))):
        lesson.attendance_taken = False
    db.session.flush()
    return made


def _date_entries_on_lesson_days(org):
    """The demo marks' audit rows (and their own timestamps) on the lesson's day, in the afternoon: two
    statements and one executemany of each."""
    rows = db.session.execute(
        select(AuditLog.id, Mark.id, Lesson.date).join(Mark, Mark.id == AuditLog.entity_id)
        .join(Task, Task.id == Mark.task_id).join(Lesson, Lesson.id == Task.lesson_id)
        .where(AuditLog.entity == "mark", AuditLog.action == "insert", AuditLog.org_id == org.id,
               Mark.org_id == org.id)).all()
    if not rows:
        return
    moments = {day: clock.day_start(day, org) + timedelta(hours=ON_TIME_HOUR) for day in {r[2] for r in rows}}
    now = clock.utcnow()
    db.session.execute(update(AuditLog), [{"id": audit_id, "at": min(moments[day], now)}
                                          for audit_id, _, day in rows])
    db.session.execute(update(Mark), [{"id": mark_id, "created_at": min(moments[day], now),
                                       "updated_at": min(moments[day], now)} for _, mark_id, day in rows])


def _late_marks(org, today, rnd, chosen):
    """A task «Ответ на уроке» with two or three marks on each chosen lesson, entered 1–4 days after it."""
    if not chosen:
        return 0
    kind = db.session.scalar(select(TaskType).where(TaskType.org_id == org.id, TaskType.name == "Ответ на уроке"))
    if kind is None:
        return 0
    lesson_ids = [lesson.id for lesson, _, _ in chosen]
    positions = dict(db.session.execute(select(Task.lesson_id, func.max(Task.position))
                                        .where(Task.lesson_id.in_(lesson_ids)).group_by(Task.lesson_id)).all())
    class_ids = {class_id for _, class_id, _ in chosen}
    pupils = {}
    for student_id, class_id in db.session.execute(
            select(Student.id, Student.class_id).where(Student.class_id.in_(class_ids),
                                                       Student.status == StudentStatus.STUDYING.value)
            .order_by(Student.id)).all():
        pupils.setdefault(class_id, []).append(student_id)
    users = dict(db.session.execute(select(Staff.id, Staff.user_id).where(Staff.org_id == org.id)).all())
    previous = audit.get_context()
    made = 0
    try:
        for lesson, class_id, teacher_id in sorted(chosen, key=lambda c: (c[0].date, c[0].id)):
            students = pupils.get(class_id, [])
            days_late = min(rnd.randint(1, 4), (today - lesson.date).days)
            if not students or days_late < 1:
                continue
            moment = clock.day_start(lesson.date + timedelta(days=days_late), org) + timedelta(hours=17)
            user_id = users.get(lesson.teacher_id or teacher_id)
            audit.set_context(user_id, org.id, None)
            with clock.frozen(moment.replace(tzinfo=timezone.utc)):
                task = Task(org_id=org.id, lesson_id=lesson.id, type_id=kind.id, weight=kind.default_weight,
                            is_mandatory=False, position=(positions.get(lesson.id) or 0) + 1)
                db.session.add(task)
                db.session.flush()
                for student_id in rnd.sample(students, min(len(students), rnd.randint(2, 3))):
                    db.session.add(Mark(org_id=org.id, task_id=task.id, student_id=student_id,
                                        value=str(rnd.choice((3, 4, 4, 5, 5))), created_by_id=user_id,
                                        updated_by_id=user_id))
                    made += 1
                db.session.flush()  # the audit rule writes each mark's row at the frozen moment
    finally:
        audit.set_context(*previous)
    return made
