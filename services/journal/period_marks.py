"""Period, year, exam and final marks of one subject and year: set, changed and deleted in one
transaction, by whom SPEC §3 rule 4 allows, in the class the student is in on the period's (or the
year's) last day, never over a mark another user has changed meanwhile.

``set_period_mark(actor, student_id, subject_id, year_id, kind, period_id, value, version=None) -> int``
    the new version; ``delete_period_mark(actor, student_id, subject_id, year_id, kind, period_id,
    version)``; ``save_period_marks(actor, subject_id, year_id, items) -> {key: version}`` for a column
    (items: dicts, or services.journal.payload.PeriodMarkItem).
``period_mark_writers(actor, org, subject, year, students, class_id=None)`` — whose marks the actor sets.
``locked_by(marks, student_id, kind)`` — the year or final mark that closes a mark to the teacher (LOCKS).
``final_day(year, periods)`` — the last day of a year's studies.

A grid save (services/journal/grid_save.py) saves its column of period marks with `_PeriodMarkSave`
in its own transaction.
"""
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import (AcademicYear, ClassMembership, Grading, Organization, PeriodMark, PeriodMarkKind, SchoolClass,
                    Student, Subgroup, SubgroupMember, Subject, TeachingAssignment, db, utcnow)
from services import permissions
from services.errors import DomainError, PermissionDenied
from services.journal._writes import _class_word, _gate_period_marks, _locked, _name, _Periods, _transaction
from services.journal.payload import PeriodMarkItem, SaveResult, VersionConflict
from services.journal.policy import NO_MARKS_FIRST_GRADE, can_correct, period_mark_values
from services.movement.roster import overlaps
from services.params import parse_id

# SPEC §3 rule 2: a set period mark closes itself and the period's marks to the teacher (and, in a
# school, to the class teacher); only the correctors change them, audited.
PERIOD_MARK_SET = ("отметка «{value}» уже выставлена — изменить или удалить её могут только заместитель "
                   "директора или администратор")


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
        self.fields = {}  # {(student id, kind, period id) as sent: its first error}, for a form to mark
        self.ops = []
        self.touched = []
        self.now = utcnow()

    def prepare(self):
        student_ids = {i.student_id for i in self.items} - {None}
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
            before = len(self.errors)
            self._item(n, item, seen)
            if len(self.errors) > before:
                where, _, text = self.errors[before].partition(": ")
                self.fields.setdefault((item.student_id, item.kind, item.period_id), text or where)

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
            student = self.students.get(item.student_id)
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
        kind = item.kind
        if kind == PeriodMarkKind.PERIOD.value:
            period = self.periods.by_id.get(item.period_id)
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
        student = self.students.get(item.student_id)
        kind = item.kind
        where = f"{_name(student)}, отметка «{self._kind_label(kind)}» по предмету «{self.subject.name}»"
        if student is None:
            self.errors.append(f"Отметка за период (строка {n}): обучающийся не найден")
            return
        if kind not in {k.value for k in PeriodMarkKind}:
            self.errors.append(f"{where}: неизвестный вид отметки")
            return
        period = None
        if kind == PeriodMarkKind.PERIOD.value:
            period = self.periods.by_id.get(item.period_id)
            if period is None or period.year_id != self.year.id:
                self.errors.append(f"{where}: укажите учебный период этого учебного года")
                return
            where = f"{_name(student)}, {period.name}, «{self.subject.name}»"
        key = _period_mark_key(student.id, kind, period.id if period else None)
        if key in seen:
            self.errors.append(f"{where}: отметка указана дважды")
            return
        seen.add(key)
        version = item.checked_version(self.errors, where)
        value = item.value
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
            self.errors.append(f"{where}: «{item.shown}» — недопустимая отметка; можно: {', '.join(allowed)}")
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


def save_period_marks(actor, subject_id, year_id, items):
    """Period marks of one subject and year: items [{"student_id", "kind", "period_id", "value"
    ("" deletes), "version"}] (or PeriodMarkItem); one transaction. Returns {(student_id, kind,
    period_id): version}. A DomainError names each refused item in its `fields` by (student_id, kind,
    period_id) as sent."""
    with _transaction(actor):
        subject = db.session.get(Subject, parse_id(subject_id)) if parse_id(subject_id) else None
        year = db.session.get(AcademicYear, parse_id(year_id)) if parse_id(year_id) else None
        if subject is None or year is None or subject.org_id != year.org_id or \
                (actor.org_id is not None and year.org_id != actor.org_id):
            raise PermissionDenied("Предмет или учебный год не найден в вашей организации.")
        org = actor.org if actor.org_id == year.org_id else db.session.get(Organization, year.org_id)
        periods = _Periods(year.org_id, year_ids=[year.id])
        errors, conflicts = [], []
        items = [i if isinstance(i, PeriodMarkItem) else PeriodMarkItem.from_dict(i) for i in items]
        saver = _PeriodMarkSave(actor, org, subject, year, errors, conflicts, periods, items)
        saver.prepare()
        if conflicts:
            raise VersionConflict(conflicts + errors)
        if errors:
            raise DomainError("Отметки за период не сохранены", errors, saver.fields)
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
