"""Accounts: login and logout, throttling, server-side sessions, forced password change, hashing."""
import re
from datetime import timedelta

from argon2 import PasswordHasher, extract_parameters
from argon2.profiles import get_default_parameters
from sqlalchemy import select, update

from app import create_app
from models import LoginEvent, LoginThrottle, User, db, utcnow
from services import clock
from services.people import accounts
from tests.conftest import TEST_PASSWORD, Browser

SESSION_COOKIE = "journal_session"


def attempt(b, login, password, address="127.0.0.1", **data):
    """One POST of the login form, as a browser at `address` sends it."""
    return b.post("/login", {"login": login, "password": password, **data},
                  environ_base={"REMOTE_ADDR": address})


def is_logged_in(b):
    resp = b.get("/")
    return resp.status_code == 200


def throttle(key):
    db.session.expire_all()
    return db.session.get(LoginThrottle, key)


def expire_lock(key):
    """Time passes: the lock on `key` is over."""
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == key)
                       .values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def lock_length(key):
    row = throttle(key)
    return row.locked_until - row.last_failure_at


def user(login):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.login == login))


# -- login and logout -------------------------------------------------------------------------

def test_login_page_and_the_way_to_it(browser):
    b = browser()
    page = b.get("/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="login"' in html and 'name="password"' in html and 'name="csrf_token"' in html
    assert "Логин" in html and "Пароль" in html and "Войти" in html
    for url in ("/students/", "/change-password", "/"):
        resp = b.get(url)
        assert resp.status_code == 302 and resp.location.startswith("/login"), url
    assert b.get("/students/").location.startswith("/login?next=/students/")


def test_wrong_password_is_refused_in_russian_and_logged_with_the_address(world, browser):
    b = browser()
    resp = attempt(b, "a.teacher", "not-the-password", address="10.20.30.40")
    assert resp.status_code == 401
    assert "Неверный логин или пароль." in resp.get_data(as_text=True)
    assert not is_logged_in(b)
    event = db.session.scalars(select(LoginEvent)).one()
    assert (event.login, event.user_id, event.address, event.success, event.reason) == (
        "a.teacher", world.a.teacher.user_id, "10.20.30.40", False, "bad credentials")


def test_unknown_login_is_refused_with_the_same_message(world, browser):
    resp = attempt(browser(), "no.such.person", TEST_PASSWORD)
    assert resp.status_code == 401
    assert "Неверный логин или пароль." in resp.get_data(as_text=True)
    event = db.session.scalars(select(LoginEvent)).one()
    assert (event.login, event.user_id, event.success) == ("no.such.person", None, False)


def test_right_password_logs_in_and_is_logged(world, browser):
    b = browser()
    resp = attempt(b, "  A.Teacher ", TEST_PASSWORD, address="10.0.0.7")
    assert resp.status_code == 302 and resp.location == "/"
    assert is_logged_in(b)
    event = db.session.scalars(select(LoginEvent)).one()
    assert (event.login, event.user_id, event.address, event.success) == (
        "a.teacher", world.a.teacher.user_id, "10.0.0.7", True)
    assert user("a.teacher").last_login_at is not None


def test_logout_is_a_post_and_ends_the_session(world, browser):
    b = browser()
    b.login("a.teacher")
    assert b.get("/logout").status_code == 405  # a link or an <img> cannot log anybody out
    assert is_logged_in(b)
    resp = b.post("/logout")
    assert resp.status_code == 302 and resp.location == "/login"
    assert "Вы вышли из системы." in b.get("/login").get_data(as_text=True)
    resp = b.get("/")
    assert resp.status_code == 302 and resp.location.startswith("/login")


def test_a_cookie_captured_before_logout_is_refused_afterwards(world, browser):
    b = browser()
    b.login("a.teacher")
    thief = browser()
    thief.client.set_cookie(SESSION_COOKIE, b.client.get_cookie(SESSION_COOKIE).value)
    assert thief.get("/").status_code == 200  # the copy works while the session is alive
    token_before = user("a.teacher").session_token

    b.post("/logout")

    assert user("a.teacher").session_token != token_before
    resp = thief.get("/students/")
    assert resp.status_code == 302 and resp.location.startswith("/login")
    assert thief.get("/").status_code == 302


def test_logout_ends_every_session_of_the_user(world, browser):
    office, home = browser(), browser()
    office.login("a.teacher")
    home.login("a.teacher")
    assert is_logged_in(home)
    office.post("/logout")
    assert not is_logged_in(home)


def test_blocking_ends_the_live_session_and_refuses_login(world, browser):
    victim = browser()
    victim.login("a.teacher")
    assert is_logged_in(victim)
    admin = browser()
    admin.login("a.admin")

    resp = admin.post("/accounts/action/", {"action": "block", "rowid": str(world.a.teacher.user_id)})

    assert resp.status_code == 302
    assert user("a.teacher").is_blocked
    resp = victim.get("/")
    assert resp.status_code == 302 and resp.location.startswith("/login")
    again = attempt(browser(), "a.teacher", TEST_PASSWORD)
    assert again.status_code == 401
    assert "Учётная запись заблокирована" in again.get_data(as_text=True)
    assert db.session.scalars(select(LoginEvent.reason).where(LoginEvent.success.is_(False))).all() \
        == ["blocked"]

    admin.post("/accounts/action/", {"action": "unblock", "rowid": str(world.a.teacher.user_id)})
    assert not is_logged_in(victim)  # unblocking does not revive the old session …
    assert attempt(browser(), "a.teacher", TEST_PASSWORD).status_code == 302  # … a new login works


def test_a_blocked_account_is_refused_on_its_next_request(world, browser):
    victim = browser()
    victim.login("a.teacher")
    teacher = user("a.teacher")
    teacher.is_blocked = True  # whatever path set the flag, the session token is checked with it
    db.session.commit()
    resp = victim.get("/")
    assert resp.status_code == 302 and resp.location.startswith("/login")


def test_a_blocked_user_with_a_wrong_password_learns_nothing(world, browser):
    teacher = user("a.teacher")
    teacher.is_blocked = True
    db.session.commit()
    resp = attempt(browser(), "a.teacher", "wrong-password")
    assert resp.status_code == 401
    assert "Неверный логин или пароль." in resp.get_data(as_text=True)


# -- next: only local paths ---------------------------------------------------------------------

EVIL_NEXT = ["//evil.example", "https://evil.example", "/\\evil.example", "/\t/evil.example",
             "http:evil.example", "javascript:alert(1)", "///evil.example", " //evil.example"]


def test_next_to_another_site_is_ignored(world, browser):
    for evil in EVIL_NEXT:
        b = browser()
        page = b.get("/login", query_string={"next": evil}).get_data(as_text=True)
        assert "evil" not in page and "javascript" not in page, evil
        resp = attempt(b, "a.teacher", TEST_PASSWORD, next=evil)
        assert resp.status_code == 302 and resp.location == "/", evil
        # already logged in, the login page sends him on: still only to this site
        assert b.get("/login", query_string={"next": evil}).location == "/", evil


def test_next_to_a_local_page_is_followed(world, browser):
    b = browser()
    page = b.get("/login?next=/students/%3Fpage%3D1").get_data(as_text=True)
    assert 'name="next" value="/students/?page=1"' in page
    resp = attempt(b, "a.admin", TEST_PASSWORD, next="/students/?page=1")
    assert resp.status_code == 302 and resp.location == "/students/?page=1"
    assert b.get("/login?next=/change-password").location == "/change-password"


# -- throttling ---------------------------------------------------------------------------------

def pair_key(login, address="127.0.0.1"):
    return accounts.throttle_keys(login, address)[1]


def test_five_failures_from_one_address_lock_it_out_of_the_account_even_for_the_right_password(world, browser):
    b = browser()
    for _ in range(accounts.PAIR_FREE_FAILURES):
        resp = attempt(b, "a.teacher", "wrong-password")
        assert resp.status_code == 401
        assert "Неверный логин или пароль." in resp.get_data(as_text=True)

    resp = attempt(b, "a.teacher", TEST_PASSWORD)

    assert resp.status_code == 401
    text = resp.get_data(as_text=True)
    assert "Слишком много неудачных попыток входа. Повторите через" in text
    wait = int(re.search(r"Повторите через (\d+) с\.", text).group(1))
    assert 25 <= wait <= 30  # the first lock is 30 seconds; the clock may have moved on
    assert not is_logged_in(b)
    refused = db.session.scalars(select(LoginEvent).order_by(LoginEvent.id.desc())).first()
    # recorded against the account, so its organization's administrator sees the attack
    assert (refused.reason, refused.user_id, refused.success) == (
        "throttled", world.a.teacher.user_id, False)
    # only this account: a colleague at the same computer still logs in
    assert attempt(browser(), "a.hr", TEST_PASSWORD).status_code == 302
    # only this address: the owner at another computer logs in
    assert attempt(browser(), "a.teacher", TEST_PASSWORD, address="10.0.0.2").status_code == 302


def test_the_lock_grows_is_capped_and_expires(world, browser):
    b = browser()
    key = pair_key("a.teacher")
    for _ in range(accounts.PAIR_FREE_FAILURES):
        attempt(b, "a.teacher", "wrong-password")
    assert lock_length(key) == timedelta(seconds=30)

    # attempts while locked are refused without checking and do not make the lock longer
    attempt(b, "a.teacher", "wrong-password")
    assert throttle(key).failures == accounts.PAIR_FREE_FAILURES

    expire_lock(key)
    attempt(b, "a.teacher", "wrong-password")
    assert lock_length(key) == timedelta(seconds=60)
    expire_lock(key)
    attempt(b, "a.teacher", "wrong-password")
    assert lock_length(key) == timedelta(seconds=120)

    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(failures=40))
    db.session.commit()
    expire_lock(key)
    attempt(b, "a.teacher", "wrong-password")
    assert lock_length(key) == accounts.LOCK_CAP == timedelta(minutes=15)
    refused = attempt(b, "a.teacher", TEST_PASSWORD)
    assert "Повторите через 15 мин." in refused.get_data(as_text=True)

    expire_lock(key)
    resp = attempt(b, "a.teacher", TEST_PASSWORD)
    assert resp.status_code == 302 and is_logged_in(b)
    assert throttle(key).failures == 0 and throttle(key).locked_until is None


