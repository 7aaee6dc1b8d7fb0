"""The transition to the next academic year (SPEC §3 rule 6; seed 001 §III) and the rule that
nothing of a closed year changes.

The administrator's wizard has five steps; each shows what it will change before it runs, each
runs in one transaction under a lock of the closing year's row (step 4 in two: its drafts, then
their application), and each can be run again — after a failure, or by a second request at the same
time, which waits for the first and finds nothing left to do — without making anything twice:

1. check the closing year: open periods, period marks not set, orders not applied;
2. close every period and the year (from then on the flush guard below refuses any change of it);
3. create the next year: its periods, holidays and the working-day calendar's exceptions, copied
   a year on (52 weeks: the same weekdays), for the administrator to correct;
4. transfer the students: the movement book's transfer / repeater / graduate order
   (services/movement/year_transfer.py) built for the classes and applied; classes are carried with their class
   teachers;
5. carry the curricula (services/planning/curriculum.py) and the teaching assignments into the new year.

A step counts as done when its record (models/rollover.py, written in the step's own transaction)
exists or when the data already says so (a closed year; no student left in the old classes).
"""
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import chain
from types import SimpleNamespace

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import joinedload, selectinload

from models import (AcademicYear, Attendance, AuditLog, Bell, CalendarDay, Curriculum, CurriculumLine, ExamEntry,
                    ExamResult, Holiday, Lesson, Mark, MovementItem, MovementKind, MovementOrder, OrderStatus, Period,
                    PeriodMark, RolloverStep, SchoolClass, Staff, Student, StudentStatus, Subgroup, SubgroupMember,
                    Subject, Task, TeachingAssignment, ThematicPlan, ThematicPlanTopic, TimetableChange,
                    TimetableEntry, db, utcnow)
from models.dialect import locked
from services import audit, permissions, uow
from services.dates import format_date, today as today_of
from services.errors import DomainError, PermissionDenied, taken_is_refused
from services.journal import missing_marks
from services.journal.missing_marks import missing_period_marks
from services.org.calendar import PUBLIC_HOLIDAYS, statutory_exceptions
# the orders of step 4: transfer, repeaters, graduates
from services.movement.year_transfer import YEAR_END_KINDS, build_year_transfer
from services.rules import rule
from services.journal import periods as journal
from services.journal.periods import typed
from services.org.orgs import MAX_GRADE
from services.movement import orders as movement
from services.planning.curriculum import CurriculumIndex, _find_twin
from services.planning.subjects import is_teacher
from services.planning import curriculum as curricula

STEPS = {
    1: "Проверка закрываемого года",
    2: "Закрытие периодов и года",
    3: "Новый учебный год",
    4: "Перевод обучающихся",
    5: "Учебные планы и нагрузка",
}
WEEKS_52 = timedelta(days=364)
DRAFT, APPLIED = OrderStatus.DRAFT.value, OrderStatus.APPLIED.value
NEXT_YEAR = MovementKind.NEXT_YEAR.value


# -- the rule: nothing of a closed year changes ------------------------------------------------------
#
# The journal's flush rule (services/journal/rules.py) refuses entries dated in a closed *period*
# (rule 1). Closing a year closes all its periods first, so marks, attendance and period marks of
# its periods are refused there already; this guard adds what a period cannot say: the year
# itself, its periods' own rows, classes, curricula, assignments, subgroups, КТП, timetable,
# lessons, and the year's, exam and final marks. It runs on every flush whatever the path (a
# form, a service, a script), even when a journal service has checked its periods itself.

_YEAR_COLUMN = (Period, Holiday, SchoolClass, TeachingAssignment, Curriculum, ThematicPlan, Subgroup,
                PeriodMark, TimetableEntry, TimetableChange, ExamEntry, Bell)
_THROUGH = {  # model: (foreign key, relationship, parent model) whose year the row shares
    CurriculumLine: ("curriculum_id", "curriculum", Curriculum),
    ThematicPlanTopic: ("plan_id", "plan", ThematicPlan),
    SubgroupMember: ("period_id", "period", Period),
    Lesson: ("assignment_id", "assignment", TeachingAssignment),
    Task: ("lesson_id", "lesson", Lesson),
    Mark: ("task_id", "task", Task),
    Attendance: ("lesson_id", "lesson", Lesson),
    ExamResult: ("exam_entry_id", "entry", ExamEntry),
}


def _values(obj, key, before):
    """The attribute's value, and (before=True) the value stored before this flush."""
    state = inspect(obj)
    values = {getattr(obj, key)}
    if before and state.persistent:
        history = state.attrs[key].history
        values.update(history.deleted or ())
        values.update(history.unchanged or ())
    return {v for v in values if v is not None}


