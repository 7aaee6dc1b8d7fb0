"""The reports' common ground: the document a report builds, the registry, and the parameters.

A report is a function `build(actor, p) -> Document`, registered with `@report(...)`. The same
Document is shown on screen (templates/reports/report.html), written as .xlsx and as JSON
(reports/render.py), so the three always carry the same numbers. Parameters come as text (a query
string, the command line) and are resolved here, through the permission table: a class, a student
or a subject the actor may not reach is «не найден», exactly like one that does not exist.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from models import (AcademicYear, ClassMembership, Organization, Period, SchoolClass, Student, Subject,
                    TeachingAssignment, db)
from reports import data
from services import audit, clock, params, permissions
from services.people.accounts import transliterate
from services.errors import DomainError, PermissionDenied
from services.terms import term

# -- the document ----------------------------------------------------------------------------------


@dataclass
class Column:
    title: str
    kind: str = "text"  # text | int | pct (one decimal) | avg (two decimals) | mark | date
    width: float = 10


@dataclass
class Row:
    values: list
    style: str = ""  # "" | total | group | muted (a student who left) | risk


@dataclass
class Table:
    columns: list
    rows: list = field(default_factory=list)
    title: str = ""
    groups: list = field(default_factory=list)  # [(title, span)]: a header row above the columns

    def add(self, values, style=""):
        self.rows.append(Row(list(values), style))
        return self.rows[-1]


@dataclass
class Text:
    text: str
    style: str = ""  # "" | heading | note


@dataclass
class Chart:
    """A line chart; on screen as SVG, in the workbook as an Excel chart over its data table."""

    title: str
    categories: list
    series: list  # [(name, [value or None])]
    y_min: float = 1
    y_max: float = 5


@dataclass
class Signatures:
    lines: list  # [(label, name or "")]


@dataclass
class PageBreak:
    pass


@dataclass
class Sheet:
    name: str
    blocks: list = field(default_factory=list)

    def table(self, columns, title="", groups=None):
        table = Table(columns=list(columns), title=title, groups=list(groups or []))
        self.blocks.append(table)
        return table

    def text(self, text, style=""):
        self.blocks.append(Text(text, style))

    def chart(self, chart):
        self.blocks.append(chart)

    def sign(self, *lines):
        self.blocks.append(Signatures(list(lines)))

    def page_break(self):
        self.blocks.append(PageBreak())


@dataclass
class Document:
    name: str  # the report's registry name
    title: str
    org: Organization
    params: list = field(default_factory=list)  # [(label, text)] printed under the title
    sheets: list = field(default_factory=list)
    filename: str = "otchet"
    landscape: bool = True
    students: set = field(default_factory=set)  # ids of the students it names (`student_name`)

    def sheet(self, name):
        self.sheets.append(Sheet(name))
        return self.sheets[-1]

    def student_name(self, student, short=False):
        """A student's name as the document prints it (`person_name`): the document keeps whom it
        names, since a report naming students is a read of their personal data (`log_read`)."""
        self.students.add(student.id)
        return person_name(student, short)


# -- values ------------------------------------------------------------------------------------------

def display(value, kind="text"):
    """A value as the screen shows it (the workbook writes the number itself, formatted the same)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, Decimal) or (isinstance(value, float) and kind in ("pct", "avg")):
        places = 1 if kind == "pct" else 2
        return f"{Decimal(str(value)):.{places}f}".replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def date_range(start, end):
    """«с 01.09.2026 по 31.10.2026»: a report's dates as its parameters print them."""
    return f"с {start:%d.%m.%Y} по {end:%d.%m.%Y}"


def person_name(person, short=False):
    """«Фамилия Имя Отчество», or «Фамилия И. О.»."""
    if person is None:
        return ""
    if short:
        initials = "".join(f" {part[0]}." for part in (person.first_name, person.middle_name) if part)
        return f"{person.last_name}{initials}"
    return " ".join(p for p in (person.last_name, person.first_name, person.middle_name) if p)


def slug(*parts):
    """ASCII for a file name: the parts transliterated, in lower case, joined by dashes; any other
    character becomes a dash and runs of dashes collapse: («Итоги», «5А», «2 четверть») →
    itogi-5a-2-chetvert. "otchet" when nothing is left."""
    text = "-".join(transliterate(str(part)) for part in parts if part not in (None, ""))
    text = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in text)
    return "-".join(piece for piece in text.split("-") if piece) or "otchet"


