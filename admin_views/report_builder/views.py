"""«Конструктор отчётов» (issue 18.1, seed 001 §10.5): the saved reports (own and shared), the builder (plain form
posts: the entity, columns, filters, grouping, totals, sorting; «Показать», «Добавить условие», «Сохранить»,
«Excel»), a saved report's run (paged, capped, with its cut said) and its .xlsx. Every rule is in
services/report_builder/: the page only turns the inputs into a definition and shows what the service returns."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose

from models import SavedReport
from services import permissions, uow
from services.errors import DomainError, PermissionDenied
from services.report_builder import catalogue, definition as definitions, run as runs, saved

from admin_views.base import SecurePage, requires
from admin_views.forms import REFUSED
from admin_views.report_builder.forms import BuilderForm, RunQuery
from reports.builder_xlsx import builder_xlsx

KEY = saved.KEY


def _state(raw, name="", shared=False, version=""):
    """What the builder's inputs show: a definition (as saved or as sent), «в классе на дату» apart."""
    raw = dict(raw or {})
    filters = [f for f in raw.get("filters") or [] if isinstance(f, dict)]
    class_on = next((f for f in filters if f.get("column") == "class_on"), {})
    return {"entity": raw.get("entity") or "", "columns": list(raw.get("columns") or []),
            "filters": [f for f in filters if f.get("column") != "class_on"],
            "class_on": (str(class_on.get("value") or ""), str(class_on.get("value2") or "")),
            "group_by": list(raw.get("group_by") or []) + ["", ""], "aggregates": list(raw.get("aggregates") or []),
            "sort": list(raw.get("sort") or []) + [{}, {}], "name": name, "shared": shared, "version": version}


