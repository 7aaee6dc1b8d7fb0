"""The large data set for performance work (issue 7): `flask --app app demo-data --size large`.

What it makes, per school (organization), deterministically from `--seed`:

* `large`: 70 classes (grades 1–9: seven classes each, «А»…«Ж»; the 10th: three; the 11th: four),
  28–30 students each (≈ 2,030 studying), the federal curriculum of each grade (14 subjects a
  class in grades 5–11, 9–11 in the primary grades), 120 teachers (staff with the teacher role and
  an account; 28 of them are the primary class teachers, who teach most subjects of their class)
  plus a director, two deputies, an HR officer and an administrator; class teachers for every class;
  students with one or two parents (a few families have two children at school); the English
  language split into two subgroups in grades 5–11; the bells and a weekly timetable without
  clashes (a class's day has no gaps: see `_Timetable`); the КТП of every teacher, subject and grade;
  a FULL academic year of lessons generated from the timetable by the journal's own generator
  (`services.timetable.lessons`), with replacements and cancelled lessons (timetable changes), topics from the
  КТП, homework due on the next lesson, attendance taken; tasks of several types and weights with
  about one million marks (each student has his own level, so his marks, averages and period marks
  agree); about 5 % of the student-lessons have an attendance mark (illness spells of a few days,
  excused days, single absences and lateness, with reasons and documents); transfers between
  parallel classes and withdrawals during the year (applied orders of the movement book, the class
  history follows them); period marks of the finished quarters (the mark the journal's weighted
  average suggests, or «н/а» without marks) and year marks.
* `tiny`: the same generator at a toy scale for CI and tests: classes 1А, 5А and 5Б with 8 students
  each and the first four subjects of their grade's plan (1А: no marks; 5А/5Б: English split),
  5 teachers, lessons in the first school week of each quarter only (4 weeks of lessons), one
  transfer and one withdrawal a year.

«Today» of the set (`today`): by default the last day of the 4th quarter of the academic year that
contains the real date (so every lesson of the year has been given). The quarters that ended
before it have their period marks and are closed; the quarter that contains it stays open and
without period marks, so that the benchmark's teachers can still save marks (a period mark closes
a quarter's marks to the teacher); year marks are set when every quarter has ended (pass a later
`today`, e.g. 30.06) and always in the past years.

`years`: N past academic years before it, the same shape: the students move up a grade every year
(«Перевод на следующий год»; the 9th grades that have no 10th to go to and the 11th grades
graduate; the new 1st grades and the 11Г are enrolled), each year with its classes, curricula,
assignments, timetable, lessons, marks, period and year marks; past years are closed.
`schools`: N such schools (organizations) in one database.

Speed: rows are inserted in bulk, never one by one through the ORM: on PostgreSQL by COPY (the big
tables' foreign keys dropped for the load and added back, which checks every row, at the end of the
same transaction; then ANALYZE), elsewhere by the INSERT SQLAlchemy Core compiles for the table, run
by the driver's executemany in chunks (`_Writer`). Primary keys are given by the loader (after the
largest id already there; PostgreSQL's sequences are moved past them at the end), so lessons, tasks
and marks are written in one pass. The whole set is one transaction. The ORM's flush-time rules
(services/rules.py) and the audit (services/audit.py) are bypassed by such inserts, which is
intended for a bulk loader; the generator itself keeps every rule of the data: nothing points at
another organization, marks and attendance only on given (not cancelled) lessons, for students of
the lesson's class (and subgroup) on the lesson's date, period marks only from the journal's values.

Every account has the same password (`password`, else BENCH_PASSWORD), hashed ONCE. Accounts: all
staff; per class of the current year the first students (by surname) and their mothers.
`sample_logins("teacher" | "parent", n)` gives the benchmark its logins.
"""
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as hhmm
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import func, insert, select, text
from sqlalchemy.schema import AddConstraint, DropConstraint

from models import (AcademicYear, Attendance, AttendanceCode, Bell, ClassMembership, Curriculum, CurriculumLine,
                    EducationalArea, Grading, Holiday, Lesson, Mark, MovementItem, MovementOrder, Organization,
                    Parent, Period, PeriodMark, Position, Room, SchoolClass, Staff, StaffRole, Student, Subgroup,
                    SubgroupMember, Subject, Task, TaskType, TeachingAssignment, ThematicPlan, ThematicPlanTopic,
                    TimetableChange, TimetableEntry, User, db, student_parent)
from services import clock
from services.journal.figures import suggested_mark, weighted_average
from services.people import accounts
from services.org import orgs
from services.database import long_statements
from services.demo.school import SURNAMES, STREETS, DemoRefused, Names, patronymic, school_calendar
from services.timetable.lessons import GenerationResult, _desired_lessons
from services.timetable.schedule import Catalog

BENCH_PASSWORD = "bench-pass-2026"
SIZES = ("tiny", "large")


@dataclass(frozen=True)
class Scale:
    name: str
    layout: tuple  # ((grade, classes of that grade), …)
    students: tuple  # (fewest, most) per class
    subjects: int | None  # the first n subjects of each grade's plan; None: the whole plan
    teachers: int  # staff with the teacher role (the primary class teachers among them)
    weeks: int | None  # school weeks of lessons from the start of each quarter; None: the whole quarter
    parent_accounts: int  # per class: mothers of the first n students get an account
    student_accounts: int  # per class
    movers: int  # transfers and withdrawals during a year (each)
    changes: int  # timetable changes (a replacement and a cancellation each) per week of lessons
    siblings: float  # share of new students who are the younger sibling of a student made before


LARGE = Scale("large", layout=tuple((g, 7) for g in range(1, 10)) + ((10, 3), (11, 4)), students=(28, 30),
              subjects=None, teachers=120, weeks=None, parent_accounts=3, student_accounts=2, movers=10,
              changes=3, siblings=0.06)
TINY = Scale("tiny", layout=((1, 1), (5, 2)), students=(8, 8), subjects=4, teachers=5, weeks=1,
             parent_accounts=1, student_accounts=1, movers=1, changes=1, siblings=0.0)
SCALES = {"large": LARGE, "tiny": TINY}

LETTERS = "АБВГДЕЖИКЛМН"
DAYS, BELLS = 5, 7
SCHOOL_BELLS = [(8, 30, 9, 15), (9, 25, 10, 10), (10, 30, 11, 15), (11, 35, 12, 20), (12, 30, 13, 15),
                (13, 25, 14, 10), (14, 20, 15, 5)]
CHUNK = 20_000
BULK_TABLES = ("lesson", "task", "mark", "attendance", "period_mark")  # PostgreSQL: keys checked at the end

# -- the curriculum ---------------------------------------------------------------------------------

AREAS = ["Русский язык и литературное чтение", "Русский язык и литература", "Родной язык и родная литература",
         "Иностранные языки", "Математика и информатика", "Обществознание и естествознание",
         "Общественно-научные предметы", "Естественно-научные предметы", "ОРКСЭ и ОДНКНР", "Искусство",
         "Технология", "Физическая культура и ОБЗР"]
# name: (short name, area, grading)
SUBJECTS = {
    "Русский язык": ("Рус. яз.", 1, "marks"), "Литературное чтение": ("Лит. чт.", 0, "marks"),
    "Литература": ("Лит.", 1, "marks"), "Родной язык (русский)": ("Родн. яз.", 2, "marks"),
    "Английский язык": ("Англ. яз.", 3, "marks"), "Математика": ("Матем.", 4, "marks"),
    "Информатика": ("Информ.", 4, "marks"), "Окружающий мир": ("Окр. мир", 5, "marks"),
    "История": ("Ист.", 6, "marks"), "Обществознание": ("Общ.", 6, "marks"), "География": ("Геогр.", 6, "marks"),
    "Физика": ("Физ.", 7, "marks"), "Химия": ("Хим.", 7, "marks"), "Биология": ("Биол.", 7, "marks"),
    "Основы религиозных культур и светской этики": ("ОРКСЭ", 8, "none"),
    "Основы духовно-нравственной культуры народов России": ("ОДНКНР", 8, "pass_fail"),
    "Музыка": ("Муз.", 9, "marks"), "Изобразительное искусство": ("ИЗО", 9, "marks"),
    "Труд (технология)": ("Труд", 10, "marks"), "Физическая культура": ("Физ-ра", 11, "marks"),
    "Основы безопасности и защиты Родины": ("ОБЗР", 11, "marks"), "Индивидуальный проект": ("Инд. пр.", 4, "marks"),
}
RUS, LIT_R, LIT, NATIVE, ENG, MATH, INF = ("Русский язык", "Литературное чтение", "Литература",
                                           "Родной язык (русский)", "Английский язык", "Математика", "Информатика")
WORLD, HIST, SOC, GEO, PHYS, CHEM, BIO = ("Окружающий мир", "История", "Обществознание", "География", "Физика",
                                          "Химия", "Биология")
ORKSE, ODNKNR, MUS, ART, TECH, PE, OBZR, PROJ = (
    "Основы религиозных культур и светской этики", "Основы духовно-нравственной культуры народов России",
    "Музыка", "Изобразительное искусство", "Труд (технология)", "Физическая культура",
    "Основы безопасности и защиты Родины", "Индивидуальный проект")
_PRIMARY = [(RUS, 5), (LIT_R, 4), (ENG, 2), (MATH, 4), (WORLD, 2), (NATIVE, 1), (MUS, 1), (ART, 1), (TECH, 1),
            (PE, 2)]
_SENIOR = [(RUS, 3), (LIT, 3), (ENG, 3), (MATH, 6), (INF, 2), (HIST, 2), (SOC, 2), (GEO, 1), (PHYS, 3), (CHEM, 2),
           (BIO, 2), (PE, 2), (OBZR, 1), (PROJ, 2)]