def next_month(day):
    """The first day of the month after `day`'s."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


# -- rows and columns every report shares ------------------------------------------------------------

def grade_label(org, grade, total=False):
    """A grade level's row: «5-е классы» / «2 курс»; its subtotal under its classes (`total`):
    «Итого 5-е классы» / «Итого 2 курс»."""
    label = f"{grade} курс" if org.is_college else f"{grade}-е классы"
    return f"Итого {label}" if total else label


def total_label(org):
    """The institution's total row: «Всего по школе» / «Всего по техникуму»."""
    return "Всего по техникуму" if org.is_college else "Всего по школе"


# The figures (reports/figures.py `Figures`) as table columns, in the one order every results table
# shows them: (attribute, title, title over all subjects — a student counted by his worst mark — when
# it differs, kind, width).
FIGURE_FIELDS = (
    ("students", "Учеников", None, "int", 9),
    ("N", "N", None, "int", 6),
    ("n5", "«5»", "Отличники", "int", 6),
    ("n4", "«4»", "Хорошисты", "int", 6),
    ("n3", "«3»", "С «3»", "int", 6),
    ("n2", "«2»", "С «2»", "int", 6),
    ("n_na", "н/а", None, "int", 6),
    ("n_pass", "зач", None, "int", 6),
    ("n_exempt", "осв", None, "int", 6),
    ("n_none", "Без отметки", None, "int", 8),
    ("success", "Успеваемость, %", None, "pct", 12),
    ("quality", "Качество знаний, %", None, "pct", 12),
    ("sou", "СОУ, %", None, "pct", 9),
    ("average", "Средний балл", None, "avg", 10),
)
FIGURE_TITLES = {attr: title for attr, title, *_ in FIGURE_FIELDS}
PERCENTS = ("success", "quality", "sou")


def _figure_fields(students=False, counts=True, passed=False, exempt=False, none=False, average=True,
                   overall=False):
    wanted = set(PERCENTS)
    if counts:
        wanted |= {"N", "n5", "n4", "n3", "n2", "n_na"}
    for flag, attr in ((students, "students"), (passed, "n_pass"), (exempt, "n_exempt"), (none, "n_none"),
                       (average, "average")):
        if flag:
            wanted.add(attr)
    return [f for f in FIGURE_FIELDS if f[0] in wanted]


def figure_columns(**options):
    """The columns of a results table's figures: N, «5» «4» «3» «2», н/а, успеваемость, качество знаний,
    СОУ and the average, with the options (`figure_values` takes the same):
    students — «Учеников» first; counts=False — the percentages (and the average) only; passed — «зач»;
    exempt — «осв»; none — «Без отметки»; average=False — without «Средний балл»; overall — the counts
    of students by their worst mark over all subjects («Отличники», «Хорошисты», «С «3»», «С «2»»)."""
    overall = options.get("overall", False)
    return [Column(alt, kind, 10) if overall and alt else Column(title, kind, width)
            for _, title, alt, kind, width in _figure_fields(**options)]


def figure_values(f, **options):
    """The values of `figure_columns(**options)` for the Figures `f`."""
    return [getattr(f, attr) for attr, *_ in _figure_fields(**options)]


# The footnotes that say what set a figure is over (docs/REPORTS.md): the same words in every report.

def _class_word(org):
    return ("группе", "группы") if org.is_college else ("классе", "класса")


def set_note(org, day="на последний день периода"):
    """Who a class's figures count."""
    where, of = _class_word(org)
    return (f"Учитываются обучающиеся, состоящие в {where} {day}; у каждого — отметки и пропуски за уроки "
            f"{of}, данные за время его обучения в нём (прибывший — с даты прибытия, выбывший — до даты выбытия).")


def figures_note(org):
    """What N, успеваемость, качество and СОУ are over."""
    subjects = "дисциплинам" if org.is_college else "предметам"
    return ("N — без освобождённых («осв») и не имеющих отметки; «н/а» входит в N. Успеваемость — доля «5», «4», "
            "«3» и «зач»; качество и СОУ — без «зачёт/незачёт». По всем " + subjects + " обучающийся учитывается "
            "по худшей отметке: н/а < 1 < 2 < 3 < 4 < 5.")


