"""The journal grid's lean save (services/journal/marks_save.py, issue 20.4): a teacher's marks on
existing tasks go through set-based statements, with every rule of the general path kept — the same
marks, versions and audit rows, and every refusal with its own message (the lean path hands anything
unusual to grid_save.save_entries)."""
import json
from datetime import date

import pytest
from sqlalchemy import select, update

from models import AuditLog, Mark, Period, db
from services.journal import marks_save
from tests.factories import actor_of, jr_assignment, jr_lessons, jr_mark, jr_period_mark, jr_subject, jr_task
from tests.querycount import count_queries

# user; actor (cards, roles, classes); the gates (periods and period marks; SQLite: its write lock);
# the checks; one UPDATE of the batch; one INSERT of the audit rows (+ one INSERT when new marks come)
BUDGET = 6


@pytest.fixture
def lean(world):
    a = world.a
    subject = jr_subject(a.org, "Математика", "marks")
    assignment = jr_assignment(a.org, a.year, a.klass, a.teacher, subject)
    lessons = jr_lessons(assignment, a.period, [date(2026, 11, 9), date(2026, 11, 25)])
    task, future_task = jr_task(lessons[0]), jr_task(lessons[1])
    jr_mark(task, a.student, "4")
    db.session.commit()
    return world, subject, assignment, task.id, future_task.id


def post(b, assignment_id, period_id, marks):
    return b.post(f"/journal/{assignment_id}/save", data={"payload": json.dumps({"marks": marks}),
                                                          "period_id": period_id},
                  headers={"X-Requested-With": "fetch"})


def marks_of(task_id):
    db.session.expire_all()
    return {m.student_id: (m.value, m.comment, m.version, m.updated_by_id)
            for m in db.session.scalars(select(Mark).where(Mark.task_id == task_id))}


def audit_rows(after_id):
    db.session.expire_all()
    return [(r.action, r.entity, r.summary, r.user_id, r.org_id,
             {k: v for k, v in r.changes.items() if k != "id"})  # a new mark's id differs from run to run
            for r in db.session.scalars(select(AuditLog).where(AuditLog.id > after_id, AuditLog.entity == "mark")
                                        .order_by(AuditLog.id))]


def last_audit_id():
    return db.session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)) or 0


def test_a_teachers_marks_are_saved_in_a_few_statements_as_the_general_path_saves_them(lean, browser, monkeypatch):
    world, _, assignment, task_id, _ = lean
    a = world.a
    version = marks_of(task_id)[a.student.id][2]
    stamped = db.session.scalar(select(Mark.updated_at).where(Mark.task_id == task_id))
    b = browser()
    b.login("a.teacher")
    marks = [{"task_id": task_id, "student_id": a.student.id, "value": "5", "comment": "у доски", "version": version},
             {"task_id": task_id, "student_id": a.classmate.id, "value": "3", "comment": "", "version": None}]
    start = last_audit_id()
    aid, pid = assignment.id, a.period.id  # loaded before the count
    with count_queries() as statements:
        resp = post(b, aid, pid, marks)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json() == {"ok": True, "message": "Журнал сохранён.", "conflict": False,
                               "redirect": f"/journal/{assignment.id}/?period={a.period.id}"}
    assert len(statements) <= BUDGET + 1, "\n".join(statements)  # + the new mark's INSERT
    lean_marks, lean_audit = marks_of(task_id), audit_rows(start)

    # the same save again from the same state, by the general path: the same rows and the same audit
    db.session.execute(update(Mark).where(Mark.task_id == task_id, Mark.student_id == a.student.id)
                       .values(value="4", comment=None, version=version, updated_by_id=None, updated_at=stamped))
    db.session.execute(Mark.__table__.delete().where(Mark.task_id == task_id, Mark.student_id == a.classmate.id))
    db.session.commit()
    monkeypatch.setattr(marks_save, "applies", lambda actor, payload: False)
    start = last_audit_id()
    with count_queries() as general:
        resp = post(b, aid, pid, marks)
    assert resp.status_code == 200 and resp.get_json()["ok"]
    assert len(general) > len(statements)
    assert marks_of(task_id) == lean_marks
    assert audit_rows(start) == lean_audit
    assert [r[0] for r in lean_audit] == ["insert", "update"]
    assert lean_audit[1][5]["value"] == ["4", "5"] and lean_audit[1][5]["version"] == [version, version + 1]


def test_one_changed_mark_costs_the_budget(lean, browser):
    world, _, assignment, task_id, _ = lean
    a = world.a
    version = marks_of(task_id)[a.student.id][2]
    b = browser()
    b.login("a.teacher")
    aid, pid, sid = assignment.id, a.period.id, a.student.id
    with count_queries() as statements:
        resp = post(b, aid, pid,
                    [{"task_id": task_id, "student_id": sid, "value": "2", "comment": "", "version": version}])
    assert resp.status_code == 200 and resp.get_json()["ok"]
    assert len(statements) <= BUDGET, "\n".join(statements)
    assert marks_of(task_id)[a.student.id][:3] == ("2", None, version + 1)


