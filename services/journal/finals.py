"""Final marks (issue 13.1, SPEC §6, seed 001 §8.7–8.9, seed 000 §2.1).

The «Итоговые отметки» sheet of one class and subject: each student's period marks, the year mark
they suggest (the institution's rounding threshold), and the year, exam and final marks. They are
PeriodMark rows written by services.journal.period_marks.save_period_marks, so every rule of the journal holds:
the subject's teacher, in a school also the class teacher, and the correctors; closed periods and
years; versions (a conflict is a VersionConflict, the page's 409); the audit; once set only a
corrector changes a mark, and a year or final mark closes the marks under it (period_marks.locked_by).

A college's discipline ends a semester with its form of attestation, a line of the exam-session
timetable (ExamEntry: экзамен, дифференцированный зачёт, зачёт, квалификационный экзамен,
защита курсовой работы); its results (ExamResult) are entered against that line here, by its
examiner (or assistant) and the correctors, under the same rules.

``final_sheet(actor, class_id, subject_id, today=None) -> FinalSheet | None`` (None: not found)
``exam_sheet(actor, entry_id, today=None) -> ExamSheet | None``
``save_exam_results(actor, entry_id, items) -> {student id: version or None}``
    items [{"student_id", "value" ("" deletes), "version"}]; one transaction.
``college_debtors(year_id, members, today=None) -> {student id}`` — an unsatisfactory or missing
    result of an attestation: the year-transfer draft proposes them as repeaters.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from models import (AcademicYear, ExamEntry, ExamKind, ExamResult, Organization, Period, PeriodMark,
                    PeriodMarkKind, SchoolClass, Student, SubgroupMember, Subject,
                    TeachingAssignment, db, utcnow)
from services import dates, permissions
from services.journal import period_marks, policy
from services.journal._writes import _class_word, _locked, _transaction
from services.journal.figures import suggested_mark, weighted_average
from services.journal.payload import VersionConflict, _value, _version
from services.movement import roster
from services.errors import DomainError, PermissionDenied
from services.params import parse_id

K = PeriodMarkKind
FINAL_KINDS = (K.YEAR.value, K.EXAM.value, K.FINAL.value)
GRADED_RESULTS = ("5", "4", "3", "2", "н/а")
CREDIT_RESULTS = ("зач", "незач", "н/а")
# Results that leave a debt (seed 000 §2.1): the year-transfer draft proposes a repeater.
FAILED_RESULTS = ("2", "1", "незач", "н/а")
NO_RESULTS = (ExamKind.CONSULTATION.value,)


def result_values(kind):
    """Values a result of an attestation of `kind` may take (none for a consultation)."""
    if kind in NO_RESULTS:
        return ()
    return CREDIT_RESULTS if kind == ExamKind.CREDIT.value else GRADED_RESULTS


def suggested_year_mark(values, threshold=Decimal("0.50")):
    """The year mark a student's period marks suggest: their average rounded at the threshold;
    in a pass/fail subject «зач» when every period is passed, «незач» when one is not; «осв» when
    he was exempt every period. None without period marks."""
    values = [v for v in values if v]
    average = weighted_average((v, 1) for v in values)
    if average is not None:
        return str(suggested_mark(average, threshold))
    if "незач" in values:
        return "незач"
    if values and all(v == "зач" for v in values):
        return "зач"
    if values and all(v == "осв" for v in values):
        return "осв"
    return None


# -- the sheet of one class and subject ------------------------------------------------------------

@dataclass
class Cell:
    value: str = ""
    version: int | None = None
    editable: bool = False


@dataclass
class Column:
    key: str  # "p<period id>", "year", "exam", "final"
    kind: str
    title: str
    period: Period | None
    values: tuple
    closed: bool


@dataclass
class FinalRow:
    number: int
    student_id: int
    name: str
    note: str  # «выбыл 12.02.2027»: his marks are read here, set in his class
    cells: dict = field(default_factory=dict)  # column key -> Cell
    suggested: str | None = None


@dataclass
class FinalSheet:
    klass: SchoolClass
    subject: Subject
    year: AcademicYear
    columns: list
    rows: list
    read_only_reason: str = ""

    @property
    def editable(self):
        return any(cell.editable for row in self.rows for cell in row.cells.values())

    @property
    def period_columns(self):
        return [c for c in self.columns if c.kind == K.PERIOD.value]

    @property
    def final_columns(self):
        return [c for c in self.columns if c.kind != K.PERIOD.value]


def _org(actor, org_id):
    return actor.org if actor.org_id == org_id else db.session.get(Organization, org_id)


def reachable(actor, class_id, subject_id):
    """The class and subject if the actor may read their journal (an assignment of the subject in
    the class within his journal rows), else (None, None): «не найден» like a missing one."""
    TA = TeachingAssignment
    row = db.session.execute(
        select(SchoolClass, Subject).join(TA, TA.class_id == SchoolClass.id).join(Subject, Subject.id == TA.subject_id)
        .where(SchoolClass.id == class_id, Subject.id == subject_id,
               permissions.row_condition(actor, "journal", "list", TA)).limit(1)).first()
    return (row[0], row[1]) if row else (None, None)


def sheets_of(actor, year_id):
    """[(class, [subjects])] the actor may open for `year_id`, for the index page."""
    TA = TeachingAssignment
    rows = db.session.execute(
        select(SchoolClass, Subject).join(TA, TA.class_id == SchoolClass.id).join(Subject, Subject.id == TA.subject_id)
        .where(TA.year_id == year_id, permissions.row_condition(actor, "journal", "list", TA))
        .distinct().order_by(SchoolClass.grade, SchoolClass.name, Subject.sort_order, Subject.name)).all()
    grouped = {}
    for klass, subject in rows:
        grouped.setdefault(klass, []).append(subject)
    return list(grouped.items())


def final_sheet(actor, class_id, subject_id, today=None):
    klass, subject = reachable(actor, class_id, subject_id)
    if klass is None:
        return None
    year = db.session.get(AcademicYear, klass.year_id)
    org = _org(actor, klass.org_id)
    periods = db.session.scalars(select(Period).where(Period.year_id == year.id).order_by(Period.start_date)).all()
    last = max(periods, key=lambda p: p.end_date) if periods else None
    year_closed = year.is_closed or bool(last is not None and last.is_closed)
    columns = [Column(f"p{p.id}", K.PERIOD.value, p.name, p,
                      policy.period_mark_values(subject, K.PERIOD.value, klass, org), p.is_closed or year.is_closed)
               for p in periods]
    columns += [Column(kind, kind, K(kind).label, None, policy.period_mark_values(subject, kind, klass, org),
                       year_closed) for kind in FINAL_KINDS]
    entries = roster.roster_between(klass.id, year.start_date, year.end_date)
    students = {e.student_id: e.student for e in entries}
    marks = {}
    if students:
        for mark in db.session.scalars(select(PeriodMark).where(
                PeriodMark.student_id.in_(students), PeriodMark.subject_id == subject.id,
                PeriodMark.year_id == year.id)):
            marks[(mark.student_id, mark.kind, mark.period_id)] = mark
    # A mark is of this class when the student is in it on the period's (the year's studies') last day:
    # one who left later keeps that period's marks editable here, one who came later sets them in his
    # former class (services.journal.period_marks._PeriodMarkSave._class_of).
    final_day = period_marks.final_day(year, periods)
    present = {e.student_id for e in entries if e.covers(final_day)}
    writers = period_marks.period_mark_writers(actor, org, subject, year, students, class_id=klass.id)
    corrector = policy.can_correct(actor)
    threshold = org.rounding_threshold if org is not None else Decimal("0.50")
    rows = []
    for number, entry in enumerate(entries, start=1):
        sid = entry.student_id
        note = "" if sid in present else f"выбыл(а) {entry.last_day:%d.%m.%Y}" if entry.last_day != year.end_date \
            else "выбыл(а)"
        row = FinalRow(number, sid, entry.student.short_name, note)
        for column in columns:
            mark = marks.get((sid, column.kind, column.period.id if column.period else None))
            cell = row.cells[column.key] = Cell(mark.value, mark.version) if mark else Cell()
            here = entry.covers(column.period.end_date) if column.period else sid in present
            cell.editable = bool(column.values) and not column.closed and here and sid in writers and (
                corrector or (mark is None and period_marks.locked_by(marks, sid, column.kind) is None))
        row.suggested = suggested_year_mark([row.cells[c.key].value for c in columns if c.kind == K.PERIOD.value],
                                            threshold)
        rows.append(row)
    reason = ""
    if year.is_closed:
        reason = f"Учебный год {year.name} закрыт: отметки только для чтения."
    elif policy.no_marks(org, klass, subject):
        reason = "Отметки по этому предмету не ставятся."
    return FinalSheet(klass, subject, year, columns, rows, reason)


# -- the results of the exam-session timetable's lines ----------------------------------------------

@dataclass
class ResultRow:
    number: int
    student_id: int
    name: str
    cell: Cell


@dataclass
class ExamSheet:
    entry: ExamEntry
    values: tuple
    rows: list
    read_only_reason: str = ""

    @property
    def editable(self):
        return any(row.cell.editable for row in self.rows)


def _entry(actor, entry_id, verb="list"):
    entry_id = parse_id(entry_id)
    if entry_id is None:
        return None
    return db.session.scalar(
        select(ExamEntry).where(ExamEntry.id == entry_id,
                                permissions.row_condition(actor, "exam_entry", verb, ExamEntry))
        .options(joinedload(ExamEntry.subject), joinedload(ExamEntry.klass), joinedload(ExamEntry.period),
                 joinedload(ExamEntry.year), joinedload(ExamEntry.subgroup), joinedload(ExamEntry.examiner)))


def visible_exams(actor, year_id):
    """Lines of the exam-session timetable with results (no consultations) the actor may read."""
    return db.session.scalars(
        select(ExamEntry).where(ExamEntry.year_id == year_id, ExamEntry.kind.not_in(NO_RESULTS),
                                permissions.row_condition(actor, "exam_entry", "list", ExamEntry))
        .options(joinedload(ExamEntry.subject), joinedload(ExamEntry.klass), joinedload(ExamEntry.subgroup))
        .order_by(ExamEntry.date, ExamEntry.starts_at, ExamEntry.id)).all()


def _examinees(entry):
    """The students of the line: the class's on its date (the movement book), its subgroup's when split."""
    query = select(Student).where(Student.id.in_(roster.member_ids(entry.class_id, entry.date)))
    if entry.subgroup_id:
        query = query.where(exists().where(SubgroupMember.student_id == Student.id,
                                           SubgroupMember.subgroup_id == entry.subgroup_id))
    return db.session.scalars(query.order_by(Student.last_name, Student.first_name, Student.id)).all()


def _outsider(raw_id, entry):
    """Why a student is not among the line's examinees: he is not in its class on its date (the
    movement book: before his arrival, after he left, on academic leave), or not in its subgroup."""
    student = db.session.get(Student, parse_id(raw_id)) if parse_id(raw_id) else None
    if student is None or student.org_id != entry.org_id:
        return "обучающийся не найден"
    if not roster.is_member(student.id, entry.class_id, entry.date):
        word = _class_word(db.session.get(Organization, entry.org_id))
        return (f"{student.short_name} не числится в составе {word} {entry.klass.name} "
                f"на {entry.date:%d.%m.%Y} — результат испытания не вносится")
    return f"{student.short_name} не сдаёт это испытание (другая подгруппа)"


def _may_enter(actor, entry):
    if policy.can_correct(actor):
        return True
    return bool(actor.staff_id) and actor.org_id == entry.org_id and \
        permissions.allowed(actor, "journal", "edit") and actor.staff_id in (entry.examiner_id, entry.assistant_id)


def _closed_reason(entry, today):
    """Why no result of the line can be entered now, or ""."""
    if entry.year.is_closed:
        return f"Учебный год {entry.year.name} закрыт"
    period = entry.period or db.session.scalar(select(Period).where(
        Period.year_id == entry.year_id, Period.start_date <= entry.date, Period.end_date >= entry.date))
    if period is not None and period.is_closed:
        return f"Период «{period.name}» закрыт для изменений"
    if entry.date > today:
        return f"Испытание ещё не проводилось: результаты вносятся с {entry.date:%d.%m.%Y}"
    return ""


def exam_sheet(actor, entry_id, today=None):
    entry = _entry(actor, entry_id)
    if entry is None:
        return None
    today = today or dates.today(actor.org)
    students = _examinees(entry)
    results = {r.student_id: r for r in db.session.scalars(
        select(ExamResult).where(ExamResult.exam_entry_id == entry.id))}
    values = result_values(entry.kind)
    reason = _closed_reason(entry, today) or ("" if _may_enter(actor, entry) else
                                              "Результаты вносит экзаменатор; страница открыта для просмотра.")
    corrector = policy.can_correct(actor)
    rows = []
    for number, student in enumerate(students, start=1):
        result = results.get(student.id)
        cell = Cell(result.value, result.version) if result else Cell()
        cell.editable = not reason and bool(values) and (corrector or result is None)
        rows.append(ResultRow(number, student.id, student.short_name, cell))
    return ExamSheet(entry, values, rows, reason)


def save_exam_results(actor, entry_id, items):
    """Results of one line of the exam-session timetable; all saved or none."""
    with _transaction(actor):
        entry = _entry(actor, entry_id)
        if entry is None:
            raise PermissionDenied("Строка расписания сессии не найдена или недоступна.")
        if not _may_enter(actor, entry):
            raise PermissionDenied("Результаты испытания вносит его экзаменатор (или ассистент).")
        reason = _closed_reason(entry, dates.today(actor.org))
        if reason:
            raise DomainError("Результаты не сохранены", [reason])
        students = {s.id: s for s in _examinees(entry)}
        existing = {r.student_id: r for r in _locked(
            select(ExamResult).where(ExamResult.exam_entry_id == entry.id).order_by(ExamResult.id), exclusive=True)}
        values, corrector = result_values(entry.kind), policy.can_correct(actor)
        errors, conflicts, ops, seen, fields = [], [], [], set(), {}

        def check(n, item):
            student = students.get(parse_id(item.get("student_id")))
            if student is None:
                errors.append(f"Строка {n}: {_outsider(item.get('student_id'), entry)}")
                return
            where = f"{student.short_name}, {entry}"
            if student.id in seen:
                errors.append(f"{where}: результат указан дважды")
                return
            seen.add(student.id)
            version = _version(item, errors, where)
            value = _value(item.get("value"))
            current = existing.get(student.id)
            if value and value not in values:
                errors.append(f"{where}: «{item.get('value')}» — недопустимый результат; можно: {', '.join(values)}")
            elif (current is None and version is not None) or (current is not None and version != current.version):
                conflicts.append(f"{where}: результат уже изменён другим пользователем")
            elif (current.value if current else "") == value:
                return
            elif current is not None and not corrector:
                errors.append(f"{where}: {period_marks.PERIOD_MARK_SET.format(value=current.value)}")
            else:
                ops.append((student, current, value))

        for n, item in enumerate(items, start=1):
            before = len(errors)
            check(n, item)
            if len(errors) > before:  # the form marks the student's cell (by the id as sent)
                fields.setdefault(item.get("student_id"), errors[before].partition(": ")[2] or errors[before])
        if conflicts:
            raise VersionConflict(conflicts + errors)
        if errors:
            raise DomainError("Результаты не сохранены", errors, fields)
        now, touched, versions = utcnow(), [], {}
        for student, current, value in ops:
            if not value:
                db.session.delete(current)
                versions[student.id] = None
            elif current is None:
                result = ExamResult(org_id=entry.org_id, exam_entry_id=entry.id, student_id=student.id, value=value,
                                    set_by_id=actor.user_id, set_at=now)
                db.session.add(result)
                touched.append(result)
            else:
                current.value, current.set_by_id, current.set_at = value, actor.user_id, now
                current.version += 1
                touched.append(current)
        db.session.flush()
        versions.update((r.student_id, r.version) for r in touched)
        return versions


def set_exam_result(actor, entry_id, student_id, value, version=None):
    """One result; returns its new version (None when deleted)."""
    return save_exam_results(actor, entry_id, [{"student_id": student_id, "value": value, "version": version}]
                             ).get(parse_id(student_id), version)


# -- debts for the year-transfer draft ----------------------------------------------------------------

def college_debtors(year_id, members, today=None):
    """Students (of `members`, [(student id, class id)]) with an academic debt in the year: a failed
    result of an attestation of their class, or none for one already held (seed 000 §2.1)."""
    members = list(members)
    if not members:
        return set()
    today = today or dates.today(db.session.get(AcademicYear, year_id).org_id)
    student_ids = {sid for sid, _ in members}
    class_of = defaultdict(set)
    for sid, class_id in members:
        class_of[sid].add(class_id)
    failed = set(db.session.scalars(
        select(ExamResult.student_id).join(ExamEntry, ExamEntry.id == ExamResult.exam_entry_id)
        .where(ExamEntry.year_id == year_id, ExamResult.student_id.in_(student_ids),
               ExamResult.value.in_(FAILED_RESULTS))))
    entries = db.session.scalars(select(ExamEntry).where(
        ExamEntry.year_id == year_id, ExamEntry.kind.not_in(NO_RESULTS), ExamEntry.date <= today,
        ExamEntry.class_id.in_({c for _, c in members}))).all()
    if not entries:
        return failed
    done = set(db.session.execute(select(ExamResult.exam_entry_id, ExamResult.student_id).where(
        ExamResult.exam_entry_id.in_([e.id for e in entries]), ExamResult.student_id.in_(student_ids))).all())
    in_subgroup = set(db.session.execute(select(SubgroupMember.subgroup_id, SubgroupMember.student_id).where(
        SubgroupMember.subgroup_id.in_({e.subgroup_id for e in entries if e.subgroup_id}),
        SubgroupMember.student_id.in_(student_ids))).all())
    for entry in entries:
        there = set(db.session.scalars(roster.member_ids(entry.class_id, entry.date)))  # on its date
        for sid in student_ids & there:
            if entry.class_id in class_of[sid] and (entry.id, sid) not in done and \
                    (entry.subgroup_id is None or (entry.subgroup_id, sid) in in_subgroup):
                failed.add(sid)
    return failed


__all__ = ["FINAL_KINDS", "result_values", "suggested_year_mark", "final_sheet", "sheets_of", "exam_sheet",
           "visible_exams", "save_exam_results", "set_exam_result", "college_debtors"]
