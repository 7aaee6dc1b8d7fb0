"""What a journal save takes and gives back: the grid's payload parsed once (`GridPayload` and its
items), the result (`SaveResult`) and the refusal when somebody else changed an entry meanwhile
(`VersionConflict`).

Two ways in, one object out — the save (services/journal/grid_save.py) reads typed fields only:

``GridPayload.parse(data)`` / ``GridPayload.from_json(text)``
    the page's JSON (static/journal.js through admin_views/journal/grid.py). Only the shape is
    checked, strictly: ids and versions are numbers, texts are texts within their limits; anything
    else is refused at once with DomainError «Данные журнала не разобраны: …» (nothing is read or
    written). A lesson and a saved task carry the version the page showed and only the fields the
    user changed (a field left out keeps what another user may have saved in it meanwhile). The
    period marks come without their period: `in_period(period_id)` gives it to them.
``GridPayload.from_dict(payload)``
    a script's or a test's dict (save_entries' payload, services/journal/grid_save.py): keys other
    than the ids are optional, and a wrong value is reported by the save itself, with the row it is
    in, among every other problem («Изменения не сохранены»); a value that is not a list of records
    is refused at once.
``PeriodMarkItem.from_dict(item)``
    one item of save_period_marks (services/journal/period_marks.py), the same way.

Every rule is the save's: these classes only say what was sent.
"""
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from models import PeriodMarkKind
from services import params
from services.errors import DomainError
from services.journal.dictionaries import parse_weight
from services.params import parse_id

CONFLICT = "Запись изменил другой пользователь — обновите страницу"
NOT_SAVED = "Изменения не сохранены"
NOT_PARSED = "Данные журнала не разобраны"
MAX_TOPIC = 500
MAX_HOMEWORK = 4000
MAX_COMMENT = 300
MAX_TASK_TOPIC = 300
# Given where an id is expected, but not an id (a row id is never 0): the save answers «не найден»
# or «неверный номер» where it tells a wrong value from a missing one.
NOT_AN_ID = 0
NAMES = ("lessons", "tasks", "marks", "attendance", "period_marks")


class VersionConflict(DomainError):
    """Somebody else changed or made the same entry since the page was loaded."""

    def __init__(self, errors=None):
        super().__init__(CONFLICT, errors)


@dataclass
class SaveResult:
    counts: Counter = field(default_factory=Counter)
    task_ids: dict = field(default_factory=dict)
    versions: dict = field(default_factory=lambda: {"marks": {}, "attendance": {}, "period_marks": {}})

    def as_json(self):
        def keyed(entries):
            return {":".join("" if p is None else str(p) for p in key): v for key, v in entries.items()}
        return {"counts": dict(self.counts), "task_ids": dict(self.task_ids),
                "versions": {name: keyed(entries) for name, entries in self.versions.items()}}


# -- small parsers ------------------------------------------------------------------------------

def _text(value):
    return str(value).strip() if value is not None else ""


def _version(item, errors, where):
    """The version of a dict item (services/journal/finals.py); see `_Versioned` for the grid's items."""
    raw = item.get("version")
    if raw is None or raw == "":
        return None
    version = parse_id(raw)
    if version is None:
        errors.append(f"{where}: неверная версия записи")
    return version


def _value(raw):
    return _text(raw).lower().replace(" ", "")


def _flag(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "да")
    return bool(value)


def _loose_version(item):
    """(version, bad): a dict's version — none given, a number, or a wrong value (reported by the save)."""
    raw = item.get("version")
    if raw is None or raw == "":
        return None, False
    version = parse_id(raw)
    return version, version is None


def _loose_id(raw):
    """An id that may be left out: None (left out or empty), the id, or NOT_AN_ID (a wrong value)."""
    if raw in (None, ""):
        return None
    return parse_id(raw) or NOT_AN_ID


def _weight_of(value):
    """(weight, error): a task's weight checked by parse_weight, its Russian error kept for the save."""
    try:
        return parse_weight(value), None
    except ValueError as exc:
        return None, str(exc)


# the page's JSON: its shape, strictly (a wrong value refuses the whole payload)

def _int(value, what, optional=False):
    """An id (or a version) of the payload: 17 or "17", never 17.9, "1e3" or one beyond the column."""
    if value in (None, "") and optional:
        return None
    number = parse_id(value)
    if number is None:
        raise ValueError(what)
    return number


def _strict_text(value, limit, label="текст"):
    return params.text_within(value, limit, label)  # too long is refused, never cut


def _strict_weight(value):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        raise ValueError("вес задания") from None


LESSON_FIELDS = {
    "topic": lambda v: _strict_text(v, MAX_TOPIC, "Тема урока"),
    "homework": lambda v: _strict_text(v, MAX_HOMEWORK, "Домашнее задание"),
    "homework_due_lesson_id": lambda v: _int(v, "срок задания", optional=True),
    "attendance_taken": bool,
}
TASK_FIELDS = {
    "type_id": lambda v: _int(v, "тип задания", optional=True),
    "weight": _strict_weight,
    "is_mandatory": bool,
    "topic": lambda v: _strict_text(v, MAX_TASK_TOPIC, "Тема задания"),
    "delete": bool,
}


