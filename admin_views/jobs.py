"""«Мои задания» (issue 20.2): the signed-in user's background jobs (services/jobs/) — state, progress (polled
by static/jobs.js through `status`), the result kept for download, the Russian error, «Повторить» for a failed
one. Only the owner's: another user's job is 404, as one that does not exist. `templates/jobs/_progress.html`
is the progress block a page that starts a job includes."""
import io

from flask import abort, flash, jsonify, redirect, send_file, url_for
from flask_admin import expose

from admin_views.base import SecurePage, requires
from services.errors import DomainError
from services.jobs import core as jobs


def status_body(job):
    """The JSON a progress block polls (the download link when the result is there)."""
    body = jobs.status(job)
    if job.state == jobs.DONE:
        body["download"] = url_for("jobs.download", job_id=job.id)
    return body


class JobsPage(SecurePage):
    """Reached from the menu under the user's name (templates/layout.html), not the main menu."""

    view_key = "jobs"

    def is_visible(self):
        return False

    @requires("list")
    @expose("/")
    def index(self):
        return self.render("jobs/index.html", rows=jobs.own_jobs(self.actor), labels=jobs.STATE_LABELS)

    @requires("list")
    @expose("/status/<job_id>")
    def status(self, job_id):
        job = jobs.own(self.actor, job_id)
        if job is None:
            abort(404)
        response = jsonify(status_body(job))
        response.headers["Cache-Control"] = "no-store"
        return response

    @requires("list")
    @expose("/download/<job_id>")
    def download(self, job_id):
        result = jobs.result_of(self.actor, job_id)
        if result is None:
            abort(404)
        response = send_file(io.BytesIO(result.content), mimetype=result.mime, as_attachment=True,
                             download_name=result.file_name)
        response.headers["Cache-Control"] = "no-store"
        return response

    @requires("retry")
    @expose("/retry/<job_id>", methods=("POST",))
    def retry(self, job_id):
        try:
            if jobs.retry(self.actor, job_id) is None:
                abort(404)
        except DomainError as exc:
            flash(str(exc), "error")
        else:
            flash("Задание поставлено в очередь повторно.", "success")
        return redirect(url_for(".index"))


def pages():
    return [JobsPage(name="Мои задания", endpoint="jobs", url="/jobs")]
