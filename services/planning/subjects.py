"""Subjects, educational areas, teaching assignments and subgroups: their rules and operations.

The curriculum lives in services/planning/curriculum.py, the КТП in services/planning/ktp.py.
"""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Column, inspect, literal, select, true
from sqlalchemy.sql.visitors import replacement_traverse

from models import (AcademicYear, EducationalArea, Grading, Organization, Period, Role, SchoolClass,
                    Staff, StaffRole, Student, StudentStatus, Subgroup, SubgroupMember, Subject,
                    SubjectKind, TeachingAssignment, ThematicPlan, db)
from services import permissions
from services.errors import DomainError, PermissionDenied
from services.params import parse_id
from services.planning._common import check_open_year, fmt_hours, raise_if, related
from services.planning.curriculum import CurriculumIndex
from services.rules import validator

COLLEGE_KINDS = (SubjectKind.DISCIPLINE, SubjectKind.MDK, SubjectKind.MODULE, SubjectKind.PRACTICE,
                 SubjectKind.COURSE_WORK, SubjectKind.SUBJECT)
# A МДК and a practice belong to a professional module (ПМ).
MODULE_PARTS = (SubjectKind.MDK.value, SubjectKind.PRACTICE.value)




# -- educational areas and subjects ------------------------------------------------------

@validator(EducationalArea, "planning.area")
def validate_area(area):
    errors = []
    area.name = (area.name or "").strip()
    if not area.name:
        errors.append("Поле «Название» обязательно")
    else:
        twin = db.session.scalar(select(EducationalArea.id).where(
            EducationalArea.org_id == area.org_id, EducationalArea.name == area.name,
            EducationalArea.id != (area.id or 0)))
        if twin is not None:
            errors.append(f"Образовательная область «{area.name}» уже есть")
    raise_if(errors, "Образовательная область не сохранена")


@validator(Subject, "planning.subject")
def validate_subject(subject):
    errors = []
    org = db.session.get(Organization, subject.org_id)
    subject.name = (subject.name or "").strip()
    subject.code = (subject.code or "").strip() or None
    subject.short_name = (subject.short_name or "").strip() or None
    if subject.kind is None:
        subject.kind = SubjectKind.SUBJECT.value
    if subject.grading is None:
        subject.grading = Grading.MARKS.value
    if not subject.name:
        errors.append("Поле «Название» обязательно")
    else:
        twin = db.session.scalar(select(Subject.id).where(
            Subject.org_id == subject.org_id, Subject.name == subject.name, Subject.id != (subject.id or 0)))
        if twin is not None:
            errors.append(f"Предмет (дисциплина) «{subject.name}» уже есть")
    if subject.kind not in {k.value for k in SubjectKind}:
        errors.append("Неизвестный тип предмета")
    elif org is not None and not org.is_college and subject.kind != SubjectKind.SUBJECT.value:
        errors.append("В школе тип — «Предмет»; дисциплины, МДК, модули и практики — для колледжа")
    if subject.grading not in {g.value for g in Grading}:
        errors.append("Неизвестный способ оценивания")
    module = related(subject, "module", "module_id", Subject)
    if module is not None:
        if subject.kind not in MODULE_PARTS:
            errors.append("Профессиональный модуль указывают только у МДК и практики")
        elif module is subject or (subject.id is not None and module.id == subject.id):
            errors.append("Предмет не может входить сам в себя")
        elif module.kind != SubjectKind.MODULE.value:
            errors.append(f"«{module.name}» — не профессиональный модуль")
    raise_if(errors, "Предмет не сохранён")


# -- teaching assignments ---------------------------------------------------------------

def is_teacher(staff):
    return Role.TEACHER.value in staff.role_codes


def _same_slot(assignment, klass, subject, subgroup):
    """Other assignments of the same class, subject and subgroup (a missing subgroup is the whole class)."""
    cond = [TeachingAssignment.class_id == klass.id, TeachingAssignment.subject_id == subject.id,
            TeachingAssignment.id != (assignment.id or 0)]
    cond.append(TeachingAssignment.subgroup_id.is_(None) if subgroup is None
                else TeachingAssignment.subgroup_id == subgroup.id)
    return db.session.scalars(select(TeachingAssignment).where(*cond)).all()


