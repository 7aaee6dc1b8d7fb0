"""The journal's rules on every flush, whatever the path (a page, a service, a script, an import):
a mark's and a period mark's values (validators), versions that grow with every change, and nothing
dated in a closed period added, changed or deleted (SPEC §3 rule 1).

The journal's services check their periods under their locks themselves (services/journal/_writes.py
`_transaction` runs inside `rules.trusted(…, "journal.closed_period")`); the flush then only bumps the
versions. Installed by create_app() (`RULES`).
"""
from itertools import chain

from sqlalchemy import inspect, select

from models import (Attendance, Lesson, Mark, MARK_VALUES, PASS_FAIL_VALUES, PERIOD_MARK_VALUES, Period, PeriodMark,
                    PeriodMarkKind, Task)
from services.errors import DomainError
from services.rules import rule, validator

# -- rules on every flush, whatever the path ------------------------------------------------------

_VERSIONED = (Mark, Attendance, PeriodMark)


@rule("journal.versions", "versions")
def _bump_versions(session, flush_context, instances):
    """Every change of a versioned entry raises its version, whatever path made it.

    Bumped by hand, not by SQLAlchemy's version_id_col (models.org.Versioned), for two reasons: the
    audit writes a mark's, an attendance's and a period mark's version change in its rows, and leaves a
    version counter out of them (services/audit.py `_changes`), so the audit rows would change; and a
    counter adds `WHERE version = …` to every UPDATE and DELETE of these rows, which the journal's
    writers already make safe under their row locks, comparing the version the page showed themselves
    (services/journal/grid_save.py). A version set explicitly is kept; only an unset one is raised."""
    for obj in session.dirty:
        if isinstance(obj, _VERSIONED) and session.is_modified(obj):
            history = inspect(obj).attrs.version.history
            if not history.has_changes():
                committed = (history.unchanged or history.deleted or [0])[0] or 0
                obj.version = committed + 1


@validator(Mark, "journal.mark")
def validate_mark(mark):
    if mark.value not in MARK_VALUES + PASS_FAIL_VALUES:
        raise DomainError("Отметка не сохранена", [f"«{mark.value}» — недопустимая отметка"])


@validator(PeriodMark, "journal.period_mark")
def validate_period_mark(mark):
    errors = []
    if mark.value not in PERIOD_MARK_VALUES:
        errors.append(f"«{mark.value}» — недопустимая отметка за период")
    if mark.kind == PeriodMarkKind.PERIOD.value:
        if mark.period_id is None:
            errors.append("Укажите учебный период")
        mark.slot = mark.period_id or 0
    else:
        mark.period_id, mark.slot = None, 0
    if errors:
        raise DomainError("Отметка за период не сохранена", errors)


def _lesson_of(session, obj):
    if isinstance(obj, (Attendance, Task)):
        return obj.__dict__.get("lesson") or session.get(Lesson, obj.lesson_id)
    task = obj.__dict__.get("task") or session.get(Task, obj.task_id)
    return task.__dict__.get("lesson") or session.get(Lesson, task.lesson_id) if task is not None else None


@rule("journal.closed_period", "guard")
def _closed_period(session, flush_context, instances):
    """Nothing dated in a closed period is added, changed or deleted, by any path (SPEC §3 rule 1).
    Skipped inside a journal service's transaction: it checked its periods under their locks."""
    watched = [o for o in chain(session.new, session.deleted, (d for d in session.dirty if session.is_modified(d)))
               if isinstance(o, (Mark, Attendance, Task, PeriodMark))]
    if not watched:
        return
    with session.no_autoflush:
        closed = session.execute(select(Period.id, Period.org_id, Period.start_date, Period.end_date).where(
            Period.org_id.in_({o.org_id for o in watched}), Period.is_closed.is_(True))).all()
        if not closed:
            return
        closed_ids = {row.id for row in closed}
        for obj in watched:
            if isinstance(obj, PeriodMark):
                hit = obj.period_id in closed_ids
            else:
                lesson = _lesson_of(session, obj)
                if lesson is None:
                    continue
                hit = lesson.period_id in closed_ids if lesson.period_id else any(
                    row.org_id == lesson.org_id and row.start_date <= lesson.date <= row.end_date for row in closed)
            if hit:
                raise DomainError("Период закрыт для изменений: отметки, посещаемость и отметки за период "
                                  "в нём не меняются.")


RULES = (validate_mark, validate_period_mark, _closed_period, _bump_versions)
