"""A report's parameters: text (a query string, the command line) resolved through the permission table.

Every kind of parameter a report may take (`PARAMS`: year, class, period, student, subject, teacher, from,
to, by) is one `Param`: it knows how to resolve its text into `Params` (through services/params.py and the
report's key in the permission table: a class, a student or a subject the actor may not reach is
«не найден», exactly like one that does not exist), the rows it offers the actor (`choices`) and its
WTForms field on the report's page (`field`, admin_views/reports.py puts them into one form).
"""
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from wtforms import SelectField, StringField

from models import (AcademicYear, ClassMembership, Organization, Period, SchoolClass, Staff, Student, Subject,
                    TeachingAssignment, db)
from reports import data
from reports.document import date_range, person_name
from services import dates, params, permissions
from services.errors import DomainError, PermissionDenied
from services.terms import term


@dataclass
class Params:
    """A report's resolved parameters; `raw` keeps the text as given (for the form and the file name)."""

    org: Organization
    year: AcademicYear
    today: date
    raw: dict = field(default_factory=dict)
    klass: SchoolClass | None = None
    period: Period | None = None  # None with `whole_year`: the year as a whole
    whole_year: bool = False
    student: Student | None = None
    subject: Subject | None = None
    teacher: object = None  # Staff
    start: date | None = None
    end: date | None = None
    by: str = "period"
    periods: list = field(default_factory=list)  # the year's periods, in order

    @property
    def period_start(self):
        return self.period.start_date if self.period is not None else self.year.start_date

    @property
    def period_end(self):
        return self.period.end_date if self.period is not None else self.year.end_date

    @property
    def period_label(self):
        return self.period.name if self.period is not None else f"{self.year.name} учебный год"

    @property
    def mark_key(self):
        """The period mark the figures count (a key of data.period_marks): the period's, or the year
        mark for «год»."""
        return ("period", self.period.id) if self.period is not None else ("year", 0)

    @property
    def range_label(self):
        return date_range(self.start, self.end)


def refuse(*messages):
    raise DomainError("Отчёт не построен", list(messages))


def parse_date(text, label):
    text = (text or "").strip()
    if not text:
        return None
    return params.parse_date(text) or refuse(params.date_error(text, label))


def pick_year(actor, text, today):
    years = db.session.scalars(select(AcademicYear).where(AcademicYear.org_id == actor.org_id)
                               .order_by(AcademicYear.start_date)).all()
    if not years:
        refuse("В организации нет ни одного учебного года")
    text = (text or "").strip()
    if text:
        for year in years:
            if year.name == text or str(year.id) == text:
                return year
        refuse(f"Учебный год «{text}» не найден; есть: {', '.join(y.name for y in years)}")
    for year in years:
        if year.start_date <= today <= year.end_date:
            return year
    before = [y for y in years if y.start_date <= today]
    return before[-1] if before else years[0]


def _scoped(actor, rdef, model):
    """The rows of `model` the actor reaches through the report's key (denied: nothing)."""
    try:
        if model is Student and rdef.view_key == "report_class":  # a class report's rows are classes:
            classes = permissions.row_condition(actor, rdef.view_key, "list", SchoolClass)  # their students
            return Student.id.in_(select(ClassMembership.student_id).join(
                SchoolClass, SchoolClass.id == ClassMembership.class_id).where(classes))
        return permissions.row_condition(actor, rdef.view_key, "list", model)
    except PermissionDenied:
        return None


def picks_class(actor):
    """Staff pick a class, then a student of it; a student or a parent picks among his own (a parent's
    children, whatever their classes), so the class is not theirs to choose."""
    return actor.student_id is None and not actor.parent_id


def _student_class(student, year):
    """The student's class in the year: his latest membership in it."""
    return db.session.scalars(
        select(SchoolClass).join(ClassMembership, ClassMembership.class_id == SchoolClass.id)
        .where(ClassMembership.student_id == student.id, SchoolClass.year_id == year.id)
        .order_by(ClassMembership.start_date.desc()).limit(1)).first()


# -- the form ----------------------------------------------------------------------------------------------

