"""The README's commands run as printed (issue 15.11).

Every `.venv/bin/flask …` line of the README's code blocks is run, in README order, through the application's
own CLI (in-process, so the clock is the test's: 20.11.2026, 15:30 UTC, the moment the README's examples
name), each section on a fresh database of its own: the demo-data and first-start sections on an empty file,
the backup and report sections on one with the demo school (as `make run` leaves it). Paths under
`/var/backups` are moved into the test's folder, `LOGIN` is the demo deputy director's login; nothing else
is changed. The other programs of the README (make, createdb, gunicorn, gpg …) are listed here with where
they are checked, so that a new command in the README is either run here or named here.
"""
import re
import shlex
from datetime import datetime, timezone
from pathlib import Path

import pytest

from app import create_app
from models import db
from services import clock
from services.demo.school import create_demo
from tests.conftest import Browser

README = Path(__file__).resolve().parent.parent / "README.md"
FLASK = ".venv/bin/flask --app app "
# What the README runs that is not `flask`: where it is checked instead.
OTHER_PROGRAMS = {
    "make": "the Makefile's targets are what CI runs (.ci/run: make lint, make test)",
    "createdb": "PostgreSQL's own client; CI creates its database the same way",
    "export": "a shell's variable",
    "gunicorn": "`make run` serves with it (tests/test_bench.py starts it under load)",
    "gpg": "GnuPG, outside the program",
    "DATABASE_URL": "a cron file's variable line",
    "rq": "RQ's own worker: tests/test_two_servers.py runs `rq worker -w services.jobs.worker.AppWorker` on Redis",
}
# `flask` commands of the README that need a server this test has not got: where they are run instead.
FLASK_ELSEWHERE = {
    "worker": "the RQ worker needs Redis (REDIS_URL): tests/test_jobs.py and tests/test_two_servers.py run "
              "`flask worker --burst` against the machine's Redis",
}
PASSWORD = "Readme-pass-2026"


def readme_sections():
    """[(section heading, [command line, …])] of the README's code blocks, continuation lines joined and
    trailing comments dropped; a ```text block is a command's output."""
    sections, heading, in_block, pending = [], None, False, ""
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_block = not in_block and ("shell" if line == "```" else line[3:])
            continue
        if in_block == "text":  # what a command prints, not a command
            continue
        if not in_block:
            if line.startswith("## ") or line.startswith("### "):
                heading = line.lstrip("# ").strip()
                sections.append((heading, []))
            continue
        line = pending + line.strip()
        if line.endswith("\\"):
            pending = line[:-1].rstrip() + " "
            continue
        pending = ""
        command = re.split(r"\s{2,}#", line)[0].strip()
        if command and not command.startswith("#"):
            sections[-1][1].append(command)
    return [(heading, commands) for heading, commands in sections if commands]


def flask_args(command):
    """The arguments of the `flask` in a command line (after an environment prefix or a cron schedule)."""
    start = command.index(FLASK)
    return shlex.split(command[start + len(FLASK):])


def test_every_command_of_the_readme_is_run_here_or_named():
    seen = set()
    for heading, commands in readme_sections():
        for command in commands:
            if FLASK in command:
                seen.add(flask_args(command)[0])
                continue
            bare = re.sub(r"^(\w+=\S+\s+)+", "", command).removeprefix(".venv/bin/")  # env prefix, the venv
            program = re.split(r"[\s=]", bare, maxsplit=1)[0]
            assert program in OTHER_PROGRAMS, f"«{command}» ({heading}): run it in this test or name it"
    assert {"db", "create-admin", "demo-data", "backup", "restore", "report"} <= seen


@pytest.fixture
def installation(app, tmp_path, monkeypatch):
    """A fresh application on a database file of its own, made by `make_app(demo=…)`; the working folder
    is the test's (reports written with --out land there)."""
    monkeypatch.chdir(tmp_path)
    made = []

    def make_app(name, demo=False):
        fresh = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / name}.db", "TESTING": True,
                            "SECRET_KEY": "test-secret", "PASSWORD_HASH_PARAMS": app.config["PASSWORD_HASH_PARAMS"]})
        made.append(fresh)
        deputy = None
        if demo:
            with fresh.app_context():
                assert fresh.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
                accounts = create_demo(password=PASSWORD)
                db.session.commit()  # as the `demo-data` command's unit of work does
                deputy = next(account.login for account in accounts if account.role == "Заместитель директора")
                parent = next(account.login for account in accounts if account.role == "Родитель")
                db.session.remove()
        return fresh, (deputy, parent) if demo else (None, None)

    yield make_app
    for fresh in made:
        with fresh.app_context():
            db.session.remove()
            db.engine.dispose()


SECTIONS_ON_THE_DEMO_SCHOOL = ("Резервное копирование", "Отчёты из командной строки", "Уведомления по почте",
                               "Импорт из командной строки", "API для приложений")


def test_the_readme_s_flask_commands_run_as_printed(installation, tmp_path):
    moment = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)
    (tmp_path / "backups").mkdir()  # as /var/backups is on a Debian server
    ran = []
    with clock.frozen(moment):
        for number, (heading, commands) in enumerate(readme_sections()):
            commands = [command for command in commands
                        if FLASK in command and flask_args(command)[0] not in FLASK_ELSEWHERE]
            if not commands:
                continue
            fresh, (deputy, parent) = installation(f"section{number}", demo=heading in SECTIONS_ON_THE_DEMO_SCHOOL)
            # LOGIN: the deputy (a report as his), a parent where the command is the family's (an app password)
            for command in commands:
                args = [arg.replace("/var/backups", str(tmp_path / "backups")) for arg in flask_args(command)]
                args = [(parent if args[0] == "api-password" else deputy) if arg == "LOGIN" else arg for arg in args]
                # create-admin asks for the password twice; restore asks to confirm
                answer = f"{PASSWORD}\n{PASSWORD}\n" if args[0] == "create-admin" else "y\n"
                with fresh.app_context():
                    result = fresh.test_cli_runner().invoke(args=args, input=answer)
                    db.session.remove()
                assert result.exit_code == 0, f"«{command}» ({heading}):\n{result.output}"
                assert "Traceback" not in result.output
                ran.append(args[0])
    assert ran.count("backup") >= 3 and "restore" in ran and "demo-data" in ran and "report" in ran
    assert (tmp_path / "backups" / "journal" / "journal-2026-11-20-1530.sqlite3").exists()
    assert (tmp_path / "itogi-5A.xlsx").stat().st_size > 0
    assert (tmp_path / "ved.json").stat().st_size > 0
    assert "api-password" in ran and "import" in ran and "export" in ran
    assert (tmp_path / "kontingent.json").stat().st_size > 0


def test_a_command_on_a_database_without_tables_says_what_to_do(installation):
    fresh, _ = installation("empty")
    with fresh.app_context():
        result = fresh.test_cli_runner().invoke(args=["create-admin", "root", "--password", PASSWORD])
        db.session.remove()
    assert result.exit_code == 1
    assert "База данных не подготовлена" in result.output and "db upgrade" in result.output
    assert "Traceback" not in result.output and "no such table" not in result.output


def test_a_page_on_a_database_without_tables_says_what_to_do(installation):
    fresh, _ = installation("empty-web")
    page = Browser(fresh).login("root", PASSWORD)  # the login form reads the accounts
    assert page.status_code == 503
    assert "База данных не подготовлена" in page.get_data(as_text=True)
