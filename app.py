"""Электронный журнал: the application factory and the command line (`flask --app app ...`)."""
__version__ = "0.1.0"  # CHANGELOG.md
import hmac
import os
import secrets
import time
from pathlib import Path

import click
from flask import (Flask, abort, current_app, flash, g, has_app_context, jsonify, redirect, render_template, request,
                   session, url_for)
from flask import cli as flask_cli
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_login import LoginManager, current_user, logout_user
from flask_migrate import Migrate, upgrade as migrate_upgrade
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.middleware.proxy_fix import ProxyFix

from admin_views import formatting
from admin_views.base import public
from models import User, db, scope
from models.dialect import is_database_busy
from reports import catalogue  # noqa: F401 — every report registers itself in reports.registry (@report)
from services import audit, clock, database, metrics, permissions, request_log, rules, uow, uploads, versions
from services.context import Actor
from services.errors import CommandError, DATABASE_BUSY, DomainError, is_bad_value
from services.params import parse_date, parse_id
from services.journal import dictionaries as journal_dictionaries, rules as journal_rules
from services.movement import guards as movement_guards
from services.org import orgs
from services.people import cards
from services.planning import curriculum, ktp, subjects
from services.rollover import year as rollover_year
from services.control import rules as deadline_rules
from services.timetable import bells, changes, exams, weekly
from services.portfolio import entries as portfolio_entries, projects as portfolio_projects
from admin_views.args import IdConverter
from admin_views.auth import bp as auth_bp
from admin_views.webapi import bp as webapi_bp
from admin_views.registry import init_admin
from services.terms import term
from services.context import organizations_of
from werkzeug.exceptions import HTTPException
from reports.archive_cli import cli as archive_cli
from reports.cli import cli as report_cli
from services import backup, files, notify_send
from services.api import passwords as app_passwords
from services.messages import mail as messages_mail
from services.people import accounts, contingent
from services.movement.cli import cli as movement_cli
from services.imports.cli import export_command, import_command
from services.notify_cli import cli as notify_cli
from services.jobs.worker import worker_command
from services.announcements.cli import cli as announcements_cli

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

# Sent with every response (docs/DEVELOPING.md, «Безопасность»). Scripts: this site's files, and inline
# ones only with this response's nonce (Flask-Admin's own, the journal grid's data); no on* handler
# runs. Styles: this site's files only, so no page has a style attribute or a <style> block. Images:
# data: too, for Bootstrap's icons (the report charts are inline SVG).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
                           "frame-ancestors 'none'")
# Nothing of the browser's hardware or payments is used by any page.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
    "microphone", "midi", "payment", "publickey-credentials-get", "screen-wake-lock", "usb"))

login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
babel = Babel()


class App(Flask):
    """The application; its dispatch is the request's unit of work (services/uow.py)."""

    def dispatch_request(self):
        """The endpoint in one unit of work: its writes committed once when it returns (a GET or HEAD
        commits nothing), rolled back when it raises — the error handlers below then answer, once."""
        with uow.unit(read_only=request.method in READ_ONLY_METHODS):
            return super().dispatch_request()


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def _secret_key():
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SHARED_DIRS = ("FILES_DIR", "SLIPS_DIR", "IMPORT_DIR", "ARCHIVE_DIR")


