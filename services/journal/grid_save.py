"""The grid of one teaching assignment saved: lessons' topics and homework, tasks, marks,
attendance and the period marks of its subject, in one transaction — all of it or nothing.

Every rule of SPEC §3 (1–4) and issue 4 is enforced here, below the pages, so a direct POST, a
script or an import obeys it too. A lesson dated after the organization's today (services/dates.today)
takes no mark and no attendance yet (issue 15.6; policy.not_given) — its topic, homework and tasks may
be planned ahead; a mark or an attendance already on it may still be deleted.

``save_entries(actor, assignment_id, payload) -> SaveResult``
    payload: a GridPayload (services/journal/payload.py: the page's JSON, parsed once by the page)
    or a dict = {
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

Who may write what: services/journal/policy.py; the locks that keep concurrent saves, period-mark
saves and a period's closing apart: services/journal/_writes.py.
"""
from collections import defaultdict
from itertools import chain

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from models import (Attendance, AttendanceCode, Grading, Lesson, Mark, Organization, PeriodMark, PeriodMarkKind,
                    Student, Subgroup, SubgroupMember, Task, TaskType, TeachingAssignment, db, utcnow)
from services import dates, permissions
from services.errors import DomainError, PermissionDenied
from services.journal._writes import _class_word, _gate_period_marks, _locked, _name, _Periods, _transaction
from services.journal.payload import (MAX_COMMENT, MAX_HOMEWORK, MAX_TASK_TOPIC, MAX_TOPIC, NOT_AN_ID, NOT_SAVED,
                                      GridPayload, SaveResult, VersionConflict)
from services.journal.period_marks import LOCKS, _PeriodMarkSave
from services.journal.policy import (NO_MARKS_FIRST_GRADE, NOT_GIVEN, NOT_GIVEN_ATTENDANCE, NOT_GIVEN_MARK,
                                     can_correct, can_write, mark_values, no_marks, not_given)
from services.movement.roster import rosters_between
from services.params import parse_id


# -- the grid of one assignment ------------------------------------------------------------------

def save_entries(actor, assignment_id, payload, loaded=None):
    """Save a journal grid (or a part of it) in one transaction; see the module docstring.

    `payload`: a GridPayload, or a dict parsed here (GridPayload.from_dict). `loaded`: (the
    assignment, whether its year is closed) as the caller already read them in this session
    (admin_views/journal/grid.py reads them with the journal's load_assignment, which applies the
    journal's row permission): the assignment is not read a second time."""
    with _transaction(actor):
        if not isinstance(payload, GridPayload):
            payload = GridPayload.from_dict(payload if isinstance(payload, dict) else {})
        save = _GridSave(actor, assignment_id, payload)
        if loaded is not None and loaded[0] is not None and loaded[0].id == parse_id(assignment_id) \
                and (actor.org_id is None or loaded[0].org_id == actor.org_id):
            save.preloaded = loaded
        return save.run()


