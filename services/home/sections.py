"""The start page of an actor: one section per role he holds (a person with several roles sees each).

- a teacher: today's lessons, what they lack (topic, roll call), his journal debts from the control
  page (past lessons without topic or roll call, period marks due, КТП);
- a class teacher: his class's absences without reason, cards and accounts not complete, the class
  reports of periods that end soon or have just ended;
- a parent or a student: marks since the last visit, the homework of the next school day, the week
  in brief;
- everyone: the announcements that concern him, shown today (services/announcements/board.py);
- the administration (admin, deputy, director, HR): the control page's overdue and near items by section;
- everyone with a control page: «На этой неделе» — what is due from Monday to Sunday of this week in his roles'
  sections (the control page's row filters: a teacher his lessons and reports, a class teacher his class), each
  deadline counted in working days by the organization's rules (services/control/rules.py).

The control page's sections are computed for the actor acting in that role only (`acting_as`), so a
deputy who also teaches finds his own lessons under «Учитель» and the school's under «Администрация».
"""
from dataclasses import dataclass, field, replace
from datetime import timedelta

from sqlalchemy import func, select

from models import Parent, Period, Role, SchoolClass, Staff, Student, StudentStatus, db
from services import clock, dates, permissions
from services.announcements import board as announcements
from services.control import deadlines
from services.terms import kind_phrase
from services.journal import diary, flags as mark_flags, today as journal_today

ADMINISTRATION = (Role.ADMIN.value, Role.DEPUTY.value, Role.DIRECTOR.value, Role.HR.value)
TEACHER_SECTIONS = ("lessons", "homework", "period_marks", "planning", "reports")
# What a teacher's part of a control section is about (for him «planning» is his КТП only).
TEACHER_TITLES = {"lessons": "Темы уроков и посещаемость", "planning": "Календарно-тематическое планирование",
                  "reports": kind_phrase("Отчёт учителя-предметника")}
CLASS_SECTIONS = ("requests", "absences", "cards", "accounts", "questions", "reports")
CLASS_TITLES = {"reports": kind_phrase("Отчёты классного руководителя")}  # «куратора» in a college
REPORT_BEFORE = timedelta(days=7)  # a class report is listed from a week before its period ends …
REPORT_AFTER = timedelta(days=14)  # … until two weeks after, while the period is open
ITEMS_SHOWN = 5  # items of a control section on the start page; the control page has all


def acting_as(actor, roles):
    """The actor holding only `roles` (of his own): what the permission table gives that role alone."""
    clone = replace(actor, _roles=frozenset(roles) & actor.roles)
    for cached in ("_staff_facts", "child_ids", "user_id"):
        if cached in actor.__dict__:
            clone.__dict__[cached] = actor.__dict__[cached]
    return clone


@dataclass
class Due:
    """A control page's section on the start page: its items to act on (overdue, due soon)."""
    key: str
    title: str
    items: list
    more: int = 0  # items not shown
    more_overdue: int = 0  # … of them overdue

    @property
    def overdue(self):
        return sum(1 for i in self.items if i.overdue) + self.more_overdue


def _due(result, keys=None, titles=None):
    """The sections of a control result with something to do (the late-but-done facts left to the control page)."""
    out = []
    for section in result.sections:
        if keys is not None and section.key not in keys:
            continue
        items = [i for i in section.items if i.state in ("overdue", "soon")]
        if items:
            hidden = items[ITEMS_SHOWN:]
            title = (titles or {}).get(section.key, section.title)
            out.append(Due(section.key, title, items[:ITEMS_SHOWN], len(hidden),
                           sum(1 for i in hidden if i.overdue)))
    if keys is not None:
        out.sort(key=lambda due: keys.index(due.key))
    return out


@dataclass
class TeacherHome:
    day: object
    lessons: list  # journal.today.TodayLesson
    debts: list  # Due
    flags: list = field(default_factory=list)  # journal.flags.FlagItem: «Отметки, отмеченные как ошибочные»
    more_flags: bool = False


@dataclass
class ClassReport:
    class_id: int
    class_name: str
    period_id: int
    period_name: str
    due: object


@dataclass
class ClassTeacherHome:
    classes: list  # names
    due: list  # Due
    reports: list  # ClassReport


@dataclass
class FamilyHome:
    since: object  # stored UTC
    new_marks: list  # journal.today.NewMark
    weeks: list  # journal.today.ChildWeek
    names: dict  # child id → name (for the marks of several children)
    announcements: list = field(default_factory=list)  # shown for every role: Home.announcements


@dataclass
class AdminHome:
    counts: dict
    due: list  # Due
    overdue: int
    soon: int
    flags: list = field(default_factory=list)  # the open «отметка ошибочна» flags the deputy may answer
    more_flags: bool = False


@dataclass
class WeekItem:
    """A deadline of this week on the start page: its day, what, the control section it is in."""
    due: object
    title: str
    section: str
    item: object  # deadlines.Item (its link, its state)

    @property
    def overdue(self):
        return self.item.overdue