def default_config():
    INSTANCE_DIR.mkdir(exist_ok=True)
    return {
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'journal.db'}"),
        "SECRET_KEY": _secret_key(),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE") == "1",
        "SESSION_COOKIE_NAME": "journal_session",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,  # an idle session ends after 8 h …
        "SESSION_ABSOLUTE_LIFETIME": 12 * 3600,  # … and a busy one 12 h after the login
        # The apps' API tokens (/webapi/, services/api/sessions.py): idle 30 min, at most 12 h after the login.
        "API_TOKEN_IDLE": int(os.environ.get("API_TOKEN_IDLE") or 30 * 60),
        "API_TOKEN_LIFETIME": int(os.environ.get("API_TOKEN_LIFETIME") or 12 * 3600),
        # A request body: no page takes more than one uploaded file (services/uploads.py); form
        # fields are capped apart by Flask's MAX_FORM_MEMORY_SIZE (500 000 bytes).
        "MAX_CONTENT_LENGTH": uploads.MAX_UPLOAD_BYTES,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "BABEL_DEFAULT_LOCALE": "ru",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Moscow",
        "FLASK_ADMIN_SWATCH": "default",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # How long the access log keeps a read of personal data; `flask audit prune` deletes older ones.
        "ACCESS_LOG_RETENTION_DAYS": int(os.environ.get("ACCESS_LOG_RETENTION_DAYS") or 365),
        # How long internal mail is kept (days; 0: for ever); `flask messages prune` deletes older messages.
        "MESSAGE_RETENTION_DAYS": int(os.environ.get("MESSAGE_RETENTION_DAYS") or 0),
        # The paper of the reports' .xlsx (reports/render.py): A4, or A3 where a school prints its ledgers so.
        "REPORT_PAPER": os.environ.get("REPORT_PAPER", "A4"),
        **database.settings_from_environment(),
        # Several app servers (docs/DEPLOYMENT.md): the folders of the stored files, slips, imports and archives
        # from the environment, so that every host names the same shared folder; the request log's format
        # (LOG_FORMAT=json: one line per request), /metrics' token and the counters' Redis.
        **{name: os.environ[name] for name in SHARED_DIRS if os.environ.get(name)},
        **request_log.settings_from_environment(),
        **metrics.settings_from_environment(),
        # A training installation (and the two-servers test) lives on one day: FROZEN_TODAY=ДД.ММ.ГГГГ or ISO.
        "FROZEN_TODAY": os.environ.get("FROZEN_TODAY") or None,
        # E-mail notifications (services/notify_send.py): MAIL_ENABLED=1 and the SMTP server's settings.
        **notify_send.settings_from_environment(),
        # Background jobs (services/jobs/): RQ on Redis when REDIS_URL answers, else threads in this process.
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "JOBS_BACKEND": os.environ.get("JOBS_BACKEND") or "auto",  # auto / rq / thread / sync
        "JOBS_QUEUE": os.environ.get("JOBS_QUEUE") or "journal",
        "JOBS_THREADS": int(os.environ.get("JOBS_THREADS") or 2),
        # Queued e-mails are sent by a job (kind "notify-send") as soon as they are queued, not only by cron.
        "JOBS_NOTIFY": os.environ.get("JOBS_NOTIFY", "1") == "1",
    }


# The flush rules of every domain (services/rules.py), installed in this order: within a phase, rules run in
# the order installed. The curriculum's index is dropped before the audit's role events are forgotten; the
# card rules run before the movement book's on a student (they default a new card's status, which
# keep_class_history reads); the guards run cards → movement → journal → timetable → closed year (a teaching
# assignment still in the timetable is refused as such, in a closed year too).
RULES = (rules.RULES, curriculum.RULES, audit.RULES, journal_dictionaries.RULES, orgs.RULES, cards.RULES,
         movement_guards.RULES, journal_rules.RULES, subjects.RULES, ktp.RULES, bells.RULES, weekly.RULES,
         changes.RULES, exams.RULES, rollover_year.RULES, deadline_rules.RULES, portfolio_entries.RULES,
         portfolio_projects.RULES)


def install_rules():
    """Every domain's flush rules, once (idempotent: the tests create the app more than once)."""
    audit.instrument()
    rules.install(*RULES)


