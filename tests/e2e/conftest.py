"""Browser tests: the real application served over HTTP to Debian's Chromium, driven by Playwright.

- The server is the suite's own application (`app` of tests/conftest.py: create_app on a temporary
  SQLite file built by the migrations, or DATABASE_URL), served by Werkzeug's `make_server` on
  127.0.0.1 and a free port in a background thread for the whole session. Every request gets its
  own application context and database session from Flask, as on a real server.
- The clock and the data are the test's: the autouse `ctx` fixture freezes services.clock (a module
  global, so the server thread reads the same frozen day) and wipes the tables after the test. The
  browser context is closed and the server waits for its requests to finish before that wipe.
- The browser is /usr/bin/chromium (apt-get install chromium), never one downloaded by
  `playwright install`; the folder is skipped with the reason when it or playwright is missing.
- Every page a test opens is watched for console errors, uncaught exceptions and
  Content-Security-Policy violations (`page_problems`).
"""
import os
import threading
from pathlib import Path
from unittest import mock

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import TEST_PASSWORD
from tests.helpers import real_clock_environ

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HERE = Path(__file__).parent

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None


def missing():
    """Why the browser tests cannot run here, or None."""
    if sync_playwright is None:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no {CHROMIUM} (apt-get install chromium); browsers are never downloaded"
    return None


def pytest_collection_modifyitems(config, items):
    reason = missing()
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.real_commits)  # the server answers in a thread of its own
            if reason:
                item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class _Tracked:
    """The WSGI app counting the requests in flight, so a test's end can wait for them.

    A request is done when Flask returns its response: Flask has then run the view, committed or rolled
    back and removed the request's database session (these pages stream nothing). Not when the body is
    closed: Werkzeug skips the close when the browser drops the connection first (a context closed)."""

    def __init__(self, app):
        self.app = app
        self.busy = 0
        self.lock = threading.Condition()

    def __call__(self, environ, start_response):
        with self.lock:
            self.busy += 1
        try:
            return self.app(environ, start_response)
        finally:
            with self.lock:
                self.busy -= 1
                self.lock.notify_all()

    def wait_idle(self, timeout=10):
        with self.lock:
            assert self.lock.wait_for(lambda: self.busy == 0, timeout), "a request of the test is still running"


class LiveServer:
    def __init__(self, app):
        self.wsgi = _Tracked(app)
        self.httpd = make_server("127.0.0.1", 0, self.wsgi, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="e2e-server", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture(scope="session")
def live_server(app):
    with LiveServer(app) as server:
        yield server


def browser_env():
    """The browser keeps the real clock (Chromium's timers stall under libfaketime); the app's day is the test's."""
    return real_clock_environ()


@pytest.fixture(scope="session")
def chromium():
    reason = missing()
    if reason:
        pytest.skip(reason)
    # Playwright's driver (Node.js) is started from os.environ: started under libfaketime its timers stall
    # as Chromium's do, so it too is started with the real clock.
    with mock.patch.dict(os.environ, browser_env(), clear=True):
        playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                             env=browser_env())
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory):
    """Where the tests put one screenshot of each page (E2E_SCREENSHOTS=DIR keeps them)."""
    chosen = os.environ.get("E2E_SCREENSHOTS")
    path = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


# Reported to the test through an exposed function: the page's own listeners run under its CSP,
# this one is injected by the browser before any of the page's scripts.
_WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__e2eReport("csp: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                     " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def page_problems():
    return []


@pytest.fixture
def context(chromium, live_server, page_problems):
    """A fresh browser profile (no cookies) for the test; its console errors, uncaught exceptions and
    CSP violations go to `page_problems`."""
    context = chromium.new_context(base_url=live_server.url, locale="ru-RU", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    context.expose_function("__e2eReport", lambda text: page_problems.append(text))
    context.add_init_script(_WATCH)

    def watch(page):
        page.on("console",
                lambda msg: msg.type == "error" and page_problems.append(f"console: {msg.text} ({page.url})"))
        page.on("pageerror", lambda exc: page_problems.append(f"exception: {exc} ({page.url})"))

    context.on("page", watch)
    context.e2e_server = live_server
    yield context
    context.close()
    live_server.wsgi.wait_idle()  # nothing of this test may still be running when `ctx` wipes the tables


@pytest.fixture
def page(context):
    return context.new_page()


def sign_out(page):
    """Forget who is signed in, as closing the browser would. The page is left first and the server's
    requests are let finish: a late answer of the page before (a poll, a refreshed session cookie) would
    otherwise bring the old session's cookie back after the cookies were cleared."""
    page.goto("about:blank")
    page.context.e2e_server.wsgi.wait_idle()
    page.context.clear_cookies()


def login(page, name, password=TEST_PASSWORD):
    """Sign in through /login as a person would; returns once the home page is shown."""
    page.goto("/login")
    if not page.locator("#login").count():  # a navigation of the page before (its scripts) overtook this one
        page.goto("/login")
    assert "/login" in page.url, f"someone is still signed in ({page.url}): call sign_out(page) first"
    page.fill("#login", name)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url, f"{name} was not signed in"


def settle(page):
    """Let the page's late events (CSP reports, console) arrive."""
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")
    page.evaluate("1")  # one more round trip: the events sent meanwhile are delivered to the listeners