def test_every_rule_still_answers_through_the_lean_path(lean, browser):
    world, subject, assignment, task_id, future_task_id = lean
    a = world.a
    version = marks_of(task_id)[a.student.id][2]
    b = browser()
    b.login("a.teacher")

    def one(value="5", v=version, student=None, task=None):
        return post(b, assignment.id, a.period.id, [{"task_id": task or task_id, "value": value, "comment": "",
                                                     "student_id": (student or a.student).id, "version": v}])

    resp = one(v=version - 1 if version > 1 else version + 7)  # a stale version: 409
    assert resp.status_code == 409 and resp.get_json()["conflict"]
    resp = one(value="7")  # not a mark
    assert resp.status_code == 400 and "недопустимая отметка" in resp.get_json()["message"]
    resp = one(student=a.stranger, v=None)  # not in the class
    assert resp.status_code == 400 and "не числится" in resp.get_json()["message"]
    resp = one(task=future_task_id, v=None)  # a lesson not given yet
    assert resp.status_code == 400 and "урок ещё не проведён" in resp.get_json()["message"]
    # another teacher may not write this journal
    other = browser()
    other.login("a.class_teacher")
    resp = post(other, assignment.id, a.period.id,
                [{"task_id": task_id, "student_id": a.student.id, "value": "5", "comment": "", "version": version}])
    assert resp.status_code in (403, 404)
    assert marks_of(task_id)[a.student.id][:3] == ("4", None, version)

    # a period mark set closes the student's marks to the teacher
    jr_period_mark(a.student, subject, a.period, "4")
    db.session.commit()
    resp = one()
    assert resp.status_code == 400 and "отметка за период уже выставлена" in resp.get_json()["message"]
    resp = one(student=a.classmate, v=None)  # his classmate without one: open
    assert resp.status_code == 200 and resp.get_json()["ok"]

    # a closed period takes nothing
    db.session.execute(update(Period).where(Period.id == a.period.id).values(is_closed=True))
    db.session.commit()
    cm_version = marks_of(task_id)[a.classmate.id][2]
    resp = one(student=a.classmate, value="2", v=cm_version)
    assert resp.status_code == 400 and "закрыт" in resp.get_json()["message"]
    assert marks_of(task_id)[a.classmate.id][:3] == ("5", None, cm_version)


def test_a_mark_changed_between_the_check_and_the_update_is_a_conflict(lean, browser, monkeypatch):
    """The batch's UPDATE is conditional (`WHERE id = … AND version = …`): a row that moved after the
    checks read it leaves the count short — 409, nothing saved."""
    world, _, assignment, task_id, _ = lean
    a = world.a
    version = marks_of(task_id)[a.student.id][2]
    checked = marks_save._LeanSave._checked

    def moved(self):
        result = checked(self)
        self.connection.execute(Mark.__table__.update().where(Mark.__table__.c.task_id == task_id)
                                .values(version=Mark.__table__.c.version + 1))
        return result

    monkeypatch.setattr(marks_save._LeanSave, "_checked", moved)
    b = browser()
    b.login("a.teacher")
    start = last_audit_id()
    resp = post(b, assignment.id, a.period.id,
                [{"task_id": task_id, "student_id": a.student.id, "value": "5", "comment": "", "version": version}])
    assert resp.status_code == 409 and resp.get_json()["conflict"]
    assert marks_of(task_id)[a.student.id][:3] == ("4", None, version)
    assert audit_rows(start) == []


def test_the_checks_with_the_row_condition_are_built_once_per_teachers_facts(lean, monkeypatch):
    """The permission table's row condition of the checks is built once per the facts it reads (the staff card,
    the classes led, the organization, the grants), never shared between two teachers; a row rule the cache does
    not know is built anew for every save."""
    monkeypatch.setattr(marks_save, "_CHECKS", {})
    teacher = actor_of("a.teacher")
    first = marks_save._checks_for(teacher)
    assert marks_save._checks_for(actor_of("a.teacher")) is first
    other = actor_of("a.teacher")
    other.staff_id = teacher.staff_id + 1000
    theirs = marks_save._checks_for(other)
    assert theirs is not first
    assert other.staff_id in theirs.compile().params.values()
    assert other.staff_id not in first.compile().params.values()
    monkeypatch.setattr(marks_save, "_CHECKS", {})
    monkeypatch.setattr(marks_save, "_ROW_FACTS", {None: ()})
    assert marks_save._checks_for(teacher) is not marks_save._checks_for(teacher) and marks_save._CHECKS == {}
