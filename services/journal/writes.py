"""The write side of the journal: lessons' topics and homework, tasks, marks, attendance, period
marks, absence reasons, closing and reopening periods, and the history of a cell.

Every rule of SPEC §3 (1–4) and issue 4 is enforced here, below the pages, so a direct POST, a
script or an import obeys it too. A call is one transaction: all of it is saved or nothing is.

API (the journal pages call these):

``save_entries(actor, assignment_id, payload) -> SaveResult``
    payload = {
      "lessons":      [{"lesson_id", "version"?, "topic"?, "homework"?, "homework_due_lesson_id"?,
                        "attendance_taken"?}],
      "tasks":        [{"task_id" (None for a new task), "key" (the client's key of a new task),
                        "version"? (of an existing task), "lesson_id", "type_id", "weight",
                        "is_mandatory", "topic", "delete": bool}],
      "marks":        [{"task_id" or "task_key", "student_id", "value" ("" deletes), "comment"?,
                        "version" (None for a new mark)}],
      "attendance":   [{"lesson_id", "student_id", "code" ("" deletes), "version"}],
      "period_marks": [{"student_id", "kind" ("period"), "period_id", "value" ("" deletes),
                        "version"}],   # optional; the assignment's subject and year
    }
    Keys other than the ids are optional: a key left out (or a None type / weight) leaves the field
    as it is; a new task without a type takes the first active type, without a weight or mandatory
    flag the type's defaults. A lesson's or an existing task's "version" is the one the page showed
    (a stale one is a VersionConflict); without it the row is written as it is now (scripts).
    Returns SaveResult(counts, task_ids {client key: new id}, versions {"marks": {(task_id,
    student_id): version or None if deleted}, "attendance": {(lesson_id, student_id): …},
    "period_marks": {(student_id, kind, period_id): …}}); `as_json()` gives string keys.
    Raises PermissionDenied (the page answers 403), VersionConflict (a version did not match, or
    two people made the same new entry at once; «Запись изменил другой пользователь — обновите
    страницу») or DomainError («Изменения не сохранены» with every problem listed).

``set_period_mark(actor, student_id, subject_id, year_id, kind, period_id, value, version=None) -> int``
    the new version; ``delete_period_mark(actor, student_id, subject_id, year_id, kind, period_id,
    version)``; ``save_period_marks(actor, subject_id, year_id, items) -> {key: version}`` for a column.
``close_period(actor, period_id, commit=True)`` / ``reopen_period(actor, period_id, reason)`` — the administrator.
``set_absence_reason(actor, attendance_id, code, note, document_date) -> int`` — the class teacher;
``reason_deadline(org_id, document_date)`` — the last day for it (2 working days).
``can_write(actor, assignment, lesson=None)`` / ``can_correct(actor)`` — for showing cells read-only.
``mark_values(subject, klass, org)`` / ``period_mark_values(subject, kind, klass, org)`` — allowed values.
``cell_history(actor, task_id, student_id)``, ``attendance_history(actor, lesson_id, student_id)``,
``period_mark_history(actor, student_id, subject_id, year_id, kind, period_id)`` — audit rows, oldest first.

Who writes what: the teacher of the assignment writes its journal, the teacher who gives a
lesson on a substitution (Lesson.teacher_id) writes that lesson; the deputy director and the
administrator correct (and may change marks a set period mark has closed to the teacher); the
director, the class teacher (for other teachers' subjects), students and parents only read.
Period marks: the subject's teacher (of the student's class, or of his subgroup when the class is
split), in a school also the class teacher for every subject of his class, and the correctors.
Once set, a period (year, exam, final) mark is changed or deleted only by a corrector: the teacher
cannot delete it, change the marks it closed and set it again.
A period's marks close with the period; year, exam and final marks with the year's last period.
Grade 1 of a school and subjects «без отметок» keep attendance and topics only.

Concurrency (issue 12: nothing a user typed is lost unnoticed):
- each mark, attendance and period mark carries a `version` that grows with every change (bumped
  on flush, whatever the path). A save reads the entries it changes under a row lock (SELECT … FOR
  UPDATE; SQLite: the database write lock) and refuses any whose version is not the one the page
  showed; the unique keys refuse a second copy of a new entry. A whole grid is still saved in a
  few multi-row statements.
- lessons and tasks carry SQLAlchemy's version counter (models.org.Versioned): the page sends only
  the fields the user changed, with the version it showed; a stale one is refused, and a change
  committed after the check fails the UPDATE's `WHERE version = …`. Both are a VersionConflict.
- a period mark and the marks under it: a grid save reads the students' period marks after
  passing their gates (student × subject) in shared mode, a period-mark save passes them in
  exclusive mode, so a mark is changed before the period mark is set or refused after it, never
  in between (_gate_period_marks).
- closing a period: a save passes the period's gate in shared mode, `close_period` in exclusive
  mode, and the save checks `is_closed` after it: a mark is saved before the close or refused
  after it, never inside a closed period, and the close waits only for the saves already in
  flight, whatever the load (_gated_periods).
The gates are PostgreSQL advisory transaction locks, which queue fairly (_gate); on SQLite the
database write lock serializes the writers.
"""
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import chain

from sqlalchemy import BigInteger, and_, event, false, func, inspect, literal, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from models import (AbsenceKind, AcademicYear, Attendance, AttendanceCode, AuditLog, ClassMembership, Grading,
                    Lesson, Mark, MARK_VALUES, Organization, PASS_FAIL_VALUES, PERIOD_MARK_VALUES, Period, PeriodMark,
                    PeriodMarkKind, SchoolClass, Student, Subgroup, SubgroupMember, Subject,
                    Task, TaskType, TeachingAssignment, db, utcnow)
from models.dialect import is_concurrent_change, locked
from services import audit, clock, permissions
from services.org.calendar import WorkingCalendar
from services.errors import DomainError, PermissionDenied
from services.journal.dictionaries import parse_weight
from services.params import parse_id
from services.movement.roster import overlaps, rosters_between
from services.rules import validator
from services.terms import term

CONFLICT = "Запись изменил другой пользователь — обновите страницу"
NOT_SAVED = "Изменения не сохранены"
NO_MARKS_FIRST_GRADE = "в 1 классе отметки не ставятся: только посещаемость и темы уроков"
ABSENCE_REASON_DAYS = 2  # working days after the document (SPEC §3 rule 5)
MAX_TOPIC = 500
MAX_HOMEWORK = 4000
MAX_COMMENT = 300
MAX_NOTE = 300
PERIOD_EXTRA = ("н/а", "осв")
# SPEC §3 rule 2: a set period mark closes itself and the period's marks to the teacher (and, in a
# school, to the class teacher); only the correctors change them, audited.
PERIOD_MARK_SET = ("отметка «{value}» уже выставлена — изменить или удалить её могут только заместитель "
                   "директора или администратор")


class VersionConflict(DomainError):
    """Somebody else changed or made the same entry since the page was loaded."""

    def __init__(self, errors=None):
        super().__init__(CONFLICT, errors)


@dataclass
class SaveResult:
    counts: Counter = field(default_factory=Counter)
    task_ids: dict = field(default_factory=dict)
    versions: dict = field(default_factory=lambda: {"marks": {}, "attendance": {}, "period_marks": {}})

    def as_json(self):
        def keyed(entries):
            return {":".join("" if p is None else str(p) for p in key): v for key, v in entries.items()}
        return {"counts": dict(self.counts), "task_ids": dict(self.task_ids),
                "versions": {name: keyed(entries) for name, entries in self.versions.items()}}


# -- who may write ------------------------------------------------------------------------------

def can_correct(actor):
    """The deputy director and the administrator correct journals (SPEC §3 rule 2), audited."""
    return actor is not None and (actor.system or permissions.allowed(actor, "journal", "correct"))


def can_write(actor, assignment, lesson=None):
    """Is the actor the teacher of this journal (or, with `lesson`, the teacher giving that lesson)?"""
    if actor is None or assignment is None:
        return False
    if actor.system:
        return actor.org_id in (None, assignment.org_id)
    if actor.org_id != assignment.org_id or not actor.staff_id or \
            not permissions.allowed(actor, "journal", "edit"):
        return False
    return assignment.teacher_id == actor.staff_id or \
        (lesson is not None and lesson.teacher_id == actor.staff_id)


def no_marks(org, klass, subject):
    """Grade 1 of a school (seed 001 §VIII 8.4) and subjects «без отметок» keep no marks."""
    first_grade = klass is not None and klass.grade == 1 and not (org is not None and org.is_college)
    return first_grade or (subject is not None and subject.grading == Grading.NONE.value)