def slot_label(klass, subject, subgroup):
    group = f", {subgroup.name}" if subgroup is not None else ""
    return f"{klass.name}, {subject.name}{group}"


@validator(TeachingAssignment, "planning.assignment")
def validate_assignment(assignment):
    errors = []
    klass = related(assignment, "klass", "class_id", SchoolClass)
    subject = related(assignment, "subject", "subject_id", Subject)
    teacher = related(assignment, "teacher", "teacher_id", Staff)
    subgroup = related(assignment, "subgroup", "subgroup_id", Subgroup)
    plan = related(assignment, "thematic_plan", "thematic_plan_id", ThematicPlan)
    if klass is None:
        errors.append("Укажите класс (группу)")
    if subject is None:
        errors.append("Укажите предмет")
    if teacher is None:
        errors.append("Укажите учителя")
    elif teacher.dismissal_date is not None:
        errors.append(f"{teacher.full_name} уволен(а)")
    elif not is_teacher(teacher):
        errors.append(f"У сотрудника {teacher.full_name} нет функции «Учитель»")
    for label, value in (("в неделю", assignment.hours_per_week), ("за год", assignment.hours_total)):
        if value is not None and Decimal(value) < 0:
            errors.append(f"Часы {label} не могут быть отрицательными")
    raise_if(errors, "Нагрузка не сохранена")

    year = db.session.get(AcademicYear, klass.year_id)
    assignment.year_id = klass.year_id
    assignment.year = year
    check_open_year(year, errors)
    if subgroup is not None and (subgroup.class_id != klass.id or subgroup.subject_id != subject.id):
        errors.append(f"Подгруппа «{subgroup.name}» относится к другому классу или предмету")
    if plan is not None and (plan.subject_id != subject.id or plan.grade != klass.grade
                             or plan.year_id != klass.year_id):
        errors.append(f"КТП «{plan.name}» составлен для другого предмета, параллели или года")
    others = _same_slot(assignment, klass, subject, subgroup)
    if any(o.teacher_id == teacher.id for o in others):
        errors.append(f"Такая нагрузка уже есть: {teacher.short_name} — {slot_label(klass, subject, subgroup)}")
    raise_if(errors, "Нагрузка не сохранена")

    if not _load_changed(assignment):
        return  # e.g. a КТП given to it: the hours were checked when they were set
    planned = CurriculumIndex.during_flush(klass.year_id).subject_hours(klass, subject.id)
    if planned is None:
        return  # no curriculum for this grade level yet: the control page shows it
    if not planned.exists:
        errors.append(f"Предмета «{subject.name}» нет в учебном плане: {planned.curriculum.title}")
        raise_if(errors, "Нагрузка не сохранена")
    taken_week = sum((Decimal(o.hours_per_week or 0) for o in others), Decimal(0))
    taken_total = sum((Decimal(o.hours_total or 0) for o in others), Decimal(0))
    if assignment.hours_per_week is None and planned.weekly is not None:
        assignment.hours_per_week = max(planned.weekly - taken_week, Decimal(0))
    if assignment.hours_total is None and planned.annual is not None:
        assignment.hours_total = max(planned.annual - taken_total, Decimal(0))
    where = slot_label(klass, subject, subgroup)
    if planned.weekly is not None and assignment.hours_per_week is not None and \
            taken_week + Decimal(assignment.hours_per_week) > planned.weekly:
        errors.append(f"{where}: по учебному плану {fmt_hours(planned.weekly)} ч в неделю, "
                      f"а с этой нагрузкой — {fmt_hours(taken_week + Decimal(assignment.hours_per_week))}")
    if planned.annual is not None and assignment.hours_total is not None and \
            taken_total + Decimal(assignment.hours_total) > planned.annual:
        errors.append(f"{where}: по учебному плану {fmt_hours(planned.annual)} ч за год, "
                      f"а с этой нагрузкой — {fmt_hours(taken_total + Decimal(assignment.hours_total))}")
    raise_if(errors, "Нагрузка не сохранена")


