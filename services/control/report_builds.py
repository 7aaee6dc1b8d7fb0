"""The record of the reports built (models.ReportBuild): each report shown on screen or written to a file
(.xlsx, JSON, `flask report run`) — which report, who, when, for which class, period or teacher.

Why a table of its own and not the access log: the access log («отчёт», services/audit.log_read) records a
report only when it names students other than the reader's own (152-ФЗ), keeps its parameters as text, and
is pruned after ACCESS_LOG_RETENTION_DAYS; the control page needs every build, with its class and period as
ids. The reports' side calls `record` once per output (reports/document.log_read).
"""
from models import ReportBuild, db
from services import clock, uow


def record(actor, name, class_id=None, period_id=None, teacher_id=None):
    """A report built by `actor`; committed at once (a report page is a GET, which commits nothing else)."""
    if actor is None or actor.org_id is None:
        return
    db.session().connection().execute(ReportBuild.__table__.insert(), {
        "org_id": actor.org_id, "report": name[:60], "user_id": actor.user_id, "class_id": class_id,
        "period_id": period_id, "teacher_id": teacher_id, "built_at": clock.utcnow()})
    uow.checkpoint("a report built counts for the control page's deadlines whatever the request does next",
                   expire=False)
