"""The whole organization's journal archive as a background job in the application's process.

A large institution's archive takes minutes (every class's year of lessons and marks), longer than a
page may hold a worker and a database connection. So the page starts a thread with its own
application context; it writes each class's workbook into one zip under
`instance/archive/<job>/` (`ARCHIVE_DIR`) and, after each class, `status.json` (done / total / the class being
written). The page polls that status through a small JSON endpoint (static/archive.js) and offers
the zip when it is done. The status lives in a file, not in memory, so any worker process of the
server answers the poll and the download; a job whose process ended mid-way stays «running» with its
last class shown — starting it again is safe. Old jobs are removed when a new one starts
(`KEEP_DAYS`).
"""
import json
import os
import re
import shutil
import threading
import uuid
from datetime import timedelta
from pathlib import Path

from flask import current_app
from models import AcademicYear, User, db, scope
from reports import journal_archive as archive
from reports.document import slug
from services import clock, uow
from services.context import Actor
from services.database import long_statements

KEEP_DAYS = 7
JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def _root():
    """Where the jobs live: `ARCHIVE_DIR`, by default instance/archive."""
    return Path(current_app.config.get("ARCHIVE_DIR") or Path(current_app.instance_path) / "archive")


def _write_status(folder, status):
    tmp = folder / "status.json.tmp"
    tmp.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / "status.json")


def start(actor, year, today):
    """Start the archive of every class of `year` for the actor (who may: `organization_classes`
    checks); returns the job's id."""
    classes = archive.organization_classes(actor, year)
    _prune()
    job_id = uuid.uuid4().hex
    folder = _root() / job_id
    folder.mkdir(parents=True)
    status = {"state": "running", "done": 0, "total": len(classes), "current": "", "error": "",
              "org_id": actor.org_id, "user_id": actor.user_id, "year": year.name,
              "started": clock.utcnow().isoformat(timespec="seconds"),
              "file": f"{slug('zhurnaly', actor.org.short_name, year.name)}.zip"}
    _write_status(folder, status)
    app = current_app._get_current_object()
    thread = threading.Thread(target=_run, name=f"archive-{job_id[:8]}", daemon=True,
                              args=(app, folder, status, actor.user_id, actor.org_id, year.id,
                                    [c.id for c in classes], today))
    thread.start()
    return job_id


def _run(app, folder, status, user_id, org_id, year_id, class_ids, today):
    with app.app_context():
        try:
            with uow.unit():  # the job's own unit of work, apart from the request that started it
                user = db.session.get(User, user_id) if user_id else None
                actor = Actor.for_user(user, org_id) if user is not None else None
                year = db.session.get(AcademicYear, year_id)
                classes = [c for c in archive.organization_classes(actor, year) if c.id in set(class_ids)]

                def progress(done, total, name):
                    status.update(done=done, current=name)
                    _write_status(folder, status)

                with long_statements(), scope.organization(org_id):
                    partial = folder / "archive.zip.part"
                    archive.write_zip(partial, archive.each_class_workbook(actor, year, classes, progress, today))
                os.replace(partial, folder / "archive.zip")
            status.update(state="done", current="")
        except Exception as exc:  # the page shows it; the log keeps the traceback (the unit rolled back)
            app.logger.exception("journal archive failed")
            status.update(state="error", error=str(exc) or exc.__class__.__name__)
        finally:
            _write_status(folder, status)
            db.session.remove()


def status(actor, job_id):
    """The job's status for the actor, or None when there is no such job of his organization."""
    if not JOB_ID.match(job_id or ""):
        return None
    path = _root() / job_id / "status.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("org_id") == actor.org_id else None


def result_path(actor, job_id):
    """The finished zip of the job (and its file name), or None."""
    data = status(actor, job_id)
    if data is None or data["state"] != "done":
        return None
    return _root() / job_id / "archive.zip", data["file"]


def latest(actor):
    """The id of the organization's most recent job (shown when the page is opened again), or None."""
    root = _root()
    found = []
    for folder in root.iterdir() if root.is_dir() else ():
        data = status(actor, folder.name)
        if data is not None:
            found.append((str(data.get("started", "")), folder.name))
    return max(found)[1] if found else None


def _prune():
    """Remove the finished jobs started more than KEEP_DAYS ago."""
    root = _root()
    limit = (clock.utcnow() - timedelta(days=KEEP_DAYS)).isoformat(timespec="seconds")
    for folder in root.iterdir() if root.is_dir() else ():
        try:
            data = json.loads((folder / "status.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("state") != "running" and str(data.get("started", "")) < limit:
            shutil.rmtree(folder, ignore_errors=True)


__all__ = ["start", "status", "result_path", "latest"]
