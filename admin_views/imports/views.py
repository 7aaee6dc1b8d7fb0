"""«Импорт и выгрузка данных»: choose the kind, download its template or the organization's data in the same
layout, upload a file → its preview (what will be created, changed, left; every bad row) → «Загрузить». The
uploaded file stays on the server between the two steps (services/imports/jobs.py: the client sends back only
the job's id, found only for the user and organization that uploaded it); «Загрузить» plans the file again and
applies it in the request's one transaction — a bad row, nothing written. While it runs, static/imports.js
polls the job's progress and moves the bar. A big file (services/imports/background.py) is applied by a background
job instead: the page shows its progress (templates/jobs/_progress.html) and reloads when it ends."""
import io

from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_admin import expose

from admin_views.base import SecurePage, requires
from admin_views.forms import IntField, PageForm, TextField
from services import audit, imports, permissions, uow, uploads
from services.errors import DomainError, PermissionDenied
from services.imports import background, core, jobs
from services.jobs import core as background_jobs

VIEW_KEY = "data_import"
PAGE_SIZE = 200
CATEGORY = "Люди"
FORMATS = {"xlsx", "csv"}


class KindQuery(PageForm):
    kind = TextField(source="values")
    fmt = TextField(name="format", source="values")
    page = IntField(low=1, high=100000)


def writable_kinds(actor):
    """The kinds the actor may import: those whose records his roles may create."""
    return [cls for cls in imports.KINDS.values() if permissions.allowed(actor, cls.resource, "create")]


def exportable(actor, cls):
    return permissions.allowed(actor, cls.resource, "export")


