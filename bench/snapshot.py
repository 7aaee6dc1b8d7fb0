"""What every demo role sees, written to files, so that a change meant to alter no behaviour (issue 14's
refactor into domain packages) can be checked to alter none: take a snapshot before, one after, compare.

    python -m bench.snapshot OUT_DIR             # write the snapshot
    python -m bench.snapshot --compare A B       # the differing files (exit 1), or nothing (exit 0)

A snapshot is made on a fresh temporary SQLite database (the migrations, then `flask demo-data` —
the small school, seed 2026, one password), with the clock frozen at 20.11.2026 (services/clock.py).
For each demo account it logs in through the real login form (CSRF token and all) with Flask's test
client and writes, under OUT_DIR/<role>/:

- `pages/*.html`: the home page and every page of this site linked from it (the menu included), then
  one page further into each of those sections (the first link under its own path: the first class's
  journal grid from «Журнал», the first card or form of a list), GET only (no logout, no exports,
  no files), at most MAX_PAGES;
- `reports/<key>.html` and `reports/<key>.json`: every report the role may open (the links of
  «Отчёты»), its page and its JSON (`?format=json`, as the page's «JSON» button), default parameters;
- `index.txt`: every URL asked, its status, content type and where a redirect ended.

OUT_DIR/accounts.txt is the table `demo-data` printed. What differs from one run to the next is
normalised before writing (`normalise`): CSRF tokens (signed with the wall clock), CSP nonces.
Nothing of the app is imported but `create_app`, the clock and the migrations: the rest is reached
the way a user reaches it, so the same script runs before and after a refactor.
"""
import argparse
import difflib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import g
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from models import User, db
from reports import registry
from reports.render import to_json
from services import clock
from services.context import Actor
from services.errors import DomainError

TODAY = date(2026, 11, 20)
SEED = 2026
PASSWORD = "demo-pass-2026"
SECRET_KEY = "snapshot-secret-key"
MAX_PAGES = 100
# A report that wants a class takes 5А where offered (the demo's class teacher's class, with marks, the
# demo student and the movers), else the first class offered; any other choice, the first offered.
PREFERRED = {"class": "5А"}
DIFF_LINES = 40  # of each differing file, in --compare
# Links that are not a page to look at, or that would change something (logout is a POST anyway).
NOT_PAGES = ("/static/", "/export/", "format=", "/logout", "/login")
# The roles of `demo-data`'s table, in its order.
ROLES = {"Администратор системы": "admin", "Специалист отдела кадров": "hr", "Заместитель директора": "deputy",
         "Директор": "director", "Учитель": "teacher", "Классный руководитель": "class_teacher",
         "Куратор": "class_teacher", "Обучающийся": "student", "Родитель": "parent"}

# What changes between two runs of the same code: replaced by a placeholder.
VOLATILE = [
    # Flask-WTF's token: itsdangerous-signed JSON string (base64 of '"…' is 'Ij…'), with a wall-clock stamp.
    (re.compile(r"\bIj[\w-]{10,}\.[\w-]{4,}\.[\w-]{10,}"), "CSRF-TOKEN"),
    (re.compile(r'(name="csrf-token" content=")[^"]*(")'), r"\1CSRF-TOKEN\2"),
    (re.compile(r'(name="csrf_token"[^>]*value=")[^"]*(")'), r"\1CSRF-TOKEN\2"),
    (re.compile(r'(value=")[^"]*("[^>]*name="csrf_token")'), r"\1CSRF-TOKEN\2"),
    (re.compile(r"(csrf_token=)[^&\"'\s]*"), r"\1CSRF-TOKEN"),
    # The Content-Security-Policy nonce, new for every response.
    (re.compile(r'(nonce=")[^"]*(")'), r"\1NONCE\2"),
    (re.compile(r"('nonce-)[^']*(')"), r"\1NONCE\2"),
]


def normalise(text):
    for pattern, placeholder in VOLATILE:
        text = pattern.sub(placeholder, text)
    return text


def log(message):
    print(message, file=sys.stderr, flush=True)


# -- the database -------------------------------------------------------------------------------------

def make_app(path):
    """The app on a new SQLite file at `path`, its schema by the migrations, the clock frozen at TODAY."""

    url = f"sqlite:///{path}"
    os.environ["DATABASE_URL"] = url  # read by create_app's defaults; the config below says it again
    os.environ.setdefault("SECRET_KEY", SECRET_KEY)
    clock.freeze(TODAY)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY,
                      # cheap Argon2id: eight demo accounts are hashed and each logs in
                      "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 64, "parallelism": 1}})
    with app.app_context():
        upgrade()
        db.session.remove()
    return app


