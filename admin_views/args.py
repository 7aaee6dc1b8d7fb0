"""The request's ids and dates, read through services/params.py. Absent or empty is None (the page
takes its default); an id that is not one is «не найдено» (404); a date that is not one is a
Russian 400 naming the value. Routes take ids as `<id:name>` (IdConverter, registered by app.py)."""
from flask import abort, request
from werkzeug.routing import BaseConverter, ValidationError

from services.errors import DomainError
from services.params import date_error, parse_date, parse_id


def _values(source):
    return request.values if source is None else source


def id_arg(name, source=None):
    """The id in parameter `name` (of request.values unless `source` is given), or None."""
    raw = _values(source).get(name)
    if raw in (None, ""):
        return None
    return parse_id(raw) or abort(404)


def ids_arg(name, source=None):
    """Every id of a repeated parameter (?class_id=1&class_id=2); 404 when one of them is no id."""
    return [parse_id(raw) or abort(404) for raw in _values(source).getlist(name) if raw != ""]


def date_arg(name, label, source=None):
    """The date in parameter `name`, or None; a Russian 400 (DomainError) when it is no date."""
    raw = _values(source).get(name) or ""
    if not raw.strip():
        return None
    day = parse_date(raw)
    if day is None:
        raise DomainError(date_error(raw, label))
    return day


class IdConverter(BaseConverter):
    """`<id:name>`: only a canonical id in the column range matches the route; anything else is 404."""

    regex = r"[1-9][0-9]{0,17}"

    def to_python(self, value):
        pk = parse_id(value)
        if pk is None:
            raise ValidationError()
        return pk

    def to_url(self, value):
        return str(int(value))
