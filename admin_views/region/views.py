"""«Регион» (issue 20.1): a regional specialist's aggregate pages over his scope's organizations
(reports/region_reports.py), each also as a printable .xlsx; the installation administrator's model views
of regions, municipalities and the specialists' cards."""
import re
from datetime import date

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose

from admin_views.base import SecureModelView, SecurePage, requires
from admin_views.forms import DateField, IntField, PageForm, TextField
from models import Municipality, Organization, Region, RegionStaff, db
from reports import region_jobs, region_reports as rollup
from reports.document import display
from reports.render import to_xlsx
from services import dates, permissions
from services.errors import DomainError
from services.region import scope as region_scope

CATEGORY = "Регион"
YEAR_NAME = re.compile(r"^\d{4}/\d{4}$")


class RegionQuery(PageForm):
    year = TextField("Учебный год", strip=True)
    period = IntField("Период", low=1, high=6)
    start = DateField("С", strip=True)
    end = DateField("По", strip=True)
    format = TextField()
    kind = TextField()
    org = IntField("Организация")


class RegionPage(SecurePage):
    """The roll-ups of the actor's scope; a school's drill-down shows its grades and classes, never a student."""

    view_key = "region_report"

    def _query(self):
        query = RegionQuery.from_args()
        fmt = query.format.data or ""
        if fmt not in ("", "xlsx"):
            abort(404)
        return query, fmt, self._year(query)

    @staticmethod
    def _year(query):
        """The year typed (2026/2027: two consecutive years) and the period number checked: a Russian message."""
        year = query.year.data or rollup.default_year_name(dates.today())
        if not YEAR_NAME.match(year) or int(year[5:]) != int(year[:4]) + 1:
            raise DomainError(f"Учебный год «{year}» — укажите его как 2026/2027.")
        if query.period.text.strip() and query.period.data is None:
            raise DomainError(f"Период «{query.period.text.strip()}» — укажите номер периода от 1 до 6 "
                              "или оставьте пустым (год).")
        return year

    def _show(self, build, template_args=None):
        """The Document `build()` on screen, or as .xlsx with ?format=xlsx (the "export" verb). A heavy roll-up
        of a large scope is not built here: the page offers its background build (reports/region_jobs.py)."""
        args = dict(template_args or {})
        kind = "results" if args.get("page") in ("index", "school") else args.get("page")
        can_export = self.meets_verb("export")
        args.update(kind=kind, background=can_export, no_orgs=not self.actor.region_org_ids,
                    background_job=region_jobs.latest(self.actor, kind, args.get("org_id")) if can_export else None)
        try:
            query, fmt, year = self._query()
            heavy = region_jobs.is_heavy(self.actor, kind)
            # Opened without parameters (the landing page after login): the form first, the roll-up on «Показать»
            # — a region's aggregate over every school's marks is not built on every visit.
            first_open = not request.args and not heavy
            doc = None if heavy or first_open else build(query, year)
        except DomainError as exc:
            db.session.rollback()
            return self.render("region/page.html", doc=None, error=str(exc), display=display, links={}, **args)
        links = {k: v for k, v in query.formdata.items() if k != "format"}
        if heavy:
            return self.render("region/page.html", doc=None, error=None, display=display, links=links, year=year,
                               query=query, heavy=len(self.actor.region_org_ids), **args)
        if first_open:
            return self.render("region/page.html", doc=None, error=None, display=display, links=links, year=year,
                               query=query, first_open=True, **args)
        if fmt == "xlsx":
            if not can_export:
                abort(403)
            return to_xlsx(doc, current_app.config.get("REPORT_PAPER", "A4")).response(f"{doc.filename}.xlsx")
        return self.render("region/page.html", doc=doc, error=None, display=display, links=links,
                           year=year, query=query, **args)

    @requires("export")
    @expose("/job", methods=("POST",))
    def start_job(self):
        """«Сформировать .xlsx в фоне»: the parameters checked now, the workbook built by a background job
        (reports/region_jobs.py) in the scope the owner has when it runs; back to the page, which follows it."""
        query = RegionQuery.from_form()
        kind = query.kind.data or ""
        if kind not in region_jobs.KINDS:
            abort(404)
        org_id = query.org.data if kind == "results" else None
        if query.org.text and (org_id is None or org_id not in (self.actor.region_org_ids or ())):
            abort(404)
        page = {"results": "index"}.get(kind, kind)
        links = {k: v for k, v in query.formdata.items() if k in ("year", "period", "start", "end") and v}
        try:
            year = self._year(query)
            start = end = None
            if kind in ("movement", "activity"):
                start, end = self._range(query, year)
            elif kind == "oo1":
                end = query.end.data
            region_jobs.start(self.actor, kind, year, query.period.data if kind == "results" else None,
                              start, end, org_id)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash("Сводка собирается в фоне; ход — ниже и в «Моих заданиях».", "info")
        if org_id is not None:
            return redirect(url_for(".school", org_id=org_id, **links))
        return redirect(url_for("." + page, **links))

    def meets_verb(self, verb):
        return permissions.allowed(self.actor, self.view_key, verb)

    @requires("list")
    @expose("/")
    def index(self):
        """Успеваемость, качество, наполняемость per organization of the scope."""
        def build(query, year):
            res = rollup.results(self.actor, year, query.period.data)
            return rollup.results_document(self.actor, res)
        return self._show(build, {"page": "index", "schools": True})

    @requires("list", rows=Organization)
    @expose("/school/<int:org_id>/")
    def school(self, org_id):
        """One school's aggregate: per grade and class counts and percentages."""
        if org_id not in (self.actor.region_org_ids or ()):
            abort(404)

        def build(query, year):
            res = rollup.results(self.actor, year, query.period.data, org_id=org_id)
            return rollup.results_document(self.actor, res, org=rollup.one_org(self.actor, org_id))
        return self._show(build, {"page": "school", "org_id": org_id})

    @requires("list")
    @expose("/movement/")
    def movement(self):
        def build(query, year):
            start, end = self._range(query, year)
            return rollup.movement_document(self.actor, start, end)
        return self._show(build, {"page": "movement", "dates": True})

    @requires("list")
    @expose("/activity/")
    def activity(self):
        def build(query, year):
            start, end = self._range(query, year)
            return rollup.activity_document(self.actor, start, end)
        return self._show(build, {"page": "activity", "dates": True})

    @requires("list")
    @expose("/deadlines/")
    def deadlines(self):
        def build(query, year):
            return rollup.deadlines_document(self.actor, year, dates.today())
        return self._show(build, {"page": "deadlines"})

    @requires("list")
    @expose("/oo1/")
    def oo1(self):
        def build(query, year):
            return rollup.oo1_document(self.actor, year, query.end.data)
        return self._show(build, {"page": "oo1"})

    @requires("list")
    @expose("/control/")
    def control(self):
        def build(query, year):
            return rollup.overdue_document(self.actor)
        return self._show(build, {"page": "control"})

    @staticmethod
    def _range(query, year):
        """[start, end] typed, by default the year's 1 September to today (installation-wide: the region's)."""
        today = dates.today()
        start = query.start.data or date(int(year[:4]), 9, 1)
        end = query.end.data or today
        if start > end:
            raise DomainError("Дата «С» позже даты «По».")
        return start, end


