"""The read side of the journal: the grid of one teaching assignment, a class's summary, absences
to explain, and the diary of a student.

Every page here is loaded set-based, a fixed handful of statements whatever the class or the
period: the grid page costs five (assignment with the year's periods; students with their period
marks; lessons with their tasks; marks and attendance together; reference lists), the diary week
four. Rows are reached only through the permission table's row conditions. Writes go through
services/journal/grid_save.py and its siblings.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from markupsafe import Markup, escape
from sqlalchemy import (Boolean, Integer, Numeric, String, and_, cast, false, func, literal, null, or_, select,
                        union_all)
from sqlalchemy.orm import aliased, joinedload

from models import (AbsenceKind, AcademicYear, Attendance, AttendanceCode, Bell, ClassMembership, Lesson, Mark,
                    Period, PeriodMark, PeriodMarkKind, SchoolClass, Staff, Student, StudentStatus, Subgroup,
                    SubgroupMember, Subject, Task, TaskType, TeachingAssignment, ThematicPlanTopic, db)
from reports.figures import suggested_mark, weighted_average
from services import audit, clock, permissions
from services.movement import roster
from services.journal import policy
from services.org.calendar import WorkingCalendar
from services.journal.absences import ABSENCE_REASON_DAYS
from services.planning.ktp import topic_at
from services.movement.roster import stayed

DEBT_PLACEHOLDER = ' placeholder="."'
MISSED_KINDS = (AbsenceKind.ABSENT.value, AbsenceKind.ILL.value, AbsenceKind.EXCUSED.value)
MONTHS_GEN = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
              "октября", "ноября", "декабря")
WEEKDAY_NAMES = ("Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье")


def short_person(last, first, middle=None):
    initials = "".join(f"{p[0]}." for p in (first, middle) if p)
    return f"{last} {initials}".strip()


def current_period(periods, today=None):
    """The period that contains today, else the next one, else the last one."""
    today = today or clock.today()
    return next((p for p in periods if p.start_date <= today <= p.end_date), None) or \
        next((p for p in periods if p.start_date > today), None) or (periods[-1] if periods else None)


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


LOCK_REASONS = {PeriodMarkKind.FINAL.value: "выставлена итоговая отметка — правка у заместителя директора",
                PeriodMarkKind.YEAR.value: "выставлена годовая отметка — правка у заместителя директора",
                PeriodMarkKind.PERIOD.value: "выставлена отметка за период — правка у заместителя директора"}


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
    def lock_reason(self):
        """Why the teacher cannot change this student's marks, for the grid's lock icon ('' if he can)."""
        if self.final_mark:
            return LOCK_REASONS[PeriodMarkKind.FINAL.value]
        if self.year_mark:
            return LOCK_REASONS[PeriodMarkKind.YEAR.value]
        return LOCK_REASONS[PeriodMarkKind.PERIOD.value] if self.period_mark.value else ""


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

    def lesson_editable(self, lesson):
        if not self.can_write or lesson.is_cancelled:
            return False
        return self.substitute_lessons is None or lesson.id in self.substitute_lessons

    def body(self, columns, today):
        """[(row, Markup of the row's cells)] for templates/journal/grid.html: each cell's state (its
        own input or read-only, greyed outside his dates, debt, comment, history link) decided once
        here, the markup static/journal.js reads built with every value escaped — the template's
        per-cell work was most of the page's time (issue 7)."""
        lesson_editable = {}
        cols = []
        for c in columns:
            lesson = c.lesson
            editable = lesson_editable.get(lesson.id)
            if editable is None:
                editable = lesson_editable[lesson.id] = self.lesson_editable(lesson)
            task = c.task
            if c.kind == "att":
                cols.append((True, lesson.date, editable, str(c.index), lesson.id, False, ""))
            else:
                saved = task.id is not None
                cols.append((False, lesson.date, editable, str(c.index), task.key, saved and task.is_mandatory,
                             f' data-history="{task.id}:' if saved and self.can_history else ""))
        escaped = _EscapedValues()
        return [(row, self._row_cells(row, cols, today, escaped)) for row in self.rows]

    def _row_cells(self, row, cols, today, escaped):
        withdrawn = row.withdrawn
        writes = self.can_write  # cell_editable(), less the dates: his cells within his stay, whatever his status
        marks_ok = writes and not self.no_marks and (self.correcting or not row.marks_locked)
        ranges, marks, attendance = row.ranges, row.marks, row.attendance
        history_end = f'{row.student_id}"'
        covered = {}
        out = []
        add = out.append
        for is_att, day, editable, index, ref, mandatory, history in cols:
            covers = covered.get(day)
            if covers is None:
                covers = covered[day] = row.covers(day)
            if is_att:
                cell = attendance.get(ref)
                if editable and writes and covers:
                    if cell is None:
                        add(f'<td class="ja"><input class="jc a" data-col="{index}"></td>')
                    else:
                        add(f'<td class="ja"><input class="jc a" data-col="{index}" data-v="{cell.version}" '
                            f'value="{escaped[cell.value]}"></td>')
                else:
                    add(f'<td class="ja ro{"" if covers else " out"}">{escaped[cell.value] if cell else ""}</td>')
                continue
            cell = marks.get(ref)
            value = cell.value if cell is not None else ""
            comment = cell.comment if cell is not None else ""
            debt = mandatory and not value and day <= today and not withdrawn and covers
            if editable and marks_ok and covers:
                if cell is None:
                    attrs = ""
                elif comment:
                    comment = escape(comment)
                    attrs = (f' data-v="{cell.version}" value="{escaped[value]}" data-c="{comment}"'
                             f' title="{comment}"')
                else:
                    attrs = f' data-v="{cell.version}" value="{escaped[value]}"'
                add(f'<td class="jm{" has-comment" if comment else ""}"><input class="jc m" data-col="{index}"'
                    f'{attrs}{DEBT_PLACEHOLDER if debt else ""}></td>')
            else:
                title = f' title="{escape(comment)}"' if comment else ""
                add(f'<td class="jm ro{"" if covers else " out"}{" has-comment" if comment else ""}'
                    f'{" debt" if debt else ""}"{title}{history + history_end if history else ""}>'
                    f'{escaped[value] if value else ("." if debt else "")}</td>')
        return Markup("".join(out))

    @property
    def task_columns(self):
        return [t for lesson in self.lessons for t in lesson.tasks]

    @property
    def code_kinds(self):
        return {c.code: c.kind for c in self.codes}


class _EscapedValues(dict):
    """Marks and attendance codes are a handful of distinct short strings: each escaped once."""

    def __missing__(self, value):
        text = self[value] = str(escape(value))
        return text


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


def _upper_mark(assignment, kind):
    """The student's year or final mark of the assignment's subject and year, as a column of the rows'
    statement (no statement of its own)."""
    upper = aliased(PeriodMark)
    return select(upper.value).where(upper.student_id == Student.id, upper.subject_id == assignment.subject_id,
                                     upper.year_id == assignment.year_id, upper.kind == kind) \
        .limit(1).correlate(Student).scalar_subquery()


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
               _upper_mark(assignment, PeriodMarkKind.YEAR.value), _upper_mark(assignment, PeriodMarkKind.FINAL.value)]
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
    return db.session.execute(union_all(marks, attendance)).all()


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
    today = today or clock.today()
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
                rows=[], types=[], codes=[], no_marks=policy.no_marks(org, klass, subject),
                mark_values=tuple(policy.mark_values(subject, klass, org)),
                period_mark_values=tuple(policy.period_mark_values(subject, PeriodMarkKind.PERIOD.value, klass,
                                                                  org)),
                year_closed=year_closed)
    if period is None:
        return grid

    student_rows, grid.subgroup_unsplit, ranges = _student_rows(assignment, period)
    types, codes, topics = load_reference(assignment.org_id, assignment.thematic_plan_id)
    grid.types, grid.codes = types, codes
    grid.lessons = _lessons(assignment, period, topics)
    entries = _entries(assignment, period)
    _decide_access(actor, grid, correct)
    if grid.can_write and not grid.no_marks:
        add_empty_columns(grid.lessons, types, grid.lesson_editable)

    rows = {}
    for n, r in enumerate(student_rows, start=1):
        rows[r[0]] = GridRow(n, r[0], short_person(r[1], r[2], r[3]), " ".join(p for p in r[1:4] if p),
                             r[4] == StudentStatus.WITHDRAWN.value,
                             period_mark=Cell(r[6] or "", "", r[7], r[5]), ranges=ranges.get(r[0], []),
                             year_mark=r[11] or "", final_mark=r[12] or "")
    for kind, ref, student_id, value, comment, version, id_ in entries:
        row = rows.get(student_id)
        if row is None:
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