def test_an_accounts_failures_count_for_a_day(world, browser):
    b = browser()
    key = pair_key("a.teacher")

    def failures_so_far(count, ago):
        db.session.merge(LoginThrottle(key=key, failures=count, last_failure_at=utcnow() - ago,
                                       locked_until=None))
        db.session.commit()

    # a slow guesser, one try every few hours, is still counted …
    failures_so_far(accounts.PAIR_FREE_FAILURES - 1, timedelta(hours=5))
    attempt(b, "a.teacher", "wrong-password")
    assert throttle(key).failures == accounts.PAIR_FREE_FAILURES
    assert throttle(key).locked_until is not None
    # … but after a quiet day the count starts again
    failures_so_far(accounts.PAIR_FREE_FAILURES - 1, timedelta(hours=25))
    attempt(b, "a.teacher", "wrong-password")
    assert throttle(key).failures == 1 and throttle(key).locked_until is None
    assert attempt(b, "a.teacher", TEST_PASSWORD).status_code == 302


def test_the_address_counter_is_independent_and_more_lenient(world, browser):
    school = "10.1.1.1"
    b = browser()
    # five pupils mistype once each behind the school's one address: nobody is locked
    for i in range(accounts.PAIR_FREE_FAILURES):
        attempt(b, f"pupil{i}", "wrong-password", address=school)
    assert throttle(f"addr:{school}").failures == accounts.PAIR_FREE_FAILURES
    assert throttle(f"addr:{school}").locked_until is None
    assert attempt(browser(), "a.teacher", TEST_PASSWORD, address=school).status_code == 302

    # a password sprayer at one address trying many logins is stopped by the address counter
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == f"addr:{school}")
                       .values(failures=accounts.ADDRESS_FREE_FAILURES - 2))
    db.session.commit()
    attempt(b, "spray0", "wrong-password", address=school)
    assert throttle(f"addr:{school}").locked_until is None
    attempt(b, "spray1", "wrong-password", address=school)
    assert throttle("login:spray1").failures == 1 and throttle("login:spray1").locked_until is None
    assert throttle(f"addr:{school}").locked_until is not None
    refused = attempt(browser(), "a.hr", TEST_PASSWORD, address=school)
    assert refused.status_code == 401 and "Повторите через" in refused.get_data(as_text=True)
    # … while the same account from another address is not affected
    assert attempt(browser(), "a.hr", TEST_PASSWORD, address="10.2.2.2").status_code == 302


