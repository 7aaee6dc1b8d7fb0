"""The bulk data set of issue 7 (`flask demo-data --size large|tiny`), tested at its tiny size: its
shape, the rules its rows obey although they bypass the ORM, determinism, and that its people can
work with it through the pages."""
import hashlib
import re
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import and_, func, or_, select

from models import (AcademicYear, Attendance, AttendanceCode, ClassMembership, Lesson, Mark, MovementItem,
                    MovementOrder, Organization, Parent, Period, PeriodMark, SchoolClass, Staff, StaffRole, Student,
                    Subgroup, SubgroupMember, Subject, Task, TaskType, TeachingAssignment, TimetableChange,
                    TimetableEntry, User, db)
from services.context import Actor
from services.demo.large.run import BENCH_PASSWORD, create_large_demo, default_today, sample_logins
from services.errors import DomainError
from services.journal.figures import suggested_mark, weighted_average
from services.journal.grid_save import save_entries
from services.timetable.lessons import generate_lessons
from tests.helpers import open_browser
from services import clock, rules
from tests.conftest import _wipe as wipe

# Real commits: the large data set, loaded and emptied again.
pytestmark = pytest.mark.real_commits

M = ClassMembership


def tiny(**kwargs):
    summary = create_large_demo(size="tiny", **kwargs)
    db.session.expire_all()
    return summary


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def marks_checksum():
    """What the marks say, independent of the ids: who, which lesson of which journal, which task, what."""
    rows = db.session.execute(
        select(Organization.short_name, SchoolClass.name, Subject.name, Lesson.date, Lesson.number, Task.position,
               TaskType.name, Task.weight, Student.personal_file_number, Student.last_name, Mark.value)
        .join(Task, Task.id == Mark.task_id).join(Lesson, Lesson.id == Task.lesson_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id).join(TaskType, TaskType.id == Task.type_id)
        .join(Student, Student.id == Mark.student_id).join(Organization, Organization.id == Mark.org_id)
        .order_by(Organization.short_name, SchoolClass.name, Subject.name, Lesson.date, Lesson.number,
                  TeachingAssignment.subgroup_id, Task.position, Student.personal_file_number)).all()
    return hashlib.sha256(repr([tuple(str(v) for v in r) for r in rows]).encode()).hexdigest(), len(rows)


def rule_problems():
    """Every flush-time rule (services/rules.py validators) run on every row, as if it were saved now;
    closed years are opened in the session for it (never flushed), else their rows would be refused
    as changes of a closed year. The history's rules refuse any change at all, so they are left out."""
    skipped = {ClassMembership, MovementOrder, MovementItem}
    problems = []
    with db.session.no_autoflush:
        for year in db.session.scalars(select(AcademicYear)):
            year.is_closed = False
        for model, checks in rules.validators().items():
            if model in skipped:
                continue
            for obj in db.session.scalars(select(model)):
                for check in checks:
                    try:
                        check(obj)
                    except DomainError as exc:
                        problems.append((model.__name__, str(exc), exc.errors))
    db.session.rollback()
    return problems


