"""The journal's write rules (SPEC §3 rules 2–4, issue 4), through services/journal/ (grid_save,
period_marks, absences, history, policy).

Each test names the rule it proves; a refused save changes nothing (checked by reading back).
"""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import (Attendance, AuditLog, Lesson, Mark, PeriodMark, Subgroup,
                    SubgroupMember, Task, db)
from services.journal import absences, history, period_marks, policy
from services.errors import DomainError, PermissionDenied
from services.journal.grid_save import save_entries
from services.journal.payload import VersionConflict
from services.journal.period_marks import set_period_mark
from tests.helpers import InUnits, in_unit
from tests.factories import actor_of, make_class, make_student, mv_withdraw
from tests.journal_rules_fixtures import (add_task, assignment, journal_world, lessons, new_task, subject)
from tests.factories import make_org, make_staff

# Each service call is its own unit of work, as each request is (services/uow.py).
absences, period_marks = InUnits(absences), InUnits(period_marks)
save_entries, set_period_mark = in_unit(save_entries), in_unit(set_period_mark)


@pytest.fixture
def jw(world):
    return journal_world(world)


def marks_count():
    return db.session.scalar(select(func.count(Mark.id)))


def mark_of(task_id, student_id):
    db.session.expire_all()
    return db.session.scalar(select(Mark).where(Mark.task_id == task_id, Mark.student_id == student_id))


def mark_item(task_id, student, value, version=None, **extra):
    return {"task_id": task_id, "student_id": student.id, "value": value, "version": version, **extra}


# -- a teacher's save ----------------------------------------------------------------------------

def test_teacher_saves_a_lesson_in_one_call(jw):
    a, l1, l2 = jw.a, jw.lessons[0], jw.lessons[1]
    result = save_entries(actor_of("a.teacher"), jw.assignment.id, {
        "lessons": [{"lesson_id": l1.id, "topic": "Дроби", "homework": "№ 12, 14",
                     "homework_due_lesson_id": l2.id}],
        "tasks": [new_task(jw, l1, "new1"), new_task(jw, l1, "new2", jw.test_type, weight="2,5")],
        "marks": [{"task_key": "new1", "student_id": a.student.id, "value": "5", "comment": "устно",
                   "version": None},
                  {"task_key": "new2", "student_id": a.classmate.id, "value": "3", "version": None}],
        "attendance": [{"lesson_id": l1.id, "student_id": a.classmate.id, "code": "Н", "version": None}],
    })
    db.session.expire_all()
    lesson = db.session.get(Lesson, l1.id)
    assert (lesson.topic, lesson.homework, lesson.homework_due_lesson_id) == ("Дроби", "№ 12, 14", l2.id)
    t1, t2 = (db.session.get(Task, result.task_ids[k]) for k in ("new1", "new2"))
    assert (t1.weight, t1.is_mandatory, t1.position) == (Decimal("1.00"), False, 1)
    assert (t2.weight, t2.is_mandatory, t2.position) == (Decimal("2.50"), True, 2)  # контрольная: mandatory
    mark = mark_of(t1.id, a.student.id)
    assert (mark.value, mark.comment, mark.version) == ("5", "устно", 1)
    assert mark.created_by_id == a.teacher.user_id
    att = db.session.scalar(select(Attendance).where(Attendance.lesson_id == l1.id))
    assert att.code.code == "н" and att.student_id == a.classmate.id
    assert result.versions["marks"] == {(t1.id, a.student.id): 1, (t2.id, a.classmate.id): 1}
    assert result.versions["attendance"] == {(l1.id, a.classmate.id): 1}
    assert result.counts["marks_created"] == 2 and result.counts["tasks_created"] == 2
    assert result.as_json()["versions"]["marks"] == {f"{t1.id}:{a.student.id}": 1, f"{t2.id}:{a.classmate.id}": 1}


