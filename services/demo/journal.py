"""Journal part of the demo institution: the current period's lessons up to today get topics
(from the КТП where there is one), homework, tasks with a realistic spread of marks, and a few
absences with reasons; a period already over gets its period marks and is closed.

Rows are built in memory and flushed in a few multi-row statements, so the demo stays quick.
"""
import random
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import (Attendance, AttendanceCode, Grading, Lesson, Mark, Period, PeriodMark, Staff, Student,
                    StudentStatus, Subgroup, SubgroupMember, Task, TaskType, TeachingAssignment,
                    ThematicPlanTopic, db, utcnow)
from services.journal.policy import no_marks
from services.planning.ktp import topic_at

ABSENCE_RATE = 0.035
ABSENCE_CODES = (("б", 0.45), ("н", 0.3), ("у", 0.1), ("оп", 0.15))
GENERIC_TOPICS = ("Повторение изученного", "Новая тема: объяснение", "Закрепление", "Решение задач",
                  "Практикум", "Обобщение по теме")


def create_journal_demo(org, year, today, seed=2026):
    """Fill the demo journal; returns the number of marks made."""
    rnd = random.Random(seed + 4)
    periods = db.session.scalars(select(Period).where(Period.year_id == year.id).order_by(Period.start_date)).all()
    current = next((p for p in periods if p.start_date <= today <= p.end_date), None)
    assignments = {a.id: a for a in db.session.scalars(
        select(TeachingAssignment).where(TeachingAssignment.org_id == org.id, TeachingAssignment.year_id == year.id)
        .options(joinedload(TeachingAssignment.klass), joinedload(TeachingAssignment.subject)))}
    if not assignments:
        return 0
    demo = _Demo(org, year, rnd, assignments)
    if current is not None:
        demo.fill_lessons(current, today)
    for period in periods:
        if period.end_date < today:
            demo.period_marks(period)
            period.is_closed = True
    db.session.flush()
    return demo.mark_count