def average_note(org):
    """What «средний балл» is over."""
    _, of = _class_word(org)
    return (f"Средний балл — Σ(отметка × вес) / Σ вес по отметкам за задания на уроках {of} (его собственных), "
            "тех же обучающихся.")


def attendance_columns(missed="Пропущено уроков"):
    """The columns of AttendanceCounts (reports/figures.py): lessons missed, of them ill, excused and
    without reason; late arrivals (not missed)."""
    return [Column(missed, "int", 10), Column("по болезни", "int", 10), Column("по уважительной причине", "int", 12),
            Column("без уважительной причины", "int", 12), Column("Опозданий", "int", 10)]


def attendance_values(counts):
    """The values of `attendance_columns()` for the AttendanceCounts `counts`."""
    return [counts.missed, counts.ill, counts.excused, counts.unexcused, counts.late]


def movement_note(entry, start, end, full_date=False):
    """«прибыла 05.11», «выбыл 12.10.2026» (the first day he is no longer in the class) for a roster entry
    (services/roster.RosterEntry) whose days in the class begin after `start` or end before `end`."""
    female = getattr(entry.student, "sex", None) == "f"
    fmt = "%d.%m.%Y" if full_date else "%d.%m"
    notes = []
    first, last = entry.first_day, entry.last_day
    if first is not None and first > start:
        notes.append(f"{'прибыла' if female else 'прибыл'} {first.strftime(fmt)}")
    if last is not None and last < end:
        notes.append(f"{'выбыла' if female else 'выбыл'} {(last + timedelta(days=1)).strftime(fmt)}")
    return ", ".join(notes)


# -- the registry ------------------------------------------------------------------------------------

# The parameters a report may take: name -> (label, help for the command line).
PARAMS = {
    "year": ("Учебный год", "учебный год, например 2026/2027 (по умолчанию текущий)"),
    "class": ("Класс", "класс или группа по названию, например 5А"),
    "period": ("Период", "учебный период: название («1 четверть»), номер или «год»"),
    "student": ("Ученик", "ученик: номер карточки или «Фамилия Имя»"),
    "subject": ("Предмет", "предмет по названию"),
    "teacher": ("Учитель", "учитель: номер карточки или «Фамилия Имя» (по умолчанию — вы сами)"),
    "from": ("С", "начало диапазона, дд.мм.гггг"),
    "to": ("По", "конец диапазона, дд.мм.гггг"),
    "by": ("Разбивка", "«period» — по периодам, «month» — по месяцам"),
}


@dataclass
class ReportDef:
    name: str
    title: str
    view_key: str
    params: tuple
    required: tuple
    build: object
    group: str
    description: str = ""
    college_title: str = ""
    page: str = ""  # the endpoint of a page of its own (the movement book's reports), if it has one

    def title_for(self, org):
        return self.college_title if org is not None and org.is_college and self.college_title else self.title


REGISTRY = {}

# The groups of the reports page, in order.
GROUPS = ("Классному руководителю", "Учителю", "Ученику и родителям", "Администрации")


def report(name, title, view_key, params=(), required=(), group="", description="", college_title="", page=""):
    """Register a report builder: `build(actor, p)` returns a Document."""
    def register(build):
        assert name not in REGISTRY, name
        REGISTRY[name] = ReportDef(name, title, view_key, tuple(params), tuple(required), build, group,
                                   description, college_title, page)
        return build
    return register


def available(actor):
    """The reports the actor may open, in the page's order."""
    load_all()
    defs = [r for r in REGISTRY.values() if permissions.allowed(actor, r.view_key, "list")]
    return sorted(defs, key=lambda r: (GROUPS.index(r.group) if r.group in GROUPS else len(GROUPS), r.title))


def load_all():
    """Import every module that registers reports (once)."""
    from reports import catalogue  # noqa: F401


# -- parameters ----------------------------------------------------------------------------------------

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


def class_choices(actor, rdef, year):
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


def student_choices(actor, rdef, year, klass=None):
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


def subject_choices(actor, rdef, year, klass=None):
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


def default_class(actor, rdef, year):
    """The class a report opens on: the class teacher's own class, or the only one the actor reaches."""
    choices = class_choices(actor, rdef, year)
    own = [c for c in choices if c.id in actor.own_class_ids]
    if own:
        return own[0]
    return choices[0] if len(choices) == 1 else None