def _present(item, fields):
    """The fields an item carries, each parsed; a field it leaves out stays out."""
    return {name: parse(item[name]) for name, parse in fields.items() if name in item}


# -- the items ------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class _Versioned:
    version: int | None = None  # the version the page showed; None — a new entry, or a script's "as it is now"
    bad_version: bool = False  # a version was given, but not a number

    @property
    def version_given(self):
        return self.version is not None or self.bad_version

    def checked_version(self, errors, where):
        """The version, a wrong one written into `errors` (and taken as none)."""
        if self.bad_version:
            errors.append(f"{where}: неверная версия записи")
        return self.version


@dataclass(frozen=True, kw_only=True)
class LessonItem(_Versioned):
    """A lesson's topic, homework and «attendance taken»; a field left None keeps what the lesson has."""
    lesson_id: int | None
    topic: str | None = None
    homework: str | None = None
    homework_due_set: bool = False  # the homework's due lesson is given: …_lesson_id, or None to clear it
    homework_due_lesson_id: int | None = None  # NOT_AN_ID: a wrong value
    attendance_taken: bool | None = None

    @classmethod
    def from_dict(cls, item):
        version, bad = _loose_version(item)
        due_set = "homework_due_lesson_id" in item
        return cls(lesson_id=parse_id(item.get("lesson_id")), version=version, bad_version=bad,
                   topic=_text(item["topic"]) if "topic" in item else None,
                   homework=_text(item["homework"]) if "homework" in item else None,
                   homework_due_set=due_set,
                   homework_due_lesson_id=_loose_id(item["homework_due_lesson_id"]) if due_set else None,
                   attendance_taken=bool(item["attendance_taken"]) if "attendance_taken" in item else None)

    @classmethod
    def _parse(cls, item):
        lesson_id, version = _int(item.get("lesson_id"), "урок"), _int(item.get("version"), "версия урока")
        fields = _present(item, LESSON_FIELDS)
        return cls(lesson_id=lesson_id, version=version, topic=fields.get("topic"), homework=fields.get("homework"),
                   homework_due_set="homework_due_lesson_id" in fields,
                   homework_due_lesson_id=fields.get("homework_due_lesson_id"),
                   attendance_taken=fields.get("attendance_taken"))


@dataclass(frozen=True, kw_only=True)
class TaskItem(_Versioned):
    """A task (a column of marks): a saved one by its id, a new one by the client's key."""
    task_id: int | None  # None — a new task; NOT_AN_ID — a wrong value
    key: str = ""  # the client's key of a new task
    lesson_id: int | None = None
    type_id: int | None = None  # None — not given; NOT_AN_ID — a wrong value
    weight: Decimal | None = None
    weight_error: str | None = None  # a weight given, but wrong: why
    is_mandatory: bool | None = None
    topic: str | None = None
    delete: bool = False

    @classmethod
    def from_dict(cls, item):
        version, bad = _loose_version(item)
        weight, weight_error = _weight_of(item["weight"]) if item.get("weight") not in (None, "") else (None, None)
        mandatory = item.get("is_mandatory")
        return cls(task_id=_loose_id(item.get("task_id")), key=_text(item.get("key")),
                   lesson_id=parse_id(item.get("lesson_id")), version=version, bad_version=bad,
                   type_id=_loose_id(item.get("type_id")), weight=weight, weight_error=weight_error,
                   is_mandatory=_flag(mandatory) if mandatory is not None else None,
                   topic=_text(item["topic"]) if "topic" in item else None, delete=_flag(item.get("delete")))

    @classmethod
    def _parse(cls, item):
        task_id = _int(item.get("task_id"), "задание", optional=True)
        key = _strict_text(item.get("key"), 40)
        lesson_id = _int(item.get("lesson_id"), "урок", optional=task_id is not None)
        version = _int(item.get("version"), "версия задания") if task_id is not None else None
        fields = _present(item, TASK_FIELDS)
        weight = fields.get("weight")
        weight, weight_error = _weight_of(weight) if weight is not None else (None, None)
        return cls(task_id=task_id, key=key, lesson_id=lesson_id, version=version, type_id=fields.get("type_id"),
                   weight=weight, weight_error=weight_error, is_mandatory=fields.get("is_mandatory"),
                   topic=fields.get("topic"), delete=fields.get("delete", False))