def test_every_change_is_audited_with_who_and_old_and_new(jw):
    a = jw.a
    task_id = add_task(jw)
    teacher = actor_of("a.teacher")
    v1 = save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "4")]})
    version = v1.versions["marks"][(task_id, a.student.id)]
    save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "5", version)]})
    rows = db.session.scalars(select(AuditLog).where(AuditLog.entity == "mark").order_by(AuditLog.id)).all()
    assert [r.action for r in rows] == ["insert", "update"]
    assert rows[1].changes["value"] == ["4", "5"]
    assert {r.user_id for r in rows} == {a.teacher.user_id}


def test_a_bad_entry_saves_nothing_and_every_problem_is_listed(jw):
    a = jw.a
    task_id = add_task(jw)
    other = assignment(a, a.other_class, jw.math, a.teacher)
    foreign_lesson = lessons(a, other, dates=(date(2026, 11, 11),))[0]
    db.session.commit()
    before = marks_count()
    with pytest.raises(DomainError) as caught:
        save_entries(actor_of("a.teacher"), jw.assignment.id, {
            "lessons": [{"lesson_id": jw.lessons[1].id, "topic": "Сохранится ли?"}],
            "marks": [mark_item(task_id, a.student, "5"),          # fine on its own
                      mark_item(task_id, a.classmate, "6"),        # not a mark
                      mark_item(task_id, a.stranger, "4")],        # a student of 6Б
            "attendance": [{"lesson_id": foreign_lesson.id, "student_id": a.student.id, "code": "н"}],
        })
    problems = " | ".join(caught.value.errors)
    assert caught.value.message == "Изменения не сохранены"
    assert "«6» — недопустимая отметка" in problems
    assert "Чужов И. И. не числится в составе класса 5А" in problems
    assert "относится к другой нагрузке" in problems
    assert marks_count() == before
    db.session.expire_all()
    assert db.session.get(Lesson, jw.lessons[1].id).topic is None


def test_homework_is_due_on_a_later_lesson_of_the_same_journal(jw):
    l1, l2 = jw.lessons[0], jw.lessons[1]
    with pytest.raises(DomainError) as caught:
        save_entries(actor_of("a.teacher"), jw.assignment.id, {
            "lessons": [{"lesson_id": l2.id, "homework": "стр. 5", "homework_due_lesson_id": l1.id}]})
    assert "на более поздний урок" in str(caught.value)


# -- who writes (SPEC §3 rule 3) -----------------------------------------------------------------

@pytest.mark.parametrize("login", ["a.class_teacher", "a.director", "a.student", "a.parent", "a.hr",
                                   "b.teacher", "b.admin"])
def test_only_the_journal_s_teacher_writes_it(jw, login):
    """Another teacher, the class teacher, the director (read-only), a student, a parent, HR and
    anyone of another organization are refused; nothing changes."""
    task_id = add_task(jw)
    with pytest.raises(PermissionDenied):
        save_entries(actor_of(login), jw.assignment.id, {
            "marks": [mark_item(task_id, jw.a.student, "5")],
            "lessons": [{"lesson_id": jw.lessons[0].id, "topic": "Чужая тема"}]})
    assert marks_count() == 0
    db.session.expire_all()
    assert db.session.get(Lesson, jw.lessons[0].id).topic is None


def test_the_substitute_writes_the_lesson_he_gives_and_no_other(jw):
    a = jw.a
    substituted = jw.lessons[1]
    substituted.teacher_id = a.class_teacher.id
    db.session.commit()
    sub = actor_of("a.class_teacher")
    assert not policy.can_write(sub, jw.assignment) and policy.can_write(sub, jw.assignment, substituted)
    result = save_entries(sub, jw.assignment.id, {
        "lessons": [{"lesson_id": substituted.id, "topic": "Замена: повторение"}],
        "tasks": [new_task(jw, substituted, "s")],
        "marks": [{"task_key": "s", "student_id": a.student.id, "value": "4"}],
        "attendance": [{"lesson_id": substituted.id, "student_id": a.classmate.id, "code": "б"}]})
    assert result.counts["marks_created"] == 1
    with pytest.raises(PermissionDenied):
        save_entries(sub, jw.assignment.id, {"lessons": [
            {"lesson_id": substituted.id, "topic": "ещё"}, {"lesson_id": jw.lessons[0].id, "topic": "не его урок"}]})
    db.session.expire_all()
    assert db.session.get(Lesson, jw.lessons[0].id).topic is None


