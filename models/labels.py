"""Column labels, declared once on the models: each model's `__labels__` ({attribute: label}), a
mixin's too (a person's name, sex, birth date …), and the fields many models share (`SHARED`).
admin_views/base.py builds a model view's `column_labels` from `labels_of(model)` merged with the
view's own, which names only labels that differ. A label that depends on the kind of organization
(класс / группа, предмет / дисциплина) is a `services.terms.KindText`, resolved when it is rendered.
"""
from sqlalchemy import inspect as sa_inspect

from services.terms import KindText

# Labelled once here, on every model that has the attribute (the part before a dot).
SHARED = {
    "year": "Учебный год", "year.name": "Учебный год",
    "klass": KindText("class"), "klass.name": KindText("class"),
    "grade": KindText("grade"),
    "subject": KindText("subject"), "subject.name": KindText("subject"),
    "sort_order": "Порядок",
    "organization": "Организация",
    "user": "Учётная запись",
    "created_at": "Создано",
    "shift": "Смена",
}

# What the change log names (a column's key) that no page labels: the journal's rows, the bookkeeping
# columns. Looked up after the model's own labels (field_label).
LOGGED = {
    "year_id": "Учебный год", "student_id": KindText("student"), "class_id": KindText("class"),
    "subject_id": KindText("subject"), "teacher_id": KindText("teacher"), "room_id": "Кабинет",
    "lesson_id": "Урок", "period_id": "Учебный период", "task_id": "Задание", "type_id": "Тип задания",
    "code_id": "Отметка посещаемости", "exam_entry_id": "Экзамен", "order_id": "Приказ",
    "assignment_id": "Нагрузка", "curriculum_id": "Учебный план", "from_class_id": "Из класса (группы)",
    "to_class_id": "В класс (группу)", "value": "Значение", "comment": "Комментарий", "note": "Примечание",
    "reason": "Причина", "reason_note": "Причина отсутствия", "document_date": "Дата документа",
    "kind": "Вид", "slot": "Вид отметки", "summary": "Итог", "step": "Шаг", "topic": "Тема", "weight": "Вес",
    "is_mandatory": "Обязательное", "position": "Порядок", "number": "№", "weekday": "День недели",
    "subgroup_key": "Подгруппа", "card": "Карточка", "destination": "Куда выбыл", "prev_status": "Прежний статус",
    "component": "Часть плана", "hours_per_week": "Часов в неделю", "period1_hours": "Часов в 1-м периоде",
    "period2_hours": "Часов во 2-м периоде", "set_at": "Выставлена", "set_by_id": "Кто выставил",
    "created_by_id": "Кто создал", "updated_at": "Изменено", "updated_by_id": "Кто изменил",
    "reason_set_at": "Причина указана", "reason_set_by_id": "Кто указал причину", "done_at": "Выполнено",
    "done_by_id": "Кто выполнил", "password_hash": "Пароль", "is_superadmin": "Администратор установки",
    "session_token": "Сеанс",
}


def labels_of(model):
    """{attribute: label} of a model: the shared ones it has, then its classes' `__labels__` (a mixin's
    first, the model's own last)."""
    labels = {key: label for key, label in SHARED.items() if hasattr(model, key.split(".")[0])}
    for cls in reversed(model.__mro__):
        labels.update(vars(cls).get("__labels__", {}))
    return labels


def field_label(model, key):
    """The Russian label of a model's attribute as the change log stores it (a column's key: `class_id`, or a
    list relation's: `roles`): its own label, else the label of the relation that column holds; None when
    the model labels neither (nor LOGGED)."""
    labels = labels_of(model)
    if key in labels:
        return str(labels[key])
    for relation in sa_inspect(model).relationships:
        if relation.key in labels and any(column.key == key for column in relation.local_columns):
            return str(labels[relation.key])
    return str(LOGGED[key]) if key in LOGGED else None
