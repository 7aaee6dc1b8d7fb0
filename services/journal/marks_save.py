"""The journal grid's lean path for its most frequent save: the assignment's own teacher changes or
sets a few marks on existing tasks (issue 20.4: saves under load). Set-based SQL on the tables, no ORM
objects:

1. the gates, one statement: the lessons' periods and the students' period marks of the subject,
   shared (services/journal/_writes.py; a close or a period mark's save waits for this save, and
   what this save reads after them cannot change until it commits);
2. the checks, one statement: the assignment within the actor's rows of the permission table, its
   teacher, its year open, the grid's period of its year; per (task, student): the task's lesson in
   this journal, given and not cancelled, its period open, the student in the class on the lesson's
   day (the movement book), no period (year, final) mark closing it, the mark there now and its version;
3. one conditional UPDATE for the whole batch — `WHERE (id = :id AND version = :v) OR …`; a row that
   moved meanwhile makes its count short: a VersionConflict, nothing saved;
4. the new marks in one INSERT, the audit trail of every changed mark in one INSERT (the same rows
   services/audit.py writes for the ORM's flush).

``save_marks(actor, assignment_id, period_id, payload) -> bool``
    True: saved (the page answers «Журнал сохранён.»). False: not a case for the lean path, or
    something in it is not right (a refusal, a conflict, an unusual journal: a subgroup, a lesson
    without a period, a mark deleted…): nothing was written and the caller saves through
    `grid_save.save_entries`, which gives every rule's own message. Raises VersionConflict when a
    mark changed between the check and the UPDATE (or a new one was made twice).
"""
from datetime import date, datetime
from functools import cache

from sqlalchemy import (BigInteger, and_, bindparam, case, cast, exists, func, literal, literal_column, or_,
                        select)

from models import (MARK_VALUES, PASS_FAIL_VALUES, AcademicYear, AuditLog, Lesson, Mark, Period,
                    PeriodMark, PeriodMarkKind, SchoolClass, Student, Subject, Task, TeachingAssignment, db, utcnow)
from services import audit, dates, permissions
from services.journal._writes import PERIOD_GATE, _transaction, _write_lock
from services.journal.payload import MAX_COMMENT, NOT_AN_ID, VersionConflict
from services.journal.period_marks import LOCKS
from services.journal.policy import can_correct, mark_values
from services.movement.roster import stayed

MAX_MARKS = 200  # a bigger batch goes the general way (one statement's parameters stay few)
_VALUES = set(MARK_VALUES) | set(PASS_FAIL_VALUES)
_AUDIT_KEYS = None  # Mark's columns in the mapper's order, as services/audit.py lists a row's changes


def applies(actor, payload):
    """The payload is only marks set on existing tasks by a teacher (not a corrector): the lean path may
    take it. Cheap: nothing is read."""
    if payload.lessons or payload.tasks or payload.attendance or payload.period_marks or not payload.marks:
        return False
    if len(payload.marks) > MAX_MARKS or actor is None or actor.system or not actor.staff_id \
            or actor.org_id is None or not actor.user_id:
        return False
    seen = set()
    for item in payload.marks:
        key = (item.task_id, item.student_id)
        if item.task_id in (None, NOT_AN_ID) or not item.student_id or item.bad_version or key in seen \
                or item.value not in _VALUES or (item.comment is not None and len(item.comment) > MAX_COMMENT):
            return False
        seen.add(key)
    return permissions.allowed(actor, "journal", "edit") and not can_correct(actor)


def save_marks(actor, assignment_id, period_id, payload):
    if not applies(actor, payload):
        return False
    with _transaction(actor):
        return _LeanSave(actor, assignment_id, period_id, payload).run()


