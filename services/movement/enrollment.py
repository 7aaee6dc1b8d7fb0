"""A new student's card in an enrollment order (HR fills it in the same flow as the order): checked by
the card rules when saved, the student created when the order is applied."""
from datetime import date

from sqlalchemy import select

from models import MovementItem, Organization, SchoolClass, Student, db
from services import versions
from services.errors import DomainError
from services.movement._common import STUDYING, K, _draft_for_edit
from services.movement.guards import _guarded
from services.params import parse_date
from services.people import cards as card_rules

# Fields of a new student's card filled in the enrollment order (the card rules check them).
CARD_FIELDS = (
    ("last_name", "Фамилия", "str"), ("first_name", "Имя", "str"), ("middle_name", "Отчество", "str"),
    ("sex", "Пол", "str"), ("birth_date", "Дата рождения", "date"), ("snils", "СНИЛС", "str"),
    ("personal_file_number", "№ личного дела", "str"), ("address", "Адрес проживания", "str"),
    ("birth_certificate_series", "Свидетельство о рождении: серия", "str"),
    ("birth_certificate_number", "Свидетельство о рождении: номер", "str"),
    ("birth_certificate_date", "Свидетельство о рождении: дата выдачи", "date"),
    ("passport_series", "Паспорт: серия", "str"), ("passport_number", "Паспорт: номер", "str"),
    ("passport_date", "Паспорт: дата выдачи", "date"), ("passport_issued_by", "Паспорт: кем выдан", "str"),
    ("family_composition", "Состав семьи", "str"), ("social_status", "Социальный статус", "str"),
    ("foreign_language", "Изучаемый иностранный язык", "str"),
    # The federal contingent register's data (services/people/contingent.py; "code": one of its code lists).
    ("citizenship", "Гражданство", "code"), ("citizenship_country", "Страна гражданства", "str"),
    ("birth_place", "Место рождения", "str"), ("registration_address", "Адрес регистрации", "str"),
    ("health_group", "Группа здоровья", "code"), ("disability", "Инвалидность", "code"),
    ("disability_category", "Категория инвалидности", "code"),
    ("disability_until", "Инвалидность установлена до", "date"), ("ovz", "ОВЗ", "code"),
    ("adapted_program", "Адаптированная программа (АООП, вариант)", "str"),
    ("study_form", "Форма обучения", "code"), ("funding", "Форма финансирования", "code"),
    ("previous_doc_kind", "Документ о предыдущем образовании: вид", "code"),
    ("previous_doc_series", "Документ о предыдущем образовании: серия", "str"),
    ("previous_doc_number", "Документ о предыдущем образовании: номер", "str"),
    ("previous_doc_date", "Документ о предыдущем образовании: дата выдачи", "date"),
    ("previous_doc_issued_by", "Документ о предыдущем образовании: кем выдан", "str"),
)
CARD_KEYS = tuple(name for name, _, _ in CARD_FIELDS)

TWIN_KEYS = (("snils", "СНИЛС"), ("personal_file_number", "№ личного дела"))
BATCH = 20  # more cards than this are checked against the organization's cards read at once


def _card_problems(order, items, full=True):
    """New cards of an enrollment order: the card rules on each (full=True, as applying does; each
    card costs a few queries), else only what can have changed since the card was saved — another
    card with its СНИЛС or file number — in two queries; and no two cards of the order alike."""
    cards = [i for i in items if i.student_id is None and i.card]
    problems, seen = [], {}
    taken = {}
    if cards and not full:
        for key, label in TWIN_KEYS:
            column = getattr(Student, key)
            values = {i.card.get(key) for i in cards if i.card.get(key)}
            for value, name in db.session.execute(select(column, Student.last_name).where(
                    Student.org_id == order.org_id, column.in_(values))):
                taken[(key, value)] = name
    # Many cards (an import's order): the СНИЛС and file numbers taken are read once, not per card.
    known = card_rules.TakenKeys(order.org_id) if full and len(cards) > BATCH else None
    for item in cards:
        name = item.person_name
        if full:
            try:
                card_rules.validate_student(card_student(order, item.card, item.to_class_id), taken=known)
            except DomainError as exc:
                problems.append(f"{name}: " + "; ".join(exc.errors or [exc.message]))
                continue
        for key, label in TWIN_KEYS:
            value = item.card.get(key)
            if (key, value) in taken:
                problems.append(f"{name}: {label} {value} уже указан в карточке: {taken[(key, value)]}")
            if value and (key, value) in seen:
                problems.append(f"{name}: {label} {value} уже указан у «{seen[(key, value)]}» в этом приказе")
            seen[(key, value)] = name
    return problems


def card_student(order, card, to_class_id):
    """A transient Student made of an enrollment item's card (not added to the session)."""
    values = {}
    for name, _, kind in CARD_FIELDS:
        value = (card or {}).get(name)
        if kind == "date" and isinstance(value, str) and value:
            value = date.fromisoformat(value)
        values[name] = value if value not in ("",) else None
    return Student(org_id=order.org_id, class_id=to_class_id, status=STUDYING,
                   enrollment_order_number=order.number, enrollment_order_date=order.order_date, **values)


