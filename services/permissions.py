"""The one permission table: per view, per role, the verbs allowed and the rows they reach.

Menus, views, actions, exports and services all read it. A role's row filter is
ANDed with the organization scope (rows of the organization the user works in
now) unless the grant is installation-wide; the filters of all the actor's roles
that grant a verb are ORed.
"""
from dataclasses import dataclass
from typing import Callable

from flask import abort
from sqlalchemy import false, or_, select, true

from models import (AuditLog, LoginEvent, Organization, Parent, Role, SchoolClass, Staff, Student,
                    User, student_parent)
from services.errors import PermissionDenied

READ = frozenset({"list", "details"})
CRUD = READ | {"create", "edit", "delete"}
LOGIN_ACTIONS = frozenset({"issue_logins", "reset_password", "block", "unblock"})
VERBS = ("list", "details", "create", "edit", "delete", "export", *sorted(LOGIN_ACTIONS))


@dataclass(frozen=True)
class Grant:
    verbs: frozenset
    rows: Callable | None = None  # actor -> SQL condition; None: every row of the organization
    installation: bool = False  # not limited to the current organization

    def __init__(self, verbs, rows=None, installation=False):
        object.__setattr__(self, "verbs", frozenset(verbs))
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "installation", installation)


# Row filters ------------------------------------------------------------------

def own_organization(actor):
    return Organization.id == actor.org_id


def own_class_rows(actor):
    return SchoolClass.id.in_(actor.own_class_ids)


def own_class_students(actor):
    return Student.class_id.in_(actor.own_class_ids)


def own_class_parents(actor):
    return Parent.id.in_(
        select(student_parent.c.parent_id).join(Student, Student.id == student_parent.c.student_id)
        .where(Student.class_id.in_(actor.own_class_ids)))


def organization_users(actor):
    return or_(*(User.id.in_(select(card.user_id).where(card.org_id == actor.org_id,
                                                        card.user_id.is_not(None)))
                 for card in (Staff, Student, Parent)))


def organization_login_events(actor):
    return LoginEvent.user_id.in_(
        select(User.id).where(organization_users(actor)))


# -- row filters: planning (subjects, curriculum, assignments, subgroups, КТП) --
# -- end row filters: planning --

# -- row filters: timetable (bells, timetable, changes, exams, lessons) --
# -- end row filters: timetable --


A, HR, DEP, DIR, CT = Role.ADMIN.value, Role.HR.value, Role.DEPUTY.value, Role.DIRECTOR.value, Role.CLASS_TEACHER.value
T, ST, PA = Role.TEACHER.value, Role.STUDENT.value, Role.PARENT.value
SUPER = Role.SUPERADMIN.value

TABLE = {
    "organization": {
        SUPER: Grant(READ | {"create", "edit"}, installation=True),
        A: Grant(READ | {"edit"}, rows=own_organization),
        DEP: Grant(READ, rows=own_organization),
        DIR: Grant(READ, rows=own_organization),
        HR: Grant(READ, rows=own_organization),
    },
    "academic_year": {A: Grant(CRUD), DEP: Grant(READ), DIR: Grant(READ), HR: Grant(READ)},
    "period": {A: Grant(CRUD), DEP: Grant(READ), DIR: Grant(READ), HR: Grant(READ)},
    "holiday": {A: Grant(CRUD), DEP: Grant(CRUD), DIR: Grant(READ)},
    "calendar_day": {A: Grant(CRUD), DEP: Grant(READ), DIR: Grant(READ), HR: Grant(READ)},
    "room": {A: Grant(CRUD), DEP: Grant(READ)},
    "position": {A: Grant(CRUD), HR: Grant(READ)},
    "department": {A: Grant(CRUD), HR: Grant(CRUD), DEP: Grant(READ), DIR: Grant(READ)},
    "specialty": {A: Grant(CRUD), HR: Grant(CRUD), DEP: Grant(READ), DIR: Grant(READ)},
    "school_class": {
        A: Grant(CRUD | {"export"}), HR: Grant(CRUD | {"export"}),
        DEP: Grant(READ | {"export"}), DIR: Grant(READ | {"export"}),
        CT: Grant(READ, rows=own_class_rows),
    },
    "staff": {
        A: Grant(CRUD | {"export"} | LOGIN_ACTIONS), HR: Grant(CRUD | {"export"}),
        DEP: Grant(READ), DIR: Grant(READ),
    },
    "student": {
        A: Grant(CRUD | {"export"} | LOGIN_ACTIONS), HR: Grant(CRUD | {"export"}),
        DEP: Grant(READ), DIR: Grant(READ),
        CT: Grant(READ | {"edit"} | LOGIN_ACTIONS, rows=own_class_students),
    },
    "parent": {
        A: Grant(CRUD | {"export"} | LOGIN_ACTIONS), HR: Grant(CRUD | {"export"}),
        DEP: Grant(READ), DIR: Grant(READ),
        CT: Grant(READ | {"create", "edit"} | LOGIN_ACTIONS, rows=own_class_parents),
    },
    "user": {
        SUPER: Grant(READ | {"reset_password", "block", "unblock"}, installation=True),
        A: Grant(READ | {"reset_password", "block", "unblock"}, rows=organization_users),
    },
    "audit_log": {SUPER: Grant(READ | {"export"}, installation=True), A: Grant(READ | {"export"})},
    "login_event": {
        SUPER: Grant(READ | {"export"}, installation=True),
        A: Grant(READ | {"export"}, rows=organization_login_events, installation=True),
    },
    # -- planning --
    # -- end planning --
    # -- timetable --
    # -- end timetable --
}


def grants(actor, view, verb):
    """The grants of the actor's roles that allow `verb` on `view`."""
    table = TABLE[view]
    return [table[r] for r in sorted(actor.roles) if r in table and verb in table[r].verbs]


def allowed(actor, view, verb):
    if actor is None:
        return False
    return actor.system or bool(grants(actor, view, verb))


def row_condition(actor, view, verb, model):
    """The SQL condition that limits `model` rows to those `actor` may `verb`; raises if none."""
    if actor.system:
        return model.org_id == actor.org_id if actor.org is not None and hasattr(model, "org_id") else true()
    parts = []
    for grant in grants(actor, view, verb):
        conds = []
        if not grant.installation and hasattr(model, "org_id"):
            conds.append(model.org_id == actor.org_id)
        if grant.rows is not None:
            conds.append(grant.rows(actor))
        if not conds:
            return true()
        parts.append(conds[0] if len(conds) == 1 else conds[0] & conds[1])
    if not parts:
        raise PermissionDenied()
    return or_(*parts) if len(parts) > 1 else parts[0]


def require(actor, view, verb):
    if not allowed(actor, view, verb):
        raise PermissionDenied()


def scoped_ids(actor, view, verb, model, ids):
    """Re-select ids through the actor's rows: anything outside is silently dropped."""
    from models import db

    wanted = [int(i) for i in ids if str(i).isdigit()]
    if not wanted:
        return []
    cond = row_condition(actor, view, verb, model)
    return list(db.session.scalars(select(model.id).where(model.id.in_(wanted), cond).order_by(model.id)))


def require_rows(actor, view, verb, model, ids):
    """Every id must be reachable by the actor for the verb, or nothing happens."""
    ids = [int(i) for i in ids]
    if set(scoped_ids(actor, view, verb, model, ids)) != set(ids):
        raise PermissionDenied("Нет доступа к одной или нескольким выбранным записям.")
    return ids


def abort_unless(actor, view, verb):
    if not allowed(actor, view, verb):
        abort(403)
