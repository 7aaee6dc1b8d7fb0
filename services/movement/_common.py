"""What the movement book's modules share (private to services/movement): the kinds and statuses, the
messages, a student's class history read at once, an order loaded for a change."""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import (ClassMembership, MovementItem, MovementKind, MovementOrder, OrderStatus, SchoolClass,
                    StudentStatus, db)
from models.dialect import locked
from services import permissions
from services.errors import DomainError

K = MovementKind
DRAFT, APPLIED, CANCELLED = OrderStatus.DRAFT.value, OrderStatus.APPLIED.value, OrderStatus.CANCELLED.value
STUDYING, WITHDRAWN, GRADUATED = (StudentStatus.STUDYING.value, StudentStatus.WITHDRAWN.value,
                                  StudentStatus.GRADUATED.value)
VIEW = "movement_order"
ONE_DAY = timedelta(days=1)

# Kinds whose students leave their class and come to another (or the same, on leave) one.
OPENING = {K.ENROLLMENT.value, K.TRANSFER.value, K.NEXT_YEAR.value, K.REPEAT.value, K.LEAVE.value,
           K.LEAVE_RETURN.value}
# Kinds whose students leave the institution.
LEAVING = {K.WITHDRAWAL.value, K.EXPULSION.value, K.GRADUATION.value}

# A unique key (one open stay per student, one order number a year …) refused a concurrent twin.
CHANGED_MEANWHILE = "Книга движения не изменена: эти ученики или приказы только что изменены другим пользователем"
APPLIED_IS_FINAL = ("Проведённый приказ изменить или удалить нельзя: его можно только отменить приказом "
                    "об отмене (действие «Отменить приказом»)")


# -- reading the history ------------------------------------------------------------------------

def _histories(student_ids, lock=False):
    """{student id: [memberships oldest first]} in one query; locked (lock=True) until the commit,
    so that two orders applied at once cannot both move one student."""
    result = {sid: [] for sid in student_ids}
    if not student_ids:
        return result
    query = select(ClassMembership).where(ClassMembership.student_id.in_(student_ids)) \
        .options(joinedload(ClassMembership.klass).joinedload(SchoolClass.year),
                 joinedload(ClassMembership.end_order)) \
        .order_by(ClassMembership.start_date, ClassMembership.id)
    if lock:
        query = locked(query, of=ClassMembership)
    for m in db.session.scalars(query).unique():
        result[m.student_id].append(m)
    return result


def _open(history):
    current = [m for m in history if m.end_date is None]
    return current[-1] if current else None


def _d(day):
    return day.strftime("%d.%m.%Y")


def _load(order_id, lock=False):
    items = selectinload(MovementOrder.items)
    query = select(MovementOrder).where(MovementOrder.id == int(order_id)).options(
        items.joinedload(MovementItem.student),
        items.joinedload(MovementItem.to_class).joinedload(SchoolClass.year),
        items.joinedload(MovementItem.from_class))
    if lock:
        query = locked(query)
    order = db.session.scalar(query)
    if order is None:
        raise DomainError("Приказ не найден")
    return order


def _draft_for_edit(actor, order_id):
    permissions.require_rows(actor, VIEW, "edit", MovementOrder, [order_id])
    order = _load(order_id, lock=True)
    if not order.is_draft:
        raise DomainError(f"{order} не изменён", [APPLIED_IS_FINAL])
    if order.kind == K.CANCELLATION.value:
        raise DomainError(f"{order} не изменён", ["Состав приказа об отмене повторяет отменяемый приказ"])
    return order

