"""«Архив журналов» (issue 13.8): a class's whole journal for a year as a printable .xlsx, and — for the
administration — every class's at once, built as a background job (reports/archive_jobs.py, services/jobs/) while the
page shows its progress (static/archive.js polls the status)."""
import io

from flask import abort, jsonify, redirect, send_file, url_for
from flask_admin import expose
from sqlalchemy import select

from admin_views.base import SecurePage, requires
from admin_views.forms import PageForm, TextField
from admin_views.journal.grid import JOURNAL
from models import AcademicYear, SchoolClass, db
from reports import archive_jobs, parameters
from reports import journal_archive as archive
from reports.xlsx import XLSX_MIME
from services import dates, permissions
from services.errors import DomainError, PermissionDenied


class ArchiveQuery(PageForm):
    """The year (by name, in the query string or the form), the background job shown, the message of a
    refused class file, the class whose file is asked for."""

    year = TextField(source="values")
    job = TextField()
    error = TextField()
    klass = TextField(name="class")


class ArchivePage(SecurePage):
    view_key = archive.VIEW_KEY
    needs_organization = True

    def _year(self):
        try:
            return parameters.pick_year(self.actor, ArchiveQuery.from_args().year.data, dates.today(self.actor.org))
        except DomainError:
            abort(404)

    @requires("list", rows=SchoolClass)
    @expose("/")
    def index(self):
        year = self._year()
        years = db.session.scalars(select(AcademicYear).order_by(AcademicYear.start_date.desc())).all()
        can_all = permissions.allowed(self.actor, self.view_key, "all")
        query = ArchiveQuery.from_args()
        job_id = query.job.data or (archive_jobs.latest(self.actor) if can_all else None)
        job = archive_jobs.status(self.actor, job_id) if job_id else None
        return self.render("archive/index.html", year=year, years=years,
                           classes=archive.reachable_classes(self.actor, year), can_all=can_all,
                           job=job, job_id=job_id if job else None, error=query.error.data)

    @requires("list", rows=SchoolClass)
    @expose("/class")
    def class_file(self):
        year = self._year()
        try:
            klass = archive.find_class(self.actor, year, ArchiveQuery.from_args().klass.data or "")
        except DomainError as exc:
            return redirect(url_for(".index", year=year.name, error="; ".join(exc.errors)))
        name, content = archive.class_workbook(self.actor, year, klass)
        response = send_file(io.BytesIO(content), mimetype=XLSX_MIME, as_attachment=True, download_name=name)
        response.headers["Cache-Control"] = "no-store"
        return response

    @requires("list", rows=SchoolClass)  # "all": archive_jobs.start refuses (403) the others
    @expose("/all", methods=("POST",))
    def start_all(self):
        year = self._year()
        try:
            job_id = archive_jobs.start(self.actor, year, dates.today(self.actor.org))
        except PermissionDenied:
            abort(403)
        return redirect(url_for(".index", year=year.name, job=job_id))

    @requires("list", rows=SchoolClass)
    @requires("all", denied=404)
    @expose("/status/<job_id>")
    def job_status(self, job_id):
        job = archive_jobs.status(self.actor, job_id)
        if job is None or not permissions.allowed(self.actor, self.view_key, "all"):
            abort(404)
        body = {k: job[k] for k in ("state", "done", "total", "current", "error")}
        if job["state"] == "done":
            body["download"] = url_for(".download", job_id=job_id)
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        return response

    @requires("list", rows=SchoolClass)
    @requires("all", denied=404)
    @expose("/download/<job_id>")
    def download(self, job_id):
        found = archive_jobs.result(self.actor, job_id)
        if found is None or not permissions.allowed(self.actor, self.view_key, "all"):
            abort(404)
        response = send_file(io.BytesIO(found.content), mimetype=found.mime, as_attachment=True,
                             download_name=found.file_name)
        response.headers["Cache-Control"] = "no-store"
        return response


def pages():
    return [ArchivePage(name="Архив журналов", category=JOURNAL, endpoint="journal_archive", url="/journal-archive")]
