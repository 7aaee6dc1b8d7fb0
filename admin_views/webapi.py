"""/webapi/: the NetSchool-compatible diary API for the parents' apps and bots (issue 19; services/api/).

No page session: the blueprint's requests skip the app's actor hook (app.py) and are authenticated only by
the `at` header of a token from `login` with an app password; CSRF does not apply (csrf.exempt in app.py);
the session cookie is NSSESSIONID, which carries nothing. Every answer is JSON: 409 {"message"} for a login
refused, 401 for a missing, expired or revoked token (the clients log in again), 404/400 {"message"},
never a page or a traceback. The endpoints are @public for the page matrix: the token is their check."""
import secrets

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from admin_views.base import public
from models import db, scope
from services import audit, uow
from services.api import netschool, sessions
from services.errors import DomainError

bp = Blueprint("webapi", __name__, url_prefix="/webapi")
OPEN = {"webapi.logindata", "webapi.getdata", "webapi.schools_search", "webapi.login", "webapi.logout",
        "webapi.prelogin", "webapi.unknown"}
COOKIE = "NSSESSIONID"
EXPIRED = "Сеанс приложения истёк или завершён. Войдите снова."


def _json(payload, status=200):
    response = jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _address():
    return (request.remote_addr or "unknown")[:64]


@bp.before_request
def authenticate():
    g.actor = None
    if request.endpoint in OPEN:
        return None
    actor = sessions.actor_for(request.headers.get("at"))
    if actor is None:
        return _json({"message": EXPIRED}, 401)
    g.actor = actor
    audit.set_context(actor.user_id, actor.org_id, _address())
    g.org_scope = scope.enter(actor.org_id)
    return None


@bp.errorhandler(netschool.NotFound)
def not_found(exc):
    db.session.rollback()
    return _json({"message": "Не найдено или недоступно."}, 404)


@bp.errorhandler(netschool.BadRequest)
def bad_request(exc):
    db.session.rollback()
    return _json({"message": str(exc)}, 400)


@bp.errorhandler(sessions.Refused)
def refused(exc):
    db.session.rollback()
    return _json({"message": str(exc)}, 409)


@bp.errorhandler(DomainError)
def domain_error(exc):
    db.session.rollback()
    return _json({"message": str(exc)}, 400)


@bp.errorhandler(Exception)
def unexpected(exc):
    db.session.rollback()
    if isinstance(exc, HTTPException):
        return _json({"message": exc.name}, exc.code or 500)
    current_app.logger.exception("webapi: unhandled error")
    return _json({"message": "Внутренняя ошибка сервера. Повторите позже."}, 500)


# -- before the login ---------------------------------------------------------------------------------------

@bp.route("/logindata")
@public
def logindata():
    response = _json({"version": sessions.VERSION, "productName": "Электронный журнал", "esiaButton": False,
                      "schoolLogin": True, "emLogin": False, "cas": False})
    if not request.cookies.get(COOKIE):
        response.set_cookie(COOKIE, secrets.token_hex(16), httponly=True, samesite="Lax", path="/webapi",
                            secure=request.is_secure)
    return response


@bp.route("/prelogin", methods=["GET", "POST"])
@public
def prelogin():
    return _json(netschool.schools(request.values.get("name")))


@bp.route("/auth/getdata", methods=["POST"])
@public
def getdata():
    return _json(sessions.login_data())


@bp.route("/schools/search")
@public
def schools_search():
    return _json(netschool.schools(request.args.get("name")))


@bp.route("/login", methods=["POST"])
@public
def login():
    token, org, cookie = sessions.login(request.form, _address(), request.cookies.get(COOKIE))
    idle = sessions.idle_seconds()
    response = _json({"at": token, "code": None, "timeOut": idle * 1000, "accessToken": token, "refreshToken": None,
                  "accountInfo": {"activeToken": None, "secureActiveToken": True, "currentOrganization": {
                      "id": org.id, "name": org.short_name}, "userRoles": []},
                  "tokenType": "Bearer", "entryPoint": "/app/school/studentdiary/", "requestData": {},
                  "errorMessage": None})
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="Lax", path="/webapi", secure=request.is_secure)
    return response


@bp.route("/auth/logout", methods=["POST"])
@public
def logout():
    if not sessions.logout(request.headers.get("at")):
        return _json({"message": EXPIRED}, 401)
    return _json({})


# -- after it ---------------------------------------------------------------------------------------------

@bp.route("/context")
@public
def context():
    return _json(netschool.context(g.actor))


@bp.route("/student/diary/init")
@public
def diary_init():
    return _json(netschool.diary_init(g.actor))


@bp.route("/years/current")
@public
def years_current():
    return _json(netschool.current_year_json(g.actor))


@bp.route("/grade/assignment/types")
@public
def assignment_types():
    return _json(netschool.assignment_types(g.actor))


@bp.route("/student/diary")
@public
def student_diary():
    a = request.args
    return _json(netschool.diary_json(g.actor, a.get("studentId"), a.get("weekStart"), a.get("weekEnd")))


@bp.route("/student/diary/pastMandatory")
@public
def past_mandatory():
    return _json(netschool.past_mandatory(g.actor, request.args.get("studentId")))


@bp.route("/student/diary/assigns/<assignment_id>")
@public
def assignment(assignment_id):
    try:
        wanted = int(assignment_id)
    except ValueError:
        raise netschool.NotFound() from None
    if not -2 ** 31 < wanted < 2 ** 31:
        raise netschool.NotFound()
    return _json(netschool.assignment_card(g.actor, wanted, request.args.get("studentId")))


@bp.route("/student/diary/get-attachments", methods=["POST"])
@public
def get_attachments():
    body = request.get_json(silent=True) or {}
    ids = body.get("assignId") if isinstance(body, dict) else None
    if not isinstance(ids, list):
        raise netschool.BadRequest("Ожидается {\"assignId\": [номера заданий]}.")
    result = netschool.attachments(g.actor, request.args.get("studentId"), ids)
    uow.rollback()  # a read: nothing to commit (the access log row is already committed)
    return _json(result)


@bp.route("/announcements")
@public
def announcements():
    return _json(netschool.announcements(g.actor))


@bp.route("/schools/<school_id>/card")
@public
def school_card(school_id):
    try:
        wanted = int(school_id)
    except ValueError:
        raise netschool.NotFound() from None
    return _json(netschool.card(g.actor, wanted))


@bp.route("/", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@public
def unknown(rest):
    return _json({"message": "Этот метод API не поддерживается."}, 404)