def test_a_schools_typos_spread_over_time_never_lock_its_address(world, browser):
    school = "10.1.1.1"
    key = f"addr:{school}"
    # a busy morning: 49 typos behind the school's one address, the last half an hour ago
    db.session.add(LoginThrottle(key=key, failures=accounts.ADDRESS_FREE_FAILURES - 1,
                                 last_failure_at=utcnow() - timedelta(minutes=30)))
    db.session.commit()
    b = browser()
    attempt(b, "pupil0", "wrong-password", address=school)
    assert throttle(key).failures == accounts.ADDRESS_FREE_FAILURES - 1 - 30 + 1
    assert throttle(key).locked_until is None

    # then, for as long as you like, a typo a minute on average (after 30 s, after 90 s, …)
    row = throttle(key)
    row.failures = accounts.ADDRESS_FREE_FAILURES - 4
    db.session.commit()
    for i, gap in enumerate([30, 90] * 4):
        row = throttle(key)
        row.last_failure_at -= timedelta(seconds=gap)
        db.session.commit()
        attempt(b, f"pupil{i + 1}", "wrong-password", address=school)
        assert throttle(key).locked_until is None, i
    assert throttle(key).failures <= accounts.ADDRESS_FREE_FAILURES - 3
    assert attempt(browser(), "a.teacher", TEST_PASSWORD, address=school).status_code == 302


