"""Rules checked on every flush, so no path into the data can skip them: one dispatcher, named phases.

A rule is a function with a name (`domain.what`) and a phase; the phases run in this order on every
flush: normalise → validate → guard → versions before its SQL (on `before_flush`), then audit →
verify once its rows are written (on `after_flush`; they need the new rows' ids and the written
values). Within a phase the rules run in the order they were installed; a phase's rules for the
whole flush (`fn(session)`) run before its row rules (`fn(obj)` for each new or changed row of
their model — or of every model when it names none).

Nothing registers itself on import: a rule is declared with `@rule(...)` / `@validator(...)` (which
only names it), each module that holds rules lists them in `RULES`, and `create_app()` installs
them, in order, with `install()` — the web app, the CLI and the tests all create the app.

A validator raises DomainError with Russian messages; a row that points at another organization's
row is refused whatever its model. Work that is trusted to keep a rule itself (the movement book's
writes, a journal service that checked its periods under their locks) runs inside
`with trusted("why", "rule.name", …):`, which skips exactly the named rules, for that session's
flushes and only inside the block.
"""
import functools
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import event, inspect
from sqlalchemy.orm import MANYTOONE, Session

from sqlalchemy import String

from models import db
from services.errors import DomainError
from services.params import bad_text

BEFORE_FLUSH = ("normalise", "validate", "guard", "versions")
AFTER_FLUSH = ("audit", "verify")
PHASES = BEFORE_FLUSH + AFTER_FLUSH


@dataclass(frozen=True)
class Rule:
    name: str
    phase: str
    fn: Callable
    model: type | None = None  # a row rule for this model; None and phase "validate": for every row
    row: bool = False          # fn(obj) for each new or changed row (else fn(session) once per flush)


_rules = {}                                  # name → Rule, in the order installed
_flush_rules = {phase: [] for phase in PHASES}
_row_rules = {phase: [] for phase in PHASES}  # rules for every row's model
_model_rules = {phase: {} for phase in PHASES}
_TRUSTED = "rules.trusted"                   # session.info: Counter of the rule names skipped now


def rule(name, phase, model=None, row=None):
    """Name `fn` as a rule of `phase` (it is installed by `install()`, not by this decorator)."""
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}")

    def declare(fn):
        fn.__rule__ = Rule(name, phase, fn, model, row if row is not None else model is not None)
        return fn
    return declare


def validator(model, name):
    """A row rule of the validate phase: `fn(obj)` for each new or changed row of `model`."""
    return rule(name, "validate", model, row=True)


def install(*groups):
    """Register the rules of each group (a module's `RULES`), in order; idempotent for the same rules.

    A name is registered once: another function under a registered name is an error."""
    for group in groups:
        for item in group:
            r = item if isinstance(item, Rule) else item.__rule__
            known = _rules.get(r.name)
            if known is not None:
                if known != r:
                    raise ValueError(f"rule {r.name!r} is registered twice")
                continue
            _rules[r.name] = r
            if not r.row:
                _flush_rules[r.phase].append(r)
            elif r.model is None:
                _row_rules[r.phase].append(r)
            else:
                _model_rules[r.phase].setdefault(r.model, []).append(r)
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


def registered():
    """The installed rules, in the order they were installed."""
    return list(_rules.values())


def validators():
    """{model: [fn, …]}: the installed validators of each model (the validate phase's row rules)."""
    return {model: [r.fn for r in found] for model, found in _model_rules["validate"].items()}


@contextmanager
def trusted(reason, *names):
    """Inside, the flushes of the current session skip exactly the named rules: the work inside
    keeps them itself (`reason` says how). An unknown name is an error, not a silent no-op."""
    if not reason or not names:
        raise ValueError("trusted() needs a reason and the names of the rules it skips")
    unknown = [n for n in names if n not in _rules]
    if unknown:
        raise ValueError(f"unknown rules: {', '.join(unknown)}")
    info = db.session.info
    skipped = info.setdefault(_TRUSTED, Counter())
    skipped.update(names)
    try:
        yield
    finally:
        skipped.subtract(names)
        if not +skipped:
            info.pop(_TRUSTED, None)


def is_trusted(session, name):
    """True inside a `trusted()` block that skips `name` (for a check made outside a flush)."""
    return session is not None and session.info.get(_TRUSTED, {}).get(name, 0) > 0


def _skipped(session):
    return {name for name, count in session.info.get(_TRUSTED, {}).items() if count > 0}


def _run_phase(phase, session, args, skipped):
    for r in _flush_rules[phase]:
        if r.name not in skipped:
            r.fn(session, *args)
    rows, models = _row_rules[phase], _model_rules[phase]
    if not rows and not models:
        return
    with session.no_autoflush:
        for obj in list(session.new) + [o for o in session.dirty if session.is_modified(o)]:
            for r in rows:
                if r.name not in skipped:
                    r.fn(session, obj)
            for r in models.get(type(obj), ()):
                if r.name not in skipped:
                    r.fn(obj)


