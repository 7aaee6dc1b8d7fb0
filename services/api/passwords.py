"""App passwords («Пароли приложений»): what a family gives a parents' app or a Telegram bot instead of its
real password, because the NetSchool protocol proves a password with unsalted md5.

Each is random (24 characters of a 54-letter alphabet: ~138 bits), shown once, and kept as
md5(cp1251(password)) hex — the one thing the protocol's proof md5(salt + md5(password)) needs; with that
entropy no dictionary reaches it. It opens only the API (read-only: the user's own diary as a student, his
children's as a parent), never a page; the account's real password is never accepted by the API."""
import hashlib
import hmac
import secrets

from sqlalchemy import func, select, update

from models import ApiToken, AppPassword, Parent, Student, User, db, scope
from services import clock
from services.errors import DomainError

ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no l/1/I, o/O/0
LENGTH = 24
MAX_ACTIVE = 10
NAME_MAX = 100


def secret_of(password):
    """What is stored: md5 of the password in cp1251, hex (the protocol's inner hash)."""
    return hashlib.md5(password.encode("cp1251")).hexdigest()


def proof(salt, secret_md5):
    """pw2 of the protocol: md5(salt + md5(cp1251 password) hex), hex."""
    return hashlib.md5(salt.encode() + secret_md5.encode()).hexdigest()


def may_have(user):
    """Whether the account has a student's or a parent's card somewhere: only families read a diary by API."""
    with scope.installation("an account's cards in every organization"):
        found = db.session.scalar(select(Student.id).where(Student.user_id == user.id).limit(1)) \
            or db.session.scalar(select(Parent.id).where(Parent.user_id == user.id).limit(1))
    return found is not None


def create(user, name):
    """A new app password of the user: (row, the password in clear — shown once, never stored)."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Укажите название пароля приложения, например «бот в Telegram».",
                          fields={"name": "Укажите название."})
    if len(name) > NAME_MAX:
        raise DomainError(f"Название длиннее {NAME_MAX} символов.", fields={"name": f"Не длиннее {NAME_MAX} символов."})
    if not may_have(user):
        raise DomainError("Пароли приложений выдаются ученикам и родителям: через приложения читается только "
                          "дневник. У этой учётной записи нет карточки ученика или родителя.")
    active = db.session.scalar(select(func.count(AppPassword.id)).where(
        AppPassword.user_id == user.id, AppPassword.revoked_at.is_(None)))
    if active >= MAX_ACTIVE:
        raise DomainError(f"Действующих паролей приложений уже {MAX_ACTIVE}. Отзовите ненужные и повторите.")
    password = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    row = AppPassword(user_id=user.id, name=name, secret_md5=secret_of(password), created_at=clock.utcnow())
    db.session.add(row)
    db.session.flush()
    return row, password


def create_for_login(login, name):
    """`flask api-password LOGIN`: the account by its login."""
    user = db.session.scalar(select(User).where(User.login == (login or "").strip().lower()))
    if user is None:
        raise DomainError(f"Учётной записи «{login}» нет.")
    return create(user, name)


def listed(user):
    """The user's app passwords, active first, newest first (one statement)."""
    return db.session.scalars(select(AppPassword).where(AppPassword.user_id == user.id).order_by(
        AppPassword.revoked_at.is_not(None), AppPassword.created_at.desc(), AppPassword.id.desc())).all()


def revoke(user, password_id):
    """Revoke one of the user's own app passwords and end its tokens at once; another's id is refused."""
    row = db.session.scalar(select(AppPassword).where(AppPassword.id == password_id,
                                                      AppPassword.user_id == user.id))
    if row is None:
        raise DomainError("Такого пароля приложения нет.")
    now = clock.utcnow()
    if row.revoked_at is None:
        row.revoked_at = now
    db.session.execute(update(ApiToken).where(ApiToken.app_password_id == row.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=now).execution_options(synchronize_session=False))
    db.session.flush()
    return row


def matching(user, salt, pw2):
    """The user's active app password whose proof with `salt` is `pw2`, else None (constant-time compare)."""
    pw2 = (pw2 or "").strip().lower()
    found = None
    for row in db.session.scalars(select(AppPassword).where(AppPassword.user_id == user.id,
                                                            AppPassword.revoked_at.is_(None))):
        if hmac.compare_digest(proof(salt, row.secret_md5), pw2):
            found = row
    return found
