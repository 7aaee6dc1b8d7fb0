"""The movement book (книга движения): orders drafted, checked and applied in one transaction.

An order is a draft until «Провести приказ»: then every student of it is checked against the
class history and, only if none has a problem, all of them move at once — the history
(ClassMembership) gets its dates, the card its class and status. An applied order is final:
nothing of it can be edited or deleted; «Отменить приказом» drafts a cancellation order which,
applied with the original's date, leaves the history as if the original never happened (applied
with a later date, it moves the students back from that date).

`Student.class_id` is the class of the student's latest membership and changes only here: the
card form, an import or a script that tries to move a student is refused. HR's card form enrolls a new
student by an applied enrollment order (admission.py); a card created with a class elsewhere (an import, a
script) opens a membership from its enrollment order date, with no order. A withdrawn or
graduated student keeps `class_id` (the class he left from: his journals still show him, greyed,
with all his marks) and his status says he has left.
"""
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import (AcademicYear, ClassMembership, LeaveReason, MovementItem, MovementOrder, SchoolClass, Student,
                    StudentStatus, db, utcnow)
from services import dates, permissions
from services.errors import DomainError
from services.movement._common import (APPLIED, CANCELLED, DRAFT, GRADUATED, ONE_DAY, OPENING,
                                       STUDYING, VIEW, WITHDRAWN, K, _d, _draft_for_edit, _histories, _load, _open)
from services.movement.enrollment import _card_problems, card_student
from services.movement.entries import (ASKING, ENTRIES_CHOICES, MOVE, EntriesAfterOrder, _later_rows, _log_entries,
                                       _move_entries, _summary)
from services.movement.guards import _guarded


# -- planning an order: every problem, or the steps that apply it ------------------------------------

class _Problem(Exception):
    pass


@dataclass
class _Step:
    item: MovementItem
    student: Student | None
    status: str
    class_id: int | None
    close: ClassMembership | None = None
    delete: ClassMembership | None = None
    reopen: ClassMembership | None = None
    open_class: SchoolClass | None = None
    open_start: date | None = None
    open_leave: bool = False
    card: dict | None = None


def _in_year(klass, day):
    return klass.year.start_date <= day <= klass.year.end_date


def _need_current(student, history, allow_leave=False):
    if student.status != STUDYING:
        raise _Problem(f"не обучается (статус «{StudentStatus(student.status).label}»)")
    current = _open(history)
    if current is None:
        raise _Problem("нет истории пребывания в классе — заполните её командой "
                       "«flask --app app movement backfill»")
    if current.on_leave and not allow_leave:
        raise _Problem(f"в академическом отпуске с {_d(current.start_date)}")
    return current


def _check_from(item, current):
    if item.from_class_id is not None and item.from_class_id != current.class_id:
        raise _Problem(f"сейчас в «{current.klass.name}», а в приказе указан «{item.from_class.name}»")


def _check_after(current, day):
    if day <= current.start_date:
        raise _Problem(f"в «{current.klass.name}» с {_d(current.start_date)}: приказ должен действовать "
                       f"позже (он действует с {_d(day)}); ошибочный приказ отмените «Отменить приказом»")


def _need_to_class(item, day):
    klass = item.to_class
    if klass is None:
        raise _Problem("не указан класс, в который он переводится")
    if not _in_year(klass, day):
        raise _Problem(f"«{klass.name}» — класс {klass.year.name}, а приказ действует с {_d(day)}")
    return klass


