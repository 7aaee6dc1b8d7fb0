"""«Отчёт по активности пользователей» (seed 000 §6.1: every two weeks, about the 15th and the 30th; §4.1 the
administrator's and §4.3 the class teacher's monitoring of how the system is used): over a range of days
(by default the last two weeks up to today) the logins per role, per class (students and parents apart), per
user, and who has never logged in — with his class and whether his login was issued.

The administration (the key's "whole_org") sees the whole organization, staff included; a class teacher the
students and parents of his classes (the key's row filter). The figures are read by
services/people/activity.py in a fixed number of statements.
"""
from sqlalchemy import and_

from models import Role, SchoolClass
from reports.document import Column, date_range, person_name, slug
from reports.registry import report, report_document
from services import dates, permissions
from services.journal.figures import percent
from services.people import activity
from services.terms import for_kind, term

VIEW = "report_activity"
ADMINISTRATION = "Администрации"


def role_label(org, code):
    if code == "staff":
        return "Сотрудник (функции не назначены)"
    if code == Role.CLASS_TEACHER.value:
        return term("class_teacher", org)
    return for_kind(Role(code).label, org)


def _classes_text(person, names):
    return ", ".join(names[c] for c in person.class_ids if c in names)


def _roles_text(org, person):
    return ", ".join(role_label(org, code) for code in person.roles)


def _name(doc, person):
    return doc.student_name(person) if person.kind == "student" else person_name(person)


def _issued_text(person, org):
    if not person.issued:
        return "нет"
    text = f"да, {dates.format_date(person.issued_at, org)}" if person.issued_at else "да"
    return f"{text} (заблокирована)" if person.blocked else text


class _Tally:
    """One row of counts: people (cards), with an account, logged in within the range, never logged in, and the
    logins of their accounts within the range (an account counted once)."""

    def __init__(self):
        self.people, self.issued, self.active, self.never, self.users = 0, 0, 0, 0, {}

    def add(self, person):
        self.people += 1
        self.issued += person.issued
        self.active += person.logins > 0
        self.never += person.never
        if person.user_id is not None:
            self.users[person.user_id] = person.logins

    @property
    def logins(self):
        return sum(self.users.values())

    def values(self, share=True):
        row = [self.people, self.issued, self.active, self.never, self.logins]
        return row + [percent(self.active, self.issued)] if share else row


@report("user-activity", "Отчёт по активности пользователей", VIEW, params=("class", "from", "to"),
        group=ADMINISTRATION, recent_days=14,
        description="Раз в две недели: входы в систему по ролям, по классам (ученики и родители отдельно) и по "
                    "пользователям за диапазон дат (по умолчанию — последние две недели); кто ни разу не входил "
                    "и выдан ли ему логин")
def user_activity(actor, p):
    org = p.org
    whole = p.klass is None and permissions.allowed(actor, VIEW, "whole_org")
    condition = permissions.row_condition(actor, VIEW, "list", SchoolClass)
    if p.klass is not None:
        condition = and_(condition, SchoolClass.id == p.klass.id)
    data = activity.load_activity(org, p.year.id, p.start, p.end, condition, whole=whole)
    names = {c.id: c.name for c in data.classes}
    params = [("Даты", p.range_label)]
    if p.klass is not None:
        params.append((term("class", org), p.klass.name))
    elif not whole:
        params.append((term("classes", org), ", ".join(c.name for c in data.classes) or "нет"))
    doc = report_document("user-activity", p, params,
                          filename=slug("aktivnost", p.klass.name if p.klass else "",
                                        f"{p.start:%Y%m%d}", f"{p.end:%Y%m%d}"))
    _by_role(doc, org, data)
    _by_class(doc, org, data)
    _by_user(doc, org, data, names)
    _never(doc, org, data, names)
    return doc


def _counts_columns(first):
    return [Column(first, "int", 10), Column("Логин выдан", "int", 10), Column("Входили за период", "int", 11),
            Column("Ни разу не входили", "int", 11), Column("Входов за период", "int", 11)]


