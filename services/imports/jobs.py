"""An uploaded import file kept on the server between its preview and «Загрузить» (the page «Импорт и выгрузка
данных»): the client never sends a path or the file again, only the job's random id, and a job is found only
for the user and the organization that uploaded it.

A job is a folder `IMPORT_DIR/<32 hex>/` (default instance/imports): `upload.bin` (the bytes as uploaded,
already bounded by services/uploads.py), `job.json` (who, which kind, when, the preview or the result:
summary, bad rows, changes) and, while it is applied, `progress.json` (rows done of all), which the page
polls. Jobs older than KEEP_HOURS are removed when a new one is made.
"""
import json
import os
import re
import shutil
import uuid
from datetime import timedelta
from pathlib import Path

from flask import current_app

from services import clock

KEEP_HOURS = 24
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
CHECKED, APPLYING, APPLIED, REFUSED = "checked", "applying", "applied", "refused"


def _root():
    return Path(current_app.config.get("IMPORT_DIR") or Path(current_app.instance_path) / "imports")


def _write(folder, name, data):
    tmp = folder / f"{name}.tmp"
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / name)


def _preview_data(preview):
    return {"rows": preview.rows, "summary": preview.summary(), "applied": preview.applied,
            "counts": [[what, action, n] for (what, action), n in preview.counts().items()],
            "errors": [[e.row, e.column, e.message] for e in preview.errors],
            "changes": [[c.action, c.what, c.label, c.row, c.detail] for c in preview.changes]}


def create(actor, kind, filename, data, preview):
    """Keep the uploaded file and its preview; returns the job's id."""
    _prune()
    job_id = uuid.uuid4().hex
    folder = _root() / job_id
    folder.mkdir(parents=True)
    (folder / "upload.bin").write_bytes(data)
    _write(folder, "job.json", {"org_id": actor.org_id, "user_id": actor.user_id, "kind": kind,
                                "filename": (filename or "")[:200], "state": CHECKED,
                                "started": clock.utcnow().isoformat(timespec="seconds"), **_preview_data(preview)})
    return job_id


def load(actor, job_id):
    """The job of this user in this organization, or None (no such job, or another's)."""
    if not JOB_ID.match(job_id or ""):
        return None
    try:
        job = json.loads((_root() / job_id / "job.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if job.get("org_id") != actor.org_id or job.get("user_id") != actor.user_id:
        return None
    return job


def data(actor, job_id):
    """The uploaded bytes of the actor's job (None when it is not his)."""
    if load(actor, job_id) is None:
        return None
    return (_root() / job_id / "upload.bin").read_bytes()


LOCK = "apply.lock"


def claim(actor, job_id):
    """Take the actor's job for applying, atomically (the lock file is created only if it does not exist: two
    «Загрузить» at once — a double click, two tabs, two workers — and only one applies; the database's row
    locks can't say it, SQLite has none). Returns the job, or None when it is not his, is applied already, or
    is being applied now. The lock stays after a successful apply (the job is then «applied» for good);
    `release` frees it when the apply did not go through."""
    job = load(actor, job_id)
    if job is None or job.get("state") == APPLIED:
        return None
    try:
        handle = os.open(_root() / job_id / LOCK, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return None
    os.close(handle)
    job = load(actor, job_id)  # its state after the lock: another apply may have finished just before
    if job is None or job.get("state") == APPLIED:
        return None
    record(actor, job_id, APPLYING)
    return job


def release(job_id):
    """The job may be applied again (the apply was refused or failed; its state says why)."""
    if JOB_ID.match(job_id or ""):
        try:
            os.unlink(_root() / job_id / LOCK)
        except FileNotFoundError:
            pass


def record(actor, job_id, state, preview=None, message="", background=None):
    """The job's new state, with the result's preview (applied, or the bad rows that stopped it);
    `background`: the id of the background job applying it (services/imports/background.py)."""
    job = load(actor, job_id)
    if job is None:
        return
    job.update(state=state, message=message)
    if background is not None:
        job["background"] = background
    if preview is not None:
        job.update(_preview_data(preview))
    _write(_root() / job_id, "job.json", job)


def progress_writer(job_id, every=50):
    """progress(done, total) for core.run: writes progress.json at most every `every` rows (and at the end)."""
    folder = _root() / job_id
    last = [-every]

    def progress(done, total):
        if done - last[0] >= every or done >= total:
            last[0] = done
            _write(folder, "progress.json", {"done": done, "total": total})
    return progress


def progress(actor, job_id):
    """{"state", "done", "total"} of the actor's job, or None."""
    job = load(actor, job_id)
    if job is None:
        return None
    try:
        figures = json.loads((_root() / job_id / "progress.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        figures = {"done": 0, "total": job.get("rows", 0)}
    return {"state": job["state"], "done": figures.get("done", 0), "total": figures.get("total", 0)}


def _prune():
    root = _root()
    limit = (clock.utcnow() - timedelta(hours=KEEP_HOURS)).isoformat(timespec="seconds")
    # a job left «applying» by a worker that died (its lock never released) goes a day later than the others
    stuck = (clock.utcnow() - timedelta(hours=2 * KEEP_HOURS)).isoformat(timespec="seconds")
    for folder in root.iterdir() if root.is_dir() else ():
        try:
            job = json.loads((folder / "job.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if str(job.get("started", "")) < (stuck if job.get("state") == APPLYING else limit):
            shutil.rmtree(folder, ignore_errors=True)
