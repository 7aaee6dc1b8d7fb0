"""The movement book's guards, on every flush (any path: a view, the CLI, an import): a student's class
and status, the class history and an applied order change only inside `book_writes()` — the movement
services' writes (`_guarded`), trusted to skip the rules in `BOOK_RULES`. A card created with a class opens
its history. Installed by create_app() (`RULES`).
"""
from sqlalchemy import inspect, select
from sqlalchemy.orm.exc import StaleDataError

from models import (COLLEGE_KINDS, AcademicYear, ClassMembership, MovementItem, MovementKind, MovementOrder,
                    Organization, SchoolClass, Student, db)
from services.errors import DomainError, taken_is_refused
from services.movement._common import APPLIED_IS_FINAL, CHANGED_MEANWHILE, DRAFT, STUDYING, K
from services.rules import is_trusted, rule, trusted, validator

CLASS_CHANGE = ("Класс (группа) обучающегося меняется только приказом книги движения (перевод, выбытие, "
                "зачисление): раздел «Книга движения»")
STATUS_CHANGE = ("Статус обучающегося меняется только приказом книги движения (выбытие, выпуск, "
                 "зачисление): раздел «Книга движения»")


# -- writes of the book: only the services below may move a student ------------------------------

# The rules the book's own writes skip: they move students, post orders and write the history themselves.
BOOK_RULES = ("movement.order_posting", "movement.applied_order_items", "movement.class_history",
              "movement.card_class", "movement.history_deletes")


def book_writes():
    """Inside, the flush lets the movement services change classes, statuses and applied orders."""
    return trusted("the movement book's services write classes, statuses and orders", *BOOK_RULES)


def _writing(obj):
    return is_trusted(inspect(obj).session, "movement.card_class")


def _old(obj, key):
    """The value `key` had when loaded (audited models load it before a change)."""
    hist = inspect(obj).attrs[key].history
    if hist.deleted:
        return hist.deleted[0]
    if hist.unchanged:
        return hist.unchanged[0]
    return getattr(obj, key)


def _changed(obj, key):
    hist = inspect(obj).attrs[key].history
    return hist.has_changes() and (hist.deleted[0] if hist.deleted else None) != getattr(obj, key)


def year_of(org_id, day):
    """The academic year an order of `day` belongs to: the one containing it; in the summer
    between two years, the one that ended; before the first year, the first."""
    years = db.session.scalars(select(AcademicYear).where(AcademicYear.org_id == org_id)
                               .order_by(AcademicYear.start_date)).all()
    for year in years:
        if year.start_date <= day <= year.end_date:
            return year
    before = [y for y in years if y.start_date <= day]
    return before[-1] if before else (years[0] if years else None)


@validator(MovementOrder, "movement.order_posting")
def validate_order_posting(order):
    """An order is saved a draft and posted only by the book (skipped inside `book_writes()`)."""
    state = inspect(order)
    if state.persistent:
        if _old(order, "status") != DRAFT:
            raise DomainError(f"{order} не изменён", [APPLIED_IS_FINAL])
        if _changed(order, "status"):
            raise DomainError(f"{order} не изменён", ["Приказ проводится действием «Провести приказ»"])
    elif order.status not in (None, DRAFT):
        raise DomainError("Приказ не сохранён", ["Новый приказ сохраняется черновиком; проводится он "
                                                 "действием «Провести приказ»"])


