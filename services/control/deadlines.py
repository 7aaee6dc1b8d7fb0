"""Deadline control (SPEC §3 rule 5): what is overdue or due soon, per role, in working days.

The regulations' deadlines, each counted in the organization's working-day calendar
(services/org/calendar.py):

- a student's card within 1 working day of the enrollment order (seed 000 §4.2), its data by
  15 September (seed 001 §5.9), the federal contingent register's data in the first week of September
  (seed 000 §4.3; services/people/contingent.py says what is missing);
- accounts within 3 working days of the enrollment or the hiring (seed 001 §2.6);
- absence reasons within 2 working days (seed 001 §8.5);
- lesson topics on the lesson's day (§8.6); period marks by the period's last day (§8.7);
- the curriculum, the КТП and the timetable by 15 September (§§6.4, 6.6, 7.3);
- holidays 2 weeks before they begin (§7.3);
- the new academic year and the organization's card by 15 September (§§3.3, 4.2);
- the weekly printed progress report on a parent's written request (§8.12): a week's print by the end of
  the first working day after the week (services/journal/paper_reports.py);
- issue 17.5 — the movement book (seed 001 §9.2, seed 000 §4.2): enrollment and withdrawal orders within 3
  working days of the event (the order's effective date), expulsion within 1; an order counts as issued on the
  later of its date and the day it was applied (a backdated order entered late is late); a draft past its
  deadline is overdue. Transfers to the next year, repeaters and graduates by 31 August: students still in a
  class of a year that has ended; the first classes 1–7 September: a first class of the year with nobody in it;
- homework on every past lesson of an open period, on the lesson's day (seed 001 §8.10);
- the reports (seed 001 §§10.3–10.4, seed 000 §6.1): a class's period reports (the class teacher's report,
  «Сводная ведомость учёта успеваемости» or «Итоги успеваемости класса», «Сводная ведомость учёта посещаемости»)
  and «Отчёт учителя-предметника» within 1 working day after each period its lessons ran in, the two summary
  reports within 2; the preliminary report at least every 14 days and the attendance report every 31 (from the
  last build, or from the year's start), «Итоговые данные» by 1 October, «Отчёт по активности пользователей»
  every 14 days (its registry name is the one constant ACTIVITY_REPORT).

A report counts as made when it was built (shown or written: the page, .xlsx, JSON, `flask report run`) on or
after the period's last day: models.ReportBuild, written by reports/document.log_read with the class, period and
teacher it was built for (services/control/report_builds.py says why not the access log: that keeps only reports
naming others' students, as text, and is pruned). A report built for the class (or for no period: the year's
ledger) counts for that class; the school's «Итоговые данные» counts for every class.

Every number of days and every date above is the organization's rule (services/control/rules.py: the seeds'
values by default, «Сроки регламента» to adjust them; a rule switched off is not checked).

Who sees which section is the permission table's "control_*" keys; their row filters limit the
rows (a teacher his lessons, a class teacher his class). Every section is a few set-based
statements whatever the size of the school: nothing here runs a query per lesson or per student.
An item names what is wrong, its deadline, how many working days it is late, and where it is
fixed (an endpoint and its arguments; the page turns it into a link).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, or_, select

from models import (AbsenceKind, AcademicYear, Attendance, AttendanceCode, ClassMembership, Holiday, Lesson,
                    MessageCopy, MovementItem, MovementKind, MovementOrder, Notification, OrderStatus, ReportBuild,
                    Parent, Period, SchoolClass, Staff, Student, StudentStatus, Subject,
                    TeachingAssignment, ThematicPlanTopic, TimetableEntry, db, student_parent)
from services import dates, permissions
from services.control import rules as deadline_rules
from services.org.calendar import WorkingCalendar
from services.org.years import current_year
from services.terms import college_words
from services.errors import PermissionDenied
from services.journal.missing_marks import missing_period_marks
from services.journal import paper_reports
from services.rollover.year import year_done
from services.messages import questions
from services.planning.curriculum import CurriculumIndex
from services.people import requests as data_requests
from services.people import contingent
from services.people.contingent import PASSPORT_AGE

SOON = 3  # working days ahead that count as «due soon»
SOON_LONG = 10  # … for the deadlines of 15 September and the holidays
LATE_WINDOW = timedelta(days=30)  # cards entered late are listed for a month
GROUP_OVER = 30  # more rows than this are grouped by class
_CARD_COLUMNS = {"address", "birth_certificate_number", "birth_date", "passport_number"}


def september_15(year, rules=None):
    """The «15 September» deadline of a year (the rule `planning` unless another is named)."""
    rule = (rules or deadline_rules.Rules())["planning"] if not isinstance(rules, deadline_rules.Rule) else rules
    return rule.date_in(year.start_date.year)


# -- working days, fast for many rows ---------------------------------------------------------------

class Days:
    """Working-day arithmetic over one loaded calendar; answers are memoized, so thousands of rows
    with a few hundred distinct dates cost little."""

    def __init__(self, org_id, today, since=None, rules=None):
        self.rules = rules if rules is not None else deadline_rules.load(org_id)
        self.until = None  # items due up to this day count as «due soon» too (the start page's week)
        start = min(since or today, today) - timedelta(days=31)
        self.today = today
        self.start, end = start, today + timedelta(days=400)
        self.calendar = WorkingCalendar(org_id, start, end)
        self._after, self._between = {}, {}
        # Working days counted from `start`: a difference of two gives the days between them at once.
        self._count, total = [], 0
        for n in range((end - start).days + 1):
            total += self.calendar.is_working(start + timedelta(days=n))
            self._count.append(total)

    def after(self, start, count):
        """The deadline `count` working days after `start`."""
        key = (start, count)
        if key not in self._after:
            self._after[key] = self.calendar.add_working_days(start, count)
        return self._after[key]

    def between(self, start, end):
        """Working days after `start` up to and including `end`."""
        i, j = (start - self.start).days, (end - self.start).days
        if 0 <= i <= j < len(self._count):
            return self._count[j] - self._count[i]
        key = (start, end)
        if key not in self._between:
            self._between[key] = self.calendar.working_days_between(start, end)
        return self._between[key]

    def is_working(self, day):
        return self.calendar.is_working(day)


# -- what the page shows -----------------------------------------------------------------------------

@dataclass
class Item:
    title: str
    due: date
    state: str  # "overdue", "soon" (not yet late) or "late" (done, but after the deadline)
    late_days: int = 0  # working days past the deadline
    detail: str = ""
    link: tuple | None = None  # (endpoint, {arguments})
    count: int = 1
    today: date | None = None
    calendar_days: bool = False  # late_days counted in calendar days (a parent's question, seed 000 §3.4)

    @property
    def overdue(self):
        return self.state == "overdue"

    @property
    def status_label(self):
        if self.state == "soon":
            return "срок — сегодня" if self.due == self.today else f"срок — {self.due:%d.%m.%Y}"
        unit = "дн." if self.calendar_days else "раб. дн."
        days = f" на {self.late_days} {unit}" if self.late_days else ""
        return ("внесено с опозданием" if self.state == "late" else "просрочено") + days


@dataclass
class Section:
    key: str
    title: str
    rule: str
    items: list = field(default_factory=list)

    @property
    def overdue(self):
        return sum(1 for i in self.items if i.state == "overdue")

    @property
    def soon(self):
        return sum(1 for i in self.items if i.state == "soon")


@dataclass
class Control:
    today: date
    sections: list

    @property
    def overdue(self):
        return sum(s.overdue for s in self.sections)

    @property
    def soon(self):
        return sum(s.soon for s in self.sections)


def _item(days, title, due, *, detail="", link=None, count=1, horizon=SOON):
    """An item if its deadline has passed or comes within `horizon` working days; else None."""
    today = days.today
    if today > due:
        return Item(title, due, "overdue", days.between(due, today), detail, link, count, today)
    if due == today or due <= days.after(today, horizon) or (days.until is not None and due <= days.until):
        return Item(title, due, "soon", 0, detail, link, count, today)
    return None


def _late(days, title, due, done_on, *, detail="", link=None):
    return Item(title, due, "late", days.between(due, done_on), detail, link, 1, days.today)


def _names(names, limit=8):
    names = list(names)
    text = ", ".join(names[:limit])
    return text + (f" и ещё {len(names) - limit}" if len(names) > limit else "")


def _person(last, first, middle=None):
    """«Иванов И. И.», as the cards write it (PersonMixin.short_name)."""
    initials = " ".join(f"{p[0]}." for p in (first, middle) if p)
    return f"{last} {initials}".strip()


def _fmt(day):
    return day.strftime("%d.%m.%Y")


def _window(today):
    """The UTC timestamps of cards entered in the last LATE_WINDOW up to the end of `today`."""
    return (datetime.combine(today - LATE_WINDOW, datetime.min.time()),
            datetime.combine(today + timedelta(days=1), datetime.min.time()))


def _recent(due, today):
    """A late entry is listed while its deadline is recent: cards of long ago typed in when the
    institution starts using the system are not violations of this month."""
    return due >= today - LATE_WINDOW


def _local_date(moment, tz):
    """A UTC timestamp's date where the organization is."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).astimezone(tz).date()


