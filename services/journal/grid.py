"""The grid of one teaching assignment, as a read model: the assignment with the year's periods, its
students, lessons, tasks, marks and attendance, each student's figures, and what the actor may change;
the reference lists (task types, attendance codes, КТП topics); the assignments of the journal's index.

The grid page is loaded set-based, a fixed handful of statements whatever the class or the period: it
costs five (assignment with the year's periods; students with their period marks; lessons with their
tasks; marks and attendance together; reference lists). Rows are reached only through the permission
table's row conditions. The page's cells are built in admin_views/journal/grid_cells.py; writes go
through services/journal/grid_save.py and its siblings.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Integer, Numeric, String, and_, cast, false, func, literal, null, or_, select, union_all
from sqlalchemy.orm import aliased, joinedload

from models import (AcademicYear, Attendance, AttendanceCode, Lesson, Mark, MarkFlag, Period, PeriodMark,
                    PeriodMarkKind, SchoolClass, Staff, Student, StudentStatus, Subgroup, SubgroupMember, Subject, Task,
                    TaskType, TeachingAssignment, ThematicPlanTopic, db)
from services import dates, permissions
from services.journal import policy as rules
from services.journal._common import MISSED_KINDS, current_period, short_person
from services.journal.flags import open_flags_of_lessons
from services.journal.figures import suggested_mark, weighted_average
from services.movement import roster
from services.planning.ktp import topic_at

# -- reference lists: task types, attendance codes and the КТП topics, in one statement -----------

@dataclass
class TypeInfo:
    id: int
    name: str
    short_name: str
    default_weight: Decimal
    default_mandatory: bool


@dataclass
class CodeInfo:
    id: int
    code: str
    name: str
    kind: str


@dataclass
class TopicRow:
    """A КТП topic, shaped as services.planning.ktp.topic_at expects."""

    position: int
    title: str
    section: str | None
    homework: str | None
    hours: int


def load_reference(org_id, plan_id=None):
    """(task types, attendance codes, КТП topics of `plan_id`) in one UNION ALL round trip."""
    text, num = String(500), Numeric(4, 2)
    parts = [
        select(literal("t").label("kind"), TaskType.id, cast(TaskType.name, text).label("a"),
               cast(TaskType.short_name, text).label("b"), cast(null(), text).label("c"),
               TaskType.default_weight.label("n"), cast(TaskType.default_mandatory, Integer).label("flag"),
               TaskType.sort_order.label("sort"))
        .where(TaskType.org_id == org_id, TaskType.is_active.is_(True)),
        select(literal("c"), AttendanceCode.id, cast(AttendanceCode.code, text), cast(AttendanceCode.name, text),
               cast(AttendanceCode.kind, text), cast(null(), num), cast(literal(0), Integer),
               AttendanceCode.sort_order)
        .where(AttendanceCode.org_id == org_id),
    ]
    if plan_id is not None:
        parts.append(select(literal("k"), ThematicPlanTopic.id, cast(ThematicPlanTopic.title, text),
                            cast(ThematicPlanTopic.section, text), cast(ThematicPlanTopic.homework, text),
                            cast(null(), num), ThematicPlanTopic.hours, ThematicPlanTopic.position)
                     .where(ThematicPlanTopic.plan_id == plan_id))
    rows = db.session.execute(union_all(*parts)).all()
    types, codes, topics = [], [], []
    for kind, id_, a, b, c, n, flag, sort in sorted(rows, key=lambda r: (r.kind, r.sort, r.id)):
        if kind == "t":
            types.append(TypeInfo(id_, a, b, Decimal(str(n)), bool(flag)))
        elif kind == "c":
            codes.append(CodeInfo(id_, a, b, c))
        else:
            topics.append(TopicRow(sort, a, b, c, flag))
    return types, codes, topics


# -- the grid of one teaching assignment ---------------------------------------------------------

@dataclass
class Cell:
    value: str = ""
    comment: str = ""
    version: int | None = None
    id: int | None = None


@dataclass
class GridTask:
    key: str  # "t<id>" for a saved task, "L<lesson id>" for the empty column of a lesson without tasks
    id: int | None
    lesson_id: int
    type_id: int | None
    type_name: str
    type_short: str
    weight: Decimal
    is_mandatory: bool
    topic: str
    position: int
    lesson_date: date | None = None
    version: int | None = None  # the page sends it back with a change (services/journal/grid_save.py)

    @property
    def weight_label(self):
        return format(self.weight.normalize(), "f").replace(".", ",")


@dataclass
class GridLesson:
    id: int
    date: date
    number: int
    topic: str
    homework: str
    is_cancelled: bool
    homework_due_lesson_id: int | None = None
    teacher_id: int | None = None  # who gives it (another teacher on a замена)
    tasks: list = field(default_factory=list)
    planned: object = None  # services.planning.ktp.PlannedTopic offered for an empty topic
    attendance_taken: bool = False
    due: object = None  # the GridLesson of homework_due_lesson_id when it is in the period
    due_later: object = None  # the same when it comes after this lesson (the only choice the page lists)
    version: int = 1  # the page sends it back with a change of the topic, homework … (services/journal/grid_save.py)

    @property
    def saved_tasks(self):
        return [t for t in self.tasks if t.id is not None]


@dataclass
class GridRow:
    number: int
    student_id: int
    name: str
    full_name: str
    withdrawn: bool
    marks: dict = field(default_factory=dict)  # task key -> Cell
    attendance: dict = field(default_factory=dict)  # lesson id -> Cell
    period_mark: Cell = field(default_factory=Cell)
    average: Decimal | None = None
    mark_count: int = 0
    debts: int = 0
    missed: int = 0
    suggested: int | None = None
    ranges: list | None = None  # his own dates in the class within the period (None: the whole period)
    year_mark: str = ""  # his year and final marks of the subject: they close everything under them
    final_mark: str = ""
    set_on: dict = field(default_factory=dict)  # kind -> the organization's date his period/year/final mark was set
    flags: dict = field(default_factory=dict)  # task key -> the comments of the open «отметка ошибочна» flags

    def covers(self, day):
        """He belonged to the class on `day`: his cell of that lesson is his, not greyed."""
        return self.ranges is None or any(a <= day <= b for a, b in self.ranges)

    @property
    def marks_locked(self):
        """A set period mark closes the student's marks of the period to the teacher (SPEC §3.2); a year
        or final mark closes his period mark and every mark of the year (services.journal.period_marks.LOCKS)."""
        return bool(self.period_mark.value) or self.year_locked

    @property
    def year_locked(self):
        """A year or final mark is set: the period mark under it is closed to the teacher too."""
        return bool(self.year_mark or self.final_mark)

    @property
    def lock_kind(self):
        """The kind of the set mark that closes his marks to the teacher (final, year, period), or None."""
        if self.final_mark:
            return PeriodMarkKind.FINAL.value
        if self.year_mark:
            return PeriodMarkKind.YEAR.value
        return PeriodMarkKind.PERIOD.value if self.period_mark.value else None

    @property
    def lock_reason(self):
        """Why the teacher cannot change this student's marks, for the grid's lock icon ('' if he can):
        «отметка за период выставлена 12.12 — правка у заместителя директора» (policy.lock_reason)."""
        kind = self.lock_kind
        return rules.lock_reason(kind, self.set_on.get(kind)) if kind else ""


@dataclass
class Grid:
    assignment: TeachingAssignment
    klass: SchoolClass
    subject: Subject
    subgroup: Subgroup | None
    teacher_name: str
    period: Period
    periods: list
    siblings: list  # (assignment, label) of the actor's own assignments of the year, for switching
    lessons: list
    rows: list
    types: list
    codes: list
    no_marks: bool
    mark_values: tuple
    period_mark_values: tuple = ()
    subgroup_unsplit: bool = False
    can_write: bool = False  # marks, attendance, topics, tasks
    correcting: bool = False  # the deputy's or administrator's corrections
    can_set_period_marks: bool = False
    can_correct: bool = False
    can_history: bool = False
    year_closed: bool = False
    read_only_reason: str = ""
    focus_lesson_id: int | None = None  # the latest lesson up to today: the grid opens scrolled to it
    substitute_lessons: frozenset | None = None  # a substitute writes only the lessons he gave
    today: date | None = None  # the organization's: a lesson after it takes no marks and attendance yet
    can_form_lessons: bool = False  # no lessons: the actor may form them from the timetable (link shown)
    show_flags: bool = False  # the actor answers «отметка ошибочна» flags: the cells show the open ones

    def lesson_editable(self, lesson):
        """Its topic, homework and tasks (planned ahead too)."""
        if not self.can_write or lesson.is_cancelled:
            return False
        return self.substitute_lessons is None or lesson.id in self.substitute_lessons

    def not_given(self, lesson):
        """The lesson is dated after today: its marks and attendance cells are read-only (policy.not_given)."""
        return self.today is not None and rules.not_given(lesson, self.today)

    def entries_editable(self, lesson):
        """Its marks and attendance: an editable lesson already given (grid_save refuses a later one)."""
        return self.lesson_editable(lesson) and not self.not_given(lesson)

    @property
    def task_columns(self):
        return [t for lesson in self.lessons for t in lesson.tasks]

    @property
    def code_kinds(self):
        return {c.code: c.kind for c in self.codes}


def assignment_label(assignment):
    group = f" ({assignment.subgroup.name})" if assignment.subgroup is not None else ""
    return f"{assignment.klass.name} — {assignment.subject.name}{group}"


def load_assignment(actor, assignment_id, verb="list"):
    """The assignment (with class, subject, subgroup), the teacher's name, the year's periods, and
    the actor's own assignments of that year; one statement. 404 (None) when out of reach."""
    TA = TeachingAssignment
    cond = permissions.row_condition(actor, "journal", verb, TA)
    year_of = select(TA.year_id).where(TA.id == assignment_id).scalar_subquery()
    own = TA.teacher_id == actor.staff_id if actor.staff_id else false()
    rows = db.session.execute(
        select(TA, Period, AcademicYear.is_closed, Staff.last_name, Staff.first_name, Staff.middle_name)
        .join(Staff, Staff.id == TA.teacher_id)
        .join(AcademicYear, AcademicYear.id == TA.year_id)
        .outerjoin(Period, Period.year_id == TA.year_id)
        .where(cond, TA.year_id == year_of, or_(TA.id == assignment_id, own))
        .options(joinedload(TA.klass), joinedload(TA.subject), joinedload(TA.subgroup))
        .order_by(Period.start_date)).all()
    target = next((r for r in rows if r[0].id == assignment_id), None)
    if target is None:
        return None
    assignment = target[0]
    periods = []
    for r in rows:
        if r[0].id == assignment_id and r[1] is not None:
            periods.append(r[1])
    siblings = {}
    for r in rows:
        if r[0].id not in siblings and (r[0].teacher_id == actor.staff_id or r[0].id == assignment_id):
            siblings[r[0].id] = r[0]
    ordered = sorted(siblings.values(), key=lambda a: (a.klass.grade, a.klass.name, a.subject.name,
                                                       a.subgroup.name if a.subgroup else ""))
    return (assignment, periods, short_person(*target[3:]), [(a, assignment_label(a)) for a in ordered],
            bool(target[2]))


