"""The audit trail: every change of an audited record (who, when, old → new), and every grant or
removal of a staff member's functions (his access rights), written in the same transaction as the
change, whatever path made it (view, action, import, CLI); and the access log: the reads of
personal data (152-ФЗ art. 19), apart from the changes, pruned after a retention period."""
from collections import defaultdict
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from decimal import Decimal

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, event, inspect, select
from sqlalchemy.orm import Mapper, object_session

from models import AccessLog, AuditLog, LoginEvent, Role, Staff, StaffRole, db, utcnow
from services import uow
from services.rules import rule

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


def _load_old_values(mapper, cls):
    """An audited attribute set while not loaded (e.g. after a commit expired it) first loads
    its old value: otherwise the history, and so the audit, would say «— → new»."""
    if not getattr(cls, "__audited__", False):
        return
    excluded = getattr(cls, "__audit_exclude__", set())
    for attr in mapper.column_attrs:
        if attr.key not in excluded and not event.contains(getattr(cls, attr.key), "set", _keep_old_value):
            event.listen(getattr(cls, attr.key), "set", _keep_old_value, active_history=True)


def _keep_old_value(target, value, oldvalue, initiator):
    """Nothing to do: registering it with active_history is what loads the old value."""


# -- functions (roles) of staff cards: access rights ------------------------------------------------

_ROLE_EVENTS = "audit_role_events"  # session.info key: (staff id, role, granted) of the current flush
ROLE_LABELS = {r.value: r.label for r in Role}


@rule("audit.role_events", "normalise")
def _forget_role_events(session, flush_context, instances):
    session.info.pop(_ROLE_EVENTS, None)  # left over by a flush that failed


def _role_granted(mapper, connection, target):
    object_session(target).info.setdefault(_ROLE_EVENTS, []).append((target.staff_id, target.role, True))


def _role_removed(mapper, connection, target):
    # Fires for a row the staff form drops from the card too (a delete-orphan never reaches
    # session.deleted), so every path is seen.
    object_session(target).info.setdefault(_ROLE_EVENTS, []).append((target.staff_id, target.role, False))


def _role_rows(session):
    """One change-log row per staff card whose functions this flush granted or removed: the card,
    its functions before → after. One statement, whatever the number of cards."""
    events = session.info.pop(_ROLE_EVENTS, None)
    if not events:
        return []
    ids = {staff_id for staff_id, _, _ in events}
    now, cards = defaultdict(set), {}
    for staff_id, org_id, last, first, middle, role in session.connection().execute(
            select(Staff.id, Staff.org_id, Staff.last_name, Staff.first_name, Staff.middle_name, StaffRole.role)
            .outerjoin(StaffRole, StaffRole.staff_id == Staff.id).where(Staff.id.in_(ids))):
        cards[staff_id] = (org_id, " ".join(p for p in (last, first, middle) if p))
        if role is not None:
            now[staff_id].add(role)
    for obj in session.deleted:  # a card deleted with its functions
        if isinstance(obj, Staff) and obj.id in ids:
            cards[obj.id] = (obj.org_id, obj.full_name)
    rows = []
    for staff_id in sorted(ids & set(cards)):
        new = now[staff_id]
        old = set(new)
        for sid, role, granted in reversed(events):
            if sid == staff_id:
                (old.discard if granted else old.add)(role)
        if old != new:
            org_id, name = cards[staff_id]
            rows.append({"org_id": org_id, "action": "roles", "entity": "staff", "entity_id": staff_id,
                         "summary": name[:300], "changes": {"role_codes": [_role_labels(old), _role_labels(new)]}})
    return rows


def _role_labels(codes):
    return [ROLE_LABELS.get(code, code) for code in sorted(codes)]


