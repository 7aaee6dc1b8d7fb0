"""What the reports read, in set-based statements: each loader is one query whatever the number of
students, subjects or classes (no query per student or per cell). The figures themselves are
computed by services/journal/figures.py from what these return.

Who and what counts (issue 13, docs/REPORTS.md), the same in every report:
- a student's entries (marks, absences) are those of lessons dated within his stays in the lesson's
  class (`services.movement.roster.stayed`): every loader below takes only those;
- the class's set for a period is the students in the class on the period's last day (`class_sets`);
  a class's figure is over its set and over the class's own lessons (`set_mark_sums`,
  `set_attendance`).
"""
from dataclasses import dataclass
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import Integer, Select, and_, case, cast, func, select
from sqlalchemy.orm import joinedload

from models import (Attendance, AttendanceCode, Lesson, Mark, PeriodMark, SchoolClass, Task,
                    TeachingAssignment, db, scope)
from services.journal.figures import AttendanceCounts
from services.movement.roster import RosterEntry, rosters_between, stayed
from models import Staff, Student, Subject
from sqlalchemy import or_
from models import ClassMembership as M
from models import Period, SubgroupMember
from models import TaskType

NUMERIC = {"5": 5, "4": 4, "3": 3, "2": 2, "1": 1}


def column_rows(statement):
    """The rows of a SELECT of columns, executed as Core: the ORM's per-row processing of `session.execute`
    (a list of processors per row — ≈ 0.6 µs a row, 15–40 ms on the tens of thousands of period marks of an
    institution's reports) is skipped; the same transaction, and the engine the session routes the statement
    to (`Session.get_bind`: the read replica inside a report's `on_replica`). Fetched at once (a row at a time
    would be a `fetchone` of the driver per row). Pending changes are flushed first, as `session.execute` would;
    the organization scope's net is added as the session's hook adds it (`scope.limited`)."""
    if db.session.autoflush:
        db.session.flush()
    statement = scope.limited(statement)
    return db.session.connection(bind_arguments={"clause": statement}).execute(statement).all()


def rosters(class_ids, start, end):
    """{class id: [RosterEntry]}: everyone who belonged to the classes on some day of [start, end]."""
    return rosters_between(class_ids, start, end)


def in_class_on(entry, day):
    """The student belonged to the class on `day` (studying or on academic leave)."""
    return any(a <= day <= b for a, b in entry.ranges + entry.leave_ranges)


def counted(entries, day):
    """The entries the figures count: students still in the class on `day` (the period's last day);
    those who left before it are not counted (SPEC §4)."""
    return [e for e in entries if in_class_on(e, day)]


@dataclass
class ClassSets:
    """The classes' students for a period [start, end]: `rosters` — everyone who belonged to a class on
    some day of it (shown, a leaver greyed); `counted` — its set: those in it on the last day."""

    rosters: dict  # {class id: [RosterEntry]}
    counted: dict  # {class id: [RosterEntry]}
    start: object
    end: object

    def ids(self, class_id=None):
        """The counted students' ids: of one class, or of every class."""
        entries = self.counted[class_id] if class_id is not None else \
            [e for group in self.counted.values() for e in group]
        return {e.student_id for e in entries}

    def sets(self):
        """{class id: {student id}} of the counted students."""
        return {class_id: {e.student_id for e in entries} for class_id, entries in self.counted.items()}

    def at_start(self, class_id):
        """In the class on the period's first day («на начало»)."""
        return [e for e in self.rosters[class_id] if in_class_on(e, self.start)]


class _StudentId:
    """A student known by his id only: the sets of the institution's figures need no names (and no ORM card
    of 2 000 students); anything but `.id` fails loudly."""

    __slots__ = ("id",)

    def __init__(self, student_id):
        self.id = student_id


class _StudentName:
    """A student known by his id, his name and sex (a ledger's line: `person_name`, `movement_note`), read as
    columns — no ORM card of 2 000 students; anything else fails loudly."""

    __slots__ = ("id", "last_name", "first_name", "middle_name", "sex")

    def __init__(self, student_id, last_name, first_name, middle_name, sex):
        self.id, self.last_name, self.first_name, self.middle_name, self.sex = (
            student_id, last_name, first_name, middle_name, sex)


