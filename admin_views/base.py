"""The one secure base view every model view extends, and the base of the hand-made pages.

Flask-Admin's own `get_query` scoping is not enough: `get_one`, actions, relation
choices, `ajax/update`, `ajax/lookup` and export each reach rows on their own. Here
each of those paths goes through the permission table (services/permissions.py):
the verb of the endpoint must be granted, and rows come only through the actor's
row condition for that verb.

Every endpoint declares what it needs where it is written (as Flask-AppBuilder's `@has_access`):
`@requires("edit", rows=Lesson)` on a page's or a model view's own endpoint, `@public` or
`@signed_in` on a route open to anyone or to any signed-in user. `endpoint_access(app)` lists
every endpoint of the application with its declaration (tests/test_page_matrix.py walks them).
"""
import csv
import io
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import unquote_plus

import flask_admin.model.base as admin_model_base
from flask import abort, flash, g, has_request_context, redirect, request, send_file, session, url_for
from flask_admin import BaseView, expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext, ngettext
from flask_admin.contrib.sqla.tools import get_query_for_ids
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.form import converts
from flask_admin.model.typefmt import list_formatter
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import inspect as sa_inspect, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import fields, widgets

from models import AcademicYear, Role, Staff, StaffRole, db
from models.labels import labels_of
from models.dialect import is_database_busy
from services import audit, database, dates, params, permissions, versions
from services.people import accounts, slips
from services.errors import DATABASE_BUSY, DomainError, is_bad_value
from services.terms import kind_phrase

from admin_views import formatting
from reports.credentials import credentials_bytes, credentials_workbook, slips_filename
from reports.xlsx import XLSX_MIME, Book

log = logging.getLogger(__name__)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

# Which verb each Flask-Admin endpoint needs; an endpoint not listed (nor declared by `requires`) is refused.
ENDPOINT_VERBS = {
    "index_view": "list",
    "details_view": "details",
    "create_view": "create",
    "edit_view": "edit",
    "delete_view": "delete",
    "export": "export",
    "ajax_update": "edit",
    "action_view": None,  # each action is checked by its own name
}


# -- what each endpoint needs ----------------------------------------------------------------------

@dataclass(frozen=True)
class Need:
    """A verb of the permission table an endpoint needs, on `view` (None: the view's own key; a tuple: any
    one of those keys), reaching rows of `rows` (the key's model); refused with `denied` (403 or 404)."""

    verb: str
    rows: type | None = None
    view: str | tuple | None = None
    denied: int = 403

    def views(self, default):
        view = self.view or default
        return view if isinstance(view, tuple) else (view,)

    def met(self, actor, default):
        return any(permissions.allowed(actor, view, self.verb) for view in self.views(default))


@dataclass(frozen=True)
class Access:
    """An endpoint's declaration: open to anyone (`public`), or to a signed-in user who meets every need
    (none: any signed-in user)."""

    needs: tuple = ()
    public: bool = False


# Every declaration made, by the function's dotted name ("admin_views.archive.ArchivePage.index").
DECLARED = {}


def _declare(fn, access):
    fn.access = access  # functools.wraps (Flask-Admin's, Flask-Login's) carries it to the wrapper
    DECLARED[f"{fn.__module__}.{fn.__qualname__}"] = access
    return fn


def requires(verb, rows=None, view=None, denied=403):
    """The endpoint needs `verb` on the view's key (or `view`: a key, or a tuple of keys any one of which
    will do), reaching rows of the model `rows`. Stacked, every need is checked, top to bottom."""
    need = Need(verb, rows, view, denied)

    def declare(fn):
        current = getattr(fn, "access", None)
        return _declare(fn, Access(needs=(need, *(current.needs if current is not None else ()))))
    return declare


def public(fn):
    """Open to anyone, signed in or not (the login page)."""
    return _declare(fn, Access(public=True))


def signed_in(fn):
    """Open to any signed-in user, whatever his roles (the start page, his own password)."""
    return _declare(fn, Access())


