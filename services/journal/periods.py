"""Closing a period for edits and opening it again (the administrator), audited.

``close_check(actor, period_id)`` (what a close would leave behind), ``close_period(actor, period_id, confirm)``,
``reopen_period(actor, period_id, reason)``.

A closed period's marks, attendance and period marks change by no path (services/journal/rules.py);
year, exam and final marks close with the year's last period. A close waits for the saves already
in flight into the period, and a save that comes after it reads the period closed and is refused
(services/journal/_writes.py: the period's gate).

A close checks the calendar (issue 15): a period closed before its last day, or with period marks not
set (services/journal/missing_marks.py; the year's marks too when it is the year's last period), is
closed only when `confirm` is the period's name typed by the administrator; a period that has ended
with every mark set closes without it.
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, select, update

from models import AcademicYear, AuditLog, Organization, Period, db
from services import audit, dates, permissions
from services.errors import DomainError, PermissionDenied
from services.journal._writes import _gated_periods, _transaction
from services.journal import missing_marks
from services.journal.missing_marks import missing_period_marks
from services.journal.payload import _text
from services.params import parse_id

SHOWN = 12  # lines of missing marks a refusal names; the page shows them all


# -- what a close leaves behind ----------------------------------------------------------------------

def typed(value):
    """A typed confirmation as compared: quotes, case, «ё» and runs of spaces do not matter."""
    text = _text(value).replace("«", "").replace("»", "").replace('"', "").replace("ё", "е").replace("Ё", "Е")
    return " ".join(text.split()).casefold()


@dataclass
class CloseCheck(missing_marks.Missing):
    """What closing `period` today leaves behind: is it before its last day, which period marks are
    not set (per class and subject, services/journal/missing_marks.MissingMarks)."""

    period: Period
    today: date
    missing: list = field(default_factory=list)

    @property
    def early(self):
        return self.today < self.period.end_date

    @property
    def needs_confirmation(self):
        return self.early or bool(self.missing)

    def confirmed_by(self, confirm):
        return not self.needs_confirmation or typed(confirm) == typed(self.period.name)

    def problems(self):
        """The warnings, in Russian: the dates and the counts."""
        lines = []
        if self.early:
            lines.append(f"он ещё не окончен (последний день — {dates.format_date(self.period.end_date)}, "
                         f"сегодня {dates.format_date(self.today)})")
        in_period = sum(r.missing for r in self.missing if r.period_id is not None)
        in_year = self.missing_total - in_period
        if self.missing:
            lines.append(f"не выставлено отметок за период: {in_period}" + (f", годовых: {in_year}" if in_year else ""))
        return lines

    def missing_lines(self, limit=None):
        rows = self.missing if limit is None else self.missing[:limit]
        lines = [f"{r.class_name}, {r.subject_name} ({'годовая' if r.period_id is None else r.period_name}): "
                 f"{r.missing}" for r in rows]
        if limit is not None and len(self.missing) > limit:
            lines.append(f"и ещё строк: {len(self.missing) - limit}")
        return lines

    def refusal(self, confirm):
        """The DomainError for a close without the right confirmation: what is missing, and how to confirm."""
        name = self.period.name
        tail = ". Без отметок" if self.missing else ""
        if typed(confirm):
            return DomainError(f"Название периода введено неверно: нужно «{name}». Период не закрыт" + tail,
                               self.missing_lines(SHOWN))
        return DomainError(f"Период «{name}» не закрыт: " + "; ".join(self.problems())
                           + f". Чтобы закрыть его всё равно, введите название периода «{name}»" + tail,
                           self.missing_lines(SHOWN))


def _check(period):
    """The CloseCheck of `period` (two or three statements, whatever the size of the school)."""
    org = db.session.get(Organization, period.org_id)
    last = db.session.scalar(select(func.max(Period.end_date)).where(Period.year_id == period.year_id))
    missing = missing_period_marks(org, [period.year_id], periods_where=[Period.id == period.id],
                                   year_marks=period.end_date == last)
    return CloseCheck(period, dates.today(org), missing)


def close_check(actor, period_id):
    """What closing the period would leave behind (the «Закрыть период» page); reads only."""
    permissions.require(actor, "period", "close_period")
    pid = parse_id(period_id)
    period = db.session.scalar(select(Period).where(
        Period.id == pid, permissions.row_condition(actor, "period", "close_period", Period))) if pid else None
    if period is None:
        raise PermissionDenied("Период не найден или недоступен.")
    return _check(period)


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


def close_period(actor, period_id, confirm=None):
    """Close a period for edits (the administrator). Before its last day or with period marks not
    set, `confirm` must be the period's name (typed by the administrator), else nothing changes and
    the DomainError says what is missing. Waits for saves in flight into it; a save that comes after
    sees it closed. Returns False if it was closed already. A part of the caller's unit of work (a
    request, the year's closing)."""
    with _transaction(actor):
        period = _period_for(actor, period_id, "close_period")
        if period.is_closed:
            return False
        check = _check(period)  # read after the gate: no save into the period is in flight now
        if not check.confirmed_by(confirm):
            raise check.refusal(confirm)
        db.session.execute(update(Period.__table__).where(Period.__table__.c.id == period.id)
                           .values(is_closed=True))
        changes, summary = {"is_closed": [False, True]}, f"Период «{period}» закрыт для изменений"
        if check.needs_confirmation:
            changes["warnings"] = [None, check.problems()]
            summary += " (подтверждено вводом названия): " + "; ".join(check.problems())
        _log_period(actor, period, "close", changes, summary)
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
