"""The student's reports (issue 6, SPEC §4): «Средний балл ученика», «Динамика среднего балла ученика»,
«Табель успеваемости учащегося», «Отчёт об успеваемости и посещаемости ученика».

A report is about the student: a student who moved classes during the year keeps the marks of every
class he studied in, each noted with its class (reports/data.py `memberships_of` gives his class
history). The class's figures are pooled over the students his class counts at the period's end.
Averages come from services/journal/figures.py; each report reads a fixed number of set-based statements
whatever the number of subjects, marks or classmates.
"""
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from models import Subject, db
from reports import data
from reports.document import (Chart, Column, attendance_columns, attendance_values, average_note,
                              class_teacher_line, next_month, set_note, slug)
from reports.registry import report, report_document
from services.journal.figures import AttendanceCounts, pooled_average, weighted_average
from services.terms import term

GROUP = "Ученику и родителям"
MONTHS = ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")


def class_for(memberships, day):
    """His class on `day`, else the last he belonged to before it, else his first: (class, from, to)."""
    covering = [m for m in memberships if m[1] <= day <= m[2]]
    if covering:
        return covering[-1]
    before = [m for m in memberships if m[2] <= day]
    if before:
        return before[-1]
    return memberships[0] if memberships else None


def classes_label(memberships):
    """«5А» or «5А (до 11.10.2026), 6Б (с 12.10.2026)» for a student who moved."""
    if len(memberships) == 1:
        return memberships[0][0].name
    return ", ".join(f"{klass.name} ({since:%d.%m.%Y}–{until:%d.%m.%Y})" for klass, since, until in memberships)


def subjects_of(class_ids, year_id, extra_ids=(), gradings=("marks",)):
    """The subjects of the student's classes in the curriculum's order (those graded as `gradings`),
    then the subjects he has marks in that are not among them; at most two statements."""
    subjects = [subject for subject in data.taught_subjects(class_ids, year_id) if subject.grading in gradings]
    subjects.sort(key=lambda s: (s.sort_order, s.name, s.id))
    missing = set(extra_ids) - {s.id for s in subjects}
    if missing:
        subjects += db.session.scalars(select(Subject).where(Subject.id.in_(missing))
                                       .order_by(Subject.sort_order, Subject.name, Subject.id)).all()
    return subjects


def _document(name, p, memberships, extra_params, filename_parts):
    org, student = p.org, p.student
    doc = report_document(name, p, filename=slug(*filename_parts, student.last_name, student.first_name))
    doc.params.append((term("student", org), doc.student_name(student)))
    if memberships:
        doc.params.append((term("class", org), classes_label(memberships)))
    doc.params += extra_params
    return doc


def _sign(sheet, p, klass):
    sheet.sign(class_teacher_line(p.org, klass[0] if klass else None))


def _difference(a, b):
    if a is None or b is None:
        return None
    return a - b


# -- 4. Средний балл ученика ------------------------------------------------------------------------------

@report("student-average", "Средний балл ученика", "report_student", params=("year", "class", "student", "period"),
        required=("student",), group=GROUP, college_title="Средний балл студента",
        description="По каждому предмету за период: средневзвешенный балл ученика, средний балл его "
                    "класса и разница.")