@dataclass
class FormState:
    """What a report's form is drawn from: the resolved parameters (None when the report is not built),
    the text as given, the year shown and the class whose students and subjects are listed."""

    actor: object
    rdef: object
    params: Params | None
    raw: dict
    year: AcademicYear | None
    klass: SchoolClass | None

    @classmethod
    def of(cls, actor, rdef, p, raw, today):
        year = p.year if p is not None else None
        if year is None:
            try:
                year = pick_year(actor, raw.get("year"), today)
            except DomainError:
                year = None
        klass = p.klass if p is not None else None
        if klass is None and year is not None and "class" in rdef.params:
            klass = CLASS.for_form(actor, rdef, year, raw)  # the report is not built yet: list its students
        return cls(actor, rdef, p, raw, year, klass)

    @property
    def own_students(self):
        """A student or a parent picks among his own students, without a class."""
        return "student" in self.rdef.params and not picks_class(self.actor)

    def value(self, name):
        return self.raw.get(name, "")


# -- the parameters ----------------------------------------------------------------------------------------

class Param:
    """One kind of report parameter: its name (the query string's, the command line's and the form
    field's), its label, its help on the command line and the attribute of Params it resolves to."""

    name = ""
    label = ""
    help = ""
    attr = ""

    def resolve(self, actor, rdef, p):
        """Set `p.<attr>` from `p.raw[name]` (or its default); refuse() what is not found."""

    def choices(self, actor, rdef, year, klass=None):
        """The rows the actor may pick (in the form's order)."""
        return []

    def form_label(self):
        return self.label

    def required_label(self):
        """The parameter in «Укажите: …»."""
        return self.label

    def field(self, state):
        """The unbound WTForms field of the report's form (FormState `state`), or None when the form
        does not offer it."""
        return None

    def _select(self, value, choices):
        return SelectField(self.form_label(), id=f"f-{self.name}", choices=choices, default=value)


class YearParam(Param):
    """The academic year; resolved first (`pick_year`), whether the report takes it or not: every
    other parameter is looked for in it."""

    name, label, attr = "year", "Учебный год", "year"
    help = "учебный год, например 2026/2027 (по умолчанию текущий)"

    def choices(self, actor, rdef=None, year=None, klass=None):
        return db.session.scalars(select(AcademicYear).where(AcademicYear.org_id == actor.org_id)
                                  .order_by(AcademicYear.start_date.desc())).all()

    def field(self, state):
        year = state.year
        return self._select(state.value(self.name) or (year.name if year else ""),
                            [(y.name, y.name) for y in self.choices(state.actor)])


class ClassParam(Param):
    name, label, attr = "class", "Класс", "klass"
    help = "класс или группа по названию, например 5А"

    def resolve(self, actor, rdef, p):
        if p.raw.get(self.name):
            p.klass = self.find(actor, rdef, p.year, p.raw[self.name])
        elif self.name in rdef.required and STUDENT.name not in rdef.params:
            p.klass = self.default(actor, rdef, p.year)

    def choices(self, actor, rdef, year, klass=None):
        """Classes of the year the actor may build this report for, by grade and name."""
        if rdef.view_key == "report_student":
            cond = _scoped(actor, rdef, Student)
            if cond is None:
                return []
            reachable = select(ClassMembership.class_id).join(Student, Student.id == ClassMembership.student_id) \
                .where(cond)
            cond = SchoolClass.id.in_(reachable)
        else:
            cond = _scoped(actor, rdef, SchoolClass) if rdef.view_key != "report_teacher" else \
                SchoolClass.id.in_(select(TeachingAssignment.class_id).where(_scoped(actor, rdef, TeachingAssignment)))
            if cond is None:
                return []
        return data.classes_of_year(actor.org_id, year.id, cond)

    def default(self, actor, rdef, year):
        """The class a report opens on: the class teacher's own class, or the only one the actor reaches."""
        choices = self.choices(actor, rdef, year)
        own = [c for c in choices if c.id in actor.own_class_ids]
        if own:
            return own[0]
        return choices[0] if len(choices) == 1 else None

    def for_form(self, actor, rdef, year, raw):
        """The class a report's form lists students of, even when the report is not built yet (no student
        chosen): the class asked for if the actor reaches it, else the one the report opens on
        (`default`: a class teacher's own)."""
        text = (raw.get(self.name) or "").strip()
        if not text:
            return self.default(actor, rdef, year)
        try:
            return self.find(actor, rdef, year, text)
        except DomainError:
            return None

    def find(self, actor, rdef, year, text):
        text = text.strip()
        for klass in self.choices(actor, rdef, year):
            if klass.name.lower().replace(" ", "") == text.lower().replace(" ", "") or str(klass.id) == text:
                return klass
        refuse(f"{term('class')} «{text}» не найден в {year.name} учебном году или недоступен вам")

    def form_label(self):
        return term("class")

    def required_label(self):
        return term("class")

    def field(self, state):
        if state.year is None or state.own_students:
            return None
        klass = state.klass
        choices = [(c.name, c.name) for c in self.choices(state.actor, state.rdef, state.year)]
        return self._select(state.value(self.name) or (klass.name if klass else ""), [("", "—")] + choices)