def picks_class(actor):
    """Staff pick a class, then a student of it; a student or a parent picks among his own (a parent's
    children, whatever their classes), so the class is not theirs to choose."""
    return actor.student_id is None and not actor.parent_id


def form_class(actor, rdef, year, raw):
    """The class a report's form lists students of, even when the report is not built yet (no student
    chosen): the class asked for if the actor reaches it, else the one the report opens on
    (`default_class`: a class teacher's own)."""
    text = (raw.get("class") or "").strip()
    if not text:
        return default_class(actor, rdef, year)
    try:
        return _find_class(actor, rdef, year, text)
    except DomainError:
        return None


def _find_class(actor, rdef, year, text):
    text = text.strip()
    for klass in class_choices(actor, rdef, year):
        if klass.name.lower().replace(" ", "") == text.lower().replace(" ", "") or str(klass.id) == text:
            return klass
    refuse(f"{term('class')} «{text}» не найден в {year.name} учебном году или недоступен вам")


def _find_student(actor, rdef, year, klass, text):
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


def _find_subject(actor, rdef, year, klass, text):
    text = " ".join(text.split()).lower()
    for subject in subject_choices(actor, rdef, year, klass):
        if subject.name.lower() == text or (subject.short_name or "").lower() == text or str(subject.id) == text:
            return subject
    refuse(f"{term('subject')} «{text}» не найден или недоступен вам")


def teacher_choices(actor, year):
    """The teachers with a teaching assignment in the year (for the administration's pick)."""
    from models import Staff
    return db.session.scalars(select(Staff).where(Staff.id.in_(
        select(TeachingAssignment.teacher_id).where(TeachingAssignment.year_id == year.id,
                                                    TeachingAssignment.org_id == actor.org_id)))
        .order_by(Staff.last_name, Staff.first_name, Staff.id)).all()


def _find_teacher(actor, text):
    from models import Staff
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


def _find_period(periods, year, text):
    text = " ".join(text.split()).lower()
    if text in ("год", "учебный год", "year", "0"):
        return None
    for period in periods:
        if period.name.lower() == text or str(period.number) == text or str(period.id) == f"id{text}":
            return period
    names = ", ".join(p.name for p in periods) or "нет периодов"
    refuse(f"Период «{text}» не найден в {year.name} учебном году; есть: {names}, «год»")


def resolve(actor, rdef, raw, today=None):
    """Text parameters → Params, checked against the actor's reach and the year. Raises DomainError
    with every problem in Russian, or PermissionDenied when the report is not his at all."""
    if not permissions.allowed(actor, rdef.view_key, "list"):
        raise PermissionDenied()
    if actor.org is None:
        refuse("Выберите организацию")
    today = today or clock.today()
    raw = {k: (v or "").strip() for k, v in (raw or {}).items() if k in PARAMS and v is not None}
    unknown = [k for k, v in raw.items() if v and k not in rdef.params]
    if unknown:
        refuse(f"Отчёт «{rdef.title}» не принимает параметров: {', '.join(unknown)}")
    year = pick_year(actor, raw.get("year"), today)
    periods = db.session.scalars(select(Period).where(Period.year_id == year.id)
                                 .order_by(Period.start_date, Period.number)).all()
    p = Params(org=actor.org, year=year, today=today, raw=raw, periods=periods)
    if "class" in rdef.params and raw.get("class"):
        p.klass = _find_class(actor, rdef, year, raw["class"])
    elif "class" in rdef.params and "class" in rdef.required and "student" not in rdef.params:
        p.klass = default_class(actor, rdef, year)
    if "student" in rdef.params:
        if raw.get("student"):
            p.student = _find_student(actor, rdef, year, p.klass, raw["student"])
        else:
            own = student_choices(actor, rdef, year)
            if actor.student_id is not None or actor.parent_id:
                p.student = own[0] if own else None
        if p.student is not None and p.klass is None:
            p.klass = _student_class(p.student, year)
    if "subject" in rdef.params and raw.get("subject"):
        p.subject = _find_subject(actor, rdef, year, p.klass, raw["subject"])
    if "teacher" in rdef.params:
        if raw.get("teacher") and permissions.allowed(actor, "report_school", "list"):
            p.teacher = _find_teacher(actor, raw["teacher"])
        elif raw.get("teacher") and raw["teacher"] != str(actor.staff_id or ""):
            refuse("Отчёт другого учителя доступен только администрации")
        elif actor.staff_id and permissions.allowed(actor, "report_teacher", "own_report"):
            from models import Staff
            p.teacher = db.session.get(Staff, actor.staff_id)
    if "period" in rdef.params:
        if raw.get("period"):
            p.period = _find_period(periods, year, raw["period"])
            p.whole_year = p.period is None
        else:
            current = [x for x in periods if x.start_date <= today <= x.end_date]
            past = [x for x in periods if x.end_date < today]
            p.period = current[0] if current else (past[-1] if past else (periods[0] if periods else None))
            p.whole_year = p.period is None
    if "by" in rdef.params:
        p.by = raw.get("by") or "period"
        if p.by not in ("period", "month"):
            refuse("Разбивка: «period» (по периодам) или «month» (по месяцам)")
    if "from" in rdef.params or "to" in rdef.params:
        start = parse_date(raw.get("from"), "Начало диапазона")
        end = parse_date(raw.get("to"), "Конец диапазона")
        default_start = p.period_start if "period" in rdef.params else year.start_date
        default_end = p.period_end if "period" in rdef.params else year.end_date
        p.start = start or default_start
        p.end = end or (min(max(today, default_start), default_end))
        problems = []
        if p.start > p.end:
            problems.append(f"Начало диапазона {p.start:%d.%m.%Y} позже его конца {p.end:%d.%m.%Y}")
        if p.start < year.start_date or p.end > year.end_date:
            problems.append(f"Диапазон {p.range_label} выходит за {year.name} учебный год "
                            f"({year.start_date:%d.%m.%Y}–{year.end_date:%d.%m.%Y})")
        if problems:
            refuse(*problems)
    missing = [PARAMS[name][0] for name in rdef.required
               if getattr(p, {"class": "klass"}.get(name, name), None) is None]
    if missing:
        refuse("Укажите: " + ", ".join(term("class") if m == "Класс" else m for m in missing))
    return p