@rule("audit.log", "audit")
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
            own = obj.id if type(obj).__tablename__ == "organization" else None
            org_id = getattr(obj, "org_id", None) or own or ctx_org_id
            rows.append({
                "at": utcnow(), "org_id": org_id, "user_id": user_id, "action": mode,
                "entity": type(obj).__tablename__, "entity_id": getattr(obj, "id", None),
                "summary": str(obj)[:300], "changes": changes, "address": address,
            })
    rows += [{"at": utcnow(), "user_id": user_id, "address": address, **row} for row in _role_rows(session)]
    if rows:
        session.connection().execute(AuditLog.__table__.insert(), rows)


def log_login(session, login, user_id, address, success, reason=""):
    session.add(LoginEvent(login=login[:64], user_id=user_id, address=address, success=success,
                           reason=reason))


def log_denied(actor, entity, entity_id, summary):
    """A refused attempt to reach a row (another child's diary …), kept at once in its own commit."""
    user_id, _, address = get_context()
    db.session.rollback()
    db.session.add(AuditLog(org_id=actor.org_id, user_id=actor.user_id or user_id, action="denied",
                            entity=entity, entity_id=entity_id, summary=summary[:300], changes={},
                            address=address))
    uow.checkpoint("a refused attempt is logged whatever the request does next")


# -- reads of personal data ---------------------------------------------------------------------------

def log_read(actor, action, kind, object_id=None, detail="", rows=None):
    """A read of personal data (152-ФЗ art. 19): who, when, what — a card (`kind`, `object_id`), or an
    export, a report, credential slips with `rows` (rows exported, students named). Called on read
    paths; committed at once, so the row stays whatever the rest of the request does."""
    assert action in AccessLog.ACTIONS, action
    user_id, org_id, address = get_context()
    session = db.session()
    session.connection().execute(AccessLog.__table__.insert(), {
        "org_id": actor.org_id or org_id, "user_id": actor.user_id or user_id, "action": action,
        "object_kind": kind, "object_id": object_id, "detail": str(detail)[:500], "row_count": rows,
        "address": address})
    # What the request has loaded stays loaded: the page goes on rendering it (an export streams its
    # rows after this), and reloading it would cost a statement per row.
    uow.checkpoint("a read is logged whatever the request does next", expire=False)


def own_data(actor, student_ids):
    """Whether the students are all the actor himself or his own children: the data subject, or his
    parent, reading his own data is no access to log."""
    mine = {actor.student_id, *actor.child_ids} - {None}
    return bool(student_ids) and set(student_ids) <= mine


def prune_reads(days):
    """Delete the reads logged more than `days` days ago; returns how many."""
    result = db.session.execute(delete(AccessLog).where(AccessLog.at < utcnow() - timedelta(days=days)))
    return result.rowcount


cli = AppGroup("audit", help="Журналы аудита.")


@cli.command("prune")
@click.option("--days", type=click.IntRange(min=1),
              help="Хранить записи журнала доступа столько дней (по умолчанию ACCESS_LOG_RETENTION_DAYS).")
@uow.command
def prune_command(days):
    """Удалить записи журнала доступа старше срока хранения."""
    days = days or current_app.config["ACCESS_LOG_RETENTION_DAYS"]
    count = prune_reads(days)
    click.echo(f"Журнал доступа: удалено записей старше {days} дн.: {count}")


RULES = (_forget_role_events, _write_audit)


def instrument():
    """The audit's own listeners, installed by create_app() with its RULES (nothing on import): old
    values loaded before an audited attribute is set, and the functions a flush grants or removes."""
    if not event.contains(Mapper, "mapper_configured", _load_old_values):
        event.listen(Mapper, "mapper_configured", _load_old_values)
        for mapper in db.Model.registry.mappers:  # those configured before the app was created
            if mapper.configured:
                _load_old_values(mapper, mapper.class_)
    if not event.contains(StaffRole, "after_insert", _role_granted):
        event.listen(StaffRole, "after_insert", _role_granted)
        event.listen(StaffRole, "after_delete", _role_removed)
