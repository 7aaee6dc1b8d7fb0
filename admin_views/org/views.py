"""Views of the organization card and its calendar: years, periods, holidays, working days, rooms."""
from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from sqlalchemy.orm import joinedload

from models import AcademicYear, Holiday, OrgKind, Period, PeriodType, Role, Sex, db
from services.org import orgs
from services.org.calendar import russian_note
from services.errors import DomainError

from admin_views.base import SecureModelView, requires
from admin_views.forms import Sent
from admin_views.org.forms import CloseForm, OrgAdminForm, ReopenForm
from services.journal import periods as journal
from flask_admin.model.template import LinkRowAction

PERIOD_TYPES = PeriodType.choices()


class OrganizationView(SecureModelView):
    view_key = "organization"
    column_list = ("short_name", "kind", "municipality", "address", "director_name", "licence_number",
                   "accreditation_valid_until")
    column_default_sort = "short_name"
    column_searchable_list = ("short_name", "full_name")
    column_choices = {"kind": OrgKind.choices()}
    form_choices = {"kind": OrgKind.choices()}
    form_columns = ("kind", "full_name", "short_name", "address", "director_name", "phone", "email",
                    "site_url", "inn", "licence_number", "licence_date", "licence_issued_by",
                    "accreditation_number", "accreditation_date", "accreditation_valid_until",
                    "timezone", "rounding_threshold", "municipality")
    column_descriptions = {
        "municipality": "Муниципалитет организации (регион — через муниципалитет); задаёт администратор установки.",
        "rounding_threshold": "Средний балл 4,50 при пороге 0,50 даёт «5», 4,49 — «4».",
        "site_url": "Печатается на листках с логинами; если пусто — адрес, с которого вы вошли.",
    }

    def create_form(self, obj=None):
        return self._regional_field(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._regional_field(super().edit_form(obj))

    def _regional_field(self, form):
        """Which municipality an organization is in: the installation administrator's (issue 20.1)."""
        if not self.actor.has(Role.SUPERADMIN) and hasattr(form, "municipality"):
            del form.municipality
        return form

    def on_model_change(self, form, model, is_created):
        if is_created:
            orgs.initialize_organization(model)

    @requires("create")
    @expose("/admin-account/", methods=("GET", "POST"))
    def admin_account_view(self):
        """The installation administrator gives an organization its first administrator."""
        form = OrgAdminForm.from_form()
        org = self.get_one_for(form.id.data, "create")
        credential, error, sent = None, None, Sent()
        if request.method == "POST":
            try:
                credential = orgs.create_org_admin(org, form.last_name.data or "", form.first_name.data or "",
                                                   form.middle_name.data or "", form.sex.data or "")
            except DomainError as exc:
                db.session.rollback()
                error, sent = str(exc), Sent(request.form, exc.fields)  # the name typed stays
        return self.render("org_admin_account.html", org=org, credential=credential, error=error,
                           sexes=Sex.choices(), sent=sent)


class AcademicYearView(SecureModelView):
    view_key = "academic_year"
    column_list = ("name", "start_date", "end_date", "is_closed")
    column_default_sort = ("start_date", True)
    form_columns = ("name", "start_date", "end_date")
    column_descriptions = {"name": "В виде 2025/2026"}


class PeriodView(SecureModelView):
    view_key = "period"
    column_list = ("year", "type", "number", "name", "start_date", "end_date", "is_closed")
    column_default_sort = [("year_id", True), ("start_date", False)]
    column_choices = {"type": PERIOD_TYPES}
    form_choices = {"type": PERIOD_TYPES}
    form_columns = ("year", "type", "number", "name", "start_date", "end_date")
    column_filters = ("year.name", "type")
    list_loader_options = (joinedload(Period.year),)
    choice_filters = {"year": lambda actor: AcademicYear.is_closed.is_(False)}

    # Closing a period freezes its marks, attendance and period marks (services/journal/periods.py). A period
    # closed before its last day or with period marks missing needs its name typed: the «Закрыть период»
    # page shows what is missing; periods that have ended with every mark set close at once.
    @action("close_period", "Закрыть период",
            "Закрыть выбранные периоды для изменений? Отметки, посещаемость и отметки за период в них "
            "больше никто не сможет изменить, пока администратор не откроет период снова.")
    def action_close_period(self, ids):
        try:
            checks = [journal.close_check(self.actor, pid) for pid in ids]
        except DomainError as exc:
            flash(str(exc), "error")
            return None
        if any(c.needs_confirmation for c in checks if not c.period.is_closed):
            return redirect(self.get_url(".close_view", ids=",".join(str(c.period.id) for c in checks)))
        closed = 0
        try:
            for c in checks:
                closed += journal.close_period(self.actor, c.period.id)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(f"Закрыто периодов: {closed}" if closed else "Выбранные периоды уже закрыты.", "success")
        return None

    @requires("close_period")
    @expose("/close/", methods=("GET", "POST"))
    def close_view(self):
        """What closing leaves behind (the dates, the period marks not set per class and subject), and the
        period's name typed where it is closed early or incomplete."""
        form = CloseForm.from_form()
        periods = [self.get_one_for(i, "close_period") for i in form.period_ids()[:20]]
        if not periods:
            return redirect(self.get_url(".index_view"))
        error = None
        if request.method == "POST":
            try:
                closed = sum(journal.close_period(self.actor, p.id, confirm=form.confirmation(p.id))
                             for p in periods)
            except DomainError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                flash(f"Закрыто периодов: {closed}" if closed else "Выбранные периоды уже закрыты.", "success")
                return redirect(self.get_url(".index_view"))
        checks = [journal.close_check(self.actor, p.id) for p in periods]
        typed = {p.id: form.confirmation(p.id) for p in periods} if request.method == "POST" else {}
        return self.render("journal/period_close.html", checks=checks, ids=",".join(str(p.id) for p in periods),
                           error=error, typed=typed)

    @action("reopen_period", "Открыть период")
    def action_reopen_period(self, ids):
        return redirect(self.get_url(".reopen_view", ids=",".join(str(i) for i in ids)))

    @requires("reopen_period")
    @expose("/reopen/", methods=("GET", "POST"))
    def reopen_view(self):
        """Reopening needs a stated reason, written to the audit with the change."""

        form = ReopenForm.from_form()
        ids = form.period_ids()
        periods = [self.get_one_for(i, "reopen_period") for i in ids[:20]]
        if not periods:
            return redirect(self.get_url(".index_view"))
        error = None
        if request.method == "POST":
            reason = form.reason.data or ""
            try:
                opened = sum(journal.reopen_period(self.actor, p.id, reason) for p in periods)
            except DomainError as exc:
                error = str(exc)
            else:
                flash(f"Открыто периодов: {opened}. Причина записана в журнал изменений.", "success")
                return redirect(self.get_url(".index_view"))
        return self.render("journal/period_reopen.html", periods=periods, ids=",".join(str(p.id) for p in periods),
                           error=error, reason=form.reason.data or "")


class HolidayView(SecureModelView):
    view_key = "holiday"
    column_list = ("year", "name", "start_date", "end_date", "period_type", "grade_from", "grade_to")
    column_default_sort = ("start_date", False)
    column_choices = {"period_type": [(None, "для всех"), ("", "для всех")] + PERIOD_TYPES}
    form_choices = {"period_type": [("", "для всех")] + PERIOD_TYPES}
    form_columns = ("year", "name", "start_date", "end_date", "period_type", "grade_from", "grade_to")
    list_loader_options = (joinedload(Holiday.year),)
    choice_filters = {"year": lambda actor: AcademicYear.is_closed.is_(False)}
    column_descriptions = {"grade_from": "Пусто — для всех", "period_type": "Пусто — для всех"}

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        model.period_type = model.period_type or None


class CalendarDayView(SecureModelView):
    view_key = "calendar_day"
    column_list = ("day", "is_working", "note")
    column_default_sort = ("day", True)
    form_columns = ("day", "is_working", "note")
    column_filters = ("day", "is_working")
    column_descriptions = {"is_working": "Отметьте, если выходной перенесён на этот день (рабочая суббота); "
                                         "без отметки — нерабочий будний день."}
    # Days seeded before the notes were Russian keep the shipped file's English source: shown in Russian.
    column_formatters = column_formatters_export = {"note": lambda view, context, model, name: russian_note(model.note)}

    def on_form_prefill(self, form, id):
        form.note.data = russian_note(form.note.data)


class SimpleDictionaryView(SecureModelView):
    column_default_sort = "name"
    column_searchable_list = ("name",)


class RoomView(SimpleDictionaryView):
    view_key = "room"
    column_list = form_columns = ("name", "capacity", "note")


class PositionView(SimpleDictionaryView):
    view_key = "position"
    column_list = form_columns = ("name",)


class DepartmentView(SimpleDictionaryView):
    view_key = "department"
    college_section = True
    column_list = form_columns = ("name",)


class SpecialtyView(SecureModelView):
    view_key = "specialty"
    college_section = True
    column_list = form_columns = ("code", "name", "qualification", "department")
    column_default_sort = "code"
    column_searchable_list = ("code", "name")


def _admin_account_row_action(page_url):
    return LinkRowAction("fa fa-user-plus", page_url + "?id={row_id}", title="Создать администратора")


def _with_admin_action(get_list_row_actions):
    def wrapped(self):
        actions = list(get_list_row_actions(self))
        if self.allowed("create"):
            actions.append(_admin_account_row_action(self.get_url(".admin_account_view")))
        return actions
    return wrapped


OrganizationView.get_list_row_actions = _with_admin_action(SecureModelView.get_list_row_actions)