def test_can_write_and_can_correct(jw):
    assert policy.can_write(actor_of("a.teacher"), jw.assignment)
    for login in ("a.deputy", "a.director", "a.class_teacher", "a.admin", "b.teacher"):
        assert not policy.can_write(actor_of(login), jw.assignment), login
    assert policy.can_correct(actor_of("a.deputy")) and policy.can_correct(actor_of("a.admin"))
    for login in ("a.teacher", "a.director", "a.class_teacher", "a.parent"):
        assert not policy.can_correct(actor_of(login)), login


# -- lost updates and duplicates (issue 4 rule 4) ---------------------------------------------------

def test_a_stale_version_is_a_conflict_not_a_lost_update(jw):
    a = jw.a
    task_id = add_task(jw)
    teacher = actor_of("a.teacher")
    save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "4")]})
    # Somebody else's page still thinks the cell is empty, or has seen an older version.
    for stale in (None, 7):
        with pytest.raises(VersionConflict) as caught:
            save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "2", stale)]})
        assert caught.value.message == "Запись изменил другой пользователь — обновите страницу"
    with pytest.raises(VersionConflict):  # a delete with a stale version is refused as well
        save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "", 3)]})
    assert mark_of(task_id, a.student.id).value == "4"
    save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "", 1)]})
    assert mark_of(task_id, a.student.id) is None
    with pytest.raises(VersionConflict):  # the page still shows the deleted mark (version 1)
        save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "3", 1)]})


@pytest.mark.real_commits  # another connection changes the mark meanwhile
def test_versions_are_read_fresh_under_the_lock_and_grow_with_any_change(jw):
    """The session may hold an old copy of the mark (a page read it earlier): the save reads it
    again under its lock, so a change made meanwhile is seen. And any change bumps the version."""
    a = jw.a
    task_id = add_task(jw)
    teacher = actor_of("a.teacher")
    save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "4")]})
    stale = mark_of(task_id, a.student.id)
    assert stale.version == 1
    db.session.commit()
    with db.engine.begin() as other:  # another connection changes it; this session keeps its copy
        other.execute(Mark.__table__.update().where(Mark.__table__.c.id == stale.id).values(version=2, value="3"))
    assert stale.__dict__["version"] == 1
    with pytest.raises(VersionConflict):
        save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "5", 1)]})
    mark = mark_of(task_id, a.student.id)
    mark.comment = "исправлено скриптом"  # a path other than the service
    db.session.commit()
    assert mark_of(task_id, a.student.id).version == 3


def test_attendance_versions_and_deletion(jw):
    a, lesson = jw.a, jw.lessons[0]
    teacher = actor_of("a.teacher")
    r1 = save_entries(teacher, jw.assignment.id, {"attendance": [
        {"lesson_id": lesson.id, "student_id": a.student.id, "code": "н", "version": None}]})
    v = r1.versions["attendance"][(lesson.id, a.student.id)]
    with pytest.raises(VersionConflict):
        save_entries(teacher, jw.assignment.id, {"attendance": [
            {"lesson_id": lesson.id, "student_id": a.student.id, "code": "оп", "version": None}]})
    r2 = save_entries(teacher, jw.assignment.id, {"attendance": [
        {"lesson_id": lesson.id, "student_id": a.student.id, "code": "оп", "version": v}]})
    assert r2.versions["attendance"][(lesson.id, a.student.id)] == v + 1
    with pytest.raises(DomainError) as caught:
        save_entries(teacher, jw.assignment.id, {"attendance": [
            {"lesson_id": lesson.id, "student_id": a.student.id, "code": "x", "version": v + 1}]})
    assert "нет такой отметки посещаемости" in str(caught.value)
    save_entries(teacher, jw.assignment.id, {"attendance": [
        {"lesson_id": lesson.id, "student_id": a.student.id, "code": "", "version": v + 1}]})
    assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_the_same_cell_twice_in_one_save_is_refused(jw):
    task_id = add_task(jw)
    with pytest.raises(DomainError) as caught:
        save_entries(actor_of("a.teacher"), jw.assignment.id, {"marks": [
            mark_item(task_id, jw.a.student, "5"), mark_item(task_id, jw.a.student, "4")]})
    assert "указана дважды" in str(caught.value)


