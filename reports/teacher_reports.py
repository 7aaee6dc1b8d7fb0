"""The teacher's reports (issue 6, SPEC §4): «Отчёт учителя-предметника», «Итоги успеваемости по
предмету», «Выполнение программы».

Every figure comes from services/journal/figures.py over the period marks of the students counted at the
period's end (reports/data.py `class_sets`); a total is the figures of all its students (or student ×
subject pairs) together, never an average of percentages. Each report reads a fixed number of
set-based statements whatever the number of classes, subjects or students.
"""
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import SchoolClass, Staff, Subject, TeachingAssignment, db
from reports import data
from reports.document import (Column, average_note, date_range, director_line, figure_columns, figure_values,
                              figures_note, grade_label, person_name, set_note, slug, total_label)
from reports.registry import report, report_document
from services.journal.figures import figures, percent, pooled_average
from services import permissions
from services.planning import ktp
from services.timetable.lessons import planned_and_given
from services.terms import term
from datetime import timedelta
from services.org.calendar import WorkingCalendar

GROUP = "Учителю"
TA = TeachingAssignment


def teacher_line(org, teacher):
    return (term("teacher", org), person_name(teacher, short=True))


def _signer_line(actor, org, chosen):
    """Who signs a report over several teachers' classes: the teacher chosen, else the teacher building it
    (not the administration), else the director."""
    teacher = chosen or (db.session.get(Staff, actor.staff_id) if actor.staff_id and not permissions.allowed(
        actor, "report_school", "list") else None)
    return teacher_line(org, teacher) if teacher is not None else director_line(org)


