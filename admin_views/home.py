"""The start page: «what do I do today» for each of the user's roles (services/home/sections.py)."""
from flask import g, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user
from werkzeug.routing import BuildError

from models import Role
from services.announcements.board import text_parts
from services.home import sections, visits
from services.journal.diary import WEEKDAY_NAMES
from services.terms import term

from admin_views.base import signed_in
from admin_views.control.views import link_of

WEEKDAYS_SHORT = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")


class HomeView(AdminIndexView):
    def is_accessible(self):
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path if request.path != "/" else None))

    @signed_in
    @expose("/")
    def index(self):
        actor = g.actor
        if actor.org is None and actor.has(Role.REGION):
            return redirect(url_for("regional.index"))  # a regional specialist's start: his scope's roll-ups
        since = None
        if actor.org is not None and actor.user_id and actor.has(Role.PARENT, Role.STUDENT):
            since = visits.since_last_visit(actor.user_id)
        home = sections.build(actor, since)
        roles = [role_label(r, actor.org) for r in sorted(actor.roles)]
        return self.render("home.html", home=home, roles=roles, link_of=link_of, url_or_none=url_or_none,
                           announcement_parts=text_parts,
                           weekday=lambda d: WEEKDAY_NAMES[d.weekday()].lower(), weekday_short=WEEKDAYS_SHORT)


def url_or_none(endpoint, **args):
    """The page's address, or None when that page is not installed."""
    try:
        return url_for(endpoint, **args)
    except BuildError:
        return None


def role_label(code, org=None):
    """A role's name as this kind of institution says it (куратор, преподаватель in a college)."""
    if code == Role.CLASS_TEACHER.value:
        return term("class_teacher", org)
    if code == Role.TEACHER.value:
        return term("teacher", org)
    return Role(code).label
