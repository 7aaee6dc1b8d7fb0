"""Shared fixtures of the rollover, control and semester tests (no tests here).

Until admin_views/registry.py registers admin_views.rollover.views and admin_views.control.views, their pages
are served by a second app on the same database with these pages added; once registered, the
suite's own app is used.
"""
import pytest

from admin_views.control import views as control_views
from admin_views.rollover import views as rollover_views
from models import db
from tests.conftest import Browser
from tests.factories import ro_school, ro_year_mark


def pages_registered(app):
    return {"rollover.index", "semester.index", "control.index"} <= set(app.view_functions)


@pytest.fixture(scope="session")
def ro_app(app):
    if pages_registered(app):
        return app
    from app import create_app
    other = create_app({key: app.config[key] for key in
                        ("SQLALCHEMY_DATABASE_URI", "TESTING", "SECRET_KEY", "PASSWORD_HASH_PARAMS")})
    admin = other.extensions["journal_admin"]
    for view in [*rollover_views.pages(), *control_views.pages()]:
        admin.add_view(view)
    return other


@pytest.fixture
def ro_browser(ro_app):
    def open_browser(login=None):
        b = Browser(ro_app)
        if login is not None:
            assert b.login(login).status_code == 302, login
        return b
    return open_browser


@pytest.fixture
def school(world):
    """The world's organization `a` made a small school with a year to close (tests/factories.py
    ro_school), one of its students a repeater (an annual «2»)."""
    a = ro_school(world.a)
    ro_year_mark(a.classmate, a.math, a.year, "2")
    db.session.commit()
    return a
