"""Shared fixtures of the movement book's tests (no tests here).

Until admin_views/registry.py registers admin_views.movement.views, the pages are served by a second app
on the same database with the movement views added; once registered, the suite's own app is used.
"""
import pytest

from admin_views.movement import views as movement_views
from tests.conftest import Browser


def movement_registered(app):
    return any(getattr(v, "endpoint", None) == "movement_order" for v in app.extensions["journal_admin"]._views)


@pytest.fixture(scope="session")
def mv_app(app):
    if movement_registered(app):
        return app
    from app import create_app
    other = create_app({key: app.config[key] for key in
                        ("SQLALCHEMY_DATABASE_URI", "TESTING", "SECRET_KEY", "PASSWORD_HASH_PARAMS")})
    admin = other.extensions["journal_admin"]
    for view in [*movement_views.views(), *movement_views.pages()]:
        admin.add_view(view)
    return other


@pytest.fixture
def mv_browser(mv_app):
    def open_browser(login=None):
        b = Browser(mv_app)
        if login is not None:
            assert b.login(login).status_code == 302, login
        return b
    return open_browser
