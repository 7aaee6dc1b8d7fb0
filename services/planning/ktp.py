"""Calendar-thematic plans (КТП): the teacher's ordered topics of a subject for a grade level,
their import from .xlsx, their assignment to his classes, the next planned topic for the
journal, the deputy's control of missing or mismatched plans, and program fulfillment.
"""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import (AcademicYear, Lesson, SchoolClass, Staff, Subject, TeachingAssignment,
                    ThematicPlan, ThematicPlanTopic, db, utcnow)
from services import dates, permissions, uploads, versions
from services.planning.curriculum import CurriculumIndex
from services.timetable.lessons import planned_and_given
from services.errors import DomainError
from services.params import parse_id
from services.planning._common import check_open_year, raise_if, related
from services.planning.subjects import is_teacher
from services.rules import validator

# The КТП workbook's layout (reports/ktp_template.py writes it, read_xlsx reads it back): its columns with
# their widths, the header row (zero-based), the column a topic's title is in.
COLUMNS = [("№", 6), ("Раздел", 30), ("Тема урока", 60), ("Часов", 8), ("Домашнее задание", 40)]
HEADER_ROW = 3  # zero-based: the fourth row of the sheet
TITLE_HEADER = "Тема урока"

MAX_TOPICS = 1000
MAX_ROWS = MAX_TOPICS + 30  # an imported sheet: the title rows, the header, the topics, the signatures
MAX_HOURS = 100


# -- rules ------------------------------------------------------------------------------

@validator(ThematicPlan, "planning.ktp")
def validate_plan(plan):
    errors = []
    teacher = related(plan, "teacher", "teacher_id", Staff)
    subject = related(plan, "subject", "subject_id", Subject)
    year = related(plan, "year", "year_id", AcademicYear)
    plan.name = (plan.name or "").strip()
    if not plan.name:
        errors.append("Поле «Название» обязательно")
    if teacher is None:
        errors.append("Укажите учителя")
    elif not is_teacher(teacher):
        errors.append(f"У сотрудника {teacher.full_name} нет функции «Учитель»")
    if subject is None:
        errors.append("Укажите предмет")
    if year is None:
        errors.append("Укажите учебный год")
    if plan.grade is None or not 1 <= plan.grade <= 11:
        errors.append("Параллель (курс) — число от 1 до 11")
    check_open_year(year, errors)
    raise_if(errors, "КТП не сохранён")
    twin = db.session.scalar(select(ThematicPlan.id).where(
        ThematicPlan.year_id == year.id, ThematicPlan.teacher_id == teacher.id,
        ThematicPlan.subject_id == subject.id, ThematicPlan.grade == plan.grade,
        ThematicPlan.name == plan.name, ThematicPlan.id != (plan.id or 0)))
    if twin is not None:
        errors.append(f"У вас уже есть КТП «{plan.name}» по этому предмету для этой параллели")
    if plan.id is not None:
        mismatched = db.session.scalars(select(TeachingAssignment).where(
            TeachingAssignment.thematic_plan_id == plan.id,
            (TeachingAssignment.subject_id != subject.id) | (TeachingAssignment.year_id != year.id)
            | TeachingAssignment.class_id.in_(select(SchoolClass.id).where(SchoolClass.grade != plan.grade))
        ).options(joinedload(TeachingAssignment.klass))).all()
        if mismatched:
            errors.append("КТП назначен классам " + ", ".join(sorted(a.klass.name for a in mismatched))
                          + ": предмет, параллель и год менять нельзя, пока он им назначен")
    raise_if(errors, "КТП не сохранён")


@validator(ThematicPlanTopic, "planning.ktp_topic")
def validate_topic(topic):
    plan = related(topic, "plan", "plan_id", ThematicPlan)
    if plan is not None:
        topic.org_id = plan.org_id
    problems = topic_problems(topic.title, topic.hours, topic.section, topic.homework)
    raise_if(problems, "Тема КТП не сохранена")


def topic_problems(title, hours, section, homework):
    return [text for _, text in _topic_problems(title, hours, section, homework)]


def _topic_problems(title, hours, section, homework):
    """[(the field it is about, the problem)] of one topic."""
    problems = []
    if not (title or "").strip():
        problems.append(("title", "не указана тема урока"))
    elif len(title.strip()) > 500:
        problems.append(("title", "тема длиннее 500 знаков"))
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_HOURS:
        problems.append(("hours", f"часы — целое число от 1 до {MAX_HOURS}"))
    if section and len(section) > 300:
        problems.append(("section", "раздел длиннее 300 знаков"))
    if homework and len(homework) > 500:
        problems.append(("homework", "домашнее задание длиннее 500 знаков"))
    return problems


# -- the topics: form and import -------------------------------------------------------

