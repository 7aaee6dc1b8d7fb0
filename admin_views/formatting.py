"""How dates and times are shown: Jinja filters on Flask-Babel (locale ru), registered by create_app,
and the model views' column formatters (admin_views/base.py) built on the same functions.

`|date` → дд.мм.гггг (`|date(short=True)` → дд.мм), `|datetime` → дд.мм.гггг чч:мм, `|time` → чч:мм.
A stored timestamp (naive UTC) is shown in the current organization's local time (the clock's
default zone: the signed-in user's organization, else Moscow) — on every page the same, the audit
journals, the journal's history and a movement order's «Проведён» alike; a date or a bell's time is
shown as it is. A plain date's numeric pattern is the same in every locale: it is made by
services/dates.py directly (strftime, as the pages did before), since the journal's grid shows
hundreds of them and Babel's formatter costs four times as much.
"""
from datetime import datetime, time

import flask_babel
from jinja2 import pass_context

from services import dates, terms

# Babel's patterns of services/dates.py's DATE_FORMAT, DAY_FORMAT, DATETIME_FORMAT, TIME_FORMAT.
DATE = "dd.MM.yyyy"
DAY = "dd.MM"
DATETIME = "dd.MM.yyyy HH:mm"
TIME = "HH:mm"


def _local(value):
    """A stored timestamp as an aware datetime of the current organization's zone (Flask-Babel
    formats it as it is: no per-request cache of the zone is involved)."""
    return dates.local(value)


def format_date(value, short=False):
    """дд.мм.гггг (short: дд.мм) of a date; a stored timestamp gives its local day; None → ''."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return flask_babel.format_datetime(_local(value), DAY if short else DATE, rebase=False)
    return value.strftime(dates.DAY_FORMAT) if short else dates.format_date(value)


def format_datetime(value):
    """дд.мм.гггг чч:мм of a stored timestamp in the organization's local time; a date → дд.мм.гггг."""
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime):
        return format_date(value)
    return flask_babel.format_datetime(_local(value), DATETIME, rebase=False)


def format_time(value):
    """чч:мм of a time of day (a bell), or of a stored timestamp in the local time; None → ''."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return flask_babel.format_datetime(_local(value), TIME, rebase=False)
    if isinstance(value, time):
        return value.strftime(dates.TIME_FORMAT)
    return str(value)


@pass_context  # never folded into the compiled template: `{{ "…"|kind }}` of a school's page stays a school's
def _for_kind(context, text, org=None):
    return terms.for_kind(text, org)


def register(app):
    """The filters of every template."""
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_time, "time")
    app.add_template_filter(_for_kind, "kind")  # a school's text in a college's words in a college


__all__ = ["format_date", "format_datetime", "format_time", "register"]