_NAME_COLUMNS = (Student.last_name, Student.first_name, Student.middle_name, Student.sex)


def _roster_ids(class_ids, start, end, names=False):
    """`rosters` without the students' cards (RosterEntry.student has the id only; `names`: also the name and
    sex, `_StudentName`), in the same order: one statement of ids and dates."""
    class_ids = list(class_ids)
    result = {class_id: [] for class_id in class_ids}
    if not class_ids:
        return result
    rows = column_rows(
        select(M.student_id, M.class_id, M.start_date, M.end_date, M.on_leave, *(_NAME_COLUMNS if names else ()))
        .join(Student, Student.id == M.student_id)
        .where(M.class_id.in_(class_ids), M.start_date <= end, or_(M.end_date.is_(None), M.end_date >= start))
        .order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id, M.start_date))
    entries, cards = {}, {}
    for student_id, class_id, since, until, on_leave, *name in rows:
        entry = entries.get((class_id, student_id))
        if entry is None:
            card = cards.get(student_id)
            if card is None:
                card = cards[student_id] = _StudentName(student_id, *name) if names else _StudentId(student_id)
            entry = entries[(class_id, student_id)] = RosterEntry(card)
            result[class_id].append(entry)
        span = (max(since, start), min(until, end) if until is not None else end)
        (entry.leave_ranges if on_leave else entry.ranges).append(span)
    return result


def roster_names(class_ids, start, end):
    """`rosters` whose students are their names and sex only (`_StudentName`: a ledger of every class names
    2 000 students and shows nothing else of them). One statement."""
    return _roster_ids(class_ids, start, end, names=True)


def class_sets(class_ids, start, end, names=True):
    """THE set of each class for [start, end] (ClassSets): one statement. `names=False`: the entries carry the
    students' ids, not their cards (reports of counts)."""
    rosters_ = rosters(class_ids, start, end) if names else _roster_ids(class_ids, start, end)
    return ClassSets(rosters_, {class_id: counted(entries, end) for class_id, entries in rosters_.items()},
                     start, end)


def members(class_ids, start, end):
    """A SELECT of the ids of everyone who belonged to the classes on some day of [start, end] (the students
    `rosters` returns), to embed in a loader's statement."""
    return select(M.student_id).where(M.class_id.in_(list(class_ids)), M.start_date <= end,
                                      or_(M.end_date.is_(None), M.end_date >= start))


def _stayed(student_column):
    """The entry's lesson is dated within the student's stay in the lesson's class."""
    return stayed(student_column, TeachingAssignment.class_id, Lesson.date)


def _of_sets(rows, sets):
    """{(class id, *rest): [values]}: the `rows` {(class id, student id, *rest): value} of each class's
    set `sets` ({class id: {student id}}), grouped without the student."""
    grouped = defaultdict(list)
    for (class_id, student_id, *rest), value in rows.items():
        if student_id in sets.get(class_id, ()):
            grouped[(class_id, *rest)].append(value)
    return grouped


def _all_ids(sets):
    return set().union(*sets.values()) if sets else set()


def set_mark_sums(sets, start, end, by=()):
    """{(class id, *by): (Σ mark × weight, Σ weight)}: the marks of each class's set `sets`
    ({class id: {student id}}) on the class's own lessons dated in [start, end]. One statement."""
    # The classes' lessons, not a list of their students: the planner starts from the classes' teaching
    # assignments (their students' marks of other years and classes are never read); the sets filter after.
    rows = mark_sums(None, start, end, class_id=list(sets), by=("class", "student", *by)) if sets else {}
    return {key: (sum(t for t, _ in pairs), sum(w for _, w in pairs)) for key, pairs in _of_sets(rows, sets).items()}


def set_attendance(sets, start, end, by=()):
    """{(class id, *by): AttendanceCounts}: the absences of each class's set on the class's own lessons
    dated in [start, end]. One statement."""
    result = defaultdict(AttendanceCounts)
    rows = attendance_counts(_all_ids(sets), start, end, by=("class", "student", *by))
    for key, counts in _of_sets(rows, sets).items():
        for c in counts:
            result[key] += c
    return result