def _plan_item(order, item, history, day):
    kind, student = order.kind, item.student
    if kind == K.ENROLLMENT.value:
        klass = item.to_class
        if klass is None:
            raise _Problem("не указан класс, в который он зачисляется")
        if day > klass.year.end_date:
            raise _Problem(f"«{klass.name}» — класс {klass.year.name}, а приказ действует с {_d(day)}")
        start = max(day, klass.year.start_date)
        if student is None:
            if not item.card:
                raise _Problem("нет ни ученика, ни его карточки")
            return _Step(item, None, STUDYING, klass.id, open_class=klass, open_start=start, card=item.card)
        if student.status == STUDYING:
            current = _open(history)
            raise _Problem(f"уже обучается в «{current.klass.name if current else '—'}»")
        if history and (history[-1].end_date is None or history[-1].end_date >= start):
            raise _Problem(f"до {_d(history[-1].end_date or start)} числится в «{history[-1].klass.name}»")
        return _Step(item, student, STUDYING, klass.id, open_class=klass, open_start=start)
    if student is None:
        raise _Problem("не указан ученик")
    if kind in (K.WITHDRAWAL.value, K.EXPULSION.value, K.GRADUATION.value):
        current = _need_current(student, history, allow_leave=kind != K.WITHDRAWAL.value)
        _check_from(item, current)
        _check_after(current, day)
        if kind != K.GRADUATION.value:
            if item.reason not in {r.value for r in LeaveReason}:
                raise _Problem("не указана причина выбытия")
            if kind == K.WITHDRAWAL.value and not (item.destination or "").strip():
                raise _Problem("не указано, куда выбыл (организация, населённый пункт)")
        status = GRADUATED if kind == K.GRADUATION.value else WITHDRAWN
        return _Step(item, student, status, current.class_id, close=current)
    if kind == K.TRANSFER.value:
        current = _need_current(student, history)
        _check_from(item, current)
        klass = _need_to_class(item, day)
        if klass.id == current.class_id:
            raise _Problem(f"уже в «{klass.name}»")
        if klass.year_id != current.klass.year_id:
            raise _Problem("перевод из класса в класс — внутри учебного года; на следующий год переводит "
                           "приказ «Перевод на следующий год»")
        _check_after(current, day)
        return _Step(item, student, STUDYING, klass.id, close=current, open_class=klass, open_start=day)
    if kind in (K.NEXT_YEAR.value, K.REPEAT.value):
        current = _need_current(student, history)
        _check_from(item, current)
        klass = _need_to_class(item, day)
        if order.target_year_id and klass.year_id != order.target_year_id:
            raise _Problem(f"«{klass.name}» — не класс {order.target_year.name}")
        if klass.year.start_date <= current.klass.year.start_date:
            raise _Problem(f"«{klass.name}» — класс не следующего учебного года")
        source = current.klass
        if kind == K.NEXT_YEAR.value and klass.grade <= source.grade:
            raise _Problem(f"перевод на следующий год — в класс старше «{source.name}», а «{klass.name}» нет")
        if kind == K.REPEAT.value and klass.grade != source.grade:
            raise _Problem(f"на повторное обучение оставляют в той же параллели, а «{klass.name}» — другая")
        _check_after(current, day)
        return _Step(item, student, STUDYING, klass.id, close=current, open_class=klass, open_start=day)
    if kind == K.LEAVE.value:
        current = _need_current(student, history)
        _check_from(item, current)
        _check_after(current, day)
        return _Step(item, student, STUDYING, current.class_id, close=current, open_class=current.klass,
                     open_start=day, open_leave=True)
    if kind == K.LEAVE_RETURN.value:
        current = _need_current(student, history, allow_leave=True)
        if not current.on_leave:
            raise _Problem("не в академическом отпуске")
        _check_from(item, current)
        klass = item.to_class or current.klass
        if not _in_year(klass, day):
            raise _Problem(f"«{klass.name}» — группа {klass.year.name}, а приказ действует с {_d(day)}")
        _check_after(current, day)
        return _Step(item, student, STUDYING, klass.id, close=current, open_class=klass, open_start=day)
    if kind == K.CANCELLATION.value:
        return _plan_cancellation(order, item, history, day)
    raise _Problem("неизвестный тип приказа")


