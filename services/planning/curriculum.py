"""The curriculum (учебный план): per grade level and profile, the subjects with their hours by
component; the maximum load the deputy sets; copying from another grade level or last year;
the hours each class gets from it.

A school counts hours per week (and the year's hours as week × study weeks); a college counts
hours per semester (period 1 and 2 of the course's year).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import (AcademicYear, Curriculum, CurriculumComponent, CurriculumLine, Organization,
                    SchoolClass, Subject, TeachingAssignment, db)
from services import permissions, versions
from services.errors import DomainError, taken_is_refused
from services.planning._common import check_open_year, fmt_hours, hours, raise_if, related
from services.rules import rule, validator

# Maximum weekly load of a five-day week by grade (СанПиН 1.2.3685-21), the default of a new plan.
SCHOOL_MAX_WEEKLY = {1: 21, 2: 23, 3: 23, 4: 23, 5: 29, 6: 30, 7: 32, 8: 33, 9: 33, 10: 34, 11: 34}
COMPONENTS = [c.value for c in CurriculumComponent]
ZERO = Decimal(0)


def _norm(text):
    return " ".join((text or "").lower().split())


def is_college(curriculum):
    org = curriculum.organization or db.session.get(Organization, curriculum.org_id)
    return org is not None and org.is_college


# -- totals ----------------------------------------------------------------------------

@dataclass
class Load:
    """Total hours of a curriculum, overall and by component, in its unit."""

    college: bool
    week: Decimal = ZERO
    period1: Decimal = ZERO
    period2: Decimal = ZERO
    by_component: dict = field(default_factory=dict)

    def add(self, line):
        comp = self.by_component.setdefault(line.component, [ZERO, ZERO, ZERO])
        for i, value in enumerate((line.hours_per_week, line.period1_hours, line.period2_hours)):
            comp[i] += Decimal(value or 0)
        self.week += Decimal(line.hours_per_week or 0)
        self.period1 += Decimal(line.period1_hours or 0)
        self.period2 += Decimal(line.period2_hours or 0)

    def over(self, maximum, title):
        """Russian messages for each total above the maximum."""
        if maximum is None:
            return []
        maximum = Decimal(maximum)
        if not self.college:
            if self.week > maximum:
                return [f"Недельная нагрузка {title} — {fmt_hours(self.week)} ч, больше максимально "
                        f"допустимой {fmt_hours(maximum)} ч"]
            return []
        return [f"Нагрузка {title} за {n} семестр — {fmt_hours(total)} ч, больше максимально допустимой "
                f"{fmt_hours(maximum)} ч" for n, total in ((1, self.period1), (2, self.period2))
                if total > maximum]


def load_of(curriculum, lines):
    load = Load(college=is_college(curriculum))
    for line in lines:
        load.add(line)
    return load


def _lines_in_session(curriculum):
    """The curriculum's lines as this flush will leave them: stored ones with their changes,
    new ones, minus deleted ones."""
    session = db.session
    lines = []
    if curriculum.id is not None:
        lines = list(session.scalars(select(CurriculumLine).where(CurriculumLine.curriculum_id == curriculum.id)))
    seen = {id(line) for line in lines}
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, CurriculumLine) and id(obj) not in seen:
            lines.append(obj)
            seen.add(id(obj))

    def belongs(line):
        if line in session.deleted:
            return False
        if line.curriculum is not None:
            return line.curriculum is curriculum
        return curriculum.id is not None and line.curriculum_id == curriculum.id

    return [line for line in lines if belongs(line)]


def curriculum_title(curriculum):
    unit = "курса" if is_college(curriculum) else "класса"
    text = f"{curriculum.grade} {unit}"
    if curriculum.profile:
        text += f" (профиль «{curriculum.profile}»)"
    return text


# -- rules ------------------------------------------------------------------------------

@validator(Curriculum, "planning.curriculum")
def validate_curriculum(curriculum):
    errors = []
    org = db.session.get(Organization, curriculum.org_id)
    year = related(curriculum, "year", "year_id", AcademicYear)
    college = org is not None and org.is_college
    top = 6 if college else 11
    curriculum.profile = (curriculum.profile or "").strip() or None
    if year is None:
        errors.append("Укажите учебный год")
    check_open_year(year, errors)
    if curriculum.grade is None or not 1 <= curriculum.grade <= top:
        errors.append(f"{'Курс' if college else 'Параллель'} — число от 1 до {top}")
    if curriculum.weeks is None:
        curriculum.weeks = 33 if curriculum.grade == 1 else 34
    if not 1 <= curriculum.weeks <= 52:
        errors.append("Учебных недель — от 1 до 52")
    if curriculum.max_hours is None and not college and curriculum.grade in SCHOOL_MAX_WEEKLY:
        curriculum.max_hours = Decimal(SCHOOL_MAX_WEEKLY[curriculum.grade])
    if curriculum.max_hours is None:
        errors.append("Укажите максимально допустимую нагрузку (часов за семестр)")
    elif Decimal(curriculum.max_hours) <= 0:
        errors.append("Максимально допустимая нагрузка — положительное число")
    raise_if(errors, "Учебный план не сохранён")
    specialty_id = curriculum.specialty.id if curriculum.specialty is not None else curriculum.specialty_id
    twins = db.session.scalars(select(Curriculum).where(
        Curriculum.year_id == year.id, Curriculum.grade == curriculum.grade,
        Curriculum.id != (curriculum.id or 0))).all()
    for twin in twins:
        if _norm(twin.profile) == _norm(curriculum.profile) and twin.specialty_id == specialty_id:
            errors.append(f"Учебный план {curriculum_title(curriculum)} на {year.name} уже есть")
            break
    errors += load_of(curriculum, _lines_in_session(curriculum)).over(
        curriculum.max_hours, curriculum_title(curriculum))
    raise_if(errors, "Учебный план не сохранён")


@validator(CurriculumLine, "planning.curriculum_line")
def validate_line(line):
    errors = []
    curriculum = related(line, "curriculum", "curriculum_id", Curriculum)
    subject = related(line, "subject", "subject_id", Subject)
    if curriculum is None:
        raise DomainError("Строка учебного плана не сохранена", ["Укажите учебный план"])
    line.org_id = curriculum.org_id
    college = is_college(curriculum)
    name = subject.name if subject is not None else "?"
    if subject is None:
        errors.append("Укажите предмет")
    elif subject.org_id != curriculum.org_id:
        errors.append("Предмет принадлежит другой организации")
    if line.component is None:
        line.component = CurriculumComponent.FEDERAL.value
    if line.component not in COMPONENTS:
        errors.append(f"{name}: неизвестный компонент учебного плана")
    check_open_year(curriculum.year or db.session.get(AcademicYear, curriculum.year_id), errors)
    if college:
        line.hours_per_week = None
        if not (line.period1_hours or line.period2_hours):
            errors.append(f"{name}: укажите часы хотя бы одного семестра")
    else:
        line.period1_hours = line.period2_hours = None
        if not line.hours_per_week:
            errors.append(f"{name}: укажите часы в неделю (больше нуля)")
    for value in (line.hours_per_week, line.period1_hours, line.period2_hours):
        if value is not None and Decimal(value) < 0:
            errors.append(f"{name}: часы не могут быть отрицательными")
            break
    if subject is not None and curriculum.id is not None:
        twin = db.session.scalar(select(CurriculumLine.id).where(
            CurriculumLine.curriculum_id == curriculum.id, CurriculumLine.subject_id == subject.id,
            CurriculumLine.component == line.component, CurriculumLine.id != (line.id or 0)))
        if twin is not None:
            errors.append(f"Предмет «{name}» уже есть в этом компоненте учебного плана")
    raise_if(errors, "Учебный план не сохранён")
    errors = load_of(curriculum, _lines_in_session(curriculum)).over(
        curriculum.max_hours, curriculum_title(curriculum))
    raise_if(errors, "Учебный план не сохранён")


# -- editing ----------------------------------------------------------------------------

@dataclass
class LineInput:
    """One row of the curriculum grid as the form sent it (texts not yet parsed)."""

    id: int | None = None
    subject_id: int | None = None
    component: str | None = None
    hours_per_week: str | None = None
    period1_hours: str | None = None
    period2_hours: str | None = None
    delete: bool = False
    key: str | None = None  # the row's name in the caller's form: its errors are `fields[(key, attribute)]`


def _parse(row, attribute, label, errors, fields):
    try:
        return hours(getattr(row, attribute))
    except ValueError as exc:
        errors.append(f"{label}: {exc}")
        fields[(row.key, attribute)] = str(exc)
        return None


def _require_hours(row, line, label, college, errors, fields):
    """A row without its hours is refused here, beside its input (the flush rule says it only in words)."""
    if college:
        if not (line.period1_hours or line.period2_hours):
            errors.append(f"{label}: укажите часы хотя бы одного семестра")
            fields[(row.key, "period1_hours")] = "Укажите часы хотя бы одного семестра"
    elif not line.hours_per_week:
        errors.append(f"{label}: укажите часы в неделю (больше нуля)")
        fields[(row.key, "hours_per_week")] = "Укажите часы в неделю (больше нуля)"


def save_lines(actor, curriculum, rows, version=None):
    """Apply the grid: change, add and delete lines at once; any bad row refuses them all, the
    DomainError naming each wrong input as `(row.key, attribute)` in its `fields`.

    `version`: the plan's version the grid was made from — a grid made before someone else saved
    the plan is refused, not written over it (services/versions.py; the page passes what its form
    sent, so a form without it is refused); None for a caller that does not claim to know it."""
    permissions.require_rows(actor, "curriculum", "edit", Curriculum, [curriculum.id])
    if version is not None:
        versions.claim(curriculum, version)
    existing = {line.id: line for line in curriculum.lines}
    subjects = {s.id: s for s in db.session.scalars(select(Subject).where(Subject.org_id == curriculum.org_id))}
    next_order = max((line.sort_order or 0 for line in curriculum.lines), default=0) + 1
    college = is_college(curriculum)
    errors, fields, keys = [], {}, {}
    try:
        for row in rows:
            if row.id is not None:
                line = existing.get(row.id)
                if line is None:
                    raise DomainError("Строка не принадлежит этому учебному плану")
                if row.delete:
                    curriculum.lines.remove(line)
                    continue
                label = line.subject.name
            else:
                if row.subject_id is None:
                    continue  # an empty row of the form
                if row.subject_id not in subjects:
                    errors.append("Выбран предмет другой организации")
                    fields[(row.key, "subject_id")] = "Выбран предмет другой организации"
                    continue
                label = subjects[row.subject_id].name
                line = CurriculumLine(org_id=curriculum.org_id, subject_id=row.subject_id,
                                      subject=subjects[row.subject_id], sort_order=next_order)
                next_order += 1
                curriculum.lines.append(line)
            if row.component is not None:
                line.component = row.component
            keys[id(line)] = row.key
            before = len(errors)
            line.hours_per_week = _parse(row, "hours_per_week", label, errors, fields)
            line.period1_hours = _parse(row, "period1_hours", label, errors, fields)
            line.period2_hours = _parse(row, "period2_hours", label, errors, fields)
            if len(errors) == before:
                _require_hours(row, line, label, college, errors, fields)
        seen, doubled = {}, []
        for line in curriculum.lines:
            key = (line.subject_id, line.component)
            if key in seen:
                text = f"предмет «{line.subject.name}» указан дважды в одном компоненте"
                doubled.append(text)
                for twin in (seen[key], line):
                    if keys.get(id(twin)) is not None:
                        fields[(keys[id(twin)], "component")] = "Этот предмет уже есть в этом компоненте"
            seen[key] = line
        raise_if(errors + doubled, "Учебный план не сохранён", fields)
        db.session.flush()
    except Exception:
        db.session.rollback()
        raise


def _copy_missing_lines(source, target):
    have = {(line.subject_id, line.component) for line in target.lines}
    added = 0
    for line in source.lines:
        if (line.subject_id, line.component) in have:
            continue
        target.lines.append(CurriculumLine(
            org_id=target.org_id, subject_id=line.subject_id, component=line.component,
            hours_per_week=line.hours_per_week, period1_hours=line.period1_hours,
            period2_hours=line.period2_hours, sort_order=line.sort_order))
        have.add((line.subject_id, line.component))
        added += 1
    return added


def copy_lines(actor, source, target):
    """Fill `target` with the lines of `source` it does not have (another grade level or year);
    lines already there stay as they are, so a second copy adds nothing."""
    permissions.require_rows(actor, "curriculum", "edit", Curriculum, [target.id])
    permissions.require_rows(actor, "curriculum", "details", Curriculum, [source.id])
    if source.id == target.id:
        raise DomainError("Выберите другой учебный план: копировать план в самого себя нельзя")
    try:
        added = _copy_missing_lines(source, target)
        db.session.flush()
    except Exception:
        db.session.rollback()
        raise
    return added


def next_year_of(year):
    return db.session.scalars(select(AcademicYear).where(
        AcademicYear.org_id == year.org_id, AcademicYear.start_date > year.start_date)
        .order_by(AcademicYear.start_date)).first()


def copy_to_next_year(actor, ids):
    """Carry the chosen curricula into the next academic year: the same grade level and profile,
    made if missing, filled with the lines it lacks. Returns (plans made, lines added). A part of the
    caller's unit of work (the page's request, the year rollover's step)."""
    ids = permissions.require_rows(actor, "curriculum", "copy", Curriculum, ids)
    made = added = 0
    try:
        with taken_is_refused("Учебные планы не перенесены", ["их только что перенёс другой пользователь: "
                                                             "обновите страницу"]):
            for source in db.session.scalars(select(Curriculum).where(Curriculum.id.in_(ids))
                                             .order_by(Curriculum.grade, Curriculum.id)):
                target_year = next_year_of(source.year)
                if target_year is None:
                    raise DomainError(f"Нет учебного года после {source.year.name}: сначала создайте его")
                target = _find_twin(source, target_year)
                if target is None:
                    target = Curriculum(org_id=source.org_id, year_id=target_year.id, year=target_year,
                                        grade=source.grade, profile=source.profile,
                                        specialty_id=source.specialty_id, max_hours=source.max_hours,
                                        weeks=source.weeks, note=source.note)
                    db.session.add(target)
                    db.session.flush()
                    made += 1
                added += _copy_missing_lines(source, target)
            db.session.flush()
    except Exception:
        db.session.rollback()
        raise
    return made, added


