"""The journal's dictionaries of an organization: task types (with default weights) and
attendance codes. Seeded when an organization is created; `seed_journal_dictionaries` is
idempotent, so it also fills organizations made before the journal existed
(`seed_all_organizations`). The administrator edits both tables afterwards.
"""
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from models import AbsenceKind, AttendanceCode, Organization, TaskType, db
from services.errors import DomainError
from services.rules import validator

# (name, short name, default weight, mandatory by default, is homework)
TASK_TYPES = (
    ("Ответ на уроке", "Отв", "1", False, False),
    ("Домашнее задание", "ДЗ", "1", False, True),
    ("Самостоятельная работа", "СР", "2", False, False),
    ("Проверочная работа", "ПрР", "2", False, False),
    ("Диктант", "Дикт", "2", False, False),
    ("Тест", "Тест", "2", False, False),
    ("Практическая работа", "ПР", "2", False, False),
    ("Лабораторная работа", "ЛР", "2", False, False),
    ("Проект", "Пр", "2", False, False),
    ("Контрольная работа", "КР", "3", True, False),
    ("Контрольный диктант", "КД", "3", True, False),
    ("Сочинение", "Соч", "3", False, False),
    ("Изложение", "Изл", "3", False, False),
)

# (code, name, kind)
ATTENDANCE_CODES = (
    ("н", "Отсутствовал без уважительной причины", AbsenceKind.ABSENT.value),
    ("б", "Болел", AbsenceKind.ILL.value),
    ("у", "Отсутствовал по уважительной причине", AbsenceKind.EXCUSED.value),
    ("оп", "Опоздал", AbsenceKind.LATE.value),
)

MAX_WEIGHT = Decimal("10")


def seed_journal_dictionaries(org_id):
    """Add the standard task types and attendance codes an organization lacks (by name / code)."""
    have_types = set(db.session.scalars(select(TaskType.name).where(TaskType.org_id == org_id)))
    have_codes = set(db.session.scalars(select(AttendanceCode.code).where(AttendanceCode.org_id == org_id)))
    for order, (name, short, weight, mandatory, homework) in enumerate(TASK_TYPES, start=1):
        if name not in have_types:
            db.session.add(TaskType(org_id=org_id, name=name, short_name=short, default_weight=Decimal(weight),
                                    default_mandatory=mandatory, is_homework=homework,
                                    sort_order=order * 10, is_active=True))
    for order, (code, name, kind) in enumerate(ATTENDANCE_CODES, start=1):
        if code not in have_codes:
            db.session.add(AttendanceCode(org_id=org_id, code=code, name=name, kind=kind, sort_order=order * 10))


def seed_all_organizations():
    """Seed every organization of the installation (run once after an upgrade); returns their count."""
    org_ids = list(db.session.scalars(select(Organization.id).order_by(Organization.id)))
    for org_id in org_ids:
        seed_journal_dictionaries(org_id)
    db.session.flush()
    return len(org_ids)


def parse_weight(value):
    """A task weight from a form or a cell: '2', '1,5', 2 → Decimal; raises ValueError in Russian."""
    text = str(value if value is not None else "").strip().replace(",", ".")
    try:
        weight = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"«{value}» — не число") from None
    if not weight.is_finite() or weight <= 0 or weight > MAX_WEIGHT:
        raise ValueError("вес задания — число больше 0 и не больше 10")
    if weight != weight.quantize(Decimal("0.01")):
        raise ValueError("вес задания — не больше двух знаков после запятой")
    return weight.quantize(Decimal("0.01"))


@validator(TaskType, "journal.task_type")
def validate_task_type(task_type):
    """Refusals name the fields they are about (a model form marks them)."""
    errors, fields = [], {}

    def refuse(field, message):
        errors.append(message)
        fields.setdefault(field, message)

    task_type.name = (task_type.name or "").strip()
    task_type.short_name = (task_type.short_name or "").strip()
    if not task_type.name:
        refuse("name", "Поле «Название» обязательно")
    if not task_type.short_name:
        refuse("short_name", "Поле «Сокращение» обязательно")
    elif len(task_type.short_name) > 10:
        refuse("short_name", "Сокращение — не длиннее 10 знаков")
    try:
        task_type.default_weight = parse_weight(task_type.default_weight)
    except ValueError as exc:
        refuse("default_weight", f"Вес по умолчанию: {exc}")
    if task_type.name:
        twin = db.session.scalar(select(TaskType.id).where(
            TaskType.org_id == task_type.org_id, TaskType.name == task_type.name,
            TaskType.id != (task_type.id or 0)))
        if twin is not None:
            refuse("name", f"Тип задания «{task_type.name}» уже есть")
    if errors:
        raise DomainError("Тип задания не сохранён", errors, fields)


@validator(AttendanceCode, "journal.attendance_code")
def validate_attendance_code(code):
    """Refusals name the fields they are about (a model form marks them)."""
    errors, fields = [], {}

    def refuse(field, message):
        errors.append(message)
        fields.setdefault(field, message)

    code.code = (code.code or "").strip().lower()
    code.name = (code.name or "").strip()
    if not code.code:
        refuse("code", "Поле «Отметка» обязательно")
    elif len(code.code) > 5:
        refuse("code", "Отметка — не длиннее 5 знаков")
    if not code.name:
        refuse("name", "Поле «Значение» обязательно")
    if code.kind not in {k.value for k in AbsenceKind}:
        refuse("kind", "Укажите, что означает отметка: пропуск без причины, болезнь, уважительная причина "
                       "или опоздание")
    if code.code:
        twin = db.session.scalar(select(AttendanceCode.id).where(
            AttendanceCode.org_id == code.org_id, AttendanceCode.code == code.code,
            AttendanceCode.id != (code.id or 0)))
        if twin is not None:
            refuse("code", f"Отметка «{code.code}» уже есть")
    if errors:
        raise DomainError("Отметка посещаемости не сохранена", errors, fields)


RULES = (validate_task_type, validate_attendance_code)
