"""The entry point: `create_large_demo` (the `demo-data --size large|tiny` command and bench/dataset.py),
its Summary and the logins it made."""
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from models import Organization, Parent, Staff, StaffRole, User, db
from services import clock, uow
from services.people import accounts
from services.database import long_statements
from services.demo.school import DemoRefused, school_calendar
from services.demo.large.data import SCALES
from services.demo.large.writer import _Writer
from services.demo.large.school import _School

BENCH_PASSWORD = "bench-pass-2026"
SIZES = ("tiny", "large")


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
    uow.checkpoint("ANALYZE reads the loaded rows from a connection of its own")
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
