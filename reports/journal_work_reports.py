"""«Анализ работы с журналом» (issue 17.4; seed 000 §4.6–4.7, §5 — the deputy director's control at least
once a month; seed 001 §8.6, §8.10): per teacher and per class × subject over a range of dates (by default the
current month up to today) — lessons given, with a topic, with homework, with the roll call, marks per lesson,
marks entered after the lesson's day (from the audit trail) and how late, period marks missing.

The figures are services/journal/analysis.py `journal_work` (set-based); the administration sees the whole
organization (and may pick a teacher), a teacher his own rows only: the lessons he gave and his journals'
period marks (the parameter «Учитель» resolves to him, reports/parameters.py).
"""
from models import TeachingAssignment
from reports.document import Column, date_range, director_line, person_name, slug, total_label
from reports.registry import report, report_document
from reports.school_reports import ADMINISTRATION
from reports.teacher_reports import teacher_line
from services import permissions
from services.journal.analysis import by_teacher, journal_work, total
from services.terms import term

NAME = "journal-work"


def _figure_columns():
    return [Column("Проведено уроков", "int", 10), Column("С темой", "int", 8), Column("С темой, %", "pct", 8),
            Column("С домашним заданием", "int", 10), Column("С д/з, %", "pct", 8),
            Column("С отметкой посещаемости", "int", 11), Column("Посещаемость отмечена, %", "pct", 11),
            Column("Отметок", "int", 8), Column("Отметок на урок", "avg", 8),
            Column("Внесено позже дня урока", "int", 10), Column("Позже, % отметок", "pct", 9),
            Column("Опоздание в среднем, дней", "avg", 10), Column("Опоздание наибольшее, дней", "int", 10),
            Column("Нет отметок за период", "int", 10)]


def _figure_values(w):
    return [w.lessons, w.with_topic, w.topic_pct, w.with_homework, w.homework_pct, w.with_roll_call,
            w.roll_call_pct, w.marks, w.marks_per_lesson, w.late, w.late_pct, w.late_average, w.late_max_days,
            w.missing_period_marks]


@report(NAME, "Анализ работы с журналом", "report_teacher", params=("year", "from", "to", "teacher", "class"),
        group=ADMINISTRATION, default_range="month",
        description="По учителям и по классам и предметам за диапазон дат (по умолчанию — текущий месяц): "
                    "проведено уроков, с темой, с домашним заданием, с отметкой посещаемости, отметок на урок, "
                    "отметки, внесённые позже дня урока, и на сколько дней, недостающие отметки за период.")
def journal_work_report(actor, p):
    org = p.org
    whole = permissions.allowed(actor, "report_school", "list")
    # The administration: the whole organization, or the teacher it picks; a teacher: himself (the parameter
    # resolves to his card, another's is refused) — the lessons he gave, his journals' period marks.
    chosen = p.teacher if p.raw.get("teacher") or not whole else None
    p.teacher = chosen  # the form shows whom the report is of: «—», the whole organization, for a deputy who teaches
    rows = [] if chosen is None and not whole else journal_work(
        org, p.year, p.start, p.end, p.today, teacher_id=chosen.id if chosen is not None else None,
        class_id=p.klass.id if p.klass else None,
        condition=permissions.row_condition(actor, "report_teacher", "list", TeachingAssignment) if whole else None)
    last = min(p.end, p.today)
    params = [("Даты", date_range(p.start, p.end)), ("Уроки проведены", f"по {last:%d.%m.%Y}")]
    if chosen is not None:
        params.insert(0, (term("teacher", org), person_name(chosen)))
    if p.klass is not None:
        params.insert(0, (term("class", org), p.klass.name))
    doc = report_document(NAME, p, params, filename=slug(
        "analiz-zhurnala", chosen.last_name if chosen else "", p.klass.name if p.klass else "",
        f"{p.start:%d.%m.%Y}", f"{p.end:%d.%m.%Y}"))

    sheet = doc.sheet("По учителям")
    table = sheet.table([Column(term("teacher", org), width=26)] + _figure_columns(),
                        groups=[("", 1), ("Уроки", 7), ("Отметки", 6), ("", 1)])
    for teacher, w in by_teacher(rows):
        table.add([person_name(teacher, short=True)] + _figure_values(w), style=_style(w))
    if rows:
        table.add([total_label(org)] + _figure_values(total(rows)), style="total")
    sheet.text(_note(org, p, last), "note")

    sheet = doc.sheet("По группам и дисциплинам" if org.is_college else "По классам и предметам")
    table = sheet.table([Column(term("class", org), width=10), Column(term("subject", org), width=26),
                         Column(term("teacher", org), width=22)] + _figure_columns(),
                        groups=[("", 3), ("Уроки", 7), ("Отметки", 6), ("", 1)])
    for w in rows:
        table.add([w.class_name, w.subject_name, person_name(w.teacher, short=True)] + _figure_values(w),
                  style=_style(w))
    if rows:
        table.add([total_label(org), "", ""] + _figure_values(total(rows)), style="total")
    else:
        sheet.text("Нет уроков и недостающих отметок за период по выбранным условиям.", "note")
    sheet.sign(teacher_line(org, chosen) if chosen is not None and not whole else director_line(org))
    return doc


def _style(w):
    """A journal with something to put right stands out (as «risk»)."""
    gaps = w.lessons and (w.with_topic < w.lessons or w.with_roll_call < w.lessons)
    return "risk" if gaps or w.late or w.missing_period_marks else ""


def _note(org, p, last):
    return (f"Проведённые уроки — не отменённые, с {p.start:%d.%m.%Y} по {last:%d.%m.%Y}; урок на замене "
            "считается у учителя, который его провёл. Посещаемость отмечена — учитель сохранил посещаемость "
            "урока или отметил, что присутствуют все. Отметок на урок — отметки этих уроков / проведённые уроки. "
            "Внесена позже — отметка записана (по журналу изменений) после дня урока по времени организации; "
            "опоздание — в календарных днях. Нет отметок за период — ученики без отметки за учебные периоды, "
            "окончившиеся в диапазоне (в журнале учителя нагрузки).")