@dataclass
class TopicInput:
    """One topic as typed or read: texts not yet checked; `row` names it in messages, `key` (the caller's
    name of the row) in the DomainError's `fields`: `(key, "title" | "hours" | "section" | "homework")`."""

    row: str
    title: object = None
    hours: object = None
    section: object = None
    homework: object = None
    key: object = None


def _text(value):
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    return text or None


def _hours(value):
    """An integer number of hours from a cell or a field, or the value itself if it is not one."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral() else value
    text = (str(value).strip() if value is not None else "")
    try:
        number = Decimal(text.replace(",", "."))
    except Exception:  # noqa: BLE001
        return text or None
    # int() of «1e99999999» would compute for minutes; no number of hours is that large.
    small = number.is_finite() and number.adjusted() < 10
    return int(number) if small and number == number.to_integral() else text


def check_topics(inputs, fields=None):
    """(clean topic dicts, errors naming every bad row); `fields` (a dict) gets each problem under
    `(item.key, field)`."""
    clean, errors = [], []
    for item in inputs:
        title, section, homework = _text(item.title), _text(item.section), _text(item.homework)
        hours = _hours(item.hours)
        problems = _topic_problems(title, hours, section, homework)
        if problems:
            hours_refused = any(field == "hours" for field, _ in problems) and item.hours not in (None, "")
            shown = f" («{item.hours}»)" if hours_refused else ""
            errors.append(f"{item.row}: " + "; ".join(text for _, text in problems) + shown)
            if fields is not None:
                for field, text in problems:
                    fields.setdefault((item.key, field), text[:1].upper() + text[1:])
        else:
            clean.append({"title": title, "hours": hours, "section": section, "homework": homework})
    if not errors and not clean:
        errors.append("нет ни одной темы")
    if len(clean) > MAX_TOPICS:
        errors.append(f"тем больше {MAX_TOPICS}")
    return clean, errors


def require_own_plan(actor, plan):
    permissions.require_rows(actor, "thematic_plan", "edit", ThematicPlan, [plan.id])
    year = db.session.get(AcademicYear, plan.year_id)
    if year.is_closed:
        raise DomainError(f"Учебный год {year.name} закрыт: его КТП не меняются")


def save_topics(actor, plan, inputs, what="КТП не сохранён", version=None):
    """Replace the plan's topics with `inputs` in order; one bad row refuses all of them.
    `version`: the plan's version the topics form was made from (as in curriculum.save_lines)."""
    require_own_plan(actor, plan)
    if version is not None:
        versions.claim(plan, version)
    fields = {}
    clean, errors = check_topics(inputs, fields)
    raise_if(errors, what, fields)
    try:
        plan.topics.clear()
        db.session.flush()  # old positions go before new ones take them
        for position, topic in enumerate(clean, start=1):
            plan.topics.append(ThematicPlanTopic(org_id=plan.org_id, position=position, **topic))
        plan.updated_at = utcnow()
        db.session.flush()
    except Exception:
        db.session.rollback()
        raise
    return len(clean)


def read_xlsx(data):
    """TopicInputs from a workbook made from the template (the header row holds «Тема урока»)."""
    rows = uploads.xlsx_rows(data, max_rows=MAX_ROWS, max_cols=len(COLUMNS))
    header = next((i for i, row in enumerate(rows[:20])
                   if any(_text(c) == TITLE_HEADER for c in row)), None)
    if header is None:
        raise DomainError(f"В файле не найдена строка заголовка со столбцом «{TITLE_HEADER}». "
                          "Скачайте шаблон и заполните его.")
    labels = [_text(c) for c in rows[header]]
    col = {label: labels.index(label) for label, _ in COLUMNS if label in labels}
    inputs = []
    for i, row in enumerate(rows[header + 1:], start=header + 2):
        cells = {label: (row[idx] if idx < len(row) else None) for label, idx in col.items()}
        # A row with nothing but its number (or the signature lines below the table) is not a topic.
        if all(_text(v) is None for label, v in cells.items() if label != "№"):
            continue
        inputs.append(TopicInput(row=f"Строка {i}", title=cells.get("Тема урока"), hours=cells.get("Часов"),
                                 section=cells.get("Раздел"), homework=cells.get("Домашнее задание")))
    return inputs


def import_xlsx(actor, plan, data):
    require_own_plan(actor, plan)
    inputs = read_xlsx(data)
    return save_topics(actor, plan, inputs, what="Файл не загружен, ни одна строка не импортирована")


