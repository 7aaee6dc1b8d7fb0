"""The journal's dictionaries, edited by the administrator: task types and attendance codes."""
from flask import flash
from sqlalchemy import select

from models import AbsenceKind, Attendance, AttendanceCode, Task, TaskType, db

from admin_views.base import SecureModelView

JOURNAL = "Журнал"
ABSENCE_KINDS = AbsenceKind.choices()


class TaskTypeView(SecureModelView):
    view_key = "task_type"
    column_list = ("name", "short_name", "default_weight", "default_mandatory", "is_homework", "sort_order",
                   "is_active")
    column_default_sort = [("sort_order", False), ("name", False)]
    column_searchable_list = ("name",)
    form_columns = ("name", "short_name", "default_weight", "default_mandatory", "is_homework", "sort_order",
                    "is_active")
    column_descriptions = {
        "default_weight": "Число больше 0 и не больше 10; учитель может изменить вес отдельного задания.",
        "default_mandatory": "Без отметки за обязательное задание у ученика в журнале точка — долг.",
        "is_active": "Снимите отметку, чтобы тип больше не предлагался; прежние задания сохранятся.",
        "short_name": "Заголовок столбца в журнале, до 10 знаков.",
    }
    form_args = {"default_weight": {"places": 2}}

    def delete_model(self, model):
        if db.session.scalar(select(Task.id).where(Task.type_id == model.id).limit(1)) is not None:
            flash(f"Тип «{model.name}» уже использован в журналах: снимите отметку «Используется» вместо удаления.",
                  "error")
            return False
        return super().delete_model(model)


class AttendanceCodeView(SecureModelView):
    view_key = "attendance_code"
    column_list = ("code", "name", "kind", "sort_order")
    column_default_sort = [("sort_order", False), ("code", False)]
    form_columns = ("code", "name", "kind", "sort_order")
    column_choices = {"kind": ABSENCE_KINDS}
    form_choices = {"kind": ABSENCE_KINDS}
    column_descriptions = {"code": "Как отметка выглядит в журнале: «н», «б», «у», «оп» — до 5 знаков."}

    def delete_model(self, model):
        if db.session.scalar(select(Attendance.id).where(Attendance.code_id == model.id).limit(1)) is not None:
            flash(f"Отметка «{model.code}» уже стоит в журналах и не удаляется.", "error")
            return False
        return super().delete_model(model)


def views():
    """The secure model views of this domain; admin_views/registry.py registers them."""
    return [
        TaskTypeView(TaskType, "Типы заданий", JOURNAL, "task_type", "/task-types"),
        AttendanceCodeView(AttendanceCode, "Отметки посещаемости", JOURNAL, "attendance_code",
                           "/attendance-codes"),
    ]


def pages():
    return []