def _condition(actor, key, model):
    return permissions.row_condition(actor, key, "list", model)


def _open_years(org_id, today, days=None):
    """The organization's open years that have begun (their deadlines can still be met); read once per page."""
    memo = days.__dict__.setdefault("_open_years", {}) if days is not None else {}
    if (org_id, today) not in memo:
        memo[(org_id, today)] = db.session.scalars(select(AcademicYear).where(
            AcademicYear.org_id == org_id, AcademicYear.is_closed.is_(False),
            AcademicYear.start_date <= today).order_by(AcademicYear.start_date)).all()
    return memo[(org_id, today)]


# -- the sections ------------------------------------------------------------------------------------

SECTIONS = {
    "year": ("Новый учебный год и карточка организации",
             "Переход на новый учебный год и карточка организации — до 15 сентября (регламент, §§3.3, 4.2)"),
    "planning": ("Учебный план, КТП и расписание",
                 "Учебный план, календарно-тематическое планирование и расписание — до 15 сентября "
                 "(§§6.4, 6.6, 7.3)"),
    "holidays": ("Каникулы", "Информация о каникулах — не позднее чем за 2 недели до их начала (§7.3)"),
    "lessons": ("Темы уроков", "Темы уроков вносятся в день урока (§8.6)"),
    "period_marks": ("Отметки за период",
                     "Отметки за четверть (полугодие, семестр) — в последний день периода (§8.7)"),
    "absences": ("Причины пропусков",
                 "Причина пропуска — не позднее 2 рабочих дней после документа (§8.5)"),
    "cards": ("Личные дела обучающихся",
              "Карточка — не позднее 1 рабочего дня после приказа о зачислении; сведения личного дела — "
              "до 15 сентября (§§5.6–5.9)"),
    "accounts": ("Учётные записи обучающихся и родителей",
                 "Учётные записи — в течение 3 рабочих дней после зачисления (§2.6)"),
    "requests": ("Запросы родителей об исправлении данных", data_requests.RULE),
    "questions": ("Вопросы родителей без ответа",
                  "Ответ на вопрос родителей — в течение 3 дней (календарных, §3.4)"),
    "paper_reports": ("Печатные отчёты по заявлениям родителей",
                      "Отчёт об успеваемости и посещаемости — в печатном виде не реже 1 раза в неделю по письменному "
                      "заявлению родителя: за прошедшую неделю — не позднее следующего рабочего дня (§8.12)"),
    "staff": ("Сотрудники", "Личное дело — в течение 3 рабочих дней после приёма, учётная запись — "
              "в течение 3 рабочих дней (§2.6)"),
    "movement": ("Приказы о движении обучающихся",
                 "Приказы о зачислении и выбытии — в течение 3 рабочих дней с момента события, об отчислении — "
                 "1 рабочего дня; о переводе на следующий год, второгодниках и выпуске — до 31 августа; о "
                 "формировании 1-х классов — с 1 по 7 сентября (Положение 001 §9.2, Положение 000 §4.2; сроки "
                 "организации — «Сроки регламента»)"),
    "homework": ("Домашние задания", "Домашнее задание вносится в день урока (§8.10)"),
    "reports": ("Отчёты по регламенту",
                "Отчёты за учебный период — не позднее 1 рабочего дня после его окончания, сводные — 2 рабочих "
                "дней; предварительный отчёт — раз в 2 недели, о посещаемости — ежемесячно; «Итоговые данные» — "
                "до 1 октября; отчёт по активности пользователей — раз в 2 недели (§§10.3–10.4; Положение 000 "
                "§6.1; сроки организации — «Сроки регламента»)"),
    "notifications": ("Уведомления по почте",
                      "Письма, которые не удалось отправить после всех попыток: проверьте адреса и настройки "
                      "почтового сервера (очередь уведомлений)"),
}


# Sections whose texts say «класс», «учитель» …: put in a college's words in a college (services/terms.py).
COLLEGE_WORDED = {"movement", "homework", "reports"}

# Sections shown only when they have something: not a deadline of the regulations, a failure to look at.
ONLY_WHEN_ANY = {"notifications"}


def control(actor, today=None, until=None):
    """The «Контроль» page of the actor: the sections his roles are responsible for. `until`: a deadline up to
    that day is «due soon» whatever the working days (the start page's «this week»)."""
    permissions.require(actor, "control", "list")
    if actor.org is None:
        raise PermissionDenied()
    today = today or dates.today(actor.org)
    org = actor.org
    days = Days(org.id, today, since=today - timedelta(days=400))
    days.until = until
    builders = [("year", "control_year", _year), ("planning", "control_planning", _planning),
                ("planning", "control_ktp", _ktp), ("holidays", "control_holidays", _holidays),
                ("lessons", "control_lessons", _lessons), ("period_marks", "control_period_marks", _period_marks),
                ("absences", "control_absences", _absences), ("cards", "control_cards", _cards),
                ("accounts", "control_accounts", _accounts), ("requests", "control_requests", _requests),
                ("staff", "control_staff", _staff), ("notifications", "control_notifications", _notifications),
                ("questions", "control_questions", _questions),
                ("paper_reports", "control_paper_reports", _paper_reports),
                ("movement", "control_movement", _movement), ("homework", "control_homework", _homework),
                ("reports", ("control_reports_school", "control_reports_class", "control_reports_teacher"),
                 _reports)]
    sections = {}
    for key, grants, build in builders:
        if not any(permissions.allowed(actor, g, "list") for g in ((grants,) if isinstance(grants, str) else grants)):
            continue
        items = build(actor, org, days) or []
        if key in ONLY_WHEN_ANY and not items:
            continue
        section = sections.get(key)
        if section is None:
            title, rule = SECTIONS[key]
            section = sections[key] = Section(key, title, _rule_text(key, days.rules) or rule)
        section.items += items
    if org.is_college:  # the sections of issue 17.5 are written in a school's words: a college's here
        for section in sections.values():
            if section.key in COLLEGE_WORDED:
                section.title, section.rule = college_words(section.title), college_words(section.rule)
                for i in section.items:
                    i.title, i.detail = college_words(i.title), college_words(i.detail)
    for section in sections.values():
        order = {"overdue": 0, "soon": 1, "late": 2}
        section.items.sort(key=lambda i: (order[i.state], -i.late_days, i.due, i.title))
    return Control(today, list(sections.values()))