def _plan_cancellation(order, item, history, day):
    """Undo what the original order did to this student: from its own date, the history reads as if
    it never happened; from a later date, the student goes back to where he was."""
    original, student = order.cancels, item.student
    source = next((i for i in original.items if i.student_id == item.student_id), None)
    if source is None:
        raise _Problem(f"его нет в отменяемом приказе № {original.number}")
    closed = next((m for m in history if m.end_order_id == original.id), None)
    if original.kind in OPENING:
        made = next((m for m in history if m.start_order_id == original.id), None)
        if made is None:
            raise _Problem("история ученика изменена после приказа: отмена невозможна")
        if made.end_date is not None:
            later = made.end_order.number if made.end_order is not None else "—"
            raise _Problem(f"после приказа № {original.number} он уже перемещён приказом № {later}: "
                           "сначала отмените тот приказ")
        if day < made.start_date:
            raise _Problem(f"отмена не может действовать раньше отменяемого приказа ({_d(made.start_date)})")
        step = _Step(item, student, source.prev_status or WITHDRAWN, None)
        if day == made.start_date:
            step.delete = made
        else:
            step.close = made
    else:
        if closed is None:
            raise _Problem("история ученика изменена после приказа: отмена невозможна")
        if history[-1] is not closed:
            raise _Problem(f"после приказа № {original.number} он снова зачислен или перемещён: сначала "
                           "отмените тот приказ")
        if day <= closed.end_date:
            raise _Problem(f"отмена не может действовать раньше отменяемого приказа ({_d(closed.end_date + ONE_DAY)})")
        step = _Step(item, student, source.prev_status or STUDYING, closed.class_id)
    if closed is not None:
        if closed.end_date == day - ONE_DAY:
            step.reopen = closed
        else:
            step.open_class, step.open_start, step.open_leave = closed.klass, day, closed.on_leave
        step.class_id = closed.class_id
    elif step.close is not None:
        step.class_id = step.close.class_id  # the enrollment stays in the history, closed
    else:
        remaining = [m for m in history if m.start_order_id != original.id]
        step.class_id = remaining[-1].class_id if remaining else None
    if closed is None and step.status == STUDYING:
        step.status = WITHDRAWN
    return step


def _closed_year_problem(order, day):
    year = db.session.scalar(select(AcademicYear).where(
        AcademicYear.org_id == order.org_id, AcademicYear.start_date <= day, AcademicYear.end_date >= day))
    if year is not None and year.is_closed:
        return f"Учебный год {year.name} закрыт: движение с {_d(day)} в нём оформить нельзя"
    return None


def _plan(order, full=True):
    """The steps that apply the order, or DomainError listing every problem. `full=False` (the
    order's page) spares the per-card rules, checked when each card was saved."""
    items = list(order.items)
    if not items:
        raise DomainError(f"{order} не проведён", ["В приказе нет ни одного ученика"])
    day = order.effective_date
    problems = []
    closed = _closed_year_problem(order, day)
    if closed:
        problems.append(closed)
    if order.kind == K.CANCELLATION.value:
        if order.cancels is None or order.cancels.status != APPLIED:
            state = order.cancels.status_label.lower() if order.cancels is not None else "не найден"
            raise DomainError(f"{order} не проведён", [f"Отменяемый приказ {state}: отменить можно только "
                                                       "проведённый приказ"])
    histories = _histories([i.student_id for i in items if i.student_id], lock=full)
    steps = []
    for item in items:
        try:
            steps.append(_plan_item(order, item, histories.get(item.student_id, []), day))
        except _Problem as problem:
            problems.append(f"{item.person_name}: {problem}")
    problems += _card_problems(order, items, full)
    if problems:
        raise DomainError(f"{order} не проведён", problems)
    return steps