def _load_changed(assignment):
    state = inspect(assignment)
    if state.pending or state.transient:
        return True
    return any(state.attrs[key].history.has_changes() for key in (
        "class_id", "klass", "subject_id", "subject", "subgroup_id", "subgroup", "teacher_id", "teacher",
        "hours_per_week", "hours_total"))


def teachers_query(org_id):
    """Staff who can be given a teaching load: teachers still at work."""
    return select(Staff).where(Staff.org_id == org_id, Staff.dismissal_date.is_(None),
                               Staff.id.in_(select(StaffRole.staff_id).where(
                                   StaffRole.role == Role.TEACHER.value))) \
        .order_by(Staff.last_name, Staff.first_name)


# -- subgroups --------------------------------------------------------------------------

@validator(Subgroup, "planning.subgroup")
def validate_subgroup(subgroup):
    errors = []
    klass = related(subgroup, "klass", "class_id", SchoolClass)
    subject = related(subgroup, "subject", "subject_id", Subject)
    subgroup.name = (subgroup.name or "").strip()
    if not subgroup.name:
        errors.append("Поле «Название» обязательно")
    if klass is None or subject is None:
        errors.append("Укажите класс и предмет")
    raise_if(errors, "Подгруппа не сохранена")
    subgroup.year_id = klass.year_id
    check_open_year(db.session.get(AcademicYear, klass.year_id), errors)
    twin = db.session.scalar(select(Subgroup.id).where(
        Subgroup.class_id == klass.id, Subgroup.subject_id == subject.id, Subgroup.name == subgroup.name,
        Subgroup.id != (subgroup.id or 0)))
    if twin is not None:
        errors.append(f"В {klass.name} по предмету «{subject.name}» уже есть подгруппа «{subgroup.name}»")
    raise_if(errors, "Подгруппа не сохранена")


def _subgroup_condition_on(actor, verb, values):
    """The actor's row condition on subgroups, applied to (class, subject) pairs that may have no
    subgroup yet: each column of Subgroup is replaced by the pair's value or column."""
    cond = permissions.row_condition(actor, "subgroup", verb, Subgroup)
    table = Subgroup.__table__

    def replace(element):
        if isinstance(element, Column) and getattr(element, "table", None) is table:
            if element.key not in values:
                raise RuntimeError(f"a subgroup row filter uses {element.key}")
            value = values[element.key]
            return value if hasattr(value, "__clause_element__") or hasattr(value, "compile") else literal(value)
        return None

    return replacement_traverse(cond, {}, replace)


def can_split(actor, klass, subject, verb="edit"):
    """May the actor make or change the subgroups of this class and subject?"""
    if not permissions.allowed(actor, "subgroup", verb):
        return False
    if actor.org_id is not None and (klass.org_id != actor.org_id or subject.org_id != actor.org_id):
        return False
    cond = _subgroup_condition_on(actor, verb, {"class_id": klass.id, "subject_id": subject.id,
                                                "org_id": klass.org_id, "year_id": klass.year_id})
    return db.session.scalar(select(literal(1)).where(cond)) is not None


def require_split(actor, klass, subject, verb="edit"):
    if not can_split(actor, klass, subject, verb):
        raise PermissionDenied("Делить этот класс на подгруппы по этому предмету могут классный "
                               "руководитель, учитель предмета и заместитель директора.")