# grade -> [(subject, lessons a week)] (ФГОС-2022, five-day week: 21, 23, 23, 23, 29, 30, 32, 33, 33, 34, 34)
PLAN = {
    1: [(RUS, 5), (LIT_R, 4), (MATH, 4), (WORLD, 2), (NATIVE, 1), (MUS, 1), (ART, 1), (TECH, 1), (PE, 2)],
    2: _PRIMARY, 3: _PRIMARY,
    4: [(RUS, 5), (LIT_R, 3), (ENG, 2), (MATH, 4), (WORLD, 2), (ORKSE, 1), (NATIVE, 1), (MUS, 1), (ART, 1),
        (TECH, 1), (PE, 2)],
    5: [(RUS, 5), (LIT, 3), (ENG, 3), (MATH, 5), (HIST, 2), (GEO, 1), (BIO, 1), (MUS, 1), (ART, 1), (TECH, 2),
        (PE, 2), (ODNKNR, 1), (INF, 1), (NATIVE, 1)],
    6: [(RUS, 6), (LIT, 3), (ENG, 3), (MATH, 5), (HIST, 2), (SOC, 1), (GEO, 1), (BIO, 1), (MUS, 1), (ART, 1),
        (TECH, 2), (PE, 2), (INF, 1), (NATIVE, 1)],
    7: [(RUS, 5), (LIT, 2), (ENG, 3), (MATH, 6), (INF, 1), (HIST, 2), (SOC, 1), (GEO, 2), (PHYS, 2), (BIO, 1),
        (MUS, 1), (ART, 1), (TECH, 2), (PE, 3)],
    8: [(RUS, 4), (LIT, 3), (ENG, 3), (MATH, 6), (INF, 1), (HIST, 2), (SOC, 1), (GEO, 2), (PHYS, 2), (CHEM, 2),
        (BIO, 2), (TECH, 1), (PE, 3), (OBZR, 1)],
    9: [(RUS, 3), (LIT, 3), (ENG, 3), (MATH, 6), (INF, 1), (HIST, 3), (SOC, 1), (GEO, 2), (PHYS, 3), (CHEM, 2),
        (BIO, 2), (PE, 2), (OBZR, 1), (TECH, 1)],
    10: _SENIOR, 11: _SENIOR,
}
SCHOOL_PART = {PROJ, NATIVE}  # the part formed by the participants of the educational relations
# In grades 1–4 the class teacher teaches these subjects of his class.
CLASS_TEACHER_SUBJECTS = {RUS, LIT_R, MATH, WORLD, ORKSE, NATIVE, ART, TECH}
SPLIT = {ENG}  # split into two subgroups from the 5th grade
SPLIT_FROM = 5
# The teachers' specialities: which subjects one teacher teaches in a class (a bundle).
SPECIALITIES = [
    ("russian", [RUS, LIT, NATIVE]), ("math", [MATH]), ("informatics", [INF, PROJ]), ("english", [ENG]),
    ("history", [HIST, SOC, ODNKNR]), ("geography", [GEO]), ("biology", [BIO, CHEM]), ("physics", [PHYS]),
    ("music", [MUS]), ("art", [ART, TECH]), ("sport", [PE, OBZR]),
]
SPECIALITY_OF = {s: name for name, subjects in SPECIALITIES for s in subjects}

SECTIONS = {
    RUS: ["Фонетика и орфоэпия", "Морфемика и словообразование", "Лексикология", "Морфология", "Синтаксис",
          "Пунктуация", "Орфография", "Развитие речи"],
    LIT: ["Фольклор", "Древнерусская литература", "Литература XVIII века", "Литература XIX века",
          "Литература XX века", "Зарубежная литература"],
    LIT_R: ["Сказки", "Стихи о природе", "Рассказы о детях", "Басни", "Произведения о Родине"],
    MATH: ["Натуральные числа", "Дроби", "Уравнения", "Функции и графики", "Геометрические фигуры", "Проценты",
           "Степени и корни", "Текстовые задачи", "Элементы статистики"],
    ENG: ["Школьные дни", "Семья и друзья", "Мой дом", "Путешествия", "Спорт и здоровье", "Природа и экология",
          "Наука и техника", "Праздники"],
    HIST: ["Древний мир", "Средние века", "Россия в Средние века", "Новое время", "Россия в XVIII веке",
           "Россия в XIX веке", "Новейшая история"],
    PHYS: ["Механическое движение", "Силы", "Давление", "Работа и энергия", "Тепловые явления",
           "Электрические явления", "Оптика"],
    BIO: ["Клетка", "Растения", "Животные", "Человек", "Экосистемы"],
    CHEM: ["Первоначальные понятия", "Строение атома", "Химическая связь", "Классы соединений", "Реакции"],
    GEO: ["Земля во Вселенной", "Литосфера", "Гидросфера", "Атмосфера", "Материки и океаны", "География России"],
    WORLD: ["Природа вокруг нас", "Человек и общество", "Родная страна", "Правила безопасности"],
    INF: ["Информация", "Компьютер", "Алгоритмы", "Программирование", "Моделирование"],
    PE: ["Лёгкая атлетика", "Гимнастика", "Спортивные игры", "Лыжная подготовка", "Плавание"],
}
LESSON_KINDS = ["введение", "изучение нового материала", "закрепление", "решение задач", "практикум",
                "повторение и обобщение"]
CLASSWORK = {
    RUS: ["Самостоятельная работа", "Диктант", "Проверочная работа"],
    LIT: ["Сочинение", "Тест", "Самостоятельная работа"],
    PHYS: ["Лабораторная работа", "Тест", "Самостоятельная работа"],
    CHEM: ["Лабораторная работа", "Тест", "Самостоятельная работа"],
    BIO: ["Лабораторная работа", "Тест", "Самостоятельная работа"],
    PE: ["Практическая работа"], TECH: ["Практическая работа", "Проект"], ART: ["Практическая работа"],
    INF: ["Практическая работа", "Тест"], PROJ: ["Проект"],
}
CLASSWORK_DEFAULT = ["Самостоятельная работа", "Тест", "Проверочная работа", "Практическая работа"]
# Attendance: a student's absence rate (lognormal around MEDIAN), spread over illness spells and
# excused days; single lessons missed or arrived late to, at random.
ABSENCE_MEDIAN, ABSENCE_SPREAD = 0.03, 0.6
SINGLE_ABSENT, SINGLE_LATE = 0.006, 0.005
LEAVE_REASONS = [("relocation", "МАОУ «СОШ № 3», г. Екатеринбург"),
                 ("other_school", "МБОУ «Гимназия № 2», г. Заречный"), ("family", "семейное обучение")]


# -- the run ----------------------------------------------------------------------------------------

@dataclass
class Summary:
    size: str
    schools: int = 0
    years: int = 0
    classes: int = 0
    students: int = 0  # studying in the current year
    students_total: int = 0
    teachers: int = 0
    lessons: int = 0
    tasks: int = 0
    marks: int = 0
    attendance: int = 0
    period_marks: int = 0
    seconds: float = 0.0
    today: date | None = None
    password: str = ""
    logins: list = field(default_factory=list)  # (role, login, full name)
    rows: Counter = field(default_factory=Counter)  # table -> rows inserted


def default_today(real_today=None):
    """The last day of the 4th quarter of the academic year that contains the real date."""
    real_today = real_today or clock.today()
    start = real_today.year if real_today.month >= 8 else real_today.year - 1
    return school_calendar(start)[1][-1][3]


@long_statements()  # the bulk load, the foreign keys checked over a million rows: also when the bench runs it
def create_large_demo(size="large", years=0, schools=1, seed=2026, password=None, today=None, echo=None):
    """Make the data set of `size` ("large" or "tiny") in an empty database; returns a Summary."""
    if size not in SCALES:
        raise DemoRefused(f"Неизвестный размер «{size}»: small, large или tiny.")
    if not 0 <= int(years) <= 20:
        raise DemoRefused("--years: число прошлых учебных лет от 0 до 20.")
    if not 1 <= int(schools) <= 50:
        raise DemoRefused("--schools: число школ от 1 до 50.")
    if db.session.scalar(select(Organization.id).limit(1)) is not None:
        raise DemoRefused("База данных не пуста: демонстрационные данные создаются только в пустой базе. "
                          "Удалите файл базы (instance/journal.db) или укажите другую базу в DATABASE_URL.")
    if password is not None:
        accounts.check_password_strength(password)
    started = time.monotonic()
    scale = SCALES[size]
    today = today or default_today()
    summary = Summary(size=size, schools=schools, years=years + 1, today=today,
                      password=password or BENCH_PASSWORD)
    log = _Log(echo, started)
    writer = _Writer(summary.rows)
    writer.drop_foreign_keys()
    password_hash = accounts.hash_password(summary.password)  # once: Argon2 for every account would take minutes
    taken_logins = set(db.session.scalars(select(User.login)))
    for number in range(1, schools + 1):
        school = _School(number, scale, seed, today, years, password_hash, taken_logins, writer, log, summary)
        school.build()
    if writer.postgres:
        log("Внешние ключи (проверка всех строк), последовательности")
    writer.finish()
    db.session.commit()
    if writer.postgres:
        log("ANALYZE")
    writer.analyze()
    summary.seconds = round(time.monotonic() - started, 1)
    log(f"Готово: {summary.seconds} с")
    return summary


def parse_today(value):
    """«Сегодня» набора from the command line: ДД.ММ.ГГГГ or ГГГГ-ММ-ДД; None for the default."""
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise DemoRefused(f"--today: «{value}» — не дата; укажите её в виде ДД.ММ.ГГГГ, например 26.05.2027.")


def format_summary(summary):
    lines = [
        f"Набор данных «{summary.size}»: школ {summary.schools}, учебных лет {summary.years} "
        f"(«сегодня» набора — {summary.today:%d.%m.%Y})",
        f"Классов: {summary.classes}; обучающихся: {summary.students} (всего карточек {summary.students_total}); "
        f"учителей: {summary.teachers}",
        f"Уроков: {summary.lessons}; заданий: {summary.tasks}; отметок: {summary.marks}; "
        f"отметок посещаемости: {summary.attendance}; отметок за периоды: {summary.period_marks}",
        f"Время: {summary.seconds} с",
        "",
        f"Учётные записи для проверки (пароль у всех: {summary.password}):",
    ]
    width = max((len(role) for role, _, _ in summary.logins), default=10)
    for role, login, name in summary.logins:
        lines.append(f"{role.ljust(width)}  {login.ljust(20)}  {name}")
    return "\n".join(lines)


