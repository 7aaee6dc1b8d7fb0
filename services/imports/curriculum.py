"""Import and export of the curriculum (учебный план) of the current academic year (issue 17.1–17.2).

One row is one line of a plan: the plan is found by its grade level (or a class, whose grade, profile and
specialty it follows), profile and (a college) specialty, and made when missing; the line by its subject and
component. A school gives hours per week, a college hours per semester; the row's hours are the line's
(an empty cell is no hours). The plan's maximum load and study weeks, if given, are the same on each of its
rows. Lines the file does not name stay as they are. The rules are the curriculum's own
(services/planning/curriculum.py): every line through validate_line, every new or changed plan through
validate_curriculum, the load over the maximum through load_of; the lines are written by save_lines, as the
curriculum page writes them.
"""
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Curriculum, CurriculumComponent, CurriculumLine, Organization, SchoolClass, Specialty, Subject, db
from services.errors import DomainError
from services.imports._lists import writing, Lookup, put_errors, require, year_of
from services.imports.core import CREATE, SKIP, UPDATE, Column, Importer, check_lengths, norm
from services.params import parse_int
from services.planning.curriculum import (CurriculumIndex, LineInput, curriculum_title, hours, load_of, save_lines,
                                          validate_curriculum, validate_line)

COMPONENTS = {**{norm(c.label): c.value for c in CurriculumComponent},
              "обязательная часть": CurriculumComponent.FEDERAL.value,
              "федеральный компонент": CurriculumComponent.FEDERAL.value,
              "федеральный": CurriculumComponent.FEDERAL.value,
              "региональный": CurriculumComponent.REGIONAL.value,
              "часть, формируемая участниками": CurriculumComponent.SCHOOL.value,
              "формируемая часть": CurriculumComponent.SCHOOL.value,
              "школьный компонент": CurriculumComponent.SCHOOL.value,
              "школьный": CurriculumComponent.SCHOOL.value}
LABELS = {c.value: c.label for c in CurriculumComponent}
HOURS = ("hours_per_week", "period1_hours", "period2_hours")

COLUMNS = (
    Column("grade", "Параллель", False, "5", "Число: параллель в школе, курс в колледже (или заполните «Класс»)",
           aliases=("Курс", "Параллель (курс)")),
    Column("klass", "Класс", False, "", "Вместо параллели: класс (группа) текущего года — план его параллели, "
           "профиля и специальности", aliases=("Группа",)),
    Column("profile", "Профиль", False, "", "Профиль плана, если у параллели несколько планов"),
    Column("specialty", "Специальность", False, "", "Колледж: код или название специальности (профессии)"),
    Column("subject", "Предмет", True, "Математика", "Как в списке предметов (импорт «Предметы»)",
           aliases=("Дисциплина", "Предмет (дисциплина)")),
    Column("component", "Компонент", False, "Обязательная часть (федеральный компонент)",
           "; ".join(LABELS.values()) + ". Пусто — обязательная часть"),
    Column("hours_per_week", "Часов в неделю", False, "5", "Школа: часов в неделю"),
    Column("period1_hours", "Часов в 1 семестре", False, "", "Колледж: часов за 1 семестр курса"),
    Column("period2_hours", "Часов во 2 семестре", False, "", "Колледж: часов за 2 семестр курса"),
    Column("max_hours", "Максимальная нагрузка", False, "29", "Плана: в неделю (школа) или за семестр "
           "(колледж); пусто — как в плане (школе — по СанПиН)"),
    Column("weeks", "Учебных недель", False, "34", "Плана (школа); пусто — как в плане"),
)
LIMITS = {"profile": 100}


class _Plan:
    """A plan the file fills: the stored one or a new one, its lines as the file leaves them."""

    def __init__(self, key, curriculum, twin):
        self.key, self.curriculum, self.twin = key, curriculum, twin
        self.rows, self.settings, self.changed = [], {}, []
        self.lines = {}  # (subject id, component) → SimpleNamespace of the line's final hours
        if curriculum is not None:
            for line in curriculum.lines:
                self.lines[(line.subject_id, line.component)] = SimpleNamespace(
                    component=line.component, **{h: getattr(line, h) for h in HOURS})
        self.inputs = []  # (row, line or None, subject, component, {hours: text})


