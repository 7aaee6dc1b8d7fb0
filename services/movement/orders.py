"""The movement book (книга движения): orders drafted, checked and applied in one transaction.

An order is a draft until «Провести приказ»: then every student of it is checked against the
class history and, only if none has a problem, all of them move at once — the history
(ClassMembership) gets its dates, the card its class and status. An applied order is final:
nothing of it can be edited or deleted; «Отменить приказом» drafts a cancellation order which,
applied with the original's date, leaves the history as if the original never happened (applied
with a later date, it moves the students back from that date).

`Student.class_id` is the class of the student's latest membership and changes only here: the
card form, an import or a script that tries to move a student is refused. A card created with a
class (HR's card form) opens a membership from its enrollment order date. A withdrawn or
graduated student keeps `class_id` (the class he left from: his journals still show him, greyed,
with all his marks) and his status says he has left.
"""
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import and_, event, func, inspect, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from models import (COLLEGE_KINDS, AcademicYear, Attendance, AuditLog, ClassMembership, LeaveReason, Lesson, Mark,
                    MovementItem, MovementKind, MovementOrder, OrderStatus, Organization, PeriodMark, SchoolClass,
                    Student, StudentStatus, Subject, Task, TeachingAssignment, db, utcnow)
from models.dialect import locked
from services import audit, clock, permissions, versions
from services.people import cards as card_rules
from services.errors import DomainError, taken_is_refused
from services.org.orgs import MAX_GRADE
from services.params import parse_date
from services.rules import validator

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
# The orders of a transfer to the next year (built together by build_year_transfer).
YEAR_END_KINDS = (K.NEXT_YEAR.value, K.REPEAT.value, K.GRADUATION.value)
# Annual marks that keep a student in his grade (a repeater candidate).
FAILING_MARKS = ("2", "1", "н/а", "незач")

CLASS_CHANGE = ("Класс (группа) обучающегося меняется только приказом книги движения (перевод, выбытие, "
                "зачисление): раздел «Книга движения»")
STATUS_CHANGE = ("Статус обучающегося меняется только приказом книги движения (выбытие, выпуск, "
                 "зачисление): раздел «Книга движения»")
# A unique key (one open stay per student, one order number a year …) refused a concurrent twin.
CHANGED_MEANWHILE = "Книга движения не изменена: эти ученики или приказы только что изменены другим пользователем"
APPLIED_IS_FINAL = ("Проведённый приказ изменить или удалить нельзя: его можно только отменить приказом "
                    "об отмене (действие «Отменить приказом»)")

# Fields of a new student's card filled in the enrollment order (the card rules check them).
CARD_FIELDS = (
    ("last_name", "Фамилия", "str"), ("first_name", "Имя", "str"), ("middle_name", "Отчество", "str"),
    ("sex", "Пол", "str"), ("birth_date", "Дата рождения", "date"), ("snils", "СНИЛС", "str"),
    ("personal_file_number", "№ личного дела", "str"), ("address", "Адрес", "str"),
    ("birth_certificate_series", "Свидетельство о рождении: серия", "str"),
    ("birth_certificate_number", "Свидетельство о рождении: номер", "str"),
    ("birth_certificate_date", "Свидетельство о рождении: дата выдачи", "date"),
    ("passport_series", "Паспорт: серия", "str"), ("passport_number", "Паспорт: номер", "str"),
    ("passport_date", "Паспорт: дата выдачи", "date"), ("passport_issued_by", "Паспорт: кем выдан", "str"),
    ("family_composition", "Состав семьи", "str"), ("social_status", "Социальный статус", "str"),
    ("foreign_language", "Изучаемый иностранный язык", "str"),
)
CARD_KEYS = tuple(name for name, _, _ in CARD_FIELDS)


# -- writes of the book: only the services below may move a student ------------------------------

_BOOK = "movement_book_writes"


@contextmanager
def book_writes():
    """Inside, the flush lets the movement services change classes, statuses and applied orders."""
    info = db.session.info
    info[_BOOK] = info.get(_BOOK, 0) + 1
    try:
        yield
    finally:
        info[_BOOK] -= 1


def _writing(obj):
    session = inspect(obj).session
    return session is not None and session.info.get(_BOOK, 0) > 0


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


