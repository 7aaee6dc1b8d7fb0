"""The Content-Security-Policy and the Permissions-Policy on every response, and pages that need nothing
the policy forbids: no inline script without the response's nonce, no on* handler, no style attribute
or <style> block — on every page each role reaches from its home page (issue 11.8)."""
import re
from datetime import date
from html.parser import HTMLParser

import pytest

from models import db
from tests.factories import jr_assignment, jr_lessons, jr_subject

ROLES = ("admin", "hr", "deputy", "director", "teacher", "class_teacher", "student", "parent", "root")
NOT_PAGES = ("/static/", "/export/", "format=", "/logout")


def policy(resp):
    """The Content-Security-Policy as {directive: [sources]}."""
    header = resp.headers.get("Content-Security-Policy")
    assert header, (resp.request.path, resp.status_code)
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def assert_headers(resp):
    csp = policy(resp)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"][0] == "'self'" and re.fullmatch(r"'nonce-[\w-]{20,}'", csp["script-src"][1])
    assert len(csp["script-src"]) == 2  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    for name in ("object-src", "frame-ancestors"):
        assert csp[name] == ["'none'"]
    for name in ("base-uri", "form-action"):
        assert csp[name] == ["'self'"]
    features = dict(item.strip().split("=") for item in resp.headers["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features[feature] == "()"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    return csp["script-src"][1][len("'nonce-"):-1]


class PageAudit(HTMLParser):
    """What a page has that the policy would block, and the local links to follow."""

    def __init__(self, nonce):
        super().__init__()
        self.nonce, self.blocked, self.links = nonce, [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.blocked += [f"<{tag} {name}=…>" for name in attrs if name.startswith("on") or name == "style"]
        if tag == "style":
            self.blocked.append("<style>")
        if tag == "script" and "src" not in attrs and attrs.get("nonce") != self.nonce:
            self.blocked.append("<script> without the nonce")
        href = attrs.get("href") or ""
        if tag == "a" and href.startswith("/") and not href.startswith("//") and not any(n in href for n in NOT_PAGES):
            self.links.append(href)


def audit(resp):
    nonce = assert_headers(resp)
    page = PageAudit(nonce)
    page.feed(resp.get_data(as_text=True))
    assert page.blocked == [], (resp.request.path, page.blocked)
    return page


@pytest.fixture
def school(world):
    a = world.a
    subject = jr_subject(a.org, "Математика")
    assignment = jr_assignment(a.org, a.year, a.klass, a.teacher, subject)
    jr_lessons(assignment, a.period, [date(2026, 11, 9), date(2026, 11, 11)])
    db.session.commit()
    return assignment


def crawl(b, limit=150):
    """Every page reachable by links from the home page (one per path), as a user clicking through."""
    seen, queue, pages = set(), ["/"], 0
    while queue and pages < limit:
        url = queue.pop(0)
        if url.split("?")[0] in seen:
            continue
        seen.add(url.split("?")[0])
        resp = b.get(url)
        if not resp.content_type.startswith("text/html"):
            assert_headers(resp)
            continue
        pages += 1
        queue += audit(resp).links
    return seen


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_runs_under_the_policy(world, browser, school, role):
    b = browser()
    b.login(world.root if role == "root" else world.a.logins[role])
    seen = crawl(b)
    assert "/" in seen and len(seen) > (2 if role in ("student", "parent") else 5), seen
    if role == "teacher":
        assert f"/journal/{school.id}/" in seen  # the journal grid: its data block carries the nonce


def world_page(browser, login, url, marker, status=200):
    b = browser()
    b.login(login)
    resp = b.get(url, follow_redirects=True)
    assert resp.status_code == status, (url, resp.status_code)
    if marker:
        assert marker in resp.get_data(as_text=True), url
    return resp


def test_the_pages_of_every_kind_and_the_error_pages(world, browser, school, app, monkeypatch):
    anonymous = browser()
    audit(anonymous.get("/login"))
    assert_headers(anonymous.get("/healthz"))
    assert_headers(anonymous.get("/static/app.js"))
    for resp, code in ((anonymous.get("/no-such-page"), 404), (anonymous.get("/logout"), 405),
                       (anonymous.post("/login", {"login": "a.admin", "password": "x"}, csrf=False), 400)):
        assert resp.status_code == code
        audit(resp)  # the Russian error page

    admin = browser()
    admin.login("a.admin")
    for url in ("/staff/", "/staff/new/", f"/staff/edit/?id={world.a.teacher.id}",
                f"/staff/details/?id={world.a.teacher.id}", "/audit/?flt0_0=1", "/change-password",
                "/students/details/?id=999999"):
        audit(admin.get(url))
    assert_headers(admin.get("/staff/export/csv/"))
    audit(world_page(browser, "a.teacher", f"/journal/{school.id}/", "journal-config"))
    audit(world_page(browser, "a.parent", "/reports/student-dynamics/", "report-chart"))
    audit(world_page(browser, "a.student", "/diary/", None))
    audit(world_page(browser, "a.teacher", "/audit/", None, status=403))

    monkeypatch.setitem(app.view_functions, "healthz", lambda: 1 / 0)
    resp = anonymous.get("/healthz")
    assert resp.status_code == 500
    audit(resp)


def test_the_nonce_is_new_for_every_response(world, browser):
    b = browser()
    b.login("a.admin")
    nonces = {assert_headers(b.get("/")) for _ in range(3)}
    assert len(nonces) == 3
