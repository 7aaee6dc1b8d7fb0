"""The weekly digest for parents (issue 16.7): `flask notify digest` (cron, once a week) queues, for every
parent who opted in on his page «Уведомления» and each of his studying children, the week's marks and
absences. A few set-based statements per organization whatever its size (the parents and children, the marks,
the absences, the digests already queued this week); each e-mail goes through notify.enqueue (his address,
not blocked, the kind still on). Run twice in a week, it queues nothing new.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from models import (Attendance, AttendanceCode, Lesson, Mark, Notification, NotificationSetting, Organization, Parent,
                    SchoolClass, Student, StudentStatus, Subject, Task, TaskType, TeachingAssignment, db, scope,
                    student_parent)
from services import clock, dates, notify

WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


@dataclass
class Child:
    id: int
    name: str
    class_name: str
    marks: list = field(default_factory=list)  # (date, subject, value, task type)
    absences: list = field(default_factory=list)  # (date, lesson number, subject, code name)


def week_of(day):
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)


def _day(day):
    return f"{day:%d.%m} ({WEEKDAYS[day.weekday()]})"


def subject_of(child, start, end):
    return f"Отметки и пропуски за неделю {start:%d.%m}–{end:%d.%m.%Y}: {child.name}"


def body_of(child, start, end):
    lines = [f"Еженедельная сводка: {child.name}" + (f", {child.class_name}" if child.class_name else ""),
             f"Неделя: {start:%d.%m.%Y} – {end:%d.%m.%Y}", "", "Отметки:"]
    if child.marks:
        lines += [f"  {_day(day)} {subject} — {value}" + (f" ({kind})" if kind else "")
                  for day, subject, value, kind in child.marks]
    else:
        lines.append("  отметок за неделю нет")
    lines += ["", "Пропуски и опоздания:"]
    if child.absences:
        lines += [f"  {_day(day)} {subject}, урок {number} — {code}" for day, number, subject, code in child.absences]
    else:
        lines.append("  пропусков за неделю нет")
    lines += ["", "Подробно — в электронном дневнике."]
    return "\n".join(lines)


def _week_data(org_id, start, end):
    """{parent user id: [Child]} of the parents who opted in, with the week's marks and absences."""
    rows = db.session.execute(
        select(Parent.user_id, Student.id, Student.first_name, Student.last_name, SchoolClass.name)
        .join(NotificationSetting, (NotificationSetting.user_id == Parent.user_id)
              & (NotificationSetting.kind == "digest") & NotificationSetting.enabled.is_(True))
        .join(student_parent, student_parent.c.parent_id == Parent.id)
        .join(Student, Student.id == student_parent.c.student_id)
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .where(Parent.org_id == org_id, Student.org_id == org_id, Parent.user_id.is_not(None),
               Student.status == StudentStatus.STUDYING.value)
        .order_by(Parent.user_id, Student.last_name, Student.first_name, Student.id)).all()
    children = {}
    families = defaultdict(list)
    for user_id, student_id, first, last, class_name in rows:
        child = children.setdefault(student_id, Child(student_id, f"{first} {last}", class_name or ""))
        families[user_id].append(child)
    if not children:
        return {}
    ids = list(children)
    marks = db.session.execute(
        select(Mark.student_id, Lesson.date, Subject.name, Mark.value, TaskType.name)
        .join(Task, Task.id == Mark.task_id).join(Lesson, Lesson.id == Task.lesson_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .outerjoin(TaskType, TaskType.id == Task.type_id)
        .where(Mark.org_id == org_id, Mark.student_id.in_(ids), Lesson.date >= start, Lesson.date <= end)
        .order_by(Lesson.date, Lesson.number, Subject.name, Task.position)).all()
    for student_id, day, subject, value, kind in marks:
        children[student_id].marks.append((day, subject, value, kind))
    absences = db.session.execute(
        select(Attendance.student_id, Lesson.date, Lesson.number, Subject.name, AttendanceCode.name)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .join(AttendanceCode, AttendanceCode.id == Attendance.code_id)
        .where(Attendance.org_id == org_id, Attendance.student_id.in_(ids), Lesson.date >= start,
               Lesson.date <= end)
        .order_by(Lesson.date, Lesson.number)).all()
    for student_id, day, number, subject, code in absences:
        children[student_id].absences.append((day, number, subject, code))
    return families


def queue_digests(org, day=None):
    """Queue this week's digests of one organization (the week of `day`, its today by default); how many."""
    day = day or dates.today(org)
    start, end = week_of(day)
    families = _week_data(org.id, start, end)
    if not families:
        return 0
    queued = set(db.session.execute(select(Notification.user_id, Notification.subject).where(
        Notification.org_id == org.id, Notification.kind == "digest",
        Notification.created_at >= clock.day_start(start, org) - timedelta(days=1))).all())
    made = 0
    for user_id, children in families.items():
        for child in children:
            subject = subject_of(child, start, end)
            if (user_id, subject) in queued:
                continue
            if notify.enqueue(user_id, "digest", subject, body_of(child, start, end), org_id=org.id) is not None:
                made += 1
    return made


def queue_all(day=None, org_id=None):
    """Every organization's digests (or one's); {organization: count}."""
    with scope.installation("the digest command walks every organization"):
        orgs = db.session.scalars(select(Organization).where(
            *(() if org_id is None else (Organization.id == org_id,))).order_by(Organization.id)).all()
    result = {}
    for org in orgs:
        with scope.organization(org.id):
            result[org] = queue_digests(org, day)
    return result


__all__ = ["queue_digests", "queue_all", "week_of", "subject_of", "body_of"]