# -- values by grading, grade 1, subgroups, withdrawn students -------------------------------------

def test_values_follow_the_subject_s_grading(jw):
    a = jw.a
    task_id = add_task(jw)
    with pytest.raises(DomainError):
        save_entries(actor_of("a.teacher"), jw.assignment.id, {"marks": [mark_item(task_id, a.student, "зач")]})
    pe = subject(a.org, "Физическая культура", "pass_fail")
    pe_row = assignment(a, a.klass, pe, a.teacher)
    pe_lesson = lessons(a, pe_row)[0]
    none = subject(a.org, "Разговоры о важном", "none")
    none_row = assignment(a, a.klass, none, a.teacher)
    none_lesson = lessons(a, none_row)[0]
    db.session.commit()
    teacher = actor_of("a.teacher")
    save_entries(teacher, pe_row.id, {"tasks": [new_task(jw, pe_lesson, "n")],
                                      "marks": [{"task_key": "n", "student_id": a.student.id, "value": "Зач"}]})
    with pytest.raises(DomainError) as caught:
        save_entries(teacher, none_row.id, {"tasks": [new_task(jw, none_lesson, "n")]})
    assert "отметки не ставятся" in str(caught.value)
    # Attendance and topics are kept whatever the grading.
    save_entries(teacher, none_row.id, {
        "lessons": [{"lesson_id": none_lesson.id, "topic": "Разговор о главном"}],
        "attendance": [{"lesson_id": none_lesson.id, "student_id": a.student.id, "code": "б"}]})


def test_grade_one_keeps_attendance_and_topics_but_no_marks(jw):
    a = jw.a
    first = make_class(a.org, a.year, "1А", 1, None)
    pupil = make_student(a.org, first, "Малышев", "Миша", birth=date(2019, 4, 1))
    row = assignment(a, first, jw.math, a.teacher)
    lesson = lessons(a, row)[0]
    db.session.commit()
    teacher = actor_of("a.teacher")
    with pytest.raises(DomainError) as caught:
        save_entries(teacher, row.id, {"tasks": [new_task(jw, lesson, "n")],
                                       "marks": [{"task_key": "n", "student_id": pupil.id, "value": "5"}]})
    assert "в 1 классе отметки не ставятся" in str(caught.value)
    with pytest.raises(DomainError):
        set_period_mark(teacher, pupil.id, jw.math.id, a.year.id, "period", a.period.id, "5")
    save_entries(teacher, row.id, {"lessons": [{"lesson_id": lesson.id, "topic": "Счёт до 10"}],
                                   "attendance": [{"lesson_id": lesson.id, "student_id": pupil.id, "code": "н"}]})
    assert db.session.scalar(select(func.count(Mark.id))) == 0