@dataclass
class Home:
    today: object
    teacher: TeacherHome | None = None
    class_teacher: ClassTeacherHome | None = None
    family: FamilyHome | None = None
    admin: AdminHome | None = None
    announcements: list = field(default_factory=list)  # models.Announcement, newest first
    more_announcements: bool = False  # more on the «Объявления» page
    week: list = field(default_factory=list)  # WeekItem: due this week (Monday … Sunday), by day


def week_of(today):
    """(Monday, Sunday) of the week of `today`."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def _week(results, today):
    """The items of the control results (one per role) due this week and not done: overdue since Monday, or due
    from today to Sunday; each deadline once."""
    monday, sunday = week_of(today)
    seen, out = set(), []
    for result, keys, titles in results:
        for section in result.sections:
            if keys is not None and section.key not in keys:
                continue
            for item in section.items:
                if item.state not in ("overdue", "soon") or not monday <= item.due <= sunday:
                    continue
                if (item.title, item.due) in seen:
                    continue
                seen.add((item.title, item.due))
                out.append(WeekItem(item.due, item.title, (titles or {}).get(section.key, section.title), item))
    out.sort(key=lambda w: (w.due, str(w.section), w.title))
    return out


def _control(actor, today):
    """The control page of the actor in one role, due-soon reaching the end of this week."""
    return deadlines.control(actor, today, until=week_of(today)[1])


def build(actor, since=None, today=None):
    """The start page of the actor. `since`: the stored UTC moment a parent's or a student's news count
    from (services/home/visits.py), read only when he has a diary."""
    home = Home(today=today or (dates.today(actor.org) if actor.org is not None else None))
    if actor.org is None:
        return home
    today = home.today
    shown, total = announcements.for_home(actor, today)
    home.announcements, home.more_announcements = shown, total > len(shown)
    results = []
    if actor.has(Role.TEACHER) and actor.staff_id:
        home.teacher = teacher_home(acting_as(actor, {Role.TEACHER.value}), today, results)
    if actor.has(Role.CLASS_TEACHER) and actor.own_class_ids:
        home.class_teacher = class_teacher_home(acting_as(actor, {Role.CLASS_TEACHER.value}), today, results)
    if actor.has(Role.PARENT, Role.STUDENT):
        home.family = family_home(acting_as(actor, {Role.PARENT.value, Role.STUDENT.value}), today, since)
    if actor.has(*ADMINISTRATION):
        home.admin = admin_home(acting_as(actor, set(ADMINISTRATION)), today, results)
    home.week = _week(results, today)
    return home


def teacher_home(actor, today, results=None):
    lessons = journal_today.teacher_lessons(actor, today)
    result = _control(actor, today)
    if results is not None:
        results.append((result, TEACHER_SECTIONS, TEACHER_TITLES))
    flags = mark_flags.open_flags(actor, limit=ITEMS_SHOWN + 1)
    return TeacherHome(today, lessons, _due(result, TEACHER_SECTIONS, TEACHER_TITLES), flags[:ITEMS_SHOWN],
                       len(flags) > ITEMS_SHOWN)


def class_teacher_home(actor, today, results=None):
    classes = db.session.execute(
        select(SchoolClass.id, SchoolClass.name, Period.id, Period.name, Period.end_date)
        .outerjoin(Period, (Period.year_id == SchoolClass.year_id) & Period.is_closed.is_(False)
                   & (Period.end_date >= today - REPORT_AFTER) & (Period.end_date <= today + REPORT_BEFORE))
        .where(SchoolClass.id.in_(actor.own_class_ids))
        .order_by(SchoolClass.name, Period.end_date, Period.type)).all()
    names = list(dict.fromkeys(r[1] for r in classes))
    reports = [ClassReport(*r) for r in classes if r[2] is not None]
    result = _control(actor, today)
    if results is not None:
        results.append((result, CLASS_SECTIONS, CLASS_TITLES))
    return ClassTeacherHome(names, _due(result, CLASS_SECTIONS, CLASS_TITLES), reports)


def family_home(actor, today, since):
    children = diary.diary_children(actor)
    since = since if since is not None else clock.day_start(today - timedelta(days=7), actor.org)
    weeks = [journal_today.child_week(child, today) for child in children]
    return FamilyHome(since, journal_today.new_marks(children, since), weeks, {c.id: c.name for c in children})


def admin_home(actor, today, results=None):
    counts = {}
    if permissions.allowed(actor, "organization", "head_count"):
        counts = {
            "Обучающихся": db.session.scalar(select(func.count(Student.id)).where(
                Student.status == StudentStatus.STUDYING.value)),
            "Сотрудников": db.session.scalar(select(func.count(Staff.id)).where(Staff.dismissal_date.is_(None))),
            "Родителей": db.session.scalar(select(func.count(Parent.id))),
        }
    flags = mark_flags.open_flags(actor, limit=ITEMS_SHOWN + 1)
    if not permissions.allowed(actor, "control", "list"):
        return AdminHome(counts, [], 0, 0, flags[:ITEMS_SHOWN], len(flags) > ITEMS_SHOWN)
    result = _control(actor, today)
    if results is not None:
        results.append((result, None, None))
    return AdminHome(counts, _due(result), result.overdue, result.soon, flags[:ITEMS_SHOWN], len(flags) > ITEMS_SHOWN)