class CurriculumImport(Importer):
    code = "curriculum"
    title = "Учебный план"
    columns = COLUMNS
    resource = "curriculum"
    filename = "uchebnyi_plan"

    def _load(self, actor):
        self.org = db.session.get(Organization, actor.org_id)
        self.year = year_of(actor)
        self.curricula = db.session.scalars(select(Curriculum).where(
            Curriculum.org_id == actor.org_id, Curriculum.year_id == self.year.id)
            .options(selectinload(Curriculum.lines))).all()
        self.index = CurriculumIndex(self.curricula)
        subjects = db.session.scalars(select(Subject).where(Subject.org_id == actor.org_id)).all()
        self.subjects = Lookup(subjects, lambda s: {norm(s.name), norm(s.code)})
        self.classes = {norm(k.name): k for k in db.session.scalars(select(SchoolClass).where(
            SchoolClass.org_id == actor.org_id, SchoolClass.year_id == self.year.id))}
        specialties = db.session.scalars(select(Specialty).where(Specialty.org_id == actor.org_id)).all()
        self.specialties = Lookup(specialties, lambda s: {norm(s.code), norm(s.name), norm(str(s))})

    def _stored(self, grade, profile, specialty_id):
        for c in self.curricula:
            if c.grade == grade and norm(c.profile) == norm(profile) and c.specialty_id == specialty_id:
                return c
        return None

    def _plan_key(self, row, preview):
        """(grade, profile, specialty id) of the row's plan, or None with the row's error."""
        col = self.column
        grade = profile = specialty_id = None
        if row.get("klass"):
            klass = self.classes.get(norm(row.get("klass")))
            if klass is None:
                preview.error(row, col("klass"), f"«{row.get('klass')}» — нет такого класса (группы) в "
                              f"{self.year.name} учебном году")
                return None
            chosen = self.index.for_class(klass)  # the plan the class follows, as the curriculum page finds it
            grade, profile, specialty_id = (chosen.grade, chosen.profile, chosen.specialty_id) if chosen else \
                (klass.grade, klass.profile, klass.specialty_id)
        if row.get("grade"):
            number = parse_int(row.get("grade"), 1, 11)
            if number is None:
                preview.error(row, col("grade"), f"«{row.get('grade')}» — нужен номер параллели (курса) числом")
                return None
            if grade is not None and number != grade:
                preview.error(row, col("grade"), f"класс «{row.get('klass')}» — параллели {grade}, не {number}")
                return None
            grade = number
        if grade is None:
            preview.error(row, col("grade"), "заполните параллель (курс) или класс (группу)")
            return None
        if row.get("profile"):
            profile = row.get("profile")
        if row.get("specialty"):
            found, message = self.specialties.find(row.get("specialty"))
            if found is None:
                preview.error(row, col("specialty"), message + " в справочнике")
                return None
            specialty_id = found.id
        return grade, norm(profile) or None, specialty_id, profile

    def _settings(self, row, plan, preview):
        col = self.column
        for key in ("max_hours", "weeks"):
            text = row.get(key)
            if text is None:
                continue
            if key == "weeks":
                value = parse_int(text, 1, 52)
                if value is None:
                    preview.error(row, col(key), f"«{text}» — число недель от 1 до 52")
                    continue
            else:
                try:
                    value = hours(text)
                except ValueError as exc:
                    preview.error(row, col(key), str(exc))
                    continue
            if key in plan.settings and plan.settings[key][0] != value:
                preview.error(row, col(key), f"у этого плана в строке {plan.settings[key][1]} — другое значение")
                continue
            plan.settings.setdefault(key, (value, row.number))

    def _analyse(self, actor, rows, preview):
        require(actor, self.resource, "create", "edit")
        self._load(actor)
        check_lengths(rows, self.columns, preview, LIMITS)
        col = self.column
        college = self.org.is_college
        plans, seen = {}, {}
        for row in rows:
            before = len(preview.errors)
            key = self._plan_key(row, preview)
            subject = None
            if row.get("subject") is None:
                preview.error(row, col("subject"), "заполните")
            else:
                subject, message = self.subjects.find(row.get("subject"))
                if subject is None:
                    preview.error(row, col("subject"), message + " среди предметов: сначала загрузите предметы")
            component = None
            if row.get("component"):
                component = COMPONENTS.get(norm(row.get("component")))
                if component is None:
                    preview.error(row, col("component"), f"«{row.get('component')}» — нет такого компонента; "
                                  "допустимо: " + ", ".join(f"«{v}»" for v in LABELS.values()))
            values = {}
            for h in HOURS:
                try:
                    values[h] = hours(row.get(h))
                except ValueError as exc:
                    preview.error(row, col(h), str(exc))
            if key is None:
                continue
            plan = plans.get(key[:3])
            if plan is None:
                stored = self._stored(*key[:3])
                twin = Curriculum(org_id=self.org.id, year_id=self.year.id, grade=key[0],
                                  profile=stored.profile if stored else key[3], specialty_id=key[2])
                if stored is not None:
                    twin.max_hours, twin.weeks, twin.note = stored.max_hours, stored.weeks, stored.note
                plan = plans[key[:3]] = _Plan(key[:3], stored, twin)
            self._settings(row, plan, preview)
            if len(preview.errors) > before:
                continue
            if component is None:  # the subject's one line of the stored plan, else the obligatory part
                mine = [c for (s, c) in plan.lines if s == subject.id]
                component = mine[0] if len(mine) == 1 else CurriculumComponent.FEDERAL.value
            line_key = (key[:3], subject.id, component)
            if line_key in seen:
                preview.error(row, col("subject"), f"«{subject.name}» в этом компоненте плана уже есть в строке "
                              f"{seen[line_key]}")
                continue
            seen[line_key] = row.number
            line = CurriculumLine(org_id=self.org.id, subject=subject, component=component, **values)
            line.curriculum = plan.twin
            try:
                with db.session.no_autoflush:
                    validate_line(line)
            except DomainError as exc:
                put_errors(preview, row, exc, [(("семестр",), col("period1_hours")),
                                               (("в неделю",), col("hours_per_week")),
                                               (("компонент",), col("component"))])
                continue
            finally:
                plan.twin.lines.remove(line)
            final = {h: getattr(line, h) for h in HOURS}
            stored_line = next((x for x in (plan.curriculum.lines if plan.curriculum else ())
                                if x.subject_id == subject.id and x.component == component), None)
            plan.rows.append(row)
            if stored_line is not None and all(_same(getattr(stored_line, h), final[h]) for h in HOURS):
                preview.change(SKIP, "Строка учебного плана", f"{subject.name}, {_short(plan.twin)}", row)
                continue
            plan.lines[(subject.id, component)] = SimpleNamespace(component=component, **final)
            plan.inputs.append((row, stored_line, subject, component, values))
            preview.change(UPDATE if stored_line else CREATE, "Строка учебного плана",
                           f"{subject.name}, {_short(plan.twin)}", row, "часы" if stored_line else "")
        for plan in plans.values():
            self._check_plan(plan, college, preview)
        return [p for p in plans.values() if p.inputs or p.changed or p.curriculum is None]

    def _check_plan(self, plan, college, preview):
        """The plan's own rule (a new one, or one whose maximum or weeks change) and its load."""
        if not plan.rows:
            return
        first, last = plan.rows[0], plan.rows[-1]
        for key, (value, _) in plan.settings.items():
            if plan.curriculum is None or getattr(plan.curriculum, key) != value:
                setattr(plan.twin, key, value)
                if plan.curriculum is not None:
                    plan.changed.append(key)
        if plan.curriculum is None or plan.changed:
            if plan.curriculum is not None:
                plan.twin.id = plan.curriculum.id
            try:
                with db.session.no_autoflush:
                    validate_curriculum(plan.twin)
            except DomainError as exc:
                put_errors(preview, first, exc, [(("нагрузк",), self.column("max_hours")),
                                                 (("недель",), self.column("weeks")),
                                                 (("параллель", "курс"), self.column("grade"))])
                return
            finally:
                plan.twin.id = None
            title = curriculum_title(plan.twin)
            if plan.curriculum is None:
                preview.change(CREATE, "Учебный план", f"{title} на {self.year.name}", first)
            else:
                names = {"max_hours": "максимальная нагрузка", "weeks": "учебных недель"}
                preview.change(UPDATE, "Учебный план", f"{title} на {self.year.name}", first,
                               ", ".join(names[k] for k in plan.changed))
        over = load_of(plan.twin, plan.lines.values()).over(plan.twin.max_hours, curriculum_title(plan.twin))
        for message in over:
            preview.error(last, self.column("period1_hours" if college else "hours_per_week"), message)

    def plan(self, actor, rows, preview):
        self._analyse(actor, rows, preview)

    def apply(self, actor, rows, preview, progress=None):
        plans = self._analyse(actor, rows, preview)
        if preview.errors:
            return
        total, done = sum(len(p.inputs) for p in plans), 0
        with writing(preview):
            for plan in plans:
                curriculum = plan.curriculum
                if curriculum is None:
                    curriculum = Curriculum(org_id=self.org.id, year_id=self.year.id, grade=plan.twin.grade,
                                            profile=plan.twin.profile, specialty_id=plan.twin.specialty_id,
                                            max_hours=plan.twin.max_hours, weeks=plan.twin.weeks)
                    db.session.add(curriculum)
                for key in plan.changed:
                    setattr(curriculum, key, getattr(plan.twin, key))
                db.session.flush()
                inputs = [LineInput(id=line.id if line is not None else None,
                                    subject_id=None if line is not None else subject.id,
                                    component=component, key=str(row.number),
                                    **{h: _text(values.get(h)) for h in HOURS})
                          for row, line, subject, component, values in plan.inputs]
                if inputs:
                    save_lines(actor, curriculum, inputs)
                done += len(inputs)
                if progress:
                    progress(done, total)

    def export_rows(self, actor):
        require(actor, self.resource, "export")
        year = year_of(actor)
        curricula = db.session.scalars(select(Curriculum).where(
            Curriculum.org_id == actor.org_id, Curriculum.year_id == year.id)
            .options(selectinload(Curriculum.lines)).order_by(Curriculum.grade, Curriculum.profile,
                                                              Curriculum.id)).all()
        subjects = {s.id: s.name for s in db.session.scalars(select(Subject).where(Subject.org_id == actor.org_id))}
        specialties = {s.id: s.code for s in db.session.scalars(select(Specialty).where(
            Specialty.org_id == actor.org_id))}
        out = []
        for c in curricula:
            for line in sorted(c.lines, key=lambda x: (x.sort_order or 0, x.id)):
                out.append({"grade": c.grade, "profile": c.profile, "specialty": specialties.get(c.specialty_id),
                            "subject": subjects.get(line.subject_id), "component": LABELS.get(line.component),
                            **{h: _number(getattr(line, h)) for h in HOURS},
                            "max_hours": _number(c.max_hours), "weeks": c.weeks})
        return out


def _same(a, b):
    return (a is None and b is None) or (a is not None and b is not None and Decimal(a) == Decimal(b))


def _short(curriculum):
    return f"{curriculum.grade}" + (f" ({curriculum.profile})" if curriculum.profile else "")


def _text(value):
    return None if value is None else str(value)


def _number(value):
    """Hours as the spreadsheet's number: whole ones as int."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral() else float(value)