def test_tiny_set_has_the_specified_shape_and_obeys_every_card_and_timetable_rule():
    summary = tiny()
    today = default_today()
    assert summary.today == today and summary.schools == 1 and summary.years == 1

    org = db.session.scalar(select(Organization))
    year = db.session.scalar(select(AcademicYear))
    assert count(Organization) == 1 and count(AcademicYear) == 1
    assert year.start_date <= today <= year.end_date and not year.is_closed
    # 1А, 5А, 5Б with 8 students each; one of them withdrew during the year, one moved 5А ↔ 5Б.
    assert sorted(db.session.scalars(select(SchoolClass.name))) == ["1А", "5А", "5Б"]
    assert count(Student) == 3 * 8
    assert count(Student, Student.status == "studying") == 3 * 8 - 1 == summary.students
    assert count(MovementOrder, MovementOrder.kind == "transfer") == 1
    assert count(MovementOrder, MovementOrder.kind == "withdrawal") == 1
    assert count(M) == 3 * 8 + 1  # the transferred student has two stays
    # 5 teachers (the 1А class teacher, Russian, mathematics, the two English subgroup teachers), all with
    # accounts, plus the director, the deputy, HR and the administrator.
    assert count(StaffRole, StaffRole.role == "teacher") == 5 == summary.teachers
    assert count(Staff) == 5 + 4 and count(Staff, Staff.user_id.is_(None)) == 0
    assert {c.class_teacher_id for c in db.session.scalars(select(SchoolClass))} <= set(
        db.session.scalars(select(StaffRole.staff_id).where(StaffRole.role == "teacher")))
    # Four subjects a class; English split in the 5th grades: 4 + 5 + 5 assignments.
    per_class = db.session.execute(select(SchoolClass.name, func.count(TeachingAssignment.subject_id.distinct()))
                                   .join(TeachingAssignment, TeachingAssignment.class_id == SchoolClass.id)
                                   .group_by(SchoolClass.name)).all()
    assert dict(per_class) == {"1А": 4, "5А": 4, "5Б": 4}
    assert count(TeachingAssignment) == 4 + 5 + 5 and count(Subgroup) == 2 * 2
    # The week: 1А 5+4+4+2 = 15 lessons; 5А and 5Б 5+3+3+5 = 16 each, English twice (two subgroups): 19.
    assert count(TimetableEntry) == 15 + 19 + 19
    # Lessons only in the first school week (7 days) of each quarter: four weeks of lessons.
    periods = db.session.scalars(select(Period).order_by(Period.start_date)).all()
    assert len(periods) == 4
    for period in periods:
        dates = set(db.session.scalars(select(Lesson.date).where(Lesson.period_id == period.id)))
        assert dates and min(dates) >= period.start_date and max(dates) <= period.start_date + timedelta(days=6)
    assert count(Lesson) == summary.lessons <= 53 * 4
    # Quarters that ended before «today» are closed and have period marks; the 4th is open, without them.
    assert [p.is_closed for p in periods] == [p.end_date < today for p in periods] == [True, True, True, False]
    assert count(PeriodMark, PeriodMark.period_id == periods[3].id) == 0
    assert count(PeriodMark, PeriodMark.kind == "year") == 0
    # Accounts: one password for all, hashed once; no forced change.
    hashes = set(db.session.scalars(select(User.password_hash)))
    assert len(hashes) == 1 and count(User, User.must_change_password.is_(True)) == 0
    assert count(Parent, Parent.user_id.is_not(None)) == 3  # the mother of the first student of each class
    assert sample_logins("teacher") and sample_logins("parent", 2)

    # The rows went in by bulk inserts, past the ORM's flush rules: run every rule on them now.
    assert rule_problems() == []

    # The lessons are what the journal's own generator makes of the timetable: regenerating the open
    # quarter changes none of them (it would only add the weeks the tiny set leaves out).
    result = generate_lessons(Actor.system_actor(org), periods[3].id, dry_run=True)
    assert result.updated == 0 and result.deleted == 0 and result.conflicts == []
    assert result.unchanged == count(Lesson, Lesson.period_id == periods[3].id)
    assert count(TimetableChange, TimetableChange.kind == "cancel") >= 1
    assert count(Lesson, Lesson.is_cancelled.is_(True)) == count(TimetableChange, TimetableChange.kind == "cancel")