def student_average(actor, p):
    org, student = p.org, p.student
    start, end = p.period_start, p.period_end
    memberships = data.memberships_of([student.id], start, end).get(student.id, [])
    home = class_for(memberships, end)
    own = data.mark_sums([student.id], start, end, by=("subject", "class"))
    class_sums = {}
    if home is not None:
        sets = data.class_sets([home[0].id], start, end)
        class_sums = {key[1:]: pair for key, pair in data.set_mark_sums(sets.sets(), start, end,
                                                                       by=("subject",)).items()}
    subjects = subjects_of([m[0].id for m in memberships], p.year.id, {s for s, _ in own})
    names = {m[0].id: m[0].name for m in memberships}

    doc = _document("student-average", p, memberships, [("Период", p.period_label)], ("srednij-ball", p.period_label))
    sheet = doc.sheet("Средний балл")
    table = sheet.table([Column(term("subject", org), width=30), Column(term("class", org), width=12),
                         Column("Средний балл ученика" if not org.is_college else "Средний балл студента", "avg", 12),
                         Column(f"Средний балл {term('class_gen', org)}", "avg", 12),
                         Column("Разница", "avg", 10)])
    for subject in subjects:
        mine = [(cid, sums) for (sid, cid), sums in own.items() if sid == subject.id]
        average = pooled_average([sums for _, sums in mine])
        theirs = pooled_average([class_sums[(subject.id,)]]) if (subject.id,) in class_sums else None
        where = ", ".join(names.get(cid, "") for cid, _ in sorted(mine, key=lambda x: names.get(x[0], ""))) \
            or (home[0].name if home else "")
        table.add([subject.name, where, average, theirs, _difference(average, theirs)])
    mine = pooled_average(list(own.values()))
    theirs = pooled_average(list(class_sums.values()))
    table.add(["По всем предметам", home[0].name if home else "", mine, theirs, _difference(mine, theirs)],
              style="total")
    sheet.text(f"Средний балл ученика — его отметки за уроки каждого {term('class_gen', org)}, данные за время "
               f"обучения в нём. Средний балл {term('class_gen', org)} — как в итогах {term('class_gen', org)}: "
               f"{set_note(org, f'на {end:%d.%m.%Y}')[0].lower()}{set_note(org, f'на {end:%d.%m.%Y}')[1:]} "
               f"{average_note(org)}", "note")
    _sign(sheet, p, home)
    return doc


# -- 5. Динамика среднего балла ученика ---------------------------------------------------------------------

def _buckets(p):
    """[(label, first day, last day)]: the year's periods, or its months."""
    if p.by == "month":
        result, day = [], p.year.start_date.replace(day=1)
        while day <= p.year.end_date:
            following = next_month(day)
            result.append((f"{MONTHS[day.month - 1]} {day:%y}", max(day, p.year.start_date),
                           min(following - timedelta(days=1), p.year.end_date)))
            day = following
        return result
    return [(period.name, period.start_date, period.end_date) for period in p.periods]


@report("student-dynamics", "Динамика среднего балла ученика", "report_student",
        params=("year", "class", "student", "by"), required=("student",), group=GROUP,
        college_title="Динамика среднего балла студента",
        description="Средневзвешенный балл ученика по каждому предмету и в целом по периодам (или по месяцам) "
                    "года, рядом с классом; с графиком.")
