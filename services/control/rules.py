"""The regulations' deadlines as data (issue 17.5): the defaults (the seeds' values, in one place) and an
organization's own values (models.DeadlineRule, «Сроки регламента», edited by its administrator).

An organization without a row for a code keeps its default: existing organizations work after the upgrade
with no data moved, and a code added later is controlled at once. `load(org_id)` reads the rows once (one
statement) and answers every rule of the control page; `ensure_rows(org_id)` writes the missing rows for the
page that edits them. A rule's code, kind and reference are the product's; the administrator changes the
number of days (or the date), the title and whether it is controlled.
"""
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import inspect, select

from models import DeadlineRule, Organization, db
from services.errors import DomainError
from services.rules import validator
from services.terms import college_words

DAYS, CALENDAR_DAYS, DATE, EVERY = "days", "calendar_days", "date", "every"
KINDS = {DAYS: "рабочих дней после события", CALENDAR_DAYS: "календарных дней до события",
         DATE: "к дате учебного года", EVERY: "не реже раза в N календарных дней"}
MAX_DAYS = 60
MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
          "ноября", "декабря")


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    reference: str
    kind: str
    days: int | None = None
    month: int | None = None
    day: int | None = None
    from_day: int | None = None
    enabled: bool = True

    @property
    def term(self):
        """The rule's value in words: «3 раб. дн.», «до 31 августа», «1–7 сентября», «каждые 14 дн.»."""
        if self.kind == DAYS:
            return "в тот же день" if not self.days else f"{self.days} раб. дн."
        if self.kind == CALENDAR_DAYS:
            return f"за {self.days} дн."
        if self.kind == EVERY:
            return f"не реже 1 раза в {self.days} дн."
        month = MONTHS[(self.month or 1) - 1]
        return f"{self.from_day}–{self.day} {month}" if self.from_day else f"до {self.day} {month}"

    def date_in(self, start_year):
        """The rule's date in the academic year that begins in `start_year` (September … August)."""
        year = start_year if self.month >= 9 else start_year + 1
        return date(year, self.month, self.day)

    def window_in(self, start_year):
        """(first day, last day) of a «с … по …» rule in that academic year."""
        last = self.date_in(start_year)
        return (last.replace(day=self.from_day) if self.from_day else last), last

    @property
    def period(self):
        return timedelta(days=self.days or 0)


# The defaults: the seeds' values (seed 000 «Положение 000», seed 001 «Положение 001»).
DEFAULTS = {r.code: r for r in (
    Rule("card", "Карточка обучающегося после приказа о зачислении", "Положение 000 §4.2", DAYS, 1),
    Rule("card_data", "Сведения личного дела обучающихся", "Положение 001 §5.9", DATE, month=9, day=15),
    Rule("contingent_data", "Сведения для ФИС «Контингент» (первая неделя сентября)", "Положение 000 §4.3", DATE,
         month=9, day=7, from_day=1),
    Rule("staff_card", "Личное дело сотрудника после приёма на работу", "Положение 000 §4.2", DAYS, 3),
    Rule("accounts", "Учётные записи после зачисления или приёма", "Положение 001 §2.6", DAYS, 3),
    Rule("absences", "Причина пропуска после документа", "Положение 001 §8.5", DAYS, 2),
    Rule("lesson_topics", "Тема урока и посещаемость — в день урока", "Положение 001 §8.6", DAYS, 0),
    Rule("homework", "Домашнее задание — в день урока", "Положение 001 §8.10", DAYS, 0),
    Rule("period_marks", "Отметки за период — в последний день периода", "Положение 001 §8.7", DAYS, 0),
    Rule("planning", "Учебный план, КТП и расписание", "Положение 001 §§6.4, 6.6, 7.3", DATE, month=9, day=15),
    Rule("new_year", "Переход на новый учебный год и карточка организации", "Положение 001 §§3.3, 4.2", DATE,
         month=9, day=15),
    Rule("holidays", "Информация о каникулах до их начала", "Положение 001 §7.3", CALENDAR_DAYS, 14),
    Rule("order_enrollment", "Приказ о зачислении после события", "Положение 001 §9.2", DAYS, 3),
    Rule("order_withdrawal", "Приказ о выбытии после события", "Положение 001 §9.2", DAYS, 3),
    Rule("order_expulsion", "Приказ об отчислении после даты отчисления", "Положение 000 §4.2", DAYS, 1),
    Rule("year_orders", "Приказы о переводе на следующий год, второгодниках и выпуске 9-х классов",
         "Положение 001 §9.2", DATE, month=8, day=31),
    Rule("first_classes", "Приказы о формировании 1-х классов", "Положение 001 §9.2", DATE, month=9, day=7,
         from_day=1),
    Rule("class_period_reports", "Отчёты классного руководителя за учебный период после его окончания",
         "Положение 001 §10.4", DAYS, 1),
    Rule("teacher_period_report", "Отчёт учителя-предметника после окончания периода", "Положение 001 §10.4",
         DAYS, 1),
    Rule("summary_reports", "Сводные отчёты по школе после окончания периода", "Положение 001 §10.3", DAYS, 2),
    Rule("preliminary_report", "Предварительный отчёт классного руководителя", "Положение 001 §10.4", EVERY, 14),
    Rule("attendance_report", "Отчёт о посещаемости класса", "Положение 001 §10.4", EVERY, 31),
    Rule("students_summary", "«Итоговые данные по учащимся» и «Общие сведения об обучающихся»",
         "Положение 001 §10.4", DATE, month=10, day=1),
    Rule("journal_control", "Контроль ведения журналов («Анализ работы с журналом»)", "Положение 000 §5", EVERY,
         31),
    Rule("activity_report", "Отчёт по активности пользователей", "Положение 000 §6.1", EVERY, 14),
)}