def mark_values(subject, klass=None, org=None):
    """Values a mark on a task may take: 5…1, plus «зач/незач» where the subject is pass/fail."""
    if no_marks(org, klass, subject):
        return ()
    if subject.grading == Grading.PASS_FAIL.value:
        return MARK_VALUES + PASS_FAIL_VALUES
    return MARK_VALUES


def period_mark_values(subject, kind, klass=None, org=None):
    """Values of a period mark. A period's and the year's mark follow the subject's grading; an
    exam or final mark may take any (a credit, a graded credit or an exam decide it)."""
    if no_marks(org, klass, subject):
        return ()
    if kind in (PeriodMarkKind.EXAM.value, PeriodMarkKind.FINAL.value):
        return PERIOD_MARK_VALUES
    base = PASS_FAIL_VALUES if subject.grading == Grading.PASS_FAIL.value else MARK_VALUES
    return base + PERIOD_EXTRA


# -- small parsers ------------------------------------------------------------------------------

def _items(payload, name):
    items = payload.get(name) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise DomainError(NOT_SAVED, [f"«{name}»: ожидается список записей"])
    return items


def _text(value):
    return str(value).strip() if value is not None else ""


def _version(item, errors, where):
    raw = item.get("version")
    if raw is None or raw == "":
        return None
    version = parse_id(raw)
    if version is None:
        errors.append(f"{where}: неверная версия записи")
    return version


def _value(raw):
    return _text(raw).lower().replace(" ", "")


def _flag(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "да")
    return bool(value)


# -- locks and the transaction ------------------------------------------------------------------

def _write_lock(connection):
    """SQLite locks the whole database: a write that changes nothing takes its write lock first
    (once per transaction), so what is read after it cannot change until this transaction ends."""
    if not connection.connection.dbapi_connection.in_transaction:
        connection.execute(update(Period.__table__).where(false()).values(is_closed=Period.__table__.c.is_closed))


def _locked(query, exclusive=False):
    """Rows read under a lock: shared (a save's periods) or exclusive (a close's period, the
    entries a save changes), read again after waiting, so a version or a flag compared after it
    is the current one (models/dialect.py: FOR SHARE / FOR UPDATE; SQLite: its write lock)."""
    return db.session.scalars(locked(query, read=not exclusive)).all()


