"""Accounts: password hashing, login with throttling, issuing logins, resets and blocking."""
import functools
import ipaddress
import math
import re
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.exc import IntegrityError

from models import LoginThrottle, Parent, Role, Staff, Student, User, db, scope, student_parent, utcnow
from models.dialect import locked
from services import permissions, uow
from services.audit import log_login
from services.errors import DomainError

MIN_PASSWORD = 8
COMMON_PASSWORDS = Path(__file__).resolve().parents[2] / "data" / "common-passwords.txt"
# Login throttling (docs/DEVELOPING.md, «Безопасность»): three counters, none of which lets a stranger
# keep the owner out. One account from one address: its guesses are slowed after a few.
PAIR_FREE_FAILURES = 5
# One account from every address: past the ceiling each further failure doubles the wait, but only
# for addresses that have failed at this account; the owner typing his right password elsewhere passes.
ACCOUNT_FREE_FAILURES = 20
ADDRESS_FREE_FAILURES = 50  # one address at every account: a whole school logs in from one address …
# … and its typos never pause for a day: the address counter forgets one failure a minute, so
# only a fast stream of failures (a password sprayer) reaches its limit.
ADDRESS_FORGETS_ONE_PER = timedelta(minutes=1)
LOCK_STEP = timedelta(seconds=30)
LOCK_CAP = timedelta(minutes=15)
FAILURES_FORGOTTEN_AFTER = timedelta(hours=24)

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}
# How people spell their names in Latin letters besides the passport's way: yuliya, yana, khrushchev → hrushchev.
_POPULAR_TRANSLIT = {**_TRANSLIT, "ё": "yo", "й": "y", "х": "h", "щ": "sch", "ю": "yu", "я": "ya"}
# Letters that cannot be mistaken for each other on a printed slip (no l/1, o/0).
_CONSONANTS = "bdfgkmnprstvz"
_VOWELS = "aeiu"


def _hasher():
    params = current_app.config.get("PASSWORD_HASH_PARAMS", {}) if has_app_context() else {}
    return PasswordHasher(**params)


def hash_password(password):
    return _hasher().hash(password)


def verify_password(user, password):
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_session_token():
    return secrets.token_urlsafe(32)


def transliterate(text):
    return "".join(_TRANSLIT.get(ch, ch) for ch in (text or "").lower())


def _login_chars(text):
    """Latin letters, digits and hyphens only: a login is typed on any keyboard."""
    return "".join(ch for ch in transliterate(text) if (ch.isascii() and ch.isalnum()) or ch == "-")


def base_login(card):
    surname = _login_chars(card.last_name).strip("-")
    initials = "".join(_login_chars(p)[:1] for p in (card.first_name, card.middle_name) if p)
    return f"{surname or 'user'}.{initials}" if initials else surname or "user"


def readable_password():
    """Four consonant-vowel pairs and two digits, e.g. 'kazomiru47': short to type, 31 bits."""
    syllables = "".join(secrets.choice(_CONSONANTS) + secrets.choice(_VOWELS) for _ in range(4))
    return f"{syllables}{secrets.randbelow(90) + 10}"


@functools.cache
def common_passwords():
    """data/common-passwords.txt: lower case, one a line, '#' lines are comments."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _is_common(lowered):
    """On the list as it is, or once the digits and symbols typed after a word are taken off
    (privet2024!, Maksim1990)."""
    base = lowered.rstrip(string.digits + string.punctuation + " ")
    return lowered in common_passwords() or (len(base) >= 4 and base in common_passwords())


def _personal_words(login, names):
    """What a guesser who knows the person tries first: the parts of his login, each word of his name,
    in Cyrillic and in Latin letters (three letters or more)."""
    words = set(re.split(r"[^0-9a-zа-яё]+", (login or "").lower()))
    for name in names:
        for word in re.split(r"[^0-9a-zа-яё]+", (name or "").lower()):
            words |= {word, transliterate(word), "".join(_POPULAR_TRANSLIT.get(ch, ch) for ch in word)}
    return {word for word in words if len(word) >= 3}


def check_password_strength(password, login=None, names=()):
    """A password a person chose (not one we generated): long enough, not his login nor his name, not
    a common one. `names`: the person's full name(s)."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise DomainError(f"Пароль должен содержать не менее {MIN_PASSWORD} символов.")
    lowered = password.lower()
    if login and login.lower() in lowered:
        raise DomainError("Пароль не должен совпадать с логином или содержать его.")
    if any(word in lowered for word in _personal_words(login, names)):
        raise DomainError("Пароль не должен содержать фамилию, имя, отчество или часть логина.")
    if _is_common(lowered):
        raise DomainError("Этот пароль слишком распространён: такие подбирают первыми. Придумайте другой — "
                          "например, из трёх-четырёх не связанных между собой слов.")