def _years_of(session, obj, before=True, depth=0):
    cls = type(obj)
    if cls in _YEAR_COLUMN:
        return _values(obj, "year_id", before)
    spec = _THROUGH.get(cls)
    if spec is None or depth > 4:
        return set()
    fk, rel, parent_model = spec
    parents = [session.get(parent_model, pk) for pk in _values(obj, fk, before)]
    loaded = inspect(obj).dict.get(rel)
    if loaded is not None:
        parents.append(loaded)
    years = set()
    for parent in parents:
        if parent is not None:
            years |= _years_of(session, parent, before=False, depth=depth + 1)
    return years


@rule("rollover.closed_year", "guard")
def _closed_year_guard(session, flush_context, instances):
    changed = [o for o in chain(session.new, session.deleted,
                                (d for d in session.dirty if session.is_modified(d)))]
    watched = [o for o in changed if type(o) in _YEAR_COLUMN or type(o) in _THROUGH]
    years = [o for o in changed if isinstance(o, AcademicYear)]
    for year in years:
        state = inspect(year)
        if state.persistent:
            year.is_closed  # noqa: B018 — loaded if expired, so that its history tells the stored value
            history = state.attrs.is_closed.history
            if (history.deleted or history.unchanged or [False])[0]:
                raise DomainError(f"Учебный год {year.name} закрыт: его данные не меняются")
    if not watched:
        return
    with session.no_autoflush:
        year_ids = set()
        for obj in watched:
            year_ids |= _years_of(session, obj)
        if not year_ids:
            return
        closed = session.execute(select(AcademicYear.name).where(
            AcademicYear.id.in_(year_ids), AcademicYear.is_closed.is_(True)).limit(1)).scalar()
    if closed is not None:
        raise DomainError(f"Учебный год {closed} закрыт: его данные не меняются")


# -- the wizard's state --------------------------------------------------------------------------------

@dataclass
class StepState:
    number: int
    title: str
    done: bool = False
    record: RolloverStep | None = None
    blocked: str = ""  # why it cannot run now


@dataclass
class Wizard:
    year: AcademicYear
    next_year: AcademicYear | None
    steps: list
    finished_before: list = field(default_factory=list)  # earlier rollovers: (from year, record of step 5)

    @property
    def current(self):
        return next((s.number for s in self.steps if not s.done), None)

    @property
    def progress(self):
        return round(100 * sum(1 for s in self.steps if s.done) / len(self.steps))

    def step(self, number):
        return self.steps[number - 1]


def _require(actor, year, verb="run"):
    permissions.require(actor, "year_rollover", verb)
    if year is None:
        raise DomainError("Учебный год не выбран")
    if not actor.system and year.org_id != actor.org_id:
        raise PermissionDenied("Учебный год не найден или недоступен.")
    if actor.system and actor.org_id is not None and year.org_id != actor.org_id:
        raise PermissionDenied("Учебный год не найден или недоступен.")


def years_of(org_id):
    return db.session.scalars(select(AcademicYear).where(AcademicYear.org_id == org_id)
                              .order_by(AcademicYear.start_date)).all()


def source_year(org_id):
    """The year being rolled over: one whose rollover was begun and not finished, else the earliest
    open year, else the last one."""
    years = years_of(org_id)
    if not years:
        return None
    steps = defaultdict(set)
    for year_id, step in db.session.execute(select(RolloverStep.year_id, RolloverStep.step).where(
            RolloverStep.org_id == org_id)).all():
        steps[year_id].add(step)
    begun = [y for y in years if steps.get(y.id) and 5 not in steps[y.id]]
    if begun:
        return begun[-1]
    open_years = [y for y in years if not y.is_closed]
    return open_years[0] if open_years else years[-1]


def next_year_of(year):
    return db.session.scalars(select(AcademicYear).where(
        AcademicYear.org_id == year.org_id, AcademicYear.start_date > year.start_date)
        .order_by(AcademicYear.start_date)).first()


def _records(year):
    return {r.step: r for r in db.session.scalars(select(RolloverStep).where(RolloverStep.year_id == year.id))}


def _students_left(year):
    """Students still studying in a class of the year (not transferred, not graduated)."""
    return db.session.scalar(select(func.count(Student.id)).join(SchoolClass, SchoolClass.id == Student.class_id)
                             .where(SchoolClass.year_id == year.id,
                                    Student.status == StudentStatus.STUDYING.value)) or 0