def student_dynamics(actor, p):
    org, student, year = p.org, p.student, p.year
    buckets = _buckets(p)
    labels = [label for label, _, _ in buckets]
    memberships = data.memberships_of([student.id], year.start_date, year.end_date).get(student.id, [])
    # His class in each column (the one at its end) and the set it counts then; «За год» is the year's
    # column, the same whatever the breakdown (one more statement: the buckets must not overlap).
    columns = [(index, first, last) for index, (_, first, last) in enumerate(buckets)]
    year_column = (len(buckets), year.start_date, year.end_date)
    class_ids = sorted({m[0].id for m in memberships})
    rosters = data.rosters(class_ids, year.start_date, year.end_date)
    home = {index: class_for(memberships, last) for index, _, last in columns + [year_column]}
    counted = {index: ({e.student_id for e in data.counted(rosters[h[0].id], last)} if h else set())
               for (index, _, last), h in zip(columns + [year_column], home.values())}
    everyone = {e.student_id for entries in rosters.values() for e in entries} | {student.id}
    by = ("student", "class", "subject")
    sums = data.bucket_mark_sums(everyone, columns, by=by)
    sums.update(data.bucket_mark_sums(everyone, [year_column], by=by))
    own, own_all, of_class = defaultdict(list), defaultdict(list), defaultdict(list)
    for (index, sid, cid, subject_id), pair in sums.items():
        if sid == student.id:
            own[(index, subject_id)].append(pair)
            own_all[index].append(pair)
        h = home[index]
        if h is not None and cid == h[0].id and sid in counted[index]:
            of_class[index].append(pair)
    subjects = subjects_of(class_ids, year.id, {s for _, s in own})
    indexes = [index for index, _, _ in columns] + [year_column[0]]

    doc = _document("student-dynamics", p, memberships,
                    [("Учебный год", year.name), ("Разбивка", "по месяцам" if p.by == "month" else "по периодам")],
                    ("dinamika", year.name, p.by))
    sheet = doc.sheet("Динамика")
    table = sheet.table([Column(term("subject", org), width=30)] +
                        [Column(label, "avg", 9) for label in labels] + [Column("За год", "avg", 9)])
    for subject in subjects:
        table.add([subject.name] + [pooled_average(own[(index, subject.id)]) for index in indexes])
    student_line = [pooled_average(own_all[index]) for index in indexes]
    class_line = [pooled_average(of_class[index]) for index in indexes]
    table.add(["Ученик: все предметы" if not org.is_college else "Студент: все дисциплины"] + student_line,
              style="total")
    table.add([f"{term('class', org)}: все предметы"] + class_line, style="total")
    student_line, class_line = student_line[:-1], class_line[:-1]
    if len(memberships) > 1:
        table.add([f"{term('class', org)} в этот период"] + [home[index][0].name if home[index] else ""
                                                              for index, _, _ in columns] + [""], style="muted")
    values = [v for v in student_line + class_line if v is not None]
    low = min([Decimal(2)] + values)
    sheet.chart(Chart(title="Средний балл: ученик и класс" if not org.is_college else "Средний балл: студент и группа",
                      categories=labels,
                      series=[(doc.student_name(student, short=True), student_line),
                              (f"{term('class', org)} (все предметы)", class_line)],
                      y_min=int(low), y_max=5))
    sheet.text(f"Средний балл — Σ(отметка × вес) / Σ вес; ученика — его отметки за уроки каждого "
               f"{term('class_gen', org)}, данные за время обучения в нём; {term('class_gen', org)} — как в итогах "
               f"{term('class_gen', org)} за период: обучающиеся, состоящие в нём на конец периода (месяца), по "
               f"урокам {term('class_gen', org)}. «За год» — за весь учебный год, при любой разбивке одинаково "
               f"({term('class', org).lower()} и его обучающиеся — на конец года).", "note")
    _sign(sheet, p, class_for(memberships, min(p.today, year.end_date)))
    return doc


# -- 6. Табель успеваемости учащегося -------------------------------------------------------------------------

@report("student-report-card", "Табель успеваемости учащегося", "report_student", params=("year", "class", "student"),
        required=("student",), group=GROUP, college_title="Табель успеваемости студента",
        description="Предметы × учебные периоды года: отметки за периоды, годовая, экзаменационная, итоговая.")
def student_report_card(actor, p):
    org, student, year = p.org, p.student, p.year
    memberships = data.memberships_of([student.id], year.start_date, year.end_date).get(student.id, [])
    marks = data.period_marks([student.id], year.id)
    subjects = subjects_of([m[0].id for m in memberships], year.id, {s for _, s in marks},
                           gradings=("marks", "pass_fail"))
    doc = _document("student-report-card", p, memberships, [("Учебный год", year.name)], ("tabel", year.name))
    sheet = doc.sheet("Табель")
    table = sheet.table([Column(term("subject", org), width=30)] +
                        [Column(period.name, "mark", 10) for period in p.periods] +
                        [Column("Годовая", "mark", 9), Column("Экзамен", "mark", 9), Column("Итоговая", "mark", 9)],
                        groups=[("", 1), ("Учебные периоды", len(p.periods)), ("За год", 3)] if p.periods else [])
    if len(memberships) > 1:
        table.add([term("class", org)] + [class_for(memberships, period.end_date)[0].name for period in p.periods]
                  + ["", "", ""], style="muted")
    for subject in subjects:
        got = marks.get((student.id, subject.id), {})
        table.add([subject.name] + [got.get(("period", period.id)) for period in p.periods] +
                  [got.get(("year", 0)), got.get(("exam", 0)), got.get(("final", 0))])
    if not subjects:
        sheet.text("Нет предметов и отметок за этот учебный год.", "note")
    _sign(sheet, p, class_for(memberships, min(p.today, year.end_date)) if memberships else None)
    return doc


