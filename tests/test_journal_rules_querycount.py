"""Saving a whole grid is one transaction with a bounded number of statements, whatever its size:
no statement per cell (issue 4, performance budget)."""
from sqlalchemy import func, select

from models import Attendance, Mark, db
from services.journal.grid_save import save_entries
from tests.factories import actor_of
from tests.journal_rules_fixtures import big_class, journal_world, new_task
from tests.querycount import count_queries

BUDGET = 25  # statements for a 30 × 10 grid; a statement per cell would be over 300
# A changed lesson (or task) is one UPDATE … WHERE version = … of its own: SQLAlchemy's version
# counter (models.org.Versioned) checks each row's count, so versioned rows are never batched.
PER_LESSON = 1


def grid_payload(ns, big, value):
    tasks, marks, attendance, lessons = [], [], [], []
    for n, lesson in enumerate(big.lessons):
        key = f"L{lesson.id}"
        tasks.append(new_task(ns, lesson, key))
        lessons.append({"lesson_id": lesson.id, "topic": f"Тема урока {n + 1}", "homework": f"§ {n + 1}"})
        for i, student in enumerate(big.students):
            marks.append({"task_key": key, "student_id": student.id, "value": value(n, i), "version": None})
            if (n + i) % 7 == 0:
                attendance.append({"lesson_id": lesson.id, "student_id": student.id, "code": "н", "version": None})
    return {"lessons": lessons, "tasks": tasks, "marks": marks, "attendance": attendance}


def test_saving_a_whole_grid_costs_a_bounded_number_of_statements(world):
    ns = journal_world(world)
    big = big_class(ns)
    teacher = actor_of("a.big_teacher")
    payload = grid_payload(ns, big, lambda n, i: str(5 - (n + i) % 3))
    with count_queries() as statements:
        result = save_entries(teacher, big.assignment.id, payload)
    assert result.counts["marks_created"] == 300
    assert len(statements) <= BUDGET + PER_LESSON * len(big.lessons), "\n".join(statements)
    assert db.session.scalar(select(func.count(Mark.id))) == 300
    attendance = db.session.scalar(select(func.count(Attendance.id)))

    # Changing every mark of the grid again: updates, also without a statement per cell.
    changes = [{"task_id": task_id, "student_id": student.id, "value": "2", "version": 1,
                "comment": "пересдача" if i % 5 == 0 else None}
               for task_id in result.task_ids.values() for i, student in enumerate(big.students)]
    with count_queries() as statements:
        again = save_entries(teacher, big.assignment.id, {"marks": changes})
    assert again.counts["marks_changed"] == 300
    assert len(statements) <= BUDGET, "\n".join(statements)
    assert set(again.versions["marks"].values()) == {2}
    assert attendance > 0
