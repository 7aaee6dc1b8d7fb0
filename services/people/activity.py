"""Who uses the system (seed 000 §4.1, §4.3 «мониторинг использования», §6.1 every two weeks): the people of an
organization with their accounts, and the successful logins of those accounts in a range of local days.

A login is a successful row of the login journal (`LoginEvent.success`, written by `accounts.authenticate`
with the account's id); «последний вход» is `User.last_login_at`, set by the same login. An account belongs to
no organization (a person may have cards in several), so its logins count in every organization where he has a
card. A login «выдан» when the card has an account (`issue_logins` gives one and prints its slip; the slip
itself is kept only for one download).

`load_activity` reads it all in a fixed number of statements whatever the size of the organization: the
classes, the staff cards with their functions, the students, the parents (with their children's classes), and
the logins of the range counted per account — six statements.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from models import (LoginEvent, Parent, Role, SchoolClass, Staff, StaffRole, Student, StudentStatus, User, db,
                    student_parent)
from services import clock

STUDENT, PARENT, CLASS_TEACHER = Role.STUDENT.value, Role.PARENT.value, Role.CLASS_TEACHER.value
# The order of the roles in the report; a staff card without a function is «staff».
ROLE_ORDER = (Role.ADMIN.value, Role.DIRECTOR.value, Role.DEPUTY.value, Role.HR.value, Role.TEACHER.value,
              CLASS_TEACHER, "staff", STUDENT, PARENT)


@dataclass
class Person:
    """One card of the organization (a staff member, a student or a parent) and its account."""

    kind: str  # staff | student | parent
    card_id: int
    last_name: str
    first_name: str
    middle_name: str | None
    roles: tuple  # role codes (ROLE_ORDER), the card's
    class_ids: tuple  # a student's class; a parent's children's classes; the classes a class teacher leads
    user_id: int | None = None
    login: str | None = None
    issued_at: object = None  # the account's creation (naive UTC)
    last_login_at: object = None
    blocked: bool = False
    logins: int = 0  # successful logins in the range

    @property
    def id(self):  # a student's Person stands for his card where a report names him (Document.student_name)
        return self.card_id

    @property
    def issued(self):
        return self.user_id is not None

    @property
    def never(self):
        return self.last_login_at is None


@dataclass
class Activity:
    start: object
    end: object
    classes: list = field(default_factory=list)  # SchoolClass rows, by grade and name (class teachers loaded)
    people: list = field(default_factory=list)  # Person, staff first, then by class and name
    whole: bool = False  # the whole organization (staff included), not only some classes


def utc_bounds(org, start, end):
    """The stored (naive UTC) instants [from, to) of the local days start…end of the organization."""
    return clock.day_start(start, org), clock.day_start(end + timedelta(days=1), org)


def load_activity(org, year_id, start, end, class_condition=None, whole=True):
    """The organization's people and their logins from `start` to `end` (local days, both included).
    `class_condition`: the classes whose students and parents are taken (a permission's rows; None: every
    class); `whole`: the staff too. Classes are those of the year `year_id` and any class a studying student is
    in now (a student's class is his current one, `Student.class_id`)."""
    result = Activity(start=start, end=end, whole=whole)
    studying = Student.status == StudentStatus.STUDYING.value
    class_query = select(SchoolClass).where(SchoolClass.org_id == org.id, or_(
        SchoolClass.year_id == year_id,
        SchoolClass.id.in_(select(Student.class_id).where(Student.org_id == org.id, studying))))
    if class_condition is not None:
        class_query = class_query.where(class_condition)
    result.classes = db.session.scalars(class_query.options(joinedload(SchoolClass.class_teacher))
                                        .order_by(SchoolClass.grade, SchoolClass.name, SchoolClass.id)).unique().all()
    class_ids = [c.id for c in result.classes]
    order = {c.id: i for i, c in enumerate(result.classes)}
    account = (User.login, User.created_at, User.last_login_at, User.is_blocked)

    people = []
    user_conditions = []
    if whole:
        led = defaultdict(list)
        for klass in result.classes:
            if klass.class_teacher_id is not None and klass.year_id == year_id:
                led[klass.class_teacher_id].append(klass.id)
        staff_where = and_(Staff.org_id == org.id, or_(Staff.dismissal_date.is_(None),
                                                       Staff.dismissal_date > clock.today(org)))
        functions = defaultdict(set)
        for staff_id, role in db.session.execute(
                select(StaffRole.staff_id, StaffRole.role).join(Staff, Staff.id == StaffRole.staff_id)
                .where(staff_where)):
            functions[staff_id].add(role)
        for row in db.session.execute(
                select(Staff.id, Staff.last_name, Staff.first_name, Staff.middle_name, Staff.user_id, *account)
                .outerjoin(User, User.id == Staff.user_id).where(staff_where)):
            roles = set(functions[row.id]) | ({CLASS_TEACHER} if led.get(row.id) else set())
            people.append(_person("staff", row, tuple(r for r in ROLE_ORDER if r in roles) or ("staff",),
                                  tuple(led.get(row.id, ()))))
        user_conditions.append(select(Staff.user_id).where(staff_where))
    if class_ids:
        student_where = and_(Student.org_id == org.id, studying, Student.class_id.in_(class_ids))
        for row in db.session.execute(
                select(Student.id, Student.last_name, Student.first_name, Student.middle_name, Student.user_id,
                       Student.class_id, *account)
                .outerjoin(User, User.id == Student.user_id).where(student_where)):
            people.append(_person("student", row, (STUDENT,), (row.class_id,)))
        children = select(student_parent.c.parent_id, Student.class_id).join(
            Student, Student.id == student_parent.c.student_id).where(student_where).subquery()
        parents = {}
        for row in db.session.execute(
                select(Parent.id, Parent.last_name, Parent.first_name, Parent.middle_name, Parent.user_id,
                       children.c.class_id, *account)
                .join(children, children.c.parent_id == Parent.id)
                .outerjoin(User, User.id == Parent.user_id).where(Parent.org_id == org.id)):
            person = parents.get(row.id)
            if person is None:
                person = parents[row.id] = _person("parent", row, (PARENT,), ())
            if row.class_id not in person.class_ids:
                person.class_ids = tuple(sorted((*person.class_ids, row.class_id), key=order.get))
        people += parents.values()
        user_conditions += [
            select(Student.user_id).where(student_where),
            select(Parent.user_id).where(Parent.org_id == org.id, Parent.id.in_(select(children.c.parent_id)))
            ]

    if user_conditions:
        since, until = utc_bounds(org, start, end)
        counts = dict(db.session.execute(
            select(LoginEvent.user_id, func.count()).where(
                LoginEvent.success.is_(True), LoginEvent.at >= since, LoginEvent.at < until,
                or_(*(LoginEvent.user_id.in_(users) for users in user_conditions)))
            .group_by(LoginEvent.user_id)).all())
        for person in people:
            person.logins = counts.get(person.user_id, 0) if person.user_id is not None else 0

    kinds = {"staff": 0, "student": 1, "parent": 2}
    people.sort(key=lambda p: (p.kind != "staff", [order.get(c, len(order)) for c in p.class_ids] or [-1],
                               kinds[p.kind], p.last_name, p.first_name, p.middle_name or "", p.card_id))
    result.people = people
    return result


def _person(kind, row, roles, class_ids):
    return Person(kind=kind, card_id=row.id, last_name=row.last_name, first_name=row.first_name,
                  middle_name=row.middle_name, roles=roles, class_ids=class_ids, user_id=row.user_id,
                  login=row.login, issued_at=row.created_at, last_login_at=row.last_login_at,
                  blocked=bool(row.is_blocked))
