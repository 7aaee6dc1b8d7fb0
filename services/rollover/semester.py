"""The technical transfer between semesters (a college; seed 000 §4.1: «электронный перевод
обучающихся внутри учебного года (технический перевод по учебным периодам)»).

The groups' students continue in their groups; what switches is the load: a college's curriculum
gives each discipline its hours per semester (CurriculumLine.period1_hours / period2_hours), and
from the transfer on the next semester's hours are the active ones. The transfer

- sets every teaching assignment's weekly hours from the new semester's hours of its group's
  curriculum (hours ÷ the semester's study weeks in the working-day calendar); a discipline the
  semester has no hours of gets 0 (it is not taught this semester);
- lists the disciplines the semester has hours of and no teacher is assigned to;
- carries each group's subgroups into the new semester (the same students in the same subgroups;
  students new to the group are listed to be placed);
- is recorded (models/rollover.SemesterSwitch) in the same transaction, so running it again
  changes nothing; optionally it then closes the semester left behind (services/journal).
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import (AcademicYear, Period, PeriodType, SchoolClass, SemesterSwitch, Student, StudentStatus,
                    Subgroup, SubgroupMember, Subject, TeachingAssignment, db, utcnow)
from services import dates, permissions, uow
from services.org.calendar import WorkingCalendar
from services.errors import DomainError, PermissionDenied
from services.planning.curriculum import CurriculumIndex
from services.journal import periods as journal


def semesters(year):
    return db.session.scalars(select(Period).where(Period.year_id == year.id,
                                                   Period.type == PeriodType.SEMESTER.value)
                              .order_by(Period.start_date)).all()


def active_semester(year):
    """The semester whose hours are the groups' load: the last one switched to, else the first."""
    terms = semesters(year)
    if not terms:
        return None
    switched = set(db.session.scalars(select(SemesterSwitch.period_id).where(SemesterSwitch.year_id == year.id)))
    done = [p for p in terms if p.id in switched]
    return done[-1] if done else terms[0]


def study_weeks(period):
    """Weeks of study in a period: its working days in the calendar, five to a week."""
    calendar = WorkingCalendar(period.org_id, period.start_date, period.end_date)
    days = sum(1 for n in range((period.end_date - period.start_date).days + 1)
               if calendar.is_working(date.fromordinal(period.start_date.toordinal() + n)))
    return max(1, round(days / 5))


def _hours_of(line, number):
    return Decimal((line.period1_hours if number == 1 else line.period2_hours) or 0)


@dataclass
class LoadRow:
    assignment: TeachingAssignment
    semester_hours: Decimal | None  # None: no curriculum line for it
    old_weekly: Decimal | None
    new_weekly: Decimal | None

    @property
    def changes(self):
        return self.new_weekly is not None and self.old_weekly != self.new_weekly

    @property
    def taught(self):
        return bool(self.semester_hours)


@dataclass
class SplitCarry:
    klass: SchoolClass
    subject: Subject
    members: dict  # student id -> subgroup id carried
    unplaced: list  # names of the group's students with no subgroup before


@dataclass
class SwitchPreview:
    year: AcademicYear
    source: Period | None
    target: Period | None
    weeks: int = 0
    rows: list = field(default_factory=list)
    # (class, subject, hours): the semester's disciplines without a teacher
    unassigned: list = field(default_factory=list)
    splits: list = field(default_factory=list)
    done: SemesterSwitch | None = None
    warnings: list = field(default_factory=list)


def _require(actor, year, verb):
    permissions.require(actor, "semester_transfer", verb)
    if year is None or (actor.org_id is not None and year.org_id != actor.org_id):
        raise PermissionDenied("Учебный год не найден или недоступен.")
    org = year.organization
    if not org.is_college:
        raise DomainError("Технический перевод по семестрам выполняется в колледже (техникуме)")


def preview(actor, year, today=None):
    """What the transfer into the next semester changes; nothing is written."""

    _require(actor, year, "list")
    today = today or dates.today(actor.org)
    terms = semesters(year)
    source = active_semester(year)
    later = [p for p in terms if source is not None and p.start_date > source.start_date]
    target = later[0] if later else None
    result = SwitchPreview(year, source, target)
    if target is None:
        done = db.session.scalars(select(SemesterSwitch).where(SemesterSwitch.year_id == year.id)
                                  .order_by(SemesterSwitch.done_at.desc())).first()
        result.done = done
        if not terms:
            result.warnings.append("В учебном году нет семестров: добавьте их на странице «Семестры»")
        elif done is None:
            result.warnings.append("В учебном году один семестр: переводить некуда")
        return result
    if year.is_closed:
        result.warnings.append(f"Учебный год {year.name} закрыт")
    if today < source.end_date:
        result.warnings.append(f"«{source.name}» ещё не закончился (до {source.end_date:%d.%m.%Y})")
    if not source.is_closed:
        result.warnings.append(f"«{source.name}» не закрыт для изменений: его можно закрыть вместе с переводом")
    result.weeks = study_weeks(target)
    assignments = db.session.scalars(
        select(TeachingAssignment).join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .where(TeachingAssignment.year_id == year.id)
        .options(joinedload(TeachingAssignment.klass), joinedload(TeachingAssignment.subject),
                 joinedload(TeachingAssignment.teacher), joinedload(TeachingAssignment.subgroup))
        .order_by(SchoolClass.grade, SchoolClass.name, Subject.sort_order, Subject.name)).all()
    classes = db.session.scalars(select(SchoolClass).where(SchoolClass.year_id == year.id)
                                 .order_by(SchoolClass.grade, SchoolClass.name)).all()
    index = CurriculumIndex.for_years([year.id])
    assigned = {(a.class_id, a.subject_id) for a in assignments}
    for a in assignments:
        curriculum = index.for_class(a.klass)
        lines = index.subjects(curriculum).get(a.subject_id, []) if curriculum is not None else []
        if not lines:
            result.rows.append(LoadRow(a, None, a.hours_per_week, None))
            continue
        hours = sum((_hours_of(line, target.number) for line in lines), Decimal(0))
        weekly = (hours / result.weeks).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        result.rows.append(LoadRow(a, hours, a.hours_per_week, weekly))
    subjects = {s.id: s for s in db.session.scalars(select(Subject).where(Subject.org_id == year.org_id))}
    for klass in classes:
        curriculum = index.for_class(klass)
        if curriculum is None:
            continue
        for subject_id, lines in index.subjects(curriculum).items():
            hours = sum((_hours_of(line, target.number) for line in lines), Decimal(0))
            if hours and (klass.id, subject_id) not in assigned:
                result.unassigned.append((klass, subjects[subject_id], hours))
    result.splits = _splits(year, source, target)
    return result