def splittable_pairs(actor, year):
    """(class, subject) pairs of a year the actor may split, among the subjects each class has in
    its teaching assignments or its curriculum; a bounded number of queries."""

    if not permissions.allowed(actor, "subgroup", "edit"):
        return []
    classes = db.session.scalars(select(SchoolClass).where(
        SchoolClass.year_id == year.id, SchoolClass.org_id == actor.org_id)
        .order_by(SchoolClass.grade, SchoolClass.name)).all()
    wanted = {(cid, sid) for cid, sid in db.session.execute(
        select(TeachingAssignment.class_id, TeachingAssignment.subject_id)
        .where(TeachingAssignment.year_id == year.id).distinct()).all()}
    index = CurriculumIndex.for_years([year.id])
    for klass in classes:
        curriculum = index.for_class(klass)
        if curriculum is not None:
            wanted |= {(klass.id, sid) for sid in index.subjects(curriculum)}
    cand = select(SchoolClass.id.label("class_id"), Subject.id.label("subject_id"),
                  SchoolClass.org_id.label("org_id"), SchoolClass.year_id.label("year_id")) \
        .select_from(SchoolClass).join(Subject, true()) \
        .where(SchoolClass.year_id == year.id, SchoolClass.org_id == actor.org_id,
               Subject.org_id == actor.org_id).subquery()
    cond = _subgroup_condition_on(actor, "edit", {key: cand.c[key] for key in
                                                  ("class_id", "subject_id", "org_id", "year_id")})
    allowed = set(db.session.execute(select(cand.c.class_id, cand.c.subject_id).where(cond)).all())
    subjects = {s.id: s for s in db.session.scalars(select(Subject).where(Subject.org_id == actor.org_id))}
    pairs = []
    for klass in classes:
        chosen = [subjects[sid] for (cid, sid) in allowed if cid == klass.id and (cid, sid) in wanted]
        pairs += [(klass, s) for s in sorted(chosen, key=lambda s: (s.sort_order or 0, s.name))]
    return pairs


def subgroups_of(klass, subject):
    return db.session.scalars(select(Subgroup).where(
        Subgroup.class_id == klass.id, Subgroup.subject_id == subject.id).order_by(Subgroup.name)).all()


def class_students(klass):
    return db.session.scalars(select(Student).where(
        Student.class_id == klass.id, Student.status == StudentStatus.STUDYING.value)
        .order_by(Student.last_name, Student.first_name, Student.middle_name)).all()


def create_subgroups(actor, klass, subject, count):
    """Make subgroups «1 группа» … «N группа» that are missing (running it again adds nothing)."""
    require_split(actor, klass, subject, "create")
    if not isinstance(count, int) or not 2 <= count <= 6:
        raise DomainError("Подгрупп может быть от 2 до 6")
    existing = {s.name for s in subgroups_of(klass, subject)}
    made = []
    for n in range(1, count + 1):
        name = f"{n} группа"
        if name not in existing:
            sub = Subgroup(org_id=klass.org_id, year_id=klass.year_id, class_id=klass.id,
                           subject_id=subject.id, name=name)
            db.session.add(sub)
            made.append(sub)
    db.session.flush()
    return made


def delete_subgroup(actor, subgroup):
    klass, subject = subgroup.klass, subgroup.subject
    require_split(actor, klass, subject, "delete")
    used = db.session.scalar(select(TeachingAssignment.id).where(TeachingAssignment.subgroup_id == subgroup.id))
    if used is not None:
        raise DomainError(f"Подгруппа «{subgroup.name}» указана в педагогической нагрузке: сначала "
                          "измените нагрузку")
    db.session.execute(SubgroupMember.__table__.delete().where(SubgroupMember.subgroup_id == subgroup.id))
    db.session.delete(subgroup)
    db.session.flush()


def split_of(klass, subject, period):
    """{student_id: subgroup_id} of a class's subject in a period."""
    rows = db.session.execute(select(SubgroupMember.student_id, SubgroupMember.subgroup_id)
                              .join(Subgroup, Subgroup.id == SubgroupMember.subgroup_id)
                              .where(Subgroup.class_id == klass.id, SubgroupMember.subject_id == subject.id,
                                     SubgroupMember.period_id == period.id)).all()
    return dict(rows)


def previous_period(period):
    """The period just before this one in the same year and of the same type (четверть, семестр)."""
    same = db.session.scalars(select(Period).where(
        Period.year_id == period.year_id, Period.type == period.type,
        Period.start_date < period.start_date).order_by(Period.start_date.desc())).first()
    return same


