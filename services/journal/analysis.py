"""«Анализ работы с журналом» (seed 000 §4.6–4.7, §5; seed 001 §8.6, §8.10): how the journal of each teaching
assignment was kept over a range of dates, per the teacher who gave its lessons.

`journal_work(org, year, start, end, today, condition=..., teacher_id=..., class_id=...)` gives one
`JournalWork` per (teaching assignment, teacher who gave its lessons — the assignment's, or the substitute's on
a замена, as the control page counts them):

- lessons given: not cancelled, dated in the range up to `today`; of them with a topic, with homework, with
  the roll call taken (`Lesson.attendance_taken`: attendance rows exist only for absences, so the flag is what
  records a roll call);
- marks on those lessons, and those entered late: after the lesson's day, the entry's moment read from the
  audit trail (the `insert` row of the mark, services/audit.py; `Mark.created_at` for a mark loaded without
  one) in the organization's time zone — how many, and by how many days on average and at most;
- period marks missing (services/journal/missing_marks.py) of the periods that ended in the range, counted on
  the journal where they are set (the assignment's teacher).

Set-based: five statements whatever the number of teachers, classes or marks (a college's semesters one more,
missing_marks).
"""
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, select

from models import AuditLog, Lesson, Mark, Period, SchoolClass, Staff, Subgroup, Subject, Task, TeachingAssignment, db
from models.dialect import unindexed
from services import clock, dates
from services.journal.figures import TWO_PLACES, percent
from services.journal.missing_marks import missing_period_marks

TA = TeachingAssignment