class _GridSave:
    def __init__(self, actor, assignment_id, payload):
        self.actor = actor
        self.assignment_id = assignment_id
        self.lessons_in = payload.lessons
        self.tasks_in = payload.tasks
        self.marks_in = payload.marks
        self.attendance_in = payload.attendance
        self.period_marks_in = payload.period_marks
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
        self.today = dates.today(self.org)  # the organization's: a lesson after it is not given yet
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
        task_ids = {t.task_id for t in self.tasks_in} | {m.task_id for m in self.marks_in}
        task_ids -= {None, NOT_AN_ID}
        self.tasks = {}
        if task_ids:
            self.tasks = {t.id: t for t in db.session.scalars(
                select(Task).where(Task.id.in_(task_ids), Task.org_id == self.assignment.org_id)
                .options(joinedload(Task.lesson), joinedload(Task.type)))}
        lesson_ids = {i.lesson_id for i in chain(self.lessons_in, self.tasks_in, self.attendance_in)}
        lesson_ids |= {i.homework_due_lesson_id for i in self.lessons_in}
        lesson_ids -= {None, NOT_AN_ID}
        lesson_ids -= {t.lesson_id for t in self.tasks.values()}
        self.lessons = {t.lesson.id: t.lesson for t in self.tasks.values()}
        if lesson_ids:
            self.lessons.update((lesson.id, lesson) for lesson in db.session.scalars(
                select(Lesson).where(Lesson.id.in_(lesson_ids), Lesson.org_id == self.assignment.org_id)))

    def _touched_lessons(self):
        """The lessons this save writes into (a homework's due lesson is only pointed at)."""
        ids = {i.lesson_id for i in chain(self.lessons_in, self.tasks_in, self.attendance_in)}
        ids |= {self.tasks[m.task_id].lesson_id for m in self.marks_in if m.task_id in self.tasks}
        ids |= {self.tasks[t.task_id].lesson_id for t in self.tasks_in if t.task_id in self.tasks}
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
        student_ids = {i.student_id for i in chain(self.marks_in, self.attendance_in, self.period_marks_in)}
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
        # The students' period-mark gates before the entries' row locks: the one order of a save's
        # locks (services/journal/_writes.py, LOCK_ORDER), so a lean save can't deadlock with this one.
        self.closed_by_mark = self._period_marks_closing(student_ids)
        # The entries this save may change, locked: their versions cannot move until it commits.
        self.marks = {}
        if self.tasks:
            for mark in _locked(select(Mark).where(Mark.task_id.in_(self.tasks)).order_by(Mark.id), exclusive=True):
                self.marks[(mark.task_id, mark.student_id)] = mark
            if self.gated is not None and {s for (t, s) in self.marks if t in self.changed_tasks} - self.gated:
                # a mark made on a changed task after the gates were passed: its student's gate would be
                # taken out of order — the page reloads (rare: a new mark in the last milliseconds)
                raise VersionConflict()
        attendance_lessons = {a.lesson_id for a in self.attendance_in} & set(self.lessons)
        self.attendance = {}
        if attendance_lessons:
            for row in _locked(select(Attendance).where(Attendance.lesson_id.in_(attendance_lessons))
                               .order_by(Attendance.id), exclusive=True):
                self.attendance[(row.lesson_id, row.student_id)] = row
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
        self.changed_tasks, self.gated = {t.task_id for t in self.tasks_in} & set(self.tasks), None
        if not self.corrector and (self.marks_in or self.tasks_in) and self.periods.by_id:
            guarded = {m.student_id for m in self.marks_in} - {None}
            if self.changed_tasks:  # the students with marks on a changed task, read before their rows' locks
                guarded |= set(db.session.scalars(select(Mark.student_id).where(
                    Mark.task_id.in_(self.changed_tasks))))
            self.gated = guarded
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

    def _lesson(self, lesson_id, where):
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
            lesson = self._lesson(item.lesson_id, where)
            if lesson is None or not self._writable(lesson, f"Урок {lesson}"):
                continue
            if lesson.id in seen:
                self.errors.append(f"Урок {lesson}: указан дважды")
                continue
            seen.add(lesson.id)
            if not self._as_shown(lesson, item, f"Урок {lesson}"):
                continue
            changes = {}
            if item.topic is not None:
                topic = item.topic
                if len(topic) > MAX_TOPIC:
                    self.errors.append(f"Урок {lesson}: тема длиннее {MAX_TOPIC} знаков")
                changes["topic"] = topic or None
            if item.homework is not None:
                homework = item.homework
                if len(homework) > MAX_HOMEWORK:
                    self.errors.append(f"Урок {lesson}: домашнее задание длиннее {MAX_HOMEWORK} знаков")
                changes["homework"] = homework or None
            if item.homework_due_set:
                due = None
                if item.homework_due_lesson_id is not None:
                    due = self._lesson(item.homework_due_lesson_id, f"Урок {lesson}: срок домашнего задания")
                    if due is not None and (due.date, due.number) <= (lesson.date, lesson.number):
                        self.errors.append(f"Урок {lesson}: домашнее задание задаётся на более поздний урок")
                        due = None
                    elif due is not None and due.is_cancelled:
                        self.errors.append(f"Урок {lesson}: урок {due}, на который задано домашнее задание, отменён")
                        due = None
                    if due is None:
                        continue
                changes["homework_due_lesson_id"] = due.id if due is not None else None
            if item.attendance_taken is not None:
                if item.attendance_taken and lesson.is_cancelled:
                    self.errors.append(f"Урок {lesson}: урок отменён, посещаемость не отмечается")
                    continue
                if item.attendance_taken and not lesson.attendance_taken and not_given(lesson, self.today):
                    self.errors.append(f"Урок {lesson}: {NOT_GIVEN} — посещаемость отмечают в день урока")
                    continue
                changes["attendance_taken"] = item.attendance_taken
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
            task_id = item.task_id
            if task_id == NOT_AN_ID:
                self.errors.append(f"Задание (строка {n}): неверный номер задания")
                continue
            if task_id is None:
                new_items.append((n, item))
                continue
            task = self.tasks.get(task_id)
            if task is None and item.version_given:
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
        if item.type_id is not None:
            kind = self.types.get(item.type_id)
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
        if item.weight_error is not None:
            self.errors.append(f"{where}: {item.weight_error}")
            return None
        if item.weight is not None:
            fields["weight"] = item.weight
        elif task is None:
            fields["weight"] = kind.default_weight
        if item.is_mandatory is not None:
            fields["is_mandatory"] = item.is_mandatory
        elif task is None:
            fields["is_mandatory"] = bool(kind.default_mandatory)
        if item.topic is not None:
            topic = item.topic
            if len(topic) > MAX_TASK_TOPIC:
                self.errors.append(f"{where}: тема задания длиннее {MAX_TASK_TOPIC} знаков")
                return None
            fields["topic"] = topic or None
        return fields

    def _locked_marks_of(self, task):
        lesson = task.lesson
        return [m for (t, s), m in self.marks.items() if t == task.id and self._closed_by_period_mark(s, lesson)]

    def _existing_task(self, task, item):
        lesson = task.lesson
        where = f"Задание «{task}» ({lesson})"
        if item.lesson_id not in (None, lesson.id):
            self.errors.append(f"{where}: задание нельзя перенести на другой урок")
            return
        if not self._writable(lesson, where):
            return
        if item.delete:
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
        lessons = {item.lesson_id for _, item in items}
        if lessons - {None}:
            positions = dict(db.session.execute(
                select(Task.lesson_id, func.max(Task.position)).where(Task.lesson_id.in_(lessons - {None}))
                .group_by(Task.lesson_id)).all())
        for n, item in items:
            key = item.key
            where = f"Новое задание (строка {n})"
            if not key:
                self.errors.append(f"{where}: нет ключа нового задания")
                continue
            if key in self.new_tasks:
                self.errors.append(f"{where}: ключ «{key}» повторяется")
                continue
            self.new_tasks[key] = None
            if item.delete:
                continue
            lesson = self._lesson(item.lesson_id, where)
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
            task_id, key = item.task_id, item.task_key
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
            student_id = item.student_id
            student = self.students.get(student_id)
            where = f"{_name(student)}, {lesson}"
            if (cell, student_id) in seen:
                self.errors.append(f"{where}: отметка за одно задание указана дважды")
                continue
            seen.add((cell, student_id))
            version = item.checked_version(self.errors, where)
            value = item.value
            comment = item.comment
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
                self.errors.append(f"{where}: «{item.shown}» — недопустимая отметка; можно: {', '.join(allowed)}")
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
            if existing is not None and existing.value == value \
                    and (comment is None or comment == (existing.comment or "")):
                continue
            if value and not_given(lesson, self.today):
                self.errors.append(f"{where}: {NOT_GIVEN_MARK}")
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
        version = item.checked_version(self.errors, where)
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
            lesson = self._lesson(item.lesson_id, f"Посещаемость (строка {n})")
            if lesson is None:
                continue
            student_id = item.student_id
            student = self.students.get(student_id)
            where = f"{_name(student)}, {lesson}"
            if (lesson.id, student_id) in seen:
                self.errors.append(f"{where}: посещаемость указана дважды")
                continue
            seen.add((lesson.id, student_id))
            version = item.checked_version(self.errors, where)
            raw = item.code
            code = self.codes.get(raw) if raw else None
            if not self._writable(lesson, where):
                continue
            problem = self._enrolled(student, lesson)
            if problem:
                self.errors.append(f"{lesson}: {problem}")
                continue
            if raw and code is None:
                self.errors.append(f"{where}: «{item.shown}» — нет такой отметки посещаемости; можно: "
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
            if code is not None and not_given(lesson, self.today):
                self.errors.append(f"{where}: {NOT_GIVEN_ATTENDANCE}")
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


def _assign(obj, fields):
    """Set the fields that differ; True if any did (so an unchanged row is not counted or audited)."""
    changed = False
    for key, value in fields.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


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
