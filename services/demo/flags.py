"""«Отметка ошибочна» in the demo (issue 16.4): the demo parent has flagged one of the demo student's marks (his
lowest recent one) with a comment; the flag waits for the teacher's answer on his start page and the grid."""
from sqlalchemy import select

from models import Lesson, Mark, MarkFlag, MarkFlagStatus, Task, db

COMMENT = ("Сын говорит, что на уроке отвечал у доски и получил «4», а в дневнике стоит другая отметка. "
           "Проверьте, пожалуйста.")


def create_flags_demo(student, parent, today):
    """One open flag by `parent` on a mark of `student` given by today; nothing when he has no marks."""
    if parent.user_id is None:
        return None
    row = db.session.execute(
        select(Mark, Lesson.id, Lesson.assignment_id).join(Task, Task.id == Mark.task_id)
        .join(Lesson, Lesson.id == Task.lesson_id)
        .where(Mark.student_id == student.id, Lesson.date <= today, Mark.value.in_(("2", "3")))
        .order_by(Lesson.date.desc(), Mark.id.desc()).limit(1)).first()
    if row is None:
        return None
    mark, lesson_id, assignment_id = row
    flag = MarkFlag(org_id=mark.org_id, mark_id=mark.id, student_id=student.id, lesson_id=lesson_id,
                    assignment_id=assignment_id, mark_value=mark.value, mark_version=mark.version or 1,
                    flagged_by_id=parent.user_id, comment=COMMENT, status=MarkFlagStatus.OPEN)
    db.session.add(flag)
    db.session.flush()
    return flag