class StudentParam(Param):
    name, label, attr = "student", "Ученик", "student"
    help = "ученик: номер карточки или «Фамилия Имя»"

    def resolve(self, actor, rdef, p):
        if p.raw.get(self.name):
            p.student = self.find(actor, rdef, p.klass, p.raw[self.name])
        else:
            own = self.choices(actor, rdef, p.year)
            if actor.student_id is not None or actor.parent_id:
                p.student = own[0] if own else None
        if p.student is not None and p.klass is None:
            p.klass = _student_class(p.student, p.year)

    def choices(self, actor, rdef, year, klass=None):
        """Students the actor may build the report for: of `klass` (by its history in the year), or all
        he reaches (a parent's children, a student himself)."""
        cond = _scoped(actor, rdef, Student)
        if cond is None:
            return []
        query = select(Student).where(cond, Student.org_id == actor.org_id)
        if klass is not None:
            query = query.where(Student.id.in_(select(ClassMembership.student_id).where(
                ClassMembership.class_id == klass.id)))
        elif picks_class(actor):
            return []  # staff pick a class first
        return db.session.scalars(query.order_by(Student.last_name, Student.first_name, Student.middle_name,
                                                 Student.id).limit(500)).all()

    def find(self, actor, rdef, klass, text):
        text = " ".join(text.split())
        cond = _scoped(actor, rdef, Student)
        if cond is not None:
            query = select(Student).where(cond, Student.org_id == actor.org_id)
            if klass is not None:  # a student of another class (a stale choice after the class changed): not his
                query = query.where(Student.id.in_(select(ClassMembership.student_id).where(
                    ClassMembership.class_id == klass.id)))
            if text.isdigit():
                found = db.session.scalars(query.where(Student.id == params.parse_id(text))).all()
            else:
                parts = text.split(" ")
                query = query.where(Student.last_name == parts[0])
                if len(parts) > 1:
                    query = query.where(Student.first_name == parts[1])
                if len(parts) > 2:
                    query = query.where(Student.middle_name == parts[2])
                found = db.session.scalars(query.limit(2)).all()
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                refuse(f"Учеников «{text}» несколько; укажите номер карточки или класс")
        refuse(f"Ученик «{text}» не найден или недоступен вам")

    def form_label(self):
        return term("student")

    def field(self, state):
        if state.year is None:
            return None
        students = self.choices(state.actor, state.rdef, state.year, None if state.own_students else state.klass)
        chosen = state.params.student if state.params is not None else None
        return self._select(state.value(self.name) or (str(chosen.id) if chosen else ""),
                            [("", "—")] + [(str(s.id), person_name(s)) for s in students])


class SubjectParam(Param):
    name, label, attr = "subject", "Предмет", "subject"
    help = "предмет по названию"

    def resolve(self, actor, rdef, p):
        if p.raw.get(self.name):
            p.subject = self.find(actor, rdef, p.year, p.klass, p.raw[self.name])

    def choices(self, actor, rdef, year, klass=None):
        cond = [TeachingAssignment.year_id == year.id, TeachingAssignment.org_id == actor.org_id]
        if klass is not None:
            cond.append(TeachingAssignment.class_id == klass.id)
        if rdef.view_key == "report_teacher":
            scope = _scoped(actor, rdef, TeachingAssignment)
            if scope is None:
                return []
            cond.append(scope)
        return db.session.scalars(select(Subject).where(Subject.id.in_(
            select(TeachingAssignment.subject_id).where(*cond))).order_by(Subject.sort_order, Subject.name)).all()

    def find(self, actor, rdef, year, klass, text):
        text = " ".join(text.split()).lower()
        for subject in self.choices(actor, rdef, year, klass):
            if subject.name.lower() == text or (subject.short_name or "").lower() == text or str(subject.id) == text:
                return subject
        refuse(f"{term('subject')} «{text}» не найден или недоступен вам")

    def form_label(self):
        return term("subject")

    def field(self, state):
        if state.year is None:
            return None
        subjects = self.choices(state.actor, state.rdef, state.year, state.klass)
        return self._select(state.value(self.name), [("", "—")] + [(s.name, s.name) for s in subjects])