@validator(MovementOrder)
def validate_order(order):
    state = inspect(order)
    writing = _writing(order)
    changed = set()
    if state.persistent:
        changed = {attr.key for attr in state.mapper.column_attrs if _changed(order, attr.key)}
        if _old(order, "status") != DRAFT:
            if writing and changed <= {"status"}:
                return
            raise DomainError(f"{order} не изменён", [APPLIED_IS_FINAL])
        if "status" in changed and not writing:
            raise DomainError(f"{order} не изменён", ["Приказ проводится действием «Провести приказ»"])
    else:
        if order.status is None:
            order.status = DRAFT
        if order.status != DRAFT and not writing:
            raise DomainError("Приказ не сохранён", ["Новый приказ сохраняется черновиком; проводится он "
                                                     "действием «Провести приказ»"])
    errors = []
    org = db.session.get(Organization, order.org_id)
    order.number = (order.number or "").strip()
    if not order.number:
        errors.append("Поле «Номер приказа» обязательно")
    elif len(order.number) > 30:
        errors.append("Номер приказа — не длиннее 30 знаков")
    kinds = {k.value for k in MovementKind}
    if order.kind not in kinds:
        errors.append("Укажите тип приказа")
    elif order.kind in COLLEGE_KINDS and not (org and org.is_college):
        errors.append(f"Приказ «{MovementKind(order.kind).label}» издаётся только в колледже (техникуме)")
    elif order.kind == K.CANCELLATION.value and order.cancels_id is None:
        errors.append("Приказ об отмене создаётся действием «Отменить приказом» в списке приказов")
    if "kind" in changed and order.items:
        errors.append("Тип приказа, в котором уже есть ученики, менять нельзя: создайте новый приказ")
    year = None
    if order.order_date is None:
        errors.append("Поле «Дата приказа» обязательно")
    else:
        order.number_year = order.order_date.year
        year = year_of(order.org_id, order.order_date)
        if year is None:
            errors.append("В организации нет учебного года: сначала создайте его")
        else:
            order.year_id = year.id
    if order.kind in (K.NEXT_YEAR.value, K.REPEAT.value):
        target = db.session.get(AcademicYear, order.target_year_id) if order.target_year_id else None
        if target is None:
            errors.append("Укажите учебный год, на который переводятся ученики")
        elif year is not None and target.start_date <= year.start_date:
            errors.append(f"Учебный год перевода должен быть позже {year.name}")
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
            errors.append(f"Приказ № {order.number} за {order.number_year} год уже есть "
                          f"(от {twin.order_date:%d.%m.%Y}, «{twin.kind_label}»)")
    if errors:
        raise DomainError("Приказ не сохранён", errors)


@validator(MovementItem)
def validate_item(item):
    if _writing(item):
        return
    order = item.order if item.order is not None else db.session.get(MovementOrder, item.order_id)
    if order is not None and _old(order, "status") != DRAFT:
        raise DomainError(f"{order} не изменён", [APPLIED_IS_FINAL])


@validator(ClassMembership)
def validate_membership(membership):
    if not _writing(membership):
        raise DomainError("История классов не изменена", [CLASS_CHANGE])


@validator(Student)
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


@event.listens_for(Session, "before_flush")
def _refuse_deleting_history(session, flush_context, instances):
    if session.info.get(_BOOK, 0) > 0:
        return
    for obj in session.deleted:
        if isinstance(obj, MovementOrder) and _old(obj, "status") != DRAFT:
            raise DomainError(f"{obj} не удалён", [APPLIED_IS_FINAL])
        if isinstance(obj, MovementItem):
            order = obj.order
            if order is not None and _old(order, "status") != DRAFT:
                raise DomainError(f"{order} не изменён", [APPLIED_IS_FINAL])
        if isinstance(obj, ClassMembership):
            raise DomainError("История классов не изменена", [CLASS_CHANGE])


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


def _d(day):
    return day.strftime("%d.%m.%Y")


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


TWIN_KEYS = (("snils", "СНИЛС"), ("personal_file_number", "№ личного дела"))


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
    for item in cards:
        name = item.person_name
        if full:
            try:
                card_rules.validate_student(card_student(order, item.card, item.to_class_id))
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


def _finish(commit):
    if commit:
        db.session.commit()


def _guarded(commit, fn):
    try:
        with book_writes(), taken_is_refused(CHANGED_MEANWHILE, ["Обновите страницу и повторите"]):
            result = fn()
            db.session.flush()
            _finish(commit)
        return result
    except StaleDataError:  # a card or order changed by a concurrent request since it was read
        if commit:
            db.session.rollback()
        raise DomainError(CHANGED_MEANWHILE, ["Обновите страницу и повторите"]) from None
    except Exception:
        if commit:
            db.session.rollback()
        raise


# -- a student's journal entries after a backdated order (issue 13.4) -------------------------------

# Kinds that take a student out of his class during the year: his marks and attendance in that class's
# journal dated from the order's date on would be outside his stay, so applying asks what to do with them.
ASKING = {K.TRANSFER.value, K.WITHDRAWAL.value, K.EXPULSION.value}
MOVE, KEEP = "move", "keep"
ENTRIES_CHOICES = {MOVE: "перенести в журнал нового класса (где предмет продолжается: урок того же предмета "
                         "в тот же день и под тем же номером; остальные остаются в истории)",
                   KEEP: "оставить только в истории журнала прежнего класса (в отчётах не учитываются)"}
