"""The audit trail: every change of an audited record (who, when, old → new), written in the
same transaction as the change, whatever path made it (view, action, import, CLI)."""
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper, Session

from models import AuditLog, LoginEvent, utcnow

# (user_id, org_id, address) of whoever acts in this request or command.
_context: ContextVar = ContextVar("audit_context", default=(None, None, None))


def set_context(user_id=None, org_id=None, address=None):
    _context.set((user_id, org_id, address))


def get_context():
    """(user_id, org_id, address) of whoever acts now."""
    return _context.get()


def _plain(value):
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _changes(obj, mode):
    state = inspect(obj)
    excluded = getattr(type(obj), "__audit_exclude__", set())
    ignored = getattr(type(obj), "__audit_ignore__", set())
    version = state.mapper.version_id_col  # a form's version counter (models.org.Versioned) says nothing
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in ignored or (version is not None and attr.columns[0] is version):
            continue
        hist = state.attrs[key].history
        if mode == "insert":
            value = getattr(obj, key)
            if value not in (None, "") and key not in excluded:
                changes[key] = [None, _plain(value)]
        elif mode == "delete":
            value = hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            if value not in (None, "") and key not in excluded:
                changes[key] = [_plain(value), None]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old == new:
                continue
            changes[key] = ["***", "***"] if key in excluded else [_plain(old), _plain(new)]
    if mode == "update":
        for rel in state.mapper.relationships:
            if rel.uselist and rel.secondary is not None:
                hist = state.attrs[rel.key].history
                if hist.added or hist.deleted:
                    changes[rel.key] = [[str(o) for o in hist.deleted], [str(o) for o in hist.added]]
    return changes


@event.listens_for(Mapper, "mapper_configured")
def _load_old_values(mapper, cls):
    """An audited attribute set while not loaded (e.g. after a commit expired it) first loads
    its old value: otherwise the history, and so the audit, would say «— → new»."""
    if not getattr(cls, "__audited__", False):
        return
    excluded = getattr(cls, "__audit_exclude__", set())
    for attr in mapper.column_attrs:
        if attr.key not in excluded:
            event.listen(getattr(cls, attr.key), "set", _keep_old_value, active_history=True)


def _keep_old_value(target, value, oldvalue, initiator):
    """Nothing to do: registering it with active_history is what loads the old value."""


@event.listens_for(Session, "after_flush")
def _write_audit(session, flush_context):
    user_id, ctx_org_id, address = _context.get()
    rows = []
    for mode, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if not getattr(type(obj), "__audited__", False):
                continue
            changes = _changes(obj, mode)
            if not changes:
                continue
            org_id = getattr(obj, "org_id", None) or (obj.id if type(obj).__tablename__ == "organization" else None) or ctx_org_id
            rows.append({
                "at": utcnow(), "org_id": org_id, "user_id": user_id, "action": mode,
                "entity": type(obj).__tablename__, "entity_id": getattr(obj, "id", None),
                "summary": str(obj)[:300], "changes": changes, "address": address,
            })
    if rows:
        session.connection().execute(AuditLog.__table__.insert(), rows)


def log_login(session, login, user_id, address, success, reason=""):
    session.add(LoginEvent(login=login[:64], user_id=user_id, address=address, success=success,
                           reason=reason))


def log_denied(actor, entity, entity_id, summary):
    """A refused attempt to reach a row (another child's diary …), kept at once in its own commit."""
    from models import db

    user_id, _, address = get_context()
    db.session.rollback()
    db.session.add(AuditLog(org_id=actor.org_id, user_id=actor.user_id or user_id, action="denied",
                            entity=entity, entity_id=entity_id, summary=summary[:300], changes={},
                            address=address))
    db.session.commit()
