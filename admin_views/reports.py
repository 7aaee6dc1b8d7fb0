"""«Отчёты»: the reports of SPEC §4 the user may open (reports/registry.py), each on screen with
its filters on top, and the same Document as printable .xlsx or as JSON."""
import json

from flask import Response, abort, current_app, flash, redirect, url_for
from flask_admin import expose
from wtforms.form import BaseForm

from admin_views.base import SecurePage, requires
from admin_views.forms import PageForm, TextField
from models import db
from reports import parameters, registry, report_jobs
from reports.document import display, log_read
from reports.render import chart_svg, to_json, to_xlsx
from services import dates, permissions
from services.errors import DomainError, PermissionDenied

CATEGORY = None
# The keys of the reports (reports/registry.py REGISTRY): the page is open to whoever may list one of them.
REPORT_KEYS = ("report_class", "report_teacher", "report_student", "report_school", "report_class_fill",
               "report_movement", "report_activity", "report_oo1")


class ReportQuery(PageForm):
    """A report's query string: its parameters as text (reports/parameters.py resolves them) and the file
    asked for (`format`: xlsx or json)."""

    format = TextField()
    cell = TextField()  # a cell's address (`cell`): the report checks it

    def raw(self, rdef):
        """The report's parameters given (not empty), as typed."""
        return {name: self.value(name) for name in rdef.params if self.value(name)}

    def links(self):
        """The query without `format`: the file links of the page shown."""
        return {k: v for k, v in self.formdata.items() if k not in ("format", "cell")}


class ReportsPage(SecurePage):
    """The list of reports and one report's page; each report is guarded by its own key."""

    view_key = "report_school"

    @requires("list", view=REPORT_KEYS)
    @expose("/")
    def index(self):
        reports = registry.available(self.actor)
        groups = [(group, [r for r in reports if r.group == group]) for group in registry.GROUPS]
        groups = [(g, rs) for g, rs in groups if rs]
        builder = permissions.allowed(self.actor, "report_builder", "list")
        return self.render("reports/index.html", groups=groups, org=self.actor.org, builder=builder)

    @requires("list", view=REPORT_KEYS)  # and the report's own key: 404 below
    @expose("/<key>/")
    def show(self, key):
        rdef = registry.REGISTRY.get(key)
        if rdef is None or not permissions.allowed(self.actor, rdef.view_key, "list"):
            abort(404)
        query = ReportQuery.from_args()
        fmt = query.format.data or ""
        if fmt and fmt not in ("xlsx", "json"):
            abort(404)
        if fmt and not permissions.allowed(self.actor, rdef.view_key, "export"):
            abort(403)
        raw = query.raw(rdef)
        doc, error, params = None, None, None
        try:
            params = parameters.resolve(self.actor, rdef, raw)
            doc = registry.run(self.actor, rdef, params)
        except PermissionDenied:
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            error = exc
        if doc is not None:
            log_read(self.actor, doc, fmt or "экран")
        if doc is not None and fmt == "xlsx":
            return to_xlsx(doc, current_app.config.get("REPORT_PAPER", "A4")).response(f"{doc.filename}.xlsx")
        if doc is not None and fmt == "json":
            response = Response(json.dumps(to_json(doc), ensure_ascii=False, indent=1),
                                mimetype="application/json")
            response.headers["Content-Disposition"] = f'attachment; filename="{doc.filename}.json"'
            response.headers["Cache-Control"] = "no-store"
            return response
        if fmt:  # a file was asked for with bad parameters: the page with the message instead
            fmt = ""
        background = rdef.name in report_jobs.BACKGROUND and permissions.allowed(self.actor, rdef.view_key, "export")
        return self.render("reports/report.html", rdef=rdef, doc=doc, error=error, background=background,
                           background_job=report_jobs.latest(self.actor, rdef.name) if background else None,
                           form=self._form(rdef, params, raw), chart_svg=chart_svg, display=display,
                           can_export=permissions.allowed(self.actor, rdef.view_key, "export"),
                           first_open=not any(raw.get(n) for n in (rdef.required or rdef.params)),
                           query=query.links(), org=self.actor.org)

    @requires("list", view=REPORT_KEYS)  # and the report's own key "export": 404 / 403 below
    @expose("/<key>/job", methods=("POST",))
    def start_job(self, key):
        """«Сформировать .xlsx в фоне» (reports/report_jobs.py): the parameters checked now, the workbook built
        by a background job; back to the report's page, which follows it."""
        rdef = registry.REGISTRY.get(key)
        if rdef is None or key not in report_jobs.BACKGROUND \
                or not permissions.allowed(self.actor, rdef.view_key, "list"):
            abort(404)
        if not permissions.allowed(self.actor, rdef.view_key, "export"):
            abort(403)
        raw = ReportQuery.from_form().raw(rdef)
        try:
            parameters.resolve(self.actor, rdef, raw)
        except PermissionDenied:
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            report_jobs.start(self.actor, rdef, raw, dates.today(self.actor.org))
            flash("Книга собирается в фоне; ход — ниже и в «Моих заданиях».", "info")
        return redirect(url_for(".show", key=key, **raw))

    @requires("list", view=REPORT_KEYS)  # and the report's own key: 404 below
    @expose("/<key>/cell/")
    def cell(self, key):
        """Who a cell of the report counts (a report with `drill`: ОО-1): the list of the students or staff,
        read through the actor's rows; an address the report does not have is «не найдена» (404)."""
        rdef = registry.REGISTRY.get(key)
        if rdef is None or rdef.drill is None or not permissions.allowed(self.actor, rdef.view_key, "list"):
            abort(404)
        query = ReportQuery.from_args()
        raw = query.raw(rdef)
        try:
            params = parameters.resolve(self.actor, rdef, raw)
            doc = rdef.drill(self.actor, params, query.cell.data or "")
        except PermissionDenied:
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            return self.render("reports/cell.html", rdef=rdef, doc=None, error=exc, display=display,
                               query=query.links(), org=self.actor.org), 404
        log_read(self.actor, doc, "ячейка отчёта")
        return self.render("reports/cell.html", rdef=rdef, doc=doc, error=None, display=display,
                           query=query.links(), org=self.actor.org)

    def _form(self, rdef, params, raw):
        """The report's filters: a form of each parameter's field (reports/parameters.py `Param.field`),
        in the report's order; a parameter the actor has nothing to pick in has none."""
        state = parameters.FormState.of(self.actor, rdef, params, raw, dates.today(self.actor.org))
        fields = [(name, field) for name in rdef.params
                  if (field := parameters.PARAMS[name].field(state)) is not None]
        form = BaseForm(fields)
        form.process()
        return form


def pages():
    return [ReportsPage(name="Отчёты", endpoint="reports", url="/reports")]