def _execute(order, steps):
    # Stays deleted first: a flush updates before it deletes, and a stay reopened next to one still
    # stored open would be a student's second open stay, which the unique index refuses.
    for step in steps:
        if step.delete is not None:
            db.session.delete(step.delete)
    db.session.flush()
    for step in steps:
        student = step.student
        if step.card is not None:
            student = card_student(order, step.card, step.class_id)
            db.session.add(student)
            step.item.student = student
        else:
            step.item.prev_status = student.status
        if order.kind == K.ENROLLMENT.value:
            student.enrollment_order_number, student.enrollment_order_date = order.number, order.order_date
        if step.close is not None:
            step.close.end_date = order.effective_date - ONE_DAY
            step.close.end_order_id = order.id
        if step.reopen is not None:
            step.reopen.end_date, step.reopen.end_order_id = None, None
        if step.open_class is not None:
            db.session.add(ClassMembership(org_id=order.org_id, student=student, class_id=step.open_class.id,
                                           start_date=step.open_start, on_leave=step.open_leave,
                                           start_order_id=order.id))
        student.status = step.status
        student.class_id = step.class_id
        if step.class_id is None:
            student.klass = None


# -- checking and applying ---------------------------------------------------------------------------

def later_entries(actor, order_id):
    """[LaterEntries] the draft order would leave outside its students' stays ([] if none, or if the
    order cannot be applied now anyway); changes nothing. The order's page asks what to do with them."""
    permissions.require_rows(actor, VIEW, "details", MovementOrder, [order_id])
    order = _load(order_id)
    if not order.is_draft or order.kind not in ASKING:
        return []
    try:
        with db.session.no_autoflush:
            return _summary(_later_rows(order, _plan(order, full=False)))
    except DomainError:
        return []


def check_order(actor, order_id):
    """The problems that would stop «Провести приказ» now ([] if none); changes nothing."""
    permissions.require_rows(actor, VIEW, "details", MovementOrder, [order_id])
    order = _load(order_id)
    if not order.is_draft:
        return []
    try:
        with db.session.no_autoflush:
            _plan(order, full=False)
    except DomainError as exc:
        return exc.errors or [exc.message]
    return []


def apply_order(actor, order_id, entries=None):
    """«Провести приказ»: all the students move, or (any problem, all listed) none does.

    A transfer or withdrawal dated before entries of its students in their former classes (marks,
    attendance from its date on) is refused with EntriesAfterOrder until `entries` says what to do
    with them: "move" (to the new class's lessons of the same subject, date and number, where there
    are such; the rest stay) or "keep" (they stay in the old journal as history, outside the stay,
    so no report counts them). The choice and what moved are audited.
    A part of the caller's unit of work (services/uow.py)."""
    permissions.require_rows(actor, VIEW, "apply", MovementOrder, [order_id])
    if entries not in (None, *ENTRIES_CHOICES):
        raise DomainError("Приказ не проведён", ["Записи после даты приказа: перенести (move) или оставить (keep)"])

    def run():
        order = _load(order_id, lock=True)
        if not order.is_draft:
            raise DomainError(f"{order} уже {order.status_label.lower()}: провести его ещё раз нельзя")
        with db.session.no_autoflush:
            steps = _plan(order)
            later = _later_rows(order, steps)
        if later and entries is None:
            raise EntriesAfterOrder(order, _summary(later))
        _execute(order, steps)
        if later:
            moved = _move_entries(later) if entries == MOVE else 0
            _log_entries(actor, order, entries, later, moved)
        order.status = APPLIED
        order.applied_at = utcnow()
        order.applied_by_id = actor.user_id
        if order.kind == K.CANCELLATION.value:
            order.cancels.status = CANCELLED
        return order
    try:
        return _guarded(run)
    except DomainError as exc:
        if exc.message.startswith("Карточка"):
            raise DomainError("Приказ не проведён", [str(exc)]) from None
        raise


def apply_new_card(actor, order_id, card, to_class_id):
    """A new student's card added to an applied enrollment order of the book and applied at once: the
    order lists the children enrolled by it, entered one card at a time (HR's card form). The card is
    checked as applying an order checks it; returns the new Student. A part of the caller's unit of work."""
    return apply_new_cards(actor, order_id, [(card, to_class_id)])[0]