def test_a_subgroup_journal_takes_only_the_subgroup_s_students_of_that_period(jw):
    a = jw.a
    english = subject(a.org, "Английский язык")
    g1 = Subgroup(org_id=a.org.id, year_id=a.year.id, class_id=a.klass.id, subject_id=english.id, name="1 группа")
    g2 = Subgroup(org_id=a.org.id, year_id=a.year.id, class_id=a.klass.id, subject_id=english.id, name="2 группа")
    db.session.add_all([g1, g2])
    db.session.flush()
    row = assignment(a, a.klass, english, a.teacher, subgroup=g1)
    lesson = lessons(a, row)[0]
    db.session.commit()
    teacher = actor_of("a.teacher")
    items = {"attendance": [{"lesson_id": lesson.id, "student_id": a.classmate.id, "code": "н"}]}
    save_entries(teacher, row.id, items)  # the class is not split in this period yet: the whole class
    db.session.add_all([
        SubgroupMember(subgroup_id=g1.id, student_id=a.student.id, period_id=a.period.id, subject_id=english.id),
        SubgroupMember(subgroup_id=g2.id, student_id=a.classmate.id, period_id=a.period.id, subject_id=english.id)])
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        save_entries(teacher, row.id, {"attendance": [
            {"lesson_id": lesson.id, "student_id": a.classmate.id, "code": "б", "version": 1}]})
    assert "не входит в подгруппу «1 группа»" in str(caught.value)
    save_entries(teacher, row.id, {"attendance": [{"lesson_id": lesson.id, "student_id": a.student.id, "code": "б"}]})


def test_a_withdrawn_student_is_read_only_after_he_left(jw):
    """Issue 13.4: his entries are refused after his stay, not frozen within it."""
    a = jw.a
    task_id = add_task(jw)  # on 09.11
    late_task = add_task(jw, jw.lessons[2])  # on 12.11
    mv_withdraw(a.classmate, date(2026, 11, 10))
    with pytest.raises(DomainError) as caught:
        save_entries(actor_of("a.teacher"), jw.assignment.id, {"marks": [mark_item(late_task, a.classmate, "5")]})
    assert "Соседов С. И. не числится в составе класса 5А на 12.11.2026" in str(caught.value.errors)
    save_entries(actor_of("a.teacher"), jw.assignment.id, {"marks": [mark_item(task_id, a.classmate, "5")]})
    assert mark_of(task_id, a.classmate.id).value == "5"


# -- tasks -------------------------------------------------------------------------------------------

def test_tasks_are_added_changed_and_deleted_with_their_marks(jw):
    a, lesson = jw.a, jw.lessons[0]
    teacher = actor_of("a.teacher")
    first = add_task(jw)
    result = save_entries(teacher, jw.assignment.id, {
        "tasks": [new_task(jw, lesson, "x", jw.types["Самостоятельная работа"], topic="Дроби")],
        "marks": [{"task_key": "x", "student_id": a.student.id, "value": "3"},
                  mark_item(first, a.classmate, "5")]})
    second = result.task_ids["x"]
    task = db.session.get(Task, second)
    assert (task.weight, task.position, task.topic) == (Decimal("2.00"), 2, "Дроби")
    save_entries(teacher, jw.assignment.id, {"tasks": [{"task_id": second, "weight": "3", "is_mandatory": True}]})
    db.session.expire_all()
    assert (db.session.get(Task, second).weight, db.session.get(Task, second).is_mandatory) == (Decimal("3.00"), True)
    with pytest.raises(DomainError):
        save_entries(teacher, jw.assignment.id, {"tasks": [{"task_id": second, "weight": "11"}]})
    deleted = save_entries(teacher, jw.assignment.id, {"tasks": [{"task_id": first, "delete": True}]})
    assert deleted.counts["tasks_deleted"] == 1 and deleted.counts["marks_deleted"] == 1
    assert deleted.versions["marks"] == {(first, a.classmate.id): None}
    audit = db.session.scalars(
        select(AuditLog.action).where(AuditLog.entity == "mark", AuditLog.action == "delete")).all()
    assert audit == ["delete"]  # the mark went through the audit, not a silent cascade
    assert db.session.get(Task, first) is None


def test_a_task_of_another_journal_is_refused(jw):
    a = jw.a
    other = assignment(a, a.other_class, jw.math, a.teacher)
    other_lesson = lessons(a, other, dates=(date(2026, 11, 11),))[0]
    db.session.commit()
    result = save_entries(actor_of("a.teacher"), other.id, {"tasks": [new_task(jw, other_lesson, "o")]})
    with pytest.raises(DomainError) as caught:
        save_entries(actor_of("a.teacher"), jw.assignment.id, {"marks": [
            mark_item(result.task_ids["o"], a.student, "5")]})
    assert "задание не найдено в этом журнале" in str(caught.value)


