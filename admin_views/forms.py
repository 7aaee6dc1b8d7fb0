"""The inputs of hand-made pages as WTForms forms (issue 14.8): each page's form is a class that names its
fields once, and the page reads the fields, never `request.form` or `request.args` by hand. A page makes
its form from the request with `from_form()` (the POST body), `from_args()` (the query string) or
`from_values()` (both, as `request.values`); inputs whose names carry ids (a grid's cells, `code-<id>`)
are read by methods of the page's form class.

The field types read outside text the way services/params.py does, and answer bad input the way the pages
always have (admin_views/args.py): an id that is not one (`IdField`, `IdListField`) is «не найдено» (404);
a date that is not one (`DateField`) is a DomainError naming the field — a Russian 400 (app.py) or, read
inside the page's `try`, its message. A bad value answers when the page reads the field (`.data`), not when
the form is made: a field the page does not read in a request refuses nothing, and a refusal comes at the
same point of the page as the hand reading did.

No CSRF field here: `CSRFProtect` (app.py) checks every POST before the page runs.

A form never loses what was typed (issue 15.2): a save refused (a DomainError) is answered by the page
itself, not by a redirect — `refused(exc, form)` rolls the unit back (nothing of the save is written),
flashes the message (every detail) and returns a `Sent`, and the page renders its template again with it (status
`REFUSED`): every input shows what the user sent, rows he added included, and the inputs the error names
(`exc.fields`) are marked `is-invalid` with their message beside them (templates/_sent.html).
"""
from flask import abort, flash, request
from wtforms import Field, Form
from wtforms.utils import unset_value
from wtforms.widgets import TextInput

from services import uow
from services.errors import DomainError, PermissionDenied
from services.params import MAX_ID, date_error, parse_date, parse_id, parse_int

# The status of a form shown again after a refused save: the page, as the absences page always answered
# (a save that succeeds redirects, so a client tells them apart; a 4xx document is a console error in
# the browser).
REFUSED = 200


class PageForm(Form):
    """A hand-made page's inputs."""

    def __init__(self, formdata, **kwargs):
        super().__init__(formdata, **kwargs)
        self.formdata = formdata  # for the inputs read by name pattern

    @classmethod
    def from_form(cls):
        return cls(request.form)

    @classmethod
    def from_args(cls):
        return cls(request.args)

    @classmethod
    def from_values(cls):
        return cls(request.values)

    def named(self, prefix):
        """[(the rest of the name, value)] of the inputs whose names start with `prefix`, in the
        request's order (the first value of each)."""
        return [(key[len(prefix):], self.formdata.get(key)) for key in self.formdata if key.startswith(prefix)]

    def value(self, name):
        """The first value of the input `name` (read by pattern, not a declared field), or None."""
        return self.formdata.get(name)


class InputField(Field):
    """A field read from the request only (the page renders its own inputs); `text` is the first value
    as typed ("" when absent). A bad value is kept as a refusal that `data` raises when the page
    reads it. `source` ("args", "form" or "values"): where this field is read, whatever the form's
    (a POST form's record id may come in its query string)."""

    widget = TextInput()
    _refusal = None
    _data = None

    def __init__(self, label=None, source=None, **kwargs):
        super().__init__(label, **kwargs)
        self.source = source

    def process(self, formdata, data=unset_value, extra_filters=None):
        if self.source is not None and formdata is not None:
            formdata = getattr(request, self.source)
        super().process(formdata, data, extra_filters)

    @property
    def data(self):
        if self._refusal is not None:
            self._refusal()
        return self._data

    @data.setter
    def data(self, value):
        self._data = value

    @property
    def text(self):
        return self.raw_data[0] if self.raw_data else ""

    def process_formdata(self, valuelist):
        self._refusal = None
        self.data = self.parse(valuelist)

    def parse(self, valuelist):
        raise NotImplementedError

    def refuse(self, refusal):
        self._refusal = refusal


def _not_found():
    abort(404)


class TextField(InputField):
    """Text as sent: the first value, None when the input is absent (`request.form.get`); `strip`:
    surrounding spaces taken off."""

    def __init__(self, label=None, strip=False, **kwargs):
        super().__init__(label, **kwargs)
        self.strip = strip

    def parse(self, valuelist):
        if not valuelist:
            return None
        return valuelist[0].strip() if self.strip else valuelist[0]


class TextListField(InputField):
    """Every value of a repeated input, as sent (the service reads them)."""

    def parse(self, valuelist):
        return list(valuelist)


class IntField(InputField):
    """A whole number in [low, high] (services/params.parse_int), None when absent or not one."""

    def __init__(self, label=None, low=1, high=MAX_ID, **kwargs):
        super().__init__(label, **kwargs)
        self.low, self.high = low, high

    def parse(self, valuelist):
        return parse_int(valuelist[0], low=self.low, high=self.high) if valuelist else None


