"""The organization scope: while a request or a command acts in one organization, every ORM query sees
only that organization's rows of every `OrgOwned` model, whether the query says so or not.

    with scope.organization(org_id): ...        # a command or a background job acting in one organization
    token = scope.enter(org_id) … scope.leave(token)   # app.py's request hooks (the actor's organization)
    with scope.installation("why"): ...         # the one escape: installation-wide work inside a scope
    token = scope.enter_many(org_ids)           # a regional specialist's request: his scope's organizations

Outside any scope (tests calling services directly, `flask demo-data`, `flask backup`, migrations,
`flask audit prune`, the login, the health check) nothing is added: a query reads what it says. The
hand-written `org_id == actor.org_id` filters stay where they say what a query is about (the permission
table's row filter, a service that may run outside a scope); the scope is the net under the rest.

What the scope covers — a session's `execute`/`scalars`/`scalar`/`get`, `Model.query`:
- every SELECT that names an `OrgOwned` entity, anywhere in it: the columns, joins, subqueries,
  EXISTS, aliases (`include_aliases`), joined and subquery eager loads;
- `session.get(Model, id)` when it has to ask the database: another organization's id is None;
- the relationship loads (lazy, selectin) of objects loaded inside the scope: the criterion travels
  with the objects it loaded (SQLAlchemy's `propagate_to_loaders`);
- ORM-enabled `update(Model)` / `delete(Model)` run through the session.

What it does not cover:
- an object already in the session: `session.get` and a many-to-one attribute return it from the
  identity map without SQL, and refreshing an expired object reloads that same row (column loads are
  left alone, or an object of another organization held by the session would vanish mid-request);
- relationship loads of objects loaded outside the scope (before it began, or under `installation()`);
- the unit of work's own INSERT/UPDATE/DELETE at flush: it writes the objects the session holds (the
  rules in services/ check that what they point at is of the same organization);
- an `insert()` run through the session, its `from_select` included;
- Core statements on tables (`student_parent`, `text()`, `db.engine`/connection `execute` — a SELECT of ORM
  columns run on a connection takes the net through `limited(statement)`, as reports/data.column_rows does) and the
  models that are not `OrgOwned` (Organization, User, StaffRole, SubgroupMember, the audit logs,
  login events): their filters stay written out.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.orm import Session, with_loader_criteria

from models.dialect import unindexed
from models.org import OrgOwned


@dataclass(frozen=True)
class Scope:
    org_id: int | None  # None: installation-wide, or several organizations (org_ids)
    reason: str = ""
    criteria: object = field(default=None, repr=False, compare=False)  # the option added to every query
    org_ids: tuple | None = None  # a regional scope: every query sees these organizations' rows only


def _criteria(org_id):
    # A filter, not a plan: the query keeps the indexes it was written for (models/dialect.py).
    return with_loader_criteria(OrgOwned, lambda cls: unindexed(cls.org_id) == org_id, include_aliases=True)


_current: ContextVar = ContextVar("org_scope", default=None)


def current():
    """The Scope in force, or None outside any scope."""
    return _current.get()


def current_org_id():
    """The organization every query is limited to now, or None (no scope, or installation-wide)."""
    scope = _current.get()
    return scope.org_id if scope is not None else None


def enter(org_id):
    """Limit every query to `org_id` until `leave(token)`; for hooks that cannot hold a `with`."""
    if org_id is None:
        raise ValueError("organization scope without an organization")
    return _current.set(Scope(org_id, criteria=_criteria(org_id)))


def _criteria_many(org_ids):
    return with_loader_criteria(OrgOwned, lambda cls: unindexed(cls.org_id).in_(org_ids), include_aliases=True)


def enter_many(org_ids):
    """Limit every query to the organizations `org_ids` (a regional specialist's scope, computed once by
    services/region/scope.py) until `leave(token)`; no organization: no row of any."""
    org_ids = tuple(sorted(set(org_ids)))
    return _current.set(Scope(None, "regional scope", criteria=_criteria_many(org_ids), org_ids=org_ids))


@contextmanager
def organizations(org_ids):
    """Every query inside sees only the rows of `org_ids` (a regional roll-up run as a job)."""
    token = enter_many(org_ids)
    try:
        yield
    finally:
        leave(token)


def leave(token):
    _current.reset(token)


@contextmanager
def organization(org_id):
    """Every query inside sees only `org_id`'s rows (a command or a job acting in one organization)."""
    token = enter(org_id)
    try:
        yield
    finally:
        leave(token)


@contextmanager
def installation(reason):
    """The one escape: the queries inside see every organization's rows. Say why."""
    if not reason:
        raise ValueError("installation-wide work must say why")
    token = _current.set(Scope(None, reason))
    try:
        yield
    finally:
        _current.reset(token)


def limited(statement):
    """`statement` with the criterion the session adds to a SELECT in the scope now (none outside a scope): for a
    SELECT of ORM columns run on the session's connection, which the session's hook does not see
    (reports/data.column_rows: rows without the ORM's per-row processing, the same net)."""
    scope = _current.get()
    return statement if scope is None or scope.criteria is None else statement.options(scope.criteria)


@event.listens_for(Session, "do_orm_execute")
def _limit_to_organization(state):
    scope = _current.get()
    if scope is None or scope.criteria is None:
        return
    # A column load refreshes a row the session already holds; a relationship load carries the
    # criterion of the statement that loaded its parent (propagate_to_loaders).
    if state.is_column_load or state.is_relationship_load:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(scope.criteria)


__all__ = ["Scope", "current", "current_org_id", "enter", "enter_many", "leave", "limited", "organization",
           "organizations", "installation"]