def _upper_mark(assignment, kind, column="value"):
    """The student's year or final mark (or the time it was set) of the assignment's subject and year, as
    a column of the rows' statement (no statement of its own)."""
    upper = aliased(PeriodMark)
    return select(getattr(upper, column)).where(
        upper.student_id == Student.id, upper.subject_id == assignment.subject_id,
        upper.year_id == assignment.year_id, upper.kind == kind).limit(1).correlate(Student).scalar_subquery()


def _student_rows(assignment, period):
    """Students who belonged to the class on some day of the period, by the movement book's history
    (the subgroup's members of the period when it is split), with their period mark and their own
    dates in the class; one statement. Returns (rows, unsplit, {student id: [(from, to)]})."""
    subject_id = assignment.subject_id
    member = aliased(SubgroupMember)
    M = roster.M
    start, end = period.start_date, period.end_date
    columns = [Student.id, Student.last_name, Student.first_name, Student.middle_name, Student.status,
               PeriodMark.id, PeriodMark.value, PeriodMark.version, M.start_date, M.end_date, M.on_leave,
               _upper_mark(assignment, PeriodMarkKind.YEAR.value), _upper_mark(assignment, PeriodMarkKind.FINAL.value),
               PeriodMark.set_at, _upper_mark(assignment, PeriodMarkKind.YEAR.value, "set_at"),
               _upper_mark(assignment, PeriodMarkKind.FINAL.value, "set_at")]
    query = select(*columns, member.id if assignment.subgroup_id else literal(None)) \
        .join(M, and_(M.student_id == Student.id, M.class_id == assignment.class_id, roster.overlaps(start, end))) \
        .outerjoin(PeriodMark, and_(PeriodMark.student_id == Student.id, PeriodMark.subject_id == subject_id,
                                    PeriodMark.year_id == assignment.year_id,
                                    PeriodMark.kind == PeriodMarkKind.PERIOD.value,
                                    PeriodMark.period_id == period.id))
    if assignment.subgroup_id:
        query = query.outerjoin(member, and_(member.student_id == Student.id,
                                             member.subgroup_id == assignment.subgroup_id,
                                             member.period_id == period.id))
    query = query.order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id, M.start_date)
    rows, ranges = [], {}
    for r in db.session.execute(query).all():
        spans = ranges.get(r[0])
        if spans is None:
            spans = ranges[r[0]] = []
            rows.append(r)
        if not r[10]:  # academic leave: listed, but the days are not his to mark
            spans.append((max(r[8], start), min(r[9], end) if r[9] is not None else end))
    unsplit = False
    if assignment.subgroup_id:
        members = [r for r in rows if r[-1] is not None]
        unsplit = not members
        rows = rows if unsplit else members
    return rows, unsplit, ranges


