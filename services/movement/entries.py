"""A student's journal entries after a backdated order (issue 13.4): a transfer, withdrawal or expulsion
dated before marks and attendance of its students in their former classes asks what to do with them —
move them to the new class's lessons, or keep them only in the old journal's history."""
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from models import Attendance, AuditLog, Lesson, Mark, Subject, Task, TeachingAssignment, db
from services import audit
from services.errors import DomainError
from services.movement._common import K, _d

# Kinds that take a student out of his class during the year: his marks and attendance in that class's
# journal dated from the order's date on would be outside his stay, so applying asks what to do with them.
ASKING = {K.TRANSFER.value, K.WITHDRAWAL.value, K.EXPULSION.value}
MOVE, KEEP = "move", "keep"
ENTRIES_CHOICES = {MOVE: "перенести в журнал нового класса (где предмет продолжается: урок того же предмета "
                         "в тот же день и под тем же номером; остальные остаются в истории)",
                   KEEP: "оставить только в истории журнала прежнего класса (в отчётах не учитываются)"}
ENTRIES_QUESTION = ("После даты приказа у учеников есть записи в журнале прежнего класса: укажите, перенести их "
                    "в журнал нового класса или оставить только в истории")


@dataclass
class LaterEntries:
    """One student's entries of one subject in the class he leaves, dated from the order's date."""

    student: str
    class_name: str
    subject: str
    marks: int
    attendance: int
    dates: list

    def __str__(self):
        days = ", ".join(_d(day) for day in self.dates)
        return (f"{self.student}, {self.class_name}, «{self.subject}»: отметок — {self.marks}, "
                f"посещаемость — {self.attendance} ({days})")


def _later_rows(order, steps):
    """[(step, Mark | Attendance, its lesson, subject)] of each leaving student in his former class's
    journal dated from the order's date; two queries."""
    leaving = {(s.student.id, s.close.class_id): s for s in steps
               if order.kind in ASKING and s.close is not None and s.student is not None}
    if not leaving:
        return []
    TA = TeachingAssignment
    rows = []
    marks = select(Mark, Lesson, Subject, TA.class_id).join(Task, Task.id == Mark.task_id) \
        .join(Lesson, Lesson.id == Task.lesson_id)
    attendance = select(Attendance, Lesson, Subject, TA.class_id).join(Lesson, Lesson.id == Attendance.lesson_id)
    for model, query in ((Mark, marks), (Attendance, attendance)):
        query = query.join(TA, TA.id == Lesson.assignment_id).join(Subject, Subject.id == TA.subject_id) \
            .where(Lesson.date >= order.effective_date,
                   or_(*[and_(model.student_id == sid, TA.class_id == cid) for sid, cid in leaving]))
        for entry, lesson, subject, class_id in db.session.execute(
                query.order_by(Lesson.date, Lesson.number, model.id)):
            rows.append((leaving[(entry.student_id, class_id)], entry, lesson, subject))
    return rows


def _summary(rows):
    """[LaterEntries] by student and subject."""
    grouped = {}
    for step, entry, lesson, subject in rows:
        key = (step.student.id, subject.id)
        if key not in grouped:
            grouped[key] = LaterEntries(step.student.short_name, step.close.klass.name, subject.name, 0, 0, [])
        group = grouped[key]
        if isinstance(entry, Mark):
            group.marks += 1
        else:
            group.attendance += 1
        if lesson.date not in group.dates:
            group.dates.append(lesson.date)
    return sorted(grouped.values(), key=lambda g: (g.student, g.subject))


class EntriesAfterOrder(DomainError):
    """The order is dated before entries of its students in their former classes: say what to do."""

    def __init__(self, order, entries):
        super().__init__(f"{order} не проведён", [ENTRIES_QUESTION] + [str(e) for e in entries])
        self.entries = entries


def _target_lesson(step, lesson, subject_id, cache):
    """The new class's lesson of the same subject on the same date and number (a whole-class one
    before a subgroup's), or None: the subject does not continue there then."""
    klass = step.open_class
    if klass is None or step.open_leave or klass.id == step.close.class_id:
        return None
    key = (klass.id, subject_id, lesson.date, lesson.number)
    if key not in cache:
        TA = TeachingAssignment
        cache[key] = db.session.scalars(
            select(Lesson).join(TA, TA.id == Lesson.assignment_id)
            .where(TA.class_id == klass.id, TA.subject_id == subject_id, Lesson.date == lesson.date,
                   Lesson.number == lesson.number, Lesson.is_cancelled.is_(False))
            .order_by(TA.subgroup_id.is_not(None), Lesson.id).limit(1)).first()
    return cache[key]


def _target_task(task, lesson):
    """A task of the same type on the new lesson (made like the old one when there is none)."""
    same = db.session.scalars(select(Task).where(Task.lesson_id == lesson.id, Task.type_id == task.type_id)
                              .order_by(Task.position)).first()
    if same is not None:
        return same
    last = db.session.scalar(select(func.max(Task.position)).where(Task.lesson_id == lesson.id)) or 0
    made = Task(org_id=lesson.org_id, lesson_id=lesson.id, type_id=task.type_id, weight=task.weight,
                is_mandatory=task.is_mandatory, topic=task.topic, position=last + 1)
    db.session.add(made)
    db.session.flush()
    return made


def _move_entries(rows):
    """Move the rows' marks and attendance to the new class's lessons where the subject continues;
    returns how many moved (the rest stay in the old journal, outside the student's stay)."""
    moved, cache = 0, {}
    for step, entry, lesson, subject in rows:
        target = _target_lesson(step, lesson, subject.id, cache)
        if target is None:
            continue
        if isinstance(entry, Mark):
            task = _target_task(entry.task, target)
            taken = select(Mark.id).where(Mark.task_id == task.id, Mark.student_id == entry.student_id)
            if db.session.scalar(taken) is None:
                entry.task = task
                moved += 1
        else:
            taken = select(Attendance.id).where(Attendance.lesson_id == target.id,
                                                Attendance.student_id == entry.student_id)
            if db.session.scalar(taken) is None:
                entry.lesson = target
                moved += 1
        db.session.flush()
    return moved


def _log_entries(actor, order, choice, rows, moved):
    _, _, address = audit.get_context()
    kept = len(rows) - moved
    db.session.add(AuditLog(
        org_id=order.org_id, user_id=actor.user_id, action="entries", entity="movement_order", entity_id=order.id,
        summary=(f"{order}: записи после даты приказа — {'перенести' if choice == MOVE else 'оставить в истории'}; "
                 f"перенесено {moved}, осталось в истории {kept}")[:300],
        changes={"entries": [None, choice], "moved": [None, moved], "kept": [None, kept],
                 "students": [None, sorted({step.student.id for step, *_ in rows})]},
        address=address))