def sample_logins(role, limit=50, org_id=None):
    """Logins of the set for the benchmark: role "teacher" (staff with the teacher role) or "parent"
    (parents with an account), by id; all have the set's password."""
    if role == "teacher":
        query = select(User.login).join(Staff, Staff.user_id == User.id) \
            .join(StaffRole, StaffRole.staff_id == Staff.id).where(StaffRole.role == "teacher").order_by(Staff.id)
        if org_id is not None:
            query = query.where(Staff.org_id == org_id)
    elif role == "parent":
        query = select(User.login).join(Parent, Parent.user_id == User.id).order_by(Parent.id)
        if org_id is not None:
            query = query.where(Parent.org_id == org_id)
    else:
        raise ValueError(role)
    return list(db.session.scalars(query.limit(limit)))


class _Log:
    def __init__(self, echo, started):
        self.echo, self.started = echo, started

    def __call__(self, message):
        if self.echo is not None:
            self.echo(f"[{time.monotonic() - self.started:7.1f} с] {message}")


# -- bulk writing -----------------------------------------------------------------------------------

class _Writer:
    """Buffered bulk inserts, with ids given here (after the largest one already in the table).

    PostgreSQL: COPY. Elsewhere (SQLite): the INSERT compiled by SQLAlchemy Core, run by the driver's
    executemany, the values passed through the columns' own bind processors first — what
    `session.execute(insert(table), rows)` does, but once per distinct value (a lesson's marks share
    their timestamps), which halves the time. A row without "id" gets one at the flush.
    """

    def __init__(self, counts):
        self.counts = counts
        self.buffers = defaultdict(list)
        self.next_ids = {}
        self.dialect = db.session.get_bind().dialect
        self.postgres = self.dialect.name == "postgresql"

    def ids(self, model, n=1):
        """The first of `n` fresh ids of the table."""
        table = _table(model)
        if table.name not in self.next_ids:
            self.next_ids[table.name] = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
        first = self.next_ids[table.name]
        self.next_ids[table.name] += n
        return first

    def buffer(self, model):
        """The list a table's rows are appended to (the same list after every flush)."""
        return self.buffers[_table(model).name]

    def add(self, model, row):
        self.buffers[_table(model).name].append(row)

    def add_many(self, model, rows):
        self.buffers[_table(model).name].extend(rows)

    def pending(self, model):
        return len(self.buffers[_table(model).name])

    def flush(self, *models):
        """Write the buffered rows of the tables, in the order given (parents first)."""
        for model in models:
            table = _table(model)
            rows = self.buffers[table.name]
            if not rows:
                continue
            self.counts[table.name] += len(rows)
            keys = [k for k in rows[0] if k in table.c]
            numbered = "id" in table.c and table.c.id.primary_key and "id" not in keys
            first = self.ids(table, len(rows)) if numbered else None
            extra = {c.name: (c.default.arg(None) if callable(c.default.arg) else c.default.arg)
                     for c in table.columns if c.name not in keys and c.default is not None and not c.primary_key}
            names = (["id"] if numbered else []) + keys + list(extra)

            def values(rows=rows, tail=tuple(extra.values())):
                if numbered:
                    return (((first + i,) + tuple(row[k] for k in keys) + tail) for i, row in enumerate(rows))
                return (tuple(row[k] for k in keys) + tail for row in rows)

            if self.postgres:
                self._copy(table, names, values())
            else:
                self._insert(table, names, values())
            rows.clear()

    def _copy(self, table, names, values):
        raw = db.session.connection().connection.dbapi_connection
        columns = ", ".join(f'"{c}"' for c in names)
        with raw.cursor() as cursor:
            with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                for row in values:
                    copy.write_row(row)

    def _insert(self, table, names, values):
        compiled = insert(table).compile(dialect=self.dialect, column_keys=names)
        order = [names.index(name) for name in compiled.positiontup]
        processors = [self._processor(table.c[name]) for name in names]
        cursor = db.session.connection().connection.dbapi_connection.cursor()
        batch = []
        for row in values:
            batch.append(tuple(row[i] if processors[i] is None else processors[i](row[i]) for i in order))
            if len(batch) >= CHUNK:
                cursor.executemany(compiled.string, batch)
                batch = []
        if batch:
            cursor.executemany(compiled.string, batch)
        cursor.close()

    def _processor(self, column):
        process = column.type.dialect_impl(self.dialect).bind_processor(self.dialect)
        if process is None:
            return None
        memo = {}

        def run(value):
            if value is None:
                return None
            try:
                return memo[value]
            except KeyError:
                memo[value] = result = process(value)
                return result
            except TypeError:  # unhashable (a JSON value)
                return process(value)
        return run

    def drop_foreign_keys(self):
        """PostgreSQL checks a foreign key by a trigger per row, which takes most of a COPY's time: the
        big tables' keys are dropped for the load and added back by `finish` (which checks every row
        at once), all in the load's transaction («Populating a Database» in PostgreSQL's manual)."""
        self.dropped = []
        if not self.postgres:
            return
        for name in BULK_TABLES:
            for constraint in sorted(db.metadata.tables[name].foreign_key_constraints, key=lambda c: c.name):
                db.session.execute(DropConstraint(constraint))
                self.dropped.append(constraint)

    def finish(self):
        """Add the foreign keys back (checking every row); move PostgreSQL's sequences past the ids."""
        if not self.postgres:
            return
        for constraint in self.dropped:
            db.session.execute(AddConstraint(constraint))
        for name in sorted(self.next_ids):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                    f"(SELECT coalesce(max(id), 1) FROM \"{name}\"))"))

    def analyze(self):
        """Fresh planner statistics for the loaded tables (PostgreSQL would gather them later itself)."""
        if self.postgres:
            with db.engine.connect() as conn:
                conn.execute(text("ANALYZE"))
                conn.commit()


def _table(model):
    return getattr(model, "__table__", model)


# -- the weekly timetable ---------------------------------------------------------------------------

