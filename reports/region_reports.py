"""The regional roll-ups (issue 20.1): the aggregate figures of a regional specialist's scope's organizations,
per organization and, on drill-down, per grade and class of one of them — never a student's row, name or id.

- `results`: успеваемость, качество, СОУ, средний балл (THE figures function, over the same sets as the
  school's own «Итоги успеваемости и качества знаний»: `data.class_sets`, `data.period_marks`) and the
  наполняемость (classes, students) of a year's period;
- `movement`: arrivals and departures of a date range from the movement book (applied orders);
- `activity`: the accounts of each school by role, the share ever signed in, the sign-ins of a range;
- `deadlines`: the schools' progress through the year's deadlines (year opened, curricula, КТП,
  timetables by 15 September: `services/control/rules.py` DEFAULTS' «planning»);
- `oo1_summed`: the ОО-1 counts summed over the scope (reports/oo1.py `build_form` per school);
- `overdue`: each school's control page's overdue items, counted per section (services/control/).

The organizations are THE scope of services/region/scope.py (`scope_org_ids`), named in every query besides
the request's organization scope. Each function takes an optional `progress(done, total, text)` called per
organization, so a background job can run it for a region of 50 schools. `results`, `movement`, `activity`
and `deadlines` are set-based (their statements do not grow with the schools: `results` takes one group of
statements per distinct period calendar and per BATCH_CLASSES classes of whole organizations — bounded memory and
parameters with 100 000 students; bench/RESULTS.md, «Регион»); `oo1_summed` and `overdue` build each school's own
form / control page (their statements grow with the schools: run them as a job for a large region).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from sqlalchemy import case, func, select

from models import (AcademicYear, DeadlineRule, LoginEvent, Municipality, MovementItem, MovementOrder, Organization,
                    Parent, Period, PeriodMark, SchoolClass, Staff, Student, TeachingAssignment, ThematicPlanTopic,
                    TimetableEntry, User, db, scope)
from models.movement import MovementKind, OrderStatus
from reports import data, oo1
from reports.parameters import Params
from reports.document import Column, Document, date_range, figure_columns, figure_values, slug
from services import dates
from services.control import deadlines as control_deadlines
from services.control.deadlines import september_15
from services.control.rules import Rules
from services.errors import DomainError, PermissionDenied
from services.journal.figures import figures, percent, pooled_average
from services.planning.curriculum import CurriculumIndex
from services.region import scope as region_scope

# The figures of the roll-up: «Итоги успеваемости»'s, with the average.
FIGURES = dict(students=True, exempt=True, none=True, average=True, overall=True)
ARRIVALS = (MovementKind.ENROLLMENT.value,)
DEPARTURES = (MovementKind.WITHDRAWAL.value, MovementKind.EXPULSION.value, MovementKind.GRADUATION.value)
KIND_LABELS = {"staff": "Сотрудники", "student": "Обучающиеся", "parent": "Родители"}
# A group of fewer students than this shows its size only: its «5»/«4»/«3»/«2», percentages and average would tell
# a child's own results (a class of 2: «1 отличник, 1 с «2»»). Every row: a class, a grade, a school, the total.
MIN_GROUP = 5
SMALL_MARK = " *"
SMALL_NOTE = (f"* Группа меньше {MIN_GROUP} обучающихся: показано только число учеников — по отметкам и процентам "
              "такой группы можно узнать результаты отдельных детей.")


def _noop(done, total, text):
    return None


# -- the scope --------------------------------------------------------------------------------------

def scope_orgs(actor):
    """The organizations of the actor's regional scope, by municipality and name (one statement); a
    non-regional actor has none and is refused."""
    ids = region_scope.scope_org_ids(actor)
    if actor.region_org_ids is None:
        raise PermissionDenied()
    rows = db.session.execute(
        select(Organization, Municipality.name).join(Municipality, Municipality.id == Organization.municipality_id)
        .where(Organization.id.in_(ids)).order_by(Municipality.name, Organization.short_name)).all()
    for org, municipality in rows:
        org.municipality_name = municipality  # the heading's column, not stored
    return [org for org, _ in rows]


def one_org(actor, org_id):
    """One organization of the scope, or «не найдена» (another municipality's is as absent as none)."""
    found = [o for o in scope_orgs(actor) if o.id == org_id]
    if not found:
        raise DomainError("Организация не найдена в вашей зоне ответственности.")
    return found[0]


def default_year_name(today=None):
    today = today or dates.today()  # installation-wide: the region's date
    start = today.year if today.month >= 7 else today.year - 1
    return f"{start}/{start + 1}"


def _scope_doc(actor, name, title, params, filename):
    heading = region_scope.scope_title(actor.region_staff_id) or "Регион"
    org = SimpleNamespace(full_name=heading, short_name=heading, is_college=False, kind="school", id=None)
    return Document(name=name, title=title, org=org, params=params, filename=filename)


# -- успеваемость, качество, наполняемость ------------------------------------------------------------------

@dataclass
class Unit:
    """The figures of one organization, grade or class: counts and percentages only."""

    label: str
    classes: int = 0
    students: int = 0
    figures: object = None
    org_id: int | None = None
    municipality: str = ""


@dataclass
class Results:
    year_name: str
    period_label: str
    schools: list = field(default_factory=list)  # [Unit] per organization
    grades: dict = field(default_factory=dict)  # {org id: [Unit per grade, then per class]} (drill-down)
    total: Unit | None = None
    missing: list = field(default_factory=list)  # organizations without that year or period


def _years_and_periods(org_ids, year_name, period_number):
    """{org id: (year, period or None)} of the year named `year_name` in each organization; `period_number`
    None: the year («год»). One statement."""
    rows = db.session.execute(
        select(AcademicYear, Period).outerjoin(Period, (Period.year_id == AcademicYear.id) & (
            Period.number == (period_number or 0)))
        .where(AcademicYear.org_id.in_(org_ids), AcademicYear.name == year_name)).all()
    return {year.org_id: (year, period) for year, period in rows}


def results(actor, year_name, period_number=None, org_id=None, progress=None):
    """The results of the scope's organizations (or of one, `org_id`, with its grades and classes) for the
    period number `period_number` of the year `year_name` (None: the year marks)."""
    progress = progress or _noop
    orgs = scope_orgs(actor) if org_id is None else [one_org(actor, org_id)]
    chosen = _years_and_periods([o.id for o in orgs], year_name, period_number)
    out = Results(year_name, f"{period_number} период" if period_number else "Год")
    usable, lacking = [], set()
    for org in orgs:
        year, period = chosen.get(org.id, (None, None))
        if year is None or (period_number and period is None):
            out.missing.append(org.short_name)
            lacking.add(org.id)
        else:
            usable.append((org, year, period))
    classes = db.session.scalars(select(SchoolClass).where(
        SchoolClass.year_id.in_([y.id for _, y, _ in usable]), SchoolClass.org_id.in_([o.id for o, _, _ in usable]))
        .order_by(SchoolClass.org_id, SchoolClass.grade, SchoolClass.name)).all()
    by_org = defaultdict(list)
    for klass in classes:
        by_org[klass.org_id].append(klass)
    counted, values, sums = {}, {}, {}
    done = 0
    for org in orgs:
        if org.id in lacking:
            done += 1
            progress(done, len(orgs), org.short_name)
    if period_number is None and usable:
        # The year's average reads every mark of the year: one statement (one scan of the marks) per calendar for
        # all of its classes, not one per batch — each batch's statement scanned them all again (bench/RESULTS.md).
        progress(done, len(orgs), "Средний балл за год: все отметки года")
        sums.update(_year_sums(usable, by_org))
    for members in _batches(usable, by_org):
        # Organizations sharing a period's calendar share one set of statements, BATCH_CLASSES classes at most
        # (≈ 10 000 students: bounded memory and parameters, however large the region).
        (start, end), key_of = members[0][0], {}
        class_ids = [k.id for (_, o, _, _) in members for k in by_org[o.id]]
        sets = data.class_sets(class_ids, start, end, names=False)
        org_of = {k.id: k.org_id for (_, o, _, _) in members for k in by_org[o.id]}
        for _, o, y, p in members:
            key_of[o.id] = ("period", p.id) if p is not None else ("year", 0)
        for class_id, entries in sets.counted.items():
            counted[class_id] = {e.student_id for e in entries}
        student_org = {sid: org_of[cid] for cid, ids in sets.sets().items() for sid in ids}
        # The marks of each organization's one slot (its period's, or the year's): data.period_marks' rows,
        # read flat (100 000 students: no dictionary per student and subject).
        for student_id, kind, period_id, value in db.session.execute(_slot_marks(class_ids, start, end, members)):
            if value and key_of.get(student_org.get(student_id)) == (kind, period_id or 0):
                values.setdefault(student_id, []).append(value)
        if period_number is not None:
            sums.update({key[0]: pair for key, pair in data.set_mark_sums(sets.sets(), start, end).items()})
        for _, o, _, _ in members:  # the job's progress: the batch's organizations are counted
            done += 1
            progress(done, len(orgs), o.short_name)
    names = sorted({p.name for _, _, p in usable if p is not None})
    if names:
        out.period_label = ", ".join(names)
    total_ids, total_sums, total_classes = set(), [], 0
    for org in orgs:
        members = by_org.get(org.id, [])
        ids = set().union(*(counted.get(k.id, set()) for k in members)) if members else set()
        org_sums = [sums[k.id] for k in members if k.id in sums]
        unit = Unit(org.short_name, len(members), len(ids), _figures(ids, values, org_sums), org.id,
                    getattr(org, "municipality_name", ""))
        out.schools.append(unit)
        total_ids |= ids
        total_sums += org_sums
        total_classes += len(members)
        if org_id is not None:
            out.grades[org.id] = _grades(members, counted, values, sums)
    out.total = Unit("Всего", total_classes, len(total_ids), _figures(total_ids, values, total_sums))
    return out


BATCH_CLASSES = 400


def _year_sums(usable, by_org):
    """{class id: (Σ mark × weight, Σ weight)} of the year's marks of every usable organization's classes: one
    statement per distinct year calendar. The sets (who is counted) are the classes' members of the year, as the
    batches read them; only ids are held (a region's 100 000 students: a few MB)."""
    calendars = defaultdict(list)
    for org, year, _ in usable:
        calendars[(year.start_date, year.end_date)] += [k.id for k in by_org.get(org.id, ())]
    sums = {}
    for (start, end), class_ids in calendars.items():
        sets = data.class_sets(class_ids, start, end, names=False).sets()
        sums.update({key[0]: pair for key, pair in data.set_mark_sums(sets, start, end).items()})
    return sums


def _slot_marks(class_ids, start, end, members):
    """(student id, kind, period id, value) of the batch's students' marks in their organization's slot: the
    period `members`' periods, or the year (`data.period_marks` with `key`, as rows)."""
    query = select(PeriodMark.student_id, PeriodMark.kind, PeriodMark.period_id, PeriodMark.value).where(
        PeriodMark.year_id.in_([y.id for _, _, y, _ in members]),
        PeriodMark.student_id.in_(data.members(class_ids, start, end)))
    periods = [p.id for _, _, _, p in members if p is not None]
    if periods:
        return query.where(PeriodMark.kind == "period", PeriodMark.period_id.in_(periods))
    return query.where(PeriodMark.kind == "year")


def _batches(usable, by_org):
    """The usable (organization, year, period) grouped by their period's calendar, then cut into batches of at
    most BATCH_CLASSES classes (whole organizations): [[((start, end), org, year, period)]]."""
    calendars = defaultdict(list)
    for org, year, period in usable:
        start, end = (period.start_date, period.end_date) if period is not None else (year.start_date, year.end_date)
        calendars[(start, end)].append(((start, end), org, year, period))
    batches = []
    for members in calendars.values():
        batch, size = [], 0
        for member in members:
            classes = len(by_org.get(member[1].id, ()))
            if batch and size + classes > BATCH_CLASSES:
                batches.append(batch)
                batch, size = [], 0
            batch.append(member)
            size += classes
        if batch:
            batches.append(batch)
    return batches


def _figures(ids, values, class_sums):
    return figures({sid: values.get(sid, []) for sid in ids}, all_subjects=True, average=pooled_average(class_sums))


def _grades(members, counted, values, sums):
    units = []
    for grade in sorted({k.grade for k in members}):
        in_grade = [k for k in members if k.grade == grade]
        ids = set().union(*(counted.get(k.id, set()) for k in in_grade))
        units.append(Unit(f"{grade}-е классы (параллель)", len(in_grade), len(ids),
                          _figures(ids, values, [sums[k.id] for k in in_grade if k.id in sums])))
        for klass in in_grade:
            ids = counted.get(klass.id, set())
            units.append(Unit(klass.name, 1, len(ids), _figures(ids, values, [sums[klass.id]] if klass.id in sums
                                                                 else [])))
    return units


def _small(unit):
    return 0 < unit.students < MIN_GROUP


def _row(unit, label=None):
    """[label, classes, figures…] of a unit; a small group's figures left empty, its label marked."""
    values = figure_values(unit.figures, **FIGURES)
    label = unit.label if label is None else label
    if _small(unit):
        values = [unit.students] + [None] * (len(values) - 1)  # «Учеников» is the first figure
        label += SMALL_MARK
    return [label, unit.classes] + values


def results_document(actor, res, org=None):
    """The results as a Document (the page and the .xlsx): per school, or one school's grades and classes."""
    title = "Успеваемость, качество знаний и наполняемость" + (f": {org.short_name}" if org else " по организациям")
    doc = _scope_doc(actor, "region-results", title, [("Учебный год", res.year_name), ("Период", res.period_label)],
                     slug("region-uspevaemost", res.year_name, res.period_label, org.short_name if org else ""))
    sheet = doc.sheet("Итоги")
    # The organization first: a sheet split over pages repeats the columns that name a row (reports/render.py).
    first = [Column("Параллель / класс", "text", 24)] if org else [
        Column("Организация", "text", 30), Column("Муниципалитет", "text", 20)]
    table = sheet.table(first + [Column("Классов", "int", 8)] + figure_columns(**FIGURES))
    units = list(res.grades.get(org.id, [])) + res.schools[:1] if org else res.schools + [res.total]
    if org:
        for unit in res.grades.get(org.id, []):
            style = "group" if "параллель" in unit.label else ""
            table.add(_row(unit), style)
    else:
        for unit in res.schools:
            row = _row(unit)
            table.add(row[:1] + [unit.municipality] + row[1:], links={0: unit.org_id})
    if not org:
        row = _row(res.total)
        table.add(row[:1] + [""] + row[1:], "total")
    else:
        table.add(_row(res.schools[0], "Всего по организации"), "total")
    sheet.text("Ученики — состав классов на последний день периода; отметки — за период (за год — годовые), "
               "как в отчёте школы «Итоги успеваемости и качества знаний»; строки параллелей, организаций и итог "
               "считаются по всем их ученикам. Средний балл — взвешенный по отметкам уроков периода. Сведения "
               "обезличены: ни одной фамилии, ни одной строки ученика.", "note")
    if any(_small(u) for u in units):
        sheet.text(SMALL_NOTE, "note")
    if res.missing:
        sheet.text("Нет учебного года или периода: " + ", ".join(res.missing), "note")
    return doc


# -- движение ------------------------------------------------------------------------------------------------

def movement(actor, start, end, progress=None):
    """{org id: (arrivals, departures)} of the applied orders effective in [start, end]; one statement."""
    progress = progress or _noop
    orgs = scope_orgs(actor)
    ids = [o.id for o in orgs]
    arrived = func.sum(case((MovementOrder.kind.in_(ARRIVALS), 1), else_=0))
    left = func.sum(case((MovementOrder.kind.in_(DEPARTURES), 1), else_=0))
    rows = db.session.execute(
        select(MovementOrder.org_id, arrived, left).join(MovementItem, MovementItem.order_id == MovementOrder.id)
        .where(MovementOrder.org_id.in_(ids), MovementOrder.status == OrderStatus.APPLIED.value,
               MovementOrder.effective_date.between(start, end))
        .group_by(MovementOrder.org_id)).all()
    counts = {org_id: (int(a or 0), int(d or 0)) for org_id, a, d in rows}
    for done, org in enumerate(orgs, 1):
        progress(done, len(orgs), org.short_name)
    return orgs, counts


def movement_document(actor, start, end, progress=None):
    orgs, counts = movement(actor, start, end, progress)
    doc = _scope_doc(actor, "region-movement", "Движение обучающихся по организациям",
                     [("Период", date_range(start, end))], slug("region-dvizhenie", start.isoformat(), end.isoformat()))
    table = doc.sheet("Движение").table([Column("Муниципалитет", "text", 20), Column("Организация", "text", 30),
                                         Column("Прибыло", "int", 10), Column("Выбыло", "int", 10),
                                         Column("Изменение", "int", 10)])
    total_a = total_d = 0
    for org in orgs:
        a, d = counts.get(org.id, (0, 0))
        total_a, total_d = total_a + a, total_d + d
        table.add([org.municipality_name, org.short_name, a, d, a - d])
    table.add(["", "Всего", total_a, total_d, total_a - total_d], "total")
    doc.sheets[0].text("По проведённым приказам книги движения с датой вступления в силу в периоде: прибыло — "
                       "зачисление; выбыло — выбытие, отчисление, выпуск. Переводы внутри организации не считаются.",
                       "note")
    return doc


# -- activity -----------------------------------------------------------------------------------------------

def activity(actor, start, end, progress=None):
    """{(org id, kind): (accounts, ever signed in, sign-ins in [start, end])}: staff (not dismissed), studying
    students and parents with an account; three statements whatever the schools."""
    progress = progress or _noop
    orgs = scope_orgs(actor)
    ids = [o.id for o in orgs]
    since, until = datetime.combine(start, time()), datetime.combine(end + timedelta(days=1), time())
    cards = (("staff", Staff, Staff.dismissal_date.is_(None)), ("student", Student, Student.status == "studying"),
             ("parent", Parent, None))
    result = defaultdict(lambda: [0, 0, 0])
    for kind, card, condition in cards:
        where = [card.org_id.in_(ids), card.user_id.is_not(None)]
        if condition is not None:
            where.append(condition)
        logins = (select(LoginEvent.user_id, func.count().label("n")).where(
            LoginEvent.success.is_(True), LoginEvent.at >= since, LoginEvent.at < until)
            .group_by(LoginEvent.user_id).subquery())
        rows = db.session.execute(
            select(card.org_id, func.count(func.distinct(card.user_id)),
                   func.count(func.distinct(case((User.last_login_at.is_not(None), card.user_id)))),
                   func.coalesce(func.sum(logins.c.n), 0))
            .join(User, User.id == card.user_id).outerjoin(logins, logins.c.user_id == card.user_id)
            .where(*where).group_by(card.org_id)).all()
        for org_id, accounts, ever, signins in rows:
            result[(org_id, kind)] = [int(accounts), int(ever), int(signins)]
    for done, org in enumerate(orgs, 1):
        progress(done, len(orgs), org.short_name)
    return orgs, result


def activity_document(actor, start, end, progress=None):
    orgs, counts = activity(actor, start, end, progress)
    doc = _scope_doc(actor, "region-activity", "Активность пользователей по организациям",
                     [("Период", date_range(start, end))], slug("region-aktivnost", start.isoformat(), end.isoformat()))
    columns = [Column("Организация", "text", 30), Column("Муниципалитет", "text", 20)]
    groups = [("", 2)]
    for kind in KIND_LABELS:
        columns += [Column("Учётных записей", "int", 9), Column("Входили хоть раз, %", "pct", 9),
                    Column("Входов за период", "int", 9)]
        groups.append((KIND_LABELS[kind], 3))
    table = doc.sheet("Активность").table(columns, groups=groups)
    totals = defaultdict(lambda: [0, 0, 0])
    for org in orgs:
        values = [org.short_name, org.municipality_name]
        for kind in KIND_LABELS:
            accounts, ever, signins = counts.get((org.id, kind), (0, 0, 0))
            values += [accounts, percent(ever, accounts), signins]
            totals[kind] = [t + v for t, v in zip(totals[kind], (accounts, ever, signins))]
        table.add(values)
    values = ["Всего", ""]
    for kind in KIND_LABELS:
        accounts, ever, signins = totals[kind]
        values += [accounts, percent(ever, accounts), signins]
    table.add(values, "total")
    doc.sheets[0].text("Учётные записи действующих сотрудников, обучающихся и родителей; «входили хоть раз» — "
                       "доля тех, кто хотя бы раз вошёл в систему; входы — успешные входы за период.", "note")
    return doc


# -- the year's deadlines -------------------------------------------------------------------------------------

@dataclass
class Progress:
    org: object
    year: object | None
    deadline: date | None
    classes: int = 0
    with_curriculum: int = 0
    assignments: int = 0
    with_ktp: int = 0
    with_timetable: int = 0


def deadlines(actor, year_name, progress=None):
    """Each school's progress through the year's planning deadlines: the year opened, classes with a
    curriculum (with subjects), teaching assignments with a КТП (with topics), classes with a timetable, by the
    organization's «planning» deadline (15 September unless its «Сроки регламента» say otherwise). A fixed
    number of statements whatever the schools."""
    progress = progress or _noop
    orgs = scope_orgs(actor)
    ids = [o.id for o in orgs]
    years = {y.org_id: y for y in db.session.scalars(select(AcademicYear).where(
        AcademicYear.org_id.in_(ids), AcademicYear.name == year_name))}
    year_ids = [y.id for y in years.values()]
    classes = db.session.scalars(select(SchoolClass).where(SchoolClass.year_id.in_(year_ids))).all()
    index = CurriculumIndex.for_years(year_ids)
    has_topics = select(ThematicPlanTopic.id).where(
        ThematicPlanTopic.plan_id == TeachingAssignment.thematic_plan_id).exists()
    ktp = {org_id: (int(n), int(k or 0)) for org_id, n, k in db.session.execute(
        select(TeachingAssignment.org_id, func.count(), func.sum(case((has_topics, 1), else_=0)))
        .where(TeachingAssignment.year_id.in_(year_ids)).group_by(TeachingAssignment.org_id))}
    with_timetable = set(db.session.scalars(select(TimetableEntry.class_id).where(
        TimetableEntry.year_id.in_(year_ids)).distinct()))
    by_org = defaultdict(list)
    for klass in classes:
        by_org[klass.org_id].append(klass)
    own_rules = defaultdict(list)  # an organization's own value of the deadline over the default («Сроки регламента»)
    for rule in db.session.scalars(select(DeadlineRule).where(DeadlineRule.org_id.in_(ids),
                                                              DeadlineRule.code == "planning")):
        own_rules[rule.org_id].append(rule)
    result = []
    for done, org in enumerate(orgs, 1):
        year = years.get(org.id)
        row = Progress(org, year, september_15(year, Rules(own_rules[org.id])) if year is not None else None)
        for klass in by_org[org.id]:
            row.classes += 1
            curriculum = index.for_class(klass)
            row.with_curriculum += bool(curriculum is not None and index.subjects(curriculum))
            row.with_timetable += klass.id in with_timetable
        row.assignments, row.with_ktp = ktp.get(org.id, (0, 0))
        result.append(row)
        progress(done, len(orgs), org.short_name)
    return result


def deadlines_document(actor, year_name, today, progress=None):
    rows = deadlines(actor, year_name, progress)
    doc = _scope_doc(actor, "region-deadlines", "Прохождение сроков начала учебного года по организациям",
                     [("Учебный год", year_name), ("На дату", today.strftime("%d.%m.%Y"))],
                     slug("region-sroki", year_name))
    table = doc.sheet("Сроки").table([
        Column("Муниципалитет", "text", 20), Column("Организация", "text", 30), Column("Год открыт", "text", 8),
        Column("Срок", "date", 10), Column("Классов", "int", 8), Column("С учебным планом, %", "pct", 10),
        Column("Нагрузок", "int", 8), Column("С КТП, %", "pct", 10), Column("С расписанием, %", "pct", 10),
        Column("Состояние", "text", 16)])
    for row in rows:
        parts = (percent(row.with_curriculum, row.classes), percent(row.with_ktp, row.assignments),
                 percent(row.with_timetable, row.classes))
        complete = row.year is not None and row.classes and all(p == 100 for p in parts)
        state = "выполнено" if complete else (
            "просрочено" if row.deadline is None or today > row.deadline else "в работе")
        table.add([row.org.municipality_name, row.org.short_name, "да" if row.year is not None else "нет",
                   row.deadline, row.classes, *parts[:1], row.assignments, *parts[1:], state],
                  "risk" if state == "просрочено" else "")
    doc.sheets[0].text("Срок «Учебный план, КТП и расписание» — 15 сентября (Положение 001 §§6.4, 6.6, 7.3), если "
                       "в «Сроках регламента» организации не указан другой. Учебный план — с предметами; КТП — с "
                       "темами; «выполнено» — все доли по 100 %.", "note")
    return doc


# -- ОО-1 summed, the control page's overdue items: each school's own -----------------------------------------

def oo1_summed(actor, year_name, on_date=None, progress=None):
    """The ОО-1 form's counts summed over the scope: [(section code, title, columns, [(line, label, [n])])],
    built by reports/oo1.py `build_form` for each school as its own form is (its organization scope, the
    form's date: `on_date` or the form's own 20 September). Counts only: the cells' ids stay here."""
    progress = progress or _noop
    orgs = scope_orgs(actor)
    years = {y.org_id: y for y in db.session.scalars(select(AcademicYear).where(
        AcademicYear.org_id.in_([o.id for o in orgs]), AcademicYear.name == year_name))}
    sections, counted = {}, []
    for done, org in enumerate(orgs, 1):
        year = years.get(org.id)
        if year is not None:
            with scope.organization(org.id):
                raw = {"to": on_date.isoformat()} if on_date else {}
                form = oo1.build_form(type(actor).system_actor(org),
                                      Params(org=org, year=year, today=dates.today(org), raw=raw, end=on_date))
            for table in form.sections:
                key = (table.code, table.title, tuple(table.columns))
                lines = sections.setdefault(key, {})
                for line, label, cells, _ in table.rows:
                    got = lines.setdefault((line, label), [0] * len(cells))
                    if len(got) < len(cells):
                        got.extend([0] * (len(cells) - len(got)))
                    for i, cell in enumerate(cells):
                        got[i] += cell.value
            counted.append(org.short_name)
        progress(done, len(orgs), org.short_name)
    return [(code, title, list(columns), [(line, label, values) for (line, label), values in lines.items()])
            for (code, title, columns), lines in sections.items()], counted


def oo1_document(actor, year_name, on_date=None, progress=None):
    sections, counted = oo1_summed(actor, year_name, on_date, progress)
    doc = _scope_doc(actor, "region-oo1", "Форма ОО-1: сводные показатели по организациям",
                     [("Учебный год", year_name), ("Организаций", str(len(counted)))], slug("region-oo1", year_name))
    sheet = doc.sheet("ОО-1")
    for code, title, columns, lines in sections:
        table = sheet.table([Column("Наименование", "text", 40), Column("№ строки", "text", 6)]
                            + [Column(c, "int", 10) for c in columns], title=f"{code}. {title}")
        for line, label, values in lines:
            table.add([label, line] + values)
    sheet.text("Учтены организации: " + (", ".join(counted) or "нет"), "note")
    sheet.text("Сумма показателей формы ОО-1 организаций (каждая — как в её собственной форме, на её дату "
               "отчёта). Организации без этого учебного года не учтены.", "note")
    return doc


def overdue(actor, progress=None):
    """{org: {section title: overdue items}} of each school's control page (computed as its administration's
    page: every section), counts only — no item's names."""
    progress = progress or _noop
    orgs = scope_orgs(actor)
    result = []
    for done, org in enumerate(orgs, 1):
        with scope.organization(org.id):
            page = control_deadlines.control(type(actor).system_actor(org))
        result.append((org, {s.title: sum(i.count for i in s.items if i.state == "overdue") for s in page.sections}))
        progress(done, len(orgs), org.short_name)
    return result


def overdue_document(actor, progress=None):
    rows = overdue(actor, progress)
    titles = sorted({t for _, sections in rows for t, n in sections.items()})
    doc = _scope_doc(actor, "region-control", "Просроченные пункты страницы «Контроль» по организациям", [],
                     "region-kontrol")
    table = doc.sheet("Контроль").table([Column("Организация", "text", 30), Column("Всего просрочено", "int", 10)]
                                        + [Column(t, "int", 10) for t in titles])
    for org, sections in rows:
        table.add([org.short_name, sum(sections.values())] + [sections.get(t, 0) for t in titles])
    doc.sheets[0].text("Число просроченных пунктов каждого раздела страницы «Контроль» организации на сегодня "
                       "(как их видит её администрация); сами пункты с фамилиями здесь не показываются.", "note")
    return doc


def build(actor, kind, year_name, period_number=None, start=None, end=None, org_id=None, progress=None):
    """One roll-up's Document by its name (the page, and a background job with its `progress`): "results"
    (`org_id`: one school's grades and classes), "movement", "activity", "deadlines", "oo1", "control"."""
    if kind == "results":
        res = results(actor, year_name, period_number, org_id=org_id, progress=progress)
        return results_document(actor, res, org=one_org(actor, org_id) if org_id is not None else None)
    if kind == "movement":
        return movement_document(actor, start, end, progress)
    if kind == "activity":
        return activity_document(actor, start, end, progress)
    if kind == "deadlines":
        return deadlines_document(actor, year_name, end or dates.today(), progress)
    if kind == "oo1":
        return oo1_document(actor, year_name, end, progress)
    if kind == "control":
        return overdue_document(actor, progress)
    raise DomainError(f"Сводка «{kind}» не найдена.")
