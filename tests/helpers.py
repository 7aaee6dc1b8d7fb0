"""Plain helpers shared by several test modules: pages through the test client (tests/conftest.py's `browser`),
forms as a person fills them, the grid's and the final marks' requests. No fixtures here (they live in
conftest.py) and no data builders (tests/factories.py); a test module never imports another test module.
"""
import functools
import inspect
import json
import os
import re
from html.parser import HTMLParser

from sqlalchemy import text

from admin_views.base import SecureModelView
from models import db
from services import uow
from services.validation import snils_with_checksum
from tests.factories import PASSWORD as TEST_PASSWORD


# -- other processes -------------------------------------------------------------------------------------------


def real_clock_environ(**changes):
    """This process's environment without libfaketime, for a process the test starts (a server, a worker, a
    browser, a client): CI runs the suite again with the machine's clock moved by `faketime` (.ci/run), under
    which another process's sleep fails with EINVAL (FAKETIME_DONT_FAKE_MONOTONIC) or its timers stall. The app's
    day is the test's anyway (FROZEN_TODAY, services.clock)."""
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith(("FAKETIME", "DONT_FAKE"))}
    env.update(changes)
    return env


# -- logging in, flashes, list actions -------------------------------------------------------------------------


def open_browser(browser, login=None, password=TEST_PASSWORD):
    """A browser (see conftest), logged in if asked."""
    b = browser()
    if login is not None:
        resp = b.login(login, password)
        assert resp.status_code == 302, f"{login} did not log in: {resp.status_code}"
    return b


def fresh():
    """Forget what the test's session has cached: requests commit in sessions of their own."""
    db.session.expire_all()


def flashes(resp):
    text = resp.get_data(as_text=True)
    return " ".join(re.sub(r"\s+", " ", re.sub(r"<[^>]+>|&times;", " ", m))
                    for m in re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', text, re.S))


def action(b, url, name, ids, **kwargs):
    return b.post(url, data={"action": name, "rowid": [str(i) for i in ids], "url": url.replace("action/", "")},
                  **kwargs)


def logs_in(browser, login, password):
    """The login works through /login; returns the browser, which must now change the password."""
    b = open_browser(browser)
    resp = b.login(login, password)
    assert resp.status_code == 302, f"{login}/{password} refused"
    return b


def user_of(card):
    fresh()
    return db.session.get(type(card), card.id).user


# -- forms ---------------------------------------------------------------------------------------------------


class FormReader(HTMLParser):
    """The fields of each <form method=post> of a page, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.forms, self._fields, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._fields = []
        if self._fields is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._fields.append((name, attrs.get("value", "y")))
            elif kind not in ("submit", "button", "file"):
                self._fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self._fields.append((self._select, attrs.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._fields.append((name, ""))

    def handle_data(self, data):
        if self._textarea:
            self._fields[-1] = (self._textarea, self._fields[-1][1] + data)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._fields is not None:
            self.forms.append(self._fields)
            self._fields = None


def form_of(page):
    """The main form of a page: the one with the most fields (not the logout button's)."""
    reader = FormReader()
    reader.feed(page.get_data(as_text=True))
    return max(reader.forms, key=len)


def submit(b, url, changes):
    """Open the form at `url`, change some fields and post it back, as a person would (a list
    value: the options chosen in a multiple select)."""
    return post_form(b, url, form_of(b.get(url)), changes)


def post_form(b, url, fields, changes, **kwargs):
    """Post back `fields` of a form opened earlier (form_of), with some of them changed."""
    fields = [(k, v) for k, v in fields if k not in changes]
    fields += [(k, v) for k, values in changes.items() for v in (values if isinstance(values, list) else [values])]
    data = {}
    for key, value in fields:
        data.setdefault(key, []).append(value)
    return b.post(url, data, **kwargs)


def russian_page(resp, code, title):
    html = resp.get_data(as_text=True)
    assert resp.status_code == code
    assert '<html lang="ru">' in html
    assert title in html and f"Код ошибки: {code}" in html
    return html


# -- the journal grid and the final marks -------------------------------------------------------------------


def grid_url(assignment, period=None):
    return f"/journal/{assignment.id}/" + (f"?period={period.id}" if period else "")


def post_payload(b, assignment, period, payload, xhr=True):
    headers = {"X-Requested-With": "fetch"} if xhr else {}
    return b.post(f"/journal/{assignment.id}/save", data={"payload": json.dumps(payload), "period_id": period.id},
                  headers=headers)


def field(student, key, value, original="", version=None):
    data = {f"{student.id}:{key}": value, f"o:{student.id}:{key}": original}
    if version:
        data[f"v:{student.id}:{key}"] = str(version)
    return data


def login(browser, name):
    b = browser()
    b.login(name)
    return b


# -- person cards, the timetable, the registered views --------------------------------------------------------


SNILS = snils_with_checksum("112233445")  # 112-233-445 95


def student_form(world, **changes):
    """A complete student card for class 5А of organization A, as HR types it (dates dd.mm.yyyy)."""
    form = {
        "last_name": "Морозова", "first_name": "Алина", "middle_name": "Сергеевна", "sex": "f",
        "birth_date": "14.03.2011", "snils": SNILS, "klass": str(world.a.klass.id),
        "enrollment_order_number": "45-у", "enrollment_order_date": "28.08.2026",
        "personal_file_number": "М-17", "status": "studying",
        "address": "г. Заречный, ул. Мира, д. 5, кв. 12",
        "birth_certificate_series": "II-АИ", "birth_certificate_number": "512345",
        "birth_certificate_date": "01.04.2011",
        "passport_series": "6525", "passport_number": "123456", "passport_date": "20.03.2025",
        "passport_issued_by": "ГУ МВД России по Свердловской области",
        "family_composition": "полная", "social_status": "многодетная семья",
        "foreign_language": "Немецкий", "parents": [str(world.a.parent.id)],
    }
    for key, value in changes.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    return form


def week_of(b, klass):
    """The token of the class's week in the timetable grid page's form (sent back with a save)."""
    html = b.get(f"/timetable/grid/?class_id={klass.id}").get_data(as_text=True)
    return re.search(r'name="week" value="([^"]*)"', html).group(1)


def registered_views(app):
    admin = app.extensions["journal_admin"]
    return [v for v in admin._views if isinstance(v, SecureModelView)]


def movement_registered(app):
    return any(getattr(v, "endpoint", None) == "movement_order" for v in app.extensions["journal_admin"]._views)


def rollover_pages_registered(app):
    return {"rollover.index", "semester.index", "control.index"} <= set(app.view_functions)


def in_unit(fn):
    """`fn` (a service) called as one request or command calls it: in its own unit of work (services/uow.py), after
    the test's own work is committed (a request sees committed rows only), so a refused call rolls back only itself,
    as between two requests."""
    @functools.wraps(fn)
    def call(*args, **kwargs):
        db.session.commit()
        with uow.unit():
            return fn(*args, **kwargs)
    return call


class InUnits:
    """A service module whose functions are each called in their own unit of work (`in_unit`); its classes and
    constants are the module's own."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        value = getattr(self._module, name)
        return in_unit(value) if inspect.isfunction(value) else value


def analyzed():
    """PostgreSQL's planner statistics of the tables just loaded: autovacuum never sees a test's rows, so its
    pages would be planned as on empty tables (nested loops over every mark of the school)."""
    if db.engine.dialect.name == "postgresql":  # in the test's own transaction: it counts the rows loaded in it
        db.session.execute(text("ANALYZE"))