def _by_role(doc, org, data):
    sheet = doc.sheet("По ролям")
    table = sheet.table([Column("Роль", "text", 30)] + _counts_columns("Человек")
                        + [Column("Входили, % от выданных", "pct", 12)], title="Входы по ролям")
    tallies, total = {}, _Tally()
    for person in data.people:
        for code in person.roles:
            tallies.setdefault(code, _Tally()).add(person)
        total.add(person)
    for code in activity.ROLE_ORDER:
        if code in tallies:
            table.add([role_label(org, code)] + tallies[code].values())
    table.add(["Всего"] + total.values(), "total")
    if not data.people:
        sheet.text("Нет ни одного человека: отчёт пуст.", "note")
    note = (f"Входы — успешные входы в систему {date_range(data.start, data.end)} (журнал входов). Человек с "
            "несколькими ролями (учитель и классный руководитель) учтён в строке каждой роли, во «Всего» — "
            "каждая карточка один раз, а входы учётной записи — один раз. «Ни разу не входили» — и те, кому "
            "логин не выдан. Учётная запись действует во всех организациях, где у человека есть карточка, и "
            "её входы учитываются в каждой." + ("" if data.whole else " Сотрудники в отчёт не входят."))
    sheet.text(for_kind(note, org), "note")


def _by_class(doc, org, data):
    sheet = doc.sheet(f"По {'группам' if org.is_college else 'классам'}")
    students = term("students", org)
    columns = [Column("№", "int", 5), Column(term("class", org), "text", 12),
               Column(term("class_teacher", org), "text", 26)]
    columns += _counts_columns(students)[:3] + [Column("Входов за период", "int", 11)]
    columns += _counts_columns("Родители")[:3] + [Column("Входов за период", "int", 11)]
    table = sheet.table(columns, groups=[("", 3), (students, 4), ("Родители (законные представители)", 4)],
                        title=f"Входы по {'группам' if org.is_college else 'классам'}")
    per_class = {c.id: (_Tally(), _Tally()) for c in data.classes}
    total = (_Tally(), _Tally())
    for person in data.people:
        if person.kind == "staff":
            continue
        side = 0 if person.kind == "student" else 1
        for class_id in person.class_ids:
            if class_id in per_class:
                per_class[class_id][side].add(person)
        total[side].add(person)
    number = 0
    for klass in data.classes:
        kids, parents = per_class[klass.id]
        if not kids.people and not parents.people:
            continue
        number += 1
        table.add([number, klass.name, person_name(klass.class_teacher, short=True)]
                  + _four(kids) + _four(parents))
    table.add(["", "Всего", ""] + _four(total[0]) + _four(total[1]), "total")
    now_in, where = ("их нынешней группе", "группе") if org.is_college else ("их нынешнему классу", "классе")
    sheet.text(f"{term('students', org)} — обучающиеся сейчас, по {now_in}; родитель — в {where} каждого своего "
               "ребёнка (во «Всего» — один раз).", "note")


def _four(tally):
    people, issued, active, _, logins = tally.values(share=False)
    return [people, issued, active, logins]


def _by_user(doc, org, data, names):
    sheet = doc.sheet("По пользователям")
    table = sheet.table([Column("№", "int", 5), Column("ФИО", "text", 34), Column("Роль", "text", 26),
                         Column(term("class", org), "text", 12), Column("Логин", "text", 18),
                         Column("Входов за период", "int", 11), Column("Последний вход", "text", 17)],
                        title="Пользователи с выданным логином")
    number = 0
    for person in data.people:
        if not person.issued:
            continue
        number += 1
        table.add([number, _name(doc, person), _roles_text(org, person), _classes_text(person, names), person.login,
                   person.logins, dates.format_datetime(person.last_login_at, org) or "не входил(а)"],
                  "muted" if person.never else "")
    if not number:
        sheet.text("Логины не выданы никому.", "note")


def _never(doc, org, data, names):
    sheet = doc.sheet("Ни разу не входили")
    table = sheet.table([Column("№", "int", 5), Column("ФИО", "text", 34), Column("Роль", "text", 26),
                         Column(term("class", org), "text", 12), Column("Логин выдан", "text", 18),
                         Column("Логин", "text", 18)], title="Ни разу не входили в систему")
    number = 0
    for person in data.people:
        if not person.never:
            continue
        number += 1
        table.add([number, _name(doc, person), _roles_text(org, person), _classes_text(person, names),
                   _issued_text(person, org), person.login or ""], "" if person.issued else "muted")
    if not number:
        sheet.text("Все входили в систему хотя бы раз.", "note")
    sheet.text("«Логин выдан» — у карточки есть учётная запись (и дата её выдачи); «нет» — логин ещё не выдан "
               "(«Выдать логины» в списке учеников, родителей или сотрудников).", "note")