def _hours(value):
    """Hours as a whole number when they are one (102, not 102.0)."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == int(value) else value


# -- 1. Отчёт учителя-предметника ---------------------------------------------------------------------

@report("teacher-report", "Отчёт учителя-предметника", "report_teacher", params=("year", "teacher", "period"),
        required=("teacher",), group=GROUP, college_title="Отчёт преподавателя",
        description="По каждому классу (подгруппе) и предмету учителя за период: отметки «5»…«2», н/а, "
                    "успеваемость, качество, СОУ, средний балл; уроки по плану и проведённые, часы в году.")
def teacher_report(actor, p):
    org, teacher = p.org, p.teacher
    start, end = p.period_start, p.period_end
    assignments = db.session.scalars(
        select(TA).join(SchoolClass, SchoolClass.id == TA.class_id).join(Subject, Subject.id == TA.subject_id)
        .where(TA.teacher_id == teacher.id, TA.year_id == p.year.id)
        .options(joinedload(TA.klass), joinedload(TA.subject), joinedload(TA.subgroup))
        .order_by(SchoolClass.grade, SchoolClass.name, Subject.sort_order, Subject.name, TA.id)).unique().all()
    counted = data.class_sets({a.class_id for a in assignments}, start, end).sets()
    period_ids = [p.period.id] if p.period is not None else [x.id for x in p.periods]
    groups = data.subgroup_students({a.subgroup_id for a in assignments if a.subgroup_id}, period_ids)
    rows = []
    for a in assignments:
        students = counted.get(a.class_id, set())
        if a.subgroup_id:
            students = students & groups.get(a.subgroup_id, set())
        rows.append((a, students))
    everyone = set().union(*(s for _, s in rows))
    marks = data.period_marks(everyone, p.year.id)
    sums = data.mark_sums(everyone, start, end, by=("student", "class", "subject", "teacher"))
    lessons = planned_and_given([a.id for a in assignments], p.today, start, end)
    slot = p.mark_key
    shown = dict(students=True, passed=any(a.subject.grading == "pass_fail" for a in assignments))

    doc = report_document("teacher-report", p, [
        (term("teacher", org), person_name(teacher)), ("Период", p.period_label),
        ("Даты", date_range(start, end)), ("Уроки проведены", f"по {min(p.today, end):%d.%m.%Y}")],
        filename=slug("otchet-uchitelya", teacher.last_name, p.period_label))
    sheet = doc.sheet("Отчёт")
    shown_columns = figure_columns(**shown)
    columns = [Column(term("class", org), width=10), Column(term("subject", org), width=28)] + shown_columns + \
        [Column("Уроков по плану", "int", 10), Column("Проведено уроков", "int", 10),
         Column("Часов в год", "int", 8)]
    # «Учеников» stands with the class and the subject; the marks' figures under one heading.
    table = sheet.table(columns, groups=[("", 3), ("Отметки за период" if p.period is not None else
                                                  "Годовые отметки", len(shown_columns) - 1), ("Уроки", 3)])
    all_values, all_sums, given_total, planned_total, hours_total = {}, [], 0, 0, Decimal(0)
    for a, students in rows:
        values = {sid: marks.get((sid, a.subject_id), {}).get(slot) for sid in students}
        own_sums = [sums[k] for sid in students if (k := (sid, a.class_id, a.subject_id, a.teacher_id)) in sums]
        f = figures(values, average=pooled_average(own_sums))
        given, planned = lessons.get(a.id, (0, 0))
        subject = a.subject.name + (f" ({a.subgroup.name})" if a.subgroup is not None else "")
        hours = a.hours_total
        table.add([a.klass.name, subject] + figure_values(f, **shown) + [planned, given, _hours(hours)])
        all_values.update({(a.id, sid): v for sid, v in values.items()})
        all_sums += own_sums
        given_total += given
        planned_total += planned
        hours_total += Decimal(hours or 0)
    if rows:
        f = figures(all_values, average=pooled_average(all_sums))
        table.add(["Итого", ""] + figure_values(f, **shown) + [planned_total, given_total, _hours(hours_total)],
                  style="total")
        sheet.text("Итого: все пары «ученик × предмет» учителя вместе; «Учеников» — сколько таких пар. "
                   f"{set_note(org)} {figures_note(org)} Средний балл — Σ(отметка × вес) / Σ вес по отметкам за "
                   "задания на уроках учителя. Уроков по плану — все уроки периода, и отменённые; проведено — "
                   f"не отменённые, по {min(p.today, end):%d.%m.%Y}.", "note")
    else:
        sheet.text(f"У {person_name(teacher, short=True)} нет учебной нагрузки в {p.year.name} учебном году.",
                   "note")
    sheet.sign(teacher_line(org, teacher))
    return doc


# -- 2. Итоги успеваемости по предмету ----------------------------------------------------------------

@report("subject-results", "Итоги успеваемости по предмету", "report_teacher",
        params=("year", "subject", "period", "teacher"), required=("subject",), group=GROUP,
        college_title="Итоги успеваемости по дисциплине",
        description="По каждому классу с этим предметом: N, «5»…«2», н/а, успеваемость, качество, СОУ, "
                    "средний балл; итоги по параллелям и по школе (по всем ученикам вместе).")
def subject_results(actor, p):
    org, subject = p.org, p.subject
    start, end = p.period_start, p.period_end
    chosen = p.teacher if p.raw.get("teacher") else None
    cond = [TA.year_id == p.year.id, TA.subject_id == subject.id,
            permissions.row_condition(actor, "report_teacher", "list", TA)]
    if chosen is not None:
        cond.append(TA.teacher_id == chosen.id)
    rows = db.session.execute(
        select(SchoolClass, Staff).join(TA, TA.class_id == SchoolClass.id).join(Staff, Staff.id == TA.teacher_id)
        .where(*cond).order_by(SchoolClass.grade, SchoolClass.name, Staff.last_name, Staff.first_name)).all()
    classes, teachers = [], defaultdict(list)
    for klass, staff in rows:
        if klass not in classes:
            classes.append(klass)
        if staff not in teachers[klass.id]:
            teachers[klass.id].append(staff)
    counted = data.class_sets([c.id for c in classes], start, end).sets()
    everyone = set().union(*counted.values()) if counted else set()
    marks = data.period_marks(everyone, p.year.id, subject.id)
    sums = data.mark_sums(everyone, start, end, subject_id=subject.id, by=("student", "class"))
    slot = p.mark_key
    shown = dict(students=True, passed=subject.grading == "pass_fail")

    params = [(term("subject", org), subject.name), ("Период", p.period_label)]
    if chosen is not None:
        params.append((term("teacher", org), person_name(chosen)))
    doc = report_document("subject-results", p, params, filename=slug("itogi", subject.name, p.period_label))
    sheet = doc.sheet("Итоги")
    table = sheet.table([Column(term("class", org), width=16), Column(term("teacher", org), width=26)]
                        + figure_columns(**shown))

    def add(label, teacher_names, class_ids, style=""):
        values = {sid: marks.get((sid, subject.id), {}).get(slot) for cid in class_ids for sid in counted[cid]}
        pooled = [sums[(sid, cid)] for cid in class_ids for sid in counted[cid] if (sid, cid) in sums]
        f = figures(values, average=pooled_average(pooled))
        table.add([label, teacher_names] + figure_values(f, **shown), style=style)

    grades = defaultdict(list)
    for klass in classes:
        grades[klass.grade].append(klass)
    for grade, members in grades.items():
        for klass in members:
            add(klass.name, ", ".join(person_name(t, short=True) for t in teachers[klass.id]), [klass.id])
        add(grade_label(org, grade, total=True), "", [k.id for k in members], style="group")
    if classes:
        add(total_label(org), "", [k.id for k in classes], style="total")
    else:
        sheet.text(f"Нет {term('class_gen', org)} с этим предметом в {p.year.name} учебном году.", "note")
    sheet.text("Итоги по параллели и по школе — показатели всех их учеников вместе, не среднее процентов. "
               f"{set_note(org)} {figures_note(org)} {average_note(org)}", "note")
    sheet.sign(_signer_line(actor, org, chosen))
    return doc


# -- 3. Выполнение программы ---------------------------------------------------------------------------

def year_pace(org_id, p):
    """The share of the year's study time gone by `p.today`: working days of the periods up to today
    over the working days of all periods (the year's bounds when it has no periods). One statement."""

    spans = [(x.start_date, x.end_date) for x in p.periods] or [(p.year.start_date, p.year.end_date)]
    calendar = WorkingCalendar(org_id, p.year.start_date, p.year.end_date)
    day_before = timedelta(days=1)
    total = sum(calendar.working_days_between(a - day_before, b) for a, b in spans)
    done = sum(calendar.working_days_between(a - day_before, min(b, p.today)) for a, b in spans if a <= p.today)
    return (Decimal(done), Decimal(total)) if total else (Decimal(0), Decimal(1))


@report("program-fulfillment", "Выполнение программы", "report_teacher", params=("year", "class", "teacher"),
        group=GROUP,
        description="По классам и предметам: часы по учебному плану и по КТП, уроки в расписании на год и "
                    "проведённые, сколько уроков полагалось провести к сегодняшнему дню, % выполнения, отставание.")
def program_fulfillment(actor, p):
    org = p.org
    chosen = p.teacher if p.raw.get("teacher") else None
    plan_rows = ktp.program_fulfillment(actor, p.year, p.today, class_id=p.klass.id if p.klass else None,
                                        teacher_id=chosen.id if chosen is not None else None)
    done, total = year_pace(org.id, p)
    params = [("Учебный год", p.year.name), ("На дату", f"{p.today:%d.%m.%Y}")]
    if p.klass is not None:
        params.insert(1, (term("class", org), p.klass.name))
    if chosen is not None:
        params.insert(1, (term("teacher", org), person_name(chosen)))
    doc = report_document("program-fulfillment", p, params,
                          filename=slug("vypolnenie-programmy", p.klass.name if p.klass else "",
                                        chosen.last_name if chosen else "", p.year.name))
    sheet = doc.sheet("Выполнение программы")
    table = sheet.table([
        Column(term("class", org), width=10), Column(term("subject", org), width=28),
        Column(term("teacher", org), width=22), Column("Часов по учебному плану", "int", 10),
        Column("Часов по КТП", "int", 9), Column("Уроков в расписании на год", "int", 11),
        Column("Проведено уроков", "int", 10), Column(f"По плану к {p.today:%d.%m.%Y}", "int", 11),
        Column("Выполнено за год, %", "pct", 10), Column("Отставание, уроков", "int", 10),
        Column("КТП", width=24)])
    totals = [Decimal(0), 0, 0, 0, 0]  # plan, scheduled, given, due, behind
    for r in plan_rows:
        a = r.assignment
        plan = r.curriculum_hours if r.curriculum_hours is not None else (
            r.ktp_hours if r.ktp_hours else a.hours_total)
        done_pct = r.percent if r.curriculum_hours else percent(r.lessons_given, plan)
        due = int((Decimal(plan) * done / total).quantize(Decimal(1), rounding=ROUND_HALF_UP)) \
            if plan is not None else None
        behind = max(due - r.lessons_given, 0) if due is not None else None
        subject = a.subject.name + (f" ({a.subgroup.name})" if a.subgroup is not None else "")
        table.add([a.klass.name, subject, person_name(a.teacher, short=True), _hours(r.curriculum_hours),
                   r.ktp_hours, r.lessons_scheduled, r.lessons_given, due, done_pct, behind, r.status_label],
                  style="risk" if behind else "")
        totals[0] += Decimal(plan or 0)
        totals[1] += r.lessons_scheduled
        totals[2] += r.lessons_given
        totals[3] += due or 0
        totals[4] += behind or 0
    if plan_rows:
        plan, scheduled, given, due, behind = totals
        table.add(["Итого", "", "", _hours(plan), None, scheduled, given, due, percent(given, plan), behind, ""],
                  style="total")
        sheet.text(f"План — часы учебного плана (без них — часы КТП или нагрузки); к {p.today:%d.%m.%Y} полагалось "
                   f"провести план × {done} / {total} (рабочие дни учебных периодов, прошедшие и все); "
                   "отставание — на сколько проведённых уроков меньше. Уроки в расписании на год — все, и "
                   "отменённые (отменённый урок не проведён).", "note")
    else:
        sheet.text("Нет учебной нагрузки по выбранным условиям.", "note")
    sheet.sign(_signer_line(actor, org, chosen))
    return doc
