"""A builder report's definition, checked against the catalogue for one actor: the entity he may read, columns
he may read, operators that fit each column's kind, values read as the column's kind, at most two grouping and
two sorting columns. Anything else is refused in Russian, naming the input it is about. The checked definition
keeps the catalogue's objects (never the user's text) and turns back into its JSON for saving."""
import re
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from models import SchoolClass, db
from services import dates, permissions
from services.errors import DomainError
from services.params import parse_id
from services.report_builder import catalogue
from services.report_builder.catalogue import BOOL, CHOICE, CLASS_ON, DATE, NUMBER, TEXT

OPS = {"contains": "содержит", "eq": "равно", "between": "от … до", "empty": "не заполнено",
       "filled": "заполнено", "yes": "да", "no": "нет", "in_class_on": "в классе на дату"}
KIND_OPS = {TEXT: ("contains", "eq", "empty", "filled"), NUMBER: ("eq", "between", "empty", "filled"),
            DATE: ("eq", "between", "empty", "filled"), CHOICE: ("eq", "empty", "filled"), BOOL: ("yes", "no"),
            CLASS_ON: ("in_class_on",)}
MANY_OPS = ("contains", "empty", "filled")
AGGREGATES = {"count": "Количество", "sum": "Сумма", "avg": "Среднее", "min": "Наименьшее", "max": "Наибольшее"}
AGGREGATE_KINDS = {"sum": (NUMBER,), "avg": (NUMBER,), "min": (NUMBER, DATE), "max": (NUMBER, DATE)}
MAX_COLUMNS, MAX_FILTERS, MAX_GROUPS, MAX_SORTS, MAX_VALUE = 30, 20, 2, 2, 200
NUMBER_RE = re.compile(r"^-?\d{1,9}(?:[.,]\d{1,4})?$")


@dataclass
class Filter:
    column: catalogue.Column
    op: str
    value: object = None
    value2: object = None
    texts: tuple = ("", "")  # as typed, for the saved JSON


@dataclass
class Aggregate:
    fn: str
    column: catalogue.Column | None

    @property
    def key(self):
        return self.fn if self.column is None else f"{self.fn}:{self.column.key}"

    @property
    def label(self):
        return AGGREGATES[self.fn] if self.column is None else f"{AGGREGATES[self.fn]}: {self.column.label}"


@dataclass
class Definition:
    entity: catalogue.Entity
    columns: list
    filters: list = field(default_factory=list)
    group_by: list = field(default_factory=list)
    aggregates: list = field(default_factory=list)
    sort: list = field(default_factory=list)  # [(column key or aggregate key, descending)]

    @property
    def grouped(self):
        return bool(self.group_by or self.aggregates)

    def to_json(self):
        return {"entity": self.entity.key, "columns": [c.key for c in self.columns],
                "filters": [{"column": f.column.key, "op": f.op, "value": f.texts[0], "value2": f.texts[1]}
                            for f in self.filters],
                "group_by": [c.key for c in self.group_by], "aggregates": [a.key for a in self.aggregates],
                "sort": [{"column": key, "desc": desc} for key, desc in self.sort]}


def _text(value):
    if value is None:
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise DomainError("Описание отчёта повреждено: значение условия должно быть текстом.")
    return str(value).strip()


def _list(raw, name):
    value = raw.get(name) or []
    if not isinstance(value, list):
        raise DomainError("Описание отчёта повреждено: ожидался список.", fields={name: "Ожидался список"})
    return value


def _column(actor, entity, key, where, shown=True):
    column = entity.column(key) if isinstance(key, str) else None
    if column is None or (shown and not column.shown):
        raise DomainError(f"{where}: столбца «{key}» нет у сущности «{entity.label}».", fields={where: "Нет столбца"})
    if not catalogue.readable(actor, entity, column):
        raise DomainError(f"{where}: столбец «{column.label}» вам недоступен.", fields={where: "Столбец недоступен"})
    return column


def _number(text, name, label):
    if not NUMBER_RE.match(text):
        raise DomainError(f"{label}: «{text}» — не число.", fields={name: "Не число"})
    return Decimal(text.replace(",", "."))


def _date(text, name, label):
    day = dates.parse_date(text)
    if day is None:
        raise DomainError(dates.date_error(text, label), fields={name: "Не дата"})
    return day