class _LeanSave:
    def __init__(self, actor, assignment_id, period_id, payload):
        self.actor, self.aid, self.period_id, self.items = actor, assignment_id, period_id, payload.marks
        self.task_ids = sorted({i.task_id for i in self.items})
        self.student_ids = sorted({i.student_id for i in self.items})
        self.connection = db.session.connection()

    def run(self):
        self._gates()
        rows = self._checked()
        if rows is None:
            return False
        updates, inserts = rows
        now = utcnow()
        changed = self._update(updates, now) if updates else []
        audit_rows = (self._insert(inserts, now) if inserts else []) + changed  # the flush's order: new first
        if audit_rows:
            self.connection.execute(AuditLog.__table__.insert(), audit_rows)
        return True

    # 1. the gates ----------------------------------------------------------------------------------

    def _gates(self):
        """The lessons' periods' gates, then the students' period-mark gates (subject × student), all
        shared, before the marks' rows (_writes.LOCK_ORDER, as the general path takes them); one statement."""
        if self.connection.dialect.name == "sqlite":
            _write_lock(self.connection)
            return
        self.connection.execute(_gate_statement(), {"org": self.actor.org_id, "tasks": self.task_ids,
                                                    "aid": self.aid, "students": self.student_ids})

    # 2. the checks ---------------------------------------------------------------------------------

    def _checked(self):
        """([(item, mark row)] to update, [item] to insert), or None when the general path must answer."""
        actor = self.actor
        query = _checks_for(actor)
        params = {"org": actor.org_id, "tasks": self.task_ids, "aid": self.aid, "students": self.student_ids,
                  "pid": self.period_id}
        found = {(r[0], r[1]): r for r in self.connection.execute(query, params)}
        if not found:
            return None
        head = next(iter(found.values()))
        teacher_id, subgroup_id, year_closed, grade, grading, period_ok = head[16:22]
        if teacher_id != actor.staff_id or subgroup_id is not None or year_closed:
            return None
        if self.period_id and not period_ok:
            return None  # the page would answer without its period: the general path builds that answer
        org = actor.org
        allowed = mark_values(_Subject(grading), _Class(grade), org)
        today = dates.today(org)
        updates, inserts = [], []
        for item in self.items:
            row = found.get((item.task_id, item.student_id))
            if row is None:
                return None
            (_, _, lesson_assignment, day, cancelled, has_period, closed, locked, enrolled,
             mark_id, value, comment, version) = row[:13]
            if lesson_assignment != self.aid or cancelled or not has_period or closed or locked or not enrolled \
                    or item.value not in allowed or day > today:
                return None
            if mark_id is None:
                if item.version is not None:
                    return None  # deleted by someone else: the general path's conflict
                inserts.append(item)
                continue
            if item.version != version:
                return None
            if value == item.value and (item.comment is None or item.comment == (comment or "")):
                continue  # as it is
            updates.append((item, row))
        return updates, inserts

    # 3. the writes -----------------------------------------------------------------------------------

    def _update(self, updates, now):
        """One UPDATE for the batch, each row on the version the check read; a short count is a conflict."""
        user_id = self.actor.user_id
        params = {"now": now, "user": user_id}
        for n, (item, row) in enumerate(updates):
            params[f"i{n}"], params[f"v{n}"], params[f"x{n}"] = row[9], row[12], item.value
            params[f"c{n}"] = row[11] if item.comment is None else (item.comment or None)  # None: left as it is
        result = self.connection.execute(_update_statement(len(updates)), params)
        if result.rowcount != len(updates):
            raise VersionConflict()
        rows = []
        for item, row in updates:
            old = {"value": row[10], "comment": row[11], "version": row[12], "updated_by_id": row[13],
                   "updated_at": row[14]}
            new = {"value": item.value, "comment": row[11] if item.comment is None else (item.comment or None),
                   "version": row[12] + 1, "updated_by_id": user_id, "updated_at": now}
            changed = {k: [_plain(old[k]), _plain(new[k])] for k in _audit_keys() if k in old and old[k] != new[k]}
            rows.append(self._audit_row("update", row[9], row[15], item.value, changed, now))
        return rows

    def _insert(self, inserts, now):
        """The new marks in one INSERT … RETURNING (a second copy made meanwhile: the unique key, a conflict)."""
        m = Mark.__table__
        user_id, org_id = self.actor.user_id, self.actor.org_id
        records = [{"org_id": org_id, "task_id": i.task_id, "student_id": i.student_id, "value": i.value,
                    "comment": i.comment or None, "version": 1, "created_by_id": user_id, "updated_by_id": user_id,
                    "created_at": now, "updated_at": now} for i in inserts]
        ids = {(r.task_id, r.student_id): r.id for r in self.connection.execute(
            m.insert().values(records).returning(m.c.id, m.c.task_id, m.c.student_id))}
        rows = []
        for record in records:
            record["id"] = ids[(record["task_id"], record["student_id"])]
            changed = {k: [None, _plain(record[k])] for k in _audit_keys()
                       if record.get(k) not in (None, "")}
            rows.append(self._audit_row("insert", record["id"], org_id, record["value"], changed, now))
        return rows

    def _audit_row(self, action, mark_id, org_id, value, changes, now):
        user_id, ctx_org, address = audit.get_context()
        return {"at": now, "org_id": org_id or ctx_org, "user_id": user_id, "action": action, "entity": "mark",
                "entity_id": mark_id, "summary": str(value)[:300], "changes": changes, "address": address}


