"""Saved builder reports: the author's own and those shared with the colleagues of his organization (the
permission table's rows of "report_builder"); saved only once checked for the author; edited, renamed and
deleted by the author only. A saved report is always run with the permissions of whoever runs it."""
from sqlalchemy import select

from models import SavedReport, db
from services import clock, permissions, versions
from services.errors import DomainError, PermissionDenied, taken_is_refused
from services.report_builder import definition as definitions

KEY = "report_builder"
OWN_KEY = "report_builder_own"  # the author's own: edited and deleted
MAX_NAME = 200


def visible(actor):
    """The saved reports the actor sees: his own first, then his colleagues' shared ones, by name."""
    cond = permissions.row_condition(actor, KEY, "list", SavedReport)
    return db.session.scalars(select(SavedReport).where(cond).order_by(
        (SavedReport.owner_id != actor.user_id), SavedReport.name, SavedReport.id)).all()


def get(actor, report_id):
    """A saved report the actor sees, else «не найден» (another organization's, another's unshared)."""
    report = db.session.scalar(select(SavedReport).where(
        SavedReport.id == report_id, permissions.row_condition(actor, KEY, "list", SavedReport)))
    if report is None:
        raise DomainError("Отчёт не найден.")
    return report


def _own(actor, report_id, verb):
    """The actor's own report for `verb` (the table's "report_builder_own" rows); another's he sees (shared) is
    refused, one he does not see is «не найден»."""
    permissions.require(actor, OWN_KEY, verb)
    report = get(actor, report_id)
    if not permissions.scoped_ids(actor, OWN_KEY, verb, SavedReport, [report.id]):
        raise PermissionDenied("Изменить или удалить отчёт может только его автор.")
    return report


def own(actor, report_id):
    """The actor's own report to edit, or None (another's, or none he sees)."""
    try:
        return _own(actor, report_id, "edit")
    except DomainError:
        return None


def _name(name):
    name = (name or "").strip()
    if not name:
        raise DomainError("Укажите название отчёта.", fields={"name": "Укажите название"})
    if len(name) > MAX_NAME:
        raise DomainError(f"Название длиннее {MAX_NAME} символов.", fields={"name": "Слишком длинное"})
    return name


def _taken(name):
    return f"У вас уже есть отчёт «{name}»: выберите другое название."


def create(actor, name, shared, raw):
    """Save a new report of the actor, its definition checked for him."""
    permissions.require(actor, KEY, "create")
    name = _name(name)
    checked = definitions.check(actor, raw)
    if db.session.scalar(select(SavedReport.id).where(SavedReport.org_id == actor.org_id,
                                                      SavedReport.owner_id == actor.user_id,
                                                      SavedReport.name == name)):
        raise DomainError(_taken(name), fields={"name": "Название занято"})
    report = SavedReport(org_id=actor.org_id, owner_id=actor.user_id, name=name, shared=bool(shared),
                         definition=checked.to_json())
    db.session.add(report)
    with taken_is_refused(_taken(name)):
        db.session.flush()
    return report


def update(actor, report_id, seen_version, name, shared, raw):
    """Change the author's own report (not over a newer save: `seen_version`)."""
    report = _own(actor, report_id, "edit")
    name = _name(name)
    checked = definitions.check(actor, raw)
    if db.session.scalar(select(SavedReport.id).where(SavedReport.org_id == actor.org_id,
                                                      SavedReport.owner_id == actor.user_id,
                                                      SavedReport.name == name, SavedReport.id != report.id)):
        raise DomainError(_taken(name), fields={"name": "Название занято"})
    versions.claim(report, seen_version)
    report.name, report.shared, report.definition = name, bool(shared), checked.to_json()
    report.updated_at = clock.utcnow()
    with taken_is_refused(_taken(name)):
        db.session.flush()
    return report


def delete(actor, report_id):
    report = _own(actor, report_id, "delete")
    db.session.delete(report)
    db.session.flush()
