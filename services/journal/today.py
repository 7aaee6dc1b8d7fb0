"""The journal for the start page (issue 15.1): a teacher's lessons of one day, and a student's news —
marks given since a moment, the homework of the next school day, the week in brief (from `diary`).
Each read is one or two set-based statements whatever the number of lessons; rows are reached
through the permission table's row conditions (a teacher's given lessons, the actor's diary children).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from models import Bell, Lesson, Mark, Room, SchoolClass, Subject, Task, TaskType, TeachingAssignment, db
from services import permissions
from services.journal import diary

NEW_MARKS_SHOWN = 30  # the newest marks listed on the start page; the diary has the rest


@dataclass
class TodayLesson:
    id: int
    assignment_id: int
    period_id: int | None
    number: int
    starts_at: time | None
    ends_at: time | None
    class_name: str
    subject: str
    room: str
    has_topic: bool
    attendance_taken: bool
    is_cancelled: bool
    substitute: bool  # given in place of the assignment's teacher

    @property
    def needs(self):
        """What the lesson still lacks, in words («тема», «посещаемость»)."""
        if self.is_cancelled:
            return []
        return [w for w, ok in (("тема", self.has_topic), ("посещаемость", self.attendance_taken)) if not ok]


def teacher_lessons(actor, day):
    """The lessons the actor gives on `day` (his own and those he substitutes), by bell: one statement.
    The rows are the permission table's "control_lessons" rows of the actor (a teacher's given lessons)."""
    if not permissions.allowed(actor, "control_lessons", "list"):
        return []
    cond = permissions.row_condition(actor, "control_lessons", "list", Lesson)
    TA = TeachingAssignment
    year_bell, standing_bell = aliased(Bell), aliased(Bell)
    rows = db.session.execute(
        select(Lesson.id, Lesson.assignment_id, Lesson.period_id, Lesson.number,
               func.coalesce(year_bell.starts_at, standing_bell.starts_at),
               func.coalesce(year_bell.ends_at, standing_bell.ends_at),
               SchoolClass.name, Subject.name, Room.name, Lesson.topic, Lesson.attendance_taken,
               Lesson.is_cancelled, Lesson.teacher_id, TA.teacher_id)
        .join(TA, TA.id == Lesson.assignment_id)
        .join(SchoolClass, SchoolClass.id == TA.class_id)
        .join(Subject, Subject.id == TA.subject_id)
        .outerjoin(Room, Room.id == Lesson.room_id)
        .outerjoin(year_bell, and_(year_bell.org_id == Lesson.org_id, year_bell.year_id == TA.year_id,
                                   year_bell.shift == Lesson.shift, year_bell.number == Lesson.number))
        .outerjoin(standing_bell, and_(standing_bell.org_id == Lesson.org_id, standing_bell.year_id.is_(None),
                                       standing_bell.shift == Lesson.shift, standing_bell.number == Lesson.number))
        .where(cond, Lesson.date == day)
        .order_by(Lesson.shift, Lesson.number, SchoolClass.name, Lesson.id)).all()
    return [TodayLesson(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8] or "", bool((r[9] or "").strip()),
                        bool(r[10]), bool(r[11]), r[12] is not None and r[12] != r[13]) for r in rows]


# -- a student's news ----------------------------------------------------------------------------------

@dataclass
class NewMark:
    student_id: int
    value: str
    subject: str
    lesson_date: date
    type_name: str
    given_at: datetime


def new_marks(children, since):
    """Marks given to the children (diary.DiaryChild, as `diary.diary_children` found them) after
    `since` (a stored UTC timestamp), newest first; one statement."""
    ids = [c.id for c in children]
    if not ids:
        return []
    rows = db.session.execute(
        select(Mark.student_id, Mark.value, Subject.name, Lesson.date, TaskType.name, Mark.created_at)
        .join(Task, Task.id == Mark.task_id).join(Lesson, Lesson.id == Task.lesson_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .join(TaskType, TaskType.id == Task.type_id)
        .where(Mark.student_id.in_(ids), or_(Mark.created_at > since, Mark.updated_at > since))
        .order_by(Mark.created_at.desc(), Mark.id.desc()).limit(NEW_MARKS_SHOWN)).all()
    return [NewMark(*r) for r in rows]


@dataclass
class ChildWeek:
    child: diary.DiaryChild
    days: list  # diary.DiaryDay of this week
    tomorrow: date
    homework: list = field(default_factory=list)  # (subject, homework given) due on `tomorrow`


def child_week(child, today):
    """The child's week (the diary's read: a few statements) and the homework due on his next day of
    lessons: later this week, else in the next week's diary (read only then)."""
    start = diary.week_start(today)
    days = diary.diary_week(child, start)
    ahead = [d for d in days if d.date > today and any(not lesson.is_cancelled for lesson in d.lessons)]
    if not ahead:
        following = diary.diary_week(child, start + timedelta(days=7))
        ahead = [d for d in following if any(not lesson.is_cancelled for lesson in d.lessons)] or following[:1]
    that_day = ahead[0]
    homework = [(lesson.subject, text) for lesson in that_day.lessons if not lesson.is_cancelled
                for _, text in lesson.due_work]
    return ChildWeek(child, days, that_day.date, homework)