def _lessons(assignment, period, topics):
    """The period's lessons of the assignment with their tasks (and types); one statement."""
    earlier = select(func.count(Lesson.id)).where(
        Lesson.assignment_id == assignment.id, Lesson.is_cancelled.is_(False),
        Lesson.date < period.start_date).scalar_subquery()
    rows = db.session.execute(
        select(Lesson.id, Lesson.date, Lesson.number, Lesson.topic, Lesson.homework, Lesson.is_cancelled,
               Lesson.homework_due_lesson_id, earlier if topics else literal(0), Lesson.teacher_id,
               Task.id, Task.type_id, Task.weight, Task.is_mandatory, Task.topic, Task.position,
               TaskType.name, TaskType.short_name, Lesson.attendance_taken, Lesson.version, Task.version)
        .outerjoin(Task, Task.lesson_id == Lesson.id)
        .outerjoin(TaskType, TaskType.id == Task.type_id)
        .where(Lesson.assignment_id == assignment.id,
               Lesson.date >= period.start_date, Lesson.date <= period.end_date)
        .order_by(Lesson.date, Lesson.number, Lesson.id, Task.position, Task.id)).all()
    lessons = {}
    index = None
    for r in rows:
        lesson = lessons.get(r[0])
        if lesson is None:
            lesson = lessons[r[0]] = GridLesson(r[0], r[1], r[2], r[3] or "", r[4] or "", bool(r[5]), r[6], r[8],
                                                attendance_taken=bool(r[17]), version=r[18])
            if index is None:
                index = int(r[7] or 0)
            if not lesson.is_cancelled:
                index += 1
                if topics and not lesson.topic.strip():
                    lesson.planned = topic_at(topics, index)
        if r[9] is not None:
            lesson.tasks.append(GridTask(f"t{r[9]}", r[9], r[0], r[10], r[15] or "", r[16] or "",
                                         Decimal(str(r[11])), bool(r[12]), r[13] or "", r[14] or 0, r[1], r[19]))
    ordered = list(lessons.values())
    position = {lesson.id: n for n, lesson in enumerate(ordered)}
    for n, lesson in enumerate(ordered):
        if lesson.homework_due_lesson_id in position:
            lesson.due = ordered[position[lesson.homework_due_lesson_id]]
            if position[lesson.homework_due_lesson_id] > n:
                lesson.due_later = lesson.due
    return ordered


