"""The two open NetSchool clients, unchanged, against this server (issue 19): netschoolapi 11.0.5 and netschoolpy
9.6.3, each installed once into its own virtualenv under `.clients/` (they pin conflicting dependencies; the
folder is git-ignored and reused by later runs), log in with an app password to the app served on a free local
port and read the week's diary, overdue work, announcements and the school card, compared here with the
product's own diary for that student.

The virtualenvs are made under a file lock (CI runs two pytest processes at once); without PyPI the tests skip
with the reason. `real_commits`: the server answers in threads of its own, so the world is committed."""
import fcntl
import json
import subprocess
import sys
import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from models import Announcement, Parent, ParentRelation, db
from services import clock
from services.api import passwords as app_passwords
from services.journal import diary
from tests.factories import jr_assignment, jr_lessons, jr_mark, jr_subject, jr_task, tt_bells
from tests.helpers import real_clock_environ

pytestmark = pytest.mark.real_commits

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = ROOT / ".clients"
SCRIPTS = Path(__file__).parent / "data" / "netschool_clients"
PINNED = {"netschoolapi": "11.0.5", "netschoolpy": "9.6.3"}
MONDAY = date(2026, 11, 16)  # the week of the frozen today (20.11.2026)
RUN_TIMEOUT = 60


def _make_venv(name, version):
    """`.clients/<name>-<version>/` with the client installed, made once (a `.ready` file marks it done); the
    reason it cannot be made, or None."""
    folder = CLIENTS / f"{name}-{version}"
    python = folder / "bin" / "python"
    if (folder / ".ready").exists():
        return python, None
    CLIENTS.mkdir(exist_ok=True)
    with open(CLIENTS / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other pytest process waits, then finds it ready
        try:
            if (folder / ".ready").exists():
                return python, None
            env = _env()
            try:
                subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True,
                               capture_output=True, timeout=120, env=env)
                pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--timeout", "20",
                       "--retries", "1", "-q", f"{name}=={version}"]
                installed = subprocess.run(pip, capture_output=True, text=True, timeout=600, env=env)
            except (subprocess.SubprocessError, OSError) as exc:
                return python, f"the virtualenv of {name} could not be made: {exc}"
            if installed.returncode != 0:
                return python, f"{name}=={version} could not be installed (PyPI unreachable?): " \
                               f"{installed.stderr.strip()[-300:]}"
            (folder / ".ready").write_text(version)
            return python, None
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def client_pythons():
    """{client: its virtualenv's python}, made once per session (and kept between sessions)."""
    found = {}
    for name, version in PINNED.items():
        python, reason = _make_venv(name, version)
        if reason:
            pytest.skip(reason)
        found[name] = python
    return found


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@pytest.fixture(scope="module")
def server(app):
    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, name="webapi-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


_env = real_clock_environ  # the clients keep the machine's real clock (CI's far-date run)