def unique_login(base, taken):
    """`base`, or `base2`, `base3` … the first not in the installation nor in `taken`."""
    existing = set(db.session.scalars(select(User.login).where(User.login.like(f"{base}%"))))
    existing |= taken
    login, n = base, 1
    while login in existing:
        n += 1
        login = f"{base}{n}"
    taken.add(login)
    return login


def new_user(login, display_name, password=None, must_change=True, superadmin=False):
    password = password or readable_password()
    user = User(login=login, password_hash=hash_password(password), must_change_password=must_change,
                session_token=new_session_token(), display_name=display_name, is_superadmin=superadmin)
    db.session.add(user)
    return user, password


SUPERADMIN_NAME = "Администратор установки"


def create_superadmin(login, password):
    login = (login or "").strip().lower()
    if not login:
        raise DomainError("Укажите логин.")
    check_password_strength(password, login, [SUPERADMIN_NAME])
    if db.session.scalar(select(User.id).where(User.login == login)):
        raise DomainError(f"Логин «{login}» уже занят.")
    user, _ = new_user(login, SUPERADMIN_NAME, password, must_change=False, superadmin=True)
    db.session.flush()
    return user


# Login ------------------------------------------------------------------------

def address_key(address):
    """What the throttle counts as one address: an IPv4 address, or an IPv6 /64 (one subscriber's
    network, whose addresses cost nothing to hop between)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return (address or "unknown")[:45]
    ip = getattr(ip, "ipv4_mapped", None) or ip  # an IPv4 client of a dual-stack socket
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def throttle_keys(login, address):
    """The counters of a login attempt: (account, account at this address, address)."""
    network = address_key(address)
    return f"login:{login}", f"pair:{login}@{network}", f"addr:{network}"


def _throttle_row(key):
    """The counter of `key`, locked until commit so that parallel attempts count one after another."""
    row = db.session.scalar(locked(select(LoginThrottle).where(LoginThrottle.key == key)))
    if row is None:
        row = LoginThrottle(key=key, failures=0)
        db.session.add(row)
        db.session.flush()
    return row


def _peek(key):
    return db.session.get(LoginThrottle, key, populate_existing=True)


def _locked_for(row, now):
    if row is not None and row.locked_until and row.locked_until > now:
        return row.locked_until - now
    return None


def _has_failed(row, now):
    return row is not None and row.failures > 0 and row.last_failure_at is not None \
        and now - row.last_failure_at <= FAILURES_FORGOTTEN_AFTER


def _register_failure(row, free, now, forgets_one_per=None):
    if row.last_failure_at and now - row.last_failure_at > FAILURES_FORGOTTEN_AFTER:
        row.failures = 0
    reference = now
    if forgets_one_per and row.failures:
        forgotten = min(row.failures, (now - row.last_failure_at) // forgets_one_per)
        row.failures -= forgotten
        if row.failures:  # so here last_failure_at is the time the counter is reckoned from:
            # time not yet worth a whole failure counts towards the next one
            reference = row.last_failure_at + forgotten * forgets_one_per
    row.failures += 1
    row.last_failure_at = reference
    if row.failures >= free:
        # the doublings are bounded: 2**20 steps is far past the cap, and 2**45 overflows a timedelta
        row.locked_until = now + min(LOCK_STEP * 2 ** min(row.failures - free, 20), LOCK_CAP)


def _wait_message(delta):
    seconds = max(1, math.ceil(delta.total_seconds()))
    if seconds > 60:
        return f"Слишком много неудачных попыток входа. Повторите через {math.ceil(seconds / 60)} мин."
    return f"Слишком много неудачных попыток входа. Повторите через {seconds} с."


def authenticate(login, password, address, verify=None):
    """The user, if the login and password are right and no throttle holds. A failure's counters and
    log row are committed at once (uow.checkpoint: they stay when the request rolls back); a success
    is committed with the request. `verify(user, password)`: another proof than the account's password
    (the API's app passwords, services/api/sessions.py), counted by the same throttle."""
    try:
        return _authenticate(login, password, address, verify)
    except IntegrityError:
        # Another worker created the same counter row at this very moment; now it exists.
        db.session.rollback()
        return _authenticate(login, password, address, verify)


def _authenticate(login, password, address, verify=None):
    login = (login or "").strip().lower()[:64]
    now = utcnow()
    user = db.session.scalar(select(User).where(User.login == login)) if login else None
    user_id = user.id if user is not None else None
    account_key, pair_key, network_key = throttle_keys(login, address)
    # Read without a lock: a whole school logs in from one address, and its logins must not queue
    # behind each other's password checks. Counters are locked only to count a failure.
    account_row, pair_row, address_row = _peek(account_key), _peek(pair_key), _peek(network_key)
    wait = _locked_for(pair_row, now) or _locked_for(address_row, now) \
        or (_has_failed(pair_row, now) and _locked_for(account_row, now))
    if wait:
        log_login(db.session, login, user_id, address, False, "throttled")
        uow.checkpoint("a throttled attempt is logged whatever the request does next")
        raise DomainError(_wait_message(wait))
    # The attempt counts as a failure of the account and of this address at it before its password
    # is checked, and that is committed: parallel guesses each count before their check, yet no
    # counter stays locked while a password is hashed (on SQLite that lock is the whole database's,
    # and a check takes a tenth of a second). A right password takes the count back below.
    _register_failure(_throttle_row(pair_key), PAIR_FREE_FAILURES, now)
    _register_failure(_throttle_row(account_key), ACCOUNT_FREE_FAILURES, now)
    uow.checkpoint("the failure counted before the password check persists")
    if user is None and verify is None:
        hash_password(password or "-")  # as slow as a real check: timing does not reveal logins
        # (an app's proof — the API's md5 — is as fast for an unknown login as for a known one)
    proven = (verify(user, password) if verify is not None else verify_password(user, password)) \
        if user is not None and password else False
    if not proven:
        _register_failure(_throttle_row(network_key), ADDRESS_FREE_FAILURES, now, ADDRESS_FORGETS_ONE_PER)
        log_login(db.session, login, user_id, address, False, "bad credentials")
        uow.checkpoint("a failed attempt stays counted and logged")
        raise DomainError("Неверный логин или пароль.")
    # Only this address is forgiven: the account's counter keeps slowing the addresses that guessed,
    # less the failure this attempt counted in advance.
    pair_row = _throttle_row(pair_key)
    pair_row.failures, pair_row.locked_until = 0, None
    account_row = _throttle_row(account_key)
    account_row.failures = max(0, account_row.failures - 1)
    if user.is_blocked:
        log_login(db.session, login, user.id, address, False, "blocked")
        uow.checkpoint("a blocked account's attempt is logged")
        raise DomainError("Учётная запись заблокирована. Обратитесь к администратору.")
    if verify is not None:  # an app's login: the account's password and its last page login stay
        log_login(db.session, login, user.id, address, True)
        db.session.flush()
        return user
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)  # hashed again at today's parameters
    user.last_login_at = now
    log_login(db.session, login, user.id, address, True)
    db.session.flush()
    return user


