"""«Данные для ФИС «Контингент»» (issue 17.6, seed 000 §4.3): in the first week of September the class teacher
enters his class's full data for the federal contingent register — the page lists, per student, what his card
lacks (a class teacher his class, the administration every class); the administrator downloads the
organization's contingent in the layout of docs/CONTINGENT.md (services/people/contingent.py)."""
import io

from flask import abort, redirect, send_file, url_for
from flask_admin import expose
from models import SchoolClass
from services import dates, permissions
from services.errors import DomainError
from services.org.years import current_year
from services.people import contingent

from admin_views.base import SecurePage, requires
from admin_views.forms import IdField, PageForm, TextField, refused

PEOPLE = "Люди"  # the menu's category of the people's cards (admin_views/registry.py)

MIME = {"json": "application/json", "xml": "application/xml"}


class ContingentQuery(PageForm):
    """The class shown (all the actor may check without it); the export's format."""

    class_id = IdField()
    format = TextField(strip=True)


class ContingentPage(SecurePage):
    view_key = contingent.VIEW_KEY
    needs_organization = True

    @requires("list", rows=SchoolClass)
    @expose("/")
    def index(self):
        query = ContingentQuery.from_args()
        today = dates.today(self.actor.org)
        year = current_year(self.actor.org)
        classes = contingent.completeness(self.actor, year, today, query.class_id.data) if year else []
        if query.class_id.data is not None and not classes:
            abort(404)
        return self.render("people/contingent.html", year=year, classes=classes, today=today,
                           class_id=query.class_id.data, version=contingent.LAYOUT_VERSION,
                           can_export=permissions.allowed(self.actor, self.view_key, "export"),
                           can_edit=permissions.allowed(self.actor, "student", "edit"))

    @requires("list", rows=SchoolClass)
    @requires("export")
    @expose("/export")
    def export(self):
        fmt = ContingentQuery.from_args().format.data or "json"
        try:
            content, name = contingent.export(self.actor, fmt)
        except DomainError as exc:
            refused(exc)
            return redirect(url_for(".index"))
        response = send_file(io.BytesIO(content), mimetype=MIME[fmt], as_attachment=True, download_name=name)
        response.headers["Cache-Control"] = "no-store"
        return response


def pages():
    return [ContingentPage(name="Данные для ФИС «Контингент»", category=PEOPLE, endpoint="contingent",
                           url="/contingent")]