# -- a set period mark closes the period's marks to the teacher (SPEC §3 rule 2) --------------------

def test_after_the_period_mark_the_teacher_cannot_change_that_student_s_marks(jw):
    a = jw.a
    task_id = add_task(jw)
    teacher = actor_of("a.teacher")
    r = save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "4"),
                                                           mark_item(task_id, a.classmate, "3")]})
    set_period_mark(teacher, a.student.id, jw.math.id, a.year.id, "period", a.period.id, "4")
    with pytest.raises(DomainError) as caught:
        save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "5", 1)]})
    assert "отметка за период уже выставлена" in str(caught.value)
    with pytest.raises(DomainError):  # nor delete the task that holds it
        save_entries(teacher, jw.assignment.id, {"tasks": [{"task_id": task_id, "delete": True}]})
    # Another student of the class without a period mark: still open.
    save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.classmate, "4", 1)]})
    # The deputy director corrects it, and the audit says who did.
    deputy = actor_of("a.deputy")
    save_entries(deputy, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "5", 1)]})
    assert mark_of(task_id, a.student.id).value == "5"
    last = db.session.scalars(select(AuditLog).where(AuditLog.entity == "mark").order_by(AuditLog.id.desc())).first()
    assert last.user_id == a.deputy.user_id and last.changes["value"] == ["4", "5"]
    save_entries(actor_of("a.admin"), jw.assignment.id, {"marks": [mark_item(task_id, a.student, "4", 2)]})
    assert r.counts["marks_created"] == 2


def period_mark_rows():
    db.session.expire_all()
    return [(m.kind, m.value, m.version) for m in db.session.scalars(select(PeriodMark).order_by(PeriodMark.id))]


def test_the_teacher_cannot_delete_his_period_mark_change_the_marks_and_set_it_again(jw):
    """The lock holds for the teacher: his own period mark is no key to it (issue 11.3)."""
    a = jw.a
    task_id = add_task(jw)
    teacher = actor_of("a.teacher")
    save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "3")]})
    set_period_mark(teacher, a.student.id, jw.math.id, a.year.id, "period", a.period.id, "3")
    set_period_mark(teacher, a.student.id, jw.math.id, a.year.id, "year", None, "3")
    audited = db.session.scalar(select(func.count(AuditLog.id)))
    refusal = ("отметка «3» уже выставлена — изменить или удалить её могут только заместитель директора "
               "или администратор")
    for login in ("a.teacher", "a.class_teacher"):  # in a school the class teacher sets them too
        actor = actor_of(login)
        with pytest.raises(DomainError) as caught:
            period_marks.delete_period_mark(actor, a.student.id, jw.math.id, a.year.id, "period", a.period.id, 1)
        assert refusal in str(caught.value)
        with pytest.raises(DomainError) as caught:
            set_period_mark(actor, a.student.id, jw.math.id, a.year.id, "period", a.period.id, "5", version=1)
        assert refusal in str(caught.value)
        with pytest.raises(DomainError) as caught:
            set_period_mark(actor, a.student.id, jw.math.id, a.year.id, "year", None, "", version=1)
        assert refusal in str(caught.value)
    with pytest.raises(DomainError) as caught:  # the grid's save: the delete and the new mark in one call
        save_entries(teacher, jw.assignment.id, {
            "marks": [mark_item(task_id, a.student, "5", 1)],
            "period_marks": [{"student_id": a.student.id, "kind": "period", "period_id": a.period.id,
                              "value": "", "version": 1}]})
    assert refusal in str(caught.value) and "отметка за период уже выставлена" in str(caught.value)
    assert period_mark_rows() == [("period", "3", 1), ("year", "3", 1)]
    assert mark_of(task_id, a.student.id).value == "3"
    assert db.session.scalar(select(func.count(AuditLog.id))) == audited
    # The deputy director and the administrator correct them, audited as such.
    set_period_mark(actor_of("a.deputy"), a.student.id, jw.math.id, a.year.id, "period", a.period.id, "4", 1)
    save_entries(actor_of("a.deputy"), jw.assignment.id, {"marks": [mark_item(task_id, a.student, "4", 1)]})
    period_marks.delete_period_mark(actor_of("a.admin"), a.student.id, jw.math.id, a.year.id, "year", None, 1)
    assert period_mark_rows() == [("period", "4", 2)]
    rows = db.session.scalars(select(AuditLog).where(AuditLog.entity == "period_mark")
                              .order_by(AuditLog.id.desc()).limit(2)).all()
    assert [(r.action, r.user_id, r.changes["value"]) for r in rows] == [
        ("delete", a.admin.user_id, ["3", None]), ("update", a.deputy.user_id, ["3", "4"])]


