"""Rules checked on every flush, so no path into the data can skip them.

A validator registered for a model runs for each new or changed row of it and raises
DomainError with Russian messages; a row that points at another organization's row
is refused whatever its model.
"""
import functools

from sqlalchemy import event, inspect
from sqlalchemy.orm import MANYTOONE, Session

from models import db
from services.errors import DomainError

_validators = {}


def load_all_rules():
    """Import every module of services/, so each @validator is registered whatever the entry
    point (the web app, a CLI command, an import script, a test)."""
    import importlib
    import pkgutil

    import services

    for module in pkgutil.iter_modules(services.__path__):
        importlib.import_module(f"services.{module.name}")


def validator(model):
    def register(fn):
        _validators.setdefault(model, []).append(fn)
        return fn
    return register


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


@event.listens_for(Session, "before_flush")
def _run_rules(session, flush_context, instances):
    with session.no_autoflush:
        for obj in list(session.new) + [o for o in session.dirty if session.is_modified(o)]:
            _sync_foreign_keys(obj)
            _check_same_organization(session, obj)
            for fn in _validators.get(type(obj), ()):
                fn(obj)
