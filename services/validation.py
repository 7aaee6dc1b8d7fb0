"""Checks of single values: СНИЛС, names, documents, dates. Messages in Russian."""
import re
from services import clock

NAME_RE = re.compile(r"^[А-ЯЁа-яё][А-ЯЁа-яё' \-]*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{5,20}$")


def normalize_snils(value):
    """Return СНИЛС as 'XXX-XXX-XXX YY' or raise ValueError with a Russian message."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) != 11:
        raise ValueError("СНИЛС должен содержать 11 цифр (формат XXX-XXX-XXX YY).")
    number, control = digits[:9], int(digits[9:])
    if int(number) > 1001998:
        total = sum(int(d) * (9 - i) for i, d in enumerate(number))
        expected = total % 101
        if expected == 100:
            expected = 0
        if control != expected:
            raise ValueError("СНИЛС не прошёл проверку контрольной суммы.")
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}"


def snils_with_checksum(nine_digits):
    """Complete nine digits with their control number (for demo data and tests)."""
    total = sum(int(d) * (9 - i) for i, d in enumerate(nine_digits))
    control = total % 101
    if control == 100:
        control = 0
    return normalize_snils(f"{nine_digits}{control:02d}")


def age_on(birth_date, on):
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def check_name(value, label, errors, required=True):
    value = (value or "").strip()
    if not value:
        if required:
            errors.append(f"Поле «{label}» обязательно")
        return
    if not NAME_RE.match(value):
        errors.append(f"Поле «{label}» должно содержать только русские буквы, пробел или дефис")


def check_email(value, errors):
    if value and not EMAIL_RE.match(value.strip()):
        errors.append("Адрес электронной почты указан неверно")


def check_phone(value, errors):
    if value and not PHONE_RE.match(value.strip()):
        errors.append("Телефон указан неверно (цифры, пробелы, скобки, дефис, «+»)")


def check_not_future(value, label, errors, today=None):
    if value and value > (today or clock.today()):  # callers pass the record's today (dates.today)
        errors.append(f"«{label}» не может быть в будущем")