def access_of(fn):
    return getattr(fn, "access", None)


def endpoint_access(app):
    """{endpoint: (its view object or None, its Access or None when nothing is declared)} of every URL
    rule of the application. Static files are public; a model view's Flask-Admin endpoints need the verb
    of ENDPOINT_VERBS (an action: its own verb, checked by handle_action)."""
    result = {}
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        fn = app.view_functions[endpoint]
        view = getattr(fn, "__self__", None)
        if endpoint == "static" or endpoint.endswith(".static"):
            access = Access(public=True)
        elif isinstance(view, SecureModelView):
            verb = view.endpoint_verbs.get(fn.__name__, False)
            access = None if verb is False else Access(needs=(Need(verb, view.model),) if verb else ())
        else:
            access = access_of(fn)
        result[endpoint] = (view, access)
    return result


def _exposed(view):
    """{name: declared Access or None} of the view's own exposed endpoints."""
    return {name: access_of(getattr(view, name)) for _, name, _ in view._urls}


class RuDateField(fields.DateField):
    """A date typed as дд.мм.гггг (ISO accepted too), within services/params.py's range."""

    widget = widgets.TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", "%d.%m.%Y")  # how a stored date is shown
        render_kw = kwargs.setdefault("render_kw", {})
        render_kw.setdefault("placeholder", params.DATE_HINT)
        render_kw.setdefault("autocomplete", "off")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = " ".join(valuelist).strip()
        self.data = params.parse_date(text) if text else None
        if text and self.data is None:
            raise ValueError(params.date_error(text))


class RuModelConverter(AdminModelConverter):
    @converts("Date")
    def convert_date(self, field_args, **extra):
        field_args.pop("widget", None)
        return RuDateField(**field_args)


def _date(view, value, name=None):
    return formatting.format_date(value)


def _datetime(view, value, name=None):
    """A stored timestamp in the organization's local time (admin_views/formatting.py)."""
    return formatting.format_datetime(value)


def _bool(view, value, name=None):
    return "да" if value else "нет"


# datetime before date: Flask-Admin takes the first type the value is an instance of, and a datetime is a date
# (a timestamp was shown without its time, and as the UTC day).
TYPE_FORMATTERS = {datetime: _datetime, date: _date, bool: _bool, type(None): lambda v, x, n=None: ""}


def formula_safe(value):
    """An exported value as a spreadsheet reads it: a number stays a number, anything else is text
    (a related record by its name) that never becomes a formula."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def local_url(target):
    """`target` if it is a path on this site, else None. Refused: a scheme or host (`http:evil`,
    `//evil`), a backslash (browsers read `/\\evil` as `//evil`), control characters (browsers drop
    tabs and newlines, so `/\t/evil` is `//evil` to them)."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or CONTROL_CHARACTERS.search(target):
        return None
    return target


def redirect_target(param_name="url"):
    """Where Flask-Admin goes back to after a save, a delete or a cancel: only a path on this site."""
    return local_url(request.values.get(param_name))


# Flask-Admin's own check passes `http:evil.example` (answered as `Location: http:///evil.example`).
# Its model views call this helper as a module global, not as a method, so it is replaced there.
admin_model_base.get_redirect_target = redirect_target


class Guarded:
    """Who is acting, and what a stranger or a user without the right gets: the login page or 403."""

    @property
    def actor(self):
        return g.get("actor") if has_request_context() else None

    def is_accessible(self):
        return current_user.is_authenticated and self.actor is not None

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class _UnitSession:
    """The session a model view writes through: Flask-Admin's own `commit()` after a create, an edit,
    a delete or the delete action only flushes here (a refused row still fails in Flask-Admin's
    try, flashed by handle_view_exception); the request's unit of work commits once (services/uow.py)."""

    def __getattr__(self, name):
        return getattr(db.session, name)

    @property
    def session(self):
        """Flask-Admin 2.2 takes an object with `.session` as the db object (no deprecation of a session
        passed directly) and then calls its session methods on it: this object is both."""
        return self

    def commit(self):
        db.session.flush()


