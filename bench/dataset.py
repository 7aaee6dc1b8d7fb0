"""The benchmark's databases and data.

- `Database`: a fresh SQLite file in a temporary directory, or a throwaway PostgreSQL database on
  127.0.0.1:5432 (user postgres; `BENCH_PG_URL` names another server, `BENCH_PG_PREFIX` the
  prefix of the databases' names), dropped afterwards.
- `prepare()`: the schema by the migrations, then the data set — `services/demo/large/` when it
  exists, else the small demo school (`services/demo/school.py`). A loaded SQLite file is kept in
  `bench/out/cache/` and copied for the next run with the same size, seed, history, code and day.
- `grant_logins()`: real cards of the set (teachers, parents, the administrator) get a login with
  the bench password; one Argon2 hash (today's parameters) serves them all.
- `journal_targets()`, `diary_targets()`, `report_targets()`: what each measurement works on —
  a teacher's journal of a class of about 30 students, a lesson he may still write into (its
  period open, no period mark yet), a parent's child and a week with lessons, a class and a period.
"""
import hashlib
import logging
import os
import secrets
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import count
from pathlib import Path

import psycopg
from flask_migrate import upgrade
from sqlalchemy import func, select, update

from app import create_app
from models import (Lesson, Organization, Parent, Period, PeriodMark, PeriodMarkKind, Role, SchoolClass, Staff,
                    StaffRole, Student, StudentStatus, Subject, Task, TeachingAssignment, User, db, student_parent)
from models import TeachingAssignment as TA
from services import clock, dates
from services.demo.school import create_demo
from services.journal.diary import week_start
from services.journal.policy import mark_values
from services.movement.roster import rosters_between
from services.people import accounts
from services.org.years import current_year

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CACHE = OUT / "cache"
PASSWORD = "bench-pass-2026"
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_PREFIX = os.environ.get("BENCH_PG_PREFIX", "journal_bench")
SIZES = ("large", "tiny")
_numbers = count(1)


class BenchError(Exception):
    """The harness cannot go on (no database server, nothing to measure …); a Russian message."""


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- databases ---------------------------------------------------------------------------------------------

def _plain(url):
    """A SQLAlchemy URL → what psycopg accepts."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def pg_server_version():
    try:
        with psycopg.connect(_plain(PG_SERVER), connect_timeout=5) as conn:
            return conn.execute("show server_version").fetchone()[0]
    except psycopg.Error:
        return None


@dataclass
class Database:
    kind: str  # sqlite | postgresql
    url: str
    name: str  # the file (SQLite) or the database's name (PostgreSQL)
    tmpdir: str | None = None
    kept: bool = False  # a named PostgreSQL database kept between runs (see prepare(keep=True)): never dropped

    @classmethod
    def create(cls, kind):
        if kind == "sqlite":
            tmpdir = tempfile.mkdtemp(prefix="journal-bench-")
            path = Path(tmpdir) / "bench.db"
            return cls(kind, f"sqlite:///{path}", str(path), tmpdir)
        name = f"{PG_PREFIX}_{os.getpid()}_{next(_numbers)}"
        base = PG_SERVER.rsplit("/", 1)[0]
        try:
            with psycopg.connect(_plain(PG_SERVER), autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as exc:
            raise BenchError(f"PostgreSQL недоступен ({PG_SERVER}): {exc}") from None
        return cls(kind, f"{base}/{name}", name)

    @classmethod
    def named(cls, name):
        """The kept PostgreSQL database `name` → (Database, whether it holds a loaded set): created
        empty when it is not there; a half-loaded one (no mark of a finished load) is made anew."""
        base = PG_SERVER.rsplit("/", 1)[0]
        try:
            with psycopg.connect(_plain(PG_SERVER), autocommit=True, connect_timeout=5) as conn:
                row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                                   (name,)).fetchone()
                loaded = row is not None and (row[0] or "").startswith(LOADED_MARK)
                if not loaded:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as exc:
            raise BenchError(f"PostgreSQL недоступен ({PG_SERVER}): {exc}") from None
        return cls("postgresql", f"{base}/{name}", name, kept=True), loaded

    def mark_loaded(self, text):
        with psycopg.connect(_plain(PG_SERVER), autocommit=True, connect_timeout=5) as conn:
            comment = f"{LOADED_MARK} {text}".replace("'", "")
            conn.execute(f"COMMENT ON DATABASE \"{self.name}\" IS '{comment}'")

    def drop(self):
        if self.kept:
            return
        if self.kind == "sqlite":
            if self.tmpdir:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
            return
        with psycopg.connect(_plain(PG_SERVER), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def make_app(url):
    """The application as a server runs it (CSRF on, production password hashing)."""
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key"})


TODAY_ENV = "BENCH_TODAY"


def server_app():
    """The application gunicorn serves in the load test (bench/load.py Server): create_app() on the
    clock of the data set's «today» (BENCH_TODAY, дд.мм.гггг or ISO; see set_today)."""
    today = dates.parse_date(os.environ.get(TODAY_ENV) or "")
    if today is not None:
        clock.freeze(today)
    return create_app()


def dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# -- the data set ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Config:
    """One data set: its size, seed, past years and number of schools in the database."""

    size: str = "large"
    seed: int = 2026
    years: int = 0
    schools: int = 1

    @property
    def label(self):
        parts = [self.size]
        if self.years:
            parts.append(f"+{self.years} прошлых лет")
        if self.schools > 1:
            parts.append(f"{self.schools} школ в базе")
        return ", ".join(parts)


def generator():
    """services/demo/large/run.py, or None while it is not there."""
    try:
        from services.demo.large import run as demo_large  # noqa: PLC0415 — optional: services/demo/large/ may be absent
    except ImportError:
        return None
    return demo_large


def generator_name():
    return "services/demo/large/" if generator() is not None else "services/demo/school.py (малая демо-школа)"


def _code_hash(config, today):
    digest = hashlib.sha1(repr((config, today.isoformat())).encode())
    sources = sorted((ROOT / "migrations" / "versions").glob("*.py"))
    sources += sorted((ROOT / "services" / "demo").rglob("*.py"))
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def load_dataset(config, today):
    """Fill the (empty, migrated) database of the current application context with the data set."""
    gen = generator()
    if gen is None:
        if config.years or config.schools > 1:
            raise BenchError("история (прошлые годы, другие школы) требует services/demo/large/")
        create_demo(password=PASSWORD, seed=config.seed, today=today)
        db.session.commit()
        return
    gen.create_large_demo(size=config.size, years=config.years, schools=config.schools, seed=config.seed,
                          password=PASSWORD, today=today, echo=lambda line: log(f"  {line}"))
    db.session.commit()


def set_today():
    """«Today» of the data set: the last day of the 4th quarter of the current academic year (every
    lesson of the year given, the 4th quarter still open) with services/demo/large/; the real date
    with the small demo. The application of this process runs on it from now on (services/clock.freeze;
    gunicorn's: server_app): its lessons up to it are given, so the journal takes their marks — none
    is taken on a lesson after the organization's today (issue 15.6)."""
    gen = generator()
    today = gen.default_today() if gen is not None else date.today()
    clock.freeze(today)
    return today


LOADED_MARK = "bench: loaded"


def kept_name(config):
    """The name of the kept PostgreSQL database of a data set (`--keep-pg`): BENCH_PG_PREFIX and the set."""
    return f"{PG_PREFIX}_{config.size}_s{config.seed}_y{config.years}_n{config.schools}"


