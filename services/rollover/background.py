"""The rollover's heavy steps as background jobs (kind "rollover-step", services/jobs/): step 4 (every class's
year-end orders built and applied: a card, a stay and a history row per student) and step 5 (every curriculum and
teaching assignment carried) of an organization with more than `ROLLOVER_BACKGROUND_STUDENTS` students in the
closing year (config, default 1500). The job calls the same step functions, which keep their own transactions
(`uow.step`), the year's lock and their idempotence: a job that failed or a second one finds nothing done twice.
A smaller school runs them in the request, as it always did. Steps 1–3 stay in the request (a check, a close
under a typed confirmation, a calendar copied: seconds at most)."""
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from models import AcademicYear, SchoolClass, Student, StudentStatus, db
from services import dates
from services.errors import DomainError
from services.jobs import core as jobs
from services.jobs.registry import job_kind
from services.rollover import year as rollover

KIND = "rollover-step"
HEAVY = (4, 5)
DEFAULT_STUDENTS = 1500


def in_background(year, number):
    """Whether step `number` of `year` runs as a background job (a heavy step of a large organization)."""
    limit = current_app.config.get("ROLLOVER_BACKGROUND_STUDENTS", DEFAULT_STUDENTS)
    if number not in HEAVY or limit is None:
        return False
    students = db.session.scalar(select(func.count(Student.id)).join(SchoolClass, SchoolClass.id == Student.class_id)
                                 .where(SchoolClass.year_id == year.id,
                                        Student.status == StudentStatus.STUDYING.value)) or 0
    return students > int(limit)


def start(actor, year, number, order_number="", order_date=None):
    """Enqueue step `number` of `year` for the actor (who may run it: checked now and when it runs)."""
    rollover.state(actor, year)  # the year reachable by the actor, or the refusal now
    params = {"year_id": year.id, "step": number, "order_number": order_number or "",
              "order_date": dates.format_date(order_date) if isinstance(order_date, date) else ""}
    return jobs.enqueue(actor, KIND, params, title=f"Переход на новый год {year.name}: шаг {number} "
                                                    f"«{rollover.STEPS[number]}»")


def latest(actor, year, number):
    """The actor's most recent job of this step of this year, or None."""
    for job in jobs.own_jobs_of_kind(actor, KIND):
        params = jobs.params_of(job)
        if params.get("year_id") == year.id and params.get("step") == number:
            return job
    return None


@job_kind(KIND, title="Переход на новый учебный год", retries=1, writes=True)
def _run_step(ctx, actor, params):
    year = db.session.get(AcademicYear, params["year_id"])
    number = int(params["step"])
    if year is None or number not in HEAVY:
        raise DomainError("Учебный год не найден или недоступен.")
    ctx.progress(0, 1, rollover.STEPS[number])
    if number == 4:
        result = rollover.transfer_students(actor, year, params.get("order_number") or "",
                                            dates.parse_date(params.get("order_date") or ""))
    else:
        result = rollover.copy_planning(actor, year)
    ctx.progress(1, 1, getattr(result, "summary", "") or "")
    return None