def _decide_access(actor, grid, correct):
    assignment, period = grid.assignment, grid.period
    grid.can_correct = bool(policy.can_correct(actor))
    grid.can_history = permissions.allowed(actor, "cell_history", "list")
    writer = bool(policy.can_write(actor, assignment))
    grid.correcting = bool(correct and grid.can_correct and not writer)
    substituted = frozenset(lesson.id for lesson in grid.lessons
                            if not (writer or grid.correcting) and policy.can_write(actor, assignment, lesson))
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
    if lesson is not None and not row.covers(lesson.date):
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


# -- the class teacher: the class's summary and the journals of all subjects -------------------

@dataclass
class SummaryCell:
    average: Decimal | None = None
    period_mark: str = ""
    count: int = 0


@dataclass
class ClassSummary:
    klass: SchoolClass
    period: Period | None
    periods: list
    subjects: list  # (subject, [assignments])
    students: list  # (student id, short name, withdrawn)
    cells: dict  # (student id, subject id) -> SummaryCell

    def cell(self, student_id, subject_id):
        return self.cells.get((student_id, subject_id)) or SummaryCell()


def load_class(actor, class_id):
    """The class (with the year's periods) if the actor may read its journal; one statement."""
    cond = permissions.row_condition(actor, "class_journal", "list", SchoolClass)
    rows = db.session.execute(
        select(SchoolClass, Period).outerjoin(Period, Period.year_id == SchoolClass.year_id)
        .where(cond, SchoolClass.id == class_id).order_by(Period.start_date)).all()
    if not rows:
        return None, []
    return rows[0][0], [r[1] for r in rows if r[1] is not None]


