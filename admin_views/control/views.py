"""«Контроль»: the regulations' deadlines of the user's roles, overdue and due soon
(services/control/deadlines.py), each with a link to where it is fixed; «Сроки регламента»: the organization's
values of those deadlines (services/control/rules.py), which its administrator adjusts."""

from flask import url_for
from flask_admin import expose
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BuildError

from admin_views.base import SecureModelView, requires
from admin_views.rollover.views import GuardedPage
from models import DeadlineRule
from services import dates
from services import uow
from services.control import deadlines as control
from services.control import rules as deadline_rules


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


def _term(view, context, model, name):
    rule = deadline_rules.rule_of(model)
    return rule.term if rule is not None else ""


class DeadlineRuleView(SecureModelView):
    """«Сроки регламента»: one row per deadline of the control page; the administrator changes its number of days
    (or its date), its title and whether it is controlled — never its code (the validator refuses it)."""

    view_key = "deadline_rule"
    column_list = ("title", "term", "reference", "enabled")
    column_default_sort = ("id", False)
    column_labels = {"term": "Значение"}
    column_formatters = column_formatters_export = {"term": _term}
    column_searchable_list = ("title",)
    form_columns = ("title", "days", "month", "day", "from_day", "enabled")
    column_descriptions = {
        "days": "Для сроков в рабочих днях — от 0 («в тот же день») до 60; для периодичных — раз в сколько "
                "календарных дней (1–60); для каникул — за сколько календарных дней. У сроков к дате оставьте пустым.",
        "month": "Только для сроков к дате учебного года (например, 8 — до 31 августа)",
        "day": "Только для сроков к дате учебного года",
        "from_day": "Только для срока «с … по …» (формирование 1-х классов)",
        "enabled": "Снимите отметку, чтобы срок не проверялся на странице «Контроль»"}

    def get_list(self, *args, **kwargs):
        # The organization's rows are made from the defaults the first time the list is opened (a new code too).
        if self.allowed("edit"):
            try:
                if deadline_rules.ensure_rows(self.actor.org_id):
                    uow.checkpoint("the organization's deadline rules, made from the defaults, are listed and edited")
            except IntegrityError:  # another request made them at the same moment: they are there
                uow.rollback()
        return super().get_list(*args, **kwargs)


def views():
    """Model views of this part, for admin_views/registry.py."""
    return [DeadlineRuleView(DeadlineRule, "Сроки регламента", "Организация", "deadline_rule", "/deadline-rules")]


def pages():
    """Hand-made pages of this part, for admin_views/registry.py."""
    return [ControlPage(name="Контроль", endpoint="control", url="/control")]