def test_the_throttle_holds_across_app_instances(world, browser, app):
    for _ in range(accounts.PAIR_FREE_FAILURES):
        attempt(browser(), "a.teacher", "wrong-password")
    second = create_app({key: app.config[key] for key in (
        "SQLALCHEMY_DATABASE_URI", "TESTING", "SECRET_KEY", "PASSWORD_HASH_PARAMS")})
    try:
        resp = attempt(Browser(second), "a.teacher", TEST_PASSWORD)
        assert resp.status_code == 401
        assert "Повторите через" in resp.get_data(as_text=True)
    finally:
        with second.app_context():
            db.engine.dispose()


# -- a stranger cannot keep the owner out ------------------------------------------------------------

def test_a_stranger_failing_50_times_from_one_address_does_not_lock_the_owner_out(world, browser):
    stranger = browser()
    for _ in range(50):
        clock.advance(minutes=16)  # every lock has run out: each of the 50 guesses is checked and counted
        resp = attempt(stranger, "a.teacher", "wrong-password", address="203.0.113.5")
        assert "Неверный логин или пароль." in resp.get_data(as_text=True)
    assert throttle("login:a.teacher").failures == 50  # far past the account's ceiling …
    assert throttle(pair_key("a.teacher", "203.0.113.5")).locked_until is not None

    owner = browser()
    resp = attempt(owner, "a.teacher", TEST_PASSWORD, address="10.0.0.7")
    assert resp.status_code == 302 and is_logged_in(owner)  # … yet the owner, elsewhere, gets in
    # the stranger's address stays slowed, even should it now guess right
    refused = attempt(browser(), "a.teacher", TEST_PASSWORD, address="203.0.113.5")
    assert refused.status_code == 401 and "Повторите через 15 мин." in refused.get_data(as_text=True)