def _before_flush(session, flush_context, instances):
    skipped = _skipped(session)
    for phase in BEFORE_FLUSH:
        _run_phase(phase, session, (flush_context, instances), skipped)


def _after_flush(session, flush_context):
    skipped = _skipped(session)
    for phase in AFTER_FLUSH:
        _run_phase(phase, session, (flush_context,), skipped)


@functools.cache
def _class_of_table(table):
    for mapper in db.Model.registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    return None


def _org_of(session, table, pk):
    model = _class_of_table(table)
    target = session.get(model, pk) if model is not None else None
    return getattr(target, "org_id", None) if target is not None else None


def _sync_foreign_keys(obj):
    """A form sets `student.klass`, not `student.class_id`; the flush would copy it later.

    Copy it now, so that the rules below see the values about to be written.
    """
    state = inspect(obj)
    for rel in state.mapper.relationships:
        if rel.direction is not MANYTOONE or rel.secondary is not None or rel.viewonly:
            continue
        if not state.attrs[rel.key].history.has_changes():
            continue
        target = getattr(obj, rel.key)
        target_org = getattr(target, "org_id", None)
        if target_org is not None and getattr(obj, "org_id", None) not in (None, target_org):
            raise DomainError("Связанная запись принадлежит другой организации.")
        for local, remote in rel.local_remote_pairs:
            prop = state.mapper.get_property_by_column(local)
            if target is None:
                setattr(obj, prop.key, None)
            else:
                value = getattr(target, inspect(target).mapper.get_property_by_column(remote).key)
                if value is not None:
                    setattr(obj, prop.key, value)


def _check_same_organization(session, obj):
    org_id = getattr(obj, "org_id", None)
    if org_id is None:
        return
    state = inspect(obj)
    for column in state.mapper.local_table.columns:
        for fk in column.foreign_keys:
            target_table = fk.column.table
            if "org_id" not in target_table.c or column.name == "org_id":
                continue
            prop = state.mapper.get_property_by_column(column)
            value = getattr(obj, prop.key)
            if value is None:
                continue
            if not state.attrs[prop.key].history.has_changes() and not state.pending:
                continue
            if _org_of(session, target_table, value) != org_id:
                raise DomainError("Связанная запись принадлежит другой организации или не существует.")


# How a text column is named in a message when its model does not say (`info={"label": …}`).
TEXT_LABELS = {
    "name": "Название", "short_name": "Краткое название", "full_name": "Полное название", "title": "Заголовок",
    "last_name": "Фамилия", "first_name": "Имя", "middle_name": "Отчество", "topic": "Тема",
    "homework": "Домашнее задание", "comment": "Комментарий", "note": "Примечание", "reason": "Причина",
    "reason_note": "Документ", "address": "Адрес", "phone": "Телефон", "email": "Эл. почта", "code": "Код",
    "number": "Номер", "login": "Логин", "display_name": "Имя пользователя", "workplace": "Место работы",
    "qualification": "Квалификация", "destination": "Куда выбыл", "profile": "Профиль",
    "personal_file_number": "№ личного дела", "passport_issued_by": "Паспорт: кем выдан",
    "family_composition": "Состав семьи", "social_status": "Социальный статус", "site_url": "Сайт",
    "director_name": "Директор", "licence_issued_by": "Лицензия: кем выдана",
}


def _check_texts(obj):
    """No text is cut or mangled on its way in: a value longer than its column, or holding a NUL
    byte or half of a surrogate pair (PostgreSQL refuses both, SQLite would keep them), is refused
    with the field's name and limit, whatever the path (form, JSON, import, CLI)."""
    state = inspect(obj)
    errors = []
    for column in state.mapper.local_table.columns:
        if not isinstance(column.type, String) or column.key not in state.mapper.columns:
            continue
        prop = state.mapper.get_property_by_column(column)
        if not state.pending and not state.attrs[prop.key].history.has_changes():
            continue
        value = getattr(obj, prop.key)
        if not isinstance(value, str):
            continue
        label = column.info.get("label") or TEXT_LABELS.get(column.name) or \
            getattr(type(obj), "__labels__", {}).get(prop.key, column.name)
        if column.type.length and len(value) > column.type.length:
            errors.append(f"«{label}» — не длиннее {column.type.length} символов (введено {len(value)})")
        elif (reason := bad_text(value)) is not None:
            errors.append(f"«{label}»: {reason}")
    if errors:
        raise DomainError("Текст не сохранён", errors)


# -- the rules of every row, whatever its model (the validate phase, before the model's own) ---------

@rule("rows.foreign_keys", "validate", row=True)
def _foreign_keys(session, obj):
    _sync_foreign_keys(obj)


@rule("rows.same_organization", "validate", row=True)
def _same_organization(session, obj):
    _check_same_organization(session, obj)


@rule("rows.texts", "validate", row=True)
def _texts(session, obj):
    _check_texts(obj)


RULES = (_foreign_keys, _same_organization, _texts)
