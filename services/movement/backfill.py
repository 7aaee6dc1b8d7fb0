"""The class history of students created before the movement book."""
from sqlalchemy import select

from models import AcademicYear, ClassMembership, SchoolClass, Student, db
from services import dates
from services.movement._common import ONE_DAY, STUDYING
from services.movement.guards import book_writes


def backfill_memberships(org_id=None, today=None):
    """Open the class history of every student who has a class but no history (cards made before
    the movement book): from his enrollment order date (not before the class's year), still open if
    he studies; for a withdrawn or graduated card, closed on the last day known. Idempotent."""
    # Without `org_id` (installation-wide: every organization's cards) the default zone is kept.
    today = today or dates.today(org_id)
    query = select(Student, SchoolClass, AcademicYear).join(SchoolClass, SchoolClass.id == Student.class_id) \
        .join(AcademicYear, AcademicYear.id == SchoolClass.year_id) \
        .where(~select(ClassMembership.id).where(ClassMembership.student_id == Student.id).exists())
    if org_id is not None:
        query = query.where(Student.org_id == org_id)
    made = 0
    with book_writes():
        for student, klass, year in db.session.execute(query.order_by(Student.id)).all():
            start = max(student.enrollment_order_date or year.start_date, year.start_date)
            end = None
            if student.status != STUDYING:
                end = max(start, min(year.end_date, today - ONE_DAY))
            db.session.add(ClassMembership(org_id=student.org_id, student_id=student.id, class_id=klass.id,
                                           start_date=start, end_date=end))
            made += 1
        db.session.flush()
    return made