def class_summary(actor, class_id, period_id=None, today=None):
    klass, periods = load_class(actor, class_id)
    if klass is None:
        return None
    period = next((p for p in periods if p.id == period_id), None) or current_period(periods, today)
    assignments = db.session.scalars(
        select(TeachingAssignment).where(TeachingAssignment.class_id == klass.id)
        .options(joinedload(TeachingAssignment.subject), joinedload(TeachingAssignment.subgroup))).all()
    by_subject = defaultdict(list)
    for a in assignments:
        by_subject[a.subject].append(a)
    subjects = sorted(by_subject.items(), key=lambda kv: (kv[0].sort_order, kv[0].name))
    for _, items in subjects:
        items.sort(key=lambda a: a.subgroup.name if a.subgroup else "")
    # The class's students of the period by the movement book (one who moved mid-period is listed
    # in both classes); without periods, the card's class.
    in_class = Student.id.in_(roster.member_ids(klass.id, period.start_date, period.end_date, include_leave=True)) \
        if period is not None else Student.class_id == klass.id
    students = [(s.id, short_person(s.last_name, s.first_name, s.middle_name),
                 s.status == StudentStatus.WITHDRAWN.value)
                for s in db.session.execute(select(Student.id, Student.last_name, Student.first_name,
                                                   Student.middle_name, Student.status)
                                            .where(in_class)
                                            .order_by(Student.last_name, Student.first_name, Student.id)).all()]
    summary = ClassSummary(klass, period, periods, subjects, students, {})
    if period is None:
        return summary
    marks = db.session.execute(
        select(Mark.student_id, TeachingAssignment.subject_id, Mark.value, Task.weight)
        .join(Task, Task.id == Mark.task_id).join(Lesson, Lesson.id == Task.lesson_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .where(TeachingAssignment.class_id == klass.id, Lesson.date >= period.start_date,
               Lesson.date <= period.end_date)).all()
    pairs = defaultdict(list)
    for student_id, subject_id, value, weight in marks:
        pairs[(student_id, subject_id)].append((value, weight))
    cells = {}
    for key, values in pairs.items():
        cells[key] = SummaryCell(weighted_average(values), "", len(values))
    period_marks = db.session.execute(
        select(PeriodMark.student_id, PeriodMark.subject_id, PeriodMark.value)
        .where(PeriodMark.student_id.in_(select(Student.id).where(in_class)),
               PeriodMark.kind == PeriodMarkKind.PERIOD.value, PeriodMark.period_id == period.id)).all()
    for student_id, subject_id, value in period_marks:
        cells.setdefault((student_id, subject_id), SummaryCell()).period_mark = value
    summary.cells = cells
    return summary


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


# -- absences the class teacher explains ---------------------------------------------------------

@dataclass
class AbsenceRow:
    attendance_id: int
    student_name: str
    lesson_date: date
    lesson_number: int
    subject: str
    code: str
    code_kind: str
    note: str
    document_date: date | None
    reason_set: bool
    deadline: date | None
    overdue: bool
    document_text: str = ""  # the document's date as typed (dd.mm.yyyy)
    error: str = ""  # why a reason typed on the page was refused
    version: int | None = None  # of the attendance, sent back with the reason (a stale one is refused)


def absences(actor, class_id, start, end, today=None):
    """Absences («н», «б», «у» … all but lateness) of the class's students in a range of dates,
    with the deadline for the reason: 2 working days after the document (or the lesson)."""
    today = today or clock.today()
    cond = permissions.row_condition(actor, "absence_reason", "list", Student)
    M = roster.M
    # The class's students on the lesson's date, by the movement book: his own dates only.
    in_class = select(M.id).where(M.student_id == Student.id, M.class_id == class_id,
                                  M.start_date <= Lesson.date,
                                  or_(M.end_date.is_(None), M.end_date >= Lesson.date)).exists()
    rows = db.session.execute(
        select(Attendance.id, Student.last_name, Student.first_name, Student.middle_name, Lesson.date,
               Lesson.number, Subject.name, AttendanceCode.code, AttendanceCode.kind, Attendance.reason_note,
               Attendance.document_date, Attendance.reason_set_at, Attendance.version)
        .join(Student, Student.id == Attendance.student_id)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .join(AttendanceCode, AttendanceCode.id == Attendance.code_id)
        .where(cond, in_class, AttendanceCode.kind != AbsenceKind.LATE.value,
               Lesson.date >= start, Lesson.date <= end)
        .order_by(Lesson.date, Student.last_name, Student.first_name, Lesson.number)).all()
    calendar = WorkingCalendar(actor.org_id, start - timedelta(days=31), max(end, today) + timedelta(days=31))
    result = []
    for r in rows:
        base = r[10] or r[4]
        deadline = calendar.add_working_days(base, ABSENCE_REASON_DAYS)
        result.append(AbsenceRow(r[0], short_person(r[1], r[2], r[3]), r[4], r[5], r[6], r[7], r[8],
                                 r[9] or "", r[10], r[11] is not None, deadline,
                                 r[11] is None and today > deadline,
                                 r[10].strftime("%d.%m.%Y") if r[10] else "", version=r[12]))
    return result


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


@dataclass
class DiaryDay:
    date: date
    lessons: list = field(default_factory=list)

    @property
    def title(self):
        return f"{WEEKDAY_NAMES[self.date.weekday()]}, {self.date.day} {MONTHS_GEN[self.date.month - 1]}"


def week_start(day):
    return day - timedelta(days=day.weekday())


def _student_lessons(child, start, end):
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
    mine = select(member.id).where(member.student_id == child.id, member.subgroup_id == TA.subgroup_id,
                                   or_(member.period_id == Lesson.period_id, member.period_id.in_(period_of)))
    split_at_all = select(split.id).where(split.student_id == child.id, split.subject_id == TA.subject_id,
                                          or_(split.period_id == Lesson.period_id, split.period_id.in_(period_of)))
    his_classes = select(ClassMembership.class_id).where(ClassMembership.student_id == child.id,
                                                         roster.overlaps(start, end))
    return and_(TA.class_id.in_(his_classes), stayed(child.id, TA.class_id, Lesson.date),
                Lesson.date >= start, Lesson.date <= end,
                or_(TA.subgroup_id.is_(None), mine.exists(), ~split_at_all.exists()))


def diary_week(child, start):
    """Days of the week (Mon–Sat) with the student's lessons, marks, attendance and homework."""
    TA = TeachingAssignment
    end = start + timedelta(days=6)
    days = {start + timedelta(days=i): DiaryDay(start + timedelta(days=i)) for i in range(6)}
    if child.class_id is None:
        return list(days.values())
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
    query = select(*columns, func.coalesce(due_lesson.date, next_date)) \
        .join(TA, TA.id == Lesson.assignment_id).join(Subject, Subject.id == TA.subject_id) \
        .outerjoin(Staff, Staff.id == func.coalesce(Lesson.teacher_id, TA.teacher_id)) \
        .outerjoin(year_bell, and_(year_bell.org_id == Lesson.org_id, year_bell.year_id == TA.year_id,
                                   year_bell.shift == Lesson.shift, year_bell.number == Lesson.number)) \
        .outerjoin(standing_bell, and_(standing_bell.org_id == Lesson.org_id, standing_bell.year_id.is_(None),
                                       standing_bell.shift == Lesson.shift,
                                       standing_bell.number == Lesson.number))
    query = query.outerjoin(due_lesson, due_lesson.id == Lesson.homework_due_lesson_id)
    lessons_cond = _student_lessons(child, start, end)
    rows = db.session.execute(query.where(lessons_cond).order_by(Lesson.date, Lesson.number, Lesson.id)).all()
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
    return list(days.values())


def _attach_due_work(lessons):
    """Homework due on each lesson: given on an earlier lesson for it, or, without a due lesson,
    given on the assignment's previous lesson; one statement."""
    ids = list(lessons)
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
    for lesson_id, day, homework in sorted(db.session.execute(union_all(explicit, implicit)).all(),
                                           key=lambda r: r[1]):
        if homework and homework.strip():
            lessons[lesson_id].due_work.append((day, homework))


def _attach_marks(child, lessons):
    """Marks (with task type and weight), debts and attendance of the lessons; one statement."""
    ids = list(lessons)
    text = String(300)
    marks = select(literal("m").label("kind"), Task.lesson_id, cast(Mark.value, text).label("value"),
                   cast(Mark.comment, text).label("comment"), cast(TaskType.name, text).label("type_name"),
                   cast(TaskType.short_name, text).label("short"), Task.weight, Task.is_mandatory,
                   cast(Task.topic, text).label("topic"), Task.position) \
        .join(Task, Task.id == Mark.task_id).join(TaskType, TaskType.id == Task.type_id) \
        .where(Mark.student_id == child.id, Task.lesson_id.in_(ids))
    debts = select(literal("d"), Task.lesson_id, cast(null(), text), cast(null(), text),
                   cast(TaskType.name, text), cast(TaskType.short_name, text), Task.weight, Task.is_mandatory,
                   cast(Task.topic, text), Task.position) \
        .join(TaskType, TaskType.id == Task.type_id) \
        .where(Task.lesson_id.in_(ids), Task.is_mandatory.is_(True),
               ~select(Mark.id).where(Mark.task_id == Task.id, Mark.student_id == child.id).exists())
    attendance = select(literal("a"), Attendance.lesson_id, cast(AttendanceCode.code, text),
                        cast(AttendanceCode.name, text), cast(null(), text), cast(null(), text),
                        cast(null(), Numeric(4, 2)), cast(null(), Boolean), cast(null(), text),
                        cast(null(), Integer)) \
        .join(AttendanceCode, AttendanceCode.id == Attendance.code_id) \
        .where(Attendance.student_id == child.id, Attendance.lesson_id.in_(ids))
    rows = db.session.execute(union_all(marks, debts, attendance)).all()
    for kind, lesson_id, value, comment, type_name, short, weight, mandatory, topic, position in \
            sorted(rows, key=lambda r: (r[0], r[9] or 0)):
        lesson = lessons[lesson_id]
        if kind == "m":
            lesson.marks.append(DiaryMark(value, comment or "", type_name, short, Decimal(str(weight)),
                                          bool(mandatory), topic or ""))
        elif kind == "d":
            lesson.debts += 1
        else:
            lesson.attendance, lesson.attendance_name = value, comment or ""


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
