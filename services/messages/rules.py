"""Who may write to whom (issue 16.1), as SQL conditions on `User.id`:

- a parent → the administration (admin, deputy, director), his children's class teachers and teachers;
- a student → his class teacher and teachers;
- a teacher (any staff member) → students and parents of the classes he teaches, colleagues (the staff of his
  organization);
- a class teacher → his class's students and parents, one by one or as a group («все родители 5А»);
- the administration → anyone in the organization, and groups (all staff, all teachers, the parents or the
  students of a grade or a class).

Blocked accounts and dismissed staff are never recipients (nor senders: a dismissed card gives no role).
"""
from dataclasses import dataclass

from sqlalchemy import false, or_, select

from models import (AcademicYear, Parent, Role, SchoolClass, Staff, StaffRole, Student, StudentStatus,
                    TeachingAssignment, User, db, student_parent)

ADMINISTRATION = (Role.ADMIN.value, Role.DEPUTY.value, Role.DIRECTOR.value)
STAFF_ROLES = (Role.ADMIN.value, Role.HR.value, Role.DEPUTY.value, Role.DIRECTOR.value, Role.TEACHER.value,
               Role.CLASS_TEACHER.value)


def _active(q, card):
    return q.join(User, User.id == card.user_id).where(User.is_blocked.is_(False))


def staff_users(org_id, staff_ids=None, roles=None):
    q = _active(select(Staff.user_id), Staff).where(Staff.org_id == org_id, Staff.dismissal_date.is_(None))
    if staff_ids is not None:
        q = q.where(Staff.id.in_(staff_ids))
    if roles is not None:
        q = q.where(Staff.id.in_(select(StaffRole.staff_id).where(StaffRole.role.in_(roles))))
    return q


def student_users(org_id, class_ids=None, grade=None):
    q = _active(select(Student.user_id), Student).where(Student.org_id == org_id,
                                                        Student.status == StudentStatus.STUDYING.value)
    if class_ids is not None:
        q = q.where(Student.class_id.in_(class_ids))
    if grade is not None:
        q = q.where(Student.class_id.in_(_grade_classes(org_id, grade)))
    return q


def parent_users(org_id, class_ids=None, grade=None):
    children = select(student_parent.c.parent_id).join(Student, Student.id == student_parent.c.student_id).where(
        Student.status == StudentStatus.STUDYING.value)
    if class_ids is not None:
        children = children.where(Student.class_id.in_(class_ids))
    if grade is not None:
        children = children.where(Student.class_id.in_(_grade_classes(org_id, grade)))
    return _active(select(Parent.user_id), Parent).where(Parent.org_id == org_id, Parent.id.in_(children))


def _open_classes(org_id):
    return select(SchoolClass.id).join(AcademicYear, AcademicYear.id == SchoolClass.year_id).where(
        SchoolClass.org_id == org_id, AcademicYear.is_closed.is_(False))


def _grade_classes(org_id, grade):
    return _open_classes(org_id).where(SchoolClass.grade == grade)


def _taught_classes(staff_id):
    return select(TeachingAssignment.class_id).where(TeachingAssignment.teacher_id == staff_id)


def _children_classes(actor):
    return select(Student.class_id).where(Student.id.in_(actor.child_ids))


def _class_teachers(class_ids):
    return select(SchoolClass.class_teacher_id).where(SchoolClass.id.in_(class_ids))


def _teachers_of(class_ids):
    return select(TeachingAssignment.teacher_id).where(TeachingAssignment.class_id.in_(class_ids))


