"""A checked definition run: one SELECT of the rows (a page of them) plus one count, whatever the columns — a
related column is a correlated subquery, a one-to-many one aggregated in SQL (models/dialect.joined_text) —
limited by the entity's row filter of the permission table, under the builder's statement timeout. The rows
are capped (on screen and in .xlsx) and the cut is said, never silent; a read naming people is logged."""
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from sqlalchemy import and_, func, or_, select

from models import db
from models.dialect import folded
from services import audit, dates
from services.database import StatementTimedOut, bounded_statements
from services.errors import DomainError
from services.movement import roster
from services.report_builder.catalogue import BOOL, CHOICE, DATE, NUMBER, TEXT

PAGE_SIZE = 100
SCREEN_CAP = 5000
XLSX_CAP = 20000
DEFAULT_TIMEOUT = 10  # seconds per statement (config REPORT_BUILDER_TIMEOUT)


@dataclass
class Result:
    title: str
    headers: list  # [(label, kind)]
    rows: list
    total: int  # rows the report has
    cap: int
    page: int = 1
    page_size: int = PAGE_SIZE
    params: list = field(default_factory=list)

    @property
    def reachable(self):
        """Rows that may be shown (the cap)."""
        return min(self.total, self.cap)

    @property
    def pages(self):
        return max(1, -(-self.reachable // self.page_size))

    @property
    def cut(self):
        """«показаны первые N из M» when the cap cut the report, else ""."""
        if self.total <= self.cap:
            return ""
        return f"Показаны первые {self.cap:,} из {self.total:,} строк: уточните условия отбора.".replace(",", " ")


def _condition(actor, f):
    expr = f.column.sql(actor)
    if f.op == "in_class_on":
        return expr.in_(roster.member_ids(f.value, f.value2))
    if f.op == "empty":
        return or_(expr.is_(None), expr == "") if f.column.kind == TEXT else expr.is_(None)
    if f.op == "filled":
        return and_(expr.is_not(None), expr != "") if f.column.kind == TEXT else expr.is_not(None)
    if f.op == "yes":
        return expr.is_(True)
    if f.op == "no":
        return expr.is_(False)
    if f.op == "contains":
        pattern = f.value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return folded(expr).like(f"%{pattern}%", escape="\\")
    if f.op == "between":
        parts = []
        if f.value is not None:
            parts.append(expr >= f.value)
        if f.value2 is not None:
            parts.append(expr <= f.value2)
        return and_(*parts)
    if f.column.kind == TEXT:  # eq: as typed, whatever the case
        return folded(expr) == f.value.lower()
    return expr == f.value


def statements(actor, definition):
    """(rows SELECT without paging, count SELECT, headers, the columns' post-processing) of a definition."""
    entity = definition.entity
    where = [entity.rows(actor), *(_condition(actor, f) for f in definition.filters)]
    if not definition.grouped:
        columns = definition.columns
        query = select(*(c.sql(actor).label(f"c{n}") for n, c in enumerate(columns))).select_from(entity.model) \
            .where(*where)
        labels = {c.key: f"c{n}" for n, c in enumerate(columns)}
        order = [(key, desc) for key, desc in definition.sort] or [
            (key, False) for key in entity.order if key in labels]
        query = query.order_by(*(_ordered(query.selected_columns[labels[key]], desc) for key, desc in order),
                               entity.model.id)
        count = select(func.count()).select_from(entity.model).where(*where)
        headers = [(c.label, c.kind if not c.many else TEXT) for c in columns]
        return query, count, headers, columns
    groups, aggregates = definition.group_by, definition.aggregates
    inner_columns = [c.sql(actor).label(f"g{n}") for n, c in enumerate(groups)]
    inner_columns += [a.column.sql(actor).label(f"a{n}") for n, a in enumerate(aggregates) if a.column is not None]
    if not inner_columns:
        inner_columns = [entity.model.id.label("id")]
    inner = select(*inner_columns).select_from(entity.model).where(*where).subquery()
    outer = [inner.c[f"g{n}"] for n in range(len(groups))]
    for n, a in enumerate(aggregates):
        outer.append((func.count() if a.fn == "count" else getattr(func, a.fn)(inner.c[f"a{n}"])).label(f"x{n}"))
    query = select(*outer)
    if groups:
        query = query.group_by(*(inner.c[f"g{n}"] for n in range(len(groups))))
    labels = {c.key: inner.c[f"g{n}"] for n, c in enumerate(groups)}
    labels.update({a.key: query.selected_columns[f"x{n}"] for n, a in enumerate(aggregates)})
    order = definition.sort or [(c.key, False) for c in groups]
    query = query.order_by(*(_ordered(labels[key], desc) for key, desc in order))
    count = select(func.count()).select_from(query.subquery())
    headers = [(c.label, c.kind if not c.many else TEXT) for c in groups]
    headers += [(a.label, NUMBER if a.fn in ("count", "sum", "avg") else a.column.kind) for a in aggregates]
    shaped = [*groups, *(None for _ in aggregates)]
    return query, count, headers, shaped


def _ordered(expr, desc):
    return expr.desc() if desc else expr.asc()


def _value(column, kind, value):
    if value is None:
        return None
    if column is not None and column.kind == CHOICE:
        return column.label_of(value)
    if kind == BOOL or isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, Decimal) or isinstance(value, float):
        number = round(float(value), 2)
        return int(number) if number == int(number) else number
    if kind == NUMBER and isinstance(value, str):  # SQLite's avg of a text-typed value
        return value
    if kind == DATE and isinstance(value, str):
        return dates.parse_date(value) or value
    return value


def run(actor, definition, page=1, cap=None, page_size=PAGE_SIZE, title="Конструктор отчётов", output="экран"):
    """The report's rows of `page` (1…) within the first `cap`: two statements (the count, the page), each
    stopped after the builder's timeout with a Russian refusal. A report naming people is a logged read."""
    query, count, headers, shaped = statements(actor, definition)
    cap = SCREEN_CAP if cap is None else cap
    seconds = current_app.config.get("REPORT_BUILDER_TIMEOUT", DEFAULT_TIMEOUT)
    result = Result(title=title, headers=headers, rows=[], total=0, cap=cap, page=page, page_size=page_size)
    try:
        with bounded_statements(seconds):
            result.total = db.session.scalar(count) or 0
            page = min(max(1, page), result.pages)
            result.page = page
            offset = (page - 1) * page_size
            limit = max(0, min(page_size, cap - offset))
            rows = db.session.execute(query.limit(limit).offset(offset)).all() if limit and result.total else []
    except StatementTimedOut:
        raise DomainError(f"Отчёт строился дольше {seconds:g} с и был остановлен: уточните условия отбора "
                          "или уберите часть столбцов.") from None
    kinds = [kind for _, kind in headers]
    result.rows = [tuple(_value(c, k, v) for c, k, v in zip(shaped, kinds, row)) for row in rows]
    if definition.entity.names_people and result.rows:
        audit.log_read(actor, "report", "report_builder", rows=len(result.rows),
                       detail=f"«Конструктор отчётов: {title}» ({definition.entity.label}, {output})")
    return result