def create_app(config=None):
    app = App(__name__, instance_path=str(INSTANCE_DIR))
    app.config.update(default_config())
    app.config.update(config or {})
    app.config["SQLALCHEMY_DATABASE_URI"] = database.driver_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config.get("FROZEN_TODAY"):
        day = parse_date(app.config["FROZEN_TODAY"])
        if day is None:
            raise RuntimeError("FROZEN_TODAY: дата в формате ДД.ММ.ГГГГ или ГГГГ-ММ-ДД")
        clock.freeze(day)
    if os.environ.get("TRUSTED_PROXIES"):
        hops = int(os.environ["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.session_interface = SessionInterface()

    database.init_app(app, long_statements=_run_by_a_flask_command())
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "ru", timezone_selector=_timezone)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Войдите, чтобы продолжить."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


    app.url_map.converters["id"] = IdConverter
    app.register_blueprint(auth_bp)
    app.register_blueprint(webapi_bp)  # /webapi/: the apps' API, its own token and no page session
    csrf.exempt(webapi_bp)
    install_rules()
    init_admin(app, csp_nonce)
    formatting.register(app)  # |date, |datetime, |time: every date and time shown
    request_log.init_app(app)
    _register_observability(app)  # first: its timer starts before, and its line is written after, every hook
    _register_hooks(app)
    _register_errors(app)
    _register_cli(app)
    clock.set_default_zone(_current_org_zone)
    return app


def _run_by_a_flask_command():
    """A `flask ...` command (not the development server) made the app: its statements may run long."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.command is not flask_cli.run_command


def _timezone():
    return _current_org_zone() or clock.DEFAULT_TZ


def _current_org_zone():
    """The time zone of the organization the current request acts in (None outside a request)."""
    if not has_app_context():
        return None
    actor = g.get("actor")
    return actor.org.timezone if actor is not None and actor.org is not None else None


@login_manager.user_loader
def _load_user(user_id_token):
    user_id, _, token = (user_id_token or "").partition(":")
    user_id = parse_id(user_id)
    if user_id is None or not token:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.is_blocked or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def client_address():
    return (request.remote_addr or "unknown")[:64]


def csp_nonce():
    """This response's Content-Security-Policy nonce, for the inline scripts a page needs."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _session_outlived():
    """The session began longer ago than SESSION_ABSOLUTE_LIFETIME (however busy it has been since)."""
    started = session.get("login_at")
    return started is None or clock.timestamp() - started > current_app.config["SESSION_ABSOLUTE_LIFETIME"]


def _end_outlived_session():
    seconds = current_app.config["SESSION_ABSOLUTE_LIFETIME"]
    span = f"{seconds // 3600} ч" if seconds % 3600 == 0 else f"{seconds // 60} мин"
    logout_user()
    session.clear()
    flash(f"Сеанс завершён: с момента входа прошло больше {span}. Войдите снова.", "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))


def _register_observability(app):
    """The request's line (services/request_log.py) and its count in /metrics (services/metrics.py)."""

    @app.before_request
    def start_watch():
        g.watch_started = time.perf_counter()
        g.watch_token = request_log.start_counting()

    @app.after_request
    def write_watch(response):
        started = g.pop("watch_started", None)
        if started is None:
            return response
        seconds = time.perf_counter() - started
        # the page's user (Flask-Login's, when the request loaded him) or the API's; ids without a query
        actor = g.get("actor")
        user = actor.user if actor is not None else g.get("_login_user")
        endpoint = request.endpoint
        metrics.observe(endpoint, request.method, response.status_code, seconds)
        request_log.write(app, user_id=request_log.identity(user),
                          org_id=request_log.identity(actor.org) if actor is not None else None, method=request.method,
                          route=request.url_rule.rule if request.url_rule is not None else None,
                          endpoint=endpoint, status=response.status_code, seconds=seconds,
                          sql=request_log.statements())
        return response

    @app.teardown_request
    def stop_watch(exc):
        token = g.pop("watch_token", None)
        if token is not None:
            request_log.stop_counting(token)

    @app.route("/metrics")
    @public
    def metrics_page():
        """Prometheus' scrape: from this host's loopback or with METRICS_TOKEN (docs/DEPLOYMENT.md)."""
        if not metrics.may_read(request):
            abort(404)
        return metrics.render(), 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8", **NO_STORE}


def _register_hooks(app):
    open_endpoints = {"auth.login", "auth.logout", "auth.change_password", "healthz", "static"}

    @app.before_request
    def load_actor():
        g.actor = None
        audit.set_context(None, None, client_address())
        if request.blueprint == "webapi":
            return None  # the apps' API authenticates by its own token, never by the page session
        if request.endpoint in ("healthz", "static") or not current_user.is_authenticated:
            return None
        if _session_outlived():
            return _end_outlived_session()
        g.actor = Actor.for_user(current_user, session.get("org_id"))
        audit.set_context(current_user.id, g.actor.org_id, client_address())
        if g.actor.org_id is not None:
            # From here every query of the request sees only this organization's rows (models/scope.py).
            g.org_scope = scope.enter(g.actor.org_id)
        elif g.actor.region_org_ids is not None:
            # A regional specialist: every query sees only his scope's organizations (services/region/scope.py).
            g.org_scope = scope.enter_many(g.actor.region_org_ids)
        if current_user.must_change_password and request.endpoint not in open_endpoints \
                and not (request.endpoint or "").endswith(".static"):
            return redirect(url_for("auth.change_password"))
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY.format(nonce=csp_nonce()))
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # is_anonymous, not is_authenticated: the latter reads is_blocked, which a commit of the
        # request has expired (one more SELECT of the user per save); a blocked user never gets here
        # as current_user (the loader and the login refuse him). A response with a cache policy of its
        # own is left alone before the user is looked at: the 503 page and /healthz must not load him.
        if "Cache-Control" not in response.headers and not current_user.is_anonymous:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def clear_context(exc):
        audit.set_context()
        token = g.pop("org_scope", None)
        if token is not None:
            scope.leave(token)

    @app.context_processor
    def inject():
        return {"actor": g.get("actor"), "term": term, "organizations_of": organizations_of, "csp_nonce": csp_nonce,
                "unread_messages": lambda: messages_mail.unread_count(g.get("actor")),
                "may_read_announcements": lambda: g.get("actor") is not None and permissions.allowed(
                    g.get("actor"), "announcement", "list")}

    @app.route("/healthz")
    @public
    def healthz():
        watch = app.extensions["database"]
        try:
            watch.health.check()
        except Exception as exc:  # noqa: BLE001 — any database failure means unhealthy
            watch.outage.failed(exc)
            return jsonify(status="error", database="недоступна"), 503, NO_STORE
        return jsonify(status="ok", database="ok"), 200, NO_STORE


ERRORS = {
    400: ("Неверный запрос", "Запрос не удалось обработать. Обновите страницу и повторите."),
    403: ("Доступ запрещён", "У вас нет прав на эту страницу или запись."),
    404: ("Страница не найдена", "Такой страницы или записи нет, либо она вам недоступна."),
    405: ("Метод не поддерживается", "Это действие так выполнить нельзя."),
    409: ("Запись изменена", "Запись изменил другой пользователь. Откройте её заново."),
    413: ("Файл слишком большой", "Отправлено больше данных, чем принимает сервер."),
    503: ("База данных занята", DATABASE_BUSY + "."),
    500: ("Внутренняя ошибка", "Произошла ошибка на сервере. Мы уже записали её; попробуйте позже."),
}
OTHER_ERROR = ("Запрос не выполнен", "Запрос не удалось выполнить. Вернитесь назад и повторите.")
NO_STORE = {"Cache-Control": "no-store"}
BAD_VALUE = ("В запросе есть недопустимое значение: номер, число или дата вне допустимого диапазона "
             "либо недопустимый символ. Ничего не изменено.")
BAD_UPLOAD = "Отправленный файл не удалось прочитать. Ничего не изменено: проверьте файл и повторите."


def _register_errors(app):
    def render(code, message=None):
        title, default = ERRORS.get(code, OTHER_ERROR)
        return render_template("error.html", code=code, title=title, message=message or default), code

    for code in ERRORS:
        app.register_error_handler(code, lambda exc, code=code: render(code))

    @app.errorhandler(413)
    def too_large(exc):
        limit = request.max_content_length
        if not limit or (request.content_length or 0) <= limit:
            return render(413)  # a form field over MAX_FORM_MEMORY_SIZE, or a body without a length
        size = uploads.megabytes(limit)
        return render(413, f"Отправлено больше {size}: файл для загрузки должен быть не больше {size}. "
                           "Уменьшите файл (уберите лишние листы, картинки, пустые строки) и загрузите снова.")

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render(400, "Форма устарела или отправлена не с этого сайта. Обновите страницу и повторите.")

    @app.errorhandler(DomainError)
    def domain_error(exc):
        db.session.rollback()
        if isinstance(exc, versions.StaleEdit):
            return render(409, str(exc))
        return render(403 if exc.__class__.__name__ == "PermissionDenied" else 400, str(exc))

    def unavailable(exc):
        """The database is down, frozen or timing out: a page that needs neither it nor the user (loading
        him may be what failed; render_template would load him again for its context), one log line a burst."""
        app.extensions["database"].outage.failed(exc)
        page = app.jinja_env.get_template("unavailable.html").render(home=url_for("admin.index"))
        return page, 503, {**NO_STORE, "Retry-After": "30"}

    @app.errorhandler(StaleDataError)
    def stale(exc):
        """Two saves made from one version of a record: the second matched no row (services/versions.py)."""
        db.session.rollback()
        return render(409, versions.STALE)

    @app.errorhandler(Exception)
    def unexpected(exc):
        if isinstance(exc, HTTPException):
            # any other HTTP error (416, 429 …) gets the Russian page too; a redirect stays one
            return render(exc.code) if exc.code and exc.code >= 400 else exc
        if database.is_unavailable(exc):
            return unavailable(exc)
        db.session.rollback()
        if database.is_missing_schema(exc):  # `flask db upgrade` was never run on this database
            app.logger.error("the database has no schema: %s", str(exc).splitlines()[0][:200])
            return render(503, database.NO_SCHEMA)
        if is_database_busy(exc):  # SQLite's write lock held longer than the busy timeout
            app.logger.warning("database busy: %s", exc)
            body, code = render(503)
            return body, code, {"Retry-After": "5"}
        if is_bad_value(exc):
            # A net under the parsers (services/params.py): a value the database or the calendar
            # cannot hold is the request's fault, not the server's.
            app.logger.warning("bad value refused: %s %s: %s", request.method, request.path,
                               str(exc).splitlines()[0][:200])
            return render(400, BAD_VALUE)
        if any(upload.filename for upload in request.files.values()):
            # Whatever a broken upload (malformed XML in an .xlsx …) makes its reader raise.
            app.logger.exception("upload not read")
            return render(400, BAD_UPLOAD)
        app.logger.exception("unhandled error")
        return render(500)


def _register_cli(app):
    app.cli.add_command(movement_cli)
    app.cli.add_command(import_command)
    app.cli.add_command(export_command)
    app.cli.add_command(announcements_cli)
    app.cli.add_command(report_cli)
    app.cli.add_command(archive_cli)
    app.cli.add_command(audit.cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(worker_command)  # `flask worker`: the RQ worker of the background jobs
    app.cli.add_command(messages_mail.cli)
    app.cli.add_command(contingent.cli)

    @app.cli.command("create-admin")
    @click.argument("login")
    @click.option("--password", help="Пароль (иначе будет запрошен).")
    @uow.command
    def create_admin(login, password):
        """Создать администратора установки (первую учётную запись)."""
        if not password:
            password = click.prompt("Пароль", hide_input=True, confirmation_prompt="Повторите пароль")
        user = accounts.create_superadmin(login, password)
        click.echo(f"Создан администратор установки «{user.login}».")

    @app.cli.command("api-password")
    @click.argument("login")
    @click.option("--name", default="Приложение", help="Название пароля (например, «бот в Telegram»).")
    @uow.command
    def api_password(login, name):
        """Создать пароль приложения для учётной записи; новый пароль — в последней строке вывода."""
        row, password = app_passwords.create_for_login(login, name)
        click.echo(f"Пароль приложения «{row.name}» для «{row.user.login}» создан; он показывается один раз:")
        click.echo(password)

    @app.cli.command("demo-data")
    @click.option("--kind", type=click.Choice(["school", "college"]), default="school",
                  help="Школа или колледж.")
    @click.option("--size", type=click.Choice(["small", "large", "tiny"]), default="small",
                  help="small — небольшая демонстрационная школа; large — школа на 2000 обучающихся с полным "
                       "учебным годом (≈1 млн отметок) для замеров производительности; tiny — то же в миниатюре.")
    @click.option("--years", type=click.IntRange(0, 20), default=0,
                  help="Сколько прошлых учебных лет добавить (только large и tiny).")
    @click.option("--schools", type=click.IntRange(1, 50), default=1,
                  help="Сколько таких школ создать в одной базе (только large и tiny).")
    @click.option("--today", help="«Сегодня» набора, ДД.ММ.ГГГГ (только large и tiny; по умолчанию — "
                                  "последний день 4 четверти текущего учебного года).")
    @click.option("--password", help="Один пароль для всех демонстрационных учётных записей.")
    @click.option("--seed", type=int, default=2026, help="Начальное значение генератора.")
    @click.option("--accounts-file", type=click.Path(dir_okay=False),
                  help="Куда ещё записать таблицу учётных записей.")
    @uow.command
    def demo_data(kind, size, years, schools, today, password, seed, accounts_file):
        """Создать небольшую демонстрационную школу (или колледж) и вывести учётные записи;
        с --size large (tiny) — большой набор данных для замеров производительности."""
        # The demo data is loaded only by this command, never at start-up (services/demo/__init__.py).
        from services.demo.school import DemoRefused, create_demo, format_accounts  # noqa: PLC0415

        if size == "small" and (years or schools != 1 or today):
            raise CommandError("--years, --schools и --today задаются только вместе с --size large или tiny.")
        if not sa_inspect(db.engine).has_table("alembic_version"):
            # An empty database (a new file, a new PostgreSQL database): its tables first, as `flask db upgrade`.
            click.echo("База данных пуста: создаю таблицы (flask db upgrade) …", err=True)
            migrate_upgrade()
        try:
            if size == "small":
                text = format_accounts(create_demo(kind=kind, password=password, seed=seed))
            elif kind != "school":
                raise DemoRefused("Большой набор данных создаётся только для школы (--kind school).")
            else:
                from services.demo.large.run import create_large_demo, format_summary, parse_today  # noqa: PLC0415

                text = format_summary(create_large_demo(
                    size=size, years=years, schools=schools, seed=seed, password=password, today=parse_today(today),
                    echo=lambda line: click.echo(line, err=True)))
        except DemoRefused as exc:
            raise CommandError(str(exc)) from None
        click.echo(text)
        if accounts_file:
            Path(accounts_file).write_text(text + "\n", encoding="utf-8")

    @app.cli.group("files")
    def files_cli():
        """Файлы, приложенные пользователями (хранятся вне базы, FILES_DIR)."""

    @files_cli.command("prune")
    @uow.command
    def files_prune():
        """Удалить из хранилища файлы, которых нет в базе (загрузка отменена, файл удалён), старше часа;
        запускайте раз в сутки из cron."""
        removed = files.prune(clock.timestamp())
        click.echo(f"Удалено файлов без записи в базе: {len(removed)}.")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(path_type=Path))
    @click.option("--keep", type=click.IntRange(min=1),
                  help="Оставить в каталоге столько последних копий (по имени journal-…), старые удалить.")
    @uow.command
    def backup_command(path, keep):
        """Резервная копия базы данных в файл PATH или в каталог PATH (имя journal-ГГГГ-ММ-ДД-ЧЧММ, время UTC);
        можно делать при работающем приложении."""
        try:
            done = backup.backup(path, keep=keep)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        megabytes = f"{done.size / 2**20:.1f}".replace(".", ",")
        click.echo(f"Резервная копия записана и проверена: {done.path} ({megabytes} МБ)")
        for old in done.removed:
            click.echo(f"Удалена старая копия: {old}")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(path_type=Path))
    @click.option("--yes", is_flag=True, help="Не спрашивать подтверждения: текущие данные будут заменены.")
    @uow.command
    def restore_command(path, yes):
        """Восстановить базу данных из резервной копии PATH (все текущие данные заменяются)
        и обновить её схему до текущей версии."""
        try:
            backup.restore(path, confirm=lambda question: yes or _ask(question))
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        click.echo(f"База данных восстановлена из {path}, схема обновлена до текущей версии.")


def _ask(question):
    """A yes/no question on the terminal; no answer (no terminal, end of input) is no."""
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort:
        click.echo(err=True)
        return False