def _gate(key, condition, order, exclusive):
    """Pass the gates `key` of the rows matching `condition` (taken in `order`, so that two
    transactions never wait for each other): shared, or exclusive; held until the transaction ends.

    PostgreSQL: advisory transaction locks. Unlike row locks they queue fairly: an exclusive request
    waits for the holders already in, and every request after it waits behind it — a stream of
    shared holders cannot starve it (row locks let new FOR SHARE lockers pass a waiting FOR UPDATE:
    a close waited up to a minute behind saves, issue 12). SQLite: the database write lock."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        _write_lock(connection)
        return
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    db.session.execute(select(lock(*key)).where(condition).order_by(order))


PERIOD_GATE = 4150  # the first of a period's two advisory lock keys (the second is its id)


def _gated_periods(condition, exclusive=False):
    """The periods matching `condition`, read after passing their gates: a save holds them shared
    until it commits, a close or a reopen exclusively. So a close waits only for the saves already
    in flight, and the saves that come after it read the period closed and are refused."""
    _gate((PERIOD_GATE, Period.id), condition, Period.id, exclusive)
    return db.session.scalars(select(Period).where(condition).order_by(Period.id)
                              .execution_options(populate_existing=True)).all()


def _gate_period_marks(subject_id, student_ids, exclusive):
    """The gates of the students' period marks of a subject: shared for a save that checks its
    marks against them, exclusive for a save that sets them. So a mark is changed before a period
    mark is set over it, or refused after — never in between (issue 12). A key is the subject and
    the student in one bigint (PostgreSQL keeps it apart from the periods' two-int keys)."""
    if student_ids:
        key = literal(subject_id << 32, BigInteger) + Student.id
        _gate((key,), Student.id.in_(student_ids), Student.id, exclusive)


@contextmanager
def _transaction(actor, commit=True):
    """One transaction, written to the audit as the actor; a version or key race → VersionConflict.
    With commit=False it is a part of the caller's transaction (flushed, not committed)."""
    previous = audit.get_context()
    audit.set_context(actor.user_id or previous[0], actor.org_id or previous[1], previous[2])
    db.session.info["journal_checked"] = True
    try:
        yield
        db.session.flush()
        if commit:
            db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise VersionConflict() from None
    except (IntegrityError, DBAPIError) as exc:
        db.session.rollback()
        if is_concurrent_change(exc):
            raise VersionConflict() from None
        raise
    except BaseException:
        db.session.rollback()
        raise
    finally:
        db.session.info.pop("journal_checked", None)
        audit.set_context(*previous)


class _Periods:
    """The organization's periods around the dates of a save, gated against a concurrent close."""

    def __init__(self, org_id, lessons=(), year_ids=()):
        dates = [lesson.date for lesson in lessons]
        ids = {lesson.period_id for lesson in lessons if lesson.period_id}
        cond = [Period.id.in_(ids)] if ids else []
        if dates:
            cond.append(and_(Period.start_date <= max(dates), Period.end_date >= min(dates)))
        if year_ids:
            cond.append(Period.year_id.in_(year_ids))
        rows = _gated_periods(and_(Period.org_id == org_id, or_(*cond))) if cond else []
        self.by_id = {p.id: p for p in rows}

    def of_lesson(self, lesson):
        if lesson.period_id:
            period = self.by_id.get(lesson.period_id)
            return [period] if period is not None else []
        return [p for p in self.by_id.values() if p.start_date <= lesson.date <= p.end_date]

    def closed_for(self, lesson):
        return next((p for p in self.of_lesson(lesson) if p.is_closed), None)

    def year_end_closed(self, year_id):
        """The last period of a year (by its end) closed: its year, exam and final marks are too."""
        periods = [p for p in self.by_id.values() if p.year_id == year_id]
        if not periods:
            return None
        last = max(p.end_date for p in periods)
        return next((p for p in periods if p.end_date == last and p.is_closed), None)


def _class_word(org):
    return term("class_gen", org)


def _name(student):
    return student.short_name if student is not None else "обучающийся"


# -- the grid of one assignment ------------------------------------------------------------------

def save_entries(actor, assignment_id, payload, loaded=None):
    """Save a journal grid (or a part of it) in one transaction; see the module docstring.

    `loaded`: (the assignment, whether its year is closed) as the caller already read them in this
    session (admin_views/journal/grid.py reads them with services.journal.grid.load_assignment, which
    applies the journal's row permission): the assignment is not read a second time."""
    with _transaction(actor):
        save = _GridSave(actor, assignment_id, payload if isinstance(payload, dict) else {})
        if loaded is not None and loaded[0] is not None and loaded[0].id == parse_id(assignment_id) \
                and (actor.org_id is None or loaded[0].org_id == actor.org_id):
            save.preloaded = loaded
        return save.run()


class _GridSave:
    def __init__(self, actor, assignment_id, payload):
        self.actor = actor
        self.assignment_id = assignment_id
        self.lessons_in = _items(payload, "lessons")
        self.tasks_in = _items(payload, "tasks")
        self.marks_in = _items(payload, "marks")
        self.attendance_in = _items(payload, "attendance")
        self.period_marks_in = _items(payload, "period_marks")
        self.errors, self.conflicts, self.ops = [], [], []
        self.touched_marks, self.touched_attendance, self.updates = [], [], []
        self.new_tasks, self.deleted_tasks = {}, set()
        self.result = SaveResult()
        self.now = utcnow()
        self.preloaded = None

    # loading ------------------------------------------------------------------------------------

    def run(self):
        actor = self.actor
        if self.preloaded is not None:
            assignment, year_closed = self.preloaded
        else:
            assignment = _load_assignment(actor, self.assignment_id)
            year_closed = None
        self.assignment = assignment
        self.org = actor.org if actor.org_id == assignment.org_id else db.session.get(Organization, assignment.org_id)
        self.klass, self.subject = assignment.klass, assignment.subject
        self.writer = can_write(actor, assignment)
        self.corrector = can_correct(actor)
        self._load_tasks_and_lessons()
        self._check_permission()
        if assignment.year.is_closed if year_closed is None else year_closed:
            raise DomainError(f"Учебный год {assignment.year.name} закрыт: журнал доступен только для чтения.")
        year_ids = [assignment.year_id] if self.period_marks_in else []
        self.periods = _Periods(assignment.org_id, self.lessons.values(), year_ids=year_ids)
        self._load_people_and_entries()

        self._lessons()
        self._tasks()
        self._marks()
        self._attendance()
        period_marks = None
        if self.period_marks_in:
            period_marks = _PeriodMarkSave(actor, self.org, self.subject, assignment.year, self.errors,
                                           self.conflicts, self.periods, self.period_marks_in)
            period_marks.prepare()
        if self.conflicts:
            raise VersionConflict(self.conflicts + self.errors)
        if self.errors:
            raise DomainError(NOT_SAVED, self.errors)
        for op in self.ops:
            op()
        if period_marks is not None:
            period_marks.apply(self.result)
        db.session.flush()
        _update_in_batches(self.updates)
        self._collect_versions()
        if period_marks is not None:
            period_marks.collect()
        return self.result

    def _load_tasks_and_lessons(self):
        task_ids = {parse_id(t.get("task_id")) for t in self.tasks_in} | \
            {parse_id(m.get("task_id")) for m in self.marks_in}
        task_ids.discard(None)
        self.tasks = {}
        if task_ids:
            self.tasks = {t.id: t for t in db.session.scalars(
                select(Task).where(Task.id.in_(task_ids), Task.org_id == self.assignment.org_id)
                .options(joinedload(Task.lesson), joinedload(Task.type)))}
        lesson_ids = {parse_id(i.get("lesson_id")) for i in chain(self.lessons_in, self.tasks_in, self.attendance_in)}
        lesson_ids |= {parse_id(i.get("homework_due_lesson_id")) for i in self.lessons_in}
        lesson_ids.discard(None)
        lesson_ids -= {t.lesson_id for t in self.tasks.values()}
        self.lessons = {t.lesson.id: t.lesson for t in self.tasks.values()}
        if lesson_ids:
            self.lessons.update((lesson.id, lesson) for lesson in db.session.scalars(
                select(Lesson).where(Lesson.id.in_(lesson_ids), Lesson.org_id == self.assignment.org_id)))

    def _touched_lessons(self):
        """The lessons this save writes into (a homework's due lesson is only pointed at)."""
        ids = {parse_id(i.get("lesson_id")) for i in chain(self.lessons_in, self.tasks_in, self.attendance_in)}
        ids |= {self.tasks[parse_id(m.get("task_id"))].lesson_id for m in self.marks_in
                if parse_id(m.get("task_id")) in self.tasks}
        ids |= {self.tasks[parse_id(t.get("task_id"))].lesson_id for t in self.tasks_in
                if parse_id(t.get("task_id")) in self.tasks}
        return [self.lessons[i] for i in ids if i in self.lessons]

    def _check_permission(self):
        if self.writer or self.corrector:
            return
        touched = self._touched_lessons()
        staff_id = self.actor.staff_id
        substitute = bool(touched) and bool(staff_id) and permissions.allowed(self.actor, "journal", "edit") \
            and all(lesson.teacher_id == staff_id for lesson in touched)
        entries = self.lessons_in or self.tasks_in or self.marks_in or self.attendance_in
        if entries and not substitute:
            raise PermissionDenied("Вносить записи в этот журнал может только учитель, который ведёт "
                                   "предмет в этом классе (или проводит урок по замене).")
        if not entries and not self.period_marks_in:
            raise PermissionDenied()

    def _load_people_and_entries(self):
        org_id = self.assignment.org_id
        student_ids = {parse_id(i.get("student_id")) for i in chain(self.marks_in, self.attendance_in,
                                                                 self.period_marks_in)}
        student_ids.discard(None)
        # Each student's own dates in the class over the save's lessons, by the movement book; one
        # query, which also brings the students (those of the class); any other is read after it.
        self.roster = {}
        dates = [lesson.date for lesson in self.lessons.values()]
        if student_ids and dates:
            self.roster = {e.student_id: e for e in rosters_between(
                [self.assignment.class_id], min(dates), max(dates))[self.assignment.class_id]}
        self.students = {sid: self.roster[sid].student for sid in student_ids if sid in self.roster}
        others = student_ids - set(self.students)
        if others:
            self.students.update((s.id, s) for s in db.session.scalars(
                select(Student).where(Student.id.in_(others), Student.org_id == org_id)))
        # the roster of those who are students of this organization only
        self.roster = {sid: e for sid, e in self.roster.items() if sid in self.students}
        self.split = defaultdict(dict)  # period id -> {student id: subgroup id} of the class and subject
        if self.assignment.subgroup_id and self.periods.by_id:
            for student_id, subgroup_id, period_id in db.session.execute(
                    select(SubgroupMember.student_id, SubgroupMember.subgroup_id, SubgroupMember.period_id)
                    .join(Subgroup, Subgroup.id == SubgroupMember.subgroup_id)
                    .where(Subgroup.class_id == self.assignment.class_id,
                           SubgroupMember.subject_id == self.assignment.subject_id,
                           SubgroupMember.period_id.in_(self.periods.by_id))):
                self.split[period_id][student_id] = subgroup_id
        # The entries this save may change, locked: their versions cannot move until it commits.
        self.marks = {}
        if self.tasks:
            for mark in _locked(select(Mark).where(Mark.task_id.in_(self.tasks)).order_by(Mark.id), exclusive=True):
                self.marks[(mark.task_id, mark.student_id)] = mark
        attendance_lessons = {parse_id(a.get("lesson_id")) for a in self.attendance_in} & set(self.lessons)
        self.attendance = {}
        if attendance_lessons:
            for row in _locked(select(Attendance).where(Attendance.lesson_id.in_(attendance_lessons))
                               .order_by(Attendance.id), exclusive=True):
                self.attendance[(row.lesson_id, row.student_id)] = row
        self.closed_by_mark = self._period_marks_closing(student_ids)
        self.types = {t.id: t for t in db.session.scalars(
            select(TaskType).where(TaskType.org_id == org_id))} if self.tasks_in else {}
        self.codes = {c.code: c for c in db.session.scalars(
            select(AttendanceCode).where(AttendanceCode.org_id == org_id))} if self.attendance_in else {}

    def _period_marks_closing(self, student_ids):
        """{(student id, period id)} whose period mark of this subject closes the marks to the teacher.

        Read after passing the students' period-mark gates: shared here, exclusive where period
        marks are set (_PeriodMarkSave), so a period mark is either committed before this save reads
        them or set after this save commits — never in between, with a mark changed under it. A save
        that sets period marks itself takes the exclusive gates at once (two saves holding shared
        ones could not both raise them)."""
        guarded = set()
        if not self.corrector and (self.marks_in or self.tasks_in) and self.periods.by_id:
            changed_tasks = {parse_id(t.get("task_id")) for t in self.tasks_in}
            guarded = {parse_id(m.get("student_id")) for m in self.marks_in} - {None}
            guarded |= {s for (t, s) in self.marks if t in changed_tasks}
        subject_id = self.assignment.subject_id
        if self.period_marks_in:
            _gate_period_marks(subject_id, guarded | student_ids, exclusive=True)
        else:
            _gate_period_marks(subject_id, guarded, exclusive=False)
        if not guarded:
            return set()
        return set(db.session.execute(select(PeriodMark.student_id, PeriodMark.period_id).where(
            PeriodMark.subject_id == subject_id, PeriodMark.year_id == self.assignment.year_id,
            or_(and_(PeriodMark.kind == PeriodMarkKind.PERIOD.value, PeriodMark.period_id.in_(self.periods.by_id)),
                PeriodMark.kind.in_(LOCKS[PeriodMarkKind.PERIOD.value])),  # a year or final mark: period id None
            PeriodMark.student_id.in_(guarded))).all())

    # checks shared by every kind of entry -------------------------------------------------------

    def _lesson(self, raw_id, where):
        lesson_id = parse_id(raw_id)
        lesson = self.lessons.get(lesson_id)
        if lesson is None:
            self.errors.append(f"{where}: урок не найден")
            return None
        if lesson.assignment_id != self.assignment.id:
            self.errors.append(f"{where}: урок {lesson} относится к другой нагрузке")
            return None
        return lesson

    def _writable(self, lesson, where):
        """The lesson's period is open and the actor may write this lesson."""
        closed = self.periods.closed_for(lesson)
        if closed is not None:
            self.errors.append(f"{where}: период «{closed.name}» закрыт, записи урока {lesson} не меняются")
            return False
        if not (self.writer or self.corrector or can_write(self.actor, self.assignment, lesson)):
            raise PermissionDenied("Урок по замене проводил другой учитель: его записи вносит он.")
        return True

    def _enrolled(self, student, lesson):
        """None when the student belongs to this journal on the lesson's date, else why not.

        Class membership is the movement book's history on the lesson's date (one who moved
        mid-period belongs to each class for his own dates only; academic leave does not count): an
        entry is refused outside his stays and allowed within them, whatever his status now (one who
        left keeps his entries of the days he studied here editable, like the teacher's other entries).
        A subgroup counts in the periods the class is split in.
        """
        if student is None:
            return "обучающийся не найден"
        entry = self.roster.get(student.id)
        if entry is None or not entry.covers(lesson.date):
            return (f"{_name(student)} не числится в составе {_class_word(self.org)} {self.klass.name} "
                    f"на {lesson.date.strftime('%d.%m.%Y')}")
        if self.assignment.subgroup_id:
            for period in self.periods.of_lesson(lesson):
                split = self.split.get(period.id)
                if split and split.get(student.id) != self.assignment.subgroup_id:
                    return (f"{_name(student)} не входит в подгруппу «{self.assignment.subgroup.name}» "
                            f"в периоде «{period.name}»")
        return None

    def _closed_by_period_mark(self, student_id, lesson):
        """The period mark or the year/final mark ("period", "year") that closes the student's marks of
        the lesson to the teacher, or None."""
        if any((student_id, p.id) in self.closed_by_mark for p in self.periods.of_lesson(lesson)):
            return "period"
        return "year" if (student_id, None) in self.closed_by_mark else None

    # lessons: topic, homework -------------------------------------------------------------------

    def _lessons(self):
        seen = set()
        for n, item in enumerate(self.lessons_in, start=1):
            where = f"Урок (строка {n})"
            lesson = self._lesson(item.get("lesson_id"), where)
            if lesson is None or not self._writable(lesson, f"Урок {lesson}"):
                continue
            if lesson.id in seen:
                self.errors.append(f"Урок {lesson}: указан дважды")
                continue
            seen.add(lesson.id)
            if not self._as_shown(lesson, item, f"Урок {lesson}"):
                continue
            changes = {}
            if "topic" in item:
                topic = _text(item["topic"])
                if len(topic) > MAX_TOPIC:
                    self.errors.append(f"Урок {lesson}: тема длиннее {MAX_TOPIC} знаков")
                changes["topic"] = topic or None
            if "homework" in item:
                homework = _text(item["homework"])
                if len(homework) > MAX_HOMEWORK:
                    self.errors.append(f"Урок {lesson}: домашнее задание длиннее {MAX_HOMEWORK} знаков")
                changes["homework"] = homework or None
            if "homework_due_lesson_id" in item:
                raw = item["homework_due_lesson_id"]
                due = None
                if raw not in (None, ""):
                    due = self._lesson(raw, f"Урок {lesson}: срок домашнего задания")
                    if due is not None and (due.date, due.number) <= (lesson.date, lesson.number):
                        self.errors.append(f"Урок {lesson}: домашнее задание задаётся на более поздний урок")
                        due = None
                    elif due is not None and due.is_cancelled:
                        self.errors.append(f"Урок {lesson}: урок {due}, на который задано домашнее задание, отменён")
                        due = None
                    if due is None:
                        continue
                changes["homework_due_lesson_id"] = due.id if due is not None else None
            if "attendance_taken" in item:
                if item["attendance_taken"] and lesson.is_cancelled:
                    self.errors.append(f"Урок {lesson}: урок отменён, посещаемость не отмечается")
                    continue
                changes["attendance_taken"] = bool(item["attendance_taken"])
            if "homework_due_lesson_id" not in changes and changes.get("homework") is None and \
                    "homework" in changes:
                changes["homework_due_lesson_id"] = None
            self.ops.append(lambda lesson=lesson, changes=changes: self._apply_lesson(lesson, changes))

    def _apply_lesson(self, lesson, changes):
        self.result.counts["lessons"] += _assign(lesson, changes)

    # tasks ----------------------------------------------------------------------------------------

    def _tasks(self):
        new_items = []
        seen = set()
        for n, item in enumerate(self.tasks_in, start=1):
            task_id = parse_id(item.get("task_id"))
            if item.get("task_id") not in (None, "") and task_id is None:
                self.errors.append(f"Задание (строка {n}): неверный номер задания")
                continue
            if task_id is None:
                new_items.append((n, item))
                continue
            task = self.tasks.get(task_id)
            if task is None and item.get("version") not in (None, ""):
                self.conflicts.append(f"Задание (строка {n}): запись уже удалена другим пользователем")
                continue
            if task is None or task.lesson.assignment_id != self.assignment.id:
                self.errors.append(f"Задание (строка {n}): задание не найдено в этом журнале")
                continue
            if task_id in seen:
                self.errors.append(f"Задание «{task}» ({task.lesson}): указано дважды")
                continue
            seen.add(task_id)
            if self._as_shown(task, item, f"Задание «{task}» ({task.lesson})"):
                self._existing_task(task, item)
        self._new_tasks(new_items)

    def _task_fields(self, item, where, task=None):
        """type, weight, mandatory flag and topic from an item; for an existing task only those given."""
        fields = {}
        kind = None
        if item.get("type_id") not in (None, ""):
            kind = self.types.get(parse_id(item.get("type_id")))
            if kind is None or (not kind.is_active and (task is None or kind.id != task.type_id)):
                self.errors.append(f"{where}: выберите тип задания из справочника")
                return None
            fields["type_id"] = kind.id
        elif task is None:  # a mark typed into a lesson's empty column: the first type of the list
            kind = min((t for t in self.types.values() if t.is_active), key=lambda t: (t.sort_order, t.id),
                       default=None)
            if kind is None:
                self.errors.append(f"{where}: в справочнике нет типов заданий")
                return None
            fields["type_id"] = kind.id
        if "weight" in item and item["weight"] not in (None, ""):
            try:
                fields["weight"] = parse_weight(item["weight"])
            except ValueError as exc:
                self.errors.append(f"{where}: {exc}")
                return None
        elif task is None:
            fields["weight"] = kind.default_weight
        if "is_mandatory" in item and item["is_mandatory"] is not None:
            fields["is_mandatory"] = _flag(item["is_mandatory"])
        elif task is None:
            fields["is_mandatory"] = bool(kind.default_mandatory)
        if "topic" in item:
            topic = _text(item["topic"])
            if len(topic) > 300:
                self.errors.append(f"{where}: тема задания длиннее 300 знаков")
                return None
            fields["topic"] = topic or None
        return fields

    def _locked_marks_of(self, task):
        lesson = task.lesson
        return [m for (t, s), m in self.marks.items() if t == task.id and self._closed_by_period_mark(s, lesson)]

    def _existing_task(self, task, item):
        lesson = task.lesson
        where = f"Задание «{task}» ({lesson})"
        if parse_id(item.get("lesson_id")) not in (None, lesson.id):
            self.errors.append(f"{where}: задание нельзя перенести на другой урок")
            return
        if not self._writable(lesson, where):
            return
        if _flag(item.get("delete")):
            locked = self._locked_marks_of(task)
            if locked:
                self.errors.append(f"{where}: у {len(locked)} обучающихся уже выставлена отметка за период — "
                                   "задание с их отметками удаляют заместитель директора или администратор")
                return
            self.deleted_tasks.add(task.id)
            marks = [m for (t, _), m in self.marks.items() if t == task.id]
            self.ops.append(lambda task=task, marks=marks: self._apply_delete_task(task, marks))
            return
        if no_marks(self.org, self.klass, self.subject):
            self.errors.append(f"{where}: {self._no_marks_reason()}")
            return
        fields = self._task_fields(item, where, task)
        if fields is None:
            return
        weighty = any(k in fields and getattr(task, k) != fields[k] for k in ("weight", "is_mandatory"))
        if weighty and self._locked_marks_of(task):
            self.errors.append(f"{where}: вес и обязательность не меняются — у обучающихся уже выставлена "
                               "отметка за период")
            return
        self.ops.append(lambda task=task, fields=fields: self._apply_task(task, fields))

    def _new_tasks(self, items):
        positions = {}
        lessons = {parse_id(item.get("lesson_id")) for _, item in items}
        if lessons - {None}:
            positions = dict(db.session.execute(
                select(Task.lesson_id, func.max(Task.position)).where(Task.lesson_id.in_(lessons - {None}))
                .group_by(Task.lesson_id)).all())
        for n, item in items:
            key = _text(item.get("key"))
            where = f"Новое задание (строка {n})"
            if not key:
                self.errors.append(f"{where}: нет ключа нового задания")
                continue
            if key in self.new_tasks:
                self.errors.append(f"{where}: ключ «{key}» повторяется")
                continue
            self.new_tasks[key] = None
            if _flag(item.get("delete")):
                continue
            lesson = self._lesson(item.get("lesson_id"), where)
            if lesson is None or not self._writable(lesson, f"Новое задание ({lesson})"):
                continue
            if no_marks(self.org, self.klass, self.subject):
                self.errors.append(f"Урок {lesson}: {self._no_marks_reason()}")
                continue
            if lesson.is_cancelled:
                self.errors.append(f"Урок {lesson} отменён: задания на него не добавляются")
                continue
            fields = self._task_fields(item, f"Новое задание ({lesson})")
            if fields is None:
                continue
            positions[lesson.id] = (positions.get(lesson.id) or 0) + 1
            task = Task(org_id=self.assignment.org_id, lesson_id=lesson.id, position=positions[lesson.id], **fields)
            task.lesson = lesson
            self.new_tasks[key] = task
            self.ops.append(lambda task=task: self._apply_new_task(task))

    def _apply_new_task(self, task):
        db.session.add(task)
        self.result.counts["tasks_created"] += 1

    def _apply_task(self, task, fields):
        self.result.counts["tasks_changed"] += _assign(task, fields)

    def _apply_delete_task(self, task, marks):
        for mark in marks:
            db.session.delete(mark)
            self.result.versions["marks"][(task.id, mark.student_id)] = None
        db.session.delete(task)
        self.result.counts["tasks_deleted"] += 1
        self.result.counts["marks_deleted"] += len(marks)

    def _no_marks_reason(self):
        if self.subject.grading == Grading.NONE.value:
            return f"по предмету «{self.subject.name}» отметки не ставятся"
        return NO_MARKS_FIRST_GRADE

    # marks ----------------------------------------------------------------------------------------

    def _marks(self):
        seen = set()
        allowed = mark_values(self.subject, self.klass, self.org)
        for n, item in enumerate(self.marks_in, start=1):
            where = f"Отметка (строка {n})"
            task_id, key = parse_id(item.get("task_id")), _text(item.get("task_key"))
            if task_id is not None:
                task = self.tasks.get(task_id)
                if task is None or task.lesson.assignment_id != self.assignment.id:
                    self.errors.append(f"{where}: задание не найдено в этом журнале")
                    continue
                if task_id in self.deleted_tasks:
                    self.errors.append(f"{where}: задание «{task}» удаляется в этом же сохранении")
                    continue
                cell = ("t", task_id)
            elif key:
                task = self.new_tasks.get(key)
                if task is None:
                    if key not in self.new_tasks:
                        self.errors.append(f"{where}: нет нового задания с ключом «{key}»")
                    continue
                cell = ("k", key)
            else:
                self.errors.append(f"{where}: не указано задание")
                continue
            lesson = task.lesson
            student_id = parse_id(item.get("student_id"))
            student = self.students.get(student_id)
            where = f"{_name(student)}, {lesson}"
            if (cell, student_id) in seen:
                self.errors.append(f"{where}: отметка за одно задание указана дважды")
                continue
            seen.add((cell, student_id))
            version = _version(item, self.errors, where)
            value = _value(item.get("value"))
            comment = _text(item.get("comment")) if "comment" in item else None
            if not self._writable(lesson, where):
                continue
            problem = self._enrolled(student, lesson)
            if problem:
                self.errors.append(f"{lesson}: {problem}")
                continue
            existing = self.marks.get((task.id, student_id)) if task.id is not None else None
            if value and not allowed:
                self.errors.append(f"{where}: {self._no_marks_reason()}")
                continue
            if value and value not in allowed:
                self.errors.append(f"{where}: «{item.get('value')}» — недопустимая отметка; можно: {', '.join(allowed)}")
                continue
            if value and lesson.is_cancelled:
                self.errors.append(f"{where}: урок отменён, отметки не ставятся")
                continue
            if comment is not None and len(comment) > MAX_COMMENT:
                self.errors.append(f"{where}: комментарий длиннее {MAX_COMMENT} знаков")
                continue
            if not self._version_matches(existing, version, where):
                continue
            if existing is None and not value:
                continue
            if existing is not None and existing.value == value and (comment is None or comment == (existing.comment or "")):
                continue
            closed = self._closed_by_period_mark(student_id, lesson)
            if closed:
                self.errors.append(f"{where}: " + ("отметка за период уже выставлена — отметки периода"
                                                   if closed == "period" else
                                                   "годовая или итоговая отметка уже выставлена — отметки года")
                                   + " меняют заместитель директора или администратор")
                continue
            self.ops.append(lambda task=task, student=student, existing=existing, value=value, comment=comment:
                            self._apply_mark(task, student, existing, value, comment))

    def _as_shown(self, row, item, where):
        """A lesson or a task is written only if it is still at the version its page showed (no
        version sent: a script that does not claim to know it). A change committed after this check
        fails the write's `WHERE version = …` (models.org.Versioned), also a VersionConflict."""
        version = _version(item, self.errors, where)
        return version is None or self._version_matches(row, version, where)

    def _version_matches(self, existing, version, where):
        if existing is None and version is not None:
            self.conflicts.append(f"{where}: запись уже удалена другим пользователем")
            return False
        if existing is not None and version != existing.version:
            self.conflicts.append(f"{where}: запись уже изменена другим пользователем")
            return False
        return True

    def _apply_mark(self, task, student, existing, value, comment):
        user_id = self.actor.user_id
        if existing is None:
            mark = Mark(org_id=self.assignment.org_id, student_id=student.id, value=value,
                        comment=comment or None, created_by_id=user_id, updated_by_id=user_id,
                        created_at=self.now, updated_at=self.now)
            if task.id is None:
                mark.task = task
            else:
                mark.task_id = task.id
            db.session.add(mark)
            self.touched_marks.append(mark)
            self.result.counts["marks_created"] += 1
        elif not value:
            db.session.delete(existing)
            self.result.versions["marks"][(task.id, student.id)] = None
            self.result.counts["marks_deleted"] += 1
        else:
            changes = {"value": value, "updated_by_id": user_id, "updated_at": self.now}
            if comment is not None:
                changes["comment"] = comment or None
            self.updates.append((existing, changes))
            self.touched_marks.append(existing)
            self.result.counts["marks_changed"] += 1

    # attendance -----------------------------------------------------------------------------------

    def _attendance(self):
        seen = set()
        for n, item in enumerate(self.attendance_in, start=1):
            lesson = self._lesson(item.get("lesson_id"), f"Посещаемость (строка {n})")
            if lesson is None:
                continue
            student_id = parse_id(item.get("student_id"))
            student = self.students.get(student_id)
            where = f"{_name(student)}, {lesson}"
            if (lesson.id, student_id) in seen:
                self.errors.append(f"{where}: посещаемость указана дважды")
                continue
            seen.add((lesson.id, student_id))
            version = _version(item, self.errors, where)
            raw = _value(item.get("code"))
            code = self.codes.get(raw) if raw else None
            if not self._writable(lesson, where):
                continue
            problem = self._enrolled(student, lesson)
            if problem:
                self.errors.append(f"{lesson}: {problem}")
                continue
            if raw and code is None:
                self.errors.append(f"{where}: «{item.get('code')}» — нет такой отметки посещаемости; можно: "
                                   f"{', '.join(sorted(self.codes))}")
                continue
            if raw and lesson.is_cancelled:
                self.errors.append(f"{where}: урок отменён, посещаемость не отмечается")
                continue
            existing = self.attendance.get((lesson.id, student_id))
            if not self._version_matches(existing, version, where):
                continue
            if (existing is None and code is None) or (existing is not None and code is not None
                                                       and existing.code_id == code.id):
                continue
            self.ops.append(lambda lesson=lesson, student=student, existing=existing, code=code:
                            self._apply_attendance(lesson, student, existing, code))

    def _apply_attendance(self, lesson, student, existing, code):
        user_id = self.actor.user_id
        if not lesson.attendance_taken:
            lesson.attendance_taken = True
        if existing is None:
            row = Attendance(org_id=self.assignment.org_id, lesson_id=lesson.id, student_id=student.id,
                             code_id=code.id, updated_by_id=user_id, updated_at=self.now)
            row.code = code
            db.session.add(row)
            self.touched_attendance.append(row)
            self.result.counts["attendance_created"] += 1
        elif code is None:
            db.session.delete(existing)
            self.result.versions["attendance"][(lesson.id, student.id)] = None
            self.result.counts["attendance_deleted"] += 1
        else:
            self.updates.append((existing, {"code_id": code.id, "updated_by_id": user_id, "updated_at": self.now}))
            self.touched_attendance.append(existing)
            self.result.counts["attendance_changed"] += 1

    def _collect_versions(self):
        for key, task in self.new_tasks.items():
            if task is not None:
                self.result.task_ids[key] = task.id
        for mark in self.touched_marks:
            self.result.versions["marks"][(mark.task_id, mark.student_id)] = mark.version
        for row in self.touched_attendance:
            self.result.versions["attendance"][(row.lesson_id, row.student_id)] = row.version


def _update_in_batches(updates):
    """Apply (row, {field: value}) changes so that the flush sends one multi-row UPDATE per kind
    of change: the ORM batches only consecutive rows whose changed columns are the same."""
    groups = defaultdict(list)
    for row, changes in updates:
        changed = {k: v for k, v in changes.items() if getattr(row, k) != v}
        if changed:
            groups[(type(row).__name__, tuple(sorted(changed)))].append((row, changed))
    for _, rows in sorted(groups.items()):
        for row, changed in rows:
            for key, value in changed.items():
                setattr(row, key, value)
        db.session.flush()


def _load_assignment(actor, assignment_id):
    aid = parse_id(assignment_id)
    assignment = db.session.scalar(
        select(TeachingAssignment).where(TeachingAssignment.id == aid)
        .options(joinedload(TeachingAssignment.klass), joinedload(TeachingAssignment.subject),
                 joinedload(TeachingAssignment.year), joinedload(TeachingAssignment.subgroup))) \
        if aid is not None else None
    if assignment is None or (actor.org_id is not None and assignment.org_id != actor.org_id):
        raise PermissionDenied("Журнал не найден или недоступен.")
    return assignment


# -- period marks ---------------------------------------------------------------------------------

def _period_mark_key(student_id, kind, period_id):
    return (student_id, kind, period_id if kind == PeriodMarkKind.PERIOD.value else None)


# The marks a year or final mark stands on: once it is set they are closed to the teacher too.
LOCKS = {PeriodMarkKind.PERIOD.value: (PeriodMarkKind.FINAL.value, PeriodMarkKind.YEAR.value),
         PeriodMarkKind.YEAR.value: (PeriodMarkKind.FINAL.value,),
         PeriodMarkKind.EXAM.value: (PeriodMarkKind.FINAL.value,)}
LOCKED_BY_FINAL = ("уже выставлена {kind} отметка «{value}»: отметки под ней меняют только заместитель "
                   "директора или администратор")


def locked_by(marks, student_id, kind):
    """The year or final mark (from {(student id, kind, period id): PeriodMark}) that closes a
    student's mark of `kind` to the teacher, or None."""
    for upper in LOCKS.get(kind, ()):
        mark = marks.get(_period_mark_key(student_id, upper, None))
        if mark is not None:
            return mark
    return None


def period_mark_writers(actor, org, subject, year, students, class_id=None):
    """Ids of `students` ({id: Student}) whose period, year, exam and final marks of `subject` the
    actor may set (SPEC §3 rule 4) as marks of class `class_id` (by default each card's class): what
    save_period_marks checks, for showing cells read-only."""
    saver = _PeriodMarkSave(actor, org, subject, year, [], [], None, [])
    return {sid for sid, _ in saver.writable({(sid, class_id or s.class_id) for sid, s in students.items()})}


def final_day(year, periods):
    """The last day of a year's studies (its last period's end, else the year's): a student's year,
    exam and final marks are those of the class he is in that day."""
    ends = [p.end_date for p in periods if p.year_id == year.id]
    return max(ends) if ends else year.end_date


class _PeriodMarkSave:
    """Period, year, exam and final marks of one subject and year for a set of students."""

    def __init__(self, actor, org, subject, year, errors, conflicts, periods, items):
        self.actor, self.org, self.subject, self.year = actor, org, subject, year
        self.errors, self.conflicts, self.periods, self.items = errors, conflicts, periods, items
        self.corrector = can_correct(actor)
        self.ops = []
        self.touched = []
        self.now = utcnow()

    def prepare(self):
        student_ids = {parse_id(i.get("student_id")) for i in self.items} - {None}
        self.students = {s.id: s for s in db.session.scalars(
            select(Student).where(Student.id.in_(student_ids), Student.org_id == self.year.org_id)
            .options(joinedload(Student.klass)))} if student_ids else {}
        _gate_period_marks(self.subject.id, set(self.students), exclusive=True)
        self.existing = {}
        if self.students:
            for mark in _locked(select(PeriodMark).where(
                    PeriodMark.student_id.in_(self.students), PeriodMark.subject_id == self.subject.id,
                    PeriodMark.year_id == self.year.id).order_by(PeriodMark.id), exclusive=True):
                self.existing[_period_mark_key(mark.student_id, mark.kind, mark.period_id)] = mark
        self._load_stays()
        self._check_permission()
        seen = set()
        for n, item in enumerate(self.items, start=1):
            self._item(n, item, seen)

    # who may set them (SPEC §3 rule 4) ----------------------------------------------------------

    def writable(self, pairs):
        """The (student id, class id) of `pairs` whose marks of this subject the actor may set as marks
        of that class: its subject teacher (of his subgroup when split), in a school its class teacher."""
        actor = self.actor
        if self.corrector or not pairs:
            return set(pairs)
        taught = self._taught(pairs) if actor.staff_id and permissions.allowed(actor, "journal", "edit") else set()
        own_classes = set(actor.own_class_ids) if not self.org.is_college else set()
        return {pair for pair in pairs if pair in taught or pair[1] in own_classes}

    def _check_permission(self):
        pairs = set()
        for item in self.items:
            student = self.students.get(parse_id(item.get("student_id")))
            class_id = self._class_of(student, item)[0] if student is not None else None
            if class_id is not None:
                pairs.add((student.id, class_id))
        denied = {sid for sid, _ in pairs - self.writable(pairs)}
        if denied:
            names = ", ".join(_name(self.students[sid]) for sid in sorted(denied))
            raise PermissionDenied(
                f"Отметки за период по предмету «{self.subject.name}» ставит учитель предмета"
                + ("" if self.org.is_college else " или классный руководитель") + f": {names}")

    # in which class a mark is (the movement book) ---------------------------------------------------

    def _load_stays(self):
        """The students' stays in classes during the year (academic leave left out), one query."""
        M = ClassMembership
        self.stays = defaultdict(list)
        if self.students:
            for sid, class_id, start, end in db.session.execute(
                    select(M.student_id, M.class_id, M.start_date, M.end_date).where(
                        M.student_id.in_(self.students), M.on_leave.is_(False),
                        overlaps(self.year.start_date, self.year.end_date))):
                self.stays[sid].append((class_id, start, end))

    def _class_of(self, student, item):
        """(class id or None, the day, what day it is): a period mark is of the class the student is in
        on the period's last day, a year, exam or final mark of the one he is in on the year's last
        day of studies — whatever happened to him later (SPEC §6 «who counts where»)."""
        kind = _text(item.get("kind")) or PeriodMarkKind.PERIOD.value
        if kind == PeriodMarkKind.PERIOD.value:
            period = self.periods.by_id.get(parse_id(item.get("period_id")))
            if period is None:
                return None, None, ""
            day, label = period.end_date, f"последний день периода «{period.name}»"
        else:
            day, label = final_day(self.year, self.periods.by_id.values()), "конец учебного года"
        class_id = next((c for c, start, end in self.stays.get(student.id, ())
                         if start <= day and (end is None or end >= day)), None)
        return class_id, day, label

    def _taught(self, pairs):
        """The pairs (student id, class id) the actor teaches this subject this year: his class, his
        subgroup when split."""
        assignments = db.session.scalars(select(TeachingAssignment).where(
            TeachingAssignment.teacher_id == self.actor.staff_id, TeachingAssignment.subject_id == self.subject.id,
            TeachingAssignment.year_id == self.year.id, TeachingAssignment.org_id == self.year.org_id)).all()
        whole = {a.class_id for a in assignments if a.subgroup_id is None}
        groups = {a.subgroup_id for a in assignments if a.subgroup_id is not None}
        result = {(sid, class_id) for sid, class_id in pairs if class_id in whole}
        if groups:
            split = defaultdict(set)  # student id -> {(period id, subgroup id)}
            split_classes = defaultdict(set)  # period id -> classes split in it
            for student_id, subgroup_id, period_id, class_id in db.session.execute(
                    select(SubgroupMember.student_id, SubgroupMember.subgroup_id, SubgroupMember.period_id,
                           Subgroup.class_id)
                    .join(Subgroup, Subgroup.id == SubgroupMember.subgroup_id)
                    .where(SubgroupMember.subject_id == self.subject.id, Subgroup.year_id == self.year.id)):
                split[student_id].add((period_id, subgroup_id))
                split_classes[period_id].add(class_id)
            group_classes = {a.class_id for a in assignments if a.subgroup_id is not None}
            for sid, class_id in pairs:
                if class_id not in group_classes:
                    continue
                if any(g in groups for _, g in split[sid]) or not any(
                        class_id in classes for classes in split_classes.values()):
                    result.add((sid, class_id))
        return result

    # each mark ----------------------------------------------------------------------------------

    def _item(self, n, item, seen):
        student = self.students.get(parse_id(item.get("student_id")))
        kind = _text(item.get("kind")) or PeriodMarkKind.PERIOD.value
        where = f"{_name(student)}, отметка «{self._kind_label(kind)}» по предмету «{self.subject.name}»"
        if student is None:
            self.errors.append(f"Отметка за период (строка {n}): обучающийся не найден")
            return
        if kind not in {k.value for k in PeriodMarkKind}:
            self.errors.append(f"{where}: неизвестный вид отметки")
            return
        period = None
        if kind == PeriodMarkKind.PERIOD.value:
            period = self.periods.by_id.get(parse_id(item.get("period_id")))
            if period is None or period.year_id != self.year.id:
                self.errors.append(f"{where}: укажите учебный период этого учебного года")
                return
            where = f"{_name(student)}, {period.name}, «{self.subject.name}»"
        key = _period_mark_key(student.id, kind, period.id if period else None)
        if key in seen:
            self.errors.append(f"{where}: отметка указана дважды")
            return
        seen.add(key)
        version = _version(item, self.errors, where)
        value = _value(item.get("value"))
        if self.year.is_closed:
            self.errors.append(f"{where}: учебный год {self.year.name} закрыт")
            return
        closed = period if period is not None and period.is_closed else \
            (self.periods.year_end_closed(self.year.id) if period is None else None)
        if closed is not None:
            self.errors.append(f"{where}: период «{closed.name}» закрыт для изменений")
            return
        class_id, day, label = self._class_of(student, item)
        if class_id is None:
            self.errors.append(f"{where}: {_name(student)} не числится в составе {_class_word(self.org)} на "
                               f"{day:%d.%m.%Y} ({label}) — отметка ставится там, где он(а) учится в этот день")
            return
        allowed = period_mark_values(self.subject, kind, db.session.get(SchoolClass, class_id), self.org)
        if value and not allowed:
            reason = NO_MARKS_FIRST_GRADE if self.subject.grading != Grading.NONE.value else \
                f"по предмету «{self.subject.name}» отметки не ставятся"
            self.errors.append(f"{where}: {reason}")
            return
        if value and value not in allowed:
            self.errors.append(f"{where}: «{item.get('value')}» — недопустимая отметка; можно: {', '.join(allowed)}")
            return
        existing = self.existing.get(key)
        if existing is None and version is not None:
            self.conflicts.append(f"{where}: отметка уже удалена другим пользователем")
            return
        if existing is not None and version != existing.version:
            self.conflicts.append(f"{where}: отметка уже изменена другим пользователем")
            return
        if (existing is None and not value) or (existing is not None and existing.value == value):
            if existing is not None:
                self.touched.append((key, existing))
            return
        if existing is not None and not self.corrector:
            self.errors.append(f"{where}: {PERIOD_MARK_SET.format(value=existing.value)}")
            return
        above = None if self.corrector else locked_by(self.existing, student.id, kind)
        if above is not None:
            upper = PeriodMarkKind(above.kind).label.lower()
            self.errors.append(f"{where}: {LOCKED_BY_FINAL.format(kind=upper, value=above.value)}")
            return
        self.ops.append(lambda: self._apply(key, student, kind, period, existing, value))

    @staticmethod
    def _kind_label(kind):
        try:
            return PeriodMarkKind(kind).label
        except ValueError:
            return kind

    def _apply(self, key, student, kind, period, existing, value):
        user_id = self.actor.user_id
        if existing is None:
            mark = PeriodMark(org_id=self.year.org_id, student_id=student.id, subject_id=self.subject.id,
                              year_id=self.year.id, kind=kind, period_id=period.id if period else None,
                              slot=period.id if period else 0, value=value, set_by_id=user_id, set_at=self.now)
            db.session.add(mark)
            self.touched.append((key, mark))
            self.counts["period_marks_created"] += 1
        elif not value:
            db.session.delete(existing)
            self.deleted.append(key)
            self.counts["period_marks_deleted"] += 1
        else:
            existing.value, existing.set_by_id, existing.set_at = value, user_id, self.now
            self.touched.append((key, existing))
            self.counts["period_marks_changed"] += 1

    def apply(self, result):
        self.counts, self.deleted = result.counts, []
        for op in self.ops:
            op()
        self.result = result

    def collect(self):
        versions = self.result.versions["period_marks"]
        for key in self.deleted:
            versions[key] = None
        for key, mark in self.touched:
            versions[key] = mark.version


def save_period_marks(actor, subject_id, year_id, items, commit=True):
    """Period marks of one subject and year: items [{"student_id", "kind", "period_id", "value"
    ("" deletes), "version"}]; one transaction. Returns {(student_id, kind, period_id): version}."""
    with _transaction(actor, commit):
        subject = db.session.get(Subject, parse_id(subject_id)) if parse_id(subject_id) else None
        year = db.session.get(AcademicYear, parse_id(year_id)) if parse_id(year_id) else None
        if subject is None or year is None or subject.org_id != year.org_id or \
                (actor.org_id is not None and year.org_id != actor.org_id):
            raise PermissionDenied("Предмет или учебный год не найден в вашей организации.")
        org = actor.org if actor.org_id == year.org_id else db.session.get(Organization, year.org_id)
        periods = _Periods(year.org_id, year_ids=[year.id])
        errors, conflicts = [], []
        saver = _PeriodMarkSave(actor, org, subject, year, errors, conflicts, periods, list(items))
        saver.prepare()
        if conflicts:
            raise VersionConflict(conflicts + errors)
        if errors:
            raise DomainError("Отметки за период не сохранены", errors)
        result = SaveResult()
        saver.apply(result)
        db.session.flush()
        saver.collect()
        return result.versions["period_marks"]


def set_period_mark(actor, student_id, subject_id, year_id, kind, period_id, value, version=None):
    """Set (or with value "" delete) one period / year / exam / final mark; returns its new version."""
    versions = save_period_marks(actor, subject_id, year_id, [
        {"student_id": student_id, "kind": kind, "period_id": period_id, "value": value, "version": version}])
    return next(iter(versions.values()), version)


def delete_period_mark(actor, student_id, subject_id, year_id, kind, period_id, version):
    save_period_marks(actor, subject_id, year_id, [
        {"student_id": student_id, "kind": kind, "period_id": period_id, "value": "", "version": version}])


# -- closing periods ------------------------------------------------------------------------------

def _period_for(actor, period_id, verb):
    permissions.require(actor, "period", verb)
    pid = parse_id(period_id)
    cond = permissions.row_condition(actor, "period", verb, Period)
    rows = _gated_periods(and_(Period.id == pid, cond), exclusive=True) if pid else []
    if not rows:
        raise PermissionDenied("Период не найден или недоступен.")
    return rows[0]


def _log_period(actor, period, action, changes, summary):
    _, _, address = audit.get_context()
    db.session.add(AuditLog(org_id=period.org_id, user_id=actor.user_id, action=action, entity="period",
                            entity_id=period.id, summary=summary[:300], changes=changes, address=address))


def close_period(actor, period_id, commit=True):
    """Close a period for edits (the administrator). Waits for saves in flight into it; a save that
    comes after sees it closed. Returns False if it was closed already. commit=False: a part of the
    caller's transaction (the year's closing)."""
    with _transaction(actor, commit):
        period = _period_for(actor, period_id, "close_period")
        if period.is_closed:
            return False
        db.session.execute(update(Period.__table__).where(Period.__table__.c.id == period.id)
                           .values(is_closed=True))
        _log_period(actor, period, "close", {"is_closed": [False, True]}, f"Период «{period}» закрыт для изменений")
        return True


def reopen_period(actor, period_id, reason):
    """Open a closed period again (the administrator), with the reason written to the audit."""
    reason = _text(reason)
    if len(reason) < 5:
        raise DomainError("Укажите причину, по которой период открывается для изменений.")
    if len(reason) > 250:
        raise DomainError("Причина — не длиннее 250 знаков.")
    with _transaction(actor):
        period = _period_for(actor, period_id, "reopen_period")
        year = db.session.get(AcademicYear, period.year_id)
        if year.is_closed:
            raise DomainError(f"Учебный год {year.name} закрыт: его периоды не открываются.")
        if not period.is_closed:
            return False
        db.session.execute(update(Period.__table__).where(Period.__table__.c.id == period.id)
                           .values(is_closed=False))
        _log_period(actor, period, "reopen", {"is_closed": [True, False], "reason": [None, reason]},
                    f"Период «{period}» открыт для изменений: {reason}")
        return True


# -- absence reasons (the class teacher) ------------------------------------------------------------

REASON_KINDS = (AbsenceKind.ABSENT.value, AbsenceKind.ILL.value, AbsenceKind.EXCUSED.value)


def _assign(obj, fields):
    """Set the fields that differ; True if any did (so an unchanged row is not counted or audited)."""
    changed = False
    for key, value in fields.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


class AbsenceReasonsRefused(DomainError):
    """Some rows of a batch are wrong: nothing is saved; `row_errors` says why, per attendance id."""

    def __init__(self, row_errors):
        super().__init__("Причины пропусков не сохранены", list(row_errors.values()))
        self.row_errors = row_errors


def _apply_absence_reason(actor, attendance_id, code, note, document_date, version=None):
    """Check one reason and, if it is right, write it into the open transaction; returns
    (row, errors). The caller's transaction commits or rolls back the whole batch. `version`: of
    the attendance the page showed (the teacher may have changed its code since); None — unknown."""
    row = db.session.get(Attendance, parse_id(attendance_id)) if parse_id(attendance_id) else None
    if row is not None:  # the period's gate first, then the row: the order every save takes them in
        periods = _Periods(row.org_id, [row.lesson])
        rows = _locked(select(Attendance).where(Attendance.id == row.id), exclusive=True)
        row = rows[0] if rows else None
    if row is None or (actor.org_id is not None and row.org_id != actor.org_id):
        raise PermissionDenied("Отметка посещаемости не найдена или недоступна.")
    permissions.require_rows(actor, "absence_reason", "edit", Student, [row.student_id])
    if version is not None and parse_id(version) != row.version:
        return row, ["запись изменил другой пользователь — обновите страницу и укажите причину заново"]
    errors = []
    wanted = db.session.scalar(select(AttendanceCode).where(
        AttendanceCode.org_id == row.org_id, AttendanceCode.code == _value(code)))
    if wanted is None or wanted.kind not in REASON_KINDS:
        errors.append("Выберите причину: болезнь, уважительная причина или без уважительной причины")
    if row.code is not None and row.code.kind == AbsenceKind.LATE.value:
        errors.append("Опоздание не требует причины")
    note = _text(note)
    if len(note) > MAX_NOTE:
        errors.append(f"Документ — не длиннее {MAX_NOTE} знаков")
    if document_date is not None and not isinstance(document_date, date):
        errors.append("Дата документа указывается в виде дд.мм.гггг")
    elif document_date is not None and document_date > clock.today():
        errors.append("Дата документа не может быть в будущем")
    if wanted is not None and wanted.kind == AbsenceKind.EXCUSED.value and not (note or document_date):
        errors.append("Для уважительной причины укажите документ (справку, заявление) или его дату")
    closed = periods.closed_for(row.lesson)
    if closed is not None:
        errors.append(f"Период «{closed.name}» закрыт для изменений")
    if not errors:
        row.code_id, row.code = wanted.id, wanted
        row.reason_note, row.document_date = note or None, document_date
        row.reason_set_by_id, row.reason_set_at = actor.user_id, utcnow()
    return row, errors


def set_absence_reason(actor, attendance_id, code, note, document_date):
    """The class teacher records why his student missed a lesson: «б» (ill), «у» (excused, with the
    document), «н» (without a reason). Returns the attendance's new version."""
    with _transaction(actor):
        row, errors = _apply_absence_reason(actor, attendance_id, code, note, document_date)
        if errors:
            raise DomainError("Причина пропуска не сохранена", errors)
        db.session.flush()
        return row.version


def set_absence_reasons(actor, items):
    """Several reasons at once (the absences page): all of them saved, or none.

    items: [{"attendance_id", "code", "note", "document_date", "version"?}]. Raises
    AbsenceReasonsRefused with every wrong row's message. Returns how many were saved."""
    with _transaction(actor):
        row_errors = {}
        for item in items:
            _, errors = _apply_absence_reason(actor, item["attendance_id"], item["code"], item.get("note"),
                                              item.get("document_date"), item.get("version"))
            if errors:
                row_errors[int(item["attendance_id"])] = "; ".join(errors)
        if row_errors:
            raise AbsenceReasonsRefused(row_errors)
        db.session.flush()
        return len(items)


def reason_deadline(org_id, document_date):
    """The last day to enter an absence reason: 2 working days after the document."""
    calendar = WorkingCalendar(org_id, document_date, document_date + timedelta(days=60))
    return calendar.add_working_days(document_date, ABSENCE_REASON_DAYS)


# -- the history of a cell (the deputy director) -----------------------------------------------------

def _history(actor, entity, org_id, match):
    """Audit rows of every incarnation of one cell: an entry deleted and made again has a new id,
    so its ids are found by the cell's key in the rows that made them."""
    permissions.require(actor, "cell_history", "list")
    if actor.org_id is not None and org_id != actor.org_id:
        raise PermissionDenied()
    made = select(AuditLog.entity_id).where(
        AuditLog.entity == entity, AuditLog.org_id == org_id, AuditLog.action == "insert",
        *[AuditLog.changes[(column, 1)].as_string() == str(value) for column, value in match.items()])
    return db.session.scalars(
        select(AuditLog).where(AuditLog.entity == entity, AuditLog.org_id == org_id, AuditLog.entity_id.in_(made))
        .options(joinedload(AuditLog.user)).order_by(AuditLog.at, AuditLog.id)).all()


def cell_history(actor, task_id, student_id):
    task = db.session.get(Task, parse_id(task_id)) if parse_id(task_id) else None
    if task is None:
        raise PermissionDenied("Задание не найдено.")
    return _history(actor, "mark", task.org_id, {"task_id": task.id, "student_id": parse_id(student_id)})


def attendance_history(actor, lesson_id, student_id):
    lesson = db.session.get(Lesson, parse_id(lesson_id)) if parse_id(lesson_id) else None
    if lesson is None:
        raise PermissionDenied("Урок не найден.")
    return _history(actor, "attendance", lesson.org_id, {"lesson_id": lesson.id, "student_id": parse_id(student_id)})


def period_mark_history(actor, student_id, subject_id, year_id, kind, period_id=None):
    year = db.session.get(AcademicYear, parse_id(year_id)) if parse_id(year_id) else None
    if year is None:
        raise PermissionDenied("Учебный год не найден.")
    match = {"student_id": parse_id(student_id), "subject_id": parse_id(subject_id), "year_id": year.id, "kind": kind}
    if kind == PeriodMarkKind.PERIOD.value:
        match["period_id"] = parse_id(period_id)
    return _history(actor, "period_mark", year.org_id, match)


# -- rules on every flush, whatever the path ------------------------------------------------------

_VERSIONED = (Mark, Attendance, PeriodMark)


def _bump_versions(session):
    """Every change of a versioned entry raises its version, whatever path made it."""
    for obj in session.dirty:
        if isinstance(obj, _VERSIONED) and session.is_modified(obj):
            history = inspect(obj).attrs.version.history
            if not history.has_changes():
                committed = (history.unchanged or history.deleted or [0])[0] or 0
                obj.version = committed + 1


@validator(Mark)
def validate_mark(mark):
    if mark.value not in MARK_VALUES + PASS_FAIL_VALUES:
        raise DomainError("Отметка не сохранена", [f"«{mark.value}» — недопустимая отметка"])


@validator(PeriodMark)
def validate_period_mark(mark):
    errors = []
    if mark.value not in PERIOD_MARK_VALUES:
        errors.append(f"«{mark.value}» — недопустимая отметка за период")
    if mark.kind == PeriodMarkKind.PERIOD.value:
        if mark.period_id is None:
            errors.append("Укажите учебный период")
        mark.slot = mark.period_id or 0
    else:
        mark.period_id, mark.slot = None, 0
    if errors:
        raise DomainError("Отметка за период не сохранена", errors)


def _lesson_of(session, obj):
    if isinstance(obj, (Attendance, Task)):
        return obj.__dict__.get("lesson") or session.get(Lesson, obj.lesson_id)
    task = obj.__dict__.get("task") or session.get(Task, obj.task_id)
    return task.__dict__.get("lesson") or session.get(Lesson, task.lesson_id) if task is not None else None


@event.listens_for(Session, "before_flush")
def _journal_flush_rules(session, flush_context, instances):
    """Versions grow with every change; nothing dated in a closed period is added, changed or
    deleted, by any path (SPEC §3 rule 1)."""
    _bump_versions(session)
    if session.info.get("journal_checked"):
        return  # a journal service checked its periods under their locks
    watched = [o for o in chain(session.new, session.deleted, (d for d in session.dirty if session.is_modified(d)))
               if isinstance(o, (Mark, Attendance, Task, PeriodMark))]
    if not watched:
        return
    with session.no_autoflush:
        closed = session.execute(select(Period.id, Period.org_id, Period.start_date, Period.end_date).where(
            Period.org_id.in_({o.org_id for o in watched}), Period.is_closed.is_(True))).all()
        if not closed:
            return
        closed_ids = {row.id for row in closed}
        for obj in watched:
            if isinstance(obj, PeriodMark):
                hit = obj.period_id in closed_ids
            else:
                lesson = _lesson_of(session, obj)
                if lesson is None:
                    continue
                hit = lesson.period_id in closed_ids if lesson.period_id else any(
                    row.org_id == lesson.org_id and row.start_date <= lesson.date <= row.end_date for row in closed)
            if hit:
                raise DomainError("Период закрыт для изменений: отметки, посещаемость и отметки за период "
                                  "в нём не меняются.")