def _rule_text(key, rules):
    """The rule line of a section of issue 17.5 with the organization's own values («Сроки регламента»)."""
    t = {code: rules[code].term for code in deadline_rules.DEFAULTS}
    if key == "movement":
        return (f"Приказы о зачислении — {t['order_enrollment']} с момента события, о выбытии — "
                f"{t['order_withdrawal']}, об отчислении — {t['order_expulsion']}; о переводе на следующий год, "
                f"второгодниках и выпуске — {t['year_orders']}; о формировании 1-х классов — {t['first_classes']} "
                "(Положение 001 §9.2, Положение 000 §4.2; значения — «Сроки регламента»)")
    if key == "homework":
        when = "в день урока" if not rules.days("homework") else f"не позднее {t['homework']} после урока"
        return f"Домашнее задание вносится {when} (§8.10; значения — «Сроки регламента»)"
    if key == "reports":
        return (f"Отчёты классного руководителя за учебный период — {t['class_period_reports']} после его окончания, "
                f"отчёт учителя-предметника — {t['teacher_period_report']}, сводные отчёты по школе — "
                f"{t['summary_reports']}; предварительный отчёт — {t['preliminary_report']}, отчёт о посещаемости — "
                f"{t['attendance_report']}; «Итоговые данные» — {t['students_summary']}; отчёт по активности "
                f"пользователей — {t['activity_report']} (Положение 001 §§10.3–10.4, Положение 000 §6.1; значения — "
                "«Сроки регламента»)")
    return None


def summary(actor, today=None):
    """(overdue, due soon) for the start page's box; None if the actor has no control page."""
    if actor is None or actor.org is None or not permissions.allowed(actor, "control", "list"):
        return None
    result = control(actor, today)
    return result.overdue, result.soon


# -- the new year, the organization's card ----------------------------------------------------------

def _year(actor, org, days):
    today = days.today
    items = []
    if not days.rules.on("new_year"):
        return []
    start = today.year if today.month >= 7 else today.year - 1
    deadline = days.rules["new_year"].date_in(start)
    name = f"{start}/{start + 1}"
    if today >= date(start, 8, 1):
        problem = year_done(org.id, name)
        if problem:
            item = _item(days, f"Переход на {name} учебный год не завершён", deadline, detail=problem,
                         link=("rollover.index", {}), horizon=SOON_LONG)
            if item is not None:
                items.append(item)
    missing = [label for label, value in (
        ("лицензия", org.licence_number and org.licence_date),
        ("аккредитация", org.accreditation_number and org.accreditation_date),
        ("директор", org.director_name), ("адрес", org.address)) if not value]
    if missing and today >= date(start, 8, 1):
        item = _item(days, "Карточка организации заполнена не полностью", deadline,
                     detail="Нет: " + ", ".join(missing), link=("organization.edit_view", {"id": org.id}),
                     horizon=SOON_LONG)
        if item is not None:
            items.append(item)
    return items


# -- curriculum, КТП, timetable by 15 September ------------------------------------------------------

def _planning_year(org, days):
    if not days.rules.on("planning"):
        return None
    year = current_year(org, days.today)
    if year is None or year.is_closed:
        return None
    deadline = september_15(year, days.rules)
    if days.today < deadline - timedelta(days=45):
        return None  # too early to nag: the year is being prepared
    return year


def _planning(actor, org, days):
    year = _planning_year(org, days)
    if year is None:
        return []
    deadline = september_15(year, days.rules)
    classes = db.session.scalars(select(SchoolClass).where(
        SchoolClass.org_id == org.id, SchoolClass.year_id == year.id)
        .order_by(SchoolClass.grade, SchoolClass.name)).all()
    if not classes:
        item = _item(days, f"В учебном году {year.name} нет ни одного класса (группы)", deadline,
                     link=("school_class.index_view", {}), horizon=SOON_LONG)
        return [item] if item else []
    index = CurriculumIndex.for_years([year.id])
    without, empty = defaultdict(list), {}
    for klass in classes:
        curriculum = index.for_class(klass)
        if curriculum is None:
            key = (klass.grade, klass.profile or "")
            without[key].append(klass.name)
        elif not index.subjects(curriculum):
            empty[curriculum.id] = curriculum
    unit = "курса" if org.is_college else "класса"
    items = []
    for (grade, profile), names in sorted(without.items()):
        title = f"Нет учебного плана {grade} {unit}" + (f" (профиль «{profile}»)" if profile else "")
        items.append(_item(days, title, deadline, detail=_names(names), link=("curriculum.create_view", {}),
                           horizon=SOON_LONG))
    for curriculum in empty.values():
        items.append(_item(days, f"Учебный план {curriculum.grade} {unit}: нет ни одного предмета", deadline,
                           link=("curriculum.lines_view", {"id": curriculum.id}), horizon=SOON_LONG))
    with_timetable = set(db.session.scalars(select(TimetableEntry.class_id).where(
        TimetableEntry.year_id == year.id).distinct()))
    no_timetable = [k for k in classes if k.id not in with_timetable]
    if no_timetable:
        items.append(_item(days, f"Нет расписания уроков: {len(no_timetable)}", deadline,
                           detail=_names(k.name for k in no_timetable),
                           link=("timetable_grid.index", {"class_id": no_timetable[0].id}),
                           horizon=SOON_LONG, count=len(no_timetable)))
    return [i for i in items if i is not None]


def _ktp(actor, org, days):
    year = _planning_year(org, days)
    if year is None:
        return []
    deadline = september_15(year, days.rules)
    cond = _condition(actor, "control_ktp", TeachingAssignment)
    has_topics = exists().where(ThematicPlanTopic.plan_id == TeachingAssignment.thematic_plan_id)
    rows = db.session.execute(
        select(TeachingAssignment.id, TeachingAssignment.teacher_id, Staff.last_name, Staff.first_name,
               Staff.middle_name, SchoolClass.name, Subject.name)
        .join(Staff, Staff.id == TeachingAssignment.teacher_id)
        .join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .where(TeachingAssignment.year_id == year.id, cond,
               or_(TeachingAssignment.thematic_plan_id.is_(None), ~has_topics))
        .order_by(Staff.last_name, Staff.first_name, SchoolClass.grade, SchoolClass.name, Subject.name)).all()
    if not rows:
        return []
    if not permissions.allowed(actor, "ktp_control", "list"):  # a teacher: his own assignments
        return [i for i in (_item(days, f"Нет КТП: {r[5]}, {r[6]}", deadline, link=("thematic_plan.index_view", {}),
                                  horizon=SOON_LONG) for r in rows) if i is not None]
    by_teacher = defaultdict(list)
    for r in rows:
        by_teacher[(r.teacher_id, _person(r[2], r[3], r[4]))].append(f"{r[5]} {r[6]}")
    items = [_item(days, f"Нет КТП у {name}: {len(what)}", deadline, detail=_names(what),
                   link=("ktp_control.index", {"year_id": year.id}), horizon=SOON_LONG, count=len(what))
             for (_, name), what in by_teacher.items()]
    return [i for i in items if i is not None]


# -- holidays two weeks ahead ------------------------------------------------------------------------

def _holidays(actor, org, days):
    today = days.today
    if not days.rules.on("holidays"):
        return []
    years = db.session.scalars(select(AcademicYear).where(
        AcademicYear.org_id == org.id, AcademicYear.is_closed.is_(False),
        AcademicYear.end_date >= today)).all()
    if not years:
        return []
    year_ids = [y.id for y in years]
    periods = db.session.scalars(select(Period).where(Period.year_id.in_(year_ids))
                                 .order_by(Period.year_id, Period.type, Period.start_date)).all()
    holidays = db.session.execute(select(Holiday.year_id, Holiday.start_date, Holiday.end_date)
                                  .where(Holiday.year_id.in_(year_ids))).all()
    items = []
    for prev, nxt in zip(periods, periods[1:]):
        if prev.year_id != nxt.year_id or prev.type != nxt.type:
            continue
        first, last = prev.end_date + timedelta(days=1), nxt.start_date - timedelta(days=1)
        if first > last or first <= today:
            continue
        if not any(days.is_working(first + timedelta(days=n)) for n in range((last - first).days + 1)):
            continue  # only a weekend between the periods
        if any(h.year_id == prev.year_id and h.start_date <= last and h.end_date >= first for h in holidays):
            continue
        due = first - days.rules["holidays"].period
        item = _item(days, f"Не внесены каникулы между периодами «{prev.name}» и «{nxt.name}»", due,
                     detail=f"Перерыв {_fmt(first)}–{_fmt(last)}", link=("holiday.create_view", {}),
                     horizon=SOON_LONG)
        if item is not None:
            items.append(item)
    return items


