"""The flush rules' dispatcher (services/rules.py): named rules installed explicitly by create_app(),
run in phases normalise → validate → guard → versions → audit → verify; nothing registers on import;
`trusted()` skips exactly the named rules, only inside its block."""
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

import app as application
from models import ClassMembership, Holiday, SchoolClass, db
from services import rules
from services.errors import DomainError
from services.movement.guards import CLASS_CHANGE
from tests.factories import jr_assignment, jr_lessons, jr_mark, jr_subject, jr_task
from tests.test_logins import flashes, open_browser

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def probes():
    """Probe rules installed for one test; the registry is restored after it."""
    saved = {"_rules": dict(rules._rules),
             "_flush_rules": {phase: list(found) for phase, found in rules._flush_rules.items()},
             "_row_rules": {phase: list(found) for phase, found in rules._row_rules.items()},
             "_model_rules": {phase: {model: list(found) for model, found in by_model.items()}
                              for phase, by_model in rules._model_rules.items()}}
    calls = []

    def probe(name, phase, model=None):
        def fn(*args):
            calls.append(name)
        return rules.rule(name, phase, model)(fn)
    yield calls, probe
    for name, value in saved.items():
        setattr(rules, name, value)


def test_the_phases_run_in_order_on_every_flush(world, probes):
    calls, probe = probes
    # Installed in the reverse order of the phases: the phase, not the order installed, decides.
    rules.install([probe(f"test.{phase}", phase) for phase in reversed(rules.PHASES)])
    rules.install([probe("test.row", "validate", Holiday)])
    org = world.a.org
    db.session.add(Holiday(org_id=org.id, year_id=world.a.year.id, name="Каникулы",
                           start_date=date(2026, 12, 29), end_date=date(2027, 1, 8)))
    db.session.flush()
    # A phase's rules for the whole flush run before its row rules.
    assert calls == ["test.normalise", "test.validate", "test.row", "test.guard", "test.versions", "test.audit",
                     "test.verify"]


def test_every_rule_is_registered_by_name_exactly_once(app):
    installed = rules.registered()
    declared = [fn.__rule__ for group in application.RULES for fn in group]
    assert [r.name for r in installed] == [r.name for r in declared]
    assert len({r.name for r in installed}) == len(installed)
    assert {r.phase for r in installed} <= set(rules.PHASES)
    application.install_rules()  # once more (the tests create the app more than once): nothing added
    assert rules.registered() == installed
    # One dispatcher on the session, not a listener per domain.
    assert event.contains(Session, "before_flush", rules._before_flush)
    assert event.contains(Session, "after_flush", rules._after_flush)


def test_a_name_taken_by_another_function_is_refused(app):
    @rules.validator(Holiday, "org.holiday")
    def impostor(holiday):
        pass
    with pytest.raises(ValueError, match="org.holiday"):
        rules.install([impostor])


def test_importing_a_service_module_registers_nothing():
    script = """
import importlib, pkgutil
import services
from sqlalchemy import event
from sqlalchemy.orm import Session
def walk(path, prefix):
    for module in pkgutil.iter_modules(path, prefix):
        imported = importlib.import_module(module.name)
        if module.ispkg:
            walk(imported.__path__, module.name + ".")
walk(services.__path__, "services.")
from services import audit, rules
from models import StaffRole
from sqlalchemy.orm import Mapper
assert rules.registered() == [], rules.registered()
assert not event.contains(Mapper, "mapper_configured", audit._load_old_values)
assert not event.contains(StaffRole, "after_insert", audit._role_granted)
for name in ("before_flush", "after_flush"):
    assert not list(getattr(Session.dispatch, name)._clslevel.get(Session, [])), name
print("clean")
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "clean" in done.stdout


def test_trusted_skips_exactly_the_named_rules_and_only_inside_the_block(world, probes):
    calls, probe = probes
    rules.install([probe("test.a", "guard"), probe("test.b", "guard")])
    org = world.a.org

    def touch():
        calls.clear()
        db.session.add(Holiday(org_id=org.id, year_id=world.a.year.id, name=f"Каникулы {len(calls)}",
                               start_date=date(2026, 12, 29), end_date=date(2027, 1, 8)))
        db.session.flush()
        return list(calls)

    assert touch() == ["test.a", "test.b"]
    with rules.trusted("a probe", "test.a"):
        assert touch() == ["test.b"]
        with rules.trusted("nested", "test.a", "test.b"):
            assert touch() == []
        assert touch() == ["test.b"]
    assert touch() == ["test.a", "test.b"]
    with pytest.raises(ValueError, match="test.nope"), rules.trusted("a typo", "test.nope"):
        pass
    with pytest.raises(ValueError), rules.trusted("no names"):
        pass


def test_the_book_is_trusted_with_the_class_history_and_nobody_else(world):
    student = world.a.student

    def membership():
        return ClassMembership(org_id=student.org_id, student_id=student.id, class_id=world.a.other_class.id,
                               start_date=date(2026, 8, 1), end_date=date(2026, 8, 31))
    db.session.add(membership())
    with pytest.raises(DomainError) as refused:
        db.session.flush()
    assert str(refused.value).startswith("История классов не изменена") and refused.value.errors == [CLASS_CHANGE]
    db.session.rollback()
    with rules.trusted("the test writes the history as the book would", "movement.class_history"):
        db.session.add(membership())
        db.session.flush()
    db.session.rollback()


def test_a_rule_is_kept_through_a_service_and_through_a_model_view(world, browser):
    # A service (the journal's flush rules on a mark written directly).
    org, year, period = world.a.org, world.a.year, world.a.period
    subject = jr_subject(org, "Математика")
    assignment = jr_assignment(org, year, world.a.klass, world.a.teacher, subject)
    lesson = jr_lessons(assignment, period, [date(2026, 11, 16)])[0]
    task = jr_task(lesson)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        jr_mark(task, world.a.student, "7")
    assert str(refused.value).startswith("Отметка не сохранена")
    assert refused.value.errors == ["«7» — недопустимая отметка"]
    db.session.rollback()

    # A model view's POST: the same validator, the same Russian message, nothing saved.
    admin = open_browser(browser, "a.admin")
    before = db.session.scalar(select(func.count()).select_from(SchoolClass))
    resp = admin.post("/classes/new/", data={"year": str(year.id), "grade": "12", "name": "5В"},
                      follow_redirects=True)
    assert "Класс (группа) не сохранён(а)" in flashes(resp) and "Параллель — число от 1 до 11" in flashes(resp)
    assert db.session.scalar(select(func.count()).select_from(SchoolClass)) == before
