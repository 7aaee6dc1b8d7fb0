"""The reports' registry: a report is a function `build(actor, p) -> Document` (reports/document.py),
registered with `@report(...)` in a `reports/*_reports.py` module (reports/catalogue.py imports them all).
`build` resolves a report's text parameters (reports/parameters.py) and builds it; the page, the files and
`flask report run` all go through it or through `parameters.resolve` and `ReportDef.build`.
"""
import functools
from dataclasses import dataclass

from reports.document import Document
from reports.parameters import refuse, resolve
from reports.xlsx import paused_gc
from services import database, permissions
from services.terms import college_words


@dataclass
class ReportDef:
    name: str
    title: str
    view_key: str
    params: tuple
    required: tuple
    build: object
    group: str
    description: str = ""
    college_title: str = ""
    page: str = ""  # the endpoint of a page of its own (the movement book's reports), if it has one
    # A range of the last days up to today by default (the activity report: two weeks), not bound to the year
    recent_days: int = 0
    default_range: str = ""  # "month": a range not given is the current month up to today (else the year's)
    # `drill(actor, p, cell) -> Document`: who a cell of the report counts (ОО-1); the cell's address is
    # the report's own text, checked by it (an unknown one: DomainError)
    drill: object = None

    def title_for(self, org):
        if org is not None and org.is_college:
            return self.college_title or college_words(self.title)
        return self.title


REGISTRY = {}

# The groups of the reports page, in order.
GROUPS = ("Классному руководителю", "Учителю", "Ученику и родителям", "Администрации")


def report(name, title, view_key, params=(), required=(), group="", description="", college_title="", page="",
           recent_days=0, default_range="", drill=None):
    """Register a report builder: `build(actor, p)` returns a Document."""
    def register(build):
        assert name not in REGISTRY, name
        REGISTRY[name] = ReportDef(name, title, view_key, tuple(params), tuple(required), _noting(build), group,
                                   description, college_title, page, recent_days, default_range, drill)
        return build
    return register


def _noting(build):
    """The builder, its Document noting the class, period and teacher it was built for (the record of reports
    built, services/control/report_builds.py)."""
    @functools.wraps(build)
    def built(actor, p):
        with paused_gc():
            doc = build(actor, p)
        if isinstance(doc, Document):
            doc.built_for = {"class_id": getattr(p.klass, "id", None), "period_id": getattr(p.period, "id", None),
                             "teacher_id": getattr(p.teacher, "id", None)}
        return doc
    return built


def available(actor):
    """The reports the actor may open, in the page's order."""
    defs = [r for r in REGISTRY.values() if permissions.allowed(actor, r.view_key, "list")]
    return sorted(defs, key=lambda r: (GROUPS.index(r.group) if r.group in GROUPS else len(GROUPS), r.title))


def build(actor, name, raw, today=None):
    """Resolve the parameters and build the report `name`; DomainError / PermissionDenied otherwise."""
    rdef = REGISTRY.get(name)
    if rdef is None:
        refuse(f"Отчёт «{name}» не найден; список: flask report list")
    return run(actor, rdef, resolve(actor, rdef, raw, today))


def run(actor, rdef, params):
    """The Document of the report `rdef` for resolved `params`: every report page and command builds through
    here, its SELECTs on the read replica when one is configured (services/database.py `on_replica`; the
    reads of its parameters and the access log's row stay on the primary)."""
    with database.on_replica():
        return rdef.build(actor, params)


def report_document(name, p, params=(), filename="otchet"):
    """The Document of the registered report `name`, titled for the organization's kind (its
    college title in a college)."""
    return Document(name=name, title=REGISTRY[name].title_for(p.org), org=p.org, params=list(params),
                    filename=filename)