def test_every_mark_and_absence_is_on_a_given_lesson_of_the_students_class_and_subgroup():
    summary = tiny()
    assert summary.marks == count(Mark) > 0 and summary.attendance == count(Attendance) > 0
    lesson_of_mark = (select(Mark.id, Mark.student_id, Lesson.id.label("lesson_id"), Lesson.date,
                             Lesson.is_cancelled, Lesson.attendance_taken, Lesson.period_id,
                             TeachingAssignment.class_id, TeachingAssignment.subgroup_id,
                             TeachingAssignment.subject_id)
                      .join(Task, Task.id == Mark.task_id).join(Lesson, Lesson.id == Task.lesson_id)
                      .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)).subquery()
    lesson_of_absence = (select(Attendance.id, Attendance.student_id, Lesson.id.label("lesson_id"), Lesson.date,
                                Lesson.is_cancelled, Lesson.attendance_taken, Lesson.period_id,
                                TeachingAssignment.class_id, TeachingAssignment.subgroup_id,
                                TeachingAssignment.subject_id)
                         .join(Lesson, Lesson.id == Attendance.lesson_id)
                         .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)).subquery()
    for entries in (lesson_of_mark, lesson_of_absence):
        e = entries.c
        member = select(M.id).where(M.student_id == e.student_id, M.class_id == e.class_id, M.start_date <= e.date,
                                    or_(M.end_date.is_(None), M.end_date >= e.date), M.on_leave.is_(False)).exists()
        assert db.session.scalar(select(func.count()).select_from(entries).where(~member)) == 0
        assert db.session.scalar(select(func.count()).select_from(entries).where(e.is_cancelled.is_(True))) == 0
        assert db.session.scalar(select(func.count()).select_from(entries).where(
            e.attendance_taken.is_(False))) == 0
        assert db.session.scalar(select(func.count()).select_from(entries).where(e.date > summary.today)) == 0
        # A subgroup's journal: only the students of that subgroup in the lesson's quarter.
        other_group = select(SubgroupMember.id).where(
            SubgroupMember.student_id == e.student_id, SubgroupMember.subject_id == e.subject_id,
            SubgroupMember.period_id == e.period_id, SubgroupMember.subgroup_id == e.subgroup_id).exists()
        assert db.session.scalar(select(func.count()).select_from(entries).where(
            e.subgroup_id.is_not(None), ~other_group)) == 0
    # Who is absent (not merely late) gets no mark on that lesson.
    absent_marked = db.session.scalar(
        select(func.count()).select_from(lesson_of_mark)
        .join(Attendance, and_(Attendance.lesson_id == lesson_of_mark.c.lesson_id,
                               Attendance.student_id == lesson_of_mark.c.student_id))
        .join(AttendanceCode, AttendanceCode.id == Attendance.code_id).where(AttendanceCode.kind != "late"))
    assert absent_marked == 0
    # No marks in the 1st grade; every mark a value of the journal.
    first_grade = select(SchoolClass.id).where(SchoolClass.grade == 1)
    assert db.session.scalar(select(func.count()).select_from(lesson_of_mark).where(
        lesson_of_mark.c.class_id.in_(first_grade))) == 0
    assert set(db.session.scalars(select(Mark.value).distinct())) <= {"5", "4", "3", "2"}
    # The student who withdrew has nothing after his last day.
    left = db.session.scalar(select(Student).where(Student.status == "withdrawn"))
    last_day = db.session.scalar(select(M.end_date).where(M.student_id == left.id))
    assert db.session.scalar(select(func.count()).select_from(lesson_of_mark).where(
        lesson_of_mark.c.student_id == left.id, lesson_of_mark.c.date > last_day)) == 0

    # The class history agrees with the cards: stays do not overlap, the card shows the last class,
    # whoever studies has an open stay.
    stays = defaultdict(list)
    for row in db.session.execute(select(M.student_id, M.class_id, M.start_date, M.end_date)
                                  .order_by(M.student_id, M.start_date)):
        stays[row.student_id].append(row)
    for student in db.session.scalars(select(Student)):
        history = stays[student.id]
        assert history and history[-1].class_id == student.class_id
        assert (history[-1].end_date is None) == (student.status == "studying")
        for a, b in zip(history, history[1:]):
            assert a.end_date is not None and a.end_date < b.start_date

    # Period marks are the marks the journal's weighted average suggests (threshold .50), «н/а» without marks.
    sums = defaultdict(list)
    for student_id, subject_id, period_id, value, weight in db.session.execute(
            select(Mark.student_id, TeachingAssignment.subject_id, Lesson.period_id, Mark.value, Task.weight)
            .join(Task, Task.id == Mark.task_id).join(Lesson, Lesson.id == Task.lesson_id)
            .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)):
        sums[(student_id, subject_id, period_id)].append((value, weight))
    period_marks = db.session.scalars(select(PeriodMark).where(PeriodMark.kind == "period")).all()
    assert period_marks
    for mark in period_marks:
        average = weighted_average(sums.get((mark.student_id, mark.subject_id, mark.period_id), []))
        assert mark.value == (str(suggested_mark(average, Decimal("0.50"))) if average is not None else "н/а")