# -- period marks (SPEC §3 rule 4) ---------------------------------------------------------------------

def pm(ns, login, student, value, kind="period", version=None, subj=None):
    period_id = ns.a.period.id if kind == "period" else None
    return set_period_mark(actor_of(login), student.id, (subj or ns.math).id, ns.a.year.id, kind, period_id,
                           value, version)


def test_period_marks_by_the_subject_teacher_and_the_school_s_class_teacher(jw):
    a = jw.a
    assert pm(jw, "a.teacher", a.student, "5") == 1
    assert pm(jw, "a.deputy", a.student, "4", version=1) == 2  # once set, a corrector changes it
    assert pm(jw, "a.class_teacher", a.classmate, "осв") == 1  # any subject of his own class
    for kind, value in (("year", "4"), ("exam", "5"), ("final", "н/а")):
        assert pm(jw, "a.teacher", a.student, value, kind=kind) == 1
    marks = db.session.scalars(select(PeriodMark).order_by(PeriodMark.id)).all()
    assert [(m.kind, m.value, m.slot) for m in marks] == [
        ("period", "4", a.period.id), ("period", "осв", a.period.id), ("year", "4", 0), ("exam", "5", 0),
        ("final", "н/а", 0)]
    with pytest.raises(VersionConflict):
        pm(jw, "a.teacher", a.student, "3", version=1)
    with pytest.raises(VersionConflict):
        pm(jw, "a.teacher", a.student, "3")
    period_marks.delete_period_mark(actor_of("a.admin"), a.student.id, jw.math.id, a.year.id, "period",
                               a.period.id, 2)
    assert db.session.scalar(select(func.count(PeriodMark.id)).where(PeriodMark.kind == "period")) == 1


@pytest.mark.parametrize("login", ["a.director", "a.hr", "a.parent", "a.student", "b.teacher"])
def test_period_marks_refused_to_others(jw, login):
    with pytest.raises(PermissionDenied):
        pm(jw, login, jw.a.student, "5")
    assert db.session.scalar(select(func.count(PeriodMark.id))) == 0


def test_another_teacher_and_a_college_curator_cannot_set_period_marks(world):
    ns = journal_world(world)
    a = ns.a
    other = make_staff(a.org, "Другов", "Данила", ["teacher"], "a.other_teacher")
    assignment(a, a.other_class, ns.math, other)  # teaches Математика, but in 6Б
    db.session.commit()
    with pytest.raises(PermissionDenied):
        pm(ns, "a.other_teacher", a.student, "5")
    assert pm(ns, "a.other_teacher", a.stranger, "5") == 1
    org, year, period = make_org("c", kind="college")
    curator = make_staff(org, "Кураторова", "Катерина", ["teacher"], "c.curator", sex="f")
    group = make_class(org, year, "ТМ-26", 1, curator)
    student = make_student(org, group, "Студентов", "Савва", birth=date(2010, 2, 2), passport_series="6510",
                           passport_number="123456", passport_date=date(2024, 3, 1))
    college_subject = subject(org, "Математика")
    db.session.commit()
    with pytest.raises(PermissionDenied):  # a curator is not a school's class teacher
        set_period_mark(actor_of("c.curator"), student.id, college_subject.id, year.id, "period", period.id, "5")


