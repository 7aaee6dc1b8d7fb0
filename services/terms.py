"""Words that follow the organization's kind: класс/группа, классный руководитель/куратор …"""
from flask import g, has_request_context

WORDS = {
    # key: (school, college)
    "class": ("Класс", "Группа"),
    "classes": ("Классы", "Группы"),
    "class_gen": ("класса", "группы"),
    "class_teacher": ("Классный руководитель", "Куратор"),
    "grade": ("Параллель", "Курс"),
    "period": ("Четверть", "Семестр"),
    "periods": ("Учебные периоды", "Семестры"),
    "subject": ("Предмет", "Дисциплина"),
    "subjects": ("Предметы", "Дисциплины"),
    "student": ("Ученик", "Студент"),
    "students": ("Ученики", "Студенты"),
    "students_count": ("Учеников", "Студентов"),
    "teacher": ("Учитель", "Преподаватель"),
    "exam_timetable": ("Расписание экзаменов", "Расписание сессии"),
}


def term(key, org=None):
    if org is None and has_request_context():
        actor = getattr(g, "actor", None)
        org = actor.org if actor else None
    school, college = WORDS[key]
    return college if org is not None and org.is_college else school


class KindText:
    """A label resolved when rendered, so one view serves schools and colleges."""

    def __init__(self, key):
        self.key = key

    def __str__(self):
        return term(self.key)

    def __html__(self):
        return str(self)

    def lower(self):
        return str(self).lower()

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(self.key)
