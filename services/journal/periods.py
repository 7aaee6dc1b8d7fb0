"""Closing a period for edits and opening it again (the administrator), audited.

``close_period(actor, period_id)`` / ``reopen_period(actor, period_id, reason)``.

A closed period's marks, attendance and period marks change by no path (services/journal/rules.py);
year, exam and final marks close with the year's last period. A close waits for the saves already
in flight into the period, and a save that comes after it reads the period closed and is refused
(services/journal/_writes.py: the period's gate).
"""
from sqlalchemy import and_, update

from models import AcademicYear, AuditLog, Period, db
from services import audit, permissions
from services.errors import DomainError, PermissionDenied
from services.journal._writes import _gated_periods, _transaction
from services.journal.payload import _text
from services.params import parse_id


# -- closing periods ------------------------------------------------------------------------------

def _period_for(actor, period_id, verb):
    permissions.require(actor, "period", verb)
    pid = parse_id(period_id)
    cond = permissions.row_condition(actor, "period", verb, Period)
    rows = _gated_periods(and_(Period.id == pid, cond), exclusive=True) if pid else []
    if not rows:
        raise PermissionDenied("Период не найден или недоступен.")
    return rows[0]


def _log_period(actor, period, action, changes, summary):
    _, _, address = audit.get_context()
    db.session.add(AuditLog(org_id=period.org_id, user_id=actor.user_id, action=action, entity="period",
                            entity_id=period.id, summary=summary[:300], changes=changes, address=address))


def close_period(actor, period_id):
    """Close a period for edits (the administrator). Waits for saves in flight into it; a save that
    comes after sees it closed. Returns False if it was closed already. A part of the caller's unit of
    work (a request, the year's closing)."""
    with _transaction(actor):
        period = _period_for(actor, period_id, "close_period")
        if period.is_closed:
            return False
        db.session.execute(update(Period.__table__).where(Period.__table__.c.id == period.id)
                           .values(is_closed=True))
        _log_period(actor, period, "close", {"is_closed": [False, True]}, f"Период «{period}» закрыт для изменений")
        return True


def reopen_period(actor, period_id, reason):
    """Open a closed period again (the administrator), with the reason written to the audit."""
    reason = _text(reason)
    if len(reason) < 5:
        raise DomainError("Укажите причину, по которой период открывается для изменений.")
    if len(reason) > 250:
        raise DomainError("Причина — не длиннее 250 знаков.")
    with _transaction(actor):
        period = _period_for(actor, period_id, "reopen_period")
        year = db.session.get(AcademicYear, period.year_id)
        if year.is_closed:
            raise DomainError(f"Учебный год {year.name} закрыт: его периоды не открываются.")
        if not period.is_closed:
            return False
        db.session.execute(update(Period.__table__).where(Period.__table__.c.id == period.id)
                           .values(is_closed=False))
        _log_period(actor, period, "reopen", {"is_closed": [True, False], "reason": [None, reason]},
                    f"Период «{period}» открыт для изменений: {reason}")
        return True