class ImportPage(SecurePage):
    view_key = VIEW_KEY
    needs_organization = True

    def _kind(self, code=None):
        """The chosen kind, one the actor may import (another: 404); none chosen: the first of the list."""
        code = code if code is not None else (KindQuery.from_values().kind.data or "")
        kinds = writable_kinds(self.actor)
        cls = next((c for c in kinds if c.code == code), None) if code else (kinds[0] if kinds else None)
        if cls is None:
            abort(404)
        return cls

    def _job(self, job_id):
        job = jobs.load(self.actor, job_id)
        if job is None:
            abort(404)
        return job

    @requires("list")
    @expose("/")
    def index(self):
        kinds = writable_kinds(self.actor)
        code = KindQuery.from_args().kind.data
        chosen = next((c for c in kinds if c.code == code), kinds[0] if kinds else None)
        return self.render("imports/index.html", kinds=kinds, chosen=chosen,
                           can_export=chosen is not None and exportable(self.actor, chosen),
                           max_rows=core.MAX_ROWS, max_size=uploads.megabytes(uploads.MAX_UPLOAD_BYTES))

    @requires("list")
    @expose("/template/")
    def template(self):
        cls = self._kind()
        response = send_file(io.BytesIO(core.template(cls())), as_attachment=True,
                             download_name=f"shablon-{cls.filename}.xlsx",
                             mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response.headers["Cache-Control"] = "no-store"
        return response

    @requires("export")
    @expose("/export/")
    def export(self):
        query = KindQuery.from_args()
        cls = self._kind(query.kind.data or "")
        fmt = query.fmt.data if query.fmt.data in FORMATS else "xlsx"
        if not exportable(self.actor, cls):
            abort(403)
        content, mimetype, ext, count = core.export(self.actor, cls(), fmt)
        audit.log_read(self.actor, "export", cls.resource, detail=f"Импорт и выгрузка данных: {cls.title}, .{ext}",
                       rows=count)
        response = send_file(io.BytesIO(content), as_attachment=True, download_name=f"{cls.filename}.{ext}",
                             mimetype=mimetype)
        response.headers["Cache-Control"] = "no-store"
        return response

    @requires("import")
    @expose("/check/", methods=("POST",))
    def check(self):
        cls = self._kind(KindQuery.from_form().kind.data or "")
        upload = request.files.get("file")
        try:
            data = uploads.read_upload(upload, expected=".xlsx или .csv")
            preview = core.run(self.actor, cls(), data)
        except PermissionDenied:
            raise
        except DomainError as exc:
            uow.rollback()
            flash(f"Файл не принят: {exc}", "error")
            return redirect(url_for(".index", kind=cls.code))
        uow.rollback()  # a check writes nothing
        job_id = jobs.create(self.actor, cls.code, upload.filename if upload is not None else "", data, preview)
        return redirect(url_for(".job", job_id=job_id))

    @requires("import")
    @expose("/job/<job_id>/")
    def job(self, job_id):
        job = self._job(job_id)
        cls = self._kind(job["kind"])
        page = KindQuery.from_args().page.data or 1
        changes = job["changes"]
        pages = max(1, -(-len(changes) // PAGE_SIZE))
        page = min(page, pages)
        shown = changes[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
        labels = core.APPLIED_LABELS if job["applied"] else core.ACTION_LABELS
        counts = {}
        for what, action, n in job["counts"]:
            counts.setdefault(what, {})[action] = n
        running = background_jobs.own(self.actor, job.get("background") or "") if job["state"] == jobs.APPLYING \
            else None
        return self.render("imports/job.html", job=job, job_id=job_id, cls=cls, changes=shown, page=page,
                           background_job=running,
                           pages=pages, first=(page - 1) * PAGE_SIZE, labels=labels, counts=counts,
                           actions=(core.CREATE, core.UPDATE, core.SKIP), bad_rows=len({e[0] for e in job["errors"]}))

    @requires("import")
    @expose("/job/<job_id>/apply/", methods=("POST",))
    def apply(self, job_id):
        job = self._job(job_id)
        cls = self._kind(job["kind"])
        if job["state"] == jobs.APPLIED:
            flash("Этот файл уже загружен", "info")
            return redirect(url_for(".job", job_id=job_id))
        if jobs.claim(self.actor, job_id) is None:  # a second «Загрузить» while the first runs (or after it)
            state = (jobs.load(self.actor, job_id) or {}).get("state")
            flash("Этот файл уже загружен" if state == jobs.APPLIED
                  else "Этот файл уже загружается: дождитесь окончания", "info")
            return redirect(url_for(".job", job_id=job_id))
        if background.in_background(job):  # a big file: applied by a background job, the page follows it
            background.start(self.actor, job_id, job)
            flash("Файл загружается в фоне: ход загрузки — ниже и в «Моих заданиях».", "info")
            return redirect(url_for(".job", job_id=job_id))
        data = jobs.data(self.actor, job_id)
        try:
            preview = core.run(self.actor, cls(), data, apply=True, progress=jobs.progress_writer(job_id))
        except core.ImportRefused as exc:
            uow.rollback()
            jobs.record(self.actor, job_id, jobs.REFUSED, exc.preview, exc.message)
            jobs.release(job_id)
            flash(str(exc.message), "error")
            return redirect(url_for(".job", job_id=job_id))
        except PermissionDenied:
            uow.rollback()
            jobs.record(self.actor, job_id, jobs.CHECKED)
            jobs.release(job_id)
            raise
        except DomainError as exc:
            uow.rollback()
            jobs.record(self.actor, job_id, jobs.REFUSED, message=str(exc))
            jobs.release(job_id)
            flash(f"Файл не загружен: {exc}", "error")
            return redirect(url_for(".job", job_id=job_id))
        except Exception:
            uow.rollback()
            jobs.record(self.actor, job_id, jobs.CHECKED)
            jobs.release(job_id)
            raise
        if not preview.applied:
            uow.rollback()
            jobs.record(self.actor, job_id, jobs.REFUSED, preview, "Файл не загружен: в нём есть строки с ошибками")
            jobs.release(job_id)
            flash("Файл не загружен, ни одна строка не импортирована: в нём есть строки с ошибками", "error")
        else:
            jobs.record(self.actor, job_id, jobs.APPLIED, preview)
            flash(f"Загружено — {preview.summary()}", "success")
        return redirect(url_for(".job", job_id=job_id))

    @requires("import")
    @expose("/job/<job_id>/status/")
    def status(self, job_id):
        figures = jobs.progress(self.actor, job_id)
        if figures is None:
            abort(404)
        response = jsonify(figures)
        response.headers["Cache-Control"] = "no-store"
        return response


def pages():
    return [ImportPage(name="Импорт и выгрузка данных", category=CATEGORY, endpoint="data_import", url="/imports")]