def demo_data(app):
    """`flask demo-data` (the small school, fixed seed and password): [(role, login)] and its printed table."""
    result = app.test_cli_runner().invoke(args=["demo-data", "--seed", str(SEED), "--password", PASSWORD])
    if result.exit_code != 0:
        raise SystemExit(f"demo-data failed: {result.output}{result.exception!r}")
    accounts = []
    for line in result.output.splitlines()[2:]:
        match = re.match(r"^(\S.*?)\s{2,}(\S+)\s{2,}(\S+)\s+(.+)$", line)
        if match:
            accounts.append((ROLES.get(match.group(1), match.group(1)), match.group(2)))
    return accounts, result.output


# -- a user's visit -----------------------------------------------------------------------------------

class Visitor:
    """A test client that logs in through /login with the form's CSRF token, as a browser does."""

    def __init__(self, app):
        self.client = app.test_client()
        self.log = []

    def get(self, url):
        resp = self.client.get(url, follow_redirects=True, buffered=True)
        ended = resp.request.path + (f"?{resp.request.query_string.decode()}" if resp.request.query_string else "")
        self.log.append(f"{resp.status_code} {resp.mimetype or '-'} {url}" + (f" -> {ended}" if ended != url else ""))
        return resp

    def login(self, login):
        page = self.client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page) or \
            re.search(r'name="csrf-token" content="([^"]+)"', page)
        resp = self.client.post("/login", data={"login": login, "password": PASSWORD,
                                                "csrf_token": token.group(1) if token else ""})
        if resp.status_code != 302:
            raise SystemExit(f"{login} did not log in: {resp.status_code}")


def links(html):
    """The local links of a page, in order, once each."""
    found = []
    for href in re.findall(r'<a\b[^>]*?\bhref="([^"]*)"', html):
        href = href.replace("&amp;", "&")
        if href.startswith("/") and not href.startswith("//") and not any(n in href for n in NOT_PAGES) \
                and href not in found:
            found.append(href)
    return found


def file_name(url, taken):
    parts = urlsplit(url)
    name = re.sub(r"[^\w.-]+", "_", parts.path.strip("/")) or "home"
    if parts.query:
        name += "__" + re.sub(r"[^\w.-]+", "_", parts.query)
    name = name[:150]
    unique, n = name, 1
    while unique in taken:
        n += 1
        unique = f"{name}~{n}"
    taken.add(unique)
    return unique


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(normalise(text), encoding="utf-8")


def snapshot_role(app, role, login, out):
    visitor = Visitor(app)
    visitor.login(login)
    taken = set()
    home = visitor.get("/")
    home_html = home.get_data(as_text=True)
    write(out / "pages" / f"{file_name('/', taken)}.html", home_html)
    pages, seen, sections = 1, {"/"}, []
    for url in links(home_html):
        if url in seen:
            continue
        if pages >= MAX_PAGES:
            visitor.log.append(f"(cap of {MAX_PAGES} pages reached)")
            break
        seen.add(url)
        resp = visitor.get(url)
        if resp.mimetype != "text/html":
            continue
        html = resp.get_data(as_text=True)
        write(out / "pages" / f"{file_name(url, taken)}.html", html)
        pages += 1
        sections.append((url, html))
    # One page further into each section (a class's journal grid from «Журнал», a card from its list),
    # while the cap allows: the first link of the page that goes deeper under its own path.
    for url, html in sections:
        path = urlsplit(url).path
        deeper = next((link for link in links(html) if link not in seen and not path.startswith("/reports")
                       and urlsplit(link).path.startswith(path) and urlsplit(link).path != path), None)
        if deeper is None:
            continue
        if pages >= MAX_PAGES:
            visitor.log.append(f"(cap of {MAX_PAGES} pages reached)")
            break
        seen.add(deeper)
        resp = visitor.get(deeper)
        if resp.mimetype == "text/html":
            write(out / "pages" / f"{file_name(deeper, taken)}.html", resp.get_data(as_text=True))
            pages += 1
    # Every report the role may open: the links of «Отчёты» (a 403 there means none).
    index = visitor.get("/reports/")
    keys = []
    if index.status_code == 200:
        keys = list(dict.fromkeys(re.findall(r'href="/reports/([\w-]+)/"', index.get_data(as_text=True))))
    for key in keys:
        snapshot_report(app, visitor, login, key, out / "reports")
    write(out / "index.txt", "\n".join(visitor.log) + "\n")
    return pages, len(keys)


def report_form(html, key):
    """The report's filters as [(name, selected value, [option values])] (selects only)."""
    form = re.search(rf'<form method="get"[^>]*action="/reports/{re.escape(key)}/"[^>]*>(.*?)</form>', html, re.S)
    fields = []
    for name, body in re.findall(r'<select\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</select>', form.group(1) if form else "",
                                 re.S):
        options = re.findall(r'<option value="([^"]*)"( selected)?', body)
        values = [v for v, _ in options]
        chosen = next((v for v, selected in options if selected), values[0] if values else "")
        fields.append((name, chosen, values))
    return fields


