"""A report's workbook built as a background job (kind "report-xlsx"): the reports that take more than a few
seconds on a large institution (`BACKGROUND`: the institution's ledgers) offer «Сформировать в фоне» on their
page; the job builds the same Document as the page's .xlsx, logs the read as the page does, and keeps the
workbook for the owner's download («Мои задания», the report's page)."""
from flask import current_app
from reports import registry
from reports.document import log_read
from reports.render import to_xlsx
from reports.xlsx import XLSX_MIME
from services import dates, permissions
from services.errors import DomainError, PermissionDenied
from services.jobs import core as jobs
from services.jobs.registry import Result, job_kind

KIND = "report-xlsx"
BACKGROUND = ("institution-ledgers",)  # the reports whose page offers the background build
DENIED = "Отчёт недоступен: нет права выгружать его."


@job_kind(KIND, title="Отчёт (.xlsx)", retries=2)
def _report(ctx, actor, params):
    name, raw = params["report"], params.get("params") or {}
    rdef = registry.REGISTRY.get(name)
    if rdef is None or not permissions.allowed(actor, rdef.view_key, "export"):
        raise DomainError(DENIED)
    ctx.progress(0, 3, "чтение данных")
    today = dates.parse_date(params["today"]) if params.get("today") else None
    try:
        doc = registry.build(actor, name, raw, today)
    except PermissionDenied:
        raise DomainError(DENIED) from None
    ctx.progress(1, 3, "запись книги .xlsx")
    log_read(actor, doc, "xlsx")
    content = to_xlsx(doc, current_app.config.get("REPORT_PAPER", "A4")).bytes()
    ctx.progress(3, 3, "")
    return Result(f"{doc.filename}.xlsx", XLSX_MIME, content)


def start(actor, rdef, raw, today):
    """Enqueue the report's workbook for the actor; returns the job's id."""
    return jobs.enqueue(actor, KIND, {"report": rdef.name, "params": raw, "today": today.strftime("%d.%m.%Y")},
                        title=f"{rdef.title_for(actor.org)} (.xlsx)")


def latest(actor, name):
    """The actor's most recent job of this report, or None."""
    return next((job for job in jobs.own_jobs_of_kind(actor, KIND) if jobs.params_of(job).get("report") == name),
                None)