class SecureModelView(Guarded, ModelView):
    view_key = None  # the key of this view in permissions.TABLE
    # Per relation field: actor -> extra SQL condition on the choices.
    choice_filters = {}
    # Eager loads for the list, so a page costs the same whatever its rows.
    list_loader_options = ()
    # Columns and form fields that only a college has (отделение, специальность …).
    college_only = ()
    # A college's own section (Отделения, Специальности): not in a school's menu.
    college_section = False
    # Opening a card of this view (its details or its edit form) is a read of personal data
    # (152-ФЗ art. 19), written to the access log. Every export of every view is, with its rows.
    card_reads_logged = False

    model_form_converter = RuModelConverter
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = TYPE_FORMATTERS
    column_type_formatters_export = {datetime: _datetime, date: _date, bool: _bool, list: list_formatter,
                                     type(None): lambda v, x, n=None: ""}
    column_default_sort = "id"
    column_display_pk = False
    form_excluded_columns = ("org_id", "organization", "created_at", "user", "user_id", "version")
    # The edit form carries the version of the record it shows (`_version`, checked in update_model).
    edit_template = "versioned_edit.html"
    page_size = 50
    can_set_page_size = True
    export_types = ["xlsx", "csv"]
    export_type_labels = {"xlsx": "Excel (.xlsx)", "csv": "CSV (Excel, «;»)"}
    export_max_rows = 5000
    fast_mass_delete = False

    def __init__(self, model, name=None, category=None, endpoint=None, url=None, **kwargs):
        # Labels are declared once on the model (models/labels.py); a view names only those that differ.
        own = type(self).column_labels  # Flask-Admin's own default is a descriptor, not a dict
        # … in a school's words, said in a college's in a college (класс → группа, учитель → преподаватель).
        self.column_labels = {key: kind_phrase(label) for key, label in
                              {**labels_of(model), **(own if isinstance(own, dict) else {})}.items()}
        self.column_descriptions = {key: kind_phrase(text) for key, text in
                                    (type(self).column_descriptions or {}).items()}
        super().__init__(model, _UnitSession(), name=name, category=category, endpoint=endpoint, url=url, **kwargs)
        permissions.check_rows(self.view_key, model)
        # The verb of each endpoint: Flask-Admin's, and those a subclass's own endpoints declare.
        self.endpoint_verbs = dict(ENDPOINT_VERBS)
        for name, access in _exposed(self).items():
            if access is None or name in ENDPOINT_VERBS:
                continue
            need, = access.needs  # one verb on the view's own key and model
            if need.view is not None or need.rows not in (None, model):
                raise TypeError(f"{type(self).__name__}.{name}: a model view's endpoint needs a verb on its own "
                                "key and rows")
            self.endpoint_verbs[name] = need.verb

    # -- who may do what ------------------------------------------------------------

    def allowed(self, verb):
        if not has_request_context():
            return True  # scaffolding at start-up builds every column and form once
        return permissions.allowed(self.actor, self.view_key, verb)

    can_create = property(lambda self: self.allowed("create"))
    can_edit = property(lambda self: self.allowed("edit"))
    can_delete = property(lambda self: self.allowed("delete"))
    can_view_details = property(lambda self: self.allowed("details"))
    can_export = property(lambda self: self.allowed("export"))

    def is_visible(self):
        if self.college_section and not (self.actor is not None and self.actor.org is not None
                                         and self.actor.org.is_college):
            return False
        return self.is_accessible() and self.allowed("list")

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        if name not in self.endpoint_verbs:
            abort(404)
        verb = self.endpoint_verbs[name]
        if verb is not None and not self.allowed(verb):
            abort(403)
        return None

    def is_action_allowed(self, name):
        return self.allowed(name)

    # -- which rows -----------------------------------------------------------------

    def scoped(self, query, verb):
        return query.filter(permissions.row_condition(self.actor, self.view_key, verb, self.model))

    def get_query(self):
        query = self.scoped(super().get_query(), "list")
        return query.options(*self.list_loader_options) if self.list_loader_options else query

    def get_count_query(self):
        return self.scoped(super().get_count_query(), "list")

    def _endpoint(self):
        return (request.endpoint or "").rsplit(".", 1)[-1]

    def _current_verb(self):
        return self.endpoint_verbs.get(self._endpoint()) or "details"

    def get_one(self, id):
        obj = self.get_one_for(id, self._current_verb())
        if self.card_reads_logged and request.method == "GET" and self._endpoint() in ("details_view", "edit_view"):
            audit.log_read(self.actor, "view_card", self.model.__tablename__, obj.id, str(obj))
        return obj

    def get_one_for(self, id, verb):
        pk = sa_inspect(self.model).primary_key[0]
        pk_value = params.parse_id(id)  # every model view's key is an integer id
        if pk_value is None:
            abort(404)
        cond = permissions.row_condition(self.actor, self.view_key, verb, self.model)
        obj = db.session.scalar(select(self.model).where(pk == pk_value, cond))
        if obj is None:
            abort(404)
        return obj

    def _get_list_extra_args(self):
        # Flask-Admin reads ?page= with int(): a huge page overflows the query's OFFSET.
        page = request.args.get("page")
        if page not in (None, "", "0") and params.parse_id(page) is None:
            abort(404)
        return super()._get_list_extra_args()

    def handle_action(self, return_view=None):
        form = self.action_form()
        if not self.validate_form(form):
            abort(400)
        name = form.action.data
        handler = self._actions_data.get(name)
        if handler is None:
            abort(404)
        if not self.allowed(name):
            abort(403)
        ids = request.form.getlist("rowid")
        scoped = permissions.scoped_ids(self.actor, self.view_key, name, self.model, ids)
        if len(scoped) != len(set(ids)) or not scoped:
            abort(404)
        response = handler[0]([str(i) for i in scoped])
        return response if response is not None else redirect(
            local_url(request.form.get("url")) or self.get_url(".index_view"))

    def ajax_lookup(self):
        abort(404)

    @action("delete", lazy_gettext("Delete"), lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        """Flask-Admin's «Удалить» of the selected rows, but all or nothing: a row refused stops it (its reason
        flashed, the request rolled back), and nothing says «Удалено 0 записей» as if it were a success."""
        # the ids are the scoped ones (digits, see `action_view`), compared as numbers (PostgreSQL refuses
        # integer = varchar)
        rows = get_query_for_ids(self.get_query(), self.model, [int(i) for i in ids]).all()
        for row in rows:
            if not self.delete_model(row):
                db.session.rollback()
                return
        flash(ngettext("Record was successfully deleted.", "%(count)s records were successfully deleted.",
                       len(rows), count=len(rows)), "success")

    # -- what a school does not show (nor anyone: a record's version counter) ---------------

    def get_column_names(self, only_columns, excluded_columns):
        """A record's version counter is bookkeeping: never a column of a list, a card or an export."""
        return super().get_column_names(only_columns, [*(excluded_columns or ()), "version"])

    def _for_kind(self, columns):
        actor = self.actor
        if not self.college_only or (actor is not None and actor.org is not None and actor.org.is_college):
            return columns
        return [c for c in columns if c[0] not in self.college_only]

    @property
    def _list_columns(self):
        return self._for_kind(self._all_list_columns)

    @_list_columns.setter
    def _list_columns(self, value):
        self._all_list_columns = value

    @property
    def _details_columns(self):
        return self._for_kind(self._all_details_columns)

    @_details_columns.setter
    def _details_columns(self, value):
        self._all_details_columns = value

    # -- forms: relation choices only from the actor's organization ----------------

    def _scope_choices(self, form, obj=None):
        if self.college_only and not (self.actor.org is not None and self.actor.org.is_college):
            for name in self.college_only:
                if name in form:
                    delattr(form, name)
        mapper = sa_inspect(self.model)
        for field in form:
            if not hasattr(field, "query_factory") or field.name not in mapper.relationships:
                continue
            remote = mapper.relationships[field.name].mapper.class_
            extra = self.choice_filters.get(field.name)
            # What the record already points at stays a valid choice (a graduate's class of a
            # closed year), still only within the organization.
            current = getattr(obj, field.name, None) if obj is not None else None
            kept = [o.id for o in (current if isinstance(current, list) else [current]) if o is not None]

            def factory(remote=remote, extra=extra, kept=kept):
                query = db.session.query(remote)
                if hasattr(remote, "org_id"):
                    query = query.filter(remote.org_id == self.actor.org_id)
                if extra is not None:
                    condition = extra(self.actor)
                    query = query.filter(or_(condition, remote.id.in_(kept)) if kept else condition)
                return query

            field.query, field.query_factory = None, factory
            field._object_list = None
            if getattr(field, "allow_blank", False):
                field.blank_text = "— не выбрано —"
        return form

    def create_form(self, obj=None):
        return self._scope_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._scope_choices(super().edit_form(obj), obj)

    def list_form(self, obj=None):
        return self._scope_choices(super().list_form(obj))

    # -- saving ---------------------------------------------------------------------

    def on_model_change(self, form, model, is_created):
        if is_created and hasattr(model, "org_id"):
            model.org_id = self.actor.org_id

    def create_model(self, form):
        g.saving_form = form  # a refusal marks the fields it names (handle_view_exception); per request:
        try:                  # the view object is shared by the server's threads
            return super().create_model(form)
        finally:
            g.saving_form = None

    def update_model(self, form, model):
        """An edit made from an older version of the record is refused, nothing saved (issue 12):
        two people who opened one card cannot silently overwrite each other."""
        if sa_inspect(model).mapper.version_id_col is not None:
            try:
                versions.claim(model, request.form.get("_version"))
            except versions.StaleEdit as exc:
                flash(exc.message, "error")
                return False
        g.saving_form = form
        try:
            return super().update_model(form, model)
        finally:
            g.saving_form = None

    def _mark_fields(self, exc):
        """A refused save's form is shown again by Flask-Admin with what was typed; the fields the
        DomainError names get its message beside them (the form's own `is-invalid` and feedback)."""
        form = g.get("saving_form")
        if form is None:
            return
        for name, message in exc.fields.items():
            if isinstance(name, str) and name in form:
                field = form[name]
                field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]

    def handle_view_exception(self, exc):
        if database.is_unavailable(exc):
            raise exc  # the 503 page (app.py), not a flash message and a traceback per request
        db.session.rollback()
        if isinstance(exc, StaleDataError):
            flash(versions.STALE, "error")
        elif isinstance(exc, DomainError):
            flash(exc.message + (": " + "; ".join(exc.errors) if exc.errors else ""), "error")
            self._mark_fields(exc)
        elif isinstance(exc, IntegrityError):
            flash("Запись не сохранена: такие данные уже есть или на запись ссылаются другие данные.",
                  "error")
        elif is_database_busy(exc):
            flash(f"Запись не сохранена. {DATABASE_BUSY}.", "error")
        elif is_bad_value(exc):
            flash("Запись не сохранена: число или дата вне допустимого диапазона либо недопустимый символ.",
                  "error")
        else:
            log.exception("view error")
            flash("Запись не сохранена из-за внутренней ошибки. Сообщите администратору.", "error")
        return True

    def get_export_value(self, model, name):
        # Every column passes here: plain text, a related record (its __str__), a dotted path, a list
        # of records, whatever a column_formatters_export returns.
        return formula_safe(self.export_text(model, name))

    def export_text(self, model, name):
        """A column's value as the export shows it (dates дд.мм.гггг, a record by its name), unescaped: the
        .xlsx writes it as a text cell, which no spreadsheet evaluates."""
        return super().get_export_value(model, name)

    def _export_data(self):
        count, data = super()._export_data()
        conditions = unquote_plus(request.query_string.decode())
        audit.log_read(self.actor, "export", self.model.__tablename__, rows=len(data),
                       detail=f"Список «{self.name}», {request.view_args.get('export_type', '').upper()}"
                       + (f"; отбор: {conditions}" if conditions else ""))
        return count, data

    def _export_table(self, value):
        """(headers, rows) of the list as it is selected (its row filter, search, filters and sort: the
        rows of get_query, capped at export_max_rows), each cell `value(row, column)`."""
        count, data = self._export_data()
        columns = self._export_columns
        rows = [[value(row, name) for name, _ in columns] for row in data]
        return [str(label) for _, label in columns], rows

    def _export_file_name(self, extension):
        org = self.actor.org if self.actor is not None else None
        return f"{export_slug(self.name)}-{dates.today(org):%d.%m.%Y}.{extension}"

    def _export_csv(self, return_url):
        """CSV as Russian Excel opens it: UTF-8 with a BOM, «;» between fields. Written whole inside the
        request (Flask-Admin streamed it after the database session had closed: a related record whose
        __str__ loads another broke the file halfway); the export is capped (export_max_rows)."""
        headers, rows = self._export_table(self.get_export_value)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows(rows)
        return self._download(("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", "csv")

    def _export_tablib(self, export_type, return_url):
        """.xlsx through the reports' Book (no tablib): text written as text, so a value like «=cmd» is never
        a formula; printable (A4 landscape, fit to width, the header row on every page)."""
        if export_type != "xlsx":
            abort(404)
        headers, rows = self._export_table(self.export_text)
        book = Book()
        ws = book.sheet(str(self.name) or "Список", repeat_rows=(0, 0))
        ws.set_header(f"&C{str(self.name).replace('&', '&&')}")
        ws.set_footer("&CСтр. &P из &N")
        for col, header in enumerate(headers):
            book.put(ws, 0, col, header, book.header)
            width = max([len(header), *(len(str(row[col])) for row in rows[:200])]) + 2
            ws.set_column(col, col, min(max(width, 8), 60))
        for r, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                book.put(ws, r, col, float(value) if isinstance(value, Decimal) else value, book.cell)
        if rows:
            ws.autofilter(0, 0, len(rows), len(headers) - 1)
        ws.freeze_panes(1, 0)
        return self._download(book.bytes(), XLSX_MIME, "xlsx")

    def _download(self, body, mimetype, extension):
        response = send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True,
                             download_name=self._export_file_name(extension))
        response.headers["Cache-Control"] = "no-store"
        return response