def prepare(kind, config, today, use_cache=True, keep=False):
    """A fresh database of `kind` with the schema and the data set → (Database, app).

    `keep` (PostgreSQL): the database `kept_name(config)` is kept after the run and reused by the next
    one with the same set — the migrations added since are applied to it (as to a real school's
    database), the data is not loaded again. A 50-school set takes ≈ half an hour to load."""

    if kind == "postgresql" and keep:
        database, loaded = Database.named(kept_name(config))
        app = make_app(database.url)
        if loaded:
            with app.app_context():
                upgrade()
                logging.getLogger("alembic").setLevel(logging.WARNING)
            log(f"{kind}: набор «{config.label}» из сохранённой базы {database.name}")
            return database, app
        started = time.perf_counter()
        with app.app_context():
            upgrade()
            logging.getLogger("alembic").setLevel(logging.WARNING)
            log(f"{kind}: загрузка набора «{config.label}» ({generator_name()}) в сохраняемую базу {database.name} …")
            load_dataset(config, today)
        seconds = time.perf_counter() - started
        log(f"{kind}: набор загружен за {seconds:.0f} с")
        database.mark_loaded(f"{config.label}; seed {config.seed}; today {today.isoformat()}; "
                             f"{seconds:.0f} s; {time.strftime('%Y-%m-%d %H:%M')}")
        return database, app
    database = Database.create(kind)
    cached = CACHE / f"{config.size}-s{config.seed}-y{config.years}-n{config.schools}-{_code_hash(config, today)}.db"
    if kind == "sqlite" and use_cache and cached.exists():
        log(f"SQLite: набор «{config.label}» из кэша {cached.name}")
        shutil.copyfile(cached, database.name)
        return database, make_app(database.url)
    app = make_app(database.url)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        logging.getLogger("alembic").setLevel(logging.WARNING)
        log(f"{kind}: загрузка набора «{config.label}» ({generator_name()}) …")
        load_dataset(config, today)
    log(f"{kind}: набор загружен за {time.perf_counter() - started:.0f} с")
    if kind == "sqlite" and use_cache:
        dispose(app)
        CACHE.mkdir(parents=True, exist_ok=True)
        for old in CACHE.glob(f"{config.size}-s{config.seed}-y{config.years}-n{config.schools}-*.db"):
            old.unlink()
        shutil.copyfile(database.name, str(cached) + ".part")
        os.replace(str(cached) + ".part", cached)
    return database, app


# -- accounts ----------------------------------------------------------------------------------------------

def grant_logins(staff_ids=(), parent_ids=(), prefix="bench"):
    """{("staff"|"parent", id): login}: each card gets a login with the bench password (an existing
    account is reused, its password replaced: the database is the bench's own)."""


    password_hash = accounts.hash_password(PASSWORD)
    result = {}
    for kind, model, ids in (("staff", Staff, staff_ids), ("parent", Parent, parent_ids)):
        ids = list(dict.fromkeys(ids))
        if not ids:
            continue
        cards = db.session.execute(select(model.id, model.user_id).where(model.id.in_(ids))).all()
        existing = {user_id: card_id for card_id, user_id in cards if user_id is not None}
        if existing:
            db.session.execute(update(User).where(User.id.in_(existing)).values(
                password_hash=password_hash, must_change_password=False, is_blocked=False))
            for user_id, login in db.session.execute(select(User.id, User.login).where(User.id.in_(existing))):
                result[(kind, existing[user_id])] = login
        for card_id, user_id in cards:
            if user_id is not None:
                continue
            login = f"{prefix}.{kind[0]}{card_id}"
            user = User(login=login, password_hash=password_hash, must_change_password=False,
                        session_token=secrets.token_urlsafe(32), display_name=login)
            db.session.add(user)
            db.session.flush()
            db.session.execute(update(model).where(model.id == card_id).values(user_id=user.id))
            result[(kind, card_id)] = login
    db.session.commit()
    return result


# -- what to measure ---------------------------------------------------------------------------------------

@dataclass
class JournalTarget:
    staff_id: int
    assignment_id: int
    class_id: int
    class_name: str
    subject_name: str
    period_id: int  # the open period of the lesson below
    lesson_id: int
    lesson_date: date
    task_id: int
    student_ids: list  # may be written on that lesson
    roster_size: int  # students in the class on the lesson's date
    values: tuple  # the marks allowed in this journal
    login: str = ""


@dataclass
class DiaryTarget:
    parent_id: int
    student_id: int
    class_id: int
    week: date  # a Monday with lessons of the child's class
    login: str = ""


@dataclass
class Targets:
    org_id: int
    org_name: str
    year_id: int
    year_name: str
    today: date
    journals: list = field(default_factory=list)
    diaries: list = field(default_factory=list)
    # the grid: [(period id, label)] — the open period the teacher writes in, and the period with the
    # most lessons when it is another one (closed: the teacher reads it)
    grids: list = field(default_factory=list)
    admin_staff_id: int | None = None
    admin_login: str = ""
    report_class: str = ""
    report_class_id: int | None = None
    report_period: str = ""
    report_period_id: int | None = None
    report_student_id: int | None = None  # the report card's student: the first of the main journal's class