def state(actor, year):
    _require(actor, year, "list")
    records = _records(year)
    nxt = next_year_of(year)
    done = {
        1: 1 in records or year.is_closed,
        2: year.is_closed,
        3: nxt is not None and 3 in records,
        4: nxt is not None and (4 in records or (3 in records and _students_left(year) == 0
                                                  and not _year_end_drafts(year))),
        5: nxt is not None and 5 in records,
    }
    steps = []
    for number, title in STEPS.items():
        blocked = ""
        earlier = next((n for n in range(1, number) if not done[n]), None)
        if earlier is not None:
            blocked = f"Сначала выполните шаг {earlier} «{STEPS[earlier]}»"
        steps.append(StepState(number, title, done[number], records.get(number), blocked))
    finished = db.session.execute(
        select(AcademicYear, RolloverStep).join(RolloverStep, RolloverStep.year_id == AcademicYear.id)
        .where(AcademicYear.org_id == year.org_id, RolloverStep.step == 5, AcademicYear.id != year.id)
        .order_by(AcademicYear.start_date.desc())).all()
    return Wizard(year, nxt, steps, [tuple(r) for r in finished])


def _record(actor, year, number, summary):
    row = db.session.scalar(select(RolloverStep).where(RolloverStep.year_id == year.id,
                                                       RolloverStep.step == number))
    if row is None:
        row = RolloverStep(org_id=year.org_id, year_id=year.id, step=number)
        db.session.add(row)
    row.done_at, row.done_by_id, row.summary = utcnow(), actor.user_id, summary[:1000]
    return row


@dataclass
class Result:
    summary: str
    changed: bool = True


def _step(actor, year, number, work):
    """Step `number` in one transaction: `work(wizard)` → Result, committed if it ends, rolled back
    whatever breaks it. The year's row is locked first and the wizard read after it, so a second
    request for the step waits for the first one and then finds nothing left to do; were the lock
    missed, the unique keys would refuse its copies and it would get the message below."""
    _require(actor, year, "run")
    # One transaction per step (services/uow.py): the year's lock is held until the step commits.
    with uow.step(), taken_is_refused(f"Шаг {number} «{STEPS[number]}» уже выполняет другой пользователь",
                                      ["обновите страницу через несколько секунд"]):
        db.session.scalar(locked(select(AcademicYear).where(AcademicYear.id == year.id), key_share=True))
        wizard = state(actor, year)
        if wizard.step(number).blocked:
            raise DomainError(wizard.step(number).blocked)
        result = work(wizard)
        db.session.flush()  # a twin's copies refused here, inside taken_is_refused, not at the commit
    return result


# -- step 1: check the closing year ----------------------------------------------------------------------

@dataclass
class CheckPreview(missing_marks.Missing):
    open_periods: list
    missing: list  # services.journal.missing_marks.MissingMarks
    drafts: list  # movement orders not applied
    blocking: list  # drafts that must be applied or deleted before the year closes


def _drafts(year):
    """Movement orders of the year not applied."""
    return db.session.scalars(select(MovementOrder).where(
        MovementOrder.org_id == year.org_id, MovementOrder.status == DRAFT, MovementOrder.year_id == year.id)
        .order_by(MovementOrder.order_date, MovementOrder.id)).all()


def _year_end_drafts(year):
    """Draft orders of the transfer from `year` to the next one (transfer, repeaters, graduates)."""
    nxt = next_year_of(year)
    if nxt is None:
        return []
    return db.session.scalars(select(MovementOrder).where(
        MovementOrder.org_id == year.org_id, MovementOrder.status == DRAFT, MovementOrder.kind.in_(YEAR_END_KINDS),
        MovementOrder.target_year_id == nxt.id).order_by(MovementOrder.id)).all()


def preview_check(actor, year):
    _require(actor, year, "list")
    org = year.organization
    periods = db.session.scalars(select(Period).where(Period.year_id == year.id)
                                 .order_by(Period.start_date)).all()
    drafts = _drafts(year)
    return CheckPreview(
        open_periods=[p for p in periods if not p.is_closed],
        missing=missing_period_marks(org, [year.id], year_marks=True),
        drafts=drafts,
        blocking=[o for o in drafts if o.kind not in YEAR_END_KINDS])


def run_check(actor, year):
    """Step 1: the administrator has seen the check; it is recorded with its figures."""
    def work(wizard):
        if year.is_closed:
            return Result("Учебный год уже закрыт: проверка не нужна.", changed=False)
        check = preview_check(actor, year)
        summary = (f"Открытых периодов: {len(check.open_periods)}; не выставлено отметок за период: "
                   f"{check.missing_total}; не проведено приказов: {len(check.drafts)}")
        _record(actor, year, 1, summary)
        return Result(summary)
    return _step(actor, year, 1, work)


# -- step 2: close the periods and the year ------------------------------------------------------------