@cache
def _update_statement(count):
    """One conditional UPDATE of `count` marks (bound: i<n> id, v<n> the version the check read, x<n> value,
    c<n> comment; user, now): a row whose version moved is not matched."""
    m = Mark.__table__
    cond, values, comments = [], [], []
    for n in range(count):
        key = bindparam(f"i{n}")
        cond.append(and_(m.c.id == key, m.c.version == bindparam(f"v{n}")))
        values.append((m.c.id == key, bindparam(f"x{n}")))
        comments.append((m.c.id == key, bindparam(f"c{n}", type_=m.c.comment.type)))
    return m.update().where(or_(*cond)).values(
        value=case(*values, else_=m.c.value), comment=case(*comments, else_=m.c.comment), version=m.c.version + 1,
        updated_by_id=bindparam("user"), updated_at=bindparam("now"))


@cache
def _gate_statement():
    """The gates of a save (bound: org, tasks, aid, students); built once."""
    t, les, p = Task.__table__, Lesson.__table__, Period.__table__
    ta, st = TeachingAssignment.__table__, Student.__table__
    org = bindparam("org")
    lessons = select(les.c.id, les.c.period_id, les.c.date).join(t, t.c.lesson_id == les.c.id) \
        .where(t.c.id.in_(bindparam("tasks", expanding=True)), t.c.org_id == org).subquery()
    periods = select(literal(0).label("kind"), p.c.id.label("n")).where(
        p.c.org_id == org, exists().where(or_(
            lessons.c.period_id == p.c.id,
            and_(lessons.c.period_id.is_(None), lessons.c.date.between(p.c.start_date, p.c.end_date)))))
    subject = select(ta.c.subject_id).where(ta.c.id == bindparam("aid")).scalar_subquery()
    students = select(literal(1).label("kind"), st.c.id.label("n")).where(
        st.c.id.in_(bindparam("students", expanding=True)), st.c.org_id == org)
    keys = periods.union_all(students).subquery()
    shared = func.pg_advisory_xact_lock_shared
    gate = case((keys.c.kind == 0, shared(literal(PERIOD_GATE), keys.c.n)),
                else_=shared(cast(subject, BigInteger).op("<<")(literal_column("32")) + keys.c.n))
    return select(gate).order_by(keys.c.kind, keys.c.n)


# What the journal's row rules read of the actor (permissions.TABLE["journal"], "list"): a grant without rows
# reads nothing, a teacher's own or substituted journals his staff card, a class teacher's those of his classes.
# The checks with the actor's row condition are built once per these facts (and the organization and the
# grants); an actor with a row rule not named here gets them built anew.
_ROW_FACTS = {None: (), permissions.own_or_substituted_journals: ("staff_id",),
              permissions.own_class_assignments: ("own_class_ids",)}