def end_sessions(user):
    """Every session of the user dies: the token in their cookies no longer matches."""
    user.session_token = new_session_token()


def change_password(user, old_password, new_password, confirm):
    """A refusal names its input in the DomainError's `fields`: old_password, new_password, confirm_password."""
    def refuse(field, message):
        raise DomainError(message, fields={field: message})

    if not verify_password(user, old_password):
        refuse("old_password", "Текущий пароль указан неверно.")
    if new_password != confirm:
        refuse("confirm_password", "Новый пароль и подтверждение не совпадают.")
    try:
        check_password_strength(new_password, user.login, [user.display_name])
    except DomainError as exc:
        refuse("new_password", str(exc))
    if old_password == new_password:
        refuse("new_password", "Новый пароль должен отличаться от текущего.")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    end_sessions(user)
    db.session.flush()


# Issuing, resetting, blocking -------------------------------------------------

@dataclass
class Credential:
    group: str
    full_name: str
    role: str
    login: str
    password: str


CARD_ROLES = {Staff: Role.TEACHER, Student: Role.STUDENT, Parent: Role.PARENT}


def _group_of(card):
    if isinstance(card, Student):
        return card.klass.name if card.klass else "Без класса"
    if isinstance(card, Parent):
        names = sorted({c.klass.name for c in card.children if c.klass})
        return ", ".join(names) or "Без класса"
    return "Сотрудники"