def export_slug(name):
    """A list's file name: its Russian name as it is shown, without what a file system refuses."""
    text = "".join(ch if ch.isalnum() or ch in " -_" else " " for ch in str(name)).strip()
    return "-".join(text.split()) or "spisok"


def open_years(actor):
    """Choice filter: only the years still open (a closed year's data does not change)."""
    return AcademicYear.is_closed.is_(False)


def active_teachers(actor):
    """Choice filter: staff not dismissed who have the teacher's function."""
    return Staff.dismissal_date.is_(None) & Staff.id.in_(
        select(StaffRole.staff_id).where(StaffRole.role == Role.TEACHER.value))


def reachable(view_key, model, verb="edit"):
    """A choice filter: only the rows of `model` the actor may `verb` in the permission table's
    `view_key` (a class teacher is offered his class's students and their parents, no one else)."""
    return lambda actor: permissions.reachable(actor, view_key, verb, model)


class AccountActionsMixin:
    """«Сбросить пароль», «Заблокировать», «Разблокировать»: on accounts and on person cards."""

    def _site(self):
        org = self.actor.org
        return org.site_url if org is not None and org.site_url else request.host_url.rstrip("/")

    def _log_slips(self, credentials, title):
        audit.log_read(self.actor, "slips", self.model.__tablename__, detail=f"{title}: {self.name}",
                       rows=len(credentials))

    def _credentials_response(self, credentials, title):
        self._log_slips(credentials, title)
        return credentials_workbook(credentials, self.actor.org, self._site(), title)

    def _run(self, fn):
        try:
            return fn()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return None

    @action("reset_password", "Сбросить пароль",
            "Выдать выбранным новые пароли? Старые перестанут действовать сразу.")
    def action_reset_password(self, ids):
        return self._run(lambda: self._credentials_response(
            accounts.reset_passwords(self.actor, self.view_key, self.model, ids), "Новые пароли"))

    def _block(self, ids, blocked):
        def run():
            count = accounts.set_blocked(self.actor, self.view_key, self.model, ids, blocked)
            flash(f"{'Заблокировано' if blocked else 'Разблокировано'} учётных записей: {count}", "success")
        self._run(run)

    @action("block", "Заблокировать", "Заблокировать учётные записи выбранных? Их сеансы завершатся.")
    def action_block(self, ids):
        self._block(ids, True)

    @action("unblock", "Разблокировать")
    def action_unblock(self, ids):
        self._block(ids, False)