def save_split(actor, klass, subject, period, choice):
    """Put every studying student of the class into exactly one subgroup of the subject for the period.

    `choice` maps a student id to the list of subgroup ids chosen for him (a form may send
    several). The split is refused as a whole, naming the students left out or doubled.
    """
    require_split(actor, klass, subject)
    if period.org_id != klass.org_id or period.year_id != klass.year_id:
        raise DomainError("Период относится к другому учебному году")
    if period.is_closed:
        raise DomainError(f"Период «{period.name}» закрыт: деление на подгруппы в нём не меняется")
    check = []
    check_open_year(db.session.get(AcademicYear, klass.year_id), check)
    raise_if(check, "Деление не сохранено")
    subgroups = {s.id: s for s in subgroups_of(klass, subject)}
    if len(subgroups) < 2:
        raise DomainError("Сначала создайте не меньше двух подгрупп")
    students = class_students(klass)
    known = {s.id for s in students}
    missing, doubled, foreign = [], [], []
    result, fields = {}, {}
    for student in students:
        chosen = {parse_id(x) for x in choice.get(student.id, ()) if x != ""}
        if any(c not in subgroups for c in chosen):
            foreign.append(student.full_name)
            fields[student.id] = "Выбрана подгруппа другого класса или предмета"
        elif not chosen:
            missing.append(student.full_name)
            fields[student.id] = "Выберите подгруппу"
        elif len(chosen) > 1:
            doubled.append(f"{student.full_name} ({', '.join(subgroups[c].name for c in sorted(chosen))})")
            fields[student.id] = "Выберите одну подгруппу"
        else:
            result[student.id] = chosen.pop()
    strangers = [sid for sid in choice if sid not in known]
    errors = []
    if missing:
        errors.append("не распределены: " + ", ".join(missing))
    if doubled:
        errors.append("записаны в несколько подгрупп: " + ", ".join(doubled))
    if foreign:
        errors.append("выбрана подгруппа другого класса или предмета: " + ", ".join(foreign))
    if strangers:
        errors.append("в форме есть обучающиеся не из этого класса")
    raise_if(errors, "Деление не сохранено: каждый обучающийся должен быть ровно в одной подгруппе", fields)
    # Replace the period's split of this class and subject in one statement pair.
    db.session.execute(SubgroupMember.__table__.delete().where(
        SubgroupMember.subject_id == subject.id, SubgroupMember.period_id == period.id,
        SubgroupMember.student_id.in_(known | set(
            db.session.scalars(select(SubgroupMember.student_id).join(Subgroup).where(
                Subgroup.class_id == klass.id, SubgroupMember.subject_id == subject.id,
                SubgroupMember.period_id == period.id))))))
    db.session.add_all(SubgroupMember(subgroup_id=sub_id, student_id=sid, period_id=period.id,
                                      subject_id=subject.id) for sid, sub_id in result.items())
    db.session.flush()
    return result


def copy_previous_split(actor, klass, subject, period):
    """Save the previous period's split for this one (again and again gives the same split)."""
    require_split(actor, klass, subject)
    prev = previous_period(period)
    if prev is None:
        raise DomainError(f"Перед периодом «{period.name}» нет другого периода этого года")
    old = split_of(klass, subject, prev)
    if not old:
        raise DomainError(f"В периоде «{prev.name}» {klass.name} не был разделён по предмету «{subject.name}»")
    return save_split(actor, klass, subject, period, {sid: [sub] for sid, sub in old.items()})


@dataclass
class SplitRow:
    student: Student
    subgroup_id: int | None


def split_page(klass, subject, period):
    """Rows for the page: each student with his subgroup in the period, else the previous period's."""
    current = split_of(klass, subject, period)
    suggested = False
    if not current:
        prev = previous_period(period)
        if prev is not None:
            current = split_of(klass, subject, prev)
            suggested = bool(current)
    return [SplitRow(s, current.get(s.id)) for s in class_students(klass)], suggested


RULES = (validate_area, validate_subject, validate_assignment, validate_subgroup)
