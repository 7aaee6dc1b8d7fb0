"""Read-only journals of activity: changes and logins."""
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload

from models import AuditLog, LoginEvent

from admin_views.base import SecureModelView

ENTITY_LABELS = {
    "organization": "Организация", "academic_year": "Учебный год", "period": "Учебный период",
    "holiday": "Каникулы", "calendar_day": "Календарь", "school_class": "Класс (группа)",
    "staff": "Сотрудник", "student": "Обучающийся", "parent": "Родитель", "user_account": "Учётная запись",
    "teaching_assignment": "Нагрузка учителя", "curriculum": "Учебный план",
    "curriculum_line": "Строка учебного плана", "thematic_plan": "КТП", "subject": "Предмет",
    "mark": "Отметка", "attendance": "Посещаемость", "period_mark": "Отметка за период",
    "lesson": "Урок", "task": "Задание", "bell": "Звонок", "timetable_entry": "Расписание",
    "timetable_change": "Замена", "exam_entry": "Экзамен",
    "movement_order": "Приказ", "class_membership": "Состав класса",
}
ACTION_LABELS = {"insert": "создание", "update": "изменение", "delete": "удаление",
                 "close": "закрытие периода", "reopen": "открытие периода",
                 "denied": "отказ в доступе"}


def _changes(view, context, model, name):
    rows = "".join(
        f"<tr><td>{escape(field)}</td><td>{escape(_show(old))}</td><td>{escape(_show(new))}</td></tr>"
        for field, (old, new) in sorted((model.changes or {}).items()))
    return Markup(f'<table class="table table-sm mb-0"><tr><th>Поле</th><th>Было</th><th>Стало</th></tr>{rows}</table>')


def _show(value):
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


class ReadOnlyView(SecureModelView):
    column_default_sort = ("at", True)


class AuditLogView(ReadOnlyView):
    view_key = "audit_log"
    column_list = ("at", "user", "action", "entity", "summary", "address")
    column_details_list = ("at", "user", "action", "entity", "entity_id", "summary", "changes", "address")
    column_filters = ("at", "entity", "action", "user.login", "entity_id")
    column_searchable_list = ("summary",)
    column_choices = {"entity": list(ENTITY_LABELS.items()), "action": list(ACTION_LABELS.items())}
    column_formatters_detail = {"changes": _changes}
    column_export_list = ("at", "user", "action", "entity", "entity_id", "summary", "changes", "address")
    list_loader_options = (joinedload(AuditLog.user),)
    column_labels = {"at": "Когда (UTC)", "user": "Кто", "user.login": "Логин", "action": "Действие",
                     "entity": "Что", "entity_id": "№ записи", "summary": "Запись",
                     "changes": "Изменения", "address": "IP-адрес"}


class LoginEventView(ReadOnlyView):
    view_key = "login_event"
    column_list = column_details_list = ("at", "login", "success", "reason", "address")
    column_filters = ("at", "login", "success", "address")
    column_choices = {"reason": [("", ""), ("bad credentials", "неверный логин или пароль"),
                                 ("throttled", "слишком много попыток"), ("blocked", "заблокирован")]}
    list_loader_options = (joinedload(LoginEvent.user),)
    column_labels = {"at": "Когда (UTC)", "login": "Логин", "success": "Успешно",
                     "reason": "Причина отказа", "address": "IP-адрес"}
