"""A report's Document and what every report shares to fill it.

A report builds a Document (sheets of tables, texts, charts, signatures); the same Document is shown on
screen (templates/reports/report.html), written as .xlsx and as JSON (reports/render.py), so the three
always carry the same numbers. Here too: how a value is displayed, names, file names, the rows, columns
and footnotes every results table shares, and the read of personal data a Document is (`log_read`).
"""
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from models import Organization
from services import audit, dates
from services.control import report_builds
from services.people.accounts import transliterate
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
    links: dict = field(default_factory=dict)  # {column index: a cell's address}: the screen links it (`drill`)


@dataclass
class Table:
    columns: list
    rows: list = field(default_factory=list)
    title: str = ""
    groups: list = field(default_factory=list)  # [(title, span)]: a header row above the columns

    def add(self, values, style="", links=None):
        self.rows.append(Row(list(values), style, dict(links or {})))
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
    repeat_header: bool = True  # the first table's header rows on every printed page (not in a page per student)

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
    landscape: bool = True  # False: printed portrait (a letter)
    students: set = field(default_factory=set)  # ids of the students it names (`student_name`)
    built_for: dict = field(default_factory=dict)  # class_id, period_id, teacher_id it was built for (registry)
    staff: set = field(default_factory=set)  # ids of the staff it names with their data (`staff_name`)

    def sheet(self, name, repeat_header=True):
        self.sheets.append(Sheet(name, repeat_header=repeat_header))
        return self.sheets[-1]

    def student_name(self, student, short=False):
        """A student's name as the document prints it (`person_name`): the document keeps whom it
        names, since a report naming students is a read of their personal data (`log_read`)."""
        self.students.add(student.id)
        return person_name(student, short)

    def staff_name(self, staff):
        """A staff member's name in a list of staff with their data (ОО-1's cell): a read like a student's."""
        self.staff.add(staff.id)
        return person_name(staff)


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
    if isinstance(value, date):  # a datetime too: the organization's local time (services/dates.py)
        return dates.format_datetime(value)
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


# The figures (services/journal/figures.py `Figures`) as table columns, in the one order every results table
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
    """The columns of AttendanceCounts (services/journal/figures.py): lessons missed, of them ill, excused and
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


def class_teacher_line(org, klass):
    teacher = klass.class_teacher if klass is not None else None
    return (term("class_teacher", org), person_name(teacher, short=True))


def director_line(org):
    return ("Директор", org.director_name or "")


def log_read(actor, doc, output):
    """A report that names students, shown or written once (`output`: экран, xlsx, json, командная
    строка), is a read of their personal data (152-ФЗ art. 19): the access log keeps the report, its
    parameters and how many students it names. A student's or his parent's own report is not logged.
    Every output is also a report built (services/control/report_builds.py: the control page's deadlines)."""
    report_builds.record(actor, doc.name, **doc.built_for)
    if (doc.students and not audit.own_data(actor, doc.students)) or doc.staff:
        params = "; ".join(f"{label}: {text}" for label, text in doc.params)
        audit.log_read(actor, "report", "report", rows=len(doc.students) + len(doc.staff),
                       detail=f"«{doc.title}» ({doc.name}, {output})" + (f"; {params}" if params else ""))