class TeacherParam(Param):
    """A teacher: the administration picks any (`report_school`); a teacher gets his own."""

    name, label, attr = "teacher", "Учитель", "teacher"
    help = "учитель: номер карточки или «Фамилия Имя» (по умолчанию — вы сами)"

    def resolve(self, actor, rdef, p):
        text = p.raw.get(self.name)
        if text and permissions.allowed(actor, "report_school", "list"):
            p.teacher = self.find(actor, text)
        elif text and text != str(actor.staff_id or ""):
            refuse("Отчёт другого учителя доступен только администрации")
        elif actor.staff_id and permissions.allowed(actor, "report_teacher", "own_report"):
            p.teacher = db.session.get(Staff, actor.staff_id)

    def choices(self, actor, rdef, year, klass=None):
        """The teachers with a teaching assignment in the year (for the administration's pick)."""
        return db.session.scalars(select(Staff).where(Staff.id.in_(
            select(TeachingAssignment.teacher_id).where(TeachingAssignment.year_id == year.id,
                                                        TeachingAssignment.org_id == actor.org_id)))
            .order_by(Staff.last_name, Staff.first_name, Staff.id)).all()

    def find(self, actor, text):
        text = " ".join(text.split())
        query = select(Staff).where(Staff.org_id == actor.org_id)
        if text.isdigit():
            query = query.where(Staff.id == params.parse_id(text))
        else:
            parts = text.split(" ")
            query = query.where(Staff.last_name == parts[0])
            if len(parts) > 1:
                query = query.where(Staff.first_name == parts[1])
        found = db.session.scalars(query.limit(2)).all()
        if len(found) != 1:
            refuse(f"Учитель «{text}» не найден" if not found else f"Учителей «{text}» несколько; укажите номер")
        return found[0]

    def form_label(self):
        return term("teacher")

    def field(self, state):
        if state.year is None or not permissions.allowed(state.actor, "report_school", "list"):
            return None
        chosen = state.params.teacher if state.params is not None else None
        teachers = self.choices(state.actor, state.rdef, state.year)
        return self._select(state.value(self.name) or (str(chosen.id) if chosen else ""),
                            [("", "—")] + [(str(t.id), person_name(t)) for t in teachers])


class PeriodParam(Param):
    """A period of the year or «год» (the year as a whole, `whole_year`); by default the current one,
    else the last that has ended, else the first."""

    name, label, attr = "period", "Период", "period"
    help = "учебный период: название («1 четверть»), номер или «год»"

    def resolve(self, actor, rdef, p):
        periods, today = p.periods, p.today
        if p.raw.get(self.name):
            p.period = self.find(periods, p.year, p.raw[self.name])
        else:
            current = [x for x in periods if x.start_date <= today <= x.end_date]
            past = [x for x in periods if x.end_date < today]
            p.period = current[0] if current else (past[-1] if past else (periods[0] if periods else None))
        p.whole_year = p.period is None

    def choices(self, actor, rdef, year, klass=None):
        return db.session.scalars(select(Period).where(Period.year_id == year.id).order_by(Period.start_date)).all()

    def find(self, periods, year, text):
        text = " ".join(text.split()).lower()
        if text in ("год", "учебный год", "year", "0"):
            return None
        for period in periods:
            if period.name.lower() == text or str(period.number) == text or str(period.id) == f"id{text}":
                return period
        names = ", ".join(p.name for p in periods) or "нет периодов"
        refuse(f"Период «{text}» не найден в {year.name} учебном году; есть: {names}, «год»")

    def field(self, state):
        if state.year is None:
            return None
        p = state.params
        periods = p.periods if p is not None else self.choices(state.actor, state.rdef, state.year)
        current = ("год" if p is not None and p.whole_year else
                   (p.period.name if p is not None and p.period is not None else ""))
        return self._select(state.value(self.name) or current,
                            [(x.name, x.name) for x in periods] + [("год", "Учебный год")])


class ByParam(Param):
    name, label, attr = "by", "Разбивка", "by"
    help = "«period» — по периодам, «month» — по месяцам"

    def resolve(self, actor, rdef, p):
        p.by = p.raw.get(self.name) or "period"
        if p.by not in ("period", "month"):
            refuse("Разбивка: «period» (по периодам) или «month» (по месяцам)")

    def field(self, state):
        return self._select(state.value(self.name) or "period", [("period", "по периодам"), ("month", "по месяцам")])