def snapshot_report(app, visitor, login, key, out):
    """A report's page and JSON with its default parameters; where it wants one it has no default for
    (a class, a student), one of the choices the form offers (PREFERRED, else the first), as a user
    picking from the list."""
    params = {}
    for _ in range(4):
        url = f"/reports/{key}/" + (f"?{urlencode(params)}" if params else "")
        page = visitor.get(url)
        html = page.get_data(as_text=True)
        json_link = re.search(rf'href="(/reports/{re.escape(key)}/\?[^"]*format=json[^"]*)"', html)
        if json_link or page.status_code != 200:
            break
        empty = [(name, values) for name, chosen, values in report_form(html, key)
                 if not chosen and any(values) and name not in params]
        if not empty:
            break
        name, values = empty[0]
        params[name] = PREFERRED.get(name) if PREFERRED.get(name) in values else next(v for v in values if v)
    write(out / f"{key}.html", html)
    if json_link:
        data = visitor.get(json_link.group(1).replace("&amp;", "&"))
        if data.mimetype == "application/json":
            write(out / f"{key}.json", data.get_data(as_text=True))
    elif page.status_code == 200 and not report_form(html, key):
        # A page of its own with no JSON button (the movement book's «Наполняемость классов» and
        # «Движение учащихся»): the same Document rendered as JSON by reports/render.py.
        text = document_json(app, login, key)
        visitor.log.append(f"document {key} as JSON: {'written' if text else 'not built'}")
        if text:
            write(out / f"{key}.json", text)


def document_json(app, login, key):
    """The report `key` of the user `login`, default parameters, as the JSON of reports/render.py."""



    with app.test_request_context():
        try:
            user = db.session.scalar(select(User).where(User.login == login))
            g.actor = actor = Actor.for_user(user)
            try:
                doc = registry.build(actor, key, {})
            except DomainError:
                return None
            return json.dumps(to_json(doc), ensure_ascii=False, indent=1)
        finally:
            db.session.rollback()
            db.session.remove()


def take(out_dir):
    started = time.monotonic()
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / "accounts.txt").is_file():
            raise SystemExit(f"{out_dir} is not empty and not a snapshot: not overwritten")
        shutil.rmtree(out_dir)  # an older snapshot: replaced whole, no stale file left
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="snapshot-") as tmp:
        app = make_app(Path(tmp) / "snapshot.db")
        accounts, table = demo_data(app)
        write(out_dir / "accounts.txt", table)
        log(f"demo school ready: {time.monotonic() - started:.1f} s")
        for role, login in accounts:
            pages, reports = snapshot_role(app, role, login, out_dir / role)
            log(f"{role:14} {login:16} {pages:3} pages, {reports:2} reports  ({time.monotonic() - started:.1f} s)")
        with app.app_context():
            db.engine.dispose()
    log(f"snapshot written to {out_dir} in {time.monotonic() - started:.1f} s")


# -- compare ------------------------------------------------------------------------------------------

def files(root):
    return {p.relative_to(root).as_posix() for p in Path(root).rglob("*") if p.is_file()}


def compare(a, b, out=sys.stdout):
    """Print what differs between two snapshots; True when they are the same."""
    a, b = Path(a), Path(b)
    for root in (a, b):
        if not root.is_dir():
            raise SystemExit(f"not a directory: {root}")
    in_a, in_b = files(a), files(b)
    differ = 0
    for name in sorted(in_a - in_b):
        print(f"only in {a}: {name}", file=out)
        differ += 1
    for name in sorted(in_b - in_a):
        print(f"only in {b}: {name}", file=out)
        differ += 1
    for name in sorted(in_a & in_b):
        left = (a / name).read_text(encoding="utf-8").splitlines(keepends=True)
        right = (b / name).read_text(encoding="utf-8").splitlines(keepends=True)
        if left == right:
            continue
        differ += 1
        diff = list(difflib.unified_diff(left, right, f"{a}/{name}", f"{b}/{name}", n=2))
        out.writelines(line if line.endswith("\n") else line + "\n" for line in diff[:DIFF_LINES])
        if len(diff) > DIFF_LINES:
            print(f"… {len(diff) - DIFF_LINES} more lines of difference", file=out)
    print(f"{differ} file(s) differ of {len(in_a | in_b)}" if differ else f"equal: {len(in_a)} files", file=out)
    return differ == 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.snapshot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", nargs=2, metavar=("DIR_A", "DIR_B"), help="compare two snapshots")
    parser.add_argument("out_dir", nargs="?", help="where to write the snapshot")
    args = parser.parse_args(argv)
    if args.compare:
        return 0 if compare(*args.compare) else 1
    if not args.out_dir:
        parser.error("OUT_DIR or --compare DIR_A DIR_B")
    take(args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
