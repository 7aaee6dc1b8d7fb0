"""«Отчёты»: the reports of SPEC §4 the user may open (reports/base.py registry), each on screen with
its filters on top, and the same Document as printable .xlsx or as JSON."""
import json

from flask import Response, abort, request
from flask_admin import expose
from sqlalchemy import select

from admin_views.base import SecurePage, requires
from models import AcademicYear, Period, db
from reports import base
from reports.render import chart_svg, to_json, to_xlsx
from services import clock, permissions
from services.errors import DomainError, PermissionDenied

CATEGORY = None
# The keys of the reports (reports/base.py REGISTRY): the page is open to whoever may list one of them.
REPORT_KEYS = ("report_class", "report_teacher", "report_student", "report_school", "report_class_fill",
               "report_movement")


def _raw_params(rdef):
    return {name: request.args.get(name, "") for name in rdef.params if request.args.get(name)}


class ReportsPage(SecurePage):
    """The list of reports and one report's page; each report is guarded by its own key."""

    view_key = "report_school"

    @requires("list", view=REPORT_KEYS)
    @expose("/")
    def index(self):
        reports = base.available(self.actor)
        groups = [(group, [r for r in reports if r.group == group]) for group in base.GROUPS]
        groups = [(g, rs) for g, rs in groups if rs]
        return self.render("reports/index.html", groups=groups, org=self.actor.org)

    @requires("list", view=REPORT_KEYS)  # and the report's own key: 404 below
    @expose("/<key>/")
    def show(self, key):
        base.load_all()
        rdef = base.REGISTRY.get(key)
        if rdef is None or not permissions.allowed(self.actor, rdef.view_key, "list"):
            abort(404)
        fmt = request.args.get("format", "")
        if fmt and fmt not in ("xlsx", "json"):
            abort(404)
        if fmt and not permissions.allowed(self.actor, rdef.view_key, "export"):
            abort(403)
        raw = _raw_params(rdef)
        doc, error, params = None, None, None
        try:
            params = base.resolve(self.actor, rdef, raw)
            doc = rdef.build(self.actor, params)
        except PermissionDenied:
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            error = exc
        if doc is not None:
            base.log_read(self.actor, doc, fmt or "экран")
        if doc is not None and fmt == "xlsx":
            return to_xlsx(doc).response(f"{doc.filename}.xlsx")
        if doc is not None and fmt == "json":
            response = Response(json.dumps(to_json(doc), ensure_ascii=False, indent=1),
                                mimetype="application/json")
            response.headers["Content-Disposition"] = f'attachment; filename="{doc.filename}.json"'
            response.headers["Cache-Control"] = "no-store"
            return response
        if fmt:  # a file was asked for with bad parameters: the page with the message instead
            fmt = ""
        return self.render("reports/report.html", rdef=rdef, doc=doc, error=error,
                           form=self._form(rdef, params, raw), chart_svg=chart_svg, display=base.display,
                           can_export=permissions.allowed(self.actor, rdef.view_key, "export"),
                           first_open=not any(raw.get(n) for n in (rdef.required or rdef.params)),
                           query={k: v for k, v in request.args.items() if k != "format"})

    def _form(self, rdef, params, raw):
        """The filters of the report: (name, label, kind, value, choices) in the report's order."""
        actor = self.actor
        year = params.year if params is not None else None
        if year is None:
            try:
                year = base.pick_year(actor, raw.get("year"), clock.today())
            except DomainError:
                year = None
        fields = []
        klass = params.klass if params is not None else None
        if klass is None and year is not None and "class" in rdef.params:
            klass = base.form_class(actor, rdef, year, raw)  # the report is not built yet: list its students
        own_students = "student" in rdef.params and not base.picks_class(actor)
        for name in rdef.params:
            label = base.PARAMS[name][0]
            value = raw.get(name, "")
            if name == "year":
                years = db.session.scalars(select(AcademicYear).where(AcademicYear.org_id == actor.org_id)
                                           .order_by(AcademicYear.start_date.desc())).all()
                fields.append((name, label, "select", value or (year.name if year else ""),
                               [(y.name, y.name) for y in years]))
            elif name == "class" and year is not None and not own_students:
                choices = [(c.name, c.name) for c in base.class_choices(actor, rdef, year)]
                fields.append((name, base.term("class"), "select", value or (klass.name if klass else ""),
                               [("", "—")] + choices))
            elif name == "period" and year is not None:
                periods = params.periods if params is not None else db.session.scalars(
                    select(Period).where(Period.year_id == year.id).order_by(Period.start_date)).all()
                current = ("год" if params is not None and params.whole_year else
                           (params.period.name if params is not None and params.period is not None else ""))
                fields.append((name, label, "select", value or current,
                               [(p.name, p.name) for p in periods] + [("год", "Учебный год")]))
            elif name == "student" and year is not None:
                students = base.student_choices(actor, rdef, year, None if own_students else klass)
                chosen = params.student if params is not None else None
                fields.append((name, base.term("student"), "select", value or (str(chosen.id) if chosen else ""),
                               [("", "—")] + [(str(s.id), base.person_name(s)) for s in students]))
            elif name == "subject" and year is not None:
                subjects = base.subject_choices(actor, rdef, year, klass)
                fields.append((name, base.term("subject"), "select", value,
                               [("", "—")] + [(s.name, s.name) for s in subjects]))
            elif name in ("from", "to"):
                day = (params.start if name == "from" else params.end) if params is not None else None
                fields.append((name, label, "date", value or (f"{day:%d.%m.%Y}" if day else ""), None))
            elif name == "by":
                fields.append((name, label, "select", value or "period",
                               [("period", "по периодам"), ("month", "по месяцам")]))
            elif name == "teacher" and year is not None:
                if permissions.allowed(actor, "report_school", "list"):
                    chosen = params.teacher if params is not None else None
                    teachers = base.teacher_choices(actor, year)
                    fields.append((name, base.term("teacher"), "select", value or (str(chosen.id) if chosen else ""),
                                   [("", "—")] + [(str(t.id), base.person_name(t)) for t in teachers]))
        return fields


def pages():
    return [ReportsPage(name="Отчёты", endpoint="reports", url="/reports")]
