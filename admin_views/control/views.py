"""«Контроль»: the regulations' deadlines of the user's roles, overdue and due soon
(services/control/deadlines.py), each with a link to where it is fixed."""

from flask import url_for
from flask_admin import expose
from werkzeug.routing import BuildError

from admin_views.base import requires
from admin_views.rollover.views import GuardedPage
from services import dates
from services.control import deadlines as control


def link_of(item):
    """The item's page, or None when that page is not installed."""
    if item.link is None:
        return None
    endpoint, args = item.link
    try:
        return url_for(endpoint, **args)
    except BuildError:
        return None


class ControlPage(GuardedPage):
    view_key = "control"

    @requires("list")
    @expose("/")
    def index(self):
        result = control.control(self.actor, dates.today(self.actor.org))
        return self.render("control/index.html", result=result, link_of=link_of)


def pages():
    """Hand-made pages of this part, for admin_views/registry.py."""
    return [ControlPage(name="Контроль", endpoint="control", url="/control")]