_CHECKS = {}  # (org, staff card, own classes, grants) -> the checks' statement with the row condition
_CHECKS_KEPT = 4096


def _checks_for(actor):
    """The checks' statement within the actor's rows of the permission table."""
    grants = permissions.grants(actor, "journal", "list")
    if actor.system or not grants or any(g.rows not in _ROW_FACTS for g in grants):
        return _check_statement().where(permissions.row_condition(actor, "journal", "list", TeachingAssignment))
    key = (actor.org_id, actor.staff_id, actor.own_class_ids, tuple(id(g) for g in grants))
    statement = _CHECKS.get(key)
    if statement is None:
        statement = _check_statement().where(permissions.row_condition(actor, "journal", "list", TeachingAssignment))
        if len(_CHECKS) >= _CHECKS_KEPT:
            _CHECKS.clear()
        _CHECKS[key] = statement
    return statement


@cache
def _check_statement():
    """The checks of a save (bound: org, tasks, aid, students, pid), without the actor's row condition;
    built once."""
    TA = TeachingAssignment
    t, les, p, pm = Task.__table__, Lesson.__table__, Period.__table__, PeriodMark.__table__
    st, m = Student.__table__, Mark.__table__
    org = bindparam("org")
    lesson_periods = select(p.c.id).where(p.c.org_id == org, or_(
        p.c.id == les.c.period_id,
        and_(les.c.period_id.is_(None), les.c.date.between(p.c.start_date, p.c.end_date)))).correlate(les)
    has_period = lesson_periods.exists()
    closed = lesson_periods.where(p.c.is_closed.is_(True)).exists()
    locked = select(pm.c.id).where(
        pm.c.student_id == st.c.id, pm.c.subject_id == TA.subject_id, pm.c.year_id == TA.year_id,
        or_(and_(pm.c.kind == PeriodMarkKind.PERIOD.value, pm.c.period_id.in_(lesson_periods.scalar_subquery())),
            pm.c.kind.in_(LOCKS[PeriodMarkKind.PERIOD.value]))).exists()
    period_ok = select(p.c.id).where(p.c.id == bindparam("pid"), p.c.year_id == TA.year_id).exists()
    return (
        select(t.c.id, st.c.id, les.c.assignment_id, les.c.date, les.c.is_cancelled,
               has_period, closed, locked, stayed(st.c.id, TA.class_id, les.c.date),
               m.c.id, m.c.value, m.c.comment, m.c.version, m.c.updated_by_id, m.c.updated_at, m.c.org_id,
               TA.teacher_id, TA.subgroup_id, AcademicYear.is_closed, SchoolClass.grade, Subject.grading,
               period_ok)
        .select_from(t)
        .join(les, les.c.id == t.c.lesson_id)
        .join(TA, TA.id == bindparam("aid"))
        .join(AcademicYear, AcademicYear.id == TA.year_id)
        .join(SchoolClass, SchoolClass.id == TA.class_id)
        .join(Subject, Subject.id == TA.subject_id)
        .join(st, and_(st.c.id.in_(bindparam("students", expanding=True)), st.c.org_id == org))
        .outerjoin(m, and_(m.c.task_id == t.c.id, m.c.student_id == st.c.id))
        .where(t.c.id.in_(bindparam("tasks", expanding=True)), t.c.org_id == org, TA.org_id == org))


class _Subject:
    """What policy.mark_values reads of a subject."""

    def __init__(self, grading):
        self.grading = grading


class _Class:
    def __init__(self, grade):
        self.grade = grade


def _audit_keys():
    global _AUDIT_KEYS
    if _AUDIT_KEYS is None:
        ignored = getattr(Mark, "__audit_ignore__", set())
        _AUDIT_KEYS = tuple(a.key for a in Mark.__mapper__.column_attrs if a.key not in ignored)
    return _AUDIT_KEYS


def _plain(value):
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return value