@dataclass
class JournalWork:
    """The figures of one journal (or of several added together: a teacher's, the total)."""

    lessons: int = 0
    with_topic: int = 0
    with_homework: int = 0
    with_roll_call: int = 0
    marks: int = 0
    late: int = 0
    late_days: int = 0  # the sum of the late entries' delays, days
    late_max: int = 0
    missing_period_marks: int = 0
    # who and what (empty on a sum)
    assignment_id: int | None = None
    teacher_id: int | None = None
    teacher: object = None  # Staff
    class_name: str = ""
    class_grade: int = 0
    subject_name: str = ""
    subject_order: tuple = field(default_factory=tuple)

    def add(self, other):
        for name in ("lessons", "with_topic", "with_homework", "with_roll_call", "marks", "late", "late_days",
                     "missing_period_marks"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.late_max = max(self.late_max, other.late_max)
        return self

    @property
    def topic_pct(self):
        return percent(self.with_topic, self.lessons)

    @property
    def homework_pct(self):
        return percent(self.with_homework, self.lessons)

    @property
    def roll_call_pct(self):
        return percent(self.with_roll_call, self.lessons)

    @property
    def late_pct(self):
        return percent(self.late, self.marks)

    @property
    def marks_per_lesson(self):
        """Marks / lessons given, two places; None without lessons."""
        if not self.lessons:
            return None
        return (Decimal(self.marks) / Decimal(self.lessons)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)

    @property
    def late_average(self):
        """How late a late entry is on average, days (two places); None without late entries."""
        if not self.late:
            return None
        return (Decimal(self.late_days) / Decimal(self.late)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)

    @property
    def late_max_days(self):
        return self.late_max if self.late else None


def _text(column):
    return and_(column.is_not(None), func.trim(column) != "")


def journal_work(org, year, start, end, today, *, condition=None, teacher_id=None, class_id=None):
    """[JournalWork] of the year's teaching assignments over [start, end] (lessons up to `today`), in the
    order class, subject, teacher. `condition`: the permission table's row filter on TeachingAssignment;
    `teacher_id`: only the lessons that teacher gave (and the period marks of his own journals);
    `class_id`: one class."""
    last = min(end, today)
    teacher = func.coalesce(Lesson.teacher_id, TA.teacher_id)
    where = [TA.org_id == org.id, TA.year_id == year.id]
    if condition is not None:
        where.append(condition)
    if class_id is not None:
        where.append(TA.class_id == class_id)
    given = [Lesson.is_cancelled.is_(False), Lesson.date >= start, Lesson.date <= last]
    if teacher_id is not None:
        given.append(teacher == teacher_id)
    rows = {}

    def row(assignment_id, teacher_id):
        return rows.setdefault((assignment_id, teacher_id), JournalWork(assignment_id=assignment_id,
                                                                        teacher_id=teacher_id))

    if start <= last:
        # 1. the lessons given and what they hold
        for assignment_id, who, lessons, topics, homework, roll_calls in db.session.execute(
                select(Lesson.assignment_id, teacher, func.count(Lesson.id),
                       func.sum(case((_text(Lesson.topic), 1), else_=0)),
                       func.sum(case((_text(Lesson.homework), 1), else_=0)),
                       func.sum(case((Lesson.attendance_taken.is_(True), 1), else_=0)))
                .join(TA, TA.id == Lesson.assignment_id).where(*where, *given)
                .group_by(Lesson.assignment_id, teacher)).all():
            r = row(assignment_id, who)
            r.lessons, r.with_topic, r.with_homework, r.with_roll_call = (
                lessons, int(topics or 0), int(homework or 0), int(roll_calls or 0))
        # 2. the marks on them and when each was entered: its audit row's moment (the first `insert` of the
        # mark), else the mark's own; only the audit rows from the range's first local day on are read (an
        # entry before it is not late whichever moment is taken). Counted per moment: one save of a lesson's
        # grid enters its marks at one moment, so the rows are saves, not marks.
        next_day = {}
        entered = (select(AuditLog.entity_id.label("mark_id"), func.min(AuditLog.at).label("at"))
                   .where(AuditLog.entity == "mark", AuditLog.action == "insert",
                          unindexed(AuditLog.org_id) == org.id,  # SQLite: by `at`, not every row of the org
                          AuditLog.at >= clock.day_start(start, org))
                   .group_by(AuditLog.entity_id).subquery())
        moment = func.coalesce(entered.c.at, Mark.created_at)
        for assignment_id, who, day, at, count in db.session.execute(
                select(Lesson.assignment_id, teacher, Lesson.date, moment, func.count(Mark.id))
                .select_from(Mark).join(Task, Task.id == Mark.task_id).join(Lesson, Lesson.id == Task.lesson_id)
                .join(TA, TA.id == Lesson.assignment_id)
                .outerjoin(entered, entered.c.mark_id == Mark.id)
                .where(*where, *given, Mark.org_id == org.id)
                .group_by(Lesson.assignment_id, teacher, Lesson.date, moment)).all():
            r = row(assignment_id, who)
            r.marks += count
            if day not in next_day:  # the UTC moment the lesson's local day ends: later is late
                next_day[day] = clock.day_start(day + timedelta(days=1), org)
            if at is None or at < next_day[day]:
                continue
            late = (dates.local(at, org).date() - day).days
            if late > 0:
                r.late += count
                r.late_days += late * count
                r.late_max = max(r.late_max, late)
    # 3. period marks missing of the periods that ended in the range (by today), on the journal where they are
    # set: the assignment's teacher's
    missing = []
    if start <= last:
        own = list(where)
        if teacher_id is not None:
            own.append(TA.teacher_id == teacher_id)
        missing = missing_period_marks(org, [year.id], periods_where=[Period.end_date >= start,
                                                                      Period.end_date <= last],
                                       condition=and_(*own))
    if not rows and not missing:
        return []
    # 4. the names
    names = {}
    for a, klass, subject, subgroup in db.session.execute(
            select(TA, SchoolClass, Subject, Subgroup).join(SchoolClass, SchoolClass.id == TA.class_id)
            .join(Subject, Subject.id == TA.subject_id).outerjoin(Subgroup, Subgroup.id == TA.subgroup_id)
            .where(TA.id.in_({a for a, _ in rows} | {m.assignment_id for m in missing}))).all():
        names[a.id] = (a, klass, subject, subgroup)
    for m in missing:
        row(m.assignment_id, names[m.assignment_id][0].teacher_id).missing_period_marks += m.missing
    staff = {s.id: s for s in db.session.scalars(select(Staff).where(Staff.id.in_(
        {t for _, t in rows if t is not None})))}
    for r in rows.values():
        _, klass, subject, subgroup = names[r.assignment_id]
        r.teacher = staff.get(r.teacher_id)
        r.class_name, r.class_grade = klass.name, klass.grade
        r.subject_name = subject.name + (f" ({subgroup.name})" if subgroup is not None else "")
        r.subject_order = (subject.sort_order or 0, subject.name)
    return sorted(rows.values(), key=lambda r: (r.class_grade, r.class_name, r.subject_order, r.subject_name,
                                                _surname(r.teacher), r.teacher_id or 0))


def _surname(staff):
    return (staff.last_name, staff.first_name) if staff is not None else ("", "")


def by_teacher(rows):
    """The rows added up per teacher: [(Staff or None, JournalWork)], by surname."""
    sums = {}
    for r in rows:
        sums.setdefault(r.teacher_id, (r.teacher, JournalWork(teacher_id=r.teacher_id, teacher=r.teacher)))[1].add(r)
    return sorted(sums.values(), key=lambda pair: (_surname(pair[0]), pair[1].teacher_id or 0))


def total(rows):
    """All the rows added up."""
    result = JournalWork()
    for r in rows:
        result.add(r)
    return result


def month_start(day):
    """The first day of `day`'s month."""
    return day - timedelta(days=day.day - 1)