def _period_mark_query(columns, student_ids, year_id, subject_id=None, key=None):
    """The SELECT of `columns` of the period marks `period_marks` reads (see there), or None: no student."""
    if not isinstance(student_ids, Select):  # a SELECT of ids is embedded (no list of 2 000 parameters)
        student_ids = list(student_ids)
        if not student_ids:
            return None
    query = select(*columns).where(
        PeriodMark.year_id.in_(year_id) if isinstance(year_id, (list, tuple, set)) else PeriodMark.year_id == year_id,
        PeriodMark.student_id.in_(student_ids))
    if subject_id is not None:
        query = query.where(PeriodMark.subject_id == subject_id)
    if key is not None:
        kind, period_id = key
        query = query.where(PeriodMark.kind == kind)
        if isinstance(period_id, (list, tuple, set)):  # one period of each of several years (a region's)
            query = query.where(PeriodMark.period_id.in_(list(period_id)))
        elif period_id:
            query = query.where(PeriodMark.period_id == period_id)
    return query


def period_marks(student_ids, year_id, subject_id=None, key=None):
    """{(student id, subject id): {("period", period id) | ("year", 0) | ("exam", 0) | ("final", 0): value}};
    `student_ids`: ids, or a SELECT of them (`members`); `year_id`: one year, or several (a region's schools,
    each its own year: reports/region_reports.py); `key`: only the marks of that one slot (a period's
    results read one period's marks, not the year's)."""
    result = defaultdict(dict)
    query = _period_mark_query((PeriodMark.student_id, PeriodMark.subject_id, PeriodMark.kind, PeriodMark.period_id,
                                PeriodMark.value), student_ids, year_id, subject_id, key)
    if query is None:
        return result
    for student_id, subject_id_, kind, period_id, value in column_rows(query):
        result[(student_id, subject_id_)][(kind, period_id or 0)] = value
    return result


def period_mark_slots(student_ids, year_id, keys):
    """{(student id, subject id): [his mark of each slot of `keys`, None for none]} — `period_marks`' values of
    those slots in their order (the ledgers' columns), read as tuples straight into the lists: no dictionary per
    student and subject (≈ 70 thousand marks in an institution's ledgers). A mark of a slot not in `keys` is
    left out."""
    result = {}
    query = _period_mark_query((PeriodMark.student_id, PeriodMark.subject_id, PeriodMark.kind, PeriodMark.period_id,
                                PeriodMark.value), student_ids, year_id)
    if query is None:
        return result
    index = {key: n for n, key in enumerate(keys)}
    size = len(keys)
    for student_id, subject_id, kind, period_id, value in column_rows(query):
        n = index.get((kind, period_id or 0))
        if n is None:
            continue
        got = result.get((student_id, subject_id))
        if got is None:
            got = result[(student_id, subject_id)] = [None] * size
        got[n] = value
    return result


def slot_values(student_ids, year_id, key):
    """{student id: [his marks of the slot `key` in every subject]} — the values of `period_marks(…, key=key)`
    by student, the empty ones left out (what the figures over all subjects count), read flat: no dictionary
    per student and subject."""
    result = defaultdict(list)
    query = _period_mark_query((PeriodMark.student_id, PeriodMark.value), student_ids, year_id, key=key)
    if query is None:
        return result
    for student_id, value in column_rows(query):
        if value:
            result[student_id].append(value)
    return result


def _numeric_value():
    return case(*((Mark.value == text, number) for text, number in NUMERIC.items()), else_=None)