@dataclass
class ClosePreview(missing_marks.Missing):
    """What closing the year today leaves behind: its open periods, the orders that stop it, the period and
    year marks not set, and whether the year has ended (issue 15: an irreversible step checks the calendar)."""

    year: AcademicYear
    open_periods: list
    blocking: list
    missing: list = field(default_factory=list)  # services.journal.missing_marks.MissingMarks
    today: date | None = None

    @property
    def early(self):
        return self.today is not None and self.today < self.year.end_date

    def problems(self):
        lines = []
        if self.early:
            lines.append(f"учебный год ещё не окончен: его последний день — {format_date(self.year.end_date)}, "
                         f"сегодня {format_date(self.today)}")
        if self.missing:
            lines.append(f"не выставлено отметок за период и годовых: {self.missing_total}")
        return lines


REASON_MIN, REASON_MAX = 10, 250


def preview_close(actor, year):
    _require(actor, year, "list")
    periods = db.session.scalars(select(Period).where(Period.year_id == year.id, Period.is_closed.is_(False))
                                 .order_by(Period.start_date)).all()
    org = year.organization
    return ClosePreview(year, periods, [o for o in _drafts(year) if o.kind not in YEAR_END_KINDS],
                        missing_period_marks(org, [year.id], year_marks=True), today_of(org))


def _confirmation(year, preview, confirm, reason):
    """The year closes only when its name is typed (`confirm`): closing is irreversible. Before the year's
    last day a reason is needed too (written to the audit). Returns the reason, cleaned."""
    reason = " ".join(str(reason or "").split())
    if typed(confirm) != typed(year.name):
        if typed(confirm):
            raise DomainError(f"Название учебного года введено неверно: нужно «{year.name}». Год не закрыт")
        warning = "; ".join(preview.problems())
        raise DomainError(f"Подтвердите закрытие: введите название учебного года «{year.name}» — после закрытия "
                          "данные учебного года изменить нельзя" + (f" ({warning})" if warning else ""))
    if preview.early and len(reason) < REASON_MIN:
        raise DomainError(f"Учебный год {year.name} ещё не окончен (последний день — "
                          f"{format_date(year.end_date)}): закрыть его раньше можно, только указав причину "
                          f"(не короче {REASON_MIN} знаков). Год не закрыт")
    if len(reason) > REASON_MAX:
        raise DomainError(f"Причина — не длиннее {REASON_MAX} знаков. Год не закрыт")
    return reason


def _log_year_close(actor, year, preview, reason):
    """The year's closing in the audit: what it left behind and why (services/audit.py writes the change of
    the year's row itself; this row says why, as a period's reopening does)."""
    _, _, address = audit.get_context()
    changes = {"is_closed": [False, True]}
    if preview.problems():
        changes["warnings"] = [None, preview.problems()]
    if reason:
        changes["reason"] = [None, reason]
    summary = f"Учебный год {year.name} закрыт" + (f": {reason}" if reason else "")
    db.session.add(AuditLog(org_id=year.org_id, user_id=actor.user_id, action="close_year", entity="academic_year",
                            entity_id=year.id, summary=summary[:300], changes=changes, address=address))


def close_year(actor, year, confirm=None, reason=None):
    """Step 2: close every open period (services/journal.close_period: it waits for saves in
    flight and writes the audit), then the year. `confirm`: the year's name typed by the administrator;
    `reason`: why a year is closed before its last day (required then, in the audit). Running it again
    on a closed year does nothing."""

    def work(wizard):
        if year.is_closed:
            return Result(f"Учебный год {year.name} уже закрыт.", changed=False)
        preview = preview_close(actor, year)
        cause = _confirmation(year, preview, confirm, reason)
        if preview.blocking:
            raise DomainError("Сначала проведите или удалите приказы учебного года",
                              [str(o) + f" ({o.kind_label})" for o in preview.blocking])
        # The year's name typed covers its periods: each is closed as confirmed by its own name.
        closed = sum(bool(journal.close_period(actor, period.id, confirm=period.name))
                     for period in preview.open_periods)
        summary = f"Закрыто периодов: {closed}; учебный год {year.name} закрыт"
        if preview.early:
            summary += f" до окончания ({format_date(year.end_date)}), причина: {cause}"
        if preview.missing:
            summary += f"; не было выставлено отметок: {preview.missing_total}"
        year.is_closed = True
        _log_year_close(actor, year, preview, cause)
        _record(actor, year, 2, summary)
        return Result(summary)
    return _step(actor, year, 2, work)


# -- step 3: the next year -------------------------------------------------------------------------------

def next_name(year):
    first = int(year.name[:4])
    return f"{first + 1}/{first + 2}"