def _find_twin(source, year):
    for cand in db.session.scalars(select(Curriculum).where(Curriculum.year_id == year.id,
                                                            Curriculum.grade == source.grade)):
        if _norm(cand.profile) == _norm(source.profile) and cand.specialty_id == source.specialty_id:
            return cand
    return None


# -- what each class gets ---------------------------------------------------------------

@dataclass
class PlannedHours:
    curriculum: Curriculum
    exists: bool
    weekly: Decimal | None
    annual: Decimal | None


class CurriculumIndex:
    """The curricula of some years, loaded once, resolved per class (grade, then profile)."""

    def __init__(self, curricula):
        self.by_grade = defaultdict(list)
        for c in curricula:
            self.by_grade[(c.year_id, c.grade)].append(c)
        self._subject_lines = {c.id: defaultdict(list) for c in curricula}
        for c in curricula:
            for line in c.lines:
                self._subject_lines[c.id][line.subject_id].append(line)

    @classmethod
    def during_flush(cls, year_id):
        """One index per year for all the rows a flush checks (the stored curricula do not change
        while the rules run); each flush starts a new one."""
        cache = db.session.info.setdefault("curriculum_index", {})
        if year_id not in cache:
            cache[year_id] = cls.for_years([year_id])
        return cache[year_id]

    @classmethod
    def for_years(cls, year_ids):
        curricula = db.session.scalars(select(Curriculum).where(Curriculum.year_id.in_(list(year_ids)))
                                       .options(selectinload(Curriculum.lines),
                                                joinedload(Curriculum.organization))).all()
        return cls(curricula)

    def for_class(self, klass):
        best, best_score = None, -1
        for c in self.by_grade.get((klass.year_id, klass.grade), ()):
            score = 0
            if c.specialty_id is not None:
                if c.specialty_id != klass.specialty_id:
                    continue
                score += 2
            if c.profile:
                if _norm(c.profile) != _norm(klass.profile):
                    continue
                score += 1
            if score > best_score:
                best, best_score = c, score
        return best

    def subject_hours(self, klass, subject_id):
        """The class's planned hours of a subject (all components); None without a curriculum."""
        curriculum = self.for_class(klass)
        if curriculum is None:
            return None
        lines = self._subject_lines[curriculum.id].get(subject_id, [])
        return planned_hours(curriculum, lines)

    def subjects(self, curriculum):
        return self._subject_lines[curriculum.id]