@validator(MovementOrder, "movement.order")
def validate_order(order):
    state = inspect(order)
    changed = set()
    if state.persistent:
        changed = {attr.key for attr in state.mapper.column_attrs if _changed(order, attr.key)}
        if _old(order, "status") != DRAFT:
            if changed <= {"status"}:
                return  # posted or cancelled by the book (outside it, movement.order_posting refused it)
            raise DomainError(f"{order} не изменён", [APPLIED_IS_FINAL])
    elif order.status is None:
        order.status = DRAFT
    errors, fields = [], {}

    def refuse(field, message):  # the order form marks the field a refusal is about
        errors.append(message)
        fields.setdefault(field, message)

    org = db.session.get(Organization, order.org_id)
    order.number = (order.number or "").strip()
    if not order.number:
        refuse("number", "Поле «Номер приказа» обязательно")
    elif len(order.number) > 30:
        refuse("number", "Номер приказа — не длиннее 30 знаков")
    kinds = {k.value for k in MovementKind}
    if order.kind not in kinds:
        refuse("kind", "Укажите тип приказа")
    elif order.kind in COLLEGE_KINDS and not (org and org.is_college):
        refuse("kind", f"Приказ «{MovementKind(order.kind).label}» издаётся только в колледже (техникуме)")
    elif order.kind == K.CANCELLATION.value and order.cancels_id is None:
        refuse("kind", "Приказ об отмене создаётся действием «Отменить приказом» в списке приказов")
    if "kind" in changed and order.items:
        refuse("kind", "Тип приказа, в котором уже есть ученики, менять нельзя: создайте новый приказ")
    year = None
    if order.order_date is None:
        refuse("order_date", "Поле «Дата приказа» обязательно")
    else:
        order.number_year = order.order_date.year
        year = year_of(order.org_id, order.order_date)
        if year is None:
            refuse("order_date", "В организации нет учебного года: сначала создайте его")
        else:
            order.year_id = year.id
    if order.kind in (K.NEXT_YEAR.value, K.REPEAT.value):
        target = db.session.get(AcademicYear, order.target_year_id) if order.target_year_id else None
        if target is None:
            refuse("target_year", "Укажите учебный год, на который переводятся ученики")
        elif year is not None and target.start_date <= year.start_date:
            refuse("target_year", f"Учебный год перевода должен быть позже {year.name}")
        elif order.effective_date is None:
            order.effective_date = target.start_date
    elif order.kind != K.GRADUATION.value and order.target_year_id is not None:
        order.target_year, order.target_year_id = None, None
    if order.effective_date is None:
        order.effective_date = order.order_date
    if order.number and order.order_date and not errors:
        twin = db.session.scalar(select(MovementOrder).where(
            MovementOrder.org_id == order.org_id, MovementOrder.number_year == order.number_year,
            MovementOrder.number == order.number, MovementOrder.id != (order.id or 0)))
        if twin is not None:
            refuse("number", f"Приказ № {order.number} за {order.number_year} год уже есть "
                             f"(от {twin.order_date:%d.%m.%Y}, «{twin.kind_label}»)")
    if errors:
        raise DomainError("Приказ не сохранён", errors, fields)


@validator(MovementItem, "movement.applied_order_items")
def validate_item(item):
    if _writing(item):
        return
    order = item.order if item.order is not None else db.session.get(MovementOrder, item.order_id)
    if order is not None and _old(order, "status") != DRAFT:
        raise DomainError(f"{order} не изменён", [APPLIED_IS_FINAL])


@validator(ClassMembership, "movement.class_history")
def validate_membership(membership):
    if not _writing(membership):
        raise DomainError("История классов не изменена", [CLASS_CHANGE])


@validator(Student, "movement.card_class")
def keep_class_history(student):
    """A new card with a class opens its history; a card's class never changes outside the book."""
    state = inspect(student)
    if state.pending or state.transient:
        if student.class_id is not None and not _writing(student) and student.status == STUDYING:
            _open_for_new_card(state.session, student)
        return
    if not _writing(student) and _changed(student, "class_id"):
        raise DomainError("Карточка обучающегося не сохранена", [CLASS_CHANGE])


def check_card_status_change(student):
    """The card form may not change a saved student's status: the book does (withdrawal, graduation,
    enrollment). Called by the card view; the class is guarded for every path on flush."""
    if inspect(student).persistent and not _writing(student) and _changed(student, "status"):
        raise DomainError("Карточка обучающегося не сохранена", [STATUS_CHANGE])


def _membership_start(klass, since):
    year = klass.year
    return max(since, year.start_date) if since else year.start_date


def _open_for_new_card(session, student):
    if any(isinstance(o, ClassMembership) and o.student is student for o in session.new):
        return
    klass = session.get(SchoolClass, student.class_id)
    if klass is None:
        return
    session.add(ClassMembership(org_id=student.org_id, student=student, class_id=klass.id,
                                start_date=_membership_start(klass, student.enrollment_order_date)))


@rule("movement.history_deletes", "guard")
def _refuse_deleting_history(session, flush_context, instances):
    for obj in session.deleted:
        if isinstance(obj, MovementOrder) and _old(obj, "status") != DRAFT:
            raise DomainError(f"{obj} не удалён", [APPLIED_IS_FINAL])
        if isinstance(obj, MovementItem):
            order = obj.order
            if order is not None and _old(order, "status") != DRAFT:
                raise DomainError(f"{order} не изменён", [APPLIED_IS_FINAL])
        if isinstance(obj, ClassMembership):
            raise DomainError("История классов не изменена", [CLASS_CHANGE])


# -- a write of the book: guards off, a concurrent twin refused ---------------------------------------

def _guarded(fn):
    """A write of the book, flushed as a part of the caller's unit of work (services/uow.py: the
    request, the CLI command or the year rollover's step commits it); any error rolls it back."""
    try:
        with book_writes(), taken_is_refused(CHANGED_MEANWHILE, ["Обновите страницу и повторите"]):
            result = fn()
            db.session.flush()
        return result
    except StaleDataError:  # a card or order changed by a concurrent request since it was read
        db.session.rollback()
        raise DomainError(CHANGED_MEANWHILE, ["Обновите страницу и повторите"]) from None
    except Exception:
        db.session.rollback()
        raise


# validate_student (services/people/cards.py, installed before) defaults a new card's status, which
# keep_class_history reads.
RULES = (validate_order_posting, validate_order, validate_item, validate_membership, keep_class_history,
         _refuse_deleting_history)