class DateParam(Param):
    """One end of a date range (`from`, `to`), дд.мм.гггг; `settle_range` gives the ends their defaults
    (the period's or the year's) and checks them."""

    def __init__(self, name, label, attr, what):
        self.name, self.label, self.attr, self.what = name, label, attr, what
        self.help = f"{'начало' if attr == 'start' else 'конец'} диапазона, дд.мм.гггг"

    def resolve(self, actor, rdef, p):
        setattr(p, self.attr, parse_date(p.raw.get(self.name), self.what))

    def field(self, state):
        day = getattr(state.params, self.attr) if state.params is not None else None
        return StringField(self.form_label(), id=f"f-{self.name}",
                           default=state.value(self.name) or (f"{day:%d.%m.%Y}" if day else ""))


def settle_range(rdef, p):
    """The range's ends not given: from the period's (or the year's) start, to today within it (or
    its end) — or, for a report whose `default_range` is "month", from the first of today's month (within
    the year); a range that is reversed or leaves the year is refused. A report of the last days
    (`rdef.recent_days`) ends today and starts that many days before its end, in any year."""
    if rdef.recent_days:
        p.end = p.end or p.today
        p.start = p.start or p.end - timedelta(days=rdef.recent_days - 1)
        if p.start > p.end:
            refuse(f"Начало диапазона {p.start:%d.%m.%Y} позже его конца {p.end:%d.%m.%Y}")
        return
    default_start = p.period_start if PERIOD.name in rdef.params else p.year.start_date
    default_end = p.period_end if PERIOD.name in rdef.params else p.year.end_date
    year, today = p.year, p.today
    if rdef.default_range == "month":
        default_start = min(max(today.replace(day=1), default_start), default_end)
    p.start = p.start or default_start
    p.end = p.end or (min(max(today, default_start), default_end))
    problems = []
    if p.start > p.end:
        problems.append(f"Начало диапазона {p.start:%d.%m.%Y} позже его конца {p.end:%d.%m.%Y}")
    if p.start < year.start_date or p.end > year.end_date:
        problems.append(f"Диапазон {p.range_label} выходит за {year.name} учебный год "
                        f"({year.start_date:%d.%m.%Y}–{year.end_date:%d.%m.%Y})")
    if problems:
        refuse(*problems)


YEAR, CLASS, STUDENT, SUBJECT, TEACHER = YearParam(), ClassParam(), StudentParam(), SubjectParam(), TeacherParam()
PERIOD, BY = PeriodParam(), ByParam()
FROM = DateParam("from", "С", "start", "Начало диапазона")
TO = DateParam("to", "По", "end", "Конец диапазона")

# The parameters a report may take, by name, in the command line's order.
PARAMS = {param.name: param for param in (YEAR, CLASS, PERIOD, STUDENT, SUBJECT, TEACHER, FROM, TO, BY)}
# The order they are resolved in: each may look at those before it (a student among the class's, a
# subject among the class's, the range within the period).
RESOLVED = (CLASS, STUDENT, SUBJECT, TEACHER, PERIOD, BY, FROM, TO)


@contextmanager
def _naming(name):
    """A refusal while resolving the parameter `name` names it in the DomainError's `fields` (the report's
    form marks its input)."""
    try:
        yield
    except PermissionDenied:
        raise
    except DomainError as exc:
        text = exc.errors[0] if exc.errors else exc.message
        raise DomainError(exc.message, exc.errors, {name: text, **exc.fields}) from None


def resolve(actor, rdef, raw, today=None):
    """Text parameters → Params, checked against the actor's reach and the year. Raises DomainError
    with every problem in Russian, or PermissionDenied when the report is not his at all."""
    if not permissions.allowed(actor, rdef.view_key, "list"):
        raise PermissionDenied()
    if actor.org is None:
        refuse("Выберите организацию")
    today = today or dates.today(actor.org)
    raw = {k: (v or "").strip() for k, v in (raw or {}).items() if k in PARAMS and v is not None}
    unknown = [k for k, v in raw.items() if v and k not in rdef.params]
    if unknown:
        refuse(f"Отчёт «{rdef.title}» не принимает параметров: {', '.join(unknown)}")
    with _naming(YEAR.name):
        year = pick_year(actor, raw.get(YEAR.name), today)
    periods = db.session.scalars(select(Period).where(Period.year_id == year.id)
                                 .order_by(Period.start_date, Period.number)).all()
    p = Params(org=actor.org, year=year, today=today, raw=raw, periods=periods)
    for param in RESOLVED:
        if param.name in rdef.params:
            with _naming(param.name):
                param.resolve(actor, rdef, p)
    if FROM.name in rdef.params or TO.name in rdef.params:
        settle_range(rdef, p)
    missing = [PARAMS[name].required_label() for name in rdef.required
               if getattr(p, PARAMS[name].attr, None) is None]
    if missing:
        refuse("Укажите: " + ", ".join(missing))
    return p
