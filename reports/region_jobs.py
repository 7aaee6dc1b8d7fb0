"""A regional roll-up's workbook built as a background job (kind "region-rollup", issue 20.2): every page of
«Сводки по организациям» offers «Сформировать .xlsx в фоне»; the ОО-1 sum and the «Контроль» overdue items build
each school's own form / control page, so for a scope of more than `INLINE_LIMIT` organizations those two pages
are built only so. The job reports its progress per organization (`region_reports.build(…, progress=)`) and
keeps the workbook for the owner's download («Мои задания», the page).

The scope is taken again when the job runs, never from the parameters: the owner's actor is rebuilt from his
account (services/jobs/core.py), his card read afresh (`region_scope.card_of`); a card deactivated, or moved to
another municipality or region since the job was queued, fails the job with a Russian message — it gets
nothing of the old scope, and nothing of a new one it was not asked for. Every query of the build runs inside
the new scope (`scope.organizations`)."""
from flask import current_app

from models import scope
from reports import region_reports as rollup
from reports.render import to_xlsx
from reports.xlsx import XLSX_MIME
from services import dates, permissions
from services.errors import DomainError, PermissionDenied
from services.jobs import core as jobs
from services.jobs.registry import Result, job_kind
from services.region import scope as region_scope

KIND = "region-rollup"
KINDS = ("results", "movement", "activity", "deadlines", "oo1", "control")
HEAVY = ("oo1", "control")  # their statements grow with the schools: built as a job for a large scope
INLINE_LIMIT = 10  # organizations: above it the heavy pages are built in the background only
DENIED = "Сводка недоступна: у учётной записи нет действующей карточки специалиста органа управления образованием."
MOVED = ("Зона ответственности специалиста изменилась после постановки задания в очередь; сформируйте сводку "
         "заново.")
TITLES = {"results": "Успеваемость, качество и наполняемость", "movement": "Движение обучающихся",
          "activity": "Активность пользователей", "deadlines": "Сроки начала учебного года",
          "oo1": "Форма ОО-1 (сумма)", "control": "Просрочки «Контроля»"}


def scope_key(actor):
    """(region id, municipality id) of the actor's active regional card, or None."""
    card = region_scope.card_of(actor.user_id) if actor is not None and actor.user_id is not None else None
    return [card[1], card[2]] if card is not None else None


def is_heavy(actor, kind):
    return kind in HEAVY and len(region_scope.scope_org_ids(actor)) > INLINE_LIMIT


@job_kind(KIND, title="Сводка по организациям (.xlsx)", retries=2)
def _rollup(ctx, actor, params):
    kind = params.get("kind")
    if kind not in KINDS:
        raise DomainError("Сводка не найдена.")
    if actor.region_org_ids is None or not permissions.allowed(actor, "region_report", "export"):
        raise DomainError(DENIED)
    if scope_key(actor) != params.get("scope"):
        raise DomainError(MOVED)
    org_id = params.get("org_id")
    if org_id is not None and org_id not in actor.region_org_ids:
        raise DomainError("Организация не найдена в вашей зоне ответственности.")
    start, end = (dates.parse_date(params[k]) if params.get(k) else None for k in ("start", "end"))
    ctx.progress(0, len(actor.region_org_ids), "")
    try:
        with scope.organizations(actor.region_org_ids):
            doc = rollup.build(actor, kind, params["year"], params.get("period"), start, end, org_id=org_id,
                               progress=ctx.progress)
            content = to_xlsx(doc, current_app.config.get("REPORT_PAPER", "A4")).bytes()
    except PermissionDenied:
        raise DomainError(DENIED) from None
    return Result(f"{doc.filename}.xlsx", XLSX_MIME, content)


def start(actor, kind, year, period=None, start_date=None, end_date=None, org_id=None):
    """Enqueue the roll-up's workbook for the actor (the parameters already checked by the page); its id."""
    if kind not in KINDS:
        raise DomainError("Сводка не найдена.")
    if org_id is not None and org_id not in (actor.region_org_ids or ()):
        raise DomainError("Организация не найдена в вашей зоне ответственности.")
    params = {"kind": kind, "year": year, "period": period, "org_id": org_id, "scope": scope_key(actor),
              "start": start_date.strftime("%d.%m.%Y") if start_date else None,
              "end": end_date.strftime("%d.%m.%Y") if end_date else None}
    title = TITLES[kind] + (f", {year}" if kind in ("results", "deadlines", "oo1") else "") + " (.xlsx)"
    return jobs.enqueue(actor, KIND, params, title=title)


def latest(actor, kind, org_id=None):
    """The actor's most recent job of this roll-up (of one organization's drill-down: `org_id`), or None."""
    return next((job for job in jobs.own_jobs_of_kind(actor, KIND) if jobs.params_of(job).get("kind") == kind
                 and jobs.params_of(job).get("org_id") == org_id), None)