ENTRIES_QUESTION = ("После даты приказа у учеников есть записи в журнале прежнего класса: укажите, перенести их "
                    "в журнал нового класса или оставить только в истории")


@dataclass
class LaterEntries:
    """One student's entries of one subject in the class he leaves, dated from the order's date."""

    student: str
    class_name: str
    subject: str
    marks: int
    attendance: int
    dates: list

    def __str__(self):
        days = ", ".join(_d(day) for day in self.dates)
        return (f"{self.student}, {self.class_name}, «{self.subject}»: отметок — {self.marks}, "
                f"посещаемость — {self.attendance} ({days})")


def _later_rows(order, steps):
    """[(step, Mark | Attendance, its lesson, subject)] of each leaving student in his former class's
    journal dated from the order's date; two queries."""
    leaving = {(s.student.id, s.close.class_id): s for s in steps
               if order.kind in ASKING and s.close is not None and s.student is not None}
    if not leaving:
        return []
    TA = TeachingAssignment
    rows = []
    marks = select(Mark, Lesson, Subject, TA.class_id).join(Task, Task.id == Mark.task_id) \
        .join(Lesson, Lesson.id == Task.lesson_id)
    attendance = select(Attendance, Lesson, Subject, TA.class_id).join(Lesson, Lesson.id == Attendance.lesson_id)
    for model, query in ((Mark, marks), (Attendance, attendance)):
        query = query.join(TA, TA.id == Lesson.assignment_id).join(Subject, Subject.id == TA.subject_id) \
            .where(Lesson.date >= order.effective_date,
                   or_(*[and_(model.student_id == sid, TA.class_id == cid) for sid, cid in leaving]))
        for entry, lesson, subject, class_id in db.session.execute(
                query.order_by(Lesson.date, Lesson.number, model.id)):
            rows.append((leaving[(entry.student_id, class_id)], entry, lesson, subject))
    return rows


def _summary(rows):
    """[LaterEntries] by student and subject."""
    grouped = {}
    for step, entry, lesson, subject in rows:
        key = (step.student.id, subject.id)
        if key not in grouped:
            grouped[key] = LaterEntries(step.student.short_name, step.close.klass.name, subject.name, 0, 0, [])
        group = grouped[key]
        if isinstance(entry, Mark):
            group.marks += 1
        else:
            group.attendance += 1
        if lesson.date not in group.dates:
            group.dates.append(lesson.date)
    return sorted(grouped.values(), key=lambda g: (g.student, g.subject))


class EntriesAfterOrder(DomainError):
    """The order is dated before entries of its students in their former classes: say what to do."""

    def __init__(self, order, entries):
        super().__init__(f"{order} не проведён", [ENTRIES_QUESTION] + [str(e) for e in entries])
        self.entries = entries


def _target_lesson(step, lesson, subject_id, cache):
    """The new class's lesson of the same subject on the same date and number (a whole-class one
    before a subgroup's), or None: the subject does not continue there then."""
    klass = step.open_class
    if klass is None or step.open_leave or klass.id == step.close.class_id:
        return None
    key = (klass.id, subject_id, lesson.date, lesson.number)
    if key not in cache:
        TA = TeachingAssignment
        cache[key] = db.session.scalars(
            select(Lesson).join(TA, TA.id == Lesson.assignment_id)
            .where(TA.class_id == klass.id, TA.subject_id == subject_id, Lesson.date == lesson.date,
                   Lesson.number == lesson.number, Lesson.is_cancelled.is_(False))
            .order_by(TA.subgroup_id.is_not(None), Lesson.id).limit(1)).first()
    return cache[key]


def _target_task(task, lesson):
    """A task of the same type on the new lesson (made like the old one when there is none)."""
    same = db.session.scalars(select(Task).where(Task.lesson_id == lesson.id, Task.type_id == task.type_id)
                              .order_by(Task.position)).first()
    if same is not None:
        return same
    last = db.session.scalar(select(func.max(Task.position)).where(Task.lesson_id == lesson.id)) or 0
    made = Task(org_id=lesson.org_id, lesson_id=lesson.id, type_id=task.type_id, weight=task.weight,
                is_mandatory=task.is_mandatory, topic=task.topic, position=last + 1)
    db.session.add(made)
    db.session.flush()
    return made


