"""A small save through the page (the load test's request: one or two changed marks of a lesson)
costs a fixed, small number of statements (issue 7: saves under load). Before this was cut it was
17 for one mark on SQLite: the assignment read twice (the page and the service), the students
read twice (by id, then with the class roster), the staff card's roles in a query of their own, and
the user read again after the commit by the response's Cache-Control header."""
import json
from datetime import date

from sqlalchemy import func, select

from models import AuditLog, Mark, db
from tests.factories import jr_assignment, jr_lessons, jr_mark, jr_subject, jr_task
from tests.querycount import count_queries

# user; actor (cards + roles + classes); then the lean path (services/journal/marks_save.py, issue 20.4):
# the gates (PostgreSQL: the period's and the student's period-mark advisory locks in one statement; SQLite:
# one no-op UPDATE, the database write lock); the checks in one statement; one conditional UPDATE of the
# batch; one INSERT of the audit rows. (The general path: 13.)
BUDGET = 6


def test_a_one_mark_save_costs_a_fixed_small_number_of_statements(world, browser):
    a = world.a
    subject = jr_subject(a.org, "Математика", "marks")
    assignment = jr_assignment(a.org, a.year, a.klass, a.teacher, subject)
    lesson = jr_lessons(assignment, a.period, [date(2026, 11, 9)])[0]
    task = jr_task(lesson)
    mark = jr_mark(task, a.student, "4")
    db.session.commit()
    mark_id, version, student_id, task_id, period_id = mark.id, mark.version, a.student.id, task.id, a.period.id
    assignment_id = assignment.id
    audit_before = db.session.scalar(select(func.count(AuditLog.id)))
    b = browser()
    b.login("a.teacher")
    payload = {"marks": [{"task_id": task_id, "student_id": student_id, "value": "5", "comment": "",
                          "version": version}]}
    with count_queries() as statements:
        resp = b.post(f"/journal/{assignment_id}/save", data={"payload": json.dumps(payload), "period_id": period_id},
                      headers={"X-Requested-With": "fetch"})
    assert resp.status_code == 200 and resp.get_json()["ok"], resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "no-store"
    assert len(statements) <= BUDGET, "\n".join(statements)
    db.session.expire_all()
    assert db.session.get(Mark, mark_id).value == "5"
    assert db.session.get(Mark, mark_id).version == version + 1
    assert db.session.scalar(select(func.count(AuditLog.id))) == audit_before + 1  # the change is audited

    # a stale version is still refused (the version check did not go away with the statements)
    resp = b.post(f"/journal/{assignment_id}/save", data={"payload": json.dumps(payload), "period_id": period_id},
                  headers={"X-Requested-With": "fetch"})
    assert resp.status_code == 409 and resp.get_json()["conflict"]