class _Demo:
    def __init__(self, org, year, rnd, assignments):
        self.org, self.year, self.rnd, self.assignments = org, year, rnd, assignments
        self.now = utcnow()
        students = db.session.scalars(select(Student).where(
            Student.org_id == org.id, Student.status == StudentStatus.STUDYING.value)
            .order_by(Student.last_name, Student.id)).all()
        self.by_class = defaultdict(list)
        for student in students:
            self.by_class[student.class_id].append(student)
        # Each student's usual level, so his marks, average and period mark agree.
        self.level = {s.id: min(4.9, max(2.7, rnd.gauss(4.0, 0.55))) for s in students}
        self.types = {t.name: t for t in db.session.scalars(select(TaskType).where(TaskType.org_id == org.id))}
        self.codes = {c.code: c for c in db.session.scalars(
            select(AttendanceCode).where(AttendanceCode.org_id == org.id))}
        self.users = dict(db.session.execute(select(Staff.id, Staff.user_id).where(Staff.org_id == org.id)).all())
        self.class_teacher_users = {a.class_id: self.users.get(a.klass.class_teacher_id) for a in assignments.values()}
        self.mark_count = 0

    # who sits in a lesson ---------------------------------------------------------------------------

    def members(self, assignment, period):
        students = self.by_class.get(assignment.class_id, [])
        if assignment.subgroup_id is None:
            return students
        split = self.splits.get((assignment.class_id, assignment.subject_id))
        if not split:
            return students
        return [s for s in students if split.get(s.id) == assignment.subgroup_id]

    def load_splits(self, period):
        self.splits = defaultdict(dict)
        for student_id, subgroup_id, class_id, subject_id in db.session.execute(
                select(SubgroupMember.student_id, SubgroupMember.subgroup_id, Subgroup.class_id,
                       SubgroupMember.subject_id)
                .join(Subgroup, Subgroup.id == SubgroupMember.subgroup_id)
                .where(SubgroupMember.period_id == period.id, Subgroup.org_id == self.org.id)):
            self.splits[(class_id, subject_id)][student_id] = subgroup_id

    def value(self, student, subject):
        if subject.grading == Grading.PASS_FAIL.value:
            return "зач" if self.rnd.random() < 0.93 else "незач"
        mark = round(self.rnd.gauss(self.level[student.id], 0.75))
        return str(min(5, max(2, mark)))

    # the current period -------------------------------------------------------------------------------

    def fill_lessons(self, period, today):
        self.load_splits(period)
        lessons = db.session.scalars(select(Lesson).where(
            Lesson.org_id == self.org.id, Lesson.period_id == period.id, Lesson.is_cancelled.is_(False),
            Lesson.assignment_id.in_(self.assignments))
            .order_by(Lesson.assignment_id, Lesson.date, Lesson.number)).all()
        plans = {a.thematic_plan_id for a in self.assignments.values() if a.thematic_plan_id}
        topics = defaultdict(list)
        if plans:
            for topic in db.session.scalars(select(ThematicPlanTopic).where(ThematicPlanTopic.plan_id.in_(plans))
                                            .order_by(ThematicPlanTopic.position)):
                topics[topic.plan_id].append(topic)
        earlier = self.earlier_lessons(period)
        by_assignment = defaultdict(list)
        for lesson in lessons:
            by_assignment[lesson.assignment_id].append(lesson)
        for assignment_id, rows in by_assignment.items():
            assignment = self.assignments[assignment_id]
            given = [lesson for lesson in rows if lesson.date <= today]
            plan = topics.get(assignment.thematic_plan_id, [])
            for n, lesson in enumerate(given):
                planned = topic_at(plan, earlier.get(assignment_id, 0) + n + 1) if plan else None
                lesson.topic = lesson.topic or (planned.title if planned else self.rnd.choice(GENERIC_TOPICS))
                if n + 1 < len(rows) and self.rnd.random() < 0.7:
                    lesson.homework = (planned.homework if planned and planned.homework else
                                       f"§ {n + 3}, упражнения {self.rnd.randint(1, 30)}–{self.rnd.randint(31, 60)}")
                    lesson.homework_due_lesson_id = rows[n + 1].id
                self.fill_lesson(assignment, lesson, n, len(given), period)

    def earlier_lessons(self, period):
        """How many lessons each assignment had before the period (the КТП counts on from there)."""
        return dict(db.session.execute(select(Lesson.assignment_id, func.count(Lesson.id)).where(
            Lesson.org_id == self.org.id, Lesson.date < period.start_date, Lesson.is_cancelled.is_(False))
            .group_by(Lesson.assignment_id)).all())

    def fill_lesson(self, assignment, lesson, n, count, period):
        students = self.members(assignment, period)
        present = self.attendance(assignment, lesson, students)
        lesson.attendance_taken = True
        if no_marks(self.org, assignment.klass, assignment.subject) or not present:
            return
        teacher_user = self.users.get(lesson.teacher_id or assignment.teacher_id)
        if count >= 6 and n == count // 2:
            self.task(lesson, "Контрольная работа", present, teacher_user, share=0.92, position=1)
            return
        self.task(lesson, "Ответ на уроке", self.rnd.sample(present, min(len(present), self.rnd.randint(2, 4))),
                  teacher_user, position=1)
        if n % 4 == 2:
            kind = self.rnd.choice(("Самостоятельная работа", "Тест", "Практическая работа"))
            self.task(lesson, kind, present, teacher_user, share=0.85, position=2)
        elif n % 5 == 3:
            self.task(lesson, "Домашнее задание", self.rnd.sample(present, min(len(present), 3)), teacher_user,
                      position=2)

    def task(self, lesson, type_name, students, user_id, share=1.0, position=1):
        kind = self.types.get(type_name) or self.types["Ответ на уроке"]
        task = Task(org_id=self.org.id, lesson_id=lesson.id, type_id=kind.id, weight=kind.default_weight,
                    is_mandatory=kind.default_mandatory, position=position)
        task.lesson, task.type = lesson, kind
        db.session.add(task)
        subject = self.assignments[lesson.assignment_id].subject
        for student in students:
            if self.rnd.random() > share:
                continue  # a debt on a mandatory task, or simply not asked
            mark = Mark(org_id=self.org.id, student_id=student.id, value=self.value(student, subject),
                        created_by_id=user_id, updated_by_id=user_id, created_at=self.now, updated_at=self.now)
            mark.task = task
            db.session.add(mark)
            self.mark_count += 1

    def attendance(self, assignment, lesson, students):
        present = []
        for student in students:
            if self.rnd.random() >= ABSENCE_RATE:
                present.append(student)
                continue
            code = self.rnd.choices([c for c, _ in ABSENCE_CODES], [w for _, w in ABSENCE_CODES])[0]
            row = Attendance(org_id=self.org.id, lesson_id=lesson.id, student_id=student.id,
                             code_id=self.codes[code].id, updated_by_id=self.users.get(assignment.teacher_id),
                             updated_at=self.now)
            if code in ("б", "у"):
                row.reason_note = "справка из поликлиники" if code == "б" else "заявление родителей"
                row.document_date = lesson.date
                row.reason_set_by_id, row.reason_set_at = self.class_teacher_users.get(assignment.class_id), self.now
            row.code = self.codes[code]
            db.session.add(row)
            if code == "оп":
                present.append(student)
        return present

    # a period that is over ----------------------------------------------------------------------------

    def period_marks(self, period):
        self.load_splits(period)
        done = set()
        for assignment in self.assignments.values():
            subject = assignment.subject
            if no_marks(self.org, assignment.klass, subject):
                continue
            user_id = self.users.get(assignment.teacher_id)
            for student in self.members(assignment, period):
                if (student.id, subject.id) in done:
                    continue
                done.add((student.id, subject.id))
                if subject.grading == Grading.PASS_FAIL.value:
                    value = "зач"
                else:
                    value = str(min(5, max(3, round(self.level[student.id] + self.rnd.gauss(0, 0.35)))))
                db.session.add(PeriodMark(org_id=self.org.id, student_id=student.id, subject_id=subject.id,
                                          year_id=self.year.id, kind="period", period_id=period.id, slot=period.id,
                                          value=value, set_by_id=user_id, set_at=self.now))

