"""«Регион» (issue 20.1): a regional specialist's aggregate pages over his scope's organizations
(reports/region_reports.py), each also as a printable .xlsx; the installation administrator's model views
of regions, municipalities and the specialists' cards."""
import re
from datetime import date

from flask import abort, current_app
from flask_admin import expose

from admin_views.base import SecureModelView, SecurePage, requires
from admin_views.forms import DateField, IntField, PageForm, TextField
from models import Municipality, Organization, Region, RegionStaff, db
from reports import region_reports as rollup
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


class RegionPage(SecurePage):
    """The roll-ups of the actor's scope; a school's drill-down shows its grades and classes, never a student."""

    view_key = "region_report"

    def _query(self):
        query = RegionQuery.from_args()
        fmt = query.format.data or ""
        if fmt not in ("", "xlsx"):
            abort(404)
        year = query.year.data or rollup.default_year_name(dates.today())
        if not YEAR_NAME.match(year):
            raise DomainError(f"Учебный год «{year}» — укажите его как 2026/2027.")
        return query, fmt, year

    def _show(self, build, template_args=None):
        """The Document `build()` on screen, or as .xlsx with ?format=xlsx (the "export" verb)."""
        try:
            query, fmt, year = self._query()
            doc = build(query, year)
        except DomainError as exc:
            db.session.rollback()
            return self.render("region/page.html", doc=None, error=str(exc), display=display, links={},
                               **(template_args or {}))
        if fmt == "xlsx":
            if not self.meets_verb("export"):
                abort(403)
            return to_xlsx(doc, current_app.config.get("REPORT_PAPER", "A4")).response(f"{doc.filename}.xlsx")
        links = {k: v for k, v in query.formdata.items() if k != "format"}
        return self.render("region/page.html", doc=doc, error=None, display=display, links=links,
                           year=year, query=query, **(template_args or {}))

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


class MunicipalityView(SecureModelView):
    view_key = "municipality"
    column_list = ("name", "region")
    form_columns = ("region", "name")
    column_default_sort = "name"


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