def a_year_on(day):
    """The same calendar date a year later (29 February: the 28th)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def a_year_on_same_weekday(day):
    """52 weeks later: the same weekday, a day or two earlier in the calendar."""
    return day + WEEKS_52


def _shift_range(start, end, old_year, new_start, new_end):
    """A period's or holiday's dates a year on: what began with the year begins with the new one,
    what ended with it ends with the new one, the rest moves 52 weeks (same weekdays)."""
    s = new_start if start == old_year.start_date else a_year_on_same_weekday(start)
    e = new_end if end == old_year.end_date else a_year_on_same_weekday(end)
    s, e = max(s, new_start), min(e, new_end)
    return (s, e) if s <= e else None


@dataclass
class PlannedRow:
    source: object  # the old period or holiday
    start: date
    end: date
    existing: object | None = None


@dataclass
class NextYearPlan:
    name: str
    start: date
    end: date
    existing: AcademicYear | None
    periods: list
    holidays: list
    days: list  # (day, is_working, note) exceptions of the calendar to add
    skipped: list  # holidays that fall outside the new year

    @property
    def to_add(self):
        return (0 if self.existing else 1, sum(1 for p in self.periods if p.existing is None),
                sum(1 for h in self.holidays if h.existing is None), len(self.days))


def plan_next_year(actor, year):
    _require(actor, year, "list")
    name = next_name(year)
    existing = db.session.scalar(select(AcademicYear).where(AcademicYear.org_id == year.org_id,
                                                            AcademicYear.name == name))
    start = existing.start_date if existing else a_year_on(year.start_date)
    end = existing.end_date if existing else a_year_on(year.end_date)
    have_periods, have_holidays = {}, {}
    if existing is not None:
        have_periods = {(p.type, p.number): p for p in db.session.scalars(
            select(Period).where(Period.year_id == existing.id))}
        have_holidays = {h.name.strip().lower(): h for h in db.session.scalars(
            select(Holiday).where(Holiday.year_id == existing.id))}
    periods = []
    old_periods = select(Period).where(Period.year_id == year.id).order_by(Period.type, Period.start_date)
    for p in db.session.scalars(old_periods):
        dates = _shift_range(p.start_date, p.end_date, year, start, end)
        if dates is not None:
            periods.append(PlannedRow(p, *dates, have_periods.get((p.type, p.number))))
    holidays, skipped = [], []
    for h in db.session.scalars(select(Holiday).where(Holiday.year_id == year.id).order_by(Holiday.start_date)):
        dates = _shift_range(h.start_date, h.end_date, year, start, end)
        if dates is None:
            skipped.append(h)
        else:
            holidays.append(PlannedRow(h, *dates, have_holidays.get(h.name.strip().lower())))
    return NextYearPlan(name, start, end, existing, periods, holidays, _calendar_days(year, start), skipped)


def _calendar_days(year, new_start):
    """Exceptions of the working-day calendar for the new year's span (its first day to the day
    before the same date a year later): the public holidays (ст. 112 ТК РФ) that fall on weekdays,
    and the old span's other exceptions (transfers of days off) moved 52 weeks on. Days the calendar
    already has an exception for are left as they are."""
    old_span = (year.start_date, a_year_on(year.start_date) - timedelta(days=1))
    new_span = (new_start, a_year_on(new_start) - timedelta(days=1))
    have = dict(db.session.execute(select(CalendarDay.day, CalendarDay.is_working).where(
        CalendarDay.org_id == year.org_id, CalendarDay.day >= min(old_span[0], new_span[0]),
        CalendarDay.day <= max(old_span[1], new_span[1]))).all())
    wanted = {}
    for d, working, note in statutory_exceptions(range(new_span[0].year, new_span[1].year + 1)):
        if new_span[0] <= d <= new_span[1]:
            wanted[d] = (working, note)
    public = set(PUBLIC_HOLIDAYS)
    statutory = {d for d, _, _ in statutory_exceptions(range(old_span[0].year, old_span[1].year + 1))}
    for d, working in sorted(have.items()):
        if not old_span[0] <= d <= old_span[1] or (d.month, d.day) in public or d in statutory:
            continue
        new_day = a_year_on_same_weekday(d)
        if not new_span[0] <= new_day <= new_span[1] or new_day in wanted:
            continue
        if working == (new_day.weekday() < 5):
            continue  # the same as the five-day week: nothing to note
        wanted[new_day] = (working, f"Перенесено с {d:%d.%m.%Y} — сверьте с постановлением Правительства")
    return [(d, w, note) for d, (w, note) in sorted(wanted.items()) if d not in have]


def create_next_year(actor, year):
    """Step 3: the next year with its periods, holidays and calendar exceptions; what exists
    already (made by hand or by an earlier run) is kept as it is."""
    def work(wizard):
        plan = plan_next_year(actor, year)
        new = plan.existing
        made = Counter()
        if new is None:
            new = AcademicYear(org_id=year.org_id, name=plan.name, start_date=plan.start, end_date=plan.end)
            db.session.add(new)
            db.session.flush()
            made["year"] = 1
        for row in plan.periods:
            if row.existing is None:
                p = row.source
                db.session.add(Period(org_id=year.org_id, year_id=new.id, type=p.type, number=p.number,
                                      name=p.name, start_date=row.start, end_date=row.end))
                made["periods"] += 1
        db.session.flush()
        for row in plan.holidays:
            if row.existing is None:
                h = row.source
                db.session.add(Holiday(org_id=year.org_id, year_id=new.id, name=h.name, start_date=row.start,
                                       end_date=row.end, period_type=h.period_type, grade_from=h.grade_from,
                                       grade_to=h.grade_to))
                made["holidays"] += 1
        for day, working, note in plan.days:
            db.session.add(CalendarDay(org_id=year.org_id, day=day, is_working=working, note=note))
            made["days"] += 1
        db.session.flush()
        summary = (f"Учебный год {new.name}: {'создан' if made['year'] else 'уже был'}; периодов добавлено: "
                   f"{made['periods']}; каникул: {made['holidays']}; дней календаря: {made['days']}")
        if sum(made.values()) or db.session.scalar(select(RolloverStep.id).where(
                RolloverStep.year_id == year.id, RolloverStep.step == 3)) is None:
            _record(actor, year, 3, summary)
            return Result(summary)
        return Result("Новый учебный год уже создан: добавлять нечего.", changed=False)
    return _step(actor, year, 3, work)


# -- step 4: transfer the students ------------------------------------------------------------------------

@dataclass
class ClassMove:
    klass: SchoolClass
    students: int
    teacher: str
    target: str  # where the class goes


@dataclass
class TransferPreview:
    classes: list
    drafts: list  # year-end orders built already, not applied
    applied: list  # year-end orders applied
    left: int  # students still in the old classes


def _class_target(klass, top, college):
    if klass.grade >= top:
        return "выпуск"
    return f"{klass.grade + 1} {'курс' if college else 'класс'}"


def preview_transfer(actor, year):
    _require(actor, year, "list")
    org = year.organization
    rows = db.session.execute(
        select(SchoolClass, func.count(Student.id))
        .outerjoin(Student, (Student.class_id == SchoolClass.id) & (Student.status == StudentStatus.STUDYING.value))
        .where(SchoolClass.year_id == year.id).group_by(SchoolClass.id)
        .order_by(SchoolClass.grade, SchoolClass.name)).all()
    teachers = {s.id: s.short_name for s in db.session.scalars(select(Staff).where(
        Staff.id.in_({k.class_teacher_id for k, _ in rows if k.class_teacher_id})))}
    top = MAX_GRADE[org.kind]
    classes = [ClassMove(k, n, teachers.get(k.class_teacher_id, "—"), _class_target(k, top, org.is_college))
               for k, n in rows if n]
    nxt = next_year_of(year)
    applied = db.session.scalars(select(MovementOrder).where(
        MovementOrder.org_id == year.org_id, MovementOrder.kind.in_(YEAR_END_KINDS), MovementOrder.status == APPLIED,
        MovementOrder.target_year_id == (nxt.id if nxt else -1)).order_by(MovementOrder.order_date, MovementOrder.id)
    ).all() if nxt is not None else []
    return TransferPreview(classes, _year_end_drafts(year), applied, sum(c.students for c in classes))


def transfer_students(actor, year, order_number, order_date):
    """Step 4: the year-end orders built for every class that still has students
    (services/movement/year_transfer.build_year_transfer: idempotent, it adds only students not yet drafted and
    makes no class twice), then applied (services/movement/orders.apply_order). Two transactions: the
    drafts are kept if applying them fails, for the administrator to correct them in the movement
    book; the next run applies them, all at once or none."""

    def build(wizard):
        preview = preview_transfer(actor, year)
        if not preview.classes:
            return
        number, day = (order_number or "").strip(), order_date
        draft = next((o for o in preview.drafts if o.kind == NEXT_YEAR), preview.drafts[0] if preview.drafts else None)
        if draft is not None and not number:  # more students for the drafts begun earlier
            number, day = re.sub(r"-(в|вып)$", "", draft.number), draft.order_date
        if not number:
            raise DomainError("Укажите номер приказа о переводе", fields={"order_number": "Укажите номер приказа"})
        if not isinstance(day, date):
            raise DomainError("Укажите дату приказа в виде дд.мм.гггг",
                              fields={"order_date": "Дата приказа указывается в виде дд.мм.гггг"})
        build_year_transfer(actor, [c.klass.id for c in preview.classes], wizard.next_year, number, day)

    def apply(wizard):
        drafts = _year_end_drafts(year)
        for order in drafts:
            movement.apply_order(actor, order.id)
        if not drafts and 4 in _records(year):
            return Result("Обучающиеся уже переведены.", changed=False)
        left = _students_left(year)
        summary = (f"Проведено приказов: {len(drafts)}"
                   + (f" ({', '.join(f'№ {o.number}' for o in drafts)})" if drafts else "")
                   + f"; осталось в {year.name}: {left}")
        _record(actor, year, 4, summary)
        return Result(summary)
    _step(actor, year, 4, build)
    # apply_order reads actor.user_id after it has changed an order: read now, not loaded (after the
    # commit above expired the user) by an autoflush of half the change.
    actor.user_id  # noqa: B018
    return _step(actor, year, 4, apply)


# -- step 5: curricula and teaching assignments --------------------------------------------------------

def class_map(year):
    """{old class id: new class id}: where the year-end orders took each class's students (the
    class most of them went to)."""
    rows = db.session.execute(
        select(MovementItem.from_class_id, MovementItem.to_class_id, func.count(MovementItem.id))
        .join(MovementOrder, MovementOrder.id == MovementItem.order_id)
        .join(SchoolClass, SchoolClass.id == MovementItem.from_class_id)
        .where(SchoolClass.year_id == year.id, MovementOrder.kind == NEXT_YEAR,
               MovementOrder.status == APPLIED, MovementItem.to_class_id.is_not(None))
        .group_by(MovementItem.from_class_id, MovementItem.to_class_id)).all()
    best = {}
    for old, new, n in rows:
        if old not in best or n > best[old][1]:
            best[old] = (new, n)
    return {old: new for old, (new, _) in best.items()}


@dataclass
class AssignmentCopy:
    source: TeachingAssignment
    klass: SchoolClass | None  # the new class
    status: str  # "new", "exists" or why it is not carried


@dataclass
class PlanningPreview:
    curricula: list  # (old curriculum, twin in the next year or None)
    assignments: list

    @property
    def new_assignments(self):
        return [a for a in self.assignments if a.status == "new"]


def preview_planning(actor, year):
    _require(actor, year, "list")
    nxt = next_year_of(year)
    curricula = db.session.scalars(select(Curriculum).where(Curriculum.year_id == year.id)
                                   .options(selectinload(Curriculum.lines), joinedload(Curriculum.organization),
                                            joinedload(Curriculum.specialty))
                                   .order_by(Curriculum.grade, Curriculum.profile)).all()
    pairs = [(c, _find_twin(c, nxt) if nxt is not None else None) for c in curricula]
    if nxt is None:
        return PlanningPreview(pairs, [])
    mapping = class_map(year)
    new_classes = {k.id: k for k in db.session.scalars(select(SchoolClass).where(SchoolClass.id.in_(mapping.values())))}
    assignments = db.session.scalars(
        select(TeachingAssignment).join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .where(TeachingAssignment.year_id == year.id)
        .options(joinedload(TeachingAssignment.klass), joinedload(TeachingAssignment.subject),
                 joinedload(TeachingAssignment.subgroup), joinedload(TeachingAssignment.teacher))
        .order_by(SchoolClass.grade, SchoolClass.name, Subject.sort_order, Subject.name)).all()
    existing = set(db.session.execute(
        select(TeachingAssignment.class_id, TeachingAssignment.subject_id, Subgroup.name, TeachingAssignment.teacher_id)
        .outerjoin(Subgroup, Subgroup.id == TeachingAssignment.subgroup_id)
        .where(TeachingAssignment.year_id == nxt.id)).all())
    index = CurriculumIndex.for_years([year.id, nxt.id])
    college = year.organization.is_college
    rows = []
    for a in assignments:
        new = new_classes.get(mapping.get(a.class_id))
        if new is None:
            rows.append(AssignmentCopy(a, None, f"{a.klass.name} не переводится в новый год"))
            continue
        subgroup = a.subgroup.name if a.subgroup else None
        if (new.id, a.subject_id, subgroup, a.teacher_id) in existing:
            rows.append(AssignmentCopy(a, new, "exists"))
        elif a.teacher.dismissal_date is not None or not is_teacher(a.teacher):
            rows.append(AssignmentCopy(a, new, f"{a.teacher.short_name} не работает учителем"))
        elif not _in_curriculum(index, new, year, a.subject_id):
            rows.append(AssignmentCopy(a, new, f"предмета нет в учебном плане {new.grade} "
                                               f"{'курса' if college else 'класса'}"))
        else:
            rows.append(AssignmentCopy(a, new, "new"))
    return PlanningPreview(pairs, rows)


def _in_curriculum(index, klass, old_year, subject_id):
    """Has the new class's curriculum the subject (the next year's, else the one this step copies)?
    No curriculum at all: the assignment is carried, the control page shows the missing plan."""
    curriculum = index.for_class(klass)
    if curriculum is None:
        probe = SimpleNamespace(year_id=old_year.id, grade=klass.grade, profile=klass.profile,
                                specialty_id=klass.specialty_id)
        curriculum = index.for_class(probe)
    if curriculum is None:
        return True
    return subject_id in index.subjects(curriculum)


def copy_planning(actor, year):
    """Step 5: the curricula carried into the next year (services/curriculum.copy_to_next_year:
    twins made if missing, lines they lack added), then the teaching assignments of each class
    given to the class it became, with its subgroups' names, for the deputy to review. Hours come
    from the new curriculum; the КТП is the teacher's new one (the control page asks for it)."""

    def work(wizard):
        nxt = wizard.next_year
        ids = [c.id for c in db.session.scalars(select(Curriculum).where(Curriculum.year_id == year.id))]
        made_plans = added_lines = 0
        if ids:
            made_plans, added_lines = curricula.copy_to_next_year(actor, ids)
        preview = preview_planning(actor, year)
        made = subgroups = 0
        known = {(s.class_id, s.subject_id, s.name): s for s in db.session.scalars(
            select(Subgroup).where(Subgroup.year_id == nxt.id))}
        for row in preview.new_assignments:
            a, klass = row.source, row.klass
            subgroup = None
            if a.subgroup is not None:
                key = (klass.id, a.subject_id, a.subgroup.name)
                subgroup = known.get(key)
                if subgroup is None:
                    subgroup = known[key] = Subgroup(org_id=klass.org_id, year_id=nxt.id, class_id=klass.id,
                                                     subject_id=a.subject_id, name=a.subgroup.name)
                    db.session.add(subgroup)
                    db.session.flush()
                    subgroups += 1
            db.session.add(TeachingAssignment(org_id=klass.org_id, year_id=nxt.id, class_id=klass.id,
                                              subject_id=a.subject_id, teacher_id=a.teacher_id,
                                              subgroup_id=subgroup.id if subgroup else None))
            db.session.flush()
            made += 1
        skipped = [r for r in preview.assignments if r.status not in ("new", "exists")]
        summary = (f"Учебных планов создано: {made_plans}, строк добавлено: {added_lines}; нагрузки перенесено: "
                   f"{made}, подгрупп: {subgroups}; не перенесено: {len(skipped)}")
        if made_plans or added_lines or made or 5 not in _records(year):
            _record(actor, year, 5, summary)
            return Result(summary)
        return Result("Учебные планы и нагрузка уже перенесены: добавлять нечего.", changed=False)
    return _step(actor, year, 5, work)


