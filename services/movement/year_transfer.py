"""The transfer to the next year («Перевести на следующий год»): the draft orders of the chosen classes —
the transfer, the repeaters (annual «2»/«н/а», a college's debts) and the graduates — and the next
year's classes they go to; a student moved between these drafts (`retarget_item`)."""
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import (AcademicYear, ClassMembership, MovementItem, MovementOrder, Organization, PeriodMark, SchoolClass,
                    Student, db)
from services import permissions
from services.errors import DomainError
from services.journal.finals import college_debtors
from services.movement._common import DRAFT, ONE_DAY, STUDYING, VIEW, K, _draft_for_edit
from services.movement.guards import _guarded
from services.org.orgs import MAX_GRADE

# The orders of a transfer to the next year (built together by build_year_transfer).
YEAR_END_KINDS = (K.NEXT_YEAR.value, K.REPEAT.value, K.GRADUATION.value)
# Annual marks that keep a student in his grade (a repeater candidate).
FAILING_MARKS = ("2", "1", "н/а", "незач")


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


def build_year_transfer(actor, class_ids, next_year, order_number, order_date, final_grades=None):
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
    return _guarded(run)


def retarget_item(actor, item_id, kind):
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
    return _guarded(run)