def apply_new_cards(actor, order_id, entries):
    """New students' cards — (card, class id) each — added to an applied enrollment order and applied at
    once (apply_new_card for many: an import whose order is already in the book). All are checked as
    applying an order checks them; any problem, none is added. Returns the new Students, in order."""
    permissions.require_rows(actor, VIEW, "apply", MovementOrder, [order_id])

    def run():
        order = _load(order_id, lock=True)
        if order.kind != K.ENROLLMENT.value or order.status != APPLIED:
            raise DomainError(f"{order} не изменён", ["Ученика добавляют только в проведённый приказ о зачислении"])
        day = order.effective_date
        problems = [p for p in (_closed_year_problem(order, day),) if p]
        class_ids = {class_id for _, class_id in entries}
        classes = {c.id: c for c in db.session.scalars(select(SchoolClass).where(
            SchoolClass.id.in_(class_ids), SchoolClass.org_id == order.org_id).options(joinedload(SchoolClass.year)))}
        items, steps = [], []
        with db.session.no_autoflush:
            for card, to_class_id in entries:
                item = MovementItem(org_id=order.org_id, card=card, to_class_id=to_class_id)
                item.to_class = classes.get(to_class_id)
                items.append(item)
                try:
                    steps.append(_plan_item(order, item, [], day))
                except _Problem as problem:
                    problems.append(f"{item.person_name}: {problem}")
            problems += _card_problems(order, items)
        if problems:
            raise DomainError(f"{order}: ученик не зачислен" if len(entries) == 1
                              else f"{order}: ученики не зачислены", problems)
        order.items.extend(items)
        _execute(order, steps)
        return [step.item.student for step in steps]
    return _guarded(run)


# -- drafting --------------------------------------------------------------------------------------

def suggest_number(org_id, on_date):
    """The next free number of the calendar year: one more than the greatest leading number."""
    numbers = db.session.scalars(select(MovementOrder.number).where(
        MovementOrder.org_id == org_id, MovementOrder.number_year == on_date.year)).all()
    taken = set(numbers)
    top = max((int(m.group(1)) for m in (re.match(r"^(\d+)", n) for n in numbers) if m), default=0)
    candidate = top + 1
    while str(candidate) in taken:
        candidate += 1
    return str(candidate)


def create_order(actor, kind, number, order_date, effective_date=None, note=None, target_year_id=None):
    """A draft order (the form on the list does the same through the model's rules)."""
    permissions.require(actor, VIEW, "create")
    order = MovementOrder(org_id=actor.org_id, kind=kind, number=number, order_date=order_date,
                          effective_date=effective_date, note=note, target_year_id=target_year_id,
                          status=DRAFT)

    def run():
        db.session.add(order)
        return order
    return _guarded(run)


@dataclass
class ItemInput:
    student_id: int | None = None
    to_class_id: int | None = None
    reason: str | None = None
    destination: str | None = None
    note: str | None = None