def _move_entries(rows):
    """Move the rows' marks and attendance to the new class's lessons where the subject continues;
    returns how many moved (the rest stay in the old journal, outside the student's stay)."""
    moved, cache = 0, {}
    for step, entry, lesson, subject in rows:
        target = _target_lesson(step, lesson, subject.id, cache)
        if target is None:
            continue
        if isinstance(entry, Mark):
            task = _target_task(entry.task, target)
            taken = select(Mark.id).where(Mark.task_id == task.id, Mark.student_id == entry.student_id)
            if db.session.scalar(taken) is None:
                entry.task = task
                moved += 1
        else:
            taken = select(Attendance.id).where(Attendance.lesson_id == target.id,
                                                Attendance.student_id == entry.student_id)
            if db.session.scalar(taken) is None:
                entry.lesson = target
                moved += 1
        db.session.flush()
    return moved


def _log_entries(actor, order, choice, rows, moved):
    _, _, address = audit.get_context()
    kept = len(rows) - moved
    db.session.add(AuditLog(
        org_id=order.org_id, user_id=actor.user_id, action="entries", entity="movement_order", entity_id=order.id,
        summary=(f"{order}: записи после даты приказа — {'перенести' if choice == MOVE else 'оставить в истории'}; "
                 f"перенесено {moved}, осталось в истории {kept}")[:300],
        changes={"entries": [None, choice], "moved": [None, moved], "kept": [None, kept],
                 "students": [None, sorted({step.student.id for step, *_ in rows})]},
        address=address))


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


def apply_order(actor, order_id, commit=True, entries=None):
    """«Провести приказ»: all the students move, or (any problem, all listed) none does.

    A transfer or withdrawal dated before entries of its students in their former classes (marks,
    attendance from its date on) is refused with EntriesAfterOrder until `entries` says what to do
    with them: "move" (to the new class's lessons of the same subject, date and number, where there
    are such; the rest stay) or "keep" (they stay in the old journal as history, outside the stay,
    so no report counts them). The choice and what moved are audited.
    With commit=False the caller owns the transaction (and rolls it back on an error)."""
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
        return _guarded(commit, run)
    except DomainError as exc:
        if exc.message.startswith("Карточка"):
            raise DomainError("Приказ не проведён", [str(exc)]) from None
        raise


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


def create_order(actor, kind, number, order_date, effective_date=None, note=None, target_year_id=None,
                 commit=True):
    """A draft order (the form on the list does the same through the model's rules)."""
    permissions.require(actor, VIEW, "create")
    order = MovementOrder(org_id=actor.org_id, kind=kind, number=number, order_date=order_date,
                          effective_date=effective_date, note=note, target_year_id=target_year_id,
                          status=DRAFT)

    def run():
        db.session.add(order)
        return order
    return _guarded(commit, run)


def _draft_for_edit(actor, order_id):
    permissions.require_rows(actor, VIEW, "edit", MovementOrder, [order_id])
    order = _load(order_id, lock=True)
    if not order.is_draft:
        raise DomainError(f"{order} не изменён", [APPLIED_IS_FINAL])
    if order.kind == K.CANCELLATION.value:
        raise DomainError(f"{order} не изменён", ["Состав приказа об отмене повторяет отменяемый приказ"])
    return order


@dataclass
class ItemInput:
    student_id: int | None = None
    to_class_id: int | None = None
    reason: str | None = None
    destination: str | None = None
    note: str | None = None


def add_items(actor, order_id, inputs, commit=True):
    """Add students to a draft order; each is checked against his history now (and again when the
    order is applied). Every problem is listed; none is added if any."""
    order = _draft_for_edit(actor, order_id)
    inputs = [i for i in inputs if i.student_id]
    if not inputs:
        raise DomainError("Ученики не добавлены", ["Выберите хотя бы одного ученика"])
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
    return _guarded(commit, run)


def _classes(ids, org_id):
    if not ids:
        return {}
    found = {c.id: c for c in db.session.scalars(select(SchoolClass).where(
        SchoolClass.id.in_(ids), SchoolClass.org_id == org_id).options(joinedload(SchoolClass.year)))}
    if set(found) != set(ids):
        raise DomainError("Ученики не добавлены", ["Класс (группа) не найден в этой организации"])
    return found


def normalize_card(fields):
    """Card fields from a form: text stripped, dates as dd.mm.yyyy or ISO; errors in Russian."""
    card, errors = {}, []
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
                card[name] = None
                continue
            value = parsed
        card[name] = value.isoformat() if isinstance(value, date) else value
    return card, errors


