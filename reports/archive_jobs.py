"""The whole organization's journal archive as a background job (services/jobs/, kind "journal-archive").

A large institution's archive takes minutes (every class's year of lessons and marks), longer than a page may
hold a worker and a database connection. The page enqueues the job; a worker (RQ, or a thread of the app's
process without Redis) writes each class's workbook into one zip and reports its progress after each class
into the job's row. The page polls the status through a small JSON endpoint (static/archive.js) and offers
the zip, kept in the job's result, when it is done. The job is its starter's: another user's id is «не найден».
"""
import io
import json

from models import AcademicYear, db
from reports import journal_archive as archive
from reports.document import slug
from services import dates
from services.jobs import core as jobs
from services.jobs.registry import Result, job_kind

KIND = "journal-archive"


@job_kind(KIND, title="Архив журналов всех классов", retries=2)
def _archive(ctx, actor, params):
    year = db.session.get(AcademicYear, params["year_id"])
    classes = archive.organization_classes(actor, year)  # the right is checked again when the job runs
    today = dates.parse_date(params["today"]) if params.get("today") else dates.today(actor.org)
    ctx.progress(0, len(classes), "")
    buffer = io.BytesIO()
    archive.write_zip(buffer, archive.each_class_workbook(actor, year, classes, ctx.progress, today))
    return Result(params["file"], "application/zip", buffer.getvalue())


def start(actor, year, today):
    """Start the archive of every class of `year` for the actor (who may: `organization_classes`
    checks); returns the job's id."""
    classes = archive.organization_classes(actor, year)
    file = f"{slug('zhurnaly', actor.org.short_name, year.name)}.zip"
    return jobs.enqueue(actor, KIND, {"year_id": year.id, "year": year.name, "today": today.strftime("%d.%m.%Y"),
                                      "file": file, "classes": len(classes)},
                        title=f"Архив журналов всех классов за {year.name}")


def status(actor, job_id):
    """The job's status as the page knows it (state running / done / error), or None when it is not the
    actor's archive job."""
    job = jobs.own(actor, job_id)
    if job is None or job.kind != KIND:
        return None
    params = json.loads(job.params)
    state = {"done": "done", "failed": "error"}.get(job.state, "running")
    total = job.progress_total or params.get("classes", 0)
    return {"state": state, "done": job.progress_done, "total": total, "current": job.progress_text,
            "error": job.error, "year": params.get("year", ""), "file": params.get("file", "")}


def result(actor, job_id):
    """The finished zip (its JobResult row), or None."""
    job = jobs.own(actor, job_id)
    if job is None or job.kind != KIND:
        return None
    return jobs.result_of(actor, job_id)


def latest(actor):
    """The id of the actor's most recent archive job (shown when the page is opened again), or None."""
    job = jobs.latest(actor, KIND)
    return job.id if job is not None else None


__all__ = ["start", "status", "result", "latest", "KIND"]