def add_items(actor, order_id, inputs):
    """Add students to a draft order; each is checked against his history now (and again when the
    order is applied). Every problem is listed; none is added if any."""
    order = _draft_for_edit(actor, order_id)
    inputs = [i for i in inputs if i.student_id]
    if not inputs:
        raise DomainError("Ученики не добавлены", ["Выберите хотя бы одного ученика"],
                          {"student_id": "Выберите хотя бы одного ученика"})
    ids = [int(i.student_id) for i in inputs]
    if set(permissions.scoped_ids(actor, "student", "list", Student, ids)) != set(ids):
        raise DomainError("Ученики не добавлены", ["Нет доступа к одному или нескольким выбранным ученикам"])
    students = {s.id: s for s in db.session.scalars(select(Student).where(Student.id.in_(ids)))}
    classes = _classes({int(i.to_class_id) for i in inputs if i.to_class_id}, order.org_id)
    present = {i.student_id for i in order.items}
    histories = _histories(ids)
    problems, made = [], []
    with db.session.no_autoflush:
        for data in inputs:
            student = students[int(data.student_id)]
            if student.id in present:
                problems.append(f"{student.full_name}: уже есть в этом приказе")
                continue
            present.add(student.id)
            current = _open(histories[student.id])
            item = MovementItem(org_id=order.org_id, student=student, student_id=student.id,
                                from_class=current.klass if current is not None else None,
                                from_class_id=current.class_id if current is not None else None,
                                to_class=classes.get(int(data.to_class_id)) if data.to_class_id else None,
                                to_class_id=int(data.to_class_id) if data.to_class_id else None,
                                reason=data.reason or None, destination=(data.destination or "").strip() or None,
                                note=(data.note or "").strip() or None)
            if order.kind == K.ENROLLMENT.value:
                item.from_class, item.from_class_id = None, None
            if order.kind in (K.LEAVE.value, K.LEAVE_RETURN.value) and item.to_class_id is None \
                    and current is not None:
                item.to_class, item.to_class_id = current.klass, current.class_id
            try:
                _plan_item(order, item, histories[student.id], order.effective_date)
            except _Problem as problem:
                problems.append(f"{student.full_name}: {problem}")
                continue
            made.append(item)
    if problems:
        raise DomainError("Ученики не добавлены", problems)

    def run():
        for item in made:
            order.items.append(item)
        return made
    return _guarded(run)


def _classes(ids, org_id):
    if not ids:
        return {}
    found = {c.id: c for c in db.session.scalars(select(SchoolClass).where(
        SchoolClass.id.in_(ids), SchoolClass.org_id == org_id).options(joinedload(SchoolClass.year)))}
    if set(found) != set(ids):
        raise DomainError("Ученики не добавлены", ["Класс (группа) не найден в этой организации"])
    return found


def remove_item(actor, item_id):
    item = db.session.get(MovementItem, int(item_id))
    if item is None:
        raise DomainError("Строка приказа не найдена")
    order = _draft_for_edit(actor, item.order_id)

    def run():
        order.items.remove(item)
        return order
    return _guarded(run)


def draft_cancellation(actor, order_id, number=None, order_date=None, today=None):
    """«Отменить приказом»: a draft cancellation order with the original's students, dated today and
    acting from the original's date (so that, applied, the history reads as if it never happened).
    A draft cancellation already made is returned as it is."""
    permissions.require_rows(actor, VIEW, "cancel", MovementOrder, [order_id])
    original = _load(order_id)
    if original.kind == K.CANCELLATION.value:
        raise DomainError(f"{original} не отменён", ["Приказ об отмене отменить нельзя: оформите новый приказ "
                                                     "о движении"])
    if original.status != APPLIED:
        raise DomainError(f"{original} не отменён", ["Отменить приказом можно только проведённый приказ; "
                                                     "черновик просто измените или удалите"])
    existing = db.session.scalar(select(MovementOrder).where(MovementOrder.cancels_id == original.id,
                                                             MovementOrder.status == DRAFT))
    if existing is not None:
        return existing
    today = today or dates.today(actor.org)
    order_date = order_date or max(today, original.order_date)
    cancel = MovementOrder(org_id=original.org_id, kind=K.CANCELLATION.value, cancels_id=original.id,
                           number=number or suggest_number(original.org_id, order_date), order_date=order_date,
                           effective_date=original.effective_date, status=DRAFT,
                           note=f"Отмена приказа № {original.number} от {_d(original.order_date)} "
                                f"«{original.kind_label}»")
    for item in original.items:
        if item.student_id is None:
            continue
        # From where the original put him, back to where he was (nowhere, for an enrollment).
        cancel.items.append(MovementItem(org_id=original.org_id, student_id=item.student_id,
                                         from_class_id=item.to_class_id if original.kind in OPENING else None,
                                         to_class_id=item.from_class_id))

    def run():
        db.session.add(cancel)
        return cancel
    return _guarded(run)