def save_card(actor, order_id, fields, to_class_id, item_id=None, commit=True, version=None):
    """A new student's card in an enrollment order (HR fills it in the same flow): checked by the
    card rules now, created when the order is applied. `version`: of the card (item) the form
    was made from — a card changed since is refused (services/versions.py); None for a caller that
    does not claim to know it."""
    order = _draft_for_edit(actor, order_id)
    if order.kind != K.ENROLLMENT.value:
        raise DomainError("Карточка не сохранена", ["Новых учеников добавляют в приказ о зачислении"])
    card, errors = normalize_card(fields)
    klass = None
    if to_class_id:
        klass = db.session.scalar(select(SchoolClass).where(SchoolClass.id == int(to_class_id),
                                                            SchoolClass.org_id == order.org_id))
    if klass is None:
        errors.append(f"Укажите {'группу' if order_is_college(order) else 'класс'}, в который зачисляется ученик")
    if errors:
        raise DomainError("Карточка обучающегося не сохранена", errors)
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
            raise DomainError("Карточка обучающегося не сохранена", exc.errors) from None
    card["snils"] = probe.snils
    twins = []
    for other in order.items:
        if other is item or not other.card:
            continue
        for key, label in (("snils", "СНИЛС"), ("personal_file_number", "№ личного дела")):
            if card.get(key) and other.card.get(key) == card.get(key):
                twins.append(f"{label} {card[key]} уже указан у «{other.person_name}» в этом приказе")
    if twins:
        raise DomainError("Карточка обучающегося не сохранена", twins)

    def run():
        if item is None:
            order.items.append(MovementItem(org_id=order.org_id, card=card, to_class_id=klass.id))
            return order.items[-1]
        item.card, item.to_class_id = card, klass.id
        return item
    return _guarded(commit, run)


def order_is_college(order):
    org = db.session.get(Organization, order.org_id)
    return bool(org and org.is_college)


def remove_item(actor, item_id, commit=True):
    item = db.session.get(MovementItem, int(item_id))
    if item is None:
        raise DomainError("Строка приказа не найдена")
    order = _draft_for_edit(actor, item.order_id)

    def run():
        order.items.remove(item)
        return order
    return _guarded(commit, run)


def draft_cancellation(actor, order_id, number=None, order_date=None, commit=True, today=None):
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
    today = today or clock.today()
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
    return _guarded(commit, run)


# -- transfer to the next year ---------------------------------------------------------------------

@dataclass
class YearTransfer:
    """What build_year_transfer made: the draft orders (transfer, repeaters, graduates), the classes
    of the next year it created, and where each chosen class goes."""

    orders: list = field(default_factory=list)
    created_classes: list = field(default_factory=list)
    targets: dict = field(default_factory=dict)  # class id -> next year's class (None: graduates)
    added: int = 0


def default_final_grades(org, year):
    """The grades whose students graduate: a school's 11th (and the 9th, where the school has no
    10th–11th grades to continue in); a college's 4th course."""
    if org.is_college:
        return {4}
    grades = set(db.session.scalars(select(SchoolClass.grade).where(SchoolClass.year_id == year.id)))
    return {11} if grades & {10, 11} else {9, 11}


def next_class_name(klass, college):
    """5А → 6А; a college group keeps its name (ТМ-21 stays ТМ-21 on the next course)."""
    if college:
        return klass.name
    match = re.match(r"^(\d+)(.*)$", klass.name)
    if match and int(match.group(1)) == klass.grade:
        return f"{klass.grade + 1}{match.group(2)}"
    return klass.name


def repeat_class_name(klass, college):
    """Repeaters stay in 5А's grade, in 5А of the next year; a college group keeps its name on the next
    course, so its repeaters go to «ТМ-21 (повт.)» of the same course (renamed or merged by hand)."""
    return f"{klass.name} (повт.)"[:30] if college else klass.name


def _target_class(source, year, name, grade, made, carry_teacher):
    klass = db.session.scalar(select(SchoolClass).where(SchoolClass.year_id == year.id,
                                                        SchoolClass.name == name))
    if klass is None:
        klass = next((c for c in made if c.name == name), None)
    if klass is None:
        klass = SchoolClass(org_id=source.org_id, year_id=year.id, grade=grade, name=name, profile=source.profile,
                            class_teacher_id=source.class_teacher_id if carry_teacher else None,
                            department_id=source.department_id, specialty_id=source.specialty_id,
                            max_students=source.max_students)
        db.session.add(klass)
        db.session.flush()
        made.append(klass)
    elif klass.grade != grade:
        raise DomainError("Перевод на следующий год не подготовлен",
                          [f"В {year.name} уже есть «{name}», но это {klass.grade}-я параллель, а не {grade}-я"])
    elif carry_teacher and klass.class_teacher_id is None and source.class_teacher_id:
        klass.class_teacher_id = source.class_teacher_id
    return klass