def first_org():
    org = db.session.scalar(select(Organization).order_by(Organization.id).limit(1))
    if org is None:
        raise BenchError("в базе нет ни одной организации: набор данных не загружен")
    return org


def journal_targets(org, year, today, wanted):
    """Up to `wanted` journals of different teachers, classes nearest 30 students first, each with
    its latest lesson (up to today, in the open period) that has a task."""


    periods = db.session.scalars(select(Period).where(Period.year_id == year.id).order_by(Period.start_date)).all()
    open_periods = [p for p in periods if not p.is_closed and p.start_date <= today]
    if not open_periods:
        raise BenchError(f"в {year.name} учебном году нет открытого периода, начавшегося до {today:%d.%m.%Y}")
    period = open_periods[-1]
    rows = db.session.execute(
        select(TA, SchoolClass, Subject).join(SchoolClass, SchoolClass.id == TA.class_id)
        .join(Subject, Subject.id == TA.subject_id)
        .where(TA.org_id == org.id, TA.year_id == year.id, TA.subgroup_id.is_(None), TA.teacher_id.is_not(None))
        .order_by(TA.id)).all()
    assignments = {}
    for assignment, klass, subject in rows:
        values = tuple(mark_values(subject, klass, org))
        if len(values) >= 2:
            assignments[assignment.id] = (assignment, klass, subject, values)
    if not assignments:
        raise BenchError("нет журналов с отметками (учебная нагрузка без подгрупп)")
    last_lesson = {}
    for assignment_id, lesson_id, day, task_id in db.session.execute(
            select(Lesson.assignment_id, Lesson.id, Lesson.date, func.min(Task.id))
            .join(Task, Task.lesson_id == Lesson.id)
            .where(Lesson.assignment_id.in_(assignments), Lesson.is_cancelled.is_(False),
                   Lesson.date >= period.start_date, Lesson.date <= min(today, period.end_date))
            .group_by(Lesson.assignment_id, Lesson.id, Lesson.date)):
        best = last_lesson.get(assignment_id)
        if best is None or (day, lesson_id) > (best[1], best[0]):
            last_lesson[assignment_id] = (lesson_id, day, task_id)
    class_ids = {assignments[a][1].id for a in last_lesson}
    rosters = rosters_between(class_ids, period.start_date, min(today, period.end_date))
    closed = set(db.session.execute(
        select(PeriodMark.student_id, PeriodMark.subject_id).where(
            PeriodMark.year_id == year.id, PeriodMark.kind == PeriodMarkKind.PERIOD.value,
            PeriodMark.period_id == period.id)).all())
    candidates = []
    for assignment_id, (lesson_id, day, task_id) in last_lesson.items():
        assignment, klass, subject, values = assignments[assignment_id]
        present = [e for e in rosters.get(klass.id, []) if e.covers(day)]
        students = [e.student.id for e in present if e.student.status == StudentStatus.STUDYING.value
                    and (e.student.id, subject.id) not in closed]
        if len(students) < 2:
            continue
        candidates.append(JournalTarget(assignment.teacher_id, assignment.id, klass.id, klass.name, subject.name,
                                        period.id, lesson_id, day, task_id, students, len(present), values))
    candidates.sort(key=lambda t: (abs(t.roster_size - 30), -t.roster_size, t.assignment_id))
    chosen, teachers = [], set()
    for target in candidates:
        if target.staff_id not in teachers:
            teachers.add(target.staff_id)
            chosen.append(target)
        if len(chosen) >= wanted:
            break
    if not chosen:
        raise BenchError(f"нет урока с заданием в открытом периоде «{period.name}» до {today:%d.%m.%Y}")
    return chosen


def period_lessons(assignment_id):
    """[(period, lessons of the assignment in it)] of the assignment's year, in order."""

    rows = db.session.execute(
        select(Period, func.count(Lesson.id)).join(TeachingAssignment, TeachingAssignment.year_id == Period.year_id)
        .outerjoin(Lesson, (Lesson.assignment_id == TeachingAssignment.id) & (Lesson.date >= Period.start_date)
                   & (Lesson.date <= Period.end_date))
        .where(TeachingAssignment.id == assignment_id)
        .group_by(Period.id).order_by(Period.start_date)).all()
    return [(period, lessons) for period, lessons in rows]