def test_two_schools_with_a_past_year_share_nothing():
    summary = tiny(schools=2, years=1)
    assert count(Organization) == 2 and count(AcademicYear) == 2 * 2 == 2 * summary.years
    assert count(SchoolClass) == 2 * 2 * 3 == summary.classes
    for org in db.session.scalars(select(Organization)):
        years = db.session.scalars(select(AcademicYear).where(AcademicYear.org_id == org.id)
                                   .order_by(AcademicYear.start_date)).all()
        assert [y.is_closed for y in years] == [True, False]
        past = years[0]
        # The past year is complete: every quarter closed, period marks in all four, year marks.
        quarters = db.session.scalars(select(Period).where(Period.year_id == past.id)).all()
        assert all(q.is_closed for q in quarters)
        assert all(count(PeriodMark, PeriodMark.period_id == q.id) > 0 for q in quarters)
        assert count(PeriodMark, PeriodMark.year_id == past.id, PeriodMark.kind == "year") > 0
        assert count(Lesson, Lesson.org_id == org.id, Lesson.period_id.in_([q.id for q in quarters])) > 0
    assert rule_problems() == []
    # Logins are unique in the installation although the schools' people may share names.
    assert count(User) == len(set(db.session.scalars(select(User.login))))

    # No row points at another organization's row: every foreign key between organization-owned tables …
    mismatches = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            target = fk.column.table
            if "org_id" not in table.c or "org_id" not in target.c or fk.parent.name == "org_id":
                continue
            other = target.alias()
            found = db.session.scalar(select(func.count()).select_from(table).join(
                other, other.c[fk.column.name] == fk.parent).where(other.c.org_id != table.c.org_id))
            if found:
                mismatches.append((table.name, fk.parent.name, found))
    assert mismatches == []
    # … and the rows without an org_id of their own: the parents' links, the subgroup members.
    links = db.metadata.tables["student_parent"]
    assert db.session.scalar(select(func.count()).select_from(links)
                             .join(Student, Student.id == links.c.student_id)
                             .join(Parent, Parent.id == links.c.parent_id).where(Student.org_id != Parent.org_id)) == 0
    assert db.session.scalar(select(func.count()).select_from(SubgroupMember)
                             .join(Subgroup, Subgroup.id == SubgroupMember.subgroup_id)
                             .join(Student, Student.id == SubgroupMember.student_id)
                             .join(Period, Period.id == SubgroupMember.period_id)
                             .where(or_(Subgroup.org_id != Student.org_id, Period.org_id != Student.org_id))) == 0


def test_the_same_seed_gives_the_same_data(app):
    first = tiny(seed=7)
    checksum, marks = marks_checksum()
    assert marks == first.marks > 0
    _wipe()
    second = tiny(seed=7)
    assert marks_checksum() == (checksum, marks)
    assert (second.lessons, second.attendance, second.period_marks) == (first.lessons, first.attendance,
                                                                       first.period_marks)
    _wipe()
    tiny(seed=8)
    assert marks_checksum()[0] != checksum


def _wipe():
    db.session.remove()
    wipe()