class IdField(InputField):
    """A row id (services/params.parse_id), None when absent or empty; anything else is 404."""

    def parse(self, valuelist):
        raw = valuelist[0] if valuelist else None
        if raw in (None, ""):
            return None
        pk = parse_id(raw)
        if pk is None:
            self.refuse(_not_found)
        return pk


class IdListField(InputField):
    """Every id of a repeated input (?class_id=1&class_id=2), empty ones skipped; 404 when one of them
    is no id."""

    def parse(self, valuelist):
        ids = [parse_id(raw) for raw in valuelist if raw != ""]
        if None in ids:
            self.refuse(_not_found)
        return ids


class DateField(InputField):
    """A date typed as дд.мм.гггг or ISO (services/params.parse_date), None when absent or blank; any
    other text is a DomainError «<label>: «…» — не дата…» (with `strip`, the text is named without its
    surrounding spaces)."""

    def __init__(self, label=None, strip=False, **kwargs):
        super().__init__(label, **kwargs)
        self.strip = strip

    def parse(self, valuelist):
        raw = (valuelist[0] if valuelist else "") or ""
        if not raw.strip():
            return None
        day = parse_date(raw)
        if day is None:
            message = date_error(raw.strip() if self.strip else raw, self.label.text)

            def refuse():
                raise DomainError(message)
            self.refuse(refuse)
        return day

    def error(self):
        """The Russian message for a bad date, or None (for a page that shows it beside the field)."""
        try:
            self.data  # noqa: B018 — reading is the check
        except DomainError as exc:
            return str(exc)
        return None


class RecordQuery(PageForm):
    """The record a model view's own page is about (`?id=`, or `id` in its form): a bad id is 404, and
    so is none (`SecureModelView.get_one_for`)."""

    id = IdField()


class Sent:
    """What a form sent, shown again after a refused save; on a first showing (`Sent()`) every input
    shows what is stored. `errors`: {input name: Russian message} of the inputs to mark."""

    def __init__(self, formdata=None, errors=None):
        self.formdata = formdata
        self.errors = dict(errors or {})

    def __bool__(self):
        return self.formdata is not None

    def value(self, name, stored=""):
        """What the input `name` sent (as typed), else what is stored."""
        if self.formdata is None or name not in self.formdata:
            return "" if stored is None else stored
        return self.formdata.get(name)

    def values(self, name, stored=()):
        """Every value of a repeated input (a multiple select), else the stored ones."""
        if self.formdata is None:
            return [str(v) for v in stored]
        return self.formdata.getlist(name)

    def checked(self, name, stored=False):
        """A checkbox: as sent (an unticked box sends nothing), else as stored."""
        return (name in self.formdata) if self.formdata is not None else bool(stored)

    def selected(self, name, option, stored=None):
        """Is `option` the chosen value of the select `name`?"""
        return str(self.value(name, "" if stored is None else stored)) == str(option)

    def chosen(self, name, option, stored=None):
        """A radio button or a box of a group: ticked as sent (none ticked sends nothing), else as stored."""
        if self.formdata is None:
            return str(stored) == str(option)
        return str(option) in self.formdata.getlist(name)

    def numbers(self, prefix):
        """The numbers n of the inputs named «<prefix><n>…» that were sent (the rows a user added)."""
        found = set()
        for key in self.formdata or ():
            if key.startswith(prefix):
                digits = ""
                for ch in key[len(prefix):]:
                    if not ch.isdigit():
                        break
                    digits += ch
                n = parse_int(digits, low=0) if digits else None
                if n is not None:
                    found.add(n)
        return sorted(found)

    def invalid(self, name):
        """The input's CSS class: `is-invalid` when the error names it."""
        return "is-invalid" if name in self.errors else ""

    def error(self, name):
        return self.errors.get(name, "")


def refused(exc, formdata=None, fields=None):
    """A DomainError of a form's save, answered on the form: the unit rolled back (the save changed
    nothing), the message flashed, the `Sent` to render the form
    again with. `fields`: the exception's field names → the page's input names (a function or a dict;
    names it does not map are kept as they are). A refused right stays the 403 page."""
    uow.rollback()
    if isinstance(exc, PermissionDenied):
        raise exc
    errors = {}
    for name, message in exc.fields.items():
        mapped = fields(name) if callable(fields) else (fields or {}).get(name, name)
        if mapped is not None:
            errors[mapped] = message
    flash(str(exc), "error")  # every detail in words, the marked ones too
    return Sent(request.form if formdata is None else formdata, errors)