def run(client_pythons, client, url, login, password, school):
    env = _env()
    done = subprocess.run([str(client_pythons[client]), str(SCRIPTS / f"run_{client}.py"), url, login, password,
                           school, MONDAY.isoformat()], capture_output=True, text=True, timeout=RUN_TIMEOUT,
                          env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def family_week(world):
    """5А's week with every kind of mark (5 of weight 1.5, 4, «зач», a debt «.»), homework, an announcement;
    the parent also has a child in school B (a card of his account there) with a lesson and a mark."""
    a, b = world.a, world.b
    tt_bells(a.org)
    math = jr_subject(a.org, "Математика")
    (mon, fri) = jr_lessons(jr_assignment(a.org, a.year, a.klass, a.teacher, math), a.period,
                            [MONDAY, MONDAY + timedelta(days=4)])
    mon.topic, mon.homework, mon.homework_due_lesson_id = "Дроби", "№ 5 и 6", fri.id
    jr_mark(jr_task(mon, "Контрольная работа", weight=Decimal("1.5"), topic="Сложение дробей"), a.student, "5")
    jr_mark(jr_task(mon, "Ответ на уроке"), a.student, "зач")
    jr_task(mon, "Ответ на уроке", mandatory=True, topic="Самостоятельная")
    (wed,) = jr_lessons(jr_assignment(a.org, a.year, a.klass, a.teacher, jr_subject(a.org, "Русский язык")),
                        a.period, [MONDAY + timedelta(days=2)], number=3)
    jr_mark(jr_task(wed, "Ответ на уроке"), a.student, "4")
    db.session.add(Announcement(org_id=a.org.id, audience="all", title="Родительское собрание", body="В четверг",
                                publish_date=MONDAY, end_date=MONDAY + timedelta(days=30)))
    (lesson_b,) = jr_lessons(jr_assignment(b.org, b.year, b.klass, b.teacher, jr_subject(b.org, "История")),
                             b.period, [MONDAY + timedelta(days=1)])
    jr_mark(jr_task(lesson_b, "Ответ на уроке"), b.student, "3")
    card = Parent(org_id=b.org.id, last_name="Ученикова", first_name="Мария", middle_name="Ивановна",
                  relation=ParentRelation.MOTHER.value, user_id=a.parent.user_id)
    card.children = [b.student]
    db.session.add(card)
    _, password = app_passwords.create_for_login("a.parent", "бот в Telegram")
    db.session.commit()
    return password


def product_week(student, class_id):
    child = diary.DiaryChild(student.id, "", class_id, "")
    return [lesson for d in diary.diary_week(child, MONDAY) for lesson in d.lessons]


def test_both_clients_read_the_family_diary(world, server, client_pythons):
    a, b = world.a, world.b
    password = family_week(world)
    product = product_week(a.student, a.klass.id)
    expected_lessons = [(x.subject, x.date.isoformat(), x.number) for x in product]
    expected_marks = sorted((x.subject, m.value, m.weight) for x in product for m in x.marks)
    assert expected_marks == [("Математика", "5", Decimal("1.5")), ("Математика", "зач", Decimal("1")),
                              ("Русский язык", "4", Decimal("1"))]

    old = run(client_pythons, "netschoolapi", server, "a.parent", password, a.org.short_name)
    lessons = [x for d in old["diary"]["schedule"] for x in d["lessons"]]
    assert [(x["subject"], x["day"], x["number"]) for x in lessons] == expected_lessons
    marks = sorted((x["subject"], a_["mark"], a_["type"]) for x in lessons for a_ in x["assignments"]
                   if a_["mark"] is not None)
    assert marks == [("Математика", 5, "Контрольная работа"), ("Русский язык", 4, "Ответ на уроке")]
    assert [a_["is_duty"] for x in lessons for a_ in x["assignments"]].count(True) == 1
    assert [(x["content"], x["is_duty"], x["deadline"]) for x in old["overdue"]] == \
        [("Самостоятельная", True, "2026-11-16")]
    assert [x["name"] for x in old["announcements"]] == ["Родительское собрание"]
    assert old["school"]["name"] == a.org.full_name and old["attachments"] == []

    new = run(client_pythons, "netschoolpy", server, "a.parent", password, a.org.short_name)
    assert [s["id"] for s in new["students"]] == [a.student.id]
    lessons = [x for d in new["diary"]["schedule"] for x in d["lessons"]]
    assert [(x["subject"], x["day"], x["number"]) for x in lessons] == expected_lessons
    marks = sorted((x["subject"], a_["mark_text"] or "", a_["weight"], a_["is_duty"]) for x in lessons
                   for a_ in x["assignments"] if a_["mark_text"] or a_["is_duty"])
    assert marks == [("Математика", "", 1, True), ("Математика", "5", 2, False), ("Математика", "зач", 1, False),
                     ("Русский язык", "4", 1, False)]
    assert [x["content"] for x in new["overdue"]] == ["Самостоятельная"]
    assert [x["name"] for x in new["announcements"]] == ["Родительское собрание"]
    assert new["school"]["name"] == a.org.full_name and new["card"]["teachers"][0]["name"].startswith("Учителев")

    other = run(client_pythons, "netschoolpy", server, "a.parent", password, b.org.short_name)  # his second school
    assert [s["id"] for s in other["students"]] == [b.student.id]
    assert [(x["subject"], [a_["mark_text"] for a_ in x["assignments"]]) for d in other["diary"]["schedule"]
            for x in d["lessons"]] == [("История", ["3"])]
    assert other["school"]["name"] == b.org.full_name


def test_a_revoked_app_password_stops_both_clients(world, server, client_pythons):
    password = family_week(world)
    row = app_passwords.listed(world.a.parent.user)[0]
    app_passwords.revoke(world.a.parent.user, row.id)
    db.session.commit()
    for client in PINNED:
        done = subprocess.run([str(client_pythons[client]), str(SCRIPTS / f"run_{client}.py"), server, "a.parent",
                               password, world.a.org.short_name, MONDAY.isoformat()], capture_output=True,
                              text=True, timeout=RUN_TIMEOUT, env=_env())
        # netschoolapi's response hook raises before the body is read: its AuthError carries no message
        said = "AuthError" if client == "netschoolapi" else "Неверный логин или пароль приложения"
        assert done.returncode != 0 and said in done.stderr, done.stderr[-2000:]


def test_both_clients_log_in_again_when_their_token_expires(world, server, client_pythons):
    """An idle token answers 401; each client logs in again by itself and its next read succeeds (netschoolapi
    repeats the refused request with its old `at`: the login from the same app revives that token)."""
    password = family_week(world)
    for client in PINNED:
        process = subprocess.Popen([str(client_pythons[client]), str(SCRIPTS / "relogin.py"), client, server,
                                    "a.parent", password, world.a.org.short_name, MONDAY.isoformat()],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=_env())
        try:
            assert process.stdout.readline().strip() == "READY", process.stderr.read()[-3000:]
            clock.advance(minutes=31)  # idle past API_TOKEN_IDLE (30 min)
            out, err = process.communicate("go\n", timeout=RUN_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == 0, err[-3000:]
        assert json.loads(out.strip().splitlines()[-1]) == {"before": 3, "after": 3, "relogged": True}, client