class _Timetable:
    """A week without clashes, as an edge colouring of the bipartite class–teacher multigraph: each
    weekly lesson is an edge, each of the 5×7 slots a colour. A class may use only the first lessons of
    each day (its hours spread over five days, so its day has no gaps); teachers any slot. An edge with
    no common free slot is placed by swapping two slots along an alternating path (Kempe chain); if
    that cannot keep a class within its days, the slot restriction is dropped for it, which by König's
    theorem always succeeds (every class and teacher has at most 35 lessons a week)."""

    SLOTS = DAYS * BELLS

    def __init__(self, rnd):
        self.rnd = rnd
        self.allowed = {}
        self.at = defaultdict(dict)  # node -> {slot: edge}
        self.edges = []  # [class node, teacher node, subject, slot]
        self.relaxed = 0

    def add_class(self, node, hours):
        base, extra = divmod(hours, DAYS)
        lengths = [base + (1 if d < extra else 0) for d in range(DAYS)]
        if max(lengths) > BELLS:
            raise ValueError(f"{node}: {hours} уроков в неделю не помещаются в {DAYS}×{BELLS}")
        self.allowed[node] = {d * BELLS + n for d in range(DAYS) for n in range(lengths[d])}

    def add(self, class_node, teacher_node, subject):
        self.edges.append([class_node, teacher_node, subject, None])

    def solve(self):
        order = list(range(len(self.edges)))
        self.rnd.shuffle(order)
        load = Counter(e[1] for e in self.edges)
        order.sort(key=lambda i: -load[self.edges[i][1]])
        for i in order:
            if not self._place(i, restricted=True):
                self.relaxed += 1
                if not self._place(i, restricted=False):
                    raise RuntimeError("расписание не составлено")
        return [(c, t, s, divmod(slot, BELLS)) for c, t, s, slot in self.edges]

    def _set(self, i, slot):
        c, t = self.edges[i][0], self.edges[i][1]
        self.edges[i][3] = slot
        self.at[c][slot] = i
        self.at[t][slot] = i

    def _unset(self, i):
        c, t, _, slot = self.edges[i]
        del self.at[c][slot]
        del self.at[t][slot]

    def _place(self, i, restricted):
        c, t, subject, _ = self.edges[i]
        pool = self.allowed[c] if restricted else range(self.SLOTS)
        free_c = [k for k in sorted(pool) if k not in self.at[c]]
        common = [k for k in free_c if k not in self.at[t]]
        if common:
            same_day = Counter(self.edges[j][3] // BELLS for j in self.at[c].values() if self.edges[j][2] == subject)
            best = min(same_day[k // BELLS] for k in common)
            self._set(i, self.rnd.choice([k for k in common if same_day[k // BELLS] == best]))
            return True
        free_t = [k for k in range(self.SLOTS) if k not in self.at[t]]
        for a in free_c:
            for b in free_t:
                if restricted and b not in self.allowed[c]:
                    continue
                path, node, colour = [], c, b
                while colour in self.at[node]:
                    j = self.at[node][colour]
                    path.append(j)
                    node = self.edges[j][1] if self.edges[j][0] == node else self.edges[j][0]
                    colour = a if colour == b else b
                if restricted and node in self.allowed and colour == b and b not in self.allowed[node]:
                    continue  # the path ends at a class whose lesson would move out of its days
                for j in path:
                    self._unset(j)
                for j in path:
                    self._set(j, a if self.edges[j][3] == b else b)
                self._set(i, b)
                return True
        return False


# -- one school ---------------------------------------------------------------------------------------

@dataclass(eq=False)
class _Pupil:
    id: int
    card: dict
    level: float  # his usual mark
    absence: float  # his share of days missed
    family: str
    father_name: str
    sibling_of: object = None
    stays: list = field(default_factory=list)  # [(year start, class key), first day, last day or None, orders]
    status: str = "studying"
    subgroup: dict = field(default_factory=dict)  # (year start, class key, subject[, quarter]) -> 1 or 2
    mother: dict | None = None
    father: dict | None = None


class _School:
    def __init__(self, number, scale, seed, today, past_years, password_hash, taken_logins, writer, log, summary):
        self.number, self.scale, self.seed, self.today = number, scale, seed, today
        self.password_hash, self.taken, self.w, self.log, self.summary = (password_hash, taken_logins, writer,
                                                                           log, summary)
        self.rnd = self._rnd("people")
        self.names = Names(self.rnd)
        current = today.year if today.month >= 8 else today.year - 1
        self.starts = list(range(current - past_years, current + 1))
        self.staff_snils, self.student_snils = set(), set()
        self.order_numbers = Counter()
        self.real_today = clock.today()

    def _rnd(self, *key):
        """A generator of its own for each part, so that the parts do not depend on each other's order."""
        return random.Random("/".join(map(str, (self.seed, self.number) + key)))

    def build(self):
        n = self.number
        self.log(f"Школа {n}: организация, календарь, предметы, сотрудники")
        self._organization()
        self._calendar()
        self._subjects()
        self._staff()
        self._allocate()
        self._rooms()
        self.log(f"Школа {n}: недельное расписание")
        self._timetable()
        self.log(f"Школа {n}: уроков в неделю {sum(len(v) for v in self.week.values())}, без окон"
                 + (f" (кроме {self.relaxed})" if self.relaxed else "") + "; классы, обучающиеся, родители, "
                 "книга движения")
        self._classes()
        self._pupils()
        self._write_pupils()
        for y in self.years:
            self.log(f"Школа {n}, {y.name}: учебный план, нагрузка, КТП, расписание")
            self._planning(y)
            lessons = self._lessons(y)
            self.log(f"Школа {n}, {y.name}: уроков {len(lessons)}; задания, отметки, посещаемость")
            self._journal(y, lessons)
            self._period_marks(y)
        self.summary.teachers += len(self.teachers)

    # the organization -----------------------------------------------------------------------------

    def _organization(self):
        n = self.number
        self.org = orgs.create_organization(
            kind="school",
            full_name="Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная "
                      f"школа № {6 + n}»",
            short_name=f"МБОУ «СОШ № {6 + n}»",
            address=f"624250, Свердловская обл., г. Заречный, ул. Ленина, д. {10 + 2 * n}",
            phone=f"+7 (34377) 3-{10 + n % 90}-45", email=f"school{6 + n}@example.ru", inn=f"66{n:08d}",
            licence_number=f"19{n:03d}", licence_date=date(2016, 3, 14),
            licence_issued_by="Министерство образования и молодёжной политики Свердловской области",
            accreditation_number=f"90{n:02d}", accreditation_date=date(2016, 5, 23),
            accreditation_valid_until=date(2028, 5, 23))
        db.session.flush()  # the official calendar, task types and attendance codes come with it
        self.types = {t.name: t for t in db.session.scalars(select(TaskType).where(TaskType.org_id == self.org.id))}
        self.codes = {c.code: c.id for c in db.session.scalars(
            select(AttendanceCode).where(AttendanceCode.org_id == self.org.id))}

    def _calendar(self):
        """Years, quarters and holidays: the demo school's calendar, every year."""
        self.years = []
        for start in self.starts:
            year_id = self.w.ids(AcademicYear)
            ptype, periods, holidays = school_calendar(start)
            closed = start < self.starts[-1]
            end = date(start + 1, 6, 30)
            today = self.today if not closed else end + timedelta(days=1)
            self.w.add(AcademicYear, dict(id=year_id, org_id=self.org.id, name=f"{start}/{start + 1}",
                                          start_date=date(start, 9, 1), end_date=end, is_closed=closed))
            quarters = []
            for number, name, p_start, p_end in periods:
                pid = self.w.ids(Period)
                finished = p_end < today
                self.w.add(Period, dict(id=pid, org_id=self.org.id, year_id=year_id, type=ptype, number=number,
                                        name=name, start_date=p_start, end_date=p_end, is_closed=finished))
                quarters.append(SimpleNamespace(id=pid, number=number, name=name, start=p_start, end=p_end,
                                                type=ptype, finished=finished))
            for name, h_start, h_end in holidays:
                self.w.add(Holiday, dict(id=self.w.ids(Holiday), org_id=self.org.id, year_id=year_id, name=name,
                                         start_date=h_start, end_date=h_end, period_type=None, grade_from=None,
                                         grade_to=None))
            self.years.append(SimpleNamespace(
                id=year_id, start=start, name=f"{start}/{start + 1}", start_date=date(start, 9, 1), end_date=end,
                periods=quarters, today=today, closed=closed, complete=all(q.finished for q in quarters)))
        self.w.flush(AcademicYear, Period, Holiday)

    def _subjects(self):
        self.plan = {}
        for grade, _count in self.scale.layout:
            self.plan[grade] = PLAN[grade][:self.scale.subjects] if self.scale.subjects else PLAN[grade]
        used = {s for rows in self.plan.values() for s, _ in rows}
        areas = {}
        for i, name in enumerate(AREAS):
            if any(SUBJECTS[s][1] == i for s in used):
                areas[i] = self.w.ids(EducationalArea)
                self.w.add(EducationalArea, dict(id=areas[i], org_id=self.org.id, name=name, sort_order=i))
        self.subjects = {}
        for order, (name, (short, area, grading)) in enumerate(SUBJECTS.items()):
            if name in used:
                sid = self.w.ids(Subject)
                self.subjects[name] = SimpleNamespace(id=sid, name=name, grading=grading)
                self.w.add(Subject, dict(id=sid, org_id=self.org.id, name=name, short_name=short, code=None,
                                         kind="subject", grading=grading, area_id=areas[area], module_id=None,
                                         sort_order=order))
        self.w.flush(EducationalArea, Subject)

    def _person(self, female=None, family=None):
        last, first, middle, sex = self.names.person(female, family)
        return dict(last_name=last, first_name=first, middle_name=middle, sex=sex)

    def _phone(self, prefix="912"):
        r = self.rnd
        return f"+7 ({prefix}) {r.randint(100, 999)}-{r.randint(10, 99)}-{r.randint(10, 99)}"

    def _account(self, person):
        """A user row for a card (written later, with everybody's); returns its id."""
        login = _unique_login(accounts.base_login(SimpleNamespace(**person)), self.taken)
        uid = self.w.ids(User)
        name = " ".join(p for p in (person["last_name"], person["first_name"], person["middle_name"]) if p)
        self.w.add(User, dict(id=uid, login=login, password_hash=self.password_hash, is_blocked=False,
                              is_superadmin=False, must_change_password=False,
                              session_token=accounts.new_session_token(), display_name=name,
                              created_at=datetime(self.starts[0] - 1, 8, 25, 9, 0), last_login_at=None))
        self.logins[uid] = (login, name)
        return uid

    def _staff(self):
        first = self.starts[0]
        positions = {}
        for name in ("Директор", "Заместитель директора по УВР", "Специалист по кадрам", "Системный администратор",
                     "Учитель"):
            positions[name] = self.w.ids(Position)
            self.w.add(Position, dict(id=positions[name], org_id=self.org.id, name=name))
        self.logins = {}
        self.staff = []

        def card(position, role, female=None):
            row = dict(id=self.w.ids(Staff), org_id=self.org.id, **self._person(female),
                       position_id=positions[position],
                       birth_date=date(1962 + self.rnd.randint(0, 36), self.rnd.randint(1, 12),
                                       self.rnd.randint(1, 28)),
                       hire_date=date(first - self.rnd.randint(1, 25), 8, 25), snils=self.names.snils(self.staff_snils),
                       qualification_category=self.rnd.choice(["высшая", "первая", "первая", None]),
                       phone=self._phone(), email=None, rank=None, hire_order_number=f"{self.rnd.randint(10, 99)}-к",
                       dismissal_date=None, created_at=datetime(first - 1, 8, 20, 9, 0))
            row["user_id"] = self._account(row)
            self.staff.append((row, role))
            return row

        self.director = card("Директор", "director", female=True)
        self.deputies = [card("Заместитель директора по УВР", "deputy") for _ in range(2 if self.scale.teachers > 50
                                                                                    else 1)]
        self.hr = card("Специалист по кадрам", "hr", female=True)
        self.admin = card("Системный администратор", "admin")
        self.teachers = [card("Учитель", "teacher", female=self.rnd.random() < 0.82)
                         for _ in range(self.scale.teachers)]
        self.teacher_user = [t["user_id"] for t in self.teachers]
        self.user_of_staff = {row["id"]: row["user_id"] for row, _ in self.staff}
        db.session.execute(Organization.__table__.update().where(Organization.__table__.c.id == self.org.id).values(
            director_name=" ".join(self.director[k] for k in ("last_name", "first_name", "middle_name"))))
        self.w.flush(Position, User)
        for row, _role in self.staff:
            self.w.add(Staff, row)
        self.w.flush(Staff)
        for row, role in self.staff:
            self.w.add(StaffRole, dict(staff_id=row["id"], role=role))
        self.w.flush(StaffRole)

    def _allocate(self):
        """Who teaches what. Grades 1–4: the class teacher his class's main subjects. The rest by
        speciality: the speciality's teachers (as many as its hours ask for) each take a run of
        neighbouring classes with a balanced load; a split subject is taught by pairs of teachers (one
        per subgroup) who teach only split classes, so a pair is one teacher to the timetable."""
        self.class_keys = [(g, LETTERS[i]) for g, count in self.scale.layout for i in range(count)]
        self.hours = {g: dict(rows) for g, rows in self.plan.items()}
        pool = list(range(len(self.teachers)))
        self.teacher_of = {}  # (class key, subject) -> teacher index, or (index, index) for the subgroups
        self.class_teacher = {}
        for key in self.class_keys:
            if key[0] <= 4:
                t = self.class_teacher[key] = pool.pop(0)
                for subject, _h in self.plan[key[0]]:
                    if subject in CLASS_TEACHER_SUBJECTS:
                        self.teacher_of[(key, subject)] = t
        bundles = defaultdict(list)  # speciality -> [(class key, subjects, hours)]
        for key in self.class_keys:
            by = defaultdict(list)
            for subject, h in self.plan[key[0]]:
                if (key, subject) not in self.teacher_of:
                    split = subject in SPLIT and key[0] >= SPLIT_FROM
                    by[(SPECIALITY_OF[subject], split)].append((subject, h))
            for spec, items in by.items():
                bundles[spec].append((key, [s for s, _ in items], sum(h for _, h in items)))
        size = {spec: 2 if spec[1] else 1 for spec in bundles}  # teachers per unit
        hours = {spec: sum(b[2] for b in items) for spec, items in bundles.items()}
        units = {spec: 1 for spec in bundles}
        spare = len(pool) - sum(size.values())
        if spare < 0:
            raise DemoRefused(f"Учителей слишком мало: нужно не меньше {len(self.teachers) - spare}.")
        while spare > 0:  # the next teacher goes where a unit has the most lessons a week
            fits = [s for s in bundles if size[s] <= spare]
            if not fits:
                break
            spec = max(sorted(fits), key=lambda s: hours[s] / units[s])
            units[spec] += 1
            spare -= size[spec]
        self.pairs, self.speciality = [], {}
        order = [name for name, _ in SPECIALITIES]
        for spec in sorted(bundles, key=lambda s: (order.index(s[0]), s[1])):
            items = sorted(bundles[spec])
            people = [pool.pop(0) for _ in range(units[spec] * size[spec])]
            teams = [tuple(people[2 * u:2 * u + 2]) for u in range(units[spec])] if spec[1] else people
            if spec[1]:
                self.pairs.extend(teams)
            target, unit, load = hours[spec] / units[spec], 0, 0
            for key, subjects, h in items:
                if load and load + h / 2 > target and unit < units[spec] - 1:
                    unit, load = unit + 1, 0
                for subject in subjects:
                    self.teacher_of[(key, subject)] = teams[unit]
                load += h
            for person in people:
                self.speciality[person] = spec[0]
        # Class teachers of grades 5–11: the class's own teacher with most lessons there, one class each.
        taken = set(self.class_teacher.values())
        for key in self.class_keys:
            if key in self.class_teacher:
                continue
            mine = Counter()
            for subject, h in self.plan[key[0]]:
                t = self.teacher_of[(key, subject)]
                if not isinstance(t, tuple):
                    mine[t] += h
            ranked = [t for t, _ in sorted(mine.items(), key=lambda x: (-x[1], x[0]))]
            choice = next((t for t in ranked + list(range(len(self.teachers))) if t not in taken), None)
            if choice is None:
                raise DemoRefused("Учителей меньше, чем классов: классных руководителей не хватает.")
            self.class_teacher[key] = choice
            taken.add(choice)

    def _rooms(self):
        self.home_room = {}
        for i, key in enumerate(self.class_keys):
            self.home_room[key] = self.w.ids(Room)
            self.w.add(Room, dict(id=self.home_room[key], org_id=self.org.id, name=f"{1 + i // 20}{1 + i % 20:02d}",
                                  capacity=32, note=None))
        self.w.add(Room, dict(id=self.w.ids(Room), org_id=self.org.id, name="Спортзал", capacity=60, note=None))
        for n, (h1, m1, h2, m2) in enumerate(SCHOOL_BELLS, start=1):
            self.w.add(Bell, dict(id=self.w.ids(Bell), org_id=self.org.id, year_id=None, shift=1, number=n,
                                  starts_at=hhmm(h1, m1), ends_at=hhmm(h2, m2)))
        self.w.flush(Room, Bell)

    def _timetable(self):
        """The weekly pattern of every class, the same every year (teachers follow the class letters)."""
        table = _Timetable(self._rnd("timetable"))
        for key in self.class_keys:
            table.add_class(key, sum(h for _, h in self.plan[key[0]]))
            for subject, h in self.plan[key[0]]:
                for _ in range(h):
                    table.add(key, ("teacher", self.teacher_of[(key, subject)]), subject)
        self.week = defaultdict(list)  # class key -> [(subject, weekday, lesson number)]
        for key, _teacher, subject, (day, n) in table.solve():
            self.week[key].append((subject, day + 1, n + 1))
        self.relaxed = table.relaxed
        self.busy = defaultdict(set)  # (weekday, number) -> teachers at a lesson then
        concurrent = Counter()
        self.group_room_no = {}
        for key, rows in sorted(self.week.items()):
            for subject, day, n in sorted(rows, key=lambda r: (r[1], r[2])):
                t = self.teacher_of[(key, subject)]
                self.busy[(day, n)].update(t if isinstance(t, tuple) else (t,))
                if isinstance(t, tuple):  # the second subgroup goes to a room of its own
                    concurrent[(day, n)] += 1
                    self.group_room_no[(key, subject, day, n)] = concurrent[(day, n)]
        self.group_rooms = []
        for k in range(max(concurrent.values(), default=0)):
            self.group_rooms.append(self.w.ids(Room))
            self.w.add(Room, dict(id=self.group_rooms[-1], org_id=self.org.id, name=f"Л-{k + 1}", capacity=16,
                                  note="для занятий в подгруппах"))
        self.w.flush(Room)

    def _classes(self):
        """Every year's classes (their ids are given now: the students and the history point at them)."""
        self.class_id = {}
        for y in self.years:
            for key in self.class_keys:
                cid = self.class_id[(y.start, key)] = self.w.ids(SchoolClass)
                self.w.add(SchoolClass, dict(
                    id=cid, org_id=self.org.id, year_id=y.id, grade=key[0], name=f"{key[0]}{key[1]}", profile=None,
                    class_teacher_id=self.teachers[self.class_teacher[key]]["id"], department_id=None,
                    specialty_id=None, max_students=32))
        self.summary.classes += len(self.years) * len(self.class_keys)
        self.w.flush(SchoolClass)

    # students and the movement book ---------------------------------------------------------------

    def _new_pupil(self, start, key, enrolled_on, order=None):
        r = self.rnd
        entry_year = start - key[0] + 1
        sibling = r.choice(self.pupils[-300:]) if self.pupils and r.random() < self.scale.siblings else None
        female = r.random() < 0.5
        if sibling is not None:
            family, father = sibling.family, sibling.father_name
            person = dict(last_name=family + ("а" if female else ""),
                          first_name=r.choice(FEMALE_FIRST if female else MALE_FIRST),
                          middle_name=patronymic(father, female), sex="f" if female else "m")
        else:
            family = r.choice(SURNAMES)
            person = self._person(female, family)
            father = self.names.father
        born = date(entry_year - 7, 1, 1) + timedelta(days=r.randint(-120, 300))
        pid = self.w.ids(Student)
        card = dict(id=pid, org_id=self.org.id, **person, birth_date=born,
                    personal_file_number=f"{entry_year % 100:02d}-{pid:05d}",
                    snils=self.names.snils(self.student_snils),
                    address=f"г. Заречный, {r.choice(STREETS)}, д. {r.randint(1, 60)}, кв. {r.randint(1, 120)}",
                    birth_certificate_series=f"{r.choice(['I', 'II', 'III', 'IV'])}-АИ",
                    birth_certificate_number=f"{r.randint(100000, 999999)}",
                    birth_certificate_date=born + timedelta(days=20),
                    passport_series=None, passport_number=None, passport_date=None, passport_issued_by=None,
                    family_composition=r.choice(["полная", "полная", "неполная", "многодетная"]),
                    social_status=r.choice([None, None, None, "малообеспеченная семья"]),
                    foreign_language="Английский",
                    enrollment_order_number=order[1] if order else f"{r.randint(10, 99)}-у",
                    enrollment_order_date=enrolled_on, created_at=datetime.combine(enrolled_on, hhmm(10, 0)),
                    user_id=None)
        fourteen = date(born.year + 14, born.month, min(born.day, 28))
        if fourteen <= self.real_today:  # the card rules ask for a passport from 14 on
            card.update(passport_series=f"65{r.randint(10, 24):02d}", passport_number=f"{r.randint(100000, 999999)}",
                        passport_date=min(fourteen + timedelta(days=r.randint(10, 40)), self.real_today),
                        passport_issued_by="ГУ МВД России по Свердловской области")
        pupil = _Pupil(pid, card, level=min(4.95, max(2.6, r.gauss(3.95, 0.5))),
                       absence=min(0.3, ABSENCE_MEDIAN * r.lognormvariate(0, ABSENCE_SPREAD)),
                       family=family, father_name=father, sibling_of=sibling)
        self.pupils.append(pupil)
        return pupil

    def _order(self, kind, order_date, effective, year, note=None, target_year=None):
        oid = self.w.ids(MovementOrder)
        self.order_numbers[order_date.year] += 1
        number = f"{self.order_numbers[order_date.year]}-у"
        self.w.add(MovementOrder, dict(
            id=oid, org_id=self.org.id, year_id=year.id, number=number, number_year=order_date.year,
            order_date=order_date, effective_date=effective, kind=kind, status="applied",
            target_year_id=target_year.id if target_year else None, cancels_id=None, note=note,
            created_at=datetime.combine(order_date, hhmm(9, 0)), applied_at=datetime.combine(order_date, hhmm(10, 0)),
            applied_by_id=self.admin["user_id"]))
        return oid, number

    def _item(self, order_id, pupil, from_class=None, to_class=None, prev="studying", reason=None, destination=None):
        self.w.add(MovementItem, dict(
            id=self.w.ids(MovementItem), org_id=self.org.id, order_id=order_id, student_id=pupil.id, card=None,
            from_class_id=from_class, to_class_id=to_class, reason=reason, destination=destination, note=None,
            prev_status=prev))

    def _move(self, pupil, day, order_id, to_key=None, status=None):
        """The book applied: the stay ends the day before `day`; a new one starts on `day`."""
        pupil.stays[-1][2], pupil.stays[-1][4] = day - timedelta(days=1), order_id
        if to_key is not None:
            pupil.stays.append([to_key, day, None, order_id, None])
        if status is not None:
            pupil.status = status

    def _pupils(self):
        """The students' histories over the years, with the movement book's applied orders."""
        self.pupils = []
        self.members = {}  # (year start, class key) -> pupils who were in the class that year
        r = self._rnd("movement")
        incoming = {}
        for index, y in enumerate(self.years):
            enroll = None
            for key in self.class_keys:
                came = incoming.get(key, [])
                if not came:  # a new class: the first year of the data, a 1st grade, or the 11Г
                    if enroll is None and index:
                        enroll = self._order("enrollment", date(y.start, 8, 28), date(y.start, 8, 28),
                                             self.years[index - 1], note="Зачисление обучающихся")
                    for _ in range(self.rnd.randint(*self.scale.students)):
                        on = date(y.start - key[0] + 1, 8, 28) if not index else date(y.start, 8, 28)
                        pupil = self._new_pupil(y.start, key, on, order=enroll)
                        pupil.stays.append([(y.start, key), y.start_date, None, enroll[0] if enroll else None, None])
                        if enroll:
                            self._item(enroll[0], pupil, to_class=self.class_id[(y.start, key)], prev=None)
                        came.append(pupil)
                self.members[(y.start, key)] = list(came)
            self._movement(r, y)
            self._split(y)
            if y.closed:
                incoming = self._year_end(y, self.years[index + 1])

    def _movement(self, r, y):
        """Transfers to a parallel class at the start of a quarter, and withdrawals, during the year."""
        last_day = min(y.today - timedelta(days=1), y.end_date)
        parallels = defaultdict(list)
        for key in self.class_keys:
            parallels[key[0]].append(key)
        grades = sorted(g for g, keys in parallels.items() if len(keys) > 1)
        quarters = [q for q in y.periods[1:] if q.start <= last_day]
        moved = set()

        def here(key):
            return [p for p in self.members[(y.start, key)] if p.status == "studying" and p.id not in moved
                    and p.stays[-1][0] == (y.start, key)]

        for _ in range(self.scale.movers if grades and quarters else 0):
            source, target = r.sample(parallels[r.choice(grades)], 2)
            candidates = here(source)
            if not candidates:
                continue
            pupil, day = r.choice(candidates), r.choice(quarters).start
            oid, _ = self._order("transfer", day, day, y, note="По заявлению родителей")
            self._item(oid, pupil, self.class_id[(y.start, source)], self.class_id[(y.start, target)])
            self._move(pupil, day, oid, to_key=(y.start, target))
            self.members[(y.start, target)].append(pupil)
            moved.add(pupil.id)
        first_day, last = y.start_date + timedelta(days=20), last_day - timedelta(days=10)
        for _ in range(self.scale.movers if last > first_day else 0):
            key = r.choice(self.class_keys)
            candidates = here(key)
            day = first_day + timedelta(days=r.randint(0, (last - first_day).days))
            while day.isoweekday() > 5:
                day += timedelta(days=1)
            candidates = [p for p in candidates if p.stays[-1][1] < day]
            if not candidates:
                continue
            pupil = r.choice(candidates)
            reason, destination = r.choice(LEAVE_REASONS)
            oid, _ = self._order("withdrawal", day, day, y)
            self._item(oid, pupil, self.class_id[(y.start, key)], reason=reason, destination=destination)
            self._move(pupil, day, oid, status="withdrawn")
            moved.add(pupil.id)

    def _split(self, y):
        """Split classes: in the first quarter the students alternate between the two subgroups by name;
        one who arrives later joins the smaller one."""
        for key in self.class_keys:
            subjects = [s for s, _ in self.plan[key[0]] if s in SPLIT and key[0] >= SPLIT_FROM]
            ordered = sorted(self.members[(y.start, key)], key=lambda p: (p.card["last_name"], p.card["first_name"],
                                                                        p.id))
            for subject in subjects:
                for quarter in y.periods:
                    present = [p for p in ordered if _stays_in(p, (y.start, key), quarter.start, quarter.end)]
                    sizes = Counter(p.subgroup[(y.start, key, subject)] for p in present
                                    if (y.start, key, subject) in p.subgroup)
                    for i, p in enumerate(present):
                        if (y.start, key, subject) not in p.subgroup:
                            group = 1 + i % 2 if quarter is y.periods[0] else (1 if sizes[1] <= sizes[2] else 2)
                            p.subgroup[(y.start, key, subject)] = group
                            sizes[group] += 1
                        p.subgroup[(y.start, key, subject, quarter.number)] = p.subgroup[(y.start, key, subject)]

    def _year_end(self, y, nxt):
        """«Перевод на следующий год», the graduates (9th grades with no 10th to go on to, 11th grades);
        returns next year's incoming students by class."""
        transfer = graduation = leaving = None
        result = {}
        for key in self.class_keys:
            staying = [p for p in self.members[(y.start, key)] if p.status == "studying"
                       and p.stays[-1][0] == (y.start, key)]
            successor = (key[0] + 1, key[1])
            here = self.class_id[(y.start, key)]
            if successor in self.class_keys:
                if transfer is None:
                    transfer = self._order("next_year", y.end_date - timedelta(days=32), nxt.start_date, y,
                                           note=f"Переход с {y.name} на {nxt.name}", target_year=nxt)
                for p in staying:
                    self._item(transfer[0], p, here, self.class_id[(nxt.start, successor)])
                    self._move(p, nxt.start_date, transfer[0], to_key=(nxt.start, successor))
                result[successor] = staying
            elif key[0] in (9, 11):
                if graduation is None:
                    graduation = self._order("graduation", y.end_date, y.end_date + timedelta(days=1), y,
                                             note=f"Выпуск {y.name}", target_year=nxt)
                for p in staying:
                    self._item(graduation[0], p, here)
                    self._move(p, y.end_date + timedelta(days=1), graduation[0], status="graduated")
            else:  # only at the tiny size: no class of the next grade
                if leaving is None:
                    leaving = self._order("withdrawal", y.end_date + timedelta(days=1), y.end_date + timedelta(days=1),
                                          y, note="Выбытие по окончании учебного года")
                for p in staying:
                    self._item(leaving[0], p, here, reason="other_school",
                               destination="другая общеобразовательная организация")
                    self._move(p, y.end_date + timedelta(days=1), leaving[0], status="withdrawn")
        return result

    def _write_pupils(self):
        """Accounts, students, parents and the class history, all at once."""
        r = self._rnd("parents")
        current = self.starts[-1]
        with_account = set()
        for key in self.class_keys:
            ordered = sorted((p for p in self.members[(current, key)]
                              if p.status == "studying" and p.stays[-1][0] == (current, key)),
                             key=lambda p: (p.card["last_name"], p.card["first_name"], p.id))
            with_account.update(p.id for p in ordered[:self.scale.parent_accounts])
            for p in ordered[:self.scale.student_accounts]:
                p.card["user_id"] = self._account(p.card)
        parents, links = [], []
        for pupil in self.pupils:
            if pupil.sibling_of is not None:
                pupil.mother, pupil.father = pupil.sibling_of.mother, pupil.sibling_of.father
            else:
                mother = self._person(True, pupil.family)
                del mother["sex"]
                pupil.mother = dict(id=self.w.ids(Parent), org_id=self.org.id, **mother, relation="mother",
                                    phone=self._phone("922"), email=None, address=pupil.card["address"],
                                    workplace=None, user_id=None, created_at=pupil.card["created_at"])
                parents.append(pupil.mother)
                if r.random() < 0.6:
                    middle = self._person(False)["middle_name"]
                    pupil.father = dict(id=self.w.ids(Parent), org_id=self.org.id, last_name=pupil.family,
                                        first_name=pupil.father_name, middle_name=middle, relation="father",
                                        phone=None, email=None, address=pupil.card["address"], workplace=None,
                                        user_id=None, created_at=pupil.card["created_at"])
                    parents.append(pupil.father)
            links.append(dict(student_id=pupil.id, parent_id=pupil.mother["id"]))
            if pupil.father is not None:
                links.append(dict(student_id=pupil.id, parent_id=pupil.father["id"]))
            if pupil.id in with_account and pupil.mother["user_id"] is None:
                pupil.mother["user_id"] = self._account(pupil.mother)
        self.w.flush(User)
        memberships = []
        for pupil in self.pupils:
            self.w.add(Student, dict(pupil.card, class_id=self.class_id[pupil.stays[-1][0]], status=pupil.status))
            for key, start, end, start_order, end_order in pupil.stays:
                memberships.append(dict(org_id=self.org.id, student_id=pupil.id, class_id=self.class_id[key],
                                        start_date=start, end_date=end, on_leave=False, start_order_id=start_order,
                                        end_order_id=end_order))
        self.w.add_many(Parent, parents)
        self.w.add_many(student_parent, links)
        self.w.flush(Student, Parent, student_parent, MovementOrder, MovementItem)
        self.w.add_many(ClassMembership, memberships)
        self.w.flush(ClassMembership)
        self.summary.students += sum(1 for p in self.pupils if p.status == "studying")
        self.summary.students_total += len(self.pupils)
        if self.number == 1:
            subject_teacher = next((t for i, t in enumerate(self.teachers) if i not in self.class_teacher.values()),
                                   self.teachers[-1])
            parent = next(p.mother for p in self.pupils if p.mother["user_id"])
            self.summary.logins = [(label, *self.logins[row["user_id"]]) for label, row in (
                ("Администратор", self.admin), ("Заместитель директора", self.deputies[0]),
                ("Учитель", subject_teacher), ("Родитель", parent))]

    # one academic year ----------------------------------------------------------------------------

    def _planning(self, y):
        org = self.org.id
        for grade in sorted(self.plan):
            cid = self.w.ids(Curriculum)
            self.w.add(Curriculum, dict(id=cid, org_id=org, year_id=y.id, grade=grade, profile=None, specialty_id=None,
                                        max_hours=None, weeks=33 if grade == 1 else 34, note=None))
            for order, (subject, hours) in enumerate(self.plan[grade]):
                self.w.add(CurriculumLine, dict(
                    id=self.w.ids(CurriculumLine), org_id=org, curriculum_id=cid, subject_id=self.subjects[subject].id,
                    component="school" if subject in SCHOOL_PART else "federal", hours_per_week=Decimal(hours),
                    period1_hours=None, period2_hours=None, sort_order=order))
        rnd = self._rnd("ktp", y.start)
        self.assignments = {}  # (class key, subject, subgroup 0/1/2) -> assignment
        plans, subgroups, members = {}, {}, []
        for key in self.class_keys:
            class_id = self.class_id[(y.start, key)]
            weeks = 33 if key[0] == 1 else 34
            for subject, hours in self.plan[key[0]]:
                teacher = self.teacher_of[(key, subject)]
                sid = self.subjects[subject].id
                for group, t in (enumerate(teacher, start=1) if isinstance(teacher, tuple) else [(0, teacher)]):
                    subgroup_id = None
                    if group:
                        subgroup_id = subgroups[(key, subject, group)] = self.w.ids(Subgroup)
                        self.w.add(Subgroup, dict(id=subgroup_id, org_id=org, year_id=y.id, class_id=class_id,
                                                  subject_id=sid, name=f"{group} группа"))
                    if (t, subject, key[0]) not in plans:
                        plans[(t, subject, key[0])] = self._ktp(y, t, subject, key[0], hours * weeks, rnd)
                    plan_id, topics = plans[(t, subject, key[0])]
                    aid = self.w.ids(TeachingAssignment)
                    self.assignments[(key, subject, group)] = SimpleNamespace(
                        id=aid, key=key, subject=subject, group=group, subgroup_id=subgroup_id, teacher=t,
                        class_id=class_id, topics=topics)
                    self.w.add(TeachingAssignment, dict(
                        id=aid, org_id=org, year_id=y.id, teacher_id=self.teachers[t]["id"], subject_id=sid,
                        class_id=class_id, subgroup_id=subgroup_id, hours_per_week=Decimal(hours),
                        hours_total=Decimal(hours * weeks), thematic_plan_id=plan_id))
                if isinstance(teacher, tuple):
                    for pupil in self.members[(y.start, key)]:
                        for quarter in y.periods:
                            group = pupil.subgroup.get((y.start, key, subject, quarter.number))
                            if group:
                                members.append(dict(subgroup_id=subgroups[(key, subject, group)], student_id=pupil.id,
                                                    period_id=quarter.id, subject_id=sid))
        self.w.flush(Curriculum, CurriculumLine, ThematicPlan, ThematicPlanTopic, Subgroup, TeachingAssignment)
        self.w.add_many(SubgroupMember, members)
        for key in self.class_keys:
            for subject, day, number in self.week[key]:
                teacher = self.teacher_of[(key, subject)]
                for group in ((1, 2) if isinstance(teacher, tuple) else (0,)):
                    a = self.assignments[(key, subject, group)]
                    room = self.group_rooms[self.group_room_no[(key, subject, day, number)] - 1] if group == 2 \
                        else self.home_room[key]
                    self.w.add(TimetableEntry, dict(
                        id=self.w.ids(TimetableEntry), org_id=org, year_id=y.id, class_id=a.class_id,
                        assignment_id=a.id, teacher_id=self.teachers[a.teacher]["id"],
                        subgroup_key=a.subgroup_id or 0, weekday=day, shift=1, number=number, room_id=room))
        self.w.flush(SubgroupMember, TimetableEntry)

    def _ktp(self, y, t, subject, grade, total, rnd):
        """A КТП of `total` hours: the subject's sections, topics of one or two lessons, a control work
        closing each section; returns (id, [(topic, homework)] lesson by lesson)."""
        pid = self.w.ids(ThematicPlan)
        self.w.add(ThematicPlan, dict(id=pid, org_id=self.org.id, year_id=y.id, teacher_id=self.teachers[t]["id"],
                                      subject_id=self.subjects[subject].id, grade=grade,
                                      name=f"{subject}, {grade} класс", note=None,
                                      updated_at=datetime(y.start, 8, 30, 12, 0)))
        sections = SECTIONS.get(subject) or ["Введение", "Основные понятия", "Практикум", "Обобщение"]
        sections = sections[:max(1, total // 6)]
        lessons, position, left = [], 0, total
        for s, section in enumerate(sections):
            here = left if s == len(sections) - 1 else total // len(sections)
            left -= here
            k = 0
            while here > 0:
                position += 1
                if here == 1 and total >= 12:
                    title, hours, homework = f"{section}: контрольная работа", 1, None
                else:
                    hours = min(here - (1 if total >= 12 else 0), rnd.choice((1, 2)))
                    title = f"{section}: {LESSON_KINDS[k % len(LESSON_KINDS)]}"
                    homework = f"§ {position}, упр. {rnd.randint(1, 30)}–{rnd.randint(31, 60)}"
                self.w.add(ThematicPlanTopic, dict(id=self.w.ids(ThematicPlanTopic), org_id=self.org.id,
                                                   plan_id=pid, position=position, section=section, title=title,
                                                   hours=hours, homework=homework))
                lessons.extend([(title, homework)] * hours)
                here -= hours
                k += 1
        return pid, lessons

    def _lessons(self, y):
        """The year's lessons, made by the journal's own generator (services.timetable.lessons) from the timetable and
        the changes on dates: replacements by a free teacher and cancelled lessons."""
        org = db.session.get(Organization, self.org.id)
        year = db.session.get(AcademicYear, y.id)
        catalog = Catalog(org, y.id)
        classes = set(catalog.classes)
        spans = []
        for q in y.periods:
            end = q.end if self.scale.weeks is None else min(q.end, q.start + timedelta(days=7 * self.scale.weeks - 1))
            spans.append((SimpleNamespace(id=q.id, type=q.type, name=q.name), q.start, end))

        def generate():
            lessons = {}
            for period, start, end in spans:
                lessons.update(_desired_lessons(catalog, year, period, start, end, classes,
                                                GenerationResult(period=period, start=start, end=end)))
            return lessons

        by_id = {a.id: a for a in self.assignments.values()}
        first_draft = generate()
        changes = self._changes(y, first_draft, by_id)
        final = generate() if changes else first_draft
        ordered = sorted(final.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0]))
        first = self.w.ids(Lesson, len(ordered))
        lessons = [SimpleNamespace(id=first + i, assignment=by_id[aid], date=day, number=number,
                                   period_id=v["period_id"], teacher_id=v["teacher_id"], room_id=v["room_id"],
                                   cancelled=v["is_cancelled"], given=False, homework=None, topic=None, due=None)
                   for i, ((aid, day, number), v) in enumerate(ordered)]
        by_assignment = defaultdict(list)
        for lesson in lessons:
            by_assignment[lesson.assignment.id].append(lesson)
        for aid, items in by_assignment.items():
            a = by_id[aid]
            r = self._rnd("lessons", y.start, a.key, a.subject, a.group)
            held = [lesson for lesson in items if not lesson.cancelled]
            for n, lesson in enumerate(held):
                if lesson.date > y.today:
                    break
                lesson.given = True
                lesson.topic, planned = a.topics[n] if n < len(a.topics) else ("Повторение изученного", None)
                if n + 1 < len(held) and r.random() < 0.7:
                    lesson.homework = planned or f"§ {n % 40 + 1}, упр. {r.randint(1, 30)}–{r.randint(31, 60)}"
                    lesson.due = held[n + 1].id
        # A lesson's homework is due on a later one: the later lessons go in first.
        self.w.add_many(Lesson, [dict(
            id=lesson.id, org_id=self.org.id, assignment_id=lesson.assignment.id, period_id=lesson.period_id,
            date=lesson.date, number=lesson.number, shift=1, teacher_id=lesson.teacher_id, room_id=lesson.room_id,
            topic=lesson.topic, homework=lesson.homework, homework_due_lesson_id=lesson.due,
            is_cancelled=lesson.cancelled, attendance_taken=lesson.given, from_timetable=True)
            for lesson in reversed(lessons)])
        self.w.flush(Lesson)
        self.summary.lessons += len(lessons)
        return lessons

    def _changes(self, y, lessons, by_id):
        """Replacements (by a teacher free at that hour, of the same speciality if one is) and cancellations
        of whole-class lessons: `changes` of each a week."""
        rnd = self._rnd("changes", y.start)
        keys = sorted(k for k in lessons if by_id[k[0]].group == 0)
        weeks = len({day - timedelta(days=day.weekday()) for _a, day, _n in keys})
        pairs = {t for pair in self.pairs for t in pair}
        changed, substituting, rows = set(), defaultdict(set), []
        for n in range(2 * self.scale.changes * weeks if keys else 0):
            aid, day, number = rnd.choice(keys)
            a = by_id[aid]
            if (a.class_id, day, number) in changed:
                continue
            row = dict(id=None, org_id=self.org.id, year_id=y.id, date=day, class_id=a.class_id, shift=1,
                       number=number, scheduled_assignment_id=aid, assignment_id=None, teacher_id=None, room_id=None,
                       created_at=datetime.combine(day, hhmm(7, 30)))
            if n % 2 == 0:
                busy = self.busy[(day.isoweekday(), number)] | substituting[(day, number)]
                free = [t for t in range(len(self.teachers)) if t not in busy and t not in pairs]
                if not free:
                    continue
                same = [t for t in free if self.speciality.get(t, "") == SPECIALITY_OF.get(a.subject)]
                substitute = rnd.choice(same or free)
                substituting[(day, number)].add(substitute)
                row.update(kind="replace", teacher_id=self.teachers[substitute]["id"], reason="Болезнь учителя")
            else:
                row.update(kind="cancel", reason=rnd.choice(["Экскурсия", "Карантин в классе", "Олимпиада"]))
            changed.add((a.class_id, day, number))
            row["id"] = self.w.ids(TimetableChange)
            rows.append(row)
        self.w.add_many(TimetableChange, rows)
        self.w.flush(TimetableChange)
        return rows

    # the journal ----------------------------------------------------------------------------------

    def _absences(self, y, pupils):
        """{student id: {date: code}}: spells of illness («б», two to seven days) and excused days («у»)."""
        days = []
        day = y.start_date
        while day <= min(y.end_date, y.today):
            if day.isoweekday() <= 5:
                days.append(day)
            day += timedelta(days=1)
        result = {}
        for pupil in pupils:
            r = self._rnd("absence", y.start, pupil.id)
            out, i = {}, 0
            while i < len(days):
                if r.random() < pupil.absence / 3.5:
                    ill = r.random() < 0.75
                    length = r.randint(2, 7) if ill else r.randint(1, 2)
                    for d in days[i:i + length]:
                        out[d] = "б" if ill else "у"
                    i += length
                else:
                    i += 1
            result[pupil.id] = out
        return result

    def _journal(self, y, lessons):
        """Attendance, tasks and marks of every given lesson, assignment by assignment."""
        roster = defaultdict(list)  # class id -> [(pupil, first day, last day, class key)]
        for pupil in self.pupils:
            for key, start, end, _so, _eo in pupil.stays:
                if key[0] == y.start:
                    roster[self.class_id[key]].append((pupil, start, end or y.end_date, key))
        absent = self._absences(y, {p for rows in roster.values() for p, *_ in rows})
        quarter_no = {q.id: q.number for q in y.periods}
        bells = {n: hhmm(h1, m1) for n, (h1, m1, _h2, _m2) in enumerate(SCHOOL_BELLS, start=1)}
        reason_user = {self.class_id[(y.start, key)]: self.teacher_user[t] for key, t in self.class_teacher.items()}
        self.sums = defaultdict(Counter)  # (student, subject, period) -> {mark: Σ weight}
        given = defaultdict(list)
        for lesson in lessons:
            if lesson.given:
                given[lesson.assignment.id].append(lesson)
        counts = Counter()
        org = self.org.id
        marks_out, attendance = self.w.buffer(Mark), self.w.buffer(Attendance)
        for aid in sorted(given):
            items = given[aid]
            a = items[0].assignment
            subject = self.subjects[a.subject]
            marks = a.key[0] > 1 and subject.grading != Grading.NONE.value
            pass_fail = subject.grading == Grading.PASS_FAIL.value
            r = self._rnd("journal", y.start, a.key, a.subject, a.group)
            per_quarter = Counter(lesson.period_id for lesson in items)
            seen = Counter()
            homework_before = False
            for lesson in items:
                number, count = seen[lesson.period_id], per_quarter[lesson.period_id]
                seen[lesson.period_id] += 1
                q = quarter_no[lesson.period_id]
                students = [p for p, start, end, key in roster[a.class_id] if start <= lesson.date <= end
                            and (not a.group or p.subgroup.get((key[0], key[1], a.subject, q)) == a.group)]
                at = datetime.combine(lesson.date, bells[lesson.number]) + timedelta(minutes=40)
                user = self.user_of_staff[lesson.teacher_id]
                present = []
                for p in students:
                    code = absent[p.id].get(lesson.date)
                    if code is None:
                        x = r.random()
                        code = "н" if x < SINGLE_ABSENT else "оп" if x < SINGLE_ABSENT + SINGLE_LATE else None
                    if code is None or code == "оп":
                        present.append(p)
                    if code is None:
                        continue
                    row = dict(org_id=org, lesson_id=lesson.id, student_id=p.id,
                               code_id=self.codes[code], reason_note=None, document_date=None, reason_set_by_id=None,
                               reason_set_at=None, version=1, updated_by_id=user, updated_at=at)
                    if code in ("б", "у"):
                        document = lesson.date if code == "у" else min(y.today, lesson.date + timedelta(days=2))
                        row.update(reason_note="справка из поликлиники" if code == "б" else "заявление родителей",
                                   document_date=document, reason_set_by_id=reason_user[a.class_id],
                                   reason_set_at=datetime.combine(document, hhmm(14, 0)))
                    attendance.append(row)
                    counts["attendance"] += 1
                if marks and present:
                    for position, (type_name, chosen) in enumerate(
                            self._tasks(r, a.subject, number, count, homework_before, present), start=1):
                        kind = self.types[type_name]
                        task_id = self.w.ids(Task)
                        self.w.add(Task, dict(id=task_id, org_id=org, lesson_id=lesson.id, type_id=kind.id,
                                              weight=kind.default_weight, is_mandatory=kind.default_mandatory,
                                              topic=None, position=position))
                        counts["tasks"] += 1
                        shift = 0.2 if kind.default_weight >= 3 else 0.0
                        for p in chosen:
                            if pass_fail:
                                value = "зач" if r.random() < 0.94 else "незач"
                            else:
                                value = str(min(5, max(2, round(r.gauss(p.level - shift, 0.8)))))
                            marks_out.append(dict(org_id=org, task_id=task_id, student_id=p.id, value=value,
                                                  comment=None, version=1, created_by_id=user, created_at=at,
                                                  updated_by_id=user, updated_at=at))
                            self.sums[(p.id, subject.id, lesson.period_id)][value] += kind.default_weight
                            counts["marks"] += 1
                homework_before = lesson.homework is not None
            if len(marks_out) >= 5 * CHUNK:
                self.w.flush(Task, Mark, Attendance)
        self.w.flush(Task, Mark, Attendance)
        self.summary.marks += counts["marks"]
        self.summary.tasks += counts["tasks"]
        self.summary.attendance += counts["attendance"]

    def _tasks(self, r, subject, number, count, homework_before, present):
        """[(task type, students marked)] of a lesson: control works twice a quarter (a debt for who is
        absent), else answers at the lesson, often a piece of class work, sometimes homework checked."""
        if (count >= 4 and number == count - 2) or (count >= 12 and number == count // 2):
            name = "Контрольный диктант" if subject == RUS and number == count // 2 else "Контрольная работа"
            return [(name, [p for p in present if r.random() < 0.96])]
        tasks = [("Ответ на уроке", r.sample(present, min(len(present), r.randint(3, 6))))]
        x = r.random()
        if x < 0.4:
            tasks.append((r.choice(CLASSWORK.get(subject, CLASSWORK_DEFAULT)),
                          [p for p in present if r.random() < 0.9]))
        elif homework_before and x < 0.65:
            tasks.append(("Домашнее задание", r.sample(present, min(len(present), r.randint(3, 8)))))
        return [(name, chosen) for name, chosen in tasks if chosen]

    def _period_marks(self, y):
        """Period marks of the finished quarters, the mark the journal's average suggests («н/а» without
        marks), and year marks once the year is over, for the students in the class at the period's end."""
        threshold = Decimal("0.50")
        rows, quarters = [], defaultdict(list)
        final_key = {}
        for pupil in self.pupils:
            stays = [(key, start, end or y.end_date) for key, start, end, _so, _eo in pupil.stays if key[0] == y.start]
            for quarter in y.periods:
                key = next((key for key, start, end in stays if start <= quarter.end <= end), None)
                if key is None or not quarter.finished:
                    continue
                final_key[pupil.id] = key
                for name, _h in self.plan[key[1][0]]:
                    subject = self.subjects[name]
                    if key[1][0] == 1 or subject.grading == Grading.NONE.value:
                        continue
                    sums = self.sums.get((pupil.id, subject.id, quarter.id))
                    if subject.grading == Grading.PASS_FAIL.value:
                        value = ("зач" if sums["зач"] >= sums["незач"] else "незач") if sums else "н/а"
                    else:
                        average = weighted_average(sums.items()) if sums else None
                        value = str(suggested_mark(average, threshold)) if average is not None else "н/а"
                    rows.append(dict(org_id=self.org.id, student_id=pupil.id, subject_id=subject.id, year_id=y.id,
                                     kind="period", period_id=quarter.id, slot=quarter.id, value=value, version=1,
                                     set_by_id=self.teacher_user[self._teacher(pupil, key, name, quarter)],
                                     set_at=datetime.combine(quarter.end, hhmm(15, 0))))
                    quarters[(pupil, name)].append(value)
        if y.complete:
            last = y.periods[-1]
            for (pupil, name), values in quarters.items():
                key = final_key[pupil.id]
                if len(values) != len(y.periods) or name not in self.hours[key[1][0]]:
                    continue
                if self.subjects[name].grading == Grading.PASS_FAIL.value:
                    value = "зач" if all(v == "зач" for v in values) else "незач"
                else:
                    average = weighted_average((v, 1) for v in values)
                    value = str(suggested_mark(average, threshold)) if average is not None else "н/а"
                rows.append(dict(org_id=self.org.id, student_id=pupil.id, subject_id=self.subjects[name].id,
                                 year_id=y.id, kind="year", period_id=None, slot=0, value=value, version=1,
                                 set_by_id=self.teacher_user[self._teacher(pupil, key, name, last)],
                                 set_at=datetime.combine(last.end, hhmm(16, 0))))
        self.w.add_many(PeriodMark, rows)
        self.w.flush(PeriodMark)
        self.summary.period_marks += len(rows)
        self.sums = None

    def _teacher(self, pupil, key, subject, quarter):
        """The subject's teacher of the student (of his subgroup in a split class) in a quarter."""
        teacher = self.teacher_of[(key[1], subject)]
        if isinstance(teacher, tuple):
            return teacher[pupil.subgroup.get((key[0], key[1], subject, quarter.number), 1) - 1]
        return teacher


def _stays_in(pupil, class_key, start, end):
    return any(key == class_key and s <= end and (e is None or e >= start) for key, s, e, _so, _eo in pupil.stays)


def _unique_login(base, taken):
    """`base`, or `base2`, `base3` …: the first login not taken in the installation (loaded once)."""
    login, n = base, 1
    while login in taken:
        n += 1
        login = f"{base}{n}"
    taken.add(login)
    return login


FEMALE_FIRST = ["Анна", "Мария", "Дарья", "Полина", "София", "Ксения", "Алина"]
MALE_FIRST = ["Иван", "Артём", "Максим", "Егор", "Кирилл", "Тимофей", "Роман"]
