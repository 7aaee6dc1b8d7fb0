"""The demo's printed reports on request (seed 001 §8.12): in the demo class teacher's class (classes[1]) one
parent asked in writing, ten days ago, for the weekly printed progress report of her child; the request is in
force, so «Заявления на бумажный отчёт» lists it and the week's print has a student. Recorded through the
service as the system actor, inside the demo's one transaction."""
from datetime import timedelta

from sqlalchemy import select

from models import Student, StudentStatus, db
from services import dates
from services.context import Actor
from services.journal import paper_reports
from services.terms import for_kind


def create_paper_reports_demo(org, year, classes, today):
    if len(classes) < 2 or today < year.start_date:
        return None
    students = db.session.scalars(select(Student).where(Student.class_id == classes[1].id,
                                                        Student.status == StudentStatus.STUDYING.value)
                                  .order_by(Student.id)).all()
    # Not the demo student (his parent uses the electronic diary): the next one with a parent.
    student = next((s for s in students[1:] if s.parents), None)
    if student is None:
        return None
    requested = max(year.start_date, min(today, dates.today(org), year.end_date) - timedelta(days=10))
    if requested > dates.today(org):
        return None
    return paper_reports.add_request(Actor.system_actor(org), student.id, student.parents[0].id, requested,
                                     note=for_kind("Заявление принято классным руководителем", org))