def _entries(assignment, period):
    """Marks and attendance of the period's lessons, in one UNION ALL statement."""
    lesson_ids = select(Lesson.id).where(Lesson.assignment_id == assignment.id,
                                         Lesson.date >= period.start_date, Lesson.date <= period.end_date)
    text = String(300)
    marks = select(literal("m").label("kind"), Mark.task_id.label("ref"), Mark.student_id,
                   cast(Mark.value, text).label("value"), cast(Mark.comment, text).label("comment"),
                   Mark.version, Mark.id) \
        .join(Task, Task.id == Mark.task_id).where(Task.lesson_id.in_(lesson_ids))
    attendance = select(literal("a"), Attendance.lesson_id, Attendance.student_id,
                        cast(AttendanceCode.code, text), cast(Attendance.reason_note, text),
                        Attendance.version, Attendance.id) \
        .join(AttendanceCode, AttendanceCode.id == Attendance.code_id) \
        .where(Attendance.lesson_id.in_(lesson_ids))
    # the open «отметка ошибочна» flags of the lessons' marks (issue 16.4), in the same statement
    flags = open_flags_of_lessons(lesson_ids, literal("f"), Mark.task_id, MarkFlag.student_id,
                                  cast(MarkFlag.mark_value, text), cast(MarkFlag.comment, text), MarkFlag.id,
                                  MarkFlag.mark_id)
    return db.session.execute(union_all(marks, attendance, flags)).all()