def _batch_order(org_id, kind, target_year, closing, number, order_date, effective_date):
    order = db.session.scalar(select(MovementOrder).where(
        MovementOrder.org_id == org_id, MovementOrder.kind == kind, MovementOrder.status == DRAFT,
        MovementOrder.target_year_id == target_year.id).order_by(MovementOrder.id))
    if order is None:
        order = MovementOrder(org_id=org_id, kind=kind, number=number, order_date=order_date,
                              effective_date=effective_date, target_year_id=target_year.id, status=DRAFT,
                              note=f"Переход с {closing.name} на {target_year.name}")
        db.session.add(order)
    return order


def build_year_transfer(actor, class_ids, next_year, order_number, order_date, final_grades=None, commit=True):
    """«Перевести на следующий год»: DRAFT orders for the chosen classes of one year — the transfer
    (5А → 6А of `next_year`, course 2 → 3), the repeaters (annual «2»/«н/а», and a college's
    debts: a failed or missing result of an attestation; the same grade of the next year) and the
    graduates (`final_grades`; see default_final_grades) — for review and «Провести».

    Next year's classes are made if missing, with the class teacher carried. Idempotent: a re-run
    adds only students not yet in these drafts and still in the classes, and makes no class or
    order twice. Numbers: `order_number`, `order_number`-в (repeaters), `order_number`-вып."""
    permissions.require(actor, VIEW, "year_transfer")
    ids = permissions.require_rows(actor, "school_class", "list", SchoolClass, class_ids)
    if not ids:
        raise DomainError("Перевод на следующий год не подготовлен", ["Выберите классы (группы)"])
    if isinstance(next_year, int):
        next_year = db.session.get(AcademicYear, next_year)
    if next_year is None or next_year.org_id != actor.org_id:
        raise DomainError("Перевод на следующий год не подготовлен", ["Укажите следующий учебный год"])
    if not (order_number or "").strip() or order_date is None:
        raise DomainError("Перевод на следующий год не подготовлен", ["Укажите номер и дату приказа"])
    classes = db.session.scalars(select(SchoolClass).where(SchoolClass.id.in_(ids))
                                 .options(joinedload(SchoolClass.year))
                                 .order_by(SchoolClass.grade, SchoolClass.name)).all()
    years = {c.year_id for c in classes}
    if len(years) != 1:
        raise DomainError("Перевод на следующий год не подготовлен",
                          ["Выбранные классы относятся к разным учебным годам"])
    closing = classes[0].year
    if next_year.start_date <= closing.start_date:
        raise DomainError("Перевод на следующий год не подготовлен",
                          [f"Учебный год {next_year.name} не следует за {closing.name}"])
    org = db.session.get(Organization, actor.org_id)
    final = set(final_grades) if final_grades else default_final_grades(org, closing)
    top = MAX_GRADE[org.kind]
    problems = [f"«{c.name}»: {c.grade}-я параллель — последняя, её ученики выпускаются"
                for c in classes if c.grade not in final and c.grade >= top]
    if problems:
        raise DomainError("Перевод на следующий год не подготовлен", problems)
    number = order_number.strip()

    from services.journal.finals import college_debtors

    def run():
        result = YearTransfer()
        # Students now in the chosen classes (an open membership there, not on leave) …
        members = db.session.execute(
            select(ClassMembership.student_id, ClassMembership.class_id)
            .join(Student, Student.id == ClassMembership.student_id)
            .where(ClassMembership.class_id.in_(ids), ClassMembership.end_date.is_(None),
                   ClassMembership.on_leave.is_(False), Student.status == STUDYING)
            .order_by(Student.last_name, Student.first_name, Student.id)).all()
        # … but not already in a draft of this transfer.
        drafted = set(db.session.scalars(
            select(MovementItem.student_id).join(MovementOrder).where(
                MovementOrder.status == DRAFT, MovementOrder.kind.in_(YEAR_END_KINDS),
                MovementOrder.target_year_id == next_year.id)))
        failing = set(db.session.scalars(select(PeriodMark.student_id).where(
            PeriodMark.year_id == closing.id, PeriodMark.kind == "year", PeriodMark.value.in_(FAILING_MARKS),
            PeriodMark.student_id.in_([m.student_id for m in members]))))
        failing |= college_debtors(closing.id, members)  # a failed or missing attestation (seed 000 §2.1)
        made = []
        for klass in classes:  # the transfers first: they carry the class teachers
            if klass.grade in final:
                result.targets[klass.id] = None
            else:
                result.targets[klass.id] = _target_class(klass, next_year, next_class_name(klass, org.is_college),
                                                         klass.grade + 1, made, carry_teacher=True)
        repeat_targets = {}
        for klass in classes:
            if any(sid in failing and cid == klass.id for sid, cid in members):
                repeat_targets[klass.id] = _target_class(klass, next_year, repeat_class_name(klass, org.is_college),
                                                         klass.grade, made, carry_teacher=False)
        result.created_classes = made
        by_kind = {}
        numbers = {K.NEXT_YEAR.value: number, K.REPEAT.value: f"{number}-в", K.GRADUATION.value: f"{number}-вып"}
        effective = {K.NEXT_YEAR.value: next_year.start_date, K.REPEAT.value: next_year.start_date,
                     K.GRADUATION.value: max(order_date, closing.end_date + ONE_DAY)}
        by_id = {c.id: c for c in classes}
        for student_id, class_id in members:
            if student_id in drafted:
                continue
            klass = by_id[class_id]
            if student_id in failing:
                kind, target = K.REPEAT.value, repeat_targets[class_id]
            elif klass.grade in final:
                kind, target = K.GRADUATION.value, None
            else:
                kind, target = K.NEXT_YEAR.value, result.targets[class_id]
            order = by_kind.get(kind)
            if order is None:
                order = by_kind[kind] = _batch_order(actor.org_id, kind, next_year, closing, numbers[kind],
                                                     order_date, effective[kind])
            order.items.append(MovementItem(org_id=actor.org_id, student_id=student_id, from_class_id=class_id,
                                            to_class_id=target.id if target is not None else None))
            result.added += 1
        db.session.flush()
        existing = db.session.scalars(select(MovementOrder).where(
            MovementOrder.org_id == actor.org_id, MovementOrder.status == DRAFT,
            MovementOrder.kind.in_(YEAR_END_KINDS), MovementOrder.target_year_id == next_year.id)
            .order_by(MovementOrder.id)).all()
        result.orders = existing
        return result
    return _guarded(commit, run)


