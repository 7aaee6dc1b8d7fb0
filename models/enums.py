"""Enumerations stored as short strings; Russian labels live beside the codes."""
import enum


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry a Russian label."""

    def __new__(cls, value, label):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    def __str__(self):
        return self.label

    @classmethod
    def choices(cls):
        return [(m.value, m.label) for m in cls]


class OrgKind(LabelledEnum):
    SCHOOL = "school", "Школа"
    COLLEGE = "college", "Колледж / техникум (СПО)"


class PeriodType(LabelledEnum):
    QUARTER = "quarter", "Четверть"
    TRIMESTER = "trimester", "Триместр"
    HALF_YEAR = "half_year", "Полугодие"
    SEMESTER = "semester", "Семестр"


class Sex(LabelledEnum):
    MALE = "m", "Мужской"
    FEMALE = "f", "Женский"


class StudentStatus(LabelledEnum):
    STUDYING = "studying", "Обучается"
    GRADUATED = "graduated", "Выпущен"
    WITHDRAWN = "withdrawn", "Выбыл"


class Role(LabelledEnum):
    SUPERADMIN = "superadmin", "Администратор установки"
    ADMIN = "admin", "Администратор системы"
    HR = "hr", "Специалист отдела кадров"
    DEPUTY = "deputy", "Заместитель директора"
    DIRECTOR = "director", "Директор"
    CLASS_TEACHER = "class_teacher", "Классный руководитель"
    TEACHER = "teacher", "Учитель"
    STUDENT = "student", "Обучающийся"
    PARENT = "parent", "Родитель"


# Roles a staff card can carry; the class teacher role follows from the class
# card, the student and parent roles from their cards.
STAFF_ROLES = (Role.ADMIN, Role.HR, Role.DEPUTY, Role.DIRECTOR, Role.TEACHER)


class ParentRelation(LabelledEnum):
    MOTHER = "mother", "Мать"
    FATHER = "father", "Отец"
    GUARDIAN = "guardian", "Опекун / попечитель"
    OTHER = "other", "Иной законный представитель"


__all__ = [
    "LabelledEnum", "OrgKind", "PeriodType", "Sex", "StudentStatus", "Role",
    "STAFF_ROLES", "ParentRelation",
]