def recipients_condition(actor):
    """The users `actor` may write to, as a condition on User.id (never himself)."""
    if actor is None or actor.org is None or actor.user is None or actor.user.is_blocked:
        return false()
    org_id, roles, parts = actor.org_id, actor.roles, []
    if roles & set(ADMINISTRATION):
        parts += [staff_users(org_id), student_users(org_id), parent_users(org_id)]
    if actor.staff_id and roles & set(STAFF_ROLES):
        taught = _taught_classes(actor.staff_id)
        parts += [staff_users(org_id), student_users(org_id, taught), parent_users(org_id, taught)]
    if Role.CLASS_TEACHER.value in roles and actor.own_class_ids:
        own = list(actor.own_class_ids)
        parts += [student_users(org_id, own), parent_users(org_id, own)]
    if Role.PARENT.value in roles and actor.child_ids:
        classes = _children_classes(actor)
        parts += [staff_users(org_id, roles=ADMINISTRATION), staff_users(org_id, _class_teachers(classes)),
                  staff_users(org_id, _teachers_of(classes))]
    if Role.STUDENT.value in roles and actor.student_id:
        classes = select(Student.class_id).where(Student.id == actor.student_id)
        parts += [staff_users(org_id, _class_teachers(classes)), staff_users(org_id, _teachers_of(classes))]
    if not parts:
        return false()
    return or_(*(User.id.in_(part) for part in parts)) & (User.id != actor.user_id)


def allowed_ids(actor, user_ids):
    """The ids of `user_ids` the actor may write to (one query)."""
    ids = {i for i in user_ids if isinstance(i, int)}
    if not ids:
        return set()
    return set(db.session.scalars(select(User.id).where(User.id.in_(ids), recipients_condition(actor))))


def choices(actor):
    """[(user id, name)] of everyone the actor may write to, by name (one query)."""
    return db.session.execute(select(User.id, User.display_name, User.login).where(recipients_condition(actor))
                              .order_by(User.display_name, User.id)).all()


@dataclass(frozen=True)
class Group:
    key: str  # "staff", "teachers", "parents", "students", "parents_grade:5", "parents_class:12" …
    label: str


def groups(actor):
    """The groups the actor may write to: the administration any, a class teacher his class's."""
    if actor is None or actor.org is None:
        return []
    out = []
    roles = actor.roles
    admin = bool(roles & set(ADMINISTRATION))
    if admin:
        college = actor.org.is_college
        out += [Group("staff", "Все сотрудники"), Group("teachers", "Все преподаватели" if college else "Все учителя"),
                Group("parents", "Все родители"), Group("students", "Все обучающиеся")]
        classes = db.session.execute(select(SchoolClass.id, SchoolClass.name, SchoolClass.grade).where(
            SchoolClass.id.in_(_open_classes(actor.org_id))).order_by(SchoolClass.grade, SchoolClass.name)).all()
        for grade in sorted({c.grade for c in classes if c.grade is not None}):
            of = f"{grade} курса" if college else f"{grade}-х классов"
            out += [Group(f"parents_grade:{grade}", f"Все родители {of}"),
                    Group(f"students_grade:{grade}", f"Все обучающиеся {of}")]
    elif Role.CLASS_TEACHER.value in roles and actor.own_class_ids:
        classes = db.session.execute(select(SchoolClass.id, SchoolClass.name, SchoolClass.grade).where(
            SchoolClass.id.in_(actor.own_class_ids)).order_by(SchoolClass.name)).all()
    else:
        classes = []
    for c in classes:
        out += [Group(f"parents_class:{c.id}", f"Все родители {c.name}"),
                Group(f"students_class:{c.id}", f"Все обучающиеся {c.name}")]
    return out


def group_members(actor, key):
    """(label, user ids) of a group the actor may write to; None for a group not his."""
    group = next((g for g in groups(actor) if g.key == key), None)
    if group is None:
        return None
    org_id = actor.org_id
    kind, _, arg = key.partition(":")
    number = int(arg) if arg.isdigit() else None
    query = {
        "staff": lambda: staff_users(org_id),
        "teachers": lambda: staff_users(org_id, roles=(Role.TEACHER.value,)),
        "parents": lambda: parent_users(org_id),
        "students": lambda: student_users(org_id),
        "parents_grade": lambda: parent_users(org_id, grade=number),
        "students_grade": lambda: student_users(org_id, grade=number),
        "parents_class": lambda: parent_users(org_id, [number]),
        "students_class": lambda: student_users(org_id, [number]),
    }[kind]()
    ids = set(db.session.scalars(select(User.id).where(User.id.in_(query), recipients_condition(actor))))
    return group.label, ids
