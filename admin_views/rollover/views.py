"""The year rollover wizard (the administrator) and the colleges' transfer between semesters.

Every page shows what its step will change before the button runs it; the work and the rules are
in services/rollover/year.py and services/rollover/semester.py.
"""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from sqlalchemy import select

from models import AcademicYear, db
from services import dates, permissions
from services.rollover import year as rollover
from services.rollover import background, semester
from services.errors import DomainError, PermissionDenied
from services.org.years import current_year
from services.params import parse_date

from admin_views.rollover.forms import SemesterForm, StepForm, YearQuery
from admin_views.base import SecurePage, requires
from admin_views.forms import Sent, refused
from services.movement.orders import suggest_number

ORG = "Организация"


class GuardedPage(SecurePage):
    """A hand-made page guarded by one key of the permission table (list to see it)."""

    view_key = None

    needs_organization = True

    def _year(self, default):
        """The year chosen on the page (?year_id=) among the organization's, else `default`."""
        year_id = YearQuery.from_values().year_id.data
        if year_id:
            year = db.session.get(AcademicYear, year_id)
            if year is None or year.org_id != self.actor.org_id:
                abort(404)
            return year
        return default

    def _years(self):
        return db.session.scalars(select(AcademicYear).order_by(AcademicYear.start_date.desc())).all()

    def _perform(self, fn, typed=False):
        """Run a step: its summary shown on success, the rule's message on refusal (nothing saved);
        `typed`: the step's form has inputs — a refusal returns the Sent to show them again."""
        if not permissions.allowed(self.actor, self.view_key, "run"):
            abort(403)
        try:
            result = fn()
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        except DomainError as exc:
            if typed:
                return refused(exc)
            db.session.rollback()
            flash(str(exc), "error")
            return False
        summary = getattr(result, "summary", result)
        changed = getattr(result, "changed", True)
        flash(summary, "success" if changed else "info")
        return True


class RolloverPage(GuardedPage):
    """Переход на новый учебный год: five steps with a preview each."""

    view_key = "year_rollover"

    def _wizard(self):
        year = self._year(rollover.source_year(self.actor.org_id))
        if year is None:
            return None, None
        return year, rollover.state(self.actor, year)

    @requires("list", rows=AcademicYear)
    @expose("/")
    def index(self):
        year, wizard = self._wizard()
        if year is None:
            return self.render("rollover/empty.html")
        number = wizard.current or 5
        return redirect(url_for(".step", number=number, year_id=year.id))

    @requires("list", rows=AcademicYear)
    @expose("/step/<int:number>/", methods=("GET", "POST"))
    def step(self, number):
        if number not in rollover.STEPS:
            abort(404)
        year, wizard = self._wizard()
        if year is None:
            return redirect(url_for(".index"))
        actor = self.actor
        if request.method == "POST":
            form = StepForm.from_form()
            if background.in_background(year, number):  # a heavy step of a large organization: a background job
                if not permissions.allowed(actor, self.view_key, "run"):
                    abort(403)
                background.start(actor, year, number, form.order_number.data, parse_date(form.order_date.data))
                flash("Шаг выполняется в фоне: ход — на этой странице и в «Моих заданиях».", "info")
                return redirect(url_for(".step", number=number, year_id=year.id))
            runs = {
                1: lambda: rollover.run_check(actor, year),
                2: lambda: rollover.close_year(actor, year, form.confirm.data, form.reason.data),
                3: lambda: rollover.create_next_year(actor, year),
                4: lambda: rollover.transfer_students(actor, year, form.order_number.data,
                                                      parse_date(form.order_date.data)),
                5: lambda: rollover.copy_planning(actor, year),
            }
            ok = self._perform(runs[number], typed=number in (2, 4))
            if isinstance(ok, Sent):  # step 2's reason, step 4's order number and date shown again as typed
                return self._show(number, year, rollover.state(actor, year), ok)
            db.session.expire_all()
            wizard = rollover.state(actor, year)
            following = number + 1 if ok and number < 5 and wizard.step(number).done else number
            return redirect(url_for(".step", number=following, year_id=year.id))
        return self._show(number, year, wizard, Sent())

    def _show(self, number, year, wizard, sent):
        actor = self.actor
        previews = {
            1: rollover.preview_check, 2: rollover.preview_close, 3: rollover.plan_next_year,
            4: rollover.preview_transfer, 5: rollover.preview_planning,
        }
        preview = previews[number](actor, year)
        shown = StepForm.from_args()
        order_number = shown.order_number.data
        if number == 4 and not order_number:
            order_number = suggest_number(actor.org_id, year.end_date)
        return self.render(f"rollover/step{number}.html", year=year, wizard=wizard, number=number,
                           preview=preview, years=self._years(), today=dates.today(self.actor.org),
                           can_run=permissions.allowed(actor, self.view_key, "run"), order_number=order_number or "",
                           order_date=shown.order_date.data or dates.format_date(year.end_date), sent=sent,
                           reason=sent.value("reason", shown.reason.data or ""), reason_min=rollover.REASON_MIN,
                           background_job=background.latest(actor, year, number) if number in background.HEAVY
                           else None)


class SemesterPage(GuardedPage):
    """Технический перевод по семестрам (a college): the next semester's hours become the load."""

    view_key = "semester_transfer"

    def is_visible(self):
        return super().is_visible() and self.actor.org is not None and self.actor.org.is_college

    @requires("list", rows=AcademicYear)
    @expose("/", methods=("GET", "POST"))
    def index(self):
        actor = self.actor
        if not actor.org.is_college:
            abort(404)
        year = self._year(current_year(actor.org))
        if year is None:
            return self.render("rollover/empty.html")
        if request.method == "POST":
            form = SemesterForm.from_form()
            self._perform(lambda: semester.switch(actor, year, form.close_previous.data == "1"))
            return redirect(url_for(".index", year_id=year.id))
        try:
            plan = semester.preview(actor, year)
        except DomainError as exc:
            flash(str(exc), "error")
            plan = None
        return self.render("rollover/semester.html", year=year, years=self._years(), plan=plan,
                           can_run=permissions.allowed(actor, self.view_key, "run"))


def pages():
    """Hand-made pages of this part, for admin_views/registry.py."""
    return [
        RolloverPage(name="Переход на новый учебный год", category=ORG, endpoint="rollover", url="/rollover"),
        SemesterPage(name="Перевод по семестрам", category=ORG, endpoint="semester", url="/semester"),
    ]