def _splits(year, source, target):
    """Per group and discipline split into subgroups in the source semester and not yet in the
    target: the split to carry, and the group's students it leaves out."""
    rows = db.session.execute(
        select(Subgroup.class_id, SubgroupMember.subject_id, SubgroupMember.student_id, SubgroupMember.subgroup_id,
               SubgroupMember.period_id)
        .join(Subgroup, Subgroup.id == SubgroupMember.subgroup_id)
        .where(Subgroup.year_id == year.id, SubgroupMember.period_id.in_([source.id, target.id]))).all()
    before, already = {}, set()
    for class_id, subject_id, student_id, subgroup_id, period_id in rows:
        if period_id == target.id:
            already.add((class_id, subject_id))
        else:
            before.setdefault((class_id, subject_id), {})[student_id] = subgroup_id
    wanted = {k: v for k, v in before.items() if k not in already}
    if not wanted:
        return []
    classes = {k.id: k for k in db.session.scalars(select(SchoolClass).where(
        SchoolClass.id.in_({c for c, _ in wanted})))}
    subjects = {s.id: s for s in db.session.scalars(select(Subject).where(Subject.id.in_({s for _, s in wanted})))}
    students = db.session.execute(select(Student.id, Student.class_id, Student.last_name, Student.first_name)
                                  .where(Student.class_id.in_(list(classes)),
                                         Student.status == StudentStatus.STUDYING.value)
                                  .order_by(Student.last_name, Student.first_name)).all()
    result = []
    for (class_id, subject_id), members in sorted(wanted.items(), key=lambda kv: (classes[kv[0][0]].name,
                                                                                  subjects[kv[0][1]].name)):
        current = [s for s in students if s.class_id == class_id]
        keep = {s.id: members[s.id] for s in current if s.id in members}
        unplaced = [f"{s.last_name} {s.first_name}" for s in current if s.id not in members]
        result.append(SplitCarry(classes[class_id], subjects[subject_id], keep, unplaced))
    return result


def switch(actor, year, close_previous=False, today=None):
    """Transfer the groups into the next semester (see the module's docstring); returns a Russian
    summary. A second run finds the transfer recorded and changes nothing."""

    _require(actor, year, "run")
    plan = preview(actor, year, today)
    if plan.target is None:
        if plan.done is not None:
            return f"Перевод в «{plan.done.period.name}» уже выполнен {plan.done.done_at:%d.%m.%Y}."
        raise DomainError("Перевод по семестрам невозможен", plan.warnings)
    if year.is_closed:
        raise DomainError(f"Учебный год {year.name} закрыт: его данные не меняются")
    with uow.step():  # the switch is kept even if closing the previous semester below fails
        changed = 0
        for row in plan.rows:
            if row.changes:
                row.assignment.hours_per_week = row.new_weekly
                changed += 1
        carried = 0
        for split in plan.splits:
            for student_id, subgroup_id in split.members.items():
                db.session.add(SubgroupMember(subgroup_id=subgroup_id, student_id=student_id,
                                              period_id=plan.target.id, subject_id=split.subject.id))
                carried += 1
        summary = (f"Активен «{plan.target.name}»: часов в неделю изменено у нагрузок: {changed}; "
                   f"дисциплин без преподавателя: {len(plan.unassigned)}; в подгруппы перенесено: {carried}")
        db.session.add(SemesterSwitch(org_id=year.org_id, year_id=year.id, period_id=plan.target.id,
                                      done_at=utcnow(), done_by_id=actor.user_id, summary=summary[:1000]))
        db.session.flush()
    if close_previous and not plan.source.is_closed:
        check = journal.close_check(actor, plan.source.id)
        if check.needs_confirmation:  # the typed name is asked on the periods page (issue 15), not here
            summary += (f"; «{plan.source.name}» не закрыт: " + "; ".join(check.problems())
                        + " — закройте его на странице «Учебные периоды»")
        else:
            with uow.step():
                journal.close_period(actor, plan.source.id)
            summary += f"; «{plan.source.name}» закрыт для изменений"
    return summary


__all__ = ["semesters", "active_semester", "study_weeks", "preview", "switch"]
