"""«Отметка ошибочна» in the demo (issue 16.4): the demo parent has flagged one of the demo student's marks (his
lowest recent one) with a comment; the flag waits for the teacher's answer on his start page and the grid."""
from sqlalchemy import select

from models import Lesson, Mark, Task, User, db
from services.context import Actor
from services.journal import flags

COMMENT = ("Сын говорит, что на уроке отвечал у доски и получил «4», а в дневнике стоит другая отметка. "
           "Проверьте, пожалуйста.")


def create_flags_demo(student, parent, today):
    """One open flag by `parent` on a mark of `student` given by today; nothing when he has no marks."""
    if parent.user_id is None:
        return None
    mark_id = db.session.scalar(
        select(Mark.id).join(Task, Task.id == Mark.task_id).join(Lesson, Lesson.id == Task.lesson_id)
        .where(Mark.student_id == student.id, Lesson.date <= today, Mark.value.in_(("2", "3")))
        .order_by(Lesson.date.desc(), Mark.id.desc()).limit(1))
    if mark_id is None:
        return None
    # as the parent would flag it from the diary: the service's rules, its audit
    return flags.flag_mark(Actor.for_user(db.session.get(User, parent.user_id)), mark_id, COMMENT)