class Rules:
    """An organization's rules: its rows over the defaults."""

    def __init__(self, rows=()):
        self.rules = dict(DEFAULTS)
        for row in rows:
            rule = rule_of(row)
            if rule is not None:
                self.rules[row.code] = rule

    def __getitem__(self, code):
        return self.rules[code]

    def on(self, code):
        return self.rules[code].enabled

    def days(self, code):
        return self.rules[code].days or 0


def rule_of(row):
    """A row of models.DeadlineRule as a Rule (its code's default where the row says nothing)."""
    base = DEFAULTS.get(row.code)
    if base is None:
        return None
    return replace(base, title=row.title or base.title, days=row.days, month=row.month, day=row.day,
                   from_day=row.from_day, enabled=bool(row.enabled))


def load(org_id):
    """The organization's rules (one statement)."""
    return Rules(db.session.scalars(select(DeadlineRule).where(DeadlineRule.org_id == org_id)).all())


def ensure_rows(org_id):
    """Add the organization's missing rows, with the defaults (the page that edits them lists every rule);
    whether anything was added."""
    have = set(db.session.scalars(select(DeadlineRule.code).where(DeadlineRule.org_id == org_id)))
    missing = [r for code, r in DEFAULTS.items() if code not in have]
    org = db.session.get(Organization, org_id) if missing else None
    words = college_words if org is not None and org.is_college else str
    for r in missing:
        db.session.add(DeadlineRule(org_id=org_id, code=r.code, title=words(r.title), reference=r.reference,
                                    kind=r.kind, days=r.days, month=r.month, day=r.day, from_day=r.from_day,
                                    enabled=r.enabled))
    if missing:
        db.session.flush()
    return bool(missing)


def _changed(obj, name):
    history = inspect(obj).attrs[name].history
    return history.deleted and history.deleted[0] != getattr(obj, name)


@validator(DeadlineRule, "control.deadline_rule")
def validate_rule(rule):
    errors, fields = [], {}

    def bad(field, message):
        errors.append(message)
        fields[field] = message

    base = DEFAULTS.get(rule.code)
    if base is None:
        raise DomainError("Срок не сохранён", ["Неизвестный код срока"])
    for name, label in (("code", "Код"), ("kind", "Вид срока"), ("reference", "Основание")):
        if _changed(rule, name):
            bad(name, f"Поле «{label}» изменить нельзя")
    rule.kind, rule.reference = base.kind, base.reference
    rule.title = (rule.title or "").strip()
    if not rule.title:
        bad("title", "Поле «Срок» обязательно")
    elif len(rule.title) > 300:
        bad("title", "Поле «Срок» — не длиннее 300 знаков")
    if base.kind in (DAYS, CALENDAR_DAYS, EVERY):
        low = 1 if base.kind == EVERY else 0
        if rule.days is None or not low <= rule.days <= MAX_DAYS:
            bad("days", f"Поле «Дней» — целое число от {low} до {MAX_DAYS}")
        rule.month = rule.day = rule.from_day = None
    else:
        rule.days = None
        if rule.month is None or not 1 <= rule.month <= 12:
            bad("month", "Поле «Месяц» — число от 1 до 12")
        elif rule.day is None or not 1 <= rule.day <= _month_days(rule.month):
            bad("day", f"Поле «Число» — от 1 до {_month_days(rule.month)}")
        elif rule.from_day is not None and not 1 <= rule.from_day <= rule.day:
            bad("from_day", f"Поле «С числа» — от 1 до {rule.day}")
        if base.from_day is None and rule.from_day is not None:
            bad("from_day", "У этого срока нет начала («С числа» оставьте пустым)")
    if rule.enabled is None:
        rule.enabled = True
    if errors:
        raise DomainError("Срок не сохранён", errors, fields)


def _month_days(month):
    return 29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31


RULES = (validate_rule,)