def create_plan(actor, *, year, subject, grade, name, note=None):
    """A new КТП of the acting teacher."""
    permissions.require(actor, "thematic_plan", "create")
    teacher = db.session.get(Staff, actor.staff_id) if actor.staff_id else None
    if teacher is None:
        raise DomainError("КТП составляет учитель: у вас нет карточки сотрудника")
    plan = ThematicPlan(org_id=actor.org_id, year_id=year.id, year=year, teacher_id=teacher.id,
                        teacher=teacher, subject_id=subject.id, subject=subject, grade=grade, name=name,
                        note=note)
    db.session.add(plan)
    try:
        db.session.flush()
    except Exception:
        db.session.rollback()
        raise
    return plan


def copy_plan(actor, source, name):
    """A teacher's copy of one of his plans (e.g. for the next year): a new plan with its topics."""
    permissions.require_rows(actor, "thematic_plan", "details", ThematicPlan, [source.id])
    plan = create_plan(actor, year=source.year, subject=source.subject, grade=source.grade, name=name,
                       note=source.note)
    save_topics(actor, plan, [TopicInput(row=str(t.position), title=t.title, hours=t.hours,
                                         section=t.section, homework=t.homework) for t in source.topics])
    return plan


# -- assigning to classes --------------------------------------------------------------

def attachable_assignments(plan):
    """The plan teacher's assignments of the same subject, grade level and year."""
    return db.session.scalars(
        select(TeachingAssignment).join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
        .where(TeachingAssignment.teacher_id == plan.teacher_id, TeachingAssignment.subject_id == plan.subject_id,
               TeachingAssignment.year_id == plan.year_id, SchoolClass.grade == plan.grade)
        .options(joinedload(TeachingAssignment.klass), joinedload(TeachingAssignment.subgroup),
                 joinedload(TeachingAssignment.thematic_plan))
        .order_by(SchoolClass.name, TeachingAssignment.id)).all()


def attach(actor, plan, assignment_ids):
    """Make the plan the КТП of exactly the chosen assignments among the teacher's own."""
    require_own_plan(actor, plan)
    mine = {a.id: a for a in attachable_assignments(plan)}
    wanted = {parse_id(i) for i in assignment_ids}
    if not wanted <= set(mine):
        raise DomainError("КТП назначают только своим классам того же предмета и параллели")
    try:
        for aid, a in mine.items():
            if aid in wanted:
                a.thematic_plan = plan
            elif a.thematic_plan_id == plan.id:
                a.thematic_plan = None
        db.session.flush()
    except Exception:
        db.session.rollback()
        raise
    return len(wanted)


# -- the next planned topic --------------------------------------------------------------

@dataclass
class PlannedTopic:
    position: int
    title: str
    section: str | None
    homework: str | None
    hours: int
    part: int  # which lesson of the topic this is (1 … hours)
    lesson_index: int

    @property
    def label(self):
        return self.title if self.hours == 1 else f"{self.title} ({self.part}-й урок из {self.hours})"


def topic_at(topics, lesson_index):
    """The topic the n-th lesson (1-based) falls on, counting each topic's hours."""
    if lesson_index < 1:
        return None
    seen = 0
    for topic in topics:
        if lesson_index <= seen + topic.hours:
            return PlannedTopic(topic.position, topic.title, topic.section, topic.homework, topic.hours,
                                lesson_index - seen, lesson_index)
        seen += topic.hours
    return None


def next_topic(assignment, lesson_index):
    """The planned topic of the assignment's n-th lesson (1-based), or None (no КТП, or past its end)."""
    if assignment.thematic_plan_id is None:
        return None
    topics = db.session.scalars(select(ThematicPlanTopic).where(
        ThematicPlanTopic.plan_id == assignment.thematic_plan_id).order_by(ThematicPlanTopic.position)).all()
    return topic_at(topics, lesson_index)


def lesson_index(lesson):
    """The lesson's place among the assignment's lessons that are not cancelled (1-based)."""
    earlier = db.session.scalar(select(func.count(Lesson.id)).where(
        Lesson.assignment_id == lesson.assignment_id, Lesson.is_cancelled.is_(False),
        (Lesson.date < lesson.date) | ((Lesson.date == lesson.date) & (Lesson.number < lesson.number))))
    return earlier + 1


def topic_for_lesson(lesson):
    """What the journal offers as the lesson's topic."""
    assignment = lesson.assignment or db.session.get(TeachingAssignment, lesson.assignment_id)
    return next_topic(assignment, lesson_index(lesson))


# -- control and fulfillment ---------------------------------------------------------------

KTP_OK, KTP_MISSING, KTP_EMPTY, KTP_DIFFERS, NO_CURRICULUM = "ok", "missing", "empty", "differs", "no_curriculum"
KTP_STATUS = {
    KTP_OK: "в порядке",
    KTP_MISSING: "нет КТП",
    KTP_EMPTY: "в КТП нет тем",
    KTP_DIFFERS: "часы КТП не совпадают с учебным планом",
    NO_CURRICULUM: "предмета нет в учебном плане",
}