# -- for the control page: is the new year done? ----------------------------------------------------------

def year_done(org_id, name):
    """'' if the academic year `name` is set up (it exists with periods, the years before it are
    closed and their students transferred); else what is missing, in Russian."""
    years = years_of(org_id)
    target = next((y for y in years if y.name == name), None)
    if target is None:
        return f"Учебный год {name} не создан"
    problems = []
    if not db.session.scalar(select(func.count(Period.id)).where(Period.year_id == target.id)):
        problems.append("не заданы учебные периоды")
    earlier = [y for y in years if y.start_date < target.start_date]
    open_before = [y.name for y in earlier if not y.is_closed]
    if open_before:
        problems.append("не закрыт учебный год " + ", ".join(open_before))
    if earlier:
        left = db.session.scalar(select(func.count(Student.id)).join(SchoolClass, SchoolClass.id == Student.class_id)
                                 .where(SchoolClass.year_id.in_([y.id for y in earlier]),
                                        Student.status == StudentStatus.STUDYING.value))
        if left:
            problems.append(f"не переведены обучающиеся: {left}")
    text = "; ".join(problems)
    return text[:1].upper() + text[1:]


__all__ = ["STEPS", "state", "source_year", "preview_check", "run_check", "preview_close", "close_year",
           "plan_next_year", "create_next_year", "preview_transfer", "transfer_students", "preview_planning",
           "copy_planning", "year_done", "class_map"]


RULES = (_closed_year_guard,)