# -- 7. Отчёт об успеваемости и посещаемости ученика ----------------------------------------------------------

def _weight(value):
    value = Decimal(str(value)).normalize()
    return f"{value:f}".replace(".", ",")


@report("student-marks", "Отчёт об успеваемости и посещаемости ученика", "report_student",
        params=("year", "class", "student", "from", "to"), required=("student",), group=GROUP,
        college_title="Отчёт об успеваемости и посещаемости студента",
        description="За выбранные даты: каждая отметка по предметам (дата, вид задания, вес) и средний балл; "
                    "пропуски уроков с причинами и их итоги.")
def student_marks(actor, p):
    org, student = p.org, p.student
    memberships = data.memberships_of([student.id], p.start, p.end).get(student.id, [])
    marks = data.mark_list([student.id], p.start, p.end)
    absences = data.absence_list([student.id], p.start, p.end)
    doc = _document("student-marks", p, memberships, [("Даты", p.range_label)],
                    ("uspevaemost-i-poseshchaemost", f"{p.start:%d%m%Y}", f"{p.end:%d%m%Y}"))
    sheet = doc.sheet("Успеваемость")
    by_subject = {}
    for row in marks:
        by_subject.setdefault(row.Subject.id, (row.Subject, []))[1].append(row)
    summary = sheet.table([Column(term("subject", org), width=30), Column(term("class", org), width=12),
                           Column("Отметок", "int", 9), Column("Средний балл", "avg", 10)],
                          title="Средний балл по предметам")
    everything = []
    for subject, rows in by_subject.values():
        pairs = [(r.value, r.weight) for r in rows]
        everything += pairs
        classes = []
        for r in rows:
            if r.class_name not in classes:
                classes.append(r.class_name)
        summary.add([subject.name, ", ".join(classes), len(rows), weighted_average(pairs)])
    summary.add(["По всем предметам", "", len(marks), weighted_average(everything)], style="total")
    table = sheet.table([Column("Дата", "date", 11), Column("Вид задания", width=22), Column("Тема", width=30),
                         Column("Вес", width=6), Column("Отметка", "mark", 8), Column(term("class", org), width=9)],
                        title="Отметки")
    for subject, rows in by_subject.values():
        table.add([subject.name, "", "", "", "", ""], style="group")
        for r in rows:
            table.add([r.date, r.task_type, r.topic or "", _weight(r.weight), r.value, r.class_name])
    if not marks:
        sheet.text("Отметок за эти даты нет.", "note")

    counts = AttendanceCounts()
    missed = sheet.table([Column("Дата", "date", 11), Column("Урок №", "int", 7),
                          Column(term("subject", org), width=26), Column("Отметка", width=8),
                          Column("Причина", width=40)], title="Пропуски уроков")
    for a in absences:
        counts.add(a.kind, 1)
        reason = a.code_name + (f": {a.reason_note}" if a.reason_note else "")
        missed.add([a.date, a.number, a.subject_name, a.code, reason])
    if not absences:
        sheet.text("Пропусков и опозданий за эти даты нет.", "note")
    totals = sheet.table(attendance_columns(), title="Итого пропусков")
    totals.add(attendance_values(counts), style="total")
    _sign(sheet, p, class_for(memberships, p.end))
    return doc
