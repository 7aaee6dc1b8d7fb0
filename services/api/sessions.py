"""The API's login and its `at` tokens (issue 19).

`auth/getdata` gives a random salt and a one-time `lt` (signed: the salt, a nonce, the time; valid LOGIN_WINDOW);
`login` checks the proof md5(salt + md5(app password)) against the user's active app passwords — never his
real password — through the login throttle of services/people/accounts.py (failed API logins count there),
then issues a random token, of which only the sha256 is stored. A token ends after API_TOKEN_IDLE seconds
unused, API_TOKEN_LIFETIME after the login, at `auth/logout`, and with its app password. Its actor has only
the user's student and parent cards of the school the login chose: the API reads the family's own diary."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, or_, select

from models import ApiToken, AppPassword, Organization, Parent, Role, Student, User, db, scope
from services import clock, uow
from services.api import passwords
from services.context import Actor
from services.errors import DomainError
from services.people import accounts

LOGIN_WINDOW = 600  # seconds between auth/getdata and login
DEFAULT_IDLE = 30 * 60
DEFAULT_LIFETIME = 12 * 3600
TOUCH_EVERY = timedelta(seconds=60)  # a token's last use is written at most once a minute (and a quarter idle)
VERSION = "5.43.60"
BAD_CREDENTIALS = "Неверный логин или пароль приложения. Войдите с паролем приложения: его создают в профиле " \
                  "электронного журнала («Пароли приложений»); обычный пароль здесь не подходит."
STALE_LOGIN = "Сеанс входа устарел. Повторите вход."
# «Нет доступа» first: netschoolpy sorts a 409 by its words, and these are refusals (LoginRejected), not an outage.
NO_FAMILY = "Нет доступа: через приложения открыт только дневник ученика и родителя, а в этой школе у учётной " \
            "записи нет карточки ученика или родителя."
NO_SCHOOL = "Нет доступа: школа не найдена. Выберите школу из списка."


class Refused(DomainError):
    """A login refused: 409 with the message (the clients show it)."""


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="webapi-login")


def idle_seconds():
    return int(current_app.config.get("API_TOKEN_IDLE", DEFAULT_IDLE))


def lifetime_seconds():
    return int(current_app.config.get("API_TOKEN_LIFETIME", DEFAULT_LIFETIME))


def login_data():
    """auth/getdata: {"lt", "ver", "salt"}; nothing stored."""
    salt = str(secrets.randbelow(10 ** 9)).zfill(9)
    lt = _serializer().dumps({"s": salt, "n": secrets.token_hex(16), "t": int(clock.timestamp())})
    return {"lt": lt, "ver": VERSION, "salt": salt}


def _read_lt(lt):
    try:
        data = _serializer().loads(lt or "")
        salt, nonce, issued = str(data["s"]), str(data["n"]), int(data["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise Refused(STALE_LOGIN) from None
    if not 0 <= clock.timestamp() - issued <= LOGIN_WINDOW:
        raise Refused(STALE_LOGIN)
    return salt, nonce


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _family_cards(user_id, org_id):
    with scope.installation("an account's cards in the school its app login chose"):
        student_id = db.session.scalar(select(Student.id).where(Student.user_id == user_id, Student.org_id == org_id))
        parent_id = db.session.scalar(select(Parent.id).where(Parent.user_id == user_id, Parent.org_id == org_id))
    return student_id, parent_id


def login(form, address, session_cookie=None):
    """POST login: (the token, the organization, the NSSESSIONID cookie to set), or Refused (409). `form`: scid,
    un, pw2, lt (what both clients send). `session_cookie`: the app's NSSESSIONID, which names its previous token
    (see `_revive`)."""
    salt, nonce = _read_lt(form.get("lt"))
    org_id = _school_id(form.get("scid"))
    used = {}

    def verify(user, _password):
        used["row"] = passwords.matching(user, salt, form.get("pw2"))
        return used["row"] is not None

    try:
        user = accounts.authenticate(form.get("un") or "", form.get("pw2") or "", address, verify=verify)
    except DomainError as exc:
        raise Refused(BAD_CREDENTIALS if str(exc) == "Неверный логин или пароль." else str(exc)) from None
    org = db.session.get(Organization, org_id) if org_id is not None else None
    student_id, parent_id = _family_cards(user.id, org_id) if org is not None else (None, None)
    if org is None:
        raise Refused(NO_SCHOOL)
    if student_id is None and parent_id is None:
        raise Refused(NO_FAMILY)
    if db.session.scalar(select(ApiToken.id).where(ApiToken.nonce == nonce)) is not None:
        raise Refused(STALE_LOGIN)  # a replayed login
    now = clock.utcnow()
    _forget_old(now)
    token = secrets.token_urlsafe(32)
    row = used["row"]
    row.last_used_at = now
    _revive(session_cookie, row.id, user.id, org.id, now)
    fresh = ApiToken(token_hash=_hash(token), nonce=nonce, app_password_id=row.id, user_id=user.id, org_id=org.id,
                     created_at=now, last_used_at=now)
    db.session.add(fresh)
    db.session.flush()
    return token, org, _cookies().dumps(fresh.id)


def _cookies():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="webapi-session")


def _revive(session_cookie, app_password_id, user_id, org_id, now):
    """A login again, from the app whose cookie names its previous token, brings that token back to life when it
    ended only by time (never after logout or revocation): netschoolapi repeats the request that got its 401 as
    it was built — with the old `at` — after logging in again, and would otherwise loop. The login has just
    proven the same app password, for the same account and school, so nothing is granted that it did not."""
    try:
        token_id = int(_cookies().loads(session_cookie or ""))
    except (BadSignature, TypeError, ValueError):
        return
    row = db.session.get(ApiToken, token_id)
    if row is not None and row.revoked_at is None and (row.app_password_id, row.user_id, row.org_id) == \
            (app_password_id, user_id, org_id):
        row.created_at = row.last_used_at = now


def _school_id(value):
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 9:
        return None
    return int(text)


def _forget_old(now):
    """Tokens past their lifetime (and a login window) are deleted: their nonces can no longer be replayed."""
    db.session.execute(delete(ApiToken).where(
        ApiToken.created_at < now - timedelta(seconds=lifetime_seconds() + LOGIN_WINDOW))
        .execution_options(synchronize_session=False))


def _live(now):
    return (ApiToken.revoked_at.is_(None), ApiToken.last_used_at >= now - timedelta(seconds=idle_seconds()),
            ApiToken.created_at >= now - timedelta(seconds=lifetime_seconds()))


def actor_for(token):
    """The API actor of a live token (its last use recorded), else None (→ 401). One statement to find it."""
    if not token or len(token) > 200:
        return None
    now = clock.utcnow()
    found = db.session.execute(
        select(ApiToken, User, AppPassword).join(User, User.id == ApiToken.user_id)
        .join(AppPassword, AppPassword.id == ApiToken.app_password_id)
        .where(ApiToken.token_hash == _hash(token), *_live(now), AppPassword.revoked_at.is_(None),
               User.is_blocked.is_(False))).first()
    if found is None:
        return None
    row, user, app_password = found
    student_id, parent_id = _family_cards(user.id, row.org_id)
    org = db.session.get(Organization, row.org_id)
    if org is None or (student_id is None and parent_id is None):
        return None
    if now - row.last_used_at >= min(TOUCH_EVERY, timedelta(seconds=idle_seconds() / 4)):
        row.last_used_at = now
        app_password.last_used_at = now
        uow.checkpoint("the token's last use keeps it alive whatever the request does next")
    # Its roles are the family's only: an account that is also staff or the installation's administrator reads
    # here no more than his own (or his children's) diary.
    roles = frozenset(r for r, card in ((Role.STUDENT.value, student_id), (Role.PARENT.value, parent_id)) if card)
    actor = Actor(user=user, org=org, student_id=student_id, parent_id=parent_id, org_ids=(org.id,), orgs=(org,),
                  _roles=roles)
    actor.user_id  # noqa: B018 — read while the user row is fresh
    return actor


def logout(token):
    """auth/logout: the token ends (an unknown or dead one: nothing to do)."""
    if not token:
        return False
    now = clock.utcnow()
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token), *_live(now)))
    if row is None:
        return False
    row.revoked_at = now
    db.session.flush()
    return True


def revoke_user_tokens(user_id):
    """Every live token of the user ends (not used now; kept for an account blocked from the admin)."""
    now = clock.utcnow()
    for row in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id,
                                                         or_(ApiToken.revoked_at.is_(None)))):
        row.revoked_at = now
    db.session.flush()