# -- the installation administrator's ----------------------------------------------------------------

class RegionView(SecureModelView):
    view_key = "region"
    column_list = ("name",)
    form_columns = ("name",)
    column_default_sort = "name"

    def on_model_delete(self, model):
        region_scope.check_delete(model)


class MunicipalityView(SecureModelView):
    view_key = "municipality"
    column_list = ("name", "region")
    form_columns = ("region", "name")
    column_default_sort = "name"

    def on_model_delete(self, model):
        region_scope.check_delete(model)


class RegionStaffView(SecureModelView):
    view_key = "region_staff"
    column_list = ("full_name", "position", "region", "municipality", "user", "active")
    form_columns = ("full_name", "position", "user", "region", "municipality", "active")
    form_excluded_columns = ("version",)
    column_descriptions = {"municipality": "Пусто — специалист всего региона: видит все организации региона.",
                           "user": "Учётная запись специалиста (без карточек в организациях)."}

    def on_model_change(self, form, model, is_created):
        for name in ("user", "region", "municipality"):  # the relations chosen in the form, as ids for the rule
            related = getattr(model, name)
            setattr(model, f"{name}_id", related.id if related is not None else None)
        region_scope.check_card(model)


def views():
    return [RegionView(Region, "Регионы", CATEGORY, "region", "/regions"),
            MunicipalityView(Municipality, "Муниципалитеты", CATEGORY, "municipality", "/municipalities"),
            RegionStaffView(RegionStaff, "Специалисты органов управления образованием", CATEGORY, "region_staff",
                            "/region-staff")]


def pages():
    return [RegionPage(name="Сводки по организациям", category=CATEGORY, endpoint="regional", url="/regional")]