@rule("planning.curriculum_index", "normalise")
def _drop_index(session, flush_context, instances):
    """Every flush starts without a cached index (it runs before the rules that use it)."""
    session.info.pop("curriculum_index", None)


def planned_hours(curriculum, lines):
    if not lines:
        return PlannedHours(curriculum, False, None, None)
    if is_college(curriculum):
        annual = sum((Decimal(line.period1_hours or 0) + Decimal(line.period2_hours or 0) for line in lines), ZERO)
        return PlannedHours(curriculum, True, None, annual)
    weekly = sum((Decimal(line.hours_per_week or 0) for line in lines), ZERO)
    return PlannedHours(curriculum, True, weekly, weekly * curriculum.weeks)


@dataclass
class ClassColumn:
    klass: SchoolClass
    assigned: dict  # subject_id -> list of (teacher short name, subgroup name, hours)


def classes_of(curriculum):
    """The classes of the curriculum's year and grade that follow this curriculum."""
    classes = db.session.scalars(select(SchoolClass).where(
        SchoolClass.year_id == curriculum.year_id, SchoolClass.grade == curriculum.grade,
        SchoolClass.org_id == curriculum.org_id).order_by(SchoolClass.name)).all()
    index = CurriculumIndex.for_years([curriculum.year_id])
    return [k for k in classes if (chosen := index.for_class(k)) is not None and chosen.id == curriculum.id]


def class_columns(curriculum):
    """For the curriculum page: each class of it with its teaching assignments by subject."""
    classes = classes_of(curriculum)
    rows = db.session.scalars(select(TeachingAssignment).where(
        TeachingAssignment.class_id.in_([k.id for k in classes]))
        .options(joinedload(TeachingAssignment.teacher), joinedload(TeachingAssignment.subgroup))).all()
    by_class = defaultdict(lambda: defaultdict(list))
    college = is_college(curriculum)
    for a in rows:
        value = a.hours_total if college else a.hours_per_week
        by_class[a.class_id][a.subject_id].append(
            (a.teacher.short_name, a.subgroup.name if a.subgroup else None, value))
    return [ClassColumn(k, by_class[k.id]) for k in classes]


RULES = (_drop_index, validate_curriculum, validate_line)
