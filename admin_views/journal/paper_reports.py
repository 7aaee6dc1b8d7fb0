"""«Заявления на бумажный отчёт» (seed 001 §8.12): the register of parents' written requests for the weekly
printed progress report (the class teacher: his class; the administration: all), and the week's print in one
action (the administrator, the deputy director): one workbook of a sheet per student (reports/paper_reports.py).
The rules are services/journal/paper_reports.py's."""
from datetime import timedelta

from flask import current_app, flash, redirect, url_for
from flask_admin import expose

from admin_views.base import SecurePage, requires
from admin_views.forms import REFUSED, Sent, refused
from admin_views.journal.forms import PaperRequestEndForm, PaperRequestForm, PaperWeekForm
from admin_views.journal.grid import JOURNAL
from models import PaperReportPrint, PaperReportRequest
from reports import paper_reports as week_prints
from services import dates, permissions
from services.errors import DomainError
from services.journal import paper_reports

PRINT = "paper_report_print"


class PaperReportsPage(SecurePage):
    view_key = paper_reports.KEY

    @requires("list", rows=PaperReportRequest)
    @expose("/")
    def index(self):
        query = PaperWeekForm.from_args()
        try:
            day = query.week.data
        except DomainError as exc:
            flash(str(exc), "error")
            day = None
        return self._show(Sent(), day)

    def _show(self, sent, day=None, status=200):
        actor = self.actor
        today = dates.today(actor.org)
        monday = paper_reports.week_of(day or today - timedelta(weeks=1))
        can_print = permissions.allowed(actor, PRINT, "create")
        body = self.render(
            "journal/paper_reports.html", sent=sent, rows=paper_reports.requests_of(actor), today=today,
            can_create=permissions.allowed(actor, paper_reports.KEY, "create"),
            can_end=permissions.allowed(actor, paper_reports.KEY, "edit"),
            choices=paper_reports.choices(actor) if permissions.allowed(actor, paper_reports.KEY, "create") else [],
            can_print=can_print, monday=monday, week_delta=timedelta(days=6),
            week_label=paper_reports.week_label(monday),
            week_students=paper_reports.active_students(actor.org_id, monday) if can_print else [],
            prints=paper_reports.prints_of(actor) if permissions.allowed(actor, PRINT, "list") else [])
        return body, status

    @requires("create", rows=PaperReportRequest)
    @expose("/add", methods=("POST",))
    def add(self):
        form = PaperRequestForm.from_form()
        try:
            paper_reports.add_request(self.actor, form.student_id.data, form.parent_id.data, form.requested_on.data,
                                      form.ends_on.data, form.note.data)
        except DomainError as exc:
            return self._show(refused(exc), status=REFUSED)
        flash("Заявление внесено в реестр.", "success")
        return redirect(url_for(".index"), 303)

    @requires("edit", rows=PaperReportRequest)
    @expose("/<id:request_id>/end", methods=("POST",))
    def end(self, request_id):
        form = PaperRequestEndForm.from_form()
        try:
            paper_reports.end_request(self.actor, request_id, form.ends_on.data)
        except DomainError as exc:
            return self._show(refused(exc, fields={"ends_on": f"ends_on-{request_id}"}), status=REFUSED)
        flash("Окончание заявления записано.", "success")
        return redirect(url_for(".index"), 303)

    @requires("list", rows=PaperReportRequest)
    @requires("create", rows=PaperReportPrint, view=PRINT)
    @expose("/print", methods=("POST",))
    def print_week(self):
        form = PaperWeekForm.from_form()
        day = None
        try:
            day = form.week.data
            if day is None:
                raise DomainError("Отчёты не напечатаны", ["Укажите неделю"], {"week": "Укажите неделю"})
            week = week_prints.print_week(self.actor, day, current_app.config.get("REPORT_PAPER", "A4"))
        except DomainError as exc:
            return self._show(refused(exc), day, status=REFUSED)
        return week.book.response(f"{week.filename}.xlsx")


def pages():
    return [PaperReportsPage(name="Заявления на бумажный отчёт", category=JOURNAL, endpoint="paper_reports",
                             url="/paper-reports")]
