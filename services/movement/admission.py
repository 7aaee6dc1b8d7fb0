"""A new student in one step (HR's «Ученики → Создать»): his card is an enrollment order of the book, applied —
a new order, or the applied enrollment order of the same number and date the other children of it came in
by — and his parents are linked from the same form: cards found among the organization's parents, or new
ones. Everything is checked before anything is written; a part of the caller's unit of work.
"""
from dataclasses import dataclass, fields as dataclass_fields
from types import SimpleNamespace

from sqlalchemy import select

from models import AcademicYear, MovementOrder, Parent, SchoolClass, db
from services import permissions
from services.errors import DomainError
from services.movement import enrollment, orders
from services.movement._common import APPLIED, DRAFT, VIEW, K, _d
from services.params import parse_id
from services.people import cards as card_rules

REFUSED = "Карточка обучающегося не сохранена"


@dataclass
class NewParent:
    """A parent's card typed in the student's form; a blank one is no parent."""

    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    phone: str | None = None
    email: str | None = None
    relation: str | None = None

    def values(self):
        return {f.name: (getattr(self, f.name) or "").strip() or None for f in dataclass_fields(self)}

    def is_blank(self):
        return not any(self.values().values())


def _class(actor, to_class_id, errors):
    """The class the student goes to: in the organization, of an open year, and one the actor may place
    students in (HR and the administrator: any; a class teacher: his own)."""
    class_id = parse_id(to_class_id) if to_class_id not in (None, "") else None
    if class_id is None:
        return None  # the card rules say the class is required
    condition = SchoolClass.year.has(AcademicYear.is_closed.is_(False))
    if not permissions.allowed(actor, "student", "any_class"):
        condition &= SchoolClass.id.in_(actor.own_class_ids)
    klass = db.session.scalar(select(SchoolClass).where(SchoolClass.id == class_id,
                                                        SchoolClass.org_id == actor.org_id, condition))
    if klass is None:
        errors.append("Класс (группа) не найден среди открытых для зачисления")
    return klass


def _parents(actor, parent_ids, new_parents, errors):
    """The parents found (ids the actor may edit) and the new cards (checked by the card rules)."""
    parsed = [parse_id(pk) for pk in parent_ids]
    ids = sorted({pk for pk in parsed if pk is not None})
    if None in parsed:
        errors.append("Родитель не найден")
    found = []
    if ids:
        reached = set(permissions.scoped_ids(actor, "parent", "edit", Parent, ids))
        if reached != set(ids):
            errors.append("Родитель не найден среди карточек, которые вам доступны")
        found = db.session.scalars(select(Parent).where(Parent.id.in_(reached)).order_by(Parent.id)).all()
    made = []
    for typed in new_parents:
        if typed.is_blank():
            continue
        parent = Parent(org_id=actor.org_id, **typed.values())
        try:
            card_rules.validate_parent(parent)
        except DomainError as exc:
            name = " ".join(p for p in (parent.last_name, parent.first_name) if p) or "без фамилии"
            errors += [f"Родитель «{name}»: {e}" for e in exc.errors or [exc.message]]
        made.append(parent)
    if made and not permissions.allowed(actor, "parent", "create"):
        errors.append("Карточки родителей создаёт кадровая служба или администратор")
    return found, made


def _order_of(actor, number, order_date):
    """The applied enrollment order of this number and date (None: a new one is made), or the refusal."""
    order = db.session.scalar(select(MovementOrder).where(
        MovementOrder.org_id == actor.org_id, MovementOrder.number_year == order_date.year,
        MovementOrder.number == number))
    if order is None:
        return None
    if order.kind == K.ENROLLMENT.value and order.order_date == order_date and order.status == APPLIED:
        return order
    if order.kind == K.ENROLLMENT.value and order.status == DRAFT:
        raise DomainError(REFUSED, [f"{order} — черновик книги движения: добавьте ученика в этот приказ "
                                    "(«Книга движения» → «Ученики приказа») и проведите его"])
    raise DomainError(REFUSED, [f"Приказ № {order.number} за {order.number_year} год уже есть "
                                f"(от {_d(order.order_date)}, «{order.kind_label}», {order.status_label.lower()}): "
                                "укажите номер приказа о зачислении этого ученика"])


def order_conflict(actor, number, order_date):
    """Why new students can't be enrolled by order `number` of `order_date` (a draft of the book, another
    kind of order under that number), or None: the import's preview asks before anything is written."""
    try:
        _order_of(actor, number, order_date)
    except DomainError as exc:
        return "; ".join(exc.errors or [exc.message])
    return None


def enroll_cards(actor, number, order_date, entries):
    """Many new students enrolled by one order of the book (an import), as `enroll_student` enrolls one:
    the applied enrollment order of this number and date gets them, or a new order is made with all of
    them and applied. `entries`: (card, class id) with the card as `enrollment.normalize_card` makes it and
    checked by the card rules. Returns the new Students in the entries' order. Their parents are linked by
    the caller (the import matches them among the organization's parents)."""
    permissions.require(actor, "student", "create")
    permissions.require(actor, VIEW, "create")
    permissions.require(actor, VIEW, "apply")
    number = (number or "").strip()
    order = _order_of(actor, number, order_date)
    if order is not None:
        return orders.apply_new_cards(actor, order.id, entries)
    order = orders.create_order(actor, K.ENROLLMENT.value, number, order_date)
    items = enrollment.add_cards(actor, order.id, entries)
    orders.apply_order(actor, order.id)
    return [item.student for item in items]


def enroll_student(actor, card_fields, to_class_id, number, order_date, parent_ids=(), new_parents=()):
    """A new student's card, enrolled by an applied order of the book, with his parents; returns the Student.
    `card_fields`: enrollment.CARD_FIELDS (text as typed or dates); `parent_ids`: existing parents' cards;
    `new_parents`: [NewParent]. Any problem: DomainError listing every one, nothing written."""
    permissions.require(actor, "student", "create")
    permissions.require(actor, VIEW, "create")
    permissions.require(actor, VIEW, "apply")
    number = (number or "").strip()
    bad = {}
    card, errors = enrollment.normalize_card(card_fields, bad)
    klass = _class(actor, to_class_id, errors)
    with db.session.no_autoflush:
        found, made = _parents(actor, parent_ids, new_parents, errors)
        probe = enrollment.card_student(SimpleNamespace(org_id=actor.org_id, number=number, order_date=order_date),
                                        card, klass.id if klass is not None else None)
        try:
            card_rules.validate_student(probe)
        except DomainError as exc:
            errors += exc.errors or [exc.message]
            bad = {**exc.fields, **bad}
    if errors:
        raise DomainError(REFUSED, errors, bad)
    card["snils"] = probe.snils
    order = _order_of(actor, number, order_date)
    if order is not None:
        student = orders.apply_new_card(actor, order.id, card, klass.id)
    else:
        order = orders.create_order(actor, K.ENROLLMENT.value, number, order_date)
        enrollment.save_card(actor, order.id, card, klass.id)
        order = orders.apply_order(actor, order.id)
        student = order.items[0].student
    if found or made:
        db.session.add_all(made)
        student.parents.extend([*found, *made])
        db.session.flush()
    return student
