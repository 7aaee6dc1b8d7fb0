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
    REGION = "region", "Специалист органа управления образованием"


# Roles a staff card can carry; the class teacher role follows from the class
# card, the student and parent roles from their cards.
STAFF_ROLES = (Role.ADMIN, Role.HR, Role.DEPUTY, Role.DIRECTOR, Role.TEACHER)


class ParentRelation(LabelledEnum):
    MOTHER = "mother", "Мать"
    FATHER = "father", "Отец"
    GUARDIAN = "guardian", "Опекун / попечитель"
    OTHER = "other", "Иной законный представитель"


# -- the federal contingent register's code lists (seed 000 §4.3; docs/CONTINGENT.md) --------------------

class Citizenship(LabelledEnum):
    RUSSIA = "rf", "Российская Федерация"
    FOREIGN = "foreign", "Иностранное государство"
    STATELESS = "stateless", "Без гражданства"


class HealthGroup(LabelledEnum):
    I = "I", "I"  # noqa: E741
    II = "II", "II"
    III = "III", "III"
    IV = "IV", "IV"
    V = "V", "V"


class YesNo(LabelledEnum):
    YES = "yes", "Да"
    NO = "no", "Нет"


class DisabilityCategory(LabelledEnum):
    CHILD = "child", "Ребёнок-инвалид"
    GROUP_1 = "group1", "I группа"
    GROUP_2 = "group2", "II группа"
    GROUP_3 = "group3", "III группа"


class StudyForm(LabelledEnum):
    FULL_TIME = "full_time", "Очная"
    PART_TIME = "part_time", "Очно-заочная"
    EXTRAMURAL = "extramural", "Заочная"
    FAMILY = "family", "Семейное образование"
    SELF = "self", "Самообразование"


class Funding(LabelledEnum):
    FEDERAL = "federal", "Бюджет: федеральный"
    REGIONAL = "regional", "Бюджет: региональный"
    MUNICIPAL = "municipal", "Бюджет: местный"
    CONTRACT = "contract", "Договор об оказании платных образовательных услуг"


class PreviousDocument(LabelledEnum):
    PERSONAL_FILE = "personal_file", "Личное дело обучающегося (из другой организации)"
    STUDY_CERTIFICATE = "study_cert", "Справка об обучении"
    BASIC_GENERAL = "basic_general", "Аттестат об основном общем образовании"
    SECONDARY_GENERAL = "secondary_general", "Аттестат о среднем общем образовании"
    VOCATIONAL = "vocational", "Диплом о среднем профессиональном образовании"
    OTHER = "other", "Иной документ"


__all__ = [
    "LabelledEnum", "OrgKind", "PeriodType", "Sex", "StudentStatus", "Role",
    "STAFF_ROLES", "ParentRelation", "Citizenship", "HealthGroup", "YesNo", "DisabilityCategory",
    "StudyForm", "Funding", "PreviousDocument",
]