def _filter(actor, entity, n, raw):
    if not isinstance(raw, dict):
        raise DomainError("Описание отчёта повреждено: условие отбора не описано.")
    prefix = f"filter-{n}"
    column = _column(actor, entity, raw.get("column"), f"{prefix}-column", shown=False)
    op = raw.get("op")
    allowed = MANY_OPS if column.many else KIND_OPS[column.kind]
    if op not in allowed:
        raise DomainError(f"Условие {n + 1}: для столбца «{column.label}» нет операции «{op}»; возможны: "
                          + ", ".join(OPS[o] for o in allowed) + ".", fields={f"{prefix}-op": "Нет такой операции"})
    texts = (_text(raw.get("value")), _text(raw.get("value2")))
    if any(len(t) > MAX_VALUE for t in texts):
        raise DomainError(f"Условие {n + 1}: значение длиннее {MAX_VALUE} символов.",
                          fields={f"{prefix}-value": "Слишком длинно"})
    label = f"Условие {n + 1} («{column.label}»)"
    value = value2 = None
    if op in ("empty", "filled", "yes", "no"):
        texts = ("", "")
    elif op == "in_class_on":
        class_id = parse_id(texts[0])
        reachable = permissions.allowed(actor, "school_class", "list") and class_id is not None and db.session.scalar(
            select(SchoolClass.id).where(SchoolClass.id == class_id,
                                         permissions.row_condition(actor, "school_class", "list", SchoolClass)))
        if not reachable:
            raise DomainError(f"{label}: класс не найден.", fields={f"{prefix}-value": "Класс не найден"})
        if not texts[1]:
            raise DomainError(f"{label}: укажите дату.", fields={f"{prefix}-value2": "Укажите дату"})
        value, value2 = class_id, _date(texts[1], f"{prefix}-value2", label)
    elif op == "between":
        if not texts[0] and not texts[1]:
            raise DomainError(f"{label}: укажите хотя бы одну границу.", fields={f"{prefix}-value": "Пусто"})
        read = _number if column.kind == NUMBER else _date
        value = read(texts[0], f"{prefix}-value", label) if texts[0] else None
        value2 = read(texts[1], f"{prefix}-value2", label) if texts[1] else None
        if value is not None and value2 is not None and value > value2:
            raise DomainError(f"{label}: начало диапазона позже конца.", fields={f"{prefix}-value2": "Меньше начала"})
    else:
        if not texts[0]:
            raise DomainError(f"{label}: укажите значение.", fields={f"{prefix}-value": "Укажите значение"})
        texts = (texts[0], "")
        if column.kind == NUMBER and not column.many:
            value = _number(texts[0], f"{prefix}-value", label)
        elif column.kind == DATE and not column.many:
            value = _date(texts[0], f"{prefix}-value", label)
        elif column.kind == CHOICE:
            codes = {code for code, _ in column.choices}
            labels = {lab.lower(): code for code, lab in column.choices}
            value = texts[0] if texts[0] in codes else labels.get(texts[0].lower())
            if value is None:
                raise DomainError(f"{label}: значения «{texts[0]}» нет в списке.",
                                  fields={f"{prefix}-value": "Нет в списке"})
            texts = (value, "")
        else:
            value = texts[0]
    return Filter(column, op, value, value2, texts)


def _aggregate(actor, entity, key):
    fn, _, column_key = (key if isinstance(key, str) else "").partition(":")
    if fn not in AGGREGATES or (fn == "count") != (not column_key):
        raise DomainError(f"Итог «{key}» не известен: возможны количество, сумма, среднее, наименьшее, наибольшее.",
                          fields={"aggregates": "Неизвестный итог"})
    if fn == "count":
        return Aggregate(fn, None)
    column = _column(actor, entity, column_key, "aggregates")
    if column.many or column.kind not in AGGREGATE_KINDS[fn]:
        raise DomainError(f"Итог «{AGGREGATES[fn]}» не считается по столбцу «{column.label}».",
                          fields={"aggregates": "Не подходит к столбцу"})
    return Aggregate(fn, column)