# -- lessons without a topic or attendance ----------------------------------------------------------

def _past_lessons(actor, org, days, rule, key, gap, *figures, ordered=False):
    """Past, not cancelled lessons of open periods in `gap`, among those of `key`'s rows, grouped by journal:
    rows (assignment id, teacher id, class, subject, *figures, first date, last date) and the teachers' names.
    Two statements; nothing when the rule is off or no year is open."""
    today = days.today
    if not days.rules.on(rule):
        return [], {}
    years = _open_years(org.id, today, days)
    if not years:
        return [], {}
    teacher = func.coalesce(Lesson.teacher_id, TeachingAssignment.teacher_id)
    open_period = or_(Lesson.period_id.is_(None), Lesson.period_id.in_(
        select(Period.id).where(Period.is_closed.is_(False))))
    query = (select(Lesson.assignment_id, teacher, SchoolClass.name, Subject.name, *figures,
                    func.min(Lesson.date), func.max(Lesson.date))
             .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
             .join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
             .join(Subject, Subject.id == TeachingAssignment.subject_id)
             .where(_condition(actor, key, Lesson), TeachingAssignment.year_id.in_([y.id for y in years]),
                    Lesson.date < today, Lesson.is_cancelled.is_(False), gap, open_period)
             .group_by(Lesson.assignment_id, teacher, SchoolClass.name, Subject.name))
    if ordered:
        query = query.order_by(SchoolClass.name, Subject.name)
    rows = db.session.execute(query).all()
    if not rows:
        return [], {}
    teachers = {r.id: _person(r.last_name, r.first_name, r.middle_name) for r in db.session.execute(
        select(Staff.id, Staff.last_name, Staff.first_name, Staff.middle_name)
        .where(Staff.id.in_({r[1] for r in rows}))).all()}
    return rows, teachers


def _lessons(actor, org, days):
    """Past lessons of open periods whose topic is empty or whose roll call was not taken (§8.6)."""
    no_topic = or_(Lesson.topic.is_(None), func.trim(Lesson.topic) == "")
    no_roll_call = Lesson.attendance_taken.is_(False)
    rows, teachers = _past_lessons(actor, org, days, "lesson_topics", "control_lessons", or_(no_topic, no_roll_call),
                                   func.sum(case((no_topic, 1), else_=0)), func.sum(case((no_roll_call, 1), else_=0)))
    items = []
    for assignment_id, teacher_id, class_name, subject_name, topics, roll_calls, first, last in rows:
        who = "" if teacher_id == actor.staff_id else f"{teachers.get(teacher_id, '')}: "
        dates = _fmt(first) if first == last else f"{_fmt(first)}–{_fmt(last)}"
        gaps = "; ".join(f"{text}: {count}" for text, count in (("без темы", topics),
                                                                ("без отметки посещаемости", roll_calls)) if count)
        items.append(_item(days, f"{who}{class_name}, {subject_name} — {gaps}",
                           days.after(first, days.rules.days("lesson_topics")),
                           detail=f"Уроки {dates}", link=("journal.grid", {"assignment_id": assignment_id}),
                           count=max(topics, roll_calls)))
    return [i for i in items if i is not None]


# -- period marks ------------------------------------------------------------------------------------

def _period_marks(actor, org, days):
    today = days.today
    if not days.rules.on("period_marks"):
        return []
    years = _open_years(org.id, today, days)
    if not years:
        return []
    horizon = days.after(today, SOON)
    rows = missing_period_marks(
        org, [y.id for y in years], condition=_condition(actor, "control_period_marks", TeachingAssignment),
        periods_where=[Period.is_closed.is_(False), Period.end_date <= horizon])
    items = []
    for r in rows:
        items.append(_item(days, f"{r.class_name}, {r.subject_name}: {r.period_name} — нет отметок: {r.missing}",
                           days.after(r.period_end, days.rules.days("period_marks")),
                           link=("journal.grid", {"assignment_id": r.assignment_id,
                                                                "period": r.period_id}), count=r.missing))
    return [i for i in items if i is not None]


# -- absence reasons ---------------------------------------------------------------------------------