def normalize_card(fields, bad=None):
    """Card fields from a form: text stripped, dates as dd.mm.yyyy or ISO; errors in Russian (and in
    `bad`, a dict, each under its field's name)."""
    card, errors = {}, []
    bad = {} if bad is None else bad
    for name, label, kind in CARD_FIELDS:
        value = fields.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            card[name] = None
            continue
        if kind == "date" and not isinstance(value, date):
            parsed = parse_date(value)
            if parsed is None:
                errors.append(f"«{label}»: дата указывается в виде дд.мм.гггг")
                bad[name] = "Дата указывается в виде дд.мм.гггг"
                card[name] = None
                continue
            value = parsed
        card[name] = value.isoformat() if isinstance(value, date) else value
    return card, errors


def save_card(actor, order_id, fields, to_class_id, item_id=None, version=None):
    """A new student's card in an enrollment order (HR fills it in the same flow): checked by the
    card rules now, created when the order is applied; a DomainError names the card's fields it can
    (CARD_KEYS, `to_class_id`) in its `fields`. `version`: of the card (item) the form
    was made from — a card changed since is refused (services/versions.py); None for a caller that
    does not claim to know it."""
    order = _draft_for_edit(actor, order_id)
    if order.kind != K.ENROLLMENT.value:
        raise DomainError("Карточка не сохранена", ["Новых учеников добавляют в приказ о зачислении"])
    bad = {}
    card, errors = normalize_card(fields, bad)
    klass = None
    if to_class_id:
        klass = db.session.scalar(select(SchoolClass).where(SchoolClass.id == int(to_class_id),
                                                            SchoolClass.org_id == order.org_id))
    if klass is None:
        errors.append(f"Укажите {'группу' if order_is_college(order) else 'класс'}, в который зачисляется ученик")
        bad["to_class_id"] = errors[-1]
    if errors:
        raise DomainError("Карточка обучающегося не сохранена", errors, bad)
    item = None
    if item_id:
        item = next((i for i in order.items if i.id == int(item_id) and i.student_id is None), None)
        if item is None:
            raise DomainError("Карточка не найдена в этом приказе")
        if version is not None:
            versions.claim(item, version)
    with db.session.no_autoflush:
        probe = card_student(order, card, klass.id)
        try:
            card_rules.validate_student(probe)
        except DomainError as exc:
            raise DomainError("Карточка обучающегося не сохранена", exc.errors,
                              {**exc.fields, **bad}) from None
    card["snils"] = probe.snils
    twins = []
    for other in order.items:
        if other is item or not other.card:
            continue
        for key, label in (("snils", "СНИЛС"), ("personal_file_number", "№ личного дела")):
            if card.get(key) and other.card.get(key) == card.get(key):
                twins.append(f"{label} {card[key]} уже указан у «{other.person_name}» в этом приказе")
                bad.setdefault(key, twins[-1])
    if twins:
        raise DomainError("Карточка обучающегося не сохранена", twins, bad)

    def run():
        if item is None:
            order.items.append(MovementItem(org_id=order.org_id, card=card, to_class_id=klass.id))
            return order.items[-1]
        item.card, item.to_class_id = card, klass.id
        return item
    return _guarded(run)


def add_cards(actor, order_id, entries):
    """Many new students' cards added to a draft enrollment order at once (an import): `entries` are
    (card, class id) with the card as `normalize_card` makes it, already checked by the card rules (the
    order's «Провести» checks them again). The order's cards and these must not share a СНИЛС or a file
    number. Every problem is listed; nothing is added if any. Returns the new items."""
    order = _draft_for_edit(actor, order_id)
    if order.kind != K.ENROLLMENT.value:
        raise DomainError("Карточки не сохранены", ["Новых учеников добавляют в приказ о зачислении"])
    class_ids = {class_id for _, class_id in entries}
    found = set(db.session.scalars(select(SchoolClass.id).where(SchoolClass.id.in_(class_ids),
                                                                SchoolClass.org_id == order.org_id)))
    problems, seen = [], {}
    for other in order.items:
        for key, _ in TWIN_KEYS:
            if other.card and other.card.get(key):
                seen[(key, other.card[key])] = other.person_name
    items = []
    for card, class_id in entries:
        item = MovementItem(org_id=order.org_id, card=card, to_class_id=class_id)
        if class_id not in found:
            problems.append(f"{item.person_name}: {'группа' if order_is_college(order) else 'класс'} не найден")
        for key, label in TWIN_KEYS:
            value = card.get(key)
            if value and (key, value) in seen:
                problems.append(f"{item.person_name}: {label} {value} уже указан у «{seen[(key, value)]}» "
                                "в этом приказе")
            if value:
                seen[(key, value)] = item.person_name
        items.append(item)
    if problems:
        raise DomainError("Карточки обучающихся не сохранены", problems)

    def run():
        order.items.extend(items)
        return items
    return _guarded(run)


def order_is_college(order):
    org = db.session.get(Organization, order.org_id)
    return bool(org and org.is_college)
