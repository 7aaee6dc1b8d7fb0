"""Rules checked on every flush, so no path into the data can skip them.

A validator registered for a model runs for each new or changed row of it and raises
DomainError with Russian messages; a row that points at another organization's row
is refused whatever its model.
"""
import functools

from sqlalchemy import event, inspect
from sqlalchemy.orm import MANYTOONE, Session

from sqlalchemy import String

from models import db
from services.errors import DomainError
from services.params import bad_text

_validators = {}


def load_all_rules():
    """Import every module of services/ (its domain packages included, the demo data excepted), so
    each @validator is registered whatever the entry point (the web app, a CLI command, an import
    script, a test)."""
    import importlib
    import pkgutil

    import services

    def walk(path, prefix):
        # pkgutil.walk_packages would import services.demo itself to look inside it: walked by hand, the
        # demo package is skipped whole.
        for module in pkgutil.iter_modules(path, prefix):
            if module.name == "services.demo":
                continue
            imported = importlib.import_module(module.name)
            if module.ispkg:
                walk(imported.__path__, module.name + ".")

    walk(services.__path__, "services.")


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
        label = column.info.get("label") or TEXT_LABELS.get(column.name, column.name)
        if column.type.length and len(value) > column.type.length:
            errors.append(f"«{label}» — не длиннее {column.type.length} символов (введено {len(value)})")
        elif (reason := bad_text(value)) is not None:
            errors.append(f"«{label}»: {reason}")
    if errors:
        raise DomainError("Текст не сохранён", errors)


@event.listens_for(Session, "before_flush")
def _run_rules(session, flush_context, instances):
    with session.no_autoflush:
        for obj in list(session.new) + [o for o in session.dirty if session.is_modified(o)]:
            _sync_foreign_keys(obj)
            _check_same_organization(session, obj)
            _check_texts(obj)
            for fn in _validators.get(type(obj), ()):
                fn(obj)