def _absences(actor, org, days):
    today = days.today
    if not days.rules.on("absences"):
        return []
    years = _open_years(org.id, today, days)
    if not years:
        return []
    cond = _condition(actor, "control_absences", Student)
    base = func.coalesce(Attendance.document_date, Lesson.date)
    rows = db.session.execute(
        select(Student.id, Student.last_name, Student.first_name, Student.middle_name, Student.class_id,
               SchoolClass.name, base, func.count(Attendance.id))
        .join(Student, Student.id == Attendance.student_id)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .join(AttendanceCode, AttendanceCode.id == Attendance.code_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .where(cond, Attendance.reason_set_at.is_(None), AttendanceCode.kind != AbsenceKind.LATE.value,
               Lesson.date <= today, TeachingAssignment.year_id.in_([y.id for y in years]),
               or_(Lesson.period_id.is_(None), Lesson.period_id.in_(
                   select(Period.id).where(Period.is_closed.is_(False)))))
        .group_by(Student.id, Student.last_name, Student.first_name, Student.middle_name, Student.class_id,
                  SchoolClass.name, base)).all()
    per_student = defaultdict(list)
    for sid, last, first, middle, class_id, class_name, day, count in rows:
        per_student[(sid, _person(last, first, middle), class_id, class_name)].append((day, count))
    items = []
    for (sid, name, class_id, class_name), entries in sorted(per_student.items(), key=lambda kv: (kv[0][3], kv[0][1])):
        entries.sort()
        first_day = entries[0][0]
        lessons = sum(c for _, c in entries)
        detail = ", ".join(f"{_fmt(d)} ({c} ур.)" for d, c in entries[:6]) + (" …" if len(entries) > 6 else "")
        items.append(_item(days, f"{class_name}, {name}: пропуски без причины — {lessons} ур.",
                           days.after(first_day, days.rules.days("absences")), detail=detail,
                           link=("absences.absences", {"class_id": class_id, "start": first_day.isoformat(),
                                                       "end": entries[-1][0].isoformat()}), count=lessons))
    return [i for i in items if i is not None]


# -- parents' questions (services/messages/questions.py) ----------------------------------------------

def _questions(actor, org, days):
    """A parent's questions unanswered after 3 calendar days: the addressee sees its subject and opens it, the
    administration only who asked whom and when (a message is read by its participants alone)."""
    rows = questions.overdue(_condition(actor, "control_questions", MessageCopy), org, days.today)
    items = []
    for user_id, message_id, subject, asker, to, due, late in rows:
        mine = user_id == actor.user_id
        title = f"{asker} → {to}: " + (f"«{subject}»" if mine else "вопрос без ответа")
        items.append(Item(title, due, "overdue", late, detail=f"вопрос от {_fmt(due - timedelta(days=3))}",
                          link=("messages.show", {"message_id": message_id}) if mine else None,
                          today=days.today, calendar_days=True))
    return items


# -- student cards -----------------------------------------------------------------------------------

def _card_gaps(row, today):
    """(the card's gaps of seed 001 §5.9, the federal contingent register's gaps of seed 000 §4.3)."""
    gaps = []
    if not (row.address or "").strip():
        gaps.append("адрес")
    if not (row.birth_certificate_number or "").strip():
        gaps.append("свидетельство о рождении")
    if row.birth_date and _age(row.birth_date, today) >= PASSPORT_AGE and not (row.passport_number or "").strip():
        gaps.append("паспорт")
    if not (row.family_composition or "").strip():
        gaps.append("состав семьи")
    if not (row.social_status or "").strip():
        gaps.append("социальный статус")
    if not (row.foreign_language or "").strip():
        gaps.append("иностранный язык")
    if not row.parents:
        gaps.append("родители")
    said = {*gaps, "адрес проживания"}
    return gaps, [g for g in contingent.gaps(row, today) if g not in said]


def _age(birth, today):
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _cards(actor, org, days):
    today = days.today
    card_days, late_cards = days.rules.days("card"), days.rules.on("card")
    cond = _condition(actor, "control_cards", Student)
    tz = ZoneInfo(org.timezone or "Europe/Moscow")
    has_parents = exists().where(student_parent.c.student_id == Student.id)
    adult = date(today.year - PASSPORT_AGE, today.month, min(today.day, 28))
    blank = lambda col: or_(col.is_(None), func.trim(col) == "")  # noqa: E731
    rows = db.session.execute(
        select(Student.id, Student.last_name, Student.first_name, Student.middle_name, Student.class_id,
               SchoolClass.name.label("class_name"), AcademicYear.start_date.label("year_start"),
               Student.enrollment_order_date, Student.address, Student.birth_certificate_number,
               Student.birth_date, Student.passport_number, Student.family_composition, Student.social_status,
               Student.foreign_language, has_parents.label("parents"),
               *(getattr(Student, c) for c in contingent.COLUMNS if c not in _CARD_COLUMNS))
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .outerjoin(AcademicYear, AcademicYear.id == SchoolClass.year_id)
        .where(cond, Student.status == StudentStatus.STUDYING.value,
               or_(blank(Student.address), blank(Student.birth_certificate_number), blank(Student.family_composition),
                   blank(Student.social_status), blank(Student.foreign_language), ~has_parents,
                   and_(Student.birth_date <= adult, blank(Student.passport_number)), contingent.incomplete(today)))
        .order_by(SchoolClass.name, Student.last_name, Student.first_name)).all()
    pending = []
    card_data_on, register_on = days.rules.on("card_data"), days.rules.on("contingent_data")
    for r in rows:
        card_gaps, register_gaps = _card_gaps(r, today)
        # A rule the administrator turned off («Сроки регламента») lists nothing: its gaps are not asked for.
        card_gaps = card_gaps if card_data_on else []
        register_gaps = register_gaps if register_on else []
        if not card_gaps and not register_gaps:
            continue
        due = days.after(r.enrollment_order_date, card_days)
        dues = []
        if r.year_start is not None:
            # The card's data by 15 September (seed 001 §5.9); the contingent register's in the first week of
            # September (seed 000 §4.3: the class teacher enters them). Both dates are the organization's rules.
            if card_gaps:
                dues.append(max(due, days.rules["card_data"].date_in(r.year_start.year)))
            if register_gaps:
                dues.append(max(due, days.rules["contingent_data"].date_in(r.year_start.year)))
        pending.append((r, card_gaps + register_gaps, min(dues) if dues else due))
    items = []
    if len(pending) > GROUP_OVER:
        by_class = defaultdict(list)
        for r, gaps, due in pending:
            by_class[(r.class_name or "без класса", r.class_id)].append((r, gaps, due))
        for (class_name, _), group in sorted(by_class.items()):
            counts = defaultdict(int)
            for _, gaps, _ in group:
                for g in gaps:
                    counts[g] += 1
            items.append(_item(days, f"{class_name}: личные дела заполнены не полностью — {len(group)}",
                               min(d for _, _, d in group),
                               detail="Нет: " + ", ".join(f"{g} ({n})" for g, n in counts.items()),
                               link=("student.index_view", {}), count=len(group), horizon=SOON_LONG))
    else:
        for r, gaps, due in pending:
            items.append(_item(days, f"{r.class_name or 'без класса'}, {_person(r[1], r[2], r[3])}: личное дело "
                                     "заполнено не полностью", due, detail="Нет: " + ", ".join(gaps),
                               link=("student.edit_view", {"id": r.id}), horizon=SOON_LONG))
    items = [i for i in items if i is not None]
    # Cards entered after the deadline, this month: a fact for the record, not a thing to fix.
    since, until = _window(today)
    late = db.session.execute(
        select(Student.id, Student.last_name, Student.first_name, Student.middle_name, SchoolClass.name,
               Student.enrollment_order_date, Student.enrollment_order_number, Student.created_at)
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .where(cond, Student.created_at >= since, Student.created_at < until)
        .order_by(Student.created_at)).all()
    for sid, last, first, middle, class_name, order_date, order_number, created in late:
        entered = _local_date(created, tz)
        due = days.after(order_date, card_days)
        if late_cards and entered is not None and entered > due and _recent(due, today):
            items.append(_late(days, f"{class_name or 'без класса'}, {_person(last, first, middle)}: карточка "
                                     f"внесена {_fmt(entered)}", due,
                               entered, detail=f"Приказ о зачислении № {order_number} от {_fmt(order_date)}",
                               link=("student.edit_view", {"id": sid})))
    return items


# -- accounts of students and parents ----------------------------------------------------------------

def _accounts(actor, org, days):
    if not days.rules.on("accounts"):
        return []
    account_days = days.rules.days("accounts")
    cond = _condition(actor, "control_accounts", Student)
    students = db.session.execute(
        select(Student.id, Student.last_name, Student.first_name, Student.middle_name, Student.class_id,
               SchoolClass.name, Student.enrollment_order_date)
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .where(cond, Student.status == StudentStatus.STUDYING.value, Student.user_id.is_(None))
        .order_by(SchoolClass.name, Student.last_name, Student.first_name)).all()
    enrolled = func.min(Student.enrollment_order_date)
    parents = db.session.execute(
        select(Parent.id, Parent.last_name, Parent.first_name, Parent.middle_name, func.min(SchoolClass.name),
               enrolled)
        .join(student_parent, student_parent.c.parent_id == Parent.id)
        .join(Student, Student.id == student_parent.c.student_id)
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .where(cond, Parent.org_id == org.id, Parent.user_id.is_(None),
               Student.status == StudentStatus.STUDYING.value)
        .group_by(Parent.id, Parent.last_name, Parent.first_name, Parent.middle_name)
        .order_by(Parent.last_name, Parent.first_name)).all()
    entries = [(r[5] or "без класса", "обучающийся", _person(r[1], r[2], r[3]), r[6],
                ("student.edit_view", {"id": r[0]})) for r in students]
    entries += [(r[4] or "без класса", "родитель", _person(r[1], r[2], r[3]), r[5],
                 ("parent.edit_view", {"id": r[0]})) for r in parents]
    items = []
    if len(entries) > GROUP_OVER:
        by_class = defaultdict(list)
        for entry in entries:
            by_class[entry[0]].append(entry)
        for class_name, group in sorted(by_class.items()):
            kids = [e for e in group if e[1] == "обучающийся"]
            items.append(_item(days, f"{class_name}: не выданы учётные записи — {len(group)}",
                               min(days.after(e[3], account_days) for e in group),
                               detail=f"обучающимся: {len(kids)}, родителям: {len(group) - len(kids)}",
                               link=("student.index_view", {}), count=len(group)))
    else:
        for class_name, who, name, enrolled_on, link in entries:
            items.append(_item(days, f"{class_name}, {who} {name}: не выдана учётная запись",
                               days.after(enrolled_on, account_days),
                               detail=f"Зачисление {_fmt(enrolled_on)}", link=link))
    return [i for i in items if i is not None]


# -- parents' requests to correct personal data (services/people/requests.py) -------------------------

def _requests(actor, org, days):
    return data_requests.control_items(actor, days, _item)


# -- staff: cards entered late, accounts ----------------------------------------------------------------

def _staff(actor, org, days):
    today = days.today
    tz = ZoneInfo(org.timezone or "Europe/Moscow")
    items = []
    if permissions.allowed(actor, "control_accounts", "list") and days.rules.on("accounts"):
        rows = db.session.execute(
            select(Staff.id, Staff.last_name, Staff.first_name, Staff.middle_name, Staff.hire_date)
            .where(_condition(actor, "control_staff", Staff), Staff.user_id.is_(None),
                   Staff.dismissal_date.is_(None)).order_by(Staff.last_name, Staff.first_name)).all()
        for sid, last, first, middle, hired in rows:
            items.append(_item(days, f"{_person(last, first, middle)}: не выдана учётная запись",
                               days.after(hired, days.rules.days("accounts")), detail=f"Принят(а) {_fmt(hired)}",
                               link=("staff.edit_view", {"id": sid})))
    since, until = _window(today)
    rows = db.session.execute(
        select(Staff.id, Staff.last_name, Staff.first_name, Staff.middle_name, Staff.hire_date, Staff.created_at)
        .where(_condition(actor, "control_staff", Staff), Staff.created_at >= since, Staff.created_at < until)
        .order_by(Staff.created_at)).all()
    for sid, last, first, middle, hired, created in rows:
        entered = _local_date(created, tz)
        due = days.after(hired, days.rules.days("staff_card"))
        if days.rules.on("staff_card") and entered is not None and entered > due and _recent(due, today):
            items.append(_late(days, f"{_person(last, first, middle)}: личное дело внесено {_fmt(entered)}", due,
                               entered, detail=f"Принят(а) {_fmt(hired)}", link=("staff.edit_view", {"id": sid})))
    return [i for i in items if i is not None]


# -- e-mails given up ------------------------------------------------------------------------------------

def _notifications(actor, org, days):
    """The organization's e-mails given up after every retry (services/notify_send.py): one item, one statement."""
    count, first, last_error = db.session.execute(
        select(func.count(Notification.id), func.min(Notification.created_at), func.max(Notification.last_error))
        .where(_condition(actor, "control_notifications", Notification), Notification.org_id == org.id,
               Notification.failed.is_(True))).one()
    if not count:
        return []
    tz = ZoneInfo(org.timezone or "Europe/Moscow")
    due = min(_local_date(first, tz), days.today)
    late = days.between(due, days.today) if due < days.today else 0
    return [Item(f"Не отправлено писем-уведомлений: {count}", due, "overdue", late,
                 f"Ошибка: {last_error}" if last_error else "", ("notification.index_view", {}), count, days.today)]


# -- the weekly printed reports on parents' requests ---------------------------------------------------------

def _paper_reports(actor, org, days):
    items = []
    for week in paper_reports.missed_weeks(org.id, days.today, days):
        items.append(_item(days, f"Не напечатаны отчёты за неделю {paper_reports.week_label(week.monday)}",
                           week.due, detail=f"Обучающихся с действующим заявлением: {week.students}",
                           link=("paper_reports.index", {"week": _fmt(week.monday)})))
    return [i for i in items if i is not None]


# -- the movement book's orders (seed 001 §9.2, seed 000 §4.2) -------------------------------------------

# An order's kind → the rule of its deadline after the event (its effective date).
ORDER_RULES = {MovementKind.ENROLLMENT.value: "order_enrollment", MovementKind.WITHDRAWAL.value: "order_withdrawal",
               MovementKind.EXPULSION.value: "order_expulsion"}
YEAR_ORDER_KINDS = (MovementKind.NEXT_YEAR.value, MovementKind.REPEAT.value, MovementKind.GRADUATION.value)


def _order_done(order_date, applied_at, tz):
    """The day an order was issued in the system: its date, or the day it was applied if later (a backdated
    order entered late is late)."""
    applied = _local_date(applied_at, tz)
    return max(order_date, applied) if applied is not None else order_date


def _movement(actor, org, days):
    """Orders of enrollment, withdrawal and expulsion within their working days of the event (drafts past the
    deadline overdue, applied ones issued late listed for a month); the year's transfers, repeaters and
    graduates by 31 August; the first classes formed 1–7 September. Three statements."""
    today, rules = days.today, days.rules
    tz = ZoneInfo(org.timezone or "Europe/Moscow")
    cond = _condition(actor, "control_movement", MovementOrder)
    since, _ = _window(today)
    kinds = [k for k, code in ORDER_RULES.items() if rules.on(code)]
    if rules.on("year_orders"):
        kinds += YEAR_ORDER_KINDS
    items = []
    if kinds:
        students = (select(func.count(MovementItem.id)).where(MovementItem.order_id == MovementOrder.id)
                    .correlate(MovementOrder).scalar_subquery())
        rows = db.session.execute(
            select(MovementOrder.id, MovementOrder.number, MovementOrder.kind, MovementOrder.status,
                   MovementOrder.order_date, MovementOrder.effective_date, MovementOrder.applied_at,
                   AcademicYear.start_date, AcademicYear.end_date, students)
            .join(AcademicYear, AcademicYear.id == MovementOrder.year_id)
            .where(cond, MovementOrder.org_id == org.id, MovementOrder.kind.in_(kinds), or_(
                MovementOrder.status == OrderStatus.DRAFT.value,
                and_(MovementOrder.status == OrderStatus.APPLIED.value, MovementOrder.applied_at >= since)))
            .order_by(MovementOrder.effective_date, MovementOrder.id)).all()
        for oid, number, kind, status, order_date, effective, applied_at, year_start, year_end, count in rows:
            if kind in ORDER_RULES:
                due = days.after(effective, rules.days(ORDER_RULES[kind]))
                event = f"{MovementKind(kind).label}: событие {_fmt(effective)}"
            else:
                due = _year_orders_due(rules["year_orders"], year_start, year_end)
                event = MovementKind(kind).label
            title = f"Приказ № {number} от {_fmt(order_date)} ({MovementKind(kind).label.lower()})"
            link = ("movement_order.items_view", {"id": oid})
            detail = f"{event}; учеников: {count}"
            if status == OrderStatus.DRAFT.value:
                items.append(_item(days, f"{title} не проведён", due, detail=detail, link=link))
                continue
            done = _order_done(order_date, applied_at, tz)
            if done > due and _recent(due, today):
                items.append(_late(days, f"{title} издан {_fmt(done)}", due, done, detail=detail, link=link))
    if rules.on("year_orders"):
        items += _year_orders_missing(org, days)
    if rules.on("first_classes") and not org.is_college:
        items += _first_classes(org, days)
    return [i for i in items if i is not None]


def _year_orders_due(rule, start, end):
    """The year orders' deadline of the academic year [start, end]: the rule's date after the year's end (31 August
    by default; a school that moves it to 15 September means the September after)."""
    due = rule.date_in(start.year)
    return due if due > end else rule.date_in(start.year + 1)


def _year_orders_missing(org, days):
    """Students still in a class of a year that has ended: no order moved them (next year, repeat, graduation)."""
    today = days.today
    rows = db.session.execute(
        select(AcademicYear.id, AcademicYear.name, AcademicYear.start_date, AcademicYear.end_date, SchoolClass.name,
               func.count(Student.id))
        .join(SchoolClass, SchoolClass.year_id == AcademicYear.id)
        .join(Student, Student.class_id == SchoolClass.id)
        .where(AcademicYear.org_id == org.id, AcademicYear.end_date < today,
               AcademicYear.end_date >= today - timedelta(days=400), Student.status == StudentStatus.STUDYING.value)
        .group_by(AcademicYear.id, AcademicYear.name, AcademicYear.start_date, AcademicYear.end_date, SchoolClass.name)
        .order_by(AcademicYear.start_date, SchoolClass.name)).all()
    by_year = defaultdict(list)
    for year_id, name, start, end, class_name, count in rows:
        by_year[(year_id, name, start, end)].append((class_name, count))
    items = []
    for (year_id, name, start, end), classes in by_year.items():
        total = sum(c for _, c in classes)
        items.append(_item(days, f"{name}: не изданы приказы о переводе, оставлении на повторное обучение или "
                                 f"выпуске — обучающихся: {total}",
                           _year_orders_due(days.rules["year_orders"], start, end),
                           detail=_names(f"{c} ({n})" for c, n in classes),
                           link=("movement_year_transfer.index", {}), count=total, horizon=SOON_LONG))
    return items


def _first_classes(org, days):
    """The first classes of the current year without a student on 7 September (their forming orders)."""
    today = days.today
    year = current_year(org, today)
    if year is None or year.is_closed:
        return []
    first, due = days.rules["first_classes"].window_in(year.start_date.year)
    if today < first - timedelta(days=31):
        return []
    has_students = exists().where(ClassMembership.class_id == SchoolClass.id)
    names = db.session.scalars(select(SchoolClass.name).where(
        SchoolClass.org_id == org.id, SchoolClass.year_id == year.id, SchoolClass.grade == 1, ~has_students)
        .order_by(SchoolClass.name)).all()
    if not names:
        return []
    return [_item(days, f"Не изданы приказы о формировании 1-х классов: {len(names)}", due,
                  detail=f"{_names(names)}; срок — с {_fmt(first)} по {_fmt(due)}",
                  link=("movement_order.index_view", {}), count=len(names), horizon=SOON_LONG)]


# -- homework on lessons (seed 001 §8.10) -----------------------------------------------------------------

def _homework(actor, org, days):
    """Past lessons of open periods with no homework, per journal."""
    no_homework = or_(Lesson.homework.is_(None), func.trim(Lesson.homework) == "")
    rows, teachers = _past_lessons(actor, org, days, "homework", "control_homework", no_homework,
                                   func.count(Lesson.id), ordered=True)
    items = []
    for assignment_id, teacher_id, class_name, subject_name, count, first, last in rows:
        who = "" if teacher_id == actor.staff_id else f"{teachers.get(teacher_id, '')}: "
        span = _fmt(first) if first == last else f"{_fmt(first)}–{_fmt(last)}"
        items.append(_item(days, f"{who}{class_name}, {subject_name} — без домашнего задания: {count}",
                           days.after(first, days.rules.days("homework")), detail=f"Уроки {span}",
                           link=("journal.grid", {"assignment_id": assignment_id}), count=count))
    return [i for i in items if i is not None]


# -- the reports of the regulations (seed 001 §§10.3–10.4, seed 000 §6.1) ------------------------------------

# The registry's names of the reports each deadline asks for (reports/*_reports.py). A class's period reports:
# each group is one report of the seed's list (either of a group's names does).
CLASS_PERIOD_REPORTS = (("class-period-report",), ("summary-ledger", "class-results"), ("class-attendance-ledger",))
TEACHER_PERIOD_REPORT = "teacher-report"
SUMMARY_REPORTS = ("class-teachers-summary", "school-progress-summary")
PRELIMINARY_REPORT = "class-preliminary"
ATTENDANCE_REPORT = "class-attendance"
STUDENTS_SUMMARY_REPORTS = ("students-summary", "students-summary-class")
# «Отчёт по активности пользователей» (issue 17.3, seed 000 §6.1): the one name this module knows it by.
ACTIVITY_REPORT = "user-activity"
# «Анализ работы с журналом» (issue 17.4): the director's or deputy's control, at least monthly (seed 000 §5).
JOURNAL_CONTROL_REPORT = "journal-work"
REPORT_TITLES = {"class-period-report": "Отчёт классного руководителя за учебный период",
                 "summary-ledger": "Сводная ведомость учёта успеваемости / Итоги успеваемости класса",
                 "class-attendance-ledger": "Сводная ведомость учёта посещаемости",
                 "teacher-report": "Отчёт учителя-предметника",
                 "class-teachers-summary": "Сводный отчёт классного руководителя (по школе)",
                 "school-progress-summary": "Сводный отчёт об успеваемости по школе",
                 "class-preliminary": "Предварительный отчёт классного руководителя",
                 "class-attendance": "Отчёт о посещаемости класса",
                 "students-summary": "Итоговые данные по учащимся; Общие сведения об обучающихся",
                 ACTIVITY_REPORT: "Отчёт по активности пользователей",
                 JOURNAL_CONTROL_REPORT: "Анализ работы с журналом"}


class _Builds:
    """The reports built since a day (models.ReportBuild, one statement): the first build of a report on or
    after a day, for a class, period or teacher."""

    def __init__(self, org, names, since):
        tz = ZoneInfo(org.timezone or "Europe/Moscow")
        start = datetime.combine(since - timedelta(days=1), datetime.min.time())
        self.rows = [(name, class_id, period_id, teacher_id, _local_date(at, tz)) for name, class_id, period_id,
                     teacher_id, at in db.session.execute(
            select(ReportBuild.report, ReportBuild.class_id, ReportBuild.period_id, ReportBuild.teacher_id,
                   ReportBuild.built_at)
            .where(ReportBuild.org_id == org.id, ReportBuild.report.in_(list(names)), ReportBuild.built_at >= start)
            .order_by(ReportBuild.built_at)).all()]
        self.by_name = defaultdict(list)
        for row in self.rows:
            self.by_name[row[0]].append(row)

    def first(self, names, on_or_after, class_id=None, period_id=None, teacher_id=None, any_class=()):
        """The first day one of `names` was built on or after `on_or_after` for that class (or for every class:
        a name of `any_class`), that period (or for none) and that teacher."""
        for name in names:
            for _, c, p, t, day in self.by_name.get(name, ()):
                if day is None or day < on_or_after:
                    continue
                if class_id is not None and c != class_id and name not in any_class:
                    continue
                if period_id is not None and p not in (period_id, None):
                    continue
                if teacher_id is not None and t != teacher_id:
                    continue
                return day
        return None

    def last(self, names, class_id=None):
        found = [day for name in names for _, c, _, _, day in self.by_name.get(name, ())
                 if day is not None and (class_id is None or c == class_id)]
        return max(found) if found else None


def _on_working(days, day):
    """The day itself if it is a working day, else the next working day."""
    return day if days.is_working(day) else days.after(day, 1)


def _period_deadlines(days, code, periods, builds, names_groups, key, horizon):
    """[(period, due, missing names, built late on)] for one class or teacher (`key`: class_id/teacher_id)."""
    out = []
    for period in periods:
        due = days.after(period.end_date, days.rules.days(code))
        if due > horizon:
            continue
        missing, late = [], None
        for group in names_groups:
            built = builds.first(group, period.end_date, period_id=period.id, **key)
            if built is None:
                missing.append(group[0])
            elif built > due:
                late = max(late or built, built)
        out.append((period, due, missing, late))
    return out


def _reports(actor, org, days):
    today, rules = days.today, days.rules
    years = _open_years(org.id, today, days)
    if not years:
        return []
    year_ids = [y.id for y in years]
    first_start = min(y.start_date for y in years)
    horizon = days.after(today, SOON)
    names = {n for g in CLASS_PERIOD_REPORTS for n in g} | {TEACHER_PERIOD_REPORT, PRELIMINARY_REPORT,
                                                           ATTENDANCE_REPORT, ACTIVITY_REPORT, JOURNAL_CONTROL_REPORT,
                                                           *SUMMARY_REPORTS,
                                                           *STUDENTS_SUMMARY_REPORTS}
    builds = _Builds(org, names, first_start)
    periods = {p.id: p for p in db.session.scalars(select(Period).where(
        Period.year_id.in_(year_ids), Period.end_date <= today + timedelta(days=31)).order_by(Period.end_date))}
    items = []
    school = permissions.allowed(actor, "control_reports_school", "list")
    if school:
        items += _school_reports(days, org, years, periods, builds, horizon)
    if permissions.allowed(actor, "control_reports_class", "list"):
        items += _class_reports(actor, org, days, years, periods, builds, horizon)
    if permissions.allowed(actor, "control_reports_teacher", "list") and rules.on("teacher_period_report"):
        items += _teacher_reports(actor, org, days, year_ids, periods, builds, horizon)
    return [i for i in items if i is not None]


def _report_link(name, **args):
    return ("reports.show", {"key": name, **args})


def _school_reports(days, org, years, periods, builds, horizon):
    today, rules, items = days.today, days.rules, []
    if rules.on("summary_reports"):
        for period, due, missing, late in _period_deadlines(days, "summary_reports", periods.values(), builds,
                                                             [(n,) for n in SUMMARY_REPORTS], {}, horizon):
            if missing:
                items.append(_item(days, f"«{period.name}»: не сформированы сводные отчёты — {len(missing)}", due,
                                   detail=", ".join(f"«{REPORT_TITLES[n]}»" for n in missing),
                                   link=_report_link(missing[0], period=period.name)))
            elif late is not None and _recent(due, today):
                items.append(_late(days, f"«{period.name}»: сводные отчёты сформированы {_fmt(late)}", due, late))
    year = next((y for y in years if y.start_date <= today <= y.end_date), None)
    for code, name in (("activity_report", ACTIVITY_REPORT), ("journal_control", JOURNAL_CONTROL_REPORT)):
        if year is None or not rules.on(code):
            continue
        last = builds.last((name,))
        due = _on_working(days, (last or year.start_date) + rules[code].period)
        detail = f"последний — {_fmt(last)}" if last else "ещё не формировался в этом учебном году"
        items.append(_item(days, f"«{REPORT_TITLES[name]}» — {rules[code].term}", due,
                           detail=detail, link=_report_link(name)))
    return items


def _class_reports(actor, org, days, years, periods, builds, horizon):
    """A class's period reports (1 working day after the period), its preliminary report and its attendance
    report (at least every N days), «Итоговые данные» (by 1 October): one item per deadline and period, naming
    the classes."""
    today, rules = days.today, days.rules
    cond = _condition(actor, "control_reports_class", SchoolClass)
    classes = db.session.execute(select(SchoolClass.id, SchoolClass.name, SchoolClass.year_id).where(
        cond, SchoolClass.org_id == org.id, SchoolClass.year_id.in_([y.id for y in years]))
        .order_by(SchoolClass.grade, SchoolClass.name)).all()
    if not classes:
        return []
    class_ids = [c.id for c in classes]
    # The periods a class's journals run in (a class of quarters, a class of half-years): from its lessons.
    class_periods = defaultdict(list)
    if periods and rules.on("class_period_reports"):
        for class_id, period_id in db.session.execute(
                select(TeachingAssignment.class_id, Lesson.period_id).distinct()
                .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
                .where(TeachingAssignment.class_id.in_(class_ids), Lesson.period_id.in_(list(periods)))).all():
            class_periods[class_id].append(periods[period_id])
    missing_by, late_by = defaultdict(list), defaultdict(list)
    for klass in classes:
        for period, due, missing, late in _period_deadlines(
                days, "class_period_reports", sorted(class_periods[klass.id], key=lambda p: p.end_date), builds,
                CLASS_PERIOD_REPORTS, {"class_id": klass.id}, horizon):
            if missing:
                missing_by[(period.end_date, period.id, period.name, due)].append((klass, missing))
            elif late is not None and _recent(due, today):
                late_by[(period.id, period.name, due, late)].append(klass.name)
    items = []
    for (_, period_id, period_name, due), entries in missing_by.items():
        names = [k.name for k, _ in entries]
        reports = sorted({n for _, missing in entries for n in missing})
        items.append(_item(days, f"{_names(names, 4)}: не сформированы отчёты за «{period_name}»", due,
                           detail=", ".join(f"«{REPORT_TITLES[n]}»" for n in reports),
                           link=_report_link(reports[0], **{"class": entries[0][0].id, "period": period_name}),
                           count=len(entries)))
    for (_, period_name, due, late), names in late_by.items():
        items.append(_late(days, f"{_names(names, 4)}: отчёты за «{period_name}» сформированы {_fmt(late)}", due,
                           late))
    current = {y.id: y for y in years if y.start_date <= today <= y.end_date}
    for code, name in (("preliminary_report", PRELIMINARY_REPORT), ("attendance_report", ATTENDANCE_REPORT)):
        if not rules.on(code):
            continue
        due_classes = defaultdict(list)
        for klass in classes:
            year = current.get(klass.year_id)
            if year is None:
                continue
            last = builds.last((name,), class_id=klass.id)
            due = _on_working(days, (last or year.start_date) + rules[code].period)
            if due <= year.end_date:
                due_classes[due].append(klass)
        for due, group in sorted(due_classes.items()):
            items.append(_item(days, f"{_names([k.name for k in group], 4)}: «{REPORT_TITLES[name]}» — "
                                     f"{rules[code].term}", due, link=_report_link(name, **{"class": group[0].id}),
                               count=len(group)))
    if rules.on("students_summary"):
        pending = defaultdict(list)
        for klass in classes:
            year = current.get(klass.year_id)
            if year is None:
                continue
            if builds.first(STUDENTS_SUMMARY_REPORTS, year.start_date, class_id=klass.id,
                            any_class=("students-summary",)) is None:
                pending[rules["students_summary"].date_in(year.start_date.year)].append(klass)
        for due, group in pending.items():
            items.append(_item(days, f"{_names([k.name for k in group], 4)}: «{REPORT_TITLES['students-summary']}» "
                                     f"не сформированы", due,
                               link=_report_link("students-summary-class", **{"class": group[0].id}),
                               count=len(group), horizon=SOON_LONG))
    return items


def _teacher_reports(actor, org, days, year_ids, periods, builds, horizon):
    """«Отчёт учителя-предметника» of each teacher for each period his lessons ran in."""
    today = days.today
    if not periods:
        return []
    cond = _condition(actor, "control_reports_teacher", TeachingAssignment)
    teacher = func.coalesce(Lesson.teacher_id, TeachingAssignment.teacher_id)
    rows = db.session.execute(
        select(teacher, Lesson.period_id).distinct()
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .where(cond, TeachingAssignment.year_id.in_(year_ids), Lesson.period_id.in_(list(periods)),
               Lesson.is_cancelled.is_(False))).all()
    by_teacher = defaultdict(list)
    for teacher_id, period_id in rows:
        if teacher_id is not None:
            by_teacher[teacher_id].append(periods[period_id])
    if not by_teacher:
        return []
    others = [t for t in by_teacher if t != actor.staff_id]
    names = {r.id: _person(r.last_name, r.first_name, r.middle_name) for r in db.session.execute(
        select(Staff.id, Staff.last_name, Staff.first_name, Staff.middle_name)
        .where(Staff.id.in_(others))).all()} if others else {}
    missing_by = defaultdict(list)
    items = []
    for teacher_id, tperiods in by_teacher.items():
        for period, due, missing, late in _period_deadlines(
                days, "teacher_period_report", sorted(set(tperiods), key=lambda p: (p.end_date, p.id)), builds,
                [(TEACHER_PERIOD_REPORT,)], {"teacher_id": teacher_id}, horizon):
            if missing:
                missing_by[(period.end_date, period.id, period.name, due)].append(teacher_id)
            elif late is not None and _recent(due, today) and teacher_id == actor.staff_id:
                items.append(_late(days, f"«{REPORT_TITLES[TEACHER_PERIOD_REPORT]}» за «{period.name}» сформирован "
                                         f"{_fmt(late)}", due, late))
    for (_, period_id, period_name, due), teacher_ids in sorted(missing_by.items()):
        if teacher_ids == [actor.staff_id]:
            items.append(_item(days, f"Не сформирован «{REPORT_TITLES[TEACHER_PERIOD_REPORT]}» за «{period_name}»",
                               due, link=_report_link(TEACHER_PERIOD_REPORT, period=period_name,
                                                      teacher=actor.staff_id)))
        else:
            who = sorted(names.get(t, "") for t in teacher_ids)
            items.append(_item(days, f"«{REPORT_TITLES[TEACHER_PERIOD_REPORT]}» за «{period_name}» не сформирован: "
                                     f"учителей — {len(who)}", due, detail=_names(who),
                               link=_report_link(TEACHER_PERIOD_REPORT, period=period_name), count=len(who)))
    return items


__all__ = ["control", "summary", "Days", "Item", "Section", "Control"]
