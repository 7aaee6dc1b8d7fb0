"""Who is acting: the user, the organization he works in now, and his roles there."""
from dataclasses import dataclass, field
from functools import cache, cached_property

from sqlalchemy import Integer, String, bindparam, cast, literal, null, select, union_all

from services.region import scope as region_scope
from models import Organization, Parent, Role, SchoolClass, Staff, StaffRole, Student, db, scope, student_parent


def memberships(user_id):
    """(organization, card kind, card id) of every card a user holds, in one query."""
    cards = union_all(
        select(Staff.org_id.label("org_id"), literal("staff").label("kind"), Staff.id.label("card_id"))
        .where(Staff.user_id == user_id, Staff.dismissal_date.is_(None)),
        select(Student.org_id, literal("student"), Student.id).where(Student.user_id == user_id),
        select(Parent.org_id, literal("parent"), Parent.id).where(Parent.user_id == user_id),
    ).subquery()
    with scope.installation("a user's cards in every organization"):
        return db.session.execute(select(Organization, cards.c.kind, cards.c.card_id)
                                  .join(cards, cards.c.org_id == Organization.id)).all()


def memberships_and_staff_facts(user_id):
    """memberships() and, for every staff card, its functions and the classes it leads, in one
    query: rows (organization, kind, card id, role, class id), kind "staff"/"student"/"parent" for
    the cards, "role" and "class" for a staff card's facts (card id = the staff card)."""
    with scope.installation("a user's cards in every organization, for the switch between them"):
        return db.session.execute(_memberships_and_staff_facts(), {"user_id": user_id}).all()


@cache
def _memberships_and_staff_facts():
    """The statement of memberships_and_staff_facts (bound: user_id), built once: every signed-in request
    reads it, and building its union anew cost more than running it (issue 20.4)."""
    user_id = bindparam("user_id")
    no_role, no_class = cast(null(), String(40)), cast(null(), Integer)
    staff = (Staff.user_id == user_id, Staff.dismissal_date.is_(None))
    rows = union_all(
        select(Staff.org_id.label("org_id"), literal("staff").label("kind"), Staff.id.label("card_id"),
               no_role.label("role"), no_class.label("class_id")).where(*staff),
        select(Student.org_id, literal("student"), Student.id, no_role, no_class).where(Student.user_id == user_id),
        select(Parent.org_id, literal("parent"), Parent.id, no_role, no_class).where(Parent.user_id == user_id),
        select(Staff.org_id, literal("role"), Staff.id, StaffRole.role, no_class)
        .join(StaffRole, StaffRole.staff_id == Staff.id).where(*staff),
        select(Staff.org_id, literal("class"), Staff.id, no_role, SchoolClass.id)
        .join(SchoolClass, SchoolClass.class_teacher_id == Staff.id).where(*staff),
    ).subquery()
    return select(Organization, rows.c.kind, rows.c.card_id, rows.c.role, rows.c.class_id) \
        .join(rows, rows.c.org_id == Organization.id)


def staff_roles_and_classes(staff_id):
    """The functions written on a staff card and the classes he leads, in one query."""
    rows = db.session.execute(union_all(
        select(literal("role").label("what"), StaffRole.role.label("role"),
               literal(None).label("class_id")).where(StaffRole.staff_id == staff_id),
        select(literal("class"), literal(None), SchoolClass.id).where(SchoolClass.class_teacher_id == staff_id),
    )).all()
    roles = frozenset(r.role for r in rows if r.what == "role")
    classes = tuple(sorted(r.class_id for r in rows if r.what == "class"))
    return roles, classes


@dataclass
class Actor:
    user: object | None
    org: Organization | None
    staff_id: int | None = None
    student_id: int | None = None
    parent_id: int | None = None
    org_ids: tuple = ()
    orgs: tuple = ()  # every organization the user works in, for the header's switch
    system: bool = False
    # A regional specialist acting in no organization (services/region/scope.py): his card, and the ids of
    # his scope's organizations — None for everyone else.
    region_staff_id: int | None = None
    region_org_ids: tuple | None = None
    _roles: frozenset | None = field(default=None, repr=False)

    @cached_property
    def user_id(self):
        # Kept once: reading user.id after a commit would reload the row and flush the session.
        return self.user.id if self.user is not None else None

    @property
    def org_id(self):
        return self.org.id if self.org is not None else None

    @cached_property
    def _staff_facts(self):
        if not self.staff_id:
            return frozenset(), ()
        return staff_roles_and_classes(self.staff_id)

    @property
    def own_class_ids(self):
        """Classes where this person is the class teacher (куратор)."""
        return self._staff_facts[1]

    @cached_property
    def child_ids(self):
        if not self.parent_id:
            return ()
        return tuple(db.session.scalars(
            select(student_parent.c.student_id).where(student_parent.c.parent_id == self.parent_id)))

    @property
    def roles(self):
        if self._roles is None:
            roles = set()
            if self.user is not None and self.user.is_superadmin:
                roles.add(Role.SUPERADMIN.value)
            if self.staff_id:
                roles.update(self._staff_facts[0])
                if self.own_class_ids:
                    roles.add(Role.CLASS_TEACHER.value)
            if self.student_id:
                roles.add(Role.STUDENT.value)
            if self.parent_id:
                roles.add(Role.PARENT.value)
            if self.region_staff_id and self.org is None:
                roles.add(Role.REGION.value)
            self._roles = frozenset(roles)
        return self._roles

    def has(self, *roles):
        return bool(self.roles.intersection(r.value if isinstance(r, Role) else r for r in roles))

    @classmethod
    def for_user(cls, user, wanted_org_id=None):
        # One statement: the cards, and the functions and classes of the staff cards (read by
        # almost every staff request; loading them here saves a second round trip).
        rows = memberships_and_staff_facts(user.id)
        orgs = {org.id: org for org, *_ in rows}
        org_ids = tuple(sorted(orgs))
        org_id = wanted_org_id if wanted_org_id in org_ids else (org_ids[0] if org_ids else None)
        cards = {kind: card_id for o, kind, card_id, _, _ in rows
                 if o.id == org_id and kind in ("staff", "student", "parent")}
        org = orgs.get(org_id)
        actor = cls(user=user, org=org, staff_id=cards.get("staff"), student_id=cards.get("student"),
                    parent_id=cards.get("parent"), org_ids=org_ids, orgs=tuple(orgs.values()))
        if actor.staff_id:
            mine = [r for r in rows if r[2] == actor.staff_id]
            actor.__dict__["_staff_facts"] = (
                frozenset(r[3] for r in mine if r[1] == "role"),
                tuple(sorted({r[4] for r in mine if r[1] == "class"})))
        if org is None and not user.is_superadmin:
            # No organization's card: perhaps a regional specialist (one statement, only for such users).
            card = region_scope.card_of(user.id)
            if card is not None:
                actor.region_staff_id, actor.region_org_ids = card[0], card[3]
        actor.user_id  # noqa: B018 — read while the user row is fresh
        return actor

    @classmethod
    def system_actor(cls, org=None):
        """The operator at the command line: domain rules apply, role checks do not."""
        return cls(user=None, org=org, system=True, _roles=frozenset())


def organizations_of(actor):
    """The organizations the actor can switch between, by name (for the header)."""
    if actor is None:
        return []
    return sorted(actor.orgs, key=lambda o: o.short_name)