def test_a_teacher_and_a_parent_of_the_set_log_in_and_work(browser):
    summary = tiny()
    logins = {role: login for role, login, _name in summary.logins}
    teacher = db.session.scalar(select(Staff).join(User, User.id == Staff.user_id)
                                .where(User.login == logins["Учитель"]))
    assignment = db.session.scalar(select(TeachingAssignment).where(TeachingAssignment.teacher_id == teacher.id)
                                   .order_by(TeachingAssignment.id))
    b = open_browser(browser, logins["Учитель"], BENCH_PASSWORD)
    page = b.get(f"/journal/{assignment.id}/")
    assert page.status_code == 200
    assert teacher.last_name in page.get_data(as_text=True)
    period = db.session.scalar(select(Period).where(Period.is_closed.is_(False)))
    assert b.get(f"/journal/{assignment.id}/?period={period.id}").status_code == 200
    # The open quarter takes new entries (the benchmark saves marks there): a new column with a mark,
    # made with fresh ids after the loader's (PostgreSQL: its sequences were moved past them).
    lesson_id, student_id = db.session.execute(
        select(Lesson.id, Mark.student_id).join(Task, Task.lesson_id == Lesson.id).join(Mark, Mark.task_id == Task.id)
        .where(Lesson.assignment_id == assignment.id, Lesson.period_id == period.id)
        .order_by(Lesson.date.desc(), Mark.student_id)).first()
    before = db.session.scalar(select(func.max(Mark.id)))
    # on the set's «today» (the bench runs on it, bench/dataset.py set_today): its lessons up to it are given
    with clock.frozen(summary.today):
        result = save_entries(Actor.for_user(db.session.get(User, teacher.user_id)), assignment.id, {
            "tasks": [{"task_id": None, "key": "new", "lesson_id": lesson_id}],
            "marks": [{"task_key": "new", "student_id": student_id, "value": "5", "version": None}]})
    assert result.counts["marks_created"] == 1
    assert db.session.scalar(select(func.max(Mark.id))) == before + 1

    parent = db.session.scalar(select(Parent).join(User, User.id == Parent.user_id)
                               .where(User.login == logins["Родитель"]))
    child = parent.children[0]
    monday = db.session.scalar(select(func.min(Lesson.date)).where(Lesson.period_id == period.id))
    monday -= timedelta(days=monday.weekday())
    b = open_browser(browser, logins["Родитель"], BENCH_PASSWORD)
    page = b.get(f"/diary/{child.id}/?week={monday.isoformat()}")
    assert page.status_code == 200
    assert child.first_name in page.get_data(as_text=True)
    assert b.get(f"/diary/{child.id}/period/").status_code == 200


def test_the_command_line(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-data", "--size", "tiny", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Набор данных «tiny»: школ 1, учебных лет 1" in result.output
    assert re.search(r"отметок: [1-9]\d*", result.output)
    assert f"пароль у всех: {BENCH_PASSWORD}" in result.output
    for role in ("Администратор", "Заместитель директора", "Учитель", "Родитель"):
        assert re.search(rf"^{role}\s+\S+\s+", result.output, re.M), role
    assert count(Organization) == 1
    # Only into an empty database; the options of the big set are refused for the small demo; bad dates.
    again = runner.invoke(args=["demo-data", "--size", "tiny"])
    assert again.exit_code != 0 and "База данных не пуста" in again.output
    small = runner.invoke(args=["demo-data", "--years", "2"])
    assert small.exit_code != 0 and "--size large или tiny" in small.output
    db.session.remove()
    wipe()
    bad = runner.invoke(args=["demo-data", "--size", "tiny", "--today", "31.02.2027"])
    assert bad.exit_code != 0 and "не дата" in bad.output and "Traceback" not in bad.output
    weak = runner.invoke(args=["demo-data", "--size", "tiny", "--password", "short"])
    assert weak.exit_code != 0 and "не менее 8 символов" in weak.output
    assert count(Organization) == 0