def retarget_item(actor, item_id, kind, commit=True):
    """Move a student between the drafts of one transfer to the next year (transfer ↔ repeaters ↔
    graduates), e.g. a 9th-grader who leaves rather than goes on to the 10th."""
    item = db.session.get(MovementItem, int(item_id))
    if item is None:
        raise DomainError("Строка приказа не найдена")
    source = _draft_for_edit(actor, item.order_id)
    if source.kind not in YEAR_END_KINDS or kind not in YEAR_END_KINDS or source.target_year_id is None:
        raise DomainError("Ученик не перенесён", ["Переносить можно только между черновиками перевода на "
                                                 "следующий год"])
    if kind == source.kind:
        return source
    target_year = source.target_year
    klass = item.from_class
    org = db.session.get(Organization, source.org_id)

    def run():
        made = []
        if kind == K.GRADUATION.value:
            to_class = None
        elif kind == K.REPEAT.value:
            to_class = _target_class(klass, target_year, klass.name, klass.grade, made, carry_teacher=False)
        else:
            if klass.grade >= MAX_GRADE[org.kind]:
                raise DomainError("Ученик не перенесён", [f"«{klass.name}» — последняя параллель"])
            to_class = _target_class(klass, target_year, next_class_name(klass, org.is_college), klass.grade + 1,
                                     made, carry_teacher=True)
        closing = source.year
        number = re.sub(r"-(в|вып)$", "", source.number)
        suffix = {K.NEXT_YEAR.value: "", K.REPEAT.value: "-в", K.GRADUATION.value: "-вып"}[kind]
        effective = target_year.start_date if kind != K.GRADUATION.value else \
            max(source.order_date, closing.end_date + ONE_DAY)
        target = _batch_order(source.org_id, kind, target_year, closing, number + suffix, source.order_date,
                              effective)
        student_id, from_class_id = item.student_id, item.from_class_id
        source.items.remove(item)
        db.session.flush()
        target.items.append(MovementItem(org_id=source.org_id, student_id=student_id, from_class_id=from_class_id,
                                         to_class_id=to_class.id if to_class is not None else None))
        return target
    return _guarded(commit, run)


# -- history of students created before the book ----------------------------------------------------

def backfill_memberships(org_id=None, today=None):
    """Open the class history of every student who has a class but no history (cards made before
    the movement book): from his enrollment order date (not before the class's year), still open if
    he studies; for a withdrawn or graduated card, closed on the last day known. Idempotent."""
    today = today or clock.today()
    query = select(Student, SchoolClass, AcademicYear).join(SchoolClass, SchoolClass.id == Student.class_id) \
        .join(AcademicYear, AcademicYear.id == SchoolClass.year_id) \
        .where(~select(ClassMembership.id).where(ClassMembership.student_id == Student.id).exists())
    if org_id is not None:
        query = query.where(Student.org_id == org_id)
    made = 0
    with book_writes():
        for student, klass, year in db.session.execute(query.order_by(Student.id)).all():
            start = max(student.enrollment_order_date or year.start_date, year.start_date)
            end = None
            if student.status != STUDYING:
                end = max(start, min(year.end_date, today - ONE_DAY))
            db.session.add(ClassMembership(org_id=student.org_id, student_id=student.id, class_id=klass.id,
                                           start_date=start, end_date=end))
            made += 1
        db.session.flush()
    return made