def test_period_mark_values(jw):
    a = jw.a
    for bad in ("6", "0", "зач", "отл"):
        with pytest.raises(DomainError):
            pm(jw, "a.teacher", a.student, bad)
    assert pm(jw, "a.teacher", a.student, "н/а") == 1
    assert pm(jw, "a.teacher", a.classmate, "зач", kind="exam") == 1  # an exam may be a credit


# -- absence reasons (the class teacher) ----------------------------------------------------------

def absence(ns, student, code="н"):
    result = save_entries(actor_of("a.teacher"), ns.assignment.id, {"attendance": [
        {"lesson_id": ns.lessons[0].id, "student_id": student.id, "code": code}]})
    return db.session.scalar(select(Attendance.id).where(Attendance.student_id == student.id)), result


def test_the_class_teacher_sets_absence_reasons_of_his_class_only(jw):
    a = jw.a
    att_id, result = absence(jw, a.student)
    ct = actor_of("a.class_teacher")
    version = absences.set_absence_reason(ct, att_id, "б", "справка № 17", date(2026, 11, 11))
    db.session.expire_all()
    row = db.session.get(Attendance, att_id)
    assert (row.code.code, row.reason_note, row.document_date, row.reason_set_by_id) == \
        ("б", "справка № 17", date(2026, 11, 11), a.class_teacher.user_id)
    assert version == 2
    # The teacher's page still shows version 1: his save does not overwrite the reason unnoticed.
    with pytest.raises(VersionConflict):
        save_entries(actor_of("a.teacher"), jw.assignment.id, {"attendance": [
            {"lesson_id": jw.lessons[0].id, "student_id": a.student.id, "code": "н", "version": 1}]})
    with pytest.raises(DomainError) as caught:
        absences.set_absence_reason(ct, att_id, "у", "", None)
    assert "укажите документ" in str(caught.value)
    for login in ("a.teacher", "a.director", "b.class_teacher"):
        with pytest.raises(PermissionDenied):
            absences.set_absence_reason(actor_of(login), att_id, "у", "заявление", None)


def test_absence_reason_deadline_counts_working_days(jw):
    # Friday 13.11.2026 + 2 working days → Tuesday 17.11.2026.
    assert absences.reason_deadline(jw.org.id, date(2026, 11, 13)) == date(2026, 11, 17)


# -- the history of a cell ---------------------------------------------------------------------------

def test_cell_history_lists_every_change_of_the_cell_for_the_deputy(jw):
    a = jw.a
    task_id = add_task(jw)
    teacher = actor_of("a.teacher")
    save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "3"),
                                                       mark_item(task_id, a.classmate, "5")]})
    save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "4", 1)]})
    save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "", 2)]})
    save_entries(teacher, jw.assignment.id, {"marks": [mark_item(task_id, a.student, "5")]})
    rows = history.cell_history(actor_of("a.deputy"), task_id, a.student.id)
    assert [(r.action, r.changes.get("value")) for r in rows] == [
        ("insert", [None, "3"]), ("update", ["3", "4"]), ("delete", ["4", None]), ("insert", [None, "5"])]
    assert all(r.user.login == "a.teacher" for r in rows)
    with pytest.raises(PermissionDenied):
        history.cell_history(actor_of("a.teacher"), task_id, a.student.id)
    with pytest.raises(PermissionDenied):
        history.cell_history(actor_of("b.deputy"), task_id, a.student.id)
    absence(jw, a.student, "н")
    rows = history.attendance_history(actor_of("a.admin"), jw.lessons[0].id, a.student.id)
    assert [r.action for r in rows] == ["insert"]
    pm(jw, "a.teacher", a.student, "4")
    pm(jw, "a.deputy", a.student, "5", version=1)
    rows = history.period_mark_history(actor_of("a.deputy"), a.student.id, jw.math.id, a.year.id, "period", a.period.id)
    assert [r.changes.get("value") for r in rows] == [[None, "4"], ["4", "5"]]