@dataclass(frozen=True, kw_only=True)
class MarkItem(_Versioned):
    """A mark of a student on a task (a saved one by its id, a new one by its key); value "" deletes."""
    task_id: int | None = None
    task_key: str = ""
    student_id: int | None
    value: str  # as the save compares it: lower case, no spaces
    shown: object = None  # the value as it was sent, for a message
    comment: str | None = None  # None — left as it is

    @classmethod
    def from_dict(cls, item):
        version, bad = _loose_version(item)
        return cls(task_id=parse_id(item.get("task_id")), task_key=_text(item.get("task_key")),
                   student_id=parse_id(item.get("student_id")), version=version, bad_version=bad,
                   value=_value(item.get("value")), shown=item.get("value"),
                   comment=_text(item.get("comment")) if "comment" in item else None)

    @classmethod
    def _parse(cls, item):
        student_id = _int(item.get("student_id"), "ученик")
        value = _strict_text(item.get("value"), 6)
        comment = _strict_text(item.get("comment"), MAX_COMMENT, "Комментарий к отметке")
        version = _int(item.get("version"), "версия", optional=True)
        task_id, task_key = None, ""
        if item.get("task_id") not in (None, ""):
            task_id = _int(item.get("task_id"), "задание")
        else:
            task_key = _strict_text(item.get("task_key"), 40)
            if not task_key:
                raise ValueError("задание")
        return cls(task_id=task_id, task_key=task_key, student_id=student_id, version=version,
                   value=_value(value), shown=value, comment=comment)


@dataclass(frozen=True, kw_only=True)
class AttendanceItem(_Versioned):
    """A student's attendance code on a lesson; code "" deletes."""
    lesson_id: int | None
    student_id: int | None
    code: str  # as the save looks it up: lower case, no spaces
    shown: object = None  # the code as it was sent, for a message

    @classmethod
    def from_dict(cls, item):
        version, bad = _loose_version(item)
        return cls(lesson_id=parse_id(item.get("lesson_id")), student_id=parse_id(item.get("student_id")),
                   version=version, bad_version=bad, code=_value(item.get("code")), shown=item.get("code"))

    @classmethod
    def _parse(cls, item):
        lesson_id, student_id = _int(item.get("lesson_id"), "урок"), _int(item.get("student_id"), "ученик")
        code = _strict_text(item.get("code"), 5)
        version = _int(item.get("version"), "версия", optional=True)
        return cls(lesson_id=lesson_id, student_id=student_id, version=version, code=_value(code), shown=code)


@dataclass(frozen=True, kw_only=True)
class PeriodMarkItem(_Versioned):
    """A period, year, exam or final mark of a student (in the subject and year of the save); value "" deletes."""
    student_id: int | None
    kind: str = PeriodMarkKind.PERIOD.value
    period_id: int | None = None  # a period mark's period (the others have none)
    value: str = ""  # as the save compares it: lower case, no spaces
    shown: object = None  # the value as it was sent, for a message

    @classmethod
    def from_dict(cls, item):
        version, bad = _loose_version(item)
        return cls(student_id=parse_id(item.get("student_id")),
                   kind=_text(item.get("kind")) or PeriodMarkKind.PERIOD.value,
                   period_id=parse_id(item.get("period_id")), version=version, bad_version=bad,
                   value=_value(item.get("value")), shown=item.get("value"))

    @classmethod
    def _parse(cls, item):
        student_id, value = _int(item.get("student_id"), "ученик"), _strict_text(item.get("value"), 6)
        version = _int(item.get("version"), "версия", optional=True)
        return cls(student_id=student_id, version=version, value=_value(value), shown=value)


ITEMS = {"lessons": LessonItem, "tasks": TaskItem, "marks": MarkItem, "attendance": AttendanceItem,
         "period_marks": PeriodMarkItem}


@dataclass(frozen=True)
class GridPayload:
    """The changes of one journal grid, parsed once; see the module docstring."""
    lessons: tuple = ()
    tasks: tuple = ()
    marks: tuple = ()
    attendance: tuple = ()
    period_marks: tuple = ()

    @classmethod
    def from_json(cls, text):
        """The page's JSON text → the payload; DomainError «Данные журнала не разобраны: …»."""
        try:
            data = params.parse_json(text)
        except ValueError as exc:
            raise DomainError(f"{NOT_PARSED}: {exc}") from None
        return cls.parse(data)

    @classmethod
    def parse(cls, data):
        """The page's JSON value → the payload, its shape checked strictly (the period marks without
        their period: see in_period); DomainError «Данные журнала не разобраны: …»."""
        try:
            if not isinstance(data, dict):
                raise ValueError("неверный формат")

            def items(name):
                value = data.get(name) or []
                if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
                    raise ValueError(name)
                return value

            return cls(**{name: tuple(ITEMS[name]._parse(i) for i in items(name)) for name in NAMES})
        except ValueError as exc:
            raise DomainError(f"{NOT_PARSED}: {exc}") from None

    @classmethod
    def from_dict(cls, payload):
        """A script's dict (see the module docstring) → the payload; its lists are checked first, in
        order: DomainError «Изменения не сохранены» for the first that is not a list of records."""
        lists = {}
        for name in NAMES:
            items = payload.get(name) or []
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise DomainError(NOT_SAVED, [f"«{name}»: ожидается список записей"])
            lists[name] = items
        return cls(**{name: tuple(ITEMS[name].from_dict(i) for i in lists[name]) for name in NAMES})

    def in_period(self, period_id):
        """The payload whose period marks are marks of the period `period_id` (the grid's)."""
        if not self.period_marks:
            return self
        return replace(self, period_marks=tuple(replace(i, kind=PeriodMarkKind.PERIOD.value, period_id=period_id)
                                                for i in self.period_marks))

    @property
    def empty(self):
        return not any(getattr(self, name) for name in NAMES)
