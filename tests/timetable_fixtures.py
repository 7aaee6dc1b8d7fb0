"""A small timetable world on top of build_world(): subjects, rooms, subgroups, assignments, bells."""
from datetime import date
from types import SimpleNamespace

from sqlalchemy import select

from models import Role, TimetableEntry, User, db
from services.context import Actor
from tests.factories import make_staff, tt_assignment, tt_bells, tt_room, tt_subgroup, tt_subject


def actor_of(login):
    user = db.session.scalar(select(User).where(User.login == login))
    return Actor.for_user(user)


def build_timetable_world(world):
    """Org A: 5А (Math by Учителев, Russian by Классова, English in two groups by Иванов and
    Завучева), 6Б (Math by Учителев, Russian by Иванов); rooms 101, 102, 201; 7 bells."""
    a = world.a
    ns = SimpleNamespace(world=world, a=a, b=world.b)
    ns.math = tt_subject(a.org, "Математика")
    ns.rus = tt_subject(a.org, "Русский язык")
    ns.eng = tt_subject(a.org, "Английский язык")
    ns.r101, ns.r102, ns.r201 = (tt_room(a.org, n) for n in ("101", "102", "201"))
    ns.g1 = tt_subgroup(a.org, a.year, a.klass, ns.eng, "1 группа")
    ns.g2 = tt_subgroup(a.org, a.year, a.klass, ns.eng, "2 группа")
    ns.ivanov = make_staff(a.org, "Иванов", "Иван", [Role.TEACHER.value], "a.ivanov")
    ns.math5 = tt_assignment(a.org, a.year, a.klass, a.teacher, ns.math)
    ns.rus5 = tt_assignment(a.org, a.year, a.klass, a.class_teacher, ns.rus)
    ns.eng5_1 = tt_assignment(a.org, a.year, a.klass, ns.ivanov, ns.eng, ns.g1)
    ns.eng5_2 = tt_assignment(a.org, a.year, a.klass, a.deputy, ns.eng, ns.g2)
    ns.math6 = tt_assignment(a.org, a.year, a.other_class, a.teacher, ns.math)
    ns.rus6 = tt_assignment(a.org, a.year, a.other_class, ns.ivanov, ns.rus)
    ns.bells = tt_bells(a.org)
    # Org B has its own class, subject, room and teacher.
    b = world.b
    ns.b_math = tt_subject(b.org, "Математика")
    ns.b_room = tt_room(b.org, "101")
    ns.b_math5 = tt_assignment(b.org, b.year, b.klass, b.teacher, ns.b_math)
    tt_bells(b.org)
    db.session.commit()
    ns.deputy = actor_of("a.deputy")
    return ns


def entries_of(klass):
    return db.session.execute(select(TimetableEntry.weekday, TimetableEntry.number, TimetableEntry.assignment_id,
                                     TimetableEntry.room_id).where(TimetableEntry.class_id == klass.id)
                              .order_by(TimetableEntry.weekday, TimetableEntry.number,
                                        TimetableEntry.assignment_id)).all()


MON, TUE, WED, THU, FRI, SAT = 1, 2, 3, 4, 5, 6
# Dates of the world's year 2026/2027.
TUE_10_11 = date(2026, 11, 10)