def add_empty_columns(lessons, types, editable):
    """A lesson without tasks still gets a column: a mark typed there creates a task of the
    first (default) type when the grid is saved."""
    default = types[0] if types else None
    for lesson in lessons:
        if not lesson.tasks and editable(lesson) and default is not None:
            lesson.tasks.append(GridTask(f"L{lesson.id}", None, lesson.id, default.id, default.name,
                                         default.short_name, default.default_weight,
                                         default.default_mandatory, "", 1, lesson.date))


def figures_for(row, tasks, code_kinds, threshold, today):
    """Average, count, debts, missed lessons and the suggested mark of one student (SPEC §4)."""
    pairs, count, debts = [], 0, 0
    for task in tasks:
        cell = row.marks.get(task.key)
        if cell is not None and cell.value:
            count += 1
            pairs.append((cell.value, task.weight))
        elif task.id is not None and task.is_mandatory and task.lesson_date <= today and row.covers(task.lesson_date):
            debts += 1
    row.average = weighted_average(pairs)
    row.mark_count = count
    row.debts = debts
    row.missed = sum(1 for cell in row.attendance.values() if code_kinds.get(cell.value) in MISSED_KINDS)
    row.suggested = suggested_mark(row.average, threshold)


def load_grid(actor, assignment_id, period_id=None, today=None, correct=False):
    """The journal grid of one assignment and period, as the actor may see it; None when the
    assignment is out of the actor's reach."""
    today = today or dates.today(actor.org)
    loaded = load_assignment(actor, assignment_id)
    if loaded is None:
        return None
    assignment, periods, teacher_name, siblings, year_closed = loaded
    period = next((p for p in periods if p.id == period_id), None) if period_id else None
    if period is None:
        period = current_period(periods, today)
    klass, subject, org = assignment.klass, assignment.subject, actor.org
    grid = Grid(assignment=assignment, klass=klass, subject=subject, subgroup=assignment.subgroup,
                teacher_name=teacher_name, period=period, periods=periods, siblings=siblings, lessons=[],
                rows=[], types=[], codes=[], no_marks=rules.no_marks(org, klass, subject),
                mark_values=tuple(rules.mark_values(subject, klass, org)),
                period_mark_values=tuple(rules.period_mark_values(subject, PeriodMarkKind.PERIOD.value, klass,
                                                                  org)),
                year_closed=year_closed)
    if period is None:
        return grid

    student_rows, grid.subgroup_unsplit, ranges = _student_rows(assignment, period)
    types, codes, topics = load_reference(assignment.org_id, assignment.thematic_plan_id)
    grid.types, grid.codes = types, codes
    grid.lessons = _lessons(assignment, period, topics)
    entries = _entries(assignment, period)
    grid.today = today
    grid.show_flags = permissions.allowed(actor, "mark_flag", "answer")
    _decide_access(actor, grid, correct)
    if grid.can_write and not grid.no_marks:
        add_empty_columns(grid.lessons, types, grid.entries_editable)
    if not grid.lessons:  # «Уроки не сформированы»: the link to form them, for those who may
        grid.can_form_lessons = permissions.allowed(actor, "timetable", "generate")

    rows = {}
    for n, r in enumerate(student_rows, start=1):
        rows[r[0]] = GridRow(n, r[0], short_person(r[1], r[2], r[3]), " ".join(p for p in r[1:4] if p),
                             r[4] == StudentStatus.WITHDRAWN.value,
                             period_mark=Cell(r[6] or "", "", r[7], r[5]), ranges=ranges.get(r[0], []),
                             year_mark=r[11] or "", final_mark=r[12] or "",
                             set_on=_set_on(r[6], r[11], r[12], r[13:16], org))
    for kind, ref, student_id, value, comment, version, id_ in entries:
        row = rows.get(student_id)
        if row is None:
            continue
        if kind == "f":
            if grid.show_flags:
                row.flags.setdefault(f"t{ref}", []).append(comment or "")
            continue
        cell = Cell(value or "", comment or "", version, id_)
        if kind == "m":
            row.marks[f"t{ref}"] = cell
        else:
            row.attendance[ref] = cell
    grid.rows = list(rows.values())

    given = [lesson.id for lesson in grid.lessons if lesson.date <= today]
    grid.focus_lesson_id = given[-1] if given else None
    tasks = grid.task_columns
    threshold = org.rounding_threshold if org is not None else Decimal("0.50")
    code_kinds = grid.code_kinds
    for row in grid.rows:
        figures_for(row, tasks, code_kinds, threshold, today)
    return grid


