"""Builders of test data through the domain services (rules run on every flush)."""
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from models import (AcademicYear, Parent, ParentRelation, Period, Role, SchoolClass, Staff, Student, db)
from services import accounts, orgs
from services.validation import snils_with_checksum

PASSWORD = "test-pass-123"
_counter = {"snils": 100_000_000, "file": 0}


def next_snils():
    _counter["snils"] += 7
    return snils_with_checksum(f"{_counter['snils']:09d}")


def account(card, login):
    user, _ = accounts.new_user(login, card.full_name, PASSWORD, must_change=False)
    card.user = user
    return user


def make_org(prefix, kind="school", start_year=2026):
    org = orgs.create_organization(kind=kind, full_name=f"Организация {prefix.upper()}",
                                   short_name=f"Орг {prefix.upper()}")
    year = AcademicYear(org_id=org.id, name=f"{start_year}/{start_year + 1}",
                        start_date=date(start_year, 9, 1), end_date=date(start_year + 1, 6, 30))
    db.session.add(year)
    db.session.flush()
    period = Period(org_id=org.id, year_id=year.id, type="quarter", number=2, name="2 четверть",
                    start_date=date(start_year, 11, 5), end_date=date(start_year, 12, 28))
    db.session.add(period)
    return org, year, period


def make_staff(org, last, first, roles=(), login=None, sex="m"):
    card = Staff(org_id=org.id, last_name=last, first_name=first, middle_name="Петрович" if sex == "m" else "Петровна",
                 sex=sex, hire_date=date(2020, 8, 25))
    card.role_codes = list(roles)
    db.session.add(card)
    if login:
        account(card, login)
    db.session.flush()
    return card


def make_class(org, year, name, grade, teacher=None):
    klass = SchoolClass(org_id=org.id, year_id=year.id, name=name, grade=grade,
                        class_teacher_id=teacher.id if teacher else None)
    db.session.add(klass)
    db.session.flush()
    return klass


def make_student(org, klass, last, first, login=None, birth=date(2015, 3, 1), **extra):
    _counter["file"] += 1
    card = Student(org_id=org.id, class_id=klass.id, last_name=last, first_name=first,
                   middle_name="Иванович", sex="m", birth_date=birth, snils=next_snils(),
                   personal_file_number=f"Л-{_counter['file']}", enrollment_order_number="12-у",
                   enrollment_order_date=date(2026, 8, 28), **extra)
    db.session.add(card)
    if login:
        account(card, login)
    db.session.flush()
    return card


def make_parent(org, children, last, first, login=None):
    card = Parent(org_id=org.id, last_name=last, first_name=first, middle_name="Ивановна",
                  relation=ParentRelation.MOTHER.value)
    card.children = list(children)
    db.session.add(card)
    if login:
        account(card, login)
    db.session.flush()
    return card


def build_org(prefix, kind="school"):
    """One organization with a person in every role; logins are '<prefix>.<role>'."""
    org, year, period = make_org(prefix, kind)
    ns = SimpleNamespace(org=org, year=year, period=period, prefix=prefix)
    ns.admin = make_staff(org, "Админов", "Антон", [Role.ADMIN.value], f"{prefix}.admin")
    ns.hr = make_staff(org, "Кадрова", "Анна", [Role.HR.value], f"{prefix}.hr", sex="f")
    ns.deputy = make_staff(org, "Завучева", "Вера", [Role.DEPUTY.value, Role.TEACHER.value], f"{prefix}.deputy", sex="f")
    ns.director = make_staff(org, "Директоров", "Дмитрий", [Role.DIRECTOR.value], f"{prefix}.director")
    ns.teacher = make_staff(org, "Учителев", "Тимур", [Role.TEACHER.value], f"{prefix}.teacher")
    ns.class_teacher = make_staff(org, "Классова", "Клара", [Role.TEACHER.value], f"{prefix}.class_teacher", sex="f")
    ns.klass = make_class(org, year, "5А", 5, ns.class_teacher)
    ns.other_class = make_class(org, year, "6Б", 6, ns.teacher if False else None)
    ns.student = make_student(org, ns.klass, "Учеников", "Пётр", f"{prefix}.student")
    ns.classmate = make_student(org, ns.klass, "Соседов", "Семён")
    ns.stranger = make_student(org, ns.other_class, "Чужов", "Игорь", birth=date(2014, 5, 5))
    ns.parent = make_parent(org, [ns.student], "Ученикова", "Мария", f"{prefix}.parent")
    ns.stranger_parent = make_parent(org, [ns.stranger], "Чужова", "Ольга")
    ns.logins = {role: f"{prefix}.{role}" for role in
                 ("admin", "hr", "deputy", "director", "teacher", "class_teacher", "student", "parent")}
    return ns


def build_world():
    root, _ = accounts.new_user("root", "Администратор установки", PASSWORD, must_change=False,
                                superadmin=True)
    a = build_org("a")
    b = build_org("b")
    db.session.commit()
    return SimpleNamespace(a=a, b=b, root="root")