def test_many_addresses_against_one_account_are_slowed_progressively(world, browser):
    b = browser()
    key = "login:a.teacher"
    for i in range(accounts.ACCOUNT_FREE_FAILURES):  # a botnet: one guess from each address
        attempt(b, "a.teacher", "wrong-password", address=f"198.51.100.{i}")
    assert lock_length(key) == timedelta(seconds=30)

    # an address that has guessed waits, even with the right password …
    refused = attempt(b, "a.teacher", TEST_PASSWORD, address="198.51.100.0")
    assert refused.status_code == 401 and "Повторите через 30 с." in refused.get_data(as_text=True)
    # … each new address's wrong guess is checked, counted, and doubles the wait, up to the cap
    for i, seconds in enumerate([60, 120, 240, 480, 900, 900]):
        resp = attempt(b, "a.teacher", "wrong-password", address=f"192.0.2.{i}")
        assert "Неверный логин или пароль." in resp.get_data(as_text=True)
        assert lock_length(key) == timedelta(seconds=seconds)
    assert "Повторите через 15 мин." in attempt(b, "a.teacher", TEST_PASSWORD,
                                                  address="192.0.2.0").get_data(as_text=True)

    # the owner at an address that has not failed gets in with his right password …
    assert attempt(browser(), "a.teacher", TEST_PASSWORD, address="10.0.0.7").status_code == 302
    # … which forgives that address only: the guessers still wait
    assert attempt(b, "a.teacher", TEST_PASSWORD, address="198.51.100.1").status_code == 401
    events = db.session.scalars(select(LoginEvent.reason).where(LoginEvent.success.is_(False))).all()
    assert events.count("throttled") == 3


def test_an_ipv6_network_counts_as_one_address(world, browser):
    b = browser()
    for i in range(accounts.PAIR_FREE_FAILURES):  # a new address of one /64 for every guess
        attempt(b, "a.teacher", "wrong-password", address=f"2001:db8:1:2::{i + 1:x}")
    refused = attempt(b, "a.teacher", TEST_PASSWORD, address="2001:db8:1:2:ffff::9")
    assert refused.status_code == 401 and "Повторите через" in refused.get_data(as_text=True)
    assert attempt(browser(), "a.teacher", TEST_PASSWORD, address="2001:db8:1:3::1").status_code == 302
    # an IPv4 client of a dual-stack socket is its IPv4 address, not one /64 shared by all of them
    assert accounts.address_key("::ffff:10.0.0.1") == "10.0.0.1"


# -- absolute session lifetime ------------------------------------------------------------------

def test_a_session_ends_12_hours_after_the_login_however_busy(world, browser, app):
    assert app.config["SESSION_ABSOLUTE_LIFETIME"] == 12 * 3600
    b = browser()
    b.login("a.teacher")
    for _ in range(11):  # a request every hour: the idle timeout never comes …
        clock.advance(hours=1)
        assert b.get("/").status_code == 200
    clock.advance(minutes=59)
    assert b.get("/").status_code == 200  # 11 h 59 min after the login
    clock.advance(minutes=2)

    resp = b.get("/diary/?week=2026-11-16")  # … the absolute lifetime does
    assert resp.status_code == 302 and resp.location == "/login?next=/diary/?week%3D2026-11-16"
    page = b.get(resp.location).get_data(as_text=True)
    assert "Сеанс завершён: с момента входа прошло больше 12 ч. Войдите снова." in page
    assert not is_logged_in(b)
    b.login("a.teacher")  # a new login starts a new 12 hours
    assert is_logged_in(b)