def _student_class(student, year):
    """The student's class in the year: his latest membership in it."""
    return db.session.scalars(
        select(SchoolClass).join(ClassMembership, ClassMembership.class_id == SchoolClass.id)
        .where(ClassMembership.student_id == student.id, SchoolClass.year_id == year.id)
        .order_by(ClassMembership.start_date.desc()).limit(1)).first()


def build(actor, name, raw, today=None):
    """Resolve the parameters and build the report `name`; DomainError / PermissionDenied otherwise."""
    load_all()
    rdef = REGISTRY.get(name)
    if rdef is None:
        refuse(f"Отчёт «{name}» не найден; список: flask report list")
    params = resolve(actor, rdef, raw, today)
    return rdef.build(actor, params)


def log_read(actor, doc, output):
    """A report that names students, shown or written once (`output`: экран, xlsx, json, командная
    строка), is a read of their personal data (152-ФЗ art. 19): the access log keeps the report, its
    parameters and how many students it names. A student's or his parent's own report is not logged."""
    if doc.students and not audit.own_data(actor, doc.students):
        params = "; ".join(f"{label}: {text}" for label, text in doc.params)
        audit.log_read(actor, "report", "report", rows=len(doc.students),
                       detail=f"«{doc.title}» ({doc.name}, {output})" + (f"; {params}" if params else ""))


def report_document(name, p, params=(), filename="otchet"):
    """The Document of the registered report `name`, titled for the organization's kind (its
    college title in a college)."""
    return Document(name=name, title=REGISTRY[name].title_for(p.org), org=p.org, params=list(params),
                    filename=filename)


def class_teacher_line(org, klass):
    teacher = klass.class_teacher if klass is not None else None
    return (term("class_teacher", org), person_name(teacher, short=True))


def director_line(org):
    return ("Директор", org.director_name or "")


__all__ = ["Column", "Row", "Table", "Text", "Chart", "Signatures", "PageBreak", "Sheet", "Document",
           "display", "person_name", "slug", "next_month", "grade_label", "total_label", "FIGURE_FIELDS",
           "FIGURE_TITLES", "PERCENTS", "figure_columns", "figure_values", "attendance_columns",
           "attendance_values", "set_note", "figures_note", "average_note", "report", "pick_year", "REGISTRY",
           "GROUPS", "available", "resolve", "build",
           "Params", "refuse", "class_choices", "student_choices", "subject_choices", "report_document", "log_read",
           "class_teacher_line", "director_line"]