def check(actor, raw):
    """The definition `raw` (a dict as saved or as the form sent it) checked for `actor`: a `Definition`, or a
    DomainError in Russian. The actor must be allowed the builder and the entity's key."""
    permissions.require(actor, "report_builder", "list")
    if not isinstance(raw, dict):
        raise DomainError("Описание отчёта повреждено.")
    entity = catalogue.ENTITIES.get(raw.get("entity")) if isinstance(raw.get("entity"), str) else None
    if entity is None:
        raise DomainError(f"Сущности «{raw.get('entity')}» нет в конструкторе.", fields={"entity": "Нет такой"})
    if not permissions.allowed(actor, entity.view_key, "list"):
        raise DomainError(f"Сущность «{entity.label}» вам недоступна.", fields={"entity": "Недоступна"})
    keys = _list(raw, "columns")
    if len(keys) > MAX_COLUMNS:
        raise DomainError(f"Не больше {MAX_COLUMNS} столбцов.", fields={"columns": "Слишком много"})
    columns = []
    for key in keys:
        column = _column(actor, entity, key, "columns")
        if column not in columns:
            columns.append(column)
    filters = _list(raw, "filters")
    if len(filters) > MAX_FILTERS:
        raise DomainError(f"Не больше {MAX_FILTERS} условий отбора.")
    filters = [_filter(actor, entity, n, f) for n, f in enumerate(filters)]
    group_keys = _list(raw, "group_by")
    if len(group_keys) > MAX_GROUPS:
        raise DomainError("Группировать можно не больше чем по двум столбцам.", fields={"group_by": "Больше двух"})
    group_by = []
    for key in group_keys:
        column = _column(actor, entity, key, "group_by")
        if column not in group_by:
            group_by.append(column)
    aggregates = []
    for key in _list(raw, "aggregates"):
        aggregate = _aggregate(actor, entity, key)
        if aggregate.key not in {a.key for a in aggregates}:
            aggregates.append(aggregate)
    if group_by and not aggregates:
        aggregates = [Aggregate("count", None)]
    if not group_by and not aggregates and not columns:
        raise DomainError("Выберите хотя бы один столбец.", fields={"columns": "Нет столбцов"})
    definition = Definition(entity, columns, filters, group_by, aggregates)
    sortable = ({c.key for c in group_by} | {a.key for a in aggregates}) if definition.grouped \
        else {c.key for c in columns}
    sorts = _list(raw, "sort")
    if len(sorts) > MAX_SORTS:
        raise DomainError("Сортировать можно не больше чем по двум столбцам.", fields={"sort": "Больше двух"})
    for n, item in enumerate(sorts):
        key = item.get("column") if isinstance(item, dict) else None
        if key not in sortable:
            raise DomainError(f"Сортировка {n + 1}: «{key}» нет среди столбцов отчёта.",
                              fields={f"sort-{n}": "Нет среди столбцов"})
        definition.sort.append((key, bool(item.get("desc"))))
    return definition


def aggregate_options(actor, entity):
    """[(key, label)] of the totals the builder offers for the entity's columns the actor may read."""
    options = [("count", AGGREGATES["count"])]
    for column in catalogue.columns_for(actor, entity):
        if column.many or not column.shown:
            continue
        for fn, kinds in AGGREGATE_KINDS.items():
            if column.kind in kinds:
                options.append((f"{fn}:{column.key}", f"{AGGREGATES[fn]}: {column.label}"))
    return options


def class_choices(actor):
    """The classes the actor may pick for «в классе на дату» (the school_class key's rows), by year and name."""
    if not permissions.allowed(actor, "school_class", "list"):
        return []
    return db.session.scalars(select(SchoolClass).where(
        permissions.row_condition(actor, "school_class", "list", SchoolClass)).order_by(
        SchoolClass.year_id.desc(), SchoolClass.grade, SchoolClass.name)).all()


def describe(definition):
    """[(label, text)] of the definition's conditions and grouping, said under the report's title."""
    lines = [("Сущность", definition.entity.label)]
    for f in definition.filters:
        if f.op == "in_class_on":
            klass = db.session.get(SchoolClass, f.value)
            text = f"{klass.name if klass is not None else '?'} на {dates.format_date(f.value2)}"
        elif f.op == "between":
            text = "от " + (f.texts[0] or "…") + " до " + (f.texts[1] or "…")
        elif f.op in ("empty", "filled", "yes", "no"):
            text = OPS[f.op]
        else:
            shown = f.column.label_of(f.texts[0]) if f.column.kind == CHOICE else f.texts[0]
            text = f"{OPS[f.op]} «{shown}»"
        lines.append((f.column.label, text))
    if definition.group_by:
        lines.append(("Группировка", ", ".join(c.label for c in definition.group_by)))
    return lines