def _month(column):
    """The month (1–12) of a date column, on SQLite and PostgreSQL alike."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        return cast(func.strftime("%m", column), Integer)
    return cast(func.extract("month", column), Integer)


def mark_sums(student_ids, start, end, class_id=None, subject_id=None, by=("student", "subject")):
    """{key: (Σ mark × weight, Σ weight)} of the numeric task marks on lessons dated in [start, end];
    the key is a tuple of `by` ("student", "subject", "month", "class", "teacher"). One statement."""
    if student_ids is not None:  # None: every student's marks of the classes `class_id` (a list)
        student_ids = list(student_ids)
        if not student_ids:
            return {}
    number = _numeric_value()
    columns = {"student": Mark.student_id, "subject": TeachingAssignment.subject_id, "month": _month(Lesson.date),
               "class": TeachingAssignment.class_id, "teacher": TeachingAssignment.teacher_id}
    keys = [columns[name] for name in by]
    query = (select(*keys, func.sum(number * Task.weight), func.sum(case((number.is_not(None), Task.weight),
                                                                          else_=0)))
             .select_from(Mark).join(Task, Task.id == Mark.task_id).join(Lesson, Lesson.id == Task.lesson_id)
             .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
             .where(Lesson.date >= start, Lesson.date <= end, Lesson.is_cancelled.is_(False), _stayed(Mark.student_id))
             .group_by(*keys))
    if student_ids is not None:
        query = query.where(Mark.student_id.in_(student_ids))
    if isinstance(class_id, (list, tuple, set, frozenset)):  # several classes: the planner starts from their lessons
        query = query.where(TeachingAssignment.class_id.in_(list(class_id)))
    elif class_id is not None:
        query = query.where(TeachingAssignment.class_id == class_id)
    if subject_id is not None:
        query = query.where(TeachingAssignment.subject_id == subject_id)
    result = {}
    for row in db.session.execute(query):
        total, weight = row[-2], row[-1]
        if weight:
            result[tuple(row[:-2])] = (Decimal(str(total)), Decimal(str(weight)))
    return result


def attendance_counts(student_ids, start, end, class_id=None, subject_id=None, by=("student",)):
    """{key: AttendanceCounts} of the attendance marks on lessons dated in [start, end] (not cancelled);
    the key is a tuple of `by` ("student", "subject", "month", "class"). One statement."""
    student_ids = list(student_ids)
    result = defaultdict(AttendanceCounts)
    if not student_ids:
        return result
    columns = {"student": Attendance.student_id, "subject": TeachingAssignment.subject_id,
               "month": _month(Lesson.date), "class": TeachingAssignment.class_id}
    keys = [columns[name] for name in by]
    query = (select(*keys, AttendanceCode.kind, func.count(Attendance.id))
             .select_from(Attendance).join(Lesson, Lesson.id == Attendance.lesson_id)
             .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
             .join(AttendanceCode, AttendanceCode.id == Attendance.code_id)
             .where(Attendance.student_id.in_(student_ids), Lesson.date >= start, Lesson.date <= end,
                    Lesson.is_cancelled.is_(False), _stayed(Attendance.student_id))
             .group_by(*keys, AttendanceCode.kind))
    if class_id is not None:
        query = query.where(TeachingAssignment.class_id == class_id)
    if subject_id is not None:
        query = query.where(TeachingAssignment.subject_id == subject_id)
    for row in db.session.execute(query):
        result[tuple(row[:-2])].add(row[-2], row[-1])
    return result


def class_subjects(class_ids, year_id):
    """{class id: [(subject, [teacher, …])]} from the teaching assignments, in the curriculum's order;
    one statement."""
    result = defaultdict(list)
    class_ids = list(class_ids)
    if not class_ids:
        return result
    rows = db.session.execute(
        select(TeachingAssignment.class_id, Subject, Staff)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .join(Staff, Staff.id == TeachingAssignment.teacher_id)
        .where(TeachingAssignment.class_id.in_(class_ids), TeachingAssignment.year_id == year_id)
        .order_by(TeachingAssignment.class_id, Subject.sort_order, Subject.name, Staff.last_name)).all()
    index = {}
    for class_id, subject, teacher in rows:
        key = (class_id, subject.id)
        if key not in index:
            index[key] = (subject, [])
            result[class_id].append(index[key])
        if teacher not in index[key][1]:
            index[key][1].append(teacher)
    return result


def taught_subjects(class_ids, year_id):
    """The subjects the classes are taught in the year (a teaching assignment with a teacher, as
    `class_subjects` counts them), without the teachers; one statement."""
    class_ids = list(class_ids)
    if not class_ids:
        return []
    return db.session.scalars(select(Subject).where(Subject.id.in_(
        select(TeachingAssignment.subject_id).where(TeachingAssignment.class_id.in_(class_ids),
                                                    TeachingAssignment.year_id == year_id,
                                                    TeachingAssignment.teacher_id.is_not(None))))).all()


def classes_of_year(org_id, year_id, condition=None, with_teacher=False):
    """The classes of the year, by grade and name; `condition`: a further filter (a permission's rows,
    `SchoolClass.id.in_(…)`); `with_teacher`: their class teachers loaded with them. One statement."""
    query = select(SchoolClass).where(SchoolClass.org_id == org_id, SchoolClass.year_id == year_id)
    if condition is not None:
        query = query.where(condition)
    if with_teacher:
        query = query.options(joinedload(SchoolClass.class_teacher))
    return db.session.scalars(query.order_by(SchoolClass.grade, SchoolClass.name)).unique().all()


# -- loaders of the teacher's and the student's reports (reports/teacher_reports.py, student_reports.py) --

def memberships_of(student_ids, start, end):
    """{student id: [(class, first day, last day)]}: the classes each student belonged to on some day of
    [start, end] (academic leave included), the days clipped to the window, oldest first; the classes
    come with their class teachers. One statement."""

    result = defaultdict(list)
    student_ids = list(student_ids)
    if not student_ids:
        return result
    rows = db.session.execute(
        select(M.student_id, SchoolClass, M.start_date, M.end_date)
        .join(SchoolClass, SchoolClass.id == M.class_id)
        .where(M.student_id.in_(student_ids), M.start_date <= end, or_(M.end_date.is_(None), M.end_date >= start))
        # the class teacher's name for the signature; his roles only if asked for (no statement of them)
        .options(joinedload(SchoolClass.class_teacher).lazyload(Staff.role_rows))
        .order_by(M.start_date, M.id)).all()
    for student_id, klass, since, until in rows:
        result[student_id].append((klass, max(since, start), min(until, end) if until is not None else end))
    return result


def subgroup_students(subgroup_ids, period_ids):
    """{subgroup id: {student id}}: who studies in each subgroup, by the membership of the latest of
    `period_ids` a student has one in for the subject (one period: that period's lists). One statement."""
    result = defaultdict(set)
    subgroup_ids, period_ids = list(subgroup_ids), list(period_ids)
    if not subgroup_ids or not period_ids:
        return result
    rows = db.session.execute(
        select(SubgroupMember.subgroup_id, SubgroupMember.student_id, SubgroupMember.subject_id)
        .join(Period, Period.id == SubgroupMember.period_id)
        .where(SubgroupMember.period_id.in_(period_ids),
               SubgroupMember.subject_id.in_(select(TeachingAssignment.subject_id).where(
                   TeachingAssignment.subgroup_id.in_(subgroup_ids))))
        .order_by(Period.start_date)).all()
    latest = {}
    for subgroup_id, student_id, subject_id in rows:  # the later period's row wins
        latest[(student_id, subject_id)] = subgroup_id
    wanted = set(subgroup_ids)
    for (student_id, _), subgroup_id in latest.items():
        if subgroup_id in wanted:
            result[subgroup_id].add(student_id)
    return result


def bucket_mark_sums(student_ids, buckets, by=("student", "subject"), class_id=None):
    """{(bucket key, *by): (Σ mark × weight, Σ weight)} of the numeric task marks on lessons (not
    cancelled) dated in one of `buckets` = [(key, first day, last day)] (periods, months); `by` as in
    `mark_sums` ("student", "subject", "class", "teacher"). One statement."""
    student_ids, buckets = list(student_ids), list(buckets)
    if not student_ids or not buckets:
        return {}
    number = _numeric_value()
    bucket = case(*((and_(Lesson.date >= first, Lesson.date <= last), index)
                    for index, (_, first, last) in enumerate(buckets)), else_=None)
    columns = {"student": Mark.student_id, "subject": TeachingAssignment.subject_id,
               "class": TeachingAssignment.class_id, "teacher": TeachingAssignment.teacher_id}
    keys = [columns[name] for name in by]
    query = (select(bucket, *keys, func.sum(number * Task.weight),
                    func.sum(case((number.is_not(None), Task.weight), else_=0)))
             .select_from(Mark).join(Task, Task.id == Mark.task_id).join(Lesson, Lesson.id == Task.lesson_id)
             .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
             .where(Mark.student_id.in_(student_ids), Lesson.is_cancelled.is_(False), _stayed(Mark.student_id),
                    Lesson.date >= min(b[1] for b in buckets), Lesson.date <= max(b[2] for b in buckets))
             .group_by(bucket, *keys))
    if class_id is not None:
        query = query.where(TeachingAssignment.class_id == class_id)
    result = {}
    for row in db.session.execute(query):
        index, total, weight = row[0], row[-2], row[-1]
        if index is not None and weight:
            result[(buckets[int(index)][0], *row[1:-2])] = (Decimal(str(total)), Decimal(str(weight)))
    return result


def mark_list(student_ids, start, end):
    """Every task mark of the students on lessons (not cancelled) dated in [start, end], in the
    curriculum's order of subjects, then by date: rows with .student_id .date .number .Subject
    .class_id .class_name .task_type .topic .weight .value. One statement."""
    student_ids = list(student_ids)
    if not student_ids:
        return []
    return db.session.execute(
        select(Mark.student_id, Lesson.date, Lesson.number, Subject,
               TeachingAssignment.class_id, SchoolClass.name.label("class_name"),
               TaskType.name.label("task_type"), Task.topic, Task.weight, Mark.value)
        .select_from(Mark).join(Task, Task.id == Mark.task_id).join(TaskType, TaskType.id == Task.type_id)
        .join(Lesson, Lesson.id == Task.lesson_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
        .where(Mark.student_id.in_(student_ids), Lesson.is_cancelled.is_(False), _stayed(Mark.student_id),
               Lesson.date >= start, Lesson.date <= end)
        .order_by(Mark.student_id, Subject.sort_order, Subject.name, Subject.id, Lesson.date, Lesson.number,
                  Task.position)).all()


def absence_list(student_ids, start, end):
    """The attendance marks of the students on lessons (not cancelled) dated in [start, end], by date
    and lesson number: rows with .student_id .date .number .subject_name .code .code_name .kind
    .reason_note. One statement."""
    student_ids = list(student_ids)
    if not student_ids:
        return []
    return db.session.execute(
        select(Attendance.student_id, Lesson.date, Lesson.number, Subject.name.label("subject_name"),
               AttendanceCode.code, AttendanceCode.name.label("code_name"), AttendanceCode.kind,
               Attendance.reason_note)
        .select_from(Attendance).join(Lesson, Lesson.id == Attendance.lesson_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .join(AttendanceCode, AttendanceCode.id == Attendance.code_id)
        .where(Attendance.student_id.in_(student_ids), Lesson.is_cancelled.is_(False),
               _stayed(Attendance.student_id), Lesson.date >= start, Lesson.date <= end)
        .order_by(Attendance.student_id, Lesson.date, Lesson.number, Subject.name)).all()


# -- loaders of the class teacher's reports (reports/class_reports.py) --

def class_lesson_days(class_ids, start, end):
    """{(class id, subject id): {dates}}: the days the classes' lessons (not cancelled) were given in
    [start, end] — a student had a subject's lessons when one of them is within his stay. One statement."""
    class_ids = list(class_ids)
    result = defaultdict(set)
    if not class_ids:
        return result
    rows = db.session.execute(
        select(TeachingAssignment.class_id, TeachingAssignment.subject_id, Lesson.date).distinct()
        .join(Lesson, Lesson.assignment_id == TeachingAssignment.id)
        .where(TeachingAssignment.class_id.in_(class_ids), Lesson.is_cancelled.is_(False),
               Lesson.date >= start, Lesson.date <= end)).all()
    for class_id, subject_id, day in rows:
        result[(class_id, subject_id)].add(day)
    return result
