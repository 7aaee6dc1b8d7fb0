"""The organization, its academic years, periods, holidays and classes."""
import re

from sqlalchemy import select

from models import (AcademicYear, Holiday, OrgKind, Organization, Period, PeriodType, SchoolClass,
                    Staff, StaffRole, Role, db, scope)
from services.org.calendar import seed_official_calendar
from services.errors import DomainError
from services.journal.dictionaries import seed_journal_dictionaries
from services.rules import validator
from services import dates
from services.people.accounts import Credential, base_login, new_user, unique_login

YEAR_NAME_RE = re.compile(r"^(\d{4})/(\d{4})$")
MAX_GRADE = {OrgKind.SCHOOL.value: 11, OrgKind.COLLEGE.value: 6}


def _raise(errors, what):
    if errors:
        raise DomainError(f"{what} не сохранён(а)", errors)


@validator(Organization, "org.organization")
def validate_organization(org):
    errors = []
    if org.kind not in {k.value for k in OrgKind}:
        errors.append("Вид организации: школа или колледж")
    if not (org.full_name or "").strip():
        errors.append("Поле «Полное наименование» обязательно")
    if not (org.short_name or "").strip():
        errors.append("Поле «Краткое наименование» обязательно")
    if org.rounding_threshold is not None and not 0 < org.rounding_threshold < 1:
        errors.append("Порог округления — число от 0,01 до 0,99 (обычно 0,50 или 0,60)")
    if org.inn and not (org.inn.isdigit() and len(org.inn) in (10, 12)):
        errors.append("ИНН — 10 или 12 цифр")
    if org.accreditation_date and org.accreditation_valid_until and \
            org.accreditation_valid_until < org.accreditation_date:
        errors.append("Срок действия аккредитации раньше даты её выдачи")
    _raise(errors, "Карточка организации")


@validator(AcademicYear, "org.year")
def validate_year(year):
    errors = []
    match = YEAR_NAME_RE.match(year.name or "")
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        errors.append("Название учебного года — в виде «2025/2026»")
    if year.start_date and year.end_date:
        if year.start_date >= year.end_date:
            errors.append("Начало учебного года должно быть раньше конца")
        elif (year.end_date - year.start_date).days > 366:
            errors.append("Учебный год не может быть длиннее года")
        if match and year.start_date.year != int(match.group(1)):
            errors.append("Начало учебного года должно быть в году, с которого начинается название")
    else:
        errors.append("Укажите даты начала и конца учебного года")
    _raise(errors, "Учебный год")


@validator(Period, "org.period")
def validate_period(period):
    errors = []
    year = db.session.get(AcademicYear, period.year_id) if period.year_id else None
    if period.type not in {t.value for t in PeriodType}:
        errors.append("Неизвестный тип периода")
    if not (period.name or "").strip():
        errors.append("Поле «Название» обязательно")
    if year is None:
        errors.append("Укажите учебный год")
    elif period.start_date and period.end_date:
        if period.start_date > period.end_date:
            errors.append("Начало периода позже его конца")
        if period.start_date < year.start_date or period.end_date > year.end_date:
            errors.append(f"Период должен лежать внутри учебного года {year.name} "
                          f"({year.start_date:%d.%m.%Y}–{year.end_date:%d.%m.%Y})")
        overlap = db.session.scalar(select(Period).where(
            Period.year_id == year.id, Period.type == period.type, Period.id != (period.id or 0),
            Period.start_date <= period.end_date, Period.end_date >= period.start_date))
        if overlap is not None:
            errors.append(f"Период пересекается с периодом «{overlap.name}»")
    else:
        errors.append("Укажите даты начала и конца периода")
    _raise(errors, "Учебный период")


@validator(Holiday, "org.holiday")
def validate_holiday(holiday):
    errors = []
    year = db.session.get(AcademicYear, holiday.year_id) if holiday.year_id else None
    if not (holiday.name or "").strip():
        errors.append("Поле «Название» обязательно")
    if year is None:
        errors.append("Укажите учебный год")
    elif holiday.start_date and holiday.end_date:
        if holiday.start_date > holiday.end_date:
            errors.append("Начало каникул позже их конца")
        if holiday.start_date < year.start_date or holiday.end_date > year.end_date:
            errors.append("Каникулы должны лежать внутри учебного года")
    else:
        errors.append("Укажите даты каникул")
    if holiday.period_type and holiday.period_type not in {t.value for t in PeriodType}:
        errors.append("Неизвестный тип периода")
    if holiday.grade_from and holiday.grade_to and holiday.grade_from > holiday.grade_to:
        errors.append("Параллель «с» больше параллели «по»")
    _raise(errors, "Каникулы")


@validator(SchoolClass, "org.class")
def validate_class(klass):
    errors = []
    org = db.session.get(Organization, klass.org_id)
    top = MAX_GRADE[org.kind]
    if klass.grade is None or not 1 <= klass.grade <= top:
        word = "Курс" if org.is_college else "Параллель"
        errors.append(f"{word} — число от 1 до {top}")
    if not (klass.name or "").strip():
        errors.append("Поле «Название» обязательно")
    else:
        klass.name = klass.name.strip().upper() if not org.is_college else klass.name.strip()
        twin = db.session.scalar(select(SchoolClass.id).where(
            SchoolClass.year_id == klass.year_id, SchoolClass.name == klass.name,
            SchoolClass.id != (klass.id or 0)))
        if twin is not None:
            errors.append(f"В этом учебном году уже есть «{klass.name}»")
    if klass.year_id is None:
        errors.append("Укажите учебный год")
    if klass.max_students is not None and klass.max_students < 1:
        errors.append("Предельная наполняемость — положительное число")
    _raise(errors, "Класс (группа)")


def create_organization(**fields):
    org = Organization(**fields)
    db.session.add(org)
    initialize_organization(org)
    return org


def initialize_organization(org):
    """What every new institution starts with: the official working-day calendar and the journal's
    task types and attendance codes, each copied into its own editable tables (idempotent)."""
    db.session.flush()
    with scope.organization(org.id):  # made by the installation's administrator, who may work in another one
        seed_official_calendar(org.id)
        seed_journal_dictionaries(org.id)


def ensure_admin_role(staff):
    if Role.ADMIN.value not in staff.role_codes:
        staff.role_rows.append(StaffRole(role=Role.ADMIN.value))


def create_org_admin(org, last_name, first_name, middle_name, sex):
    """The first administrator of an organization: a staff card with the admin role and an account."""

    with scope.organization(org.id):  # the installation's administrator may work in another one
        staff = Staff(org_id=org.id, last_name=last_name.strip(), first_name=first_name.strip(),
                      middle_name=(middle_name or "").strip() or None, sex=sex, hire_date=dates.today(org))
        staff.role_codes = [Role.ADMIN.value]
        db.session.add(staff)
        db.session.flush()  # validates the card before an account is made for it
        user, password = new_user(unique_login(base_login(staff), set()), staff.full_name)
        staff.user = user
        db.session.flush()
    return Credential(str(org), staff.full_name, Role.ADMIN.label, user.login, password)


RULES = (validate_organization, validate_year, validate_period, validate_holiday, validate_class)