class ReportBuilderPage(SecurePage):
    view_key = KEY
    needs_organization = True

    def is_visible(self):
        """Not an item of the top menu (it stays one line at 1366 px): the «Отчёты» page links it."""
        return False

    @requires("list", rows=SavedReport)
    @expose("/")
    def index(self):
        return self.render("report_builder/list.html", reports=saved.visible(self.actor),
                           entities=catalogue.ENTITIES, me=self.actor.user_id,
                           can_create=permissions.allowed(self.actor, KEY, "create"))

    # -- the builder ------------------------------------------------------------------------------------------
    def _builder(self, state, report=None, result=None, errors=None, status=200, extra_rows=0):
        entities = catalogue.entities_for(self.actor)
        entity = catalogue.ENTITIES.get(state["entity"]) if state["entity"] else None
        if entity is None or entity not in entities:
            entity = entities[0] if entities else None
            state["entity"] = entity.key if entity is not None else ""
        if entity is not None and not state["columns"] and not any(state["group_by"]) and not result \
                and not errors:
            state["columns"] = list(entity.default)  # a new report starts with the entity's usual columns
        columns = catalogue.columns_for(self.actor, entity) if entity is not None else []
        aggregates = definitions.aggregate_options(self.actor, entity) if entity is not None else []
        rows = state["filters"] + [{} for _ in range(1 + extra_rows)]
        return self.render(
            "report_builder/builder.html", state=state, report=report, result=result, errors=errors or {},
            entities=entities, entity=entity, columns=[c for c in columns if c.shown],
            filter_columns=[c for c in columns if c.shown], filter_rows=rows, ops=definitions.OPS,
            aggregates=aggregates, classes=definitions.class_choices(self.actor) if entity and entity.key == "students"
            else [], can_export=permissions.allowed(self.actor, KEY, "export"),
            can_save=permissions.allowed(self.actor, KEY, "create") if report is None
            else permissions.allowed(self.actor, saved.OWN_KEY, "edit")), status

    def _posted(self, report=None):
        form = BuilderForm.from_form()
        raw = form.definition()
        state = _state(raw, form.name.data or "", bool(form.shared.data), form.version.data or "")
        action = form.action()
        if action == "show" and form.shown_entity.data and form.shown_entity.data != state["entity"]:
            state = _state({"entity": state["entity"]}, state["name"], state["shared"], state["version"])
        if action == "add_filter":
            return self._builder(state, report, extra_rows=1)
        if action not in ("run", "save", "xlsx"):
            return self._builder(state, report)
        try:
            if action == "save":
                if report is None:
                    created = saved.create(self.actor, state["name"], state["shared"], raw)
                else:
                    created = saved.update(self.actor, report.id, state["version"], state["name"], state["shared"],
                                           raw)
                flash(f"Отчёт «{created.name}» сохранён.", "success")
                return redirect(url_for(".show", report_id=created.id))
            checked = definitions.check(self.actor, raw)
            title = state["name"] or "Конструктор отчётов"
            if action == "xlsx":
                return self._xlsx(checked, title)
            result = runs.run(self.actor, checked, page=form.page.data or 1, title=title)
            result.params = definitions.describe(checked)
        except DomainError as exc:
            uow.rollback()
            if isinstance(exc, PermissionDenied) and not exc.fields:
                raise
            flash(str(exc), "error")
            return self._builder(state, report, errors=exc.fields, status=REFUSED)
        return self._builder(state, report, result=result)

    def _xlsx(self, checked, title):
        permissions.abort_unless(self.actor, KEY, "export")
        result = runs.run(self.actor, checked, cap=runs.XLSX_CAP, page_size=runs.XLSX_CAP, title=title,
                          output="xlsx")
        result.params = definitions.describe(checked)
        return builder_xlsx(result, self.actor.org).response("konstruktor-otchetov.xlsx")

    @requires("list", rows=SavedReport)
    @expose("/new/", methods=("GET", "POST"))
    def new(self):
        if request.method == "POST":
            return self._posted()
        source = RunQuery.from_args().source.data
        if source is not None:  # «Открыть в конструкторе»: another's shared report as a new one of mine
            try:
                report = saved.get(self.actor, source)
            except DomainError:
                abort(404)
            return self._builder(_state(report.definition, name=f"{report.name} (копия)"))
        state = _state({"entity": BuilderForm.from_args().entity.data or ""})
        return self._builder(state)

    @requires("edit", rows=SavedReport, view=saved.OWN_KEY, denied=404)
    @expose("/<id:report_id>/edit/", methods=("GET", "POST"))
    def edit(self, report_id):
        report = self._own(report_id)
        if request.method == "POST":
            return self._posted(report)
        return self._builder(_state(report.definition, report.name, report.shared, str(report.version)), report)

    def _own(self, report_id):
        report = saved.own(self.actor, report_id)
        if report is None:
            abort(404)
        return report

    # -- a saved report ----------------------------------------------------------------------------------------
    @requires("list", rows=SavedReport, denied=404)
    @expose("/<id:report_id>/")
    def show(self, report_id):
        try:
            report = saved.get(self.actor, report_id)
        except DomainError:
            abort(404)
        query = RunQuery.from_args()
        result, error = None, None
        try:
            checked = definitions.check(self.actor, report.definition)
            if query.format.data == "xlsx":
                return self._xlsx(checked, report.name)
            result = runs.run(self.actor, checked, page=query.page.data or 1, title=report.name)
            result.params = definitions.describe(checked)
        except DomainError as exc:
            uow.rollback()
            if isinstance(exc, PermissionDenied):
                raise
            error = str(exc)
        return self.render("report_builder/show.html", report=report, result=result, error=error,
                           own=report.owner_id == self.actor.user_id,
                           can_export=permissions.allowed(self.actor, KEY, "export"))

    @requires("delete", rows=SavedReport, view=saved.OWN_KEY, denied=404)
    @expose("/<id:report_id>/delete/", methods=("POST",))
    def delete(self, report_id):
        report = self._own(report_id)
        name = report.name
        saved.delete(self.actor, report.id)
        flash(f"Отчёт «{name}» удалён.", "success")
        return redirect(url_for(".index"))


def pages():
    return [ReportBuilderPage(name="Конструктор отчётов", endpoint="report_builder", url="/report-builder")]