def test_a_post_of_an_outlived_session_changes_nothing(world, browser, app, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_LIFETIME", 30 * 60)
    b = browser()
    b.login("a.admin")
    b.get("/")
    clock.advance(minutes=31)
    resp = b.post("/accounts/action/", {"action": "block", "rowid": str(world.a.teacher.user_id)})
    assert resp.status_code == 302 and resp.location == "/login"
    assert "прошло больше 30 мин" in b.get("/login").get_data(as_text=True)
    assert not user("a.teacher").is_blocked


# -- forced password change ---------------------------------------------------------------------

def test_an_issued_account_must_change_its_password_first(world, browser):
    teacher = user("a.teacher")
    teacher.must_change_password = True
    db.session.commit()
    other_device = browser()
    other_device.login("a.teacher")
    b = browser()
    resp = b.login("a.teacher")
    assert resp.status_code == 302

    for url in ("/", "/students/", "/audit/", "/no-such-page"):
        resp = b.get(url)
        assert resp.status_code == 302 and resp.location == "/change-password", url
    resp = b.post("/switch-organization", {"org_id": str(world.a.org.id)})
    assert resp.status_code == 302 and resp.location == "/change-password"
    page = b.get("/change-password").get_data(as_text=True)
    assert "первый вход" in page

    def change(old, new, confirm):
        return b.post("/change-password", {"old_password": old, "new_password": new,
                                           "confirm_password": confirm})

    hash_before = user("a.teacher").password_hash
    for (old, new, confirm), message in [
        ((TEST_PASSWORD, "short12", "short12"), "не менее 8 символов"),
        ((TEST_PASSWORD, "long-enough-1", "long-enough-2"), "не совпадают"),
        (("wrong-old-pass", "long-enough-1", "long-enough-1"), "Текущий пароль указан неверно"),
        ((TEST_PASSWORD, "a.teacher", "a.teacher"), "не должен совпадать с логином"),
        ((TEST_PASSWORD, TEST_PASSWORD, TEST_PASSWORD), "должен отличаться"),
    ]:
        resp = change(old, new, confirm)
        assert resp.status_code == 400
        assert message in resp.get_data(as_text=True)
        assert user("a.teacher").password_hash == hash_before
        assert user("a.teacher").must_change_password

    resp = change(TEST_PASSWORD, "my-own-pass-1", "my-own-pass-1")
    assert resp.status_code == 302 and resp.location == "/"
    assert not user("a.teacher").must_change_password
    assert b.get("/").status_code == 200  # this session goes on …
    assert not is_logged_in(other_device)  # … every other one ends
    assert attempt(browser(), "a.teacher", TEST_PASSWORD).status_code == 401
    assert attempt(browser(), "a.teacher", "my-own-pass-1").status_code == 302


# -- password hashing ---------------------------------------------------------------------------

def test_passwords_are_stored_as_argon2id_with_the_library_defaults(world, app, monkeypatch):
    stored = user("a.teacher").password_hash
    assert stored.startswith("$argon2id$")
    assert TEST_PASSWORD not in stored
    # tests hash cheaply (PASSWORD_HASH_PARAMS); production uses argon2-cffi's current defaults
    monkeypatch.delitem(app.config, "PASSWORD_HASH_PARAMS")
    stored = accounts.hash_password("long-enough-1")
    assert stored.startswith("$argon2id$")
    assert extract_parameters(stored) == get_default_parameters()
    assert get_default_parameters().memory_cost >= 64 * 1024  # RFC 9106 low-memory profile


def test_an_old_hash_is_upgraded_at_login(world, browser, app):
    teacher = user("a.teacher")
    teacher.password_hash = PasswordHasher(time_cost=2, memory_cost=32, parallelism=1).hash(TEST_PASSWORD)
    db.session.commit()
    assert attempt(browser(), "a.teacher", TEST_PASSWORD).status_code == 302
    current = PasswordHasher(**app.config["PASSWORD_HASH_PARAMS"])
    assert not current.check_needs_rehash(user("a.teacher").password_hash)
    assert attempt(browser(), "a.teacher", TEST_PASSWORD).status_code == 302