def diary_targets(org, year, today, wanted):
    """Up to `wanted` parents, each with one child studying in a class of the year and a week of it
    with lessons (the latest up to today)."""


    rows = db.session.execute(
        select(Parent.id, Student.id, Student.class_id)
        .join(student_parent, student_parent.c.parent_id == Parent.id)
        .join(Student, Student.id == student_parent.c.student_id)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(Parent.org_id == org.id, SchoolClass.year_id == year.id,
               Student.status == StudentStatus.STUDYING.value)
        .order_by(Parent.id, Student.id)).all()
    last_day = dict(db.session.execute(
        select(TeachingAssignment.class_id, func.max(Lesson.date))
        .join(Lesson, Lesson.assignment_id == TeachingAssignment.id)
        .where(TeachingAssignment.year_id == year.id, Lesson.date <= today, Lesson.is_cancelled.is_(False))
        .group_by(TeachingAssignment.class_id)).all())
    chosen, parents, by_class = [], set(), defaultdict(int)
    # spread over classes: a parent of every class before a second parent of any
    for parent_id, student_id, class_id in sorted(rows, key=lambda r: (r[0] * 7919) % 100_003):
        if parent_id in parents or class_id not in last_day:
            continue
        by_class[class_id] += 1
        parents.add(parent_id)
        chosen.append((by_class[class_id], DiaryTarget(parent_id, student_id, class_id,
                                                       week_start(last_day[class_id]))))
    chosen.sort(key=lambda item: item[0])
    result = [target for _, target in chosen[:wanted]]
    if not result:
        raise BenchError("нет родителя, у ребёнка которого были уроки")
    return result


def admin_staff(org):
    for role in (Role.ADMIN.value, Role.DEPUTY.value, Role.DIRECTOR.value):
        staff_id = db.session.scalar(select(Staff.id).join(StaffRole, StaffRole.staff_id == Staff.id)
                                     .where(Staff.org_id == org.id, StaffRole.role == role)
                                     .order_by(Staff.id).limit(1))
        if staff_id:
            return staff_id
    raise BenchError("нет сотрудника с ролью администратора, заместителя или директора")


def targets(today, teachers=1, parents=1, org_id=None):
    """Everything the measurements need, with logins granted; in the current application context.
    On the first organization, or on `org_id`."""

    org = db.session.get(Organization, org_id) if org_id is not None else first_org()
    year = current_year(org, today)
    if year is None:
        raise BenchError("у организации нет учебного года")
    t = Targets(org.id, org.short_name or org.full_name, year.id, year.name, today)
    t.journals = journal_targets(org, year, today, teachers)
    t.diaries = diary_targets(org, year, today, parents)
    t.admin_staff_id = admin_staff(org)
    logins = grant_logins([j.staff_id for j in t.journals] + [t.admin_staff_id], [d.parent_id for d in t.diaries])
    for j in t.journals:
        j.login = logins[("staff", j.staff_id)]
    for d in t.diaries:
        d.login = logins[("parent", d.parent_id)]
    t.admin_login = logins[("staff", t.admin_staff_id)]
    main = t.journals[0]
    by_period = period_lessons(main.assignment_id)
    longest = max(by_period, key=lambda r: (r[1], r[0].start_date))
    for period, lessons in by_period:
        if period.id == main.period_id or period.id == longest[0].id:
            state = "закрыта, просмотр" if period.is_closed else "открыта, правка"
            t.grids.append((period.id, f"{period.name} ({state}), {lessons} ур."))
    t.report_class, t.report_class_id = main.class_name, main.class_id
    t.report_student_id = main.student_ids[0]
    # «Итоги успеваемости»: the last period that is over (its period marks are set), else the current

    periods = db.session.scalars(select(Period).where(Period.year_id == year.id).order_by(Period.start_date)).all()
    over = [p for p in periods if p.end_date < today] or periods[:1]
    t.report_period, t.report_period_id = over[-1].name, over[-1].id
    return t
