"""Words that follow the organization's kind: класс/группа, классный руководитель/куратор …"""
import re

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
    "class_membership": ("Состав класса", "Состав группы"),
    "teaching_assignment": ("Нагрузка учителя", "Нагрузка преподавателя"),
    "teacher": ("Учитель", "Преподаватель"),
    "exam_timetable": ("Расписание экзаменов", "Расписание сессии"),
}


def term(key, org=None):
    if org is None and has_request_context():
        actor = getattr(g, "actor", None)
        org = actor.org if actor else None
    school, college = WORDS[key]
    return college if org is not None and org.is_college else school


class _Resolved:
    """Text resolved when rendered (str() in the request that shows it), compared and hashed as what it
    stands for; subclasses say how it resolves."""

    def __init__(self, source):
        self.source = source

    def __html__(self):
        return str(self)

    def lower(self):
        return str(self).lower()

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(self.source)


class KindText(_Resolved):
    """A label resolved when rendered, so one view serves schools and colleges."""

    @property
    def key(self):
        return self.source

    def __str__(self):
        return term(self.source)


# A school's text in a college's words: phrases first (an adjective agrees with «группа», feminine), then
# the nouns by case. Lower-case forms; a capital first letter is kept.
COLLEGE_PHRASES = (
    ("классными руководителями", "кураторами"), ("классных руководителей", "кураторов"),
    ("классного руководителя", "куратора"), ("классному руководителю", "куратору"),
    ("классным руководителем", "куратором"), ("классные руководители", "кураторы"),
    ("классный руководитель", "куратор"), ("учителя-предметника", "преподавателя"),
    ("учитель-предметник", "преподаватель"), ("весь класс", "вся группа"), ("всего класса", "всей группы"),
    ("все классы", "все группы"), ("всех классов", "всех групп"),
    ("своего класса", "своей группы"), ("своему классу", "своей группе"), ("свой класс", "свою группу"),
    ("своих классов", "своих групп"), ("каждого класса", "каждой группы"), ("каждому классу", "каждой группе"),
    ("каждом классе", "каждой группе"), ("каждый класс", "каждая группа"), ("этого класса", "этой группы"),
    ("одного класса", "одной группы"), ("его класса", "его группы"), ("по школе", "по организации"),
    ("учащимися", "студентами"), ("учащихся", "студентов"), ("учащиеся", "студенты"), ("учащегося", "студента"),
    ("учащемуся", "студенту"), ("учащимся", "студентам"),
)
COLLEGE_NOUNS = {
    "класс": "группа", "класса": "группы", "классу": "группе", "классом": "группой", "классе": "группе",
    "классы": "группы", "классов": "групп", "классам": "группам", "классами": "группами", "классах": "группах",
    "ученик": "студент", "ученика": "студента", "ученику": "студенту", "учеником": "студентом",
    "ученике": "студенте", "ученики": "студенты", "учеников": "студентов", "ученикам": "студентам",
    "учениками": "студентами", "учениках": "студентах",
    "учитель": "преподаватель", "учителя": "преподавателя", "учителю": "преподавателю",
    "учителем": "преподавателем", "учителе": "преподавателе", "учителей": "преподавателей",
    "учителям": "преподавателям", "учителями": "преподавателями",
    "параллель": "курс", "параллели": "курсы", "параллелей": "курсов", "параллелям": "курсам",
}
_COLLEGE = re.compile(r"(?<![\wа-яёА-ЯЁ-])(" + "|".join(
    sorted([re.escape(a) for a, _ in COLLEGE_PHRASES] + [re.escape(n) for n in COLLEGE_NOUNS], key=len, reverse=True))
    + r")(?![\wа-яёА-ЯЁ-])", re.IGNORECASE)
_WORDS_OF = {**dict(COLLEGE_PHRASES), **COLLEGE_NOUNS}


def college_words(text):
    """`text` (a school's label, title or help) in a college's words: класс → группа, ученик → студент,
    учитель → преподаватель, классный руководитель → куратор …"""
    def swap(match):
        found = match.group(0)
        college = _WORDS_OF[found.lower()]
        return college[0].upper() + college[1:] if found[0].isupper() else college
    return _COLLEGE.sub(swap, str(text))


def current_org():
    if has_request_context():
        actor = getattr(g, "actor", None)
        return actor.org if actor else None
    return None


def for_kind(text, org=None):
    """A school's text as the organization says it: as it is in a school, in college words in a college."""
    org = org if org is not None else current_org()
    return college_words(text) if org is not None and org.is_college else text


def kind_phrase(text):
    """`text` as a KindPhrase when a college would say it otherwise, else as it is."""
    return KindPhrase(text) if isinstance(text, str) and college_words(text) != text else text


class KindPhrase(_Resolved):
    """A school's text (a help line, a title) resolved when rendered: in college words in a college."""

    @property
    def text(self):
        return self.source

    def __str__(self):
        return str(for_kind(self.source))