def _role_label(card):
    if isinstance(card, Staff):
        return card.roles_label or (card.position.name if card.position else "Сотрудник")
    if isinstance(card, Parent):
        kids = ", ".join(c.short_name for c in card.children)
        return f"Родитель ({kids})" if kids else "Родитель"
    return "Обучающийся"


def _cards(actor, view, model, verb, ids):
    ids = permissions.require_rows(actor, view, verb, model, ids)
    if not ids:
        raise DomainError("Не выбрано ни одной записи.")
    return db.session.scalars(select(model).where(model.id.in_(ids))).all()


def _sorted(credentials):
    return sorted(credentials, key=lambda c: (c.group == "Сотрудники", c.group, c.full_name))


def issue_logins(actor, view, model, ids):
    """Accounts for the chosen cards that have none; returns the credentials to print once."""
    cards = [card for card in _cards(actor, view, model, "issue_logins", ids) if card.user_id is None]
    _check_reach(actor, "issue_logins", [(None, card) for card in cards])
    taken, issued = set(), []
    for card in cards:
        login = unique_login(base_login(card), taken)
        user, password = new_user(login, card.full_name)
        card.user = user
        issued.append(Credential(_group_of(card), card.full_name, _role_label(card), login, password))
    if not issued:
        raise DomainError("У всех выбранных уже есть учётные записи. Чтобы выдать новый пароль, "
                          "используйте «Сбросить пароль».")
    try:
        db.session.flush()
    except IntegrityError:
        # Two batches picked the same free login at the same moment: nothing of this one is kept.
        db.session.rollback()
        raise DomainError("Логины не выданы: в это же время выдавались такие же логины. "
                          "Повторите действие.") from None
    return _sorted(issued)


CARD_VIEWS = ((Staff, "staff"), (Student, "student"), (Parent, "parent"))


def _cards_behind(pairs):
    """Every card a chosen account opens, with the name of the chosen one it comes from: the chosen
    card, every card of the account (a parent who is also a teacher, or works in another school),
    and the children of each parent card among them (their diaries and reports open with his
    password). `pairs`: (user or None, card or None). Returns {(model, card id): name}."""
    behind = {}
    users = {}
    for user, card in pairs:
        name = user.login if user is not None else card.full_name
        if card is not None:
            behind[type(card), card.id] = name
        if user is not None:
            users[user.id] = name
    if users:
        with scope.installation("the cards an account opens, in every organization"):
            for model, _ in CARD_VIEWS:
                for card_id, user_id in db.session.execute(
                        select(model.id, model.user_id).where(model.user_id.in_(users))):
                    behind.setdefault((model, card_id), users[user_id])
    parents = {card_id: name for (model, card_id), name in behind.items() if model is Parent}
    if parents:
        for child_id, parent_id in db.session.execute(
                select(student_parent.c.student_id, student_parent.c.parent_id)
                .where(student_parent.c.parent_id.in_(parents))):
            behind.setdefault((Student, child_id), parents[parent_id])
    return behind