@dataclass
class PlanRow:
    assignment: TeachingAssignment
    curriculum_hours: Decimal | None  # for the year
    ktp_hours: int | None
    lessons_given: int = 0
    lessons_scheduled: int = 0
    status: str = KTP_OK

    @property
    def status_label(self):
        return KTP_STATUS[self.status]

    @property
    def problem(self):
        return self.status != KTP_OK

    @property
    def percent(self):
        if not self.curriculum_hours:
            return None
        return round(Decimal(self.lessons_given) * 100 / Decimal(self.curriculum_hours), 1)


def _assignments(actor, year, class_id=None, teacher_id=None):
    cond = permissions.row_condition(actor, "teaching_assignment", "list", TeachingAssignment)
    query = (select(TeachingAssignment).join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
             .join(Subject, Subject.id == TeachingAssignment.subject_id)
             .join(Staff, Staff.id == TeachingAssignment.teacher_id)
             .where(TeachingAssignment.year_id == year.id, cond)
             .options(joinedload(TeachingAssignment.klass), joinedload(TeachingAssignment.subject),
                      joinedload(TeachingAssignment.teacher), joinedload(TeachingAssignment.subgroup),
                      joinedload(TeachingAssignment.thematic_plan))
             .order_by(SchoolClass.grade, SchoolClass.name, Subject.sort_order, Subject.name, Staff.last_name))
    if class_id:
        query = query.where(TeachingAssignment.class_id == class_id)
    if teacher_id:
        query = query.where(TeachingAssignment.teacher_id == teacher_id)
    return db.session.scalars(query).unique().all()


def _plan_rows(assignments, year):
    index = CurriculumIndex.for_years([year.id])
    plan_ids = {a.thematic_plan_id for a in assignments if a.thematic_plan_id}
    plan_hours = dict(db.session.execute(
        select(ThematicPlanTopic.plan_id, func.sum(ThematicPlanTopic.hours))
        .where(ThematicPlanTopic.plan_id.in_(plan_ids)).group_by(ThematicPlanTopic.plan_id)).all()) \
        if plan_ids else {}
    rows = []
    for a in assignments:
        planned = index.subject_hours(a.klass, a.subject_id)
        curriculum_hours = planned.annual if planned is not None and planned.exists else None
        ktp_hours = int(plan_hours.get(a.thematic_plan_id) or 0) if a.thematic_plan_id else None
        if planned is not None and not planned.exists:
            status = NO_CURRICULUM
        elif a.thematic_plan_id is None:
            status = KTP_MISSING
        elif not ktp_hours:
            status = KTP_EMPTY
        elif (expected := curriculum_hours if curriculum_hours is not None else a.hours_total) is not None \
                and Decimal(ktp_hours) != Decimal(expected):
            status = KTP_DIFFERS
        else:
            status = KTP_OK
        rows.append(PlanRow(a, curriculum_hours, ktp_hours, status=status))
    return rows


def ktp_control(actor, year, only_problems=False, class_id=None, teacher_id=None):
    """The deputy's view: each assignment of the year with its КТП status."""
    permissions.require(actor, "ktp_control", "list")
    rows = _plan_rows(_assignments(actor, year, class_id, teacher_id), year)
    return [r for r in rows if r.problem] if only_problems else rows


def program_fulfillment(actor, year, today=None, class_id=None, teacher_id=None):
    """Per class and subject (and subgroup): hours in the curriculum and the КТП for the year vs
    lessons given (not cancelled, dated today or earlier) and lessons in the timetable for the year
    (a cancelled one included: it was planned; services/lessons.planned_and_given).
    Rows reach only the assignments the actor may list."""
    today = today or dates.today(actor.org)
    rows = _plan_rows(_assignments(actor, year, class_id, teacher_id), year)
    ids = [r.assignment.id for r in rows]
    counts = planned_and_given(ids, today)
    for r in rows:
        r.lessons_given, r.lessons_scheduled = counts.get(r.assignment.id, (0, 0))
    return rows


def teacher_plan_choices(actor):
    """Subjects a teacher teaches (for the new-plan form), from his assignments."""
    if not actor.staff_id:
        return []
    return db.session.scalars(select(Subject).where(Subject.id.in_(
        select(TeachingAssignment.subject_id).where(TeachingAssignment.teacher_id == actor.staff_id)))
        .order_by(Subject.sort_order, Subject.name)).all()


def is_plan_owner(actor, plan):
    return (actor.staff_id is not None and plan.teacher_id == actor.staff_id
            and permissions.allowed(actor, "thematic_plan", "author"))


RULES = (validate_plan, validate_topic)