cli = AppGroup("movement", help="Книга движения обучающихся.")


@cli.command("backfill")
@click.option("--org", "org_id", type=int, help="Только эта организация (id).")
def backfill_command(org_id):
    """Заполнить историю классов учеников, созданных до книги движения (повторный запуск безопасен)."""
    try:
        made = backfill_memberships(org_id)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"Создано записей истории классов: {made}")


@cli.command("apply")
@click.argument("order_id", type=int)
@click.option("--entries", type=click.Choice(sorted(ENTRIES_CHOICES)),
              help="Записи ученика после даты приказа в журнале прежнего класса: перенести (move) "
                   "или оставить в истории (keep).")
def apply_command(order_id, entries):
    """Провести приказ (как «Провести приказ» на странице приказа)."""
    from services.context import Actor

    order = db.session.get(MovementOrder, order_id)
    if order is None:
        raise click.ClickException("Приказ не найден")
    try:
        applied = apply_order(Actor.system_actor(db.session.get(Organization, order.org_id)), order_id,
                              entries=entries)
    except DomainError as exc:
        raise click.ClickException("\n".join([exc.message, *(exc.errors or [])])) from None
    click.echo(f"{applied} проведён: учеников — {len(applied.items)}")


# -- the demo school's movement ---------------------------------------------------------------------

def create_movement_demo(org, year, classes, today, college=False):
    """The demo's history, plus one applied mid-year transfer between classes and one applied
    withdrawal (an expulsion in a college) with its destination, so the reports show movement."""
    from services.context import Actor

    backfill_memberships(org.id, today)
    db.session.flush()
    actor = Actor.system_actor(org)
    elapsed = (min(today, year.end_date) - year.start_date).days
    moved_on = year.start_date + timedelta(days=max(1, min(45, elapsed // 2)))
    left_on = moved_on + timedelta(days=7)
    source, target = (classes[2], classes[0]) if college else (classes[2], classes[1])
    leaving_class = classes[3] if len(classes) > 3 else classes[-1]

    def last_of(klass):
        return db.session.scalars(select(Student).where(Student.class_id == klass.id, Student.status == STUDYING)
                                  .order_by(Student.id.desc())).first()

    newcomer = last_of(source)
    transfer = create_order(actor, K.TRANSFER.value, suggest_number(org.id, moved_on), moved_on,
                            note="По заявлению родителей", commit=False)
    add_items(actor, transfer.id, [ItemInput(student_id=newcomer.id, to_class_id=target.id)], commit=False)
    apply_order(actor, transfer.id, commit=False, entries=MOVE)
    _join_subgroups(newcomer, target, moved_on)
    kind = K.EXPULSION.value if college else K.WITHDRAWAL.value
    leaving = create_order(actor, kind, suggest_number(org.id, left_on), left_on, commit=False)
    add_items(actor, leaving.id, [ItemInput(
        student_id=last_of(leaving_class).id, reason=LeaveReason.RELOCATION.value,
        destination="МАОУ «СОШ № 3», г. Екатеринбург")], commit=False)
    apply_order(actor, leaving.id, commit=False, entries=KEEP)


def _join_subgroups(student, klass, since):
    """What the class teacher did after the transfer into a split class: the newcomer joined the smaller
    subgroup of each split subject for the periods he is there. The demo writes the past at once, so a
    period closed since is included (services/planning.save_split does it from the page, but commits:
    the demo is made in one transaction)."""
    from models import Period, Subgroup, SubgroupMember

    periods = db.session.scalars(select(Period).where(Period.year_id == klass.year_id,
                                                      Period.end_date >= since)).all()
    subgroups = db.session.scalars(select(Subgroup).where(Subgroup.class_id == klass.id)
                                   .order_by(Subgroup.subject_id, Subgroup.name)).all()
    for period in periods:
        by_subject = {}
        for subgroup in subgroups:
            by_subject.setdefault(subgroup.subject_id, []).append(subgroup)
        for subject_id, groups in by_subject.items():
            sizes = dict(db.session.execute(
                select(SubgroupMember.subgroup_id, func.count(SubgroupMember.id))
                .where(SubgroupMember.period_id == period.id, SubgroupMember.subgroup_id.in_([g.id for g in groups]))
                .group_by(SubgroupMember.subgroup_id)).all())
            if not sizes:
                continue  # not split in this period
            smallest = min(groups, key=lambda g: (sizes.get(g.id, 0), g.name))
            db.session.add(SubgroupMember(subgroup_id=smallest.id, student_id=student.id, period_id=period.id,
                                          subject_id=subject_id))
    db.session.flush()