def _check_reach(actor, verb, pairs):
    """An account is the actor's to issue, reset or block only if he may `verb` every card behind
    it: a class teacher's parent has all his children in that teacher's class."""
    if permissions.allowed(actor, "user", "all_accounts") or not pairs:
        return
    behind = _cards_behind(pairs)
    for model, view in CARD_VIEWS:
        ids = sorted(card_id for kind, card_id in behind if kind is model)
        reachable = set(permissions.scoped_ids(actor, view, verb, model, ids))
        for card_id in ids:
            if card_id not in reachable:
                raise DomainError(f"«{behind[model, card_id]}»: учётная запись открывает и карточки, к которым "
                                  "у вас нет доступа (ребёнок из другого класса, сотрудник или другая "
                                  "организация). Выдать её, сбросить пароль или заблокировать её может "
                                  "администратор.")


def _users_of(actor, view, model, verb, ids):
    if model is User:
        ids = permissions.require_rows(actor, view, verb, User, ids)
        pairs = [(u, None) for u in db.session.scalars(select(User).where(User.id.in_(ids)))]
    else:
        cards = _cards(actor, view, model, verb, ids)
        pairs = [(card.user, card) for card in cards if card.user is not None]
    _check_reach(actor, verb, pairs)
    return pairs


def _cards_of_users(org_id, user_ids):
    """{user id: his cards in the organization} (staff first), for the role on a slip reset from the accounts
    list; their classes, positions and children loaded at once."""
    found = {}
    if not user_ids:
        return found
    for model, options in ((Staff, (selectinload(Staff.role_rows), joinedload(Staff.position))),
                           (Student, (joinedload(Student.klass),)),
                           (Parent, (selectinload(Parent.children).joinedload(Student.klass),))):
        for card in db.session.scalars(select(model).where(model.org_id == org_id, model.user_id.in_(user_ids))
                                       .options(*options).order_by(model.id)):
            found.setdefault(card.user_id, []).append(card)
    return found


def reset_passwords(actor, view, model, ids):
    pairs = _users_of(actor, view, model, "reset_password", ids)
    if not pairs:
        raise DomainError("У выбранных нет учётных записей. Сначала выдайте логины.")
    result = []
    behind = _cards_of_users(actor.org_id, [user.id for user, card in pairs if card is None])
    for user, card in pairs:
        if user.is_superadmin and not permissions.allowed(actor, "user", "all_accounts"):
            raise DomainError("Пароль администратора установки меняет только он сам.")
        password = readable_password()
        user.password_hash = hash_password(password)
        user.must_change_password = True
        end_sessions(user)
        group = _group_of(card) if card is not None else "Учётные записи"
        role = _role_label(card) if card is not None else \
            "; ".join(_role_label(c) for c in behind.get(user.id, ())) or "Учётная запись"
        result.append(Credential(group, card.full_name if card else user.display_name, role,
                                 user.login, password))
    db.session.flush()
    return _sorted(result)


def set_blocked(actor, view, model, ids, blocked):
    pairs = _users_of(actor, view, model, "block" if blocked else "unblock", ids)
    if not pairs:
        raise DomainError("У выбранных нет учётных записей.")
    for user, _ in pairs:
        if user.id == actor.user_id and blocked:
            raise DomainError("Нельзя заблокировать собственную учётную запись.")
        if user.is_superadmin and not permissions.allowed(actor, "user", "all_accounts"):
            raise DomainError("Администратора установки может заблокировать только он сам.")
        user.is_blocked = blocked
        end_sessions(user)
    db.session.flush()
    return len(pairs)


def pending_accounts_count(org_id):
    """Cards without an account yet (for the control page)."""
    return sum(db.session.scalar(select(func.count()).select_from(m).where(
        m.org_id == org_id, m.user_id.is_(None))) for m in (Staff, Student, Parent))