class LoginActionsMixin(AccountActionsMixin):
    """Adds «Выдать логины» to the account actions of a person card. The action answers with the list, which
    now shows the logins, and a link to the slips kept for a one-time download by this user's session
    (services/people/slips.py); static/app.js starts the download by itself."""

    def _slips_key(self):
        return f"slips.{self.endpoint}"

    @action("issue_logins", "Выдать логины",
            "Выдать учётные записи выбранным? Пароли будут показаны один раз — в файле для печати.")
    def action_issue_logins(self, ids):
        def run():
            title = "Учётные данные"
            credentials = accounts.issue_logins(self.actor, self.view_key, self.model, ids)
            self._log_slips(credentials, title)
            data = credentials_bytes(credentials, self.actor.org, self._site(), title)
            session[self._slips_key()] = slips.store(self.actor.user_id, data)
            flash(Markup("Выдано логинов: {}. <a href=\"{}\" data-autodownload>Скачать листки с логинами и "
                         "паролями</a> — файл можно получить один раз, пароли больше нигде не показываются.")
                  .format(len(credentials), self.get_url(".slips_view")), "success")
        self._run(run)

    @requires("list")
    @expose("/slips/")
    def slips_view(self):
        """The slips of the logins this user has just issued on this list: once, not cached. The list's verb
        is enough: what answers is only what this session's «Выдать логины» kept, for this user."""
        data = slips.take(self.actor.user_id, session.pop(self._slips_key(), None))
        if data is None:
            flash("Файл с логинами уже получен или устарел: пароли показываются один раз. Чтобы выдать "
                  "новые, используйте «Сбросить пароль».", "warning")
            return redirect(self.get_url(".index_view"))
        response = send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True,
                             download_name=slips_filename(self.actor.org))
        response.headers["Cache-Control"] = "no-store"
        return response


def account_status(view, context, model, name):
    user = model.user
    if user is None:
        return Markup('<span class="text-muted">не выдан</span>')
    label = user.login + (" (заблокирован)" if user.is_blocked else "")
    return label


class SecurePage(Guarded, BaseView):
    """A hand-made page (grid, diary, wizard) on one key of the permission table (`view_key`). Each of
    its endpoints declares what it needs (`@requires`); one without a declaration is refused. The page
    is in the menu when its index's needs are met. Each handler checks its rows itself."""

    view_key = None
    needs_organization = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = _exposed(self)
        for access in self.access.values():
            for need in access.needs if access is not None else ():
                for view in need.views(self.view_key):
                    if need.rows is not None:
                        permissions.check_rows(view, need.rows)

    def meets(self, access):
        return access is not None and all(need.met(self.actor, self.view_key) for need in access.needs)

    def is_visible(self):
        return self.is_accessible() and self.meets(self.access.get(self._default_view))

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        access = self.access.get(name)
        if access is None:
            abort(403)  # an endpoint that declares nothing is nobody's
        if self.needs_organization and self.actor.org is None:
            abort(403)
        for need in access.needs:
            if not need.met(self.actor, self.view_key):
                abort(need.denied)
        return None
