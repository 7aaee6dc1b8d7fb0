"""Read-only journals of activity: changes, reads of personal data, logins; times in the
organization's time zone."""
from datetime import timedelta

from flask_admin.contrib.sqla.filters import DateBetweenFilter, FilterEqual, IntEqualFilter
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload

from models import AccessLog, AuditLog, LoginEvent, db
from models.labels import field_label
from services.terms import KindText
from services import clock, params

from admin_views import formatting
from admin_views.base import SecureModelView

ENTITY_LABELS = {
    "organization": "Организация", "academic_year": "Учебный год", "period": "Учебный период",
    "holiday": "Каникулы", "calendar_day": "Календарь", "school_class": KindText("class"),
    "staff": "Сотрудник", "student": "Обучающийся", "parent": "Родитель", "user_account": "Учётная запись",
    "teaching_assignment": KindText("teaching_assignment"), "curriculum": "Учебный план",
    "curriculum_line": "Строка учебного плана", "thematic_plan": "КТП", "subject": KindText("subject"),
    "mark": "Отметка", "attendance": "Посещаемость", "period_mark": "Отметка за период",
    "mark_flag": "Отметка ошибочна?", "lesson": "Урок", "task": "Задание", "bell": "Звонок",
    "timetable_entry": "Расписание", "timetable_change": "Замена", "exam_entry": "Экзамен",
    "movement_order": "Приказ", "class_membership": KindText("class_membership"),
    "movement_item": "Строка приказа", "exam_result": "Результат экзамена (зачёта)",
    "rollover_step": "Шаг перехода на новый учебный год", "semester_switch": "Переход в новый семестр",
    "data_request": "Запрос об исправлении данных",
    "announcement": "Объявление",
    "paper_report_request": "Заявление на бумажный отчёт",
    "deadline_rule": "Срок регламента",
    "material": "Учебный материал", "course": "Курс (учебные материалы)",
    "material_assignment": "Назначение учебного материала",
    "quiz": "Электронный тест", "quiz_question": "Вопрос теста", "quiz_assignment": "Назначение теста",
    "quiz_attempt": "Попытка теста", "quiz_answer": "Ответ на вопрос теста",
    "portfolio_entry": "Запись портфолио",
    "portfolio_project": "Проект (портфолио)",
    "portfolio_project_stage": "Этап проекта",
    "region": "Регион", "municipality": "Муниципалитет",
    "region_staff": "Специалист органа управления образованием",
}
MODELS_BY_TABLE = {mapper.class_.__tablename__: mapper.class_ for mapper in db.Model.registry.mappers
                   if hasattr(mapper.class_, "__tablename__")}
READ_KINDS = {**ENTITY_LABELS, "report": "Отчёт", "contingent": "Контингент (ФИС «Контингент»)"}
ACTION_LABELS = {"insert": "создание", "update": "изменение", "delete": "удаление",
                 "close": "закрытие периода", "reopen": "открытие периода", "close_year": "закрытие учебного года",
                 "denied": "отказ в доступе", "roles": "изменение прав (функций)"}


def _word(words, value):
    """A coded value's word; a list (a collection's ids, a project's participants) as it is."""
    return value if isinstance(value, (list, dict)) else words.get(value, value)


def _changed_fields(entry):
    """(label, old, new) of a change log entry, each field by its column's Russian label (models/labels.py),
    never the column's name."""
    model = MODELS_BY_TABLE.get(entry.entity)
    found = []
    for key, (old, new) in (entry.changes or {}).items():
        label = (field_label(model, key) if model is not None else None) or "Служебное поле"
        words = getattr(model, "__value_labels__", {}).get(key, {})  # a coded column: its words
        found.append((label, _word(words, old), _word(words, new)))
    return sorted(found, key=lambda item: item[0])


def _changes(view, context, model, name):
    rows = "".join(
        f"<tr><td>{escape(label)}</td><td>{escape(_show(old))}</td><td>{escape(_show(new))}</td></tr>"
        for label, old, new in _changed_fields(model))
    return Markup(f'<table class="table table-sm mb-0"><tr><th>Поле</th><th>Было</th><th>Стало</th></tr>{rows}</table>')


def _changes_text(view, context, model, name):
    return "; ".join(f"{label}: {_show(old)} → {_show(new)}" for label, old, new in _changed_fields(model))


def _show(value):
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def _local_time(view, context, model, name):
    return formatting.format_datetime(getattr(model, name))


def _day(text):
    day = params.parse_date(text.strip())
    if day is None:
        raise ValueError(text)
    return day


class LocalDaysFilter(DateBetweenFilter):
    """«с … по …» (дд.мм.гггг or the picker's ISO, one day alone too): the stored UTC instants of those
    days of the organization."""

    def clean(self, value):
        days = [_day(part) for part in value.split(" to ")]
        start, end = days if len(days) == 2 else (days[0], days[0])
        return start, end

    def validate(self, value):
        try:
            start, end = self.clean(value)
        except ValueError:
            return False
        return start <= end

    def apply(self, query, value, alias=None):
        start, end = value
        column = self.get_column(alias)
        return query.filter(column >= clock.day_start(start), column < clock.day_start(end + timedelta(days=1)))

    def operation(self):
        return "с … по …"


class ReadOnlyView(SecureModelView):
    column_default_sort = [("at", True), ("id", True)]  # newest first, in the order written
    column_formatters = {"at": _local_time}  # the export's too


class AuditLogView(ReadOnlyView):
    view_key = "audit_log"
    column_list = ("at", "user", "action", "entity", "summary", "address")
    column_details_list = ("at", "user", "action", "entity", "entity_id", "summary", "changes", "address")
    column_filters = (LocalDaysFilter(AuditLog.at, "Когда"), "entity", "action", "user.login", "entity_id")
    column_searchable_list = ("summary",)
    column_choices = {"entity": list(ENTITY_LABELS.items()), "action": list(ACTION_LABELS.items())}
    column_formatters_detail = {"at": _local_time, "changes": _changes}
    column_formatters_export = {"at": _local_time, "changes": _changes_text}
    column_export_list = ("at", "user", "action", "entity", "entity_id", "summary", "changes", "address")
    list_loader_options = (joinedload(AuditLog.user),)


class LoginEventView(ReadOnlyView):
    view_key = "login_event"
    column_list = column_details_list = ("at", "login", "success", "reason", "address")
    column_filters = (LocalDaysFilter(LoginEvent.at, "Когда"), "login", "success", "address")
    column_choices = {"reason": [("", ""), ("bad credentials", "неверный логин или пароль"),
                                 ("throttled", "слишком много попыток"), ("blocked", "заблокирован")]}
    list_loader_options = (joinedload(LoginEvent.user),)


class AccessLogView(ReadOnlyView):
    """«Журнал доступа»: who read whose personal data (a card, a list export, a report naming students,
    a diary, credential slips), apart from the change log."""

    view_key = "access_log"
    column_list = column_details_list = column_export_list = (
        "at", "user", "action", "object_kind", "object_id", "detail", "row_count", "address")
    column_filters = (LocalDaysFilter(AccessLog.at, "Когда"), "user.login",
                      FilterEqual(AccessLog.action, "Действие", options=list(AccessLog.ACTIONS.items())),
                      FilterEqual(AccessLog.object_kind, "Что", options=list(READ_KINDS.items())),
                      IntEqualFilter(AccessLog.object_id, "№ карточки"))
    column_searchable_list = ("detail",)
    column_choices = {"action": list(AccessLog.ACTIONS.items()), "object_kind": list(READ_KINDS.items())}
    list_loader_options = (joinedload(AccessLog.user),)