def _set_on(period_value, year_value, final_value, set_at, org):
    """{kind: the organization's date} of the student's set period, year and final marks."""
    kinds = (PeriodMarkKind.PERIOD.value, PeriodMarkKind.YEAR.value, PeriodMarkKind.FINAL.value)
    return {kind: dates.local(at, org).date() for kind, value, at in zip(kinds, (period_value, year_value, final_value),
                                                                         set_at) if value and at is not None}


def _decide_access(actor, grid, correct):
    assignment, period = grid.assignment, grid.period
    grid.can_correct = bool(rules.can_correct(actor))
    grid.can_history = permissions.allowed(actor, "cell_history", "list")
    writer = bool(rules.can_write(actor, assignment))
    grid.correcting = bool(correct and grid.can_correct and not writer)
    substituted = frozenset(lesson.id for lesson in grid.lessons
                            if not (writer or grid.correcting) and rules.can_write(actor, assignment, lesson))
    if period.is_closed:
        grid.read_only_reason = f"Период «{period.name}» закрыт: журнал доступен только для чтения."
    elif grid.year_closed:
        grid.read_only_reason = "Учебный год закрыт: журнал доступен только для чтения."
    elif substituted:
        grid.substitute_lessons = substituted
    elif not (writer or grid.correcting):
        grid.read_only_reason = "Журнал открыт для просмотра."
    grid.can_write = (writer or grid.correcting or bool(substituted)) and not grid.read_only_reason
    own_class = grid.klass.id in actor.own_class_ids
    school = actor.org is not None and not actor.org.is_college
    grid.can_set_period_marks = not (period.is_closed or grid.year_closed) and (
        writer or (own_class and school) or grid.correcting)


def cell_editable(grid, row, mark=False, lesson=None):
    """May the actor change this student's marks (mark=True) or attendance (of `lesson`: never on a
    date he was not in the class — the cell is greyed)?"""
    if not grid.can_write:
        return False
    if lesson is not None and (not row.covers(lesson.date) or grid.not_given(lesson)):
        return False
    if mark:
        return not grid.no_marks and (grid.correcting or not row.marks_locked)
    return True


def period_mark_editable(grid, row):
    """May the actor set this student's period mark? Only while he is in the class on the period's last
    day (one who left after it keeps it editable); once set, or once a year or final mark stands on it,
    only a corrector changes it (services.journal.period_marks: PERIOD_MARK_SET, locked_by)."""
    return grid.can_set_period_marks and row.covers(grid.period.end_date) and (
        grid.can_correct or not (row.period_mark.value or row.year_locked))


def lock_shown(grid, row):
    """The reason to show beside a student whose cells a lock closes to this actor ('' when none does)."""
    if row.withdrawn or grid.correcting or not (grid.can_write or grid.can_set_period_marks):
        return ""
    return row.lock_reason


# -- the journal's index: the assignments the actor may open -------------------------------------

def visible_assignments(actor, year_id=None):
    """Assignments whose journal the actor may open, with class and subject, for the index page."""
    TA = TeachingAssignment
    cond = permissions.row_condition(actor, "journal", "list", TA)
    query = select(TA).join(SchoolClass, SchoolClass.id == TA.class_id) \
        .join(Subject, Subject.id == TA.subject_id).where(cond) \
        .options(joinedload(TA.klass), joinedload(TA.subject), joinedload(TA.subgroup)) \
        .order_by(SchoolClass.grade, SchoolClass.name, Subject.sort_order, Subject.name, TA.id)
    if year_id is not None:
        query = query.where(TA.year_id == year_id)
    return db.session.scalars(query).all()


def teacher_names(staff_ids):
    rows = db.session.execute(select(Staff.id, Staff.last_name, Staff.first_name, Staff.middle_name)
                              .where(Staff.id.in_(set(staff_ids)))).all()
    return {r[0]: short_person(*r[1:]) for r in rows}
