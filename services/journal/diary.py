"""The diary (дневник) as a read model: the students whose diary the actor may open, a week of one
student's lessons (topics, homework, marks, attendance: four statements), and a period's subjects with
their averages, suggested and period marks. Rows are reached only through the permission table's row
conditions.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import (Boolean, Integer, Numeric, String, and_, bindparam, cast, func, literal, null, or_, select,
                        union_all)
from sqlalchemy.orm import aliased

from models import (Attendance, AttendanceCode, Bell, ClassMembership, Lesson, LessonFile, Mark, MaterialAssignment,
                    Period, PeriodMark, PeriodMarkKind, SchoolClass, Staff, Student, SubgroupMember, Subject, Task,
                    TaskType, TeachingAssignment, db)
from services import audit, permissions
from services.announcements import board as announcements
from services.journal._common import MISSED_KINDS, short_person
from services.journal._common import current_period as current_period  # the diary page opens on it
from services.journal import lesson_files
from services.learning import materials
from services.journal.figures import suggested_mark, weighted_average
from services.movement import roster
from services.movement.roster import stayed

MONTHS_GEN = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
              "октября", "ноября", "декабря")
WEEKDAY_NAMES = ("Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье")


# -- the diary -----------------------------------------------------------------------------------

@dataclass
class DiaryChild:
    id: int
    name: str
    class_id: int | None
    class_name: str


def _diary_children(*conditions):
    rows = db.session.execute(
        select(Student.id, Student.last_name, Student.first_name, Student.middle_name, Student.class_id,
               SchoolClass.name)
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .where(*conditions).order_by(Student.last_name, Student.first_name, Student.id)).all()
    return [DiaryChild(r[0], f"{r[2]} {r[1]}", r[4], r[5] or "") for r in rows]


def diary_children(actor):
    """The students whose diary the actor may open (himself, or his own children); one statement."""
    if not permissions.allowed(actor, "diary", "list"):
        return []
    return _diary_children(permissions.row_condition(actor, "diary", "list", Student))


def staff_diary_child(actor, student_id):
    """The student whose diary a staff member opens from his card, if he may (key "student_diary");
    None otherwise. One statement."""
    if not permissions.allowed(actor, "student_diary", "details"):
        return None
    found = _diary_children(Student.id == student_id,
                            permissions.row_condition(actor, "student_diary", "details", Student))
    return found[0] if found else None


def log_refused(actor, entity, entity_id, summary):
    """Write the refused attempt to the audit log at once (the request then ends with 404)."""
    audit.log_denied(actor, entity, entity_id, summary)


@dataclass
class DiaryMark:
    value: str
    comment: str
    type_name: str
    type_short: str
    weight: Decimal
    is_mandatory: bool
    topic: str
    id: int | None = None  # the mark's (the week view flags it: «Отметка ошибочна?»)
    flag: object = None  # the actor's latest MarkFlag of it (services/journal/flags.py)

    @property
    def weight_label(self):
        return format(self.weight.normalize(), "f").replace(".", ",")


@dataclass
class DiaryLesson:
    id: int
    date: date
    number: int
    subject: str
    teacher: str
    topic: str
    homework: str
    homework_due: date | None
    is_cancelled: bool
    starts_at: object = None
    ends_at: object = None
    marks: list = field(default_factory=list)
    attendance: str = ""
    attendance_name: str = ""
    debts: int = 0
    due_work: list = field(default_factory=list)  # (date given, homework) due on this lesson
    files: list = field(default_factory=list)  # lesson_files.FileRow: attached to its homework or topic
    materials: list = field(default_factory=list)  # learning.materials.MaterialRow assigned to the lesson

    @property
    def topic_files(self):
        return [f for f in self.files if f.kind == "topic"]

    @property
    def homework_files(self):
        return [f for f in self.files if f.kind != "topic"]


@dataclass
class DiaryDay:
    date: date
    lessons: list = field(default_factory=list)

    @property
    def title(self):
        return f"{WEEKDAY_NAMES[self.date.weekday()]}, {self.date.day} {MONTHS_GEN[self.date.month - 1]}"


def diary_announcements(child, org_id, start, end):
    """The announcements of the week for the student: the organization's, his class's and his grade's shown on
    some day of it (one statement)."""
    return announcements.for_student_week(org_id, child.class_id, start, end)


def week_start(day):
    return day - timedelta(days=day.weekday())


def _student_lessons(child, start, end):
    return _student_lessons_of(child.id, start, end)


def _student_lessons_of(child_id, start, end):
    """The lessons in a range that concern the student: of the classes he studied in on their dates
    (the movement book's history: `roster.stayed`, as every report), whole-class ones and those of
    his subgroup in the lesson's period (or every subgroup of a subject he is not split in)."""
    TA = TeachingAssignment
    member = aliased(SubgroupMember)
    split = aliased(SubgroupMember)
    in_period = aliased(Period)
    period_of = select(in_period.id).where(in_period.org_id == Lesson.org_id,
                                           in_period.start_date <= Lesson.date, in_period.end_date >= Lesson.date) \
        .correlate(Lesson)  # the outer query's lesson (bench, issue 7: uncorrelated, it scanned every lesson)
    mine = select(member.id).where(member.student_id == child_id, member.subgroup_id == TA.subgroup_id,
                                   or_(member.period_id == Lesson.period_id, member.period_id.in_(period_of)))
    split_at_all = select(split.id).where(split.student_id == child_id, split.subject_id == TA.subject_id,
                                          or_(split.period_id == Lesson.period_id, split.period_id.in_(period_of)))
    his_classes = select(ClassMembership.class_id).where(ClassMembership.student_id == child_id,
                                                         roster.overlaps(start, end))
    return and_(TA.class_id.in_(his_classes), stayed(child_id, TA.class_id, Lesson.date),
                Lesson.date >= start, Lesson.date <= end,
                or_(TA.subgroup_id.is_(None), mine.exists(), ~split_at_all.exists()))


def diary_week(child, start):
    """Days of the week (Mon–Sat) with the student's lessons, marks, attendance and homework."""
    end = start + timedelta(days=6)
    days = {start + timedelta(days=i): DiaryDay(start + timedelta(days=i)) for i in range(6)}
    if child.class_id is None:
        return list(days.values())
    rows = db.session.execute(_week_statement(), {"child": child.id, "start": start, "end": end}).all()
    lessons = {}
    for r in rows:
        lesson = DiaryLesson(r[0], r[1], r[2], r[4], short_person(r[8], r[9], r[10]) if r[8] else "",
                             r[5] or "", r[6] or "", r[13], bool(r[7]), r[11], r[12])
        lessons[lesson.id] = lesson
        if lesson.date in days:
            days[lesson.date].lessons.append(lesson)
    if lessons:
        _attach_marks(child, lessons)
        _attach_due_work(lessons)
        with_files = [r[0] for r in rows if r[14]]
        with_materials = [r[0] for r in rows if r[15]]
        for lesson_id, found in lesson_files.files_of(with_files).items():  # one statement, if any has files
            lessons[lesson_id].files = found
        for lesson_id, found in materials.lesson_materials(with_materials).items():  # one, if any has materials
            lessons[lesson_id].materials = found
    return list(days.values())


# The week's statements are built once, their values bound (child, start, end; ids): building them anew
# cost the diary more processor time than PostgreSQL spent running them (bench, issue 20.4).

@cache
def _week_statement():
    """The student's lessons of a week with their subject, teacher, bells and homework's due date (bound:
    child, start, end)."""
    TA = TeachingAssignment
    due_lesson = aliased(Lesson)
    year_bell, standing_bell = aliased(Bell), aliased(Bell)
    columns = [Lesson.id, Lesson.date, Lesson.number, Lesson.shift, Subject.name, Lesson.topic, Lesson.homework,
               Lesson.is_cancelled, Staff.last_name, Staff.first_name, Staff.middle_name,
               func.coalesce(year_bell.starts_at, standing_bell.starts_at),
               func.coalesce(year_bell.ends_at, standing_bell.ends_at)]
    later = aliased(Lesson)
    next_date = select(func.min(later.date)).where(
        later.assignment_id == Lesson.assignment_id, later.is_cancelled.is_(False),
        or_(later.date > Lesson.date, and_(later.date == Lesson.date, later.number > Lesson.number))) \
        .scalar_subquery()
    # Whether the lesson has files or materials at all: the week's two extra statements run only when one has.
    has_files = select(LessonFile.id).where(LessonFile.lesson_id == Lesson.id).exists()
    has_materials = select(MaterialAssignment.id).where(MaterialAssignment.lesson_id == Lesson.id).exists()
    query = select(*columns, func.coalesce(due_lesson.date, next_date), has_files, has_materials) \
        .join(TA, TA.id == Lesson.assignment_id).join(Subject, Subject.id == TA.subject_id) \
        .outerjoin(Staff, Staff.id == func.coalesce(Lesson.teacher_id, TA.teacher_id)) \
        .outerjoin(year_bell, and_(year_bell.org_id == Lesson.org_id, year_bell.year_id == TA.year_id,
                                   year_bell.shift == Lesson.shift, year_bell.number == Lesson.number)) \
        .outerjoin(standing_bell, and_(standing_bell.org_id == Lesson.org_id, standing_bell.year_id.is_(None),
                                       standing_bell.shift == Lesson.shift,
                                       standing_bell.number == Lesson.number))
    query = query.outerjoin(due_lesson, due_lesson.id == Lesson.homework_due_lesson_id)
    lessons_cond = _student_lessons_of(bindparam("child", type_=Integer), bindparam("start", type_=Lesson.date.type),
                                       bindparam("end", type_=Lesson.date.type))
    return query.where(lessons_cond).order_by(Lesson.date, Lesson.number, Lesson.id)


def _attach_due_work(lessons):
    """Homework due on each lesson: given on an earlier lesson for it, or, without a due lesson,
    given on the assignment's previous lesson; one statement."""
    for lesson_id, day, homework in sorted(db.session.execute(_due_work_statement(), {"ids": list(lessons)}).all(),
                                           key=lambda r: r[1]):
        if homework and homework.strip():
            lessons[lesson_id].due_work.append((day, homework))


@cache
def _due_work_statement():
    """Bound: ids (the lessons)."""
    ids = bindparam("ids", expanding=True)
    given, target, between = aliased(Lesson), aliased(Lesson), aliased(Lesson)
    explicit = select(target.id, given.date, given.homework) \
        .join(target, target.id == given.homework_due_lesson_id) \
        .where(target.id.in_(ids), given.homework.is_not(None))
    # the assignment's previous given lesson, found from each target lesson (bench, issue 7: a join
    # of every earlier lesson let SQLite scan all lessons without a due lesson, of every year)
    previous = select(between.id).where(
        between.assignment_id == target.assignment_id, between.is_cancelled.is_(False),
        or_(between.date < target.date, and_(between.date == target.date, between.number < target.number))) \
        .order_by(between.date.desc(), between.number.desc()).limit(1).scalar_subquery()
    implicit = select(target.id, given.date, given.homework) \
        .join(target, given.id == previous) \
        .where(target.id.in_(ids), target.is_cancelled.is_(False), given.homework.is_not(None),
               given.homework_due_lesson_id.is_(None))
    return union_all(explicit, implicit)


def _attach_marks(child, lessons):
    """Marks (with task type and weight), debts and attendance of the lessons; one statement."""
    rows = db.session.execute(_marks_statement(), {"child": child.id, "ids": list(lessons)}).all()
    for kind, lesson_id, value, comment, type_name, short, weight, mandatory, topic, position, mark_id in \
            sorted(rows, key=lambda r: (r[0], r[9] or 0)):
        lesson = lessons[lesson_id]
        if kind == "m":
            lesson.marks.append(DiaryMark(value, comment or "", type_name, short, Decimal(str(weight)),
                                          bool(mandatory), topic or "", mark_id))
        elif kind == "d":
            lesson.debts += 1
        else:
            lesson.attendance, lesson.attendance_name = value, comment or ""


@cache
def _marks_statement():
    """Bound: child, ids (the lessons)."""
    ids, child_id = bindparam("ids", expanding=True), bindparam("child", type_=Integer)
    text = String(300)
    marks = select(literal("m").label("kind"), Task.lesson_id, cast(Mark.value, text).label("value"),
                   cast(Mark.comment, text).label("comment"), cast(TaskType.name, text).label("type_name"),
                   cast(TaskType.short_name, text).label("short"), Task.weight, Task.is_mandatory,
                   cast(Task.topic, text).label("topic"), Task.position, Mark.id.label("mark_id")) \
        .join(Task, Task.id == Mark.task_id).join(TaskType, TaskType.id == Task.type_id) \
        .where(Mark.student_id == child_id, Task.lesson_id.in_(ids))
    debts = select(literal("d"), Task.lesson_id, cast(null(), text), cast(null(), text),
                   cast(TaskType.name, text), cast(TaskType.short_name, text), Task.weight, Task.is_mandatory,
                   cast(Task.topic, text), Task.position, cast(null(), Integer)) \
        .join(TaskType, TaskType.id == Task.type_id) \
        .where(Task.lesson_id.in_(ids), Task.is_mandatory.is_(True),
               ~select(Mark.id).where(Mark.task_id == Task.id, Mark.student_id == child_id).exists())
    attendance = select(literal("a"), Attendance.lesson_id, cast(AttendanceCode.code, text),
                        cast(AttendanceCode.name, text), cast(null(), text), cast(null(), text),
                        cast(null(), Numeric(4, 2)), cast(null(), Boolean), cast(null(), text),
                        cast(null(), Integer), cast(null(), Integer)) \
        .join(AttendanceCode, AttendanceCode.id == Attendance.code_id) \
        .where(Attendance.student_id == child_id, Attendance.lesson_id.in_(ids))
    return union_all(marks, debts, attendance)


@dataclass
class DiarySubject:
    subject_id: int
    name: str
    marks: list = field(default_factory=list)  # (date, DiaryMark)
    average: Decimal | None = None
    suggested: int | None = None
    period_mark: str = ""
    missed: int = 0


def diary_periods(child):
    if child.class_id is None:
        return []
    year_id = select(SchoolClass.year_id).where(SchoolClass.id == child.class_id).scalar_subquery()
    return db.session.scalars(select(Period).where(Period.year_id == year_id).order_by(Period.start_date)).all()


def diary_period(child, period, org):
    """The student's subjects in a period: every mark, the weighted average, the suggested mark,
    the period mark and missed lessons."""
    TA = TeachingAssignment
    subjects = {}
    lessons_cond = _student_lessons(child, period.start_date, period.end_date)
    rows = db.session.execute(
        select(TA.subject_id, Subject.name, Subject.sort_order, Lesson.date, Mark.value, Mark.comment,
               TaskType.name, TaskType.short_name, Task.weight, Task.is_mandatory, Task.topic)
        .select_from(Lesson).join(TA, TA.id == Lesson.assignment_id).join(Subject, Subject.id == TA.subject_id)
        .join(Task, Task.lesson_id == Lesson.id).join(TaskType, TaskType.id == Task.type_id)
        .join(Mark, and_(Mark.task_id == Task.id, Mark.student_id == child.id))
        .where(lessons_cond).order_by(Lesson.date, Lesson.number, Task.position)).all()
    order = {}
    for subject_id, name, sort, day, value, comment, type_name, short, weight, mandatory, topic in rows:
        item = subjects.setdefault(subject_id, DiarySubject(subject_id, name))
        order[subject_id] = (sort, name)
        item.marks.append((day, DiaryMark(value, comment or "", type_name, short, Decimal(str(weight)),
                                          bool(mandatory), topic or "")))
    # Subjects of the class the student has lessons in, even without marks yet, and absences.
    extra = db.session.execute(
        select(TA.subject_id, Subject.name, Subject.sort_order,
               func.count(Attendance.id).filter(AttendanceCode.kind.in_(MISSED_KINDS)))
        .select_from(Lesson).join(TA, TA.id == Lesson.assignment_id).join(Subject, Subject.id == TA.subject_id)
        .outerjoin(Attendance, and_(Attendance.lesson_id == Lesson.id, Attendance.student_id == child.id))
        .outerjoin(AttendanceCode, AttendanceCode.id == Attendance.code_id)
        .where(lessons_cond).group_by(TA.subject_id, Subject.name, Subject.sort_order)).all()
    for subject_id, name, sort, missed in extra:
        item = subjects.setdefault(subject_id, DiarySubject(subject_id, name))
        order[subject_id] = (sort, name)
        item.missed = missed or 0
    marks = db.session.execute(select(PeriodMark.subject_id, PeriodMark.value).where(
        PeriodMark.student_id == child.id, PeriodMark.kind == PeriodMarkKind.PERIOD.value,
        PeriodMark.period_id == period.id)).all()
    names = {}
    if marks:
        names = dict(db.session.execute(select(Subject.id, Subject.name).where(
            Subject.id.in_([m[0] for m in marks]))).all())
    for subject_id, value in marks:
        item = subjects.setdefault(subject_id, DiarySubject(subject_id, names.get(subject_id, "")))
        order.setdefault(subject_id, (0, item.name))
        item.period_mark = value
    threshold = org.rounding_threshold if org is not None else Decimal("0.50")
    for item in subjects.values():
        item.average = weighted_average((m.value, m.weight) for _, m in item.marks)
        item.suggested = suggested_mark(item.average, threshold)
    return sorted(subjects.values(), key=lambda s: order.get(s.subject_id, (0, s.name)))


def overdue_mandatory(child, start, today):
    """Overdue mandatory work (the API's pastMandatory): the mandatory tasks of the student's lessons from
    `start` to the day before `today` that have no mark of his — the diary's debts («.») — oldest first.
    Rows (task id, type id, topic, type name, weight, lesson id, lesson date, subject); one statement."""
    if child.class_id is None:
        return []
    TA = TeachingAssignment
    return db.session.execute(
        select(Task.id, Task.type_id, Task.topic, TaskType.name, Task.weight, Lesson.id, Lesson.date, Subject.name)
        .select_from(Task).join(Lesson, Lesson.id == Task.lesson_id).join(TaskType, TaskType.id == Task.type_id)
        .join(TA, TA.id == Lesson.assignment_id).join(Subject, Subject.id == TA.subject_id)
        .where(_student_lessons(child, start, today - timedelta(days=1)), Task.is_mandatory.is_(True),
               ~select(Mark.id).where(Mark.task_id == Task.id, Mark.student_id == child.id).exists())
        .order_by(Lesson.date, Lesson.number, Task.position)).all()


def lesson_of_student(child, lesson_id):
    """The lesson, if it is one of the student's (as his diary shows it), else None; one statement."""
    TA = TeachingAssignment
    found = db.session.execute(select(Lesson.date).where(Lesson.id == lesson_id)).first()
    if found is None or child.class_id is None:
        return None
    return db.session.scalar(select(Lesson).join(TA, TA.id == Lesson.assignment_id).where(
        Lesson.id == lesson_id, _student_lessons(child, found[0], found[0])))
