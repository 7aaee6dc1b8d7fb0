"""The institution's reports and the summary ledgers (issue 6; SPEC §4, seed 001 §X).

- «Сводная ведомость учёта успеваемости» of one class (`summary-ledger`) and of every class in one
  workbook (`institution-ledgers`, a sheet per class);
- «Итоги успеваемости и качества знаний» (`school-results`), «Сводный отчёт классных руководителей»
  (`class-teachers-summary`), «Сводный отчёт об успеваемости по школе» (`school-progress-summary`);
- «Итоговые данные по учащимся / Общие сведения об обучающихся» (`students-summary`, and
  `students-summary-class` for a class teacher);
- the movement book's «Наполняемость классов» (`class-fill`) and «Движение учащихся по школе»
  (`movement`), registered here as thin adapters of reports/class_fill.py and reports/movement.py.

Every report reads its data with the set-based loaders of reports/data.py — a fixed number of
statements whatever the number of classes, students or subjects — and builds the rows in Python.
The figures come only from services/journal/figures.py. Who is counted: the students in the class on the
period's last day (`data.counted`); a student who moved is counted in the class he is in then.
"""
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby

from sqlalchemy import select

from models import AcademicYear, MovementItem, MovementOrder, SchoolClass, db
from reports import data
from reports.document import (FIGURE_FIELDS, FIGURE_TITLES, PERCENTS, Column, Document, average_note,
                              class_teacher_line, date_range, director_line, figure_columns, figure_values,
                              figures_note, grade_label, movement_note, person_name, set_note, slug, total_label)
from reports.registry import report, report_document
from services.journal.figures import (TWO_PLACES, AttendanceCounts, figures, mark_category, pooled_average,
                                     student_category)
from services.database import long_statements
from services.journal.policy import no_marks
from services.terms import term
from reports.class_fill import class_fill
from reports.movement import order_lines, school_movement

ADMINISTRATION = "Администрации"
CLASS_TEACHER = "Классному руководителю"
PERIOD_ABBR = {"quarter": "ч.", "trimester": "тр.", "half_year": "пол.", "semester": "сем."}
YEAR_SLOTS = (("year", "Год"), ("exam", "Экз."), ("final", "Итог."))
YEAR_END_KINDS = ("next_year", "repeat", "graduation")


# -- common ground -----------------------------------------------------------------------------------

def _grouped(org, classes):
    """[(style, label, [classes])]: every class, each grade's subtotal after its classes, the total."""
    rows = []
    for grade, members in groupby(classes, key=lambda c: c.grade):
        members = list(members)
        rows += [("", klass.name, [klass]) for klass in members]
        rows.append(("group", grade_label(org, grade, total=True), members))
    rows.append(("total", total_label(org), list(classes)))
    return rows


def _per_student(total, students):
    if not students:
        return None
    return (Decimal(total) / Decimal(students)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _subject_title(subject):
    name = subject.short_name or subject.name
    return f"{subject.code} {name}" if subject.code else name


def _graded(org, klass, subjects):
    """The class's subjects that carry marks (not the 1st grade, not «без отметок»)."""
    return [subject for subject, _ in subjects if not no_marks(org, klass, subject)]


def _period_params(p):
    return [("Учебный год", p.year.name), ("Период", p.period_label)]


def _period_sets(p, classes):
    """The classes' sets for the period (data.ClassSets) and the period marks of everyone counted (those
    of the period's slot `p.mark_key`, the only ones these reports count)."""
    ids = [c.id for c in classes]
    sets = data.class_sets(ids, p.period_start, p.period_end, names=False)
    return sets, data.period_marks(data.members(ids, p.period_start, p.period_end), p.year.id, key=p.mark_key)


def _period_values(p, classes):
    """`_period_sets` with each counted student's marks of the slot over all subjects (`_all_values` of its
    marks), read flat."""
    ids = [c.id for c in classes]
    sets = data.class_sets(ids, p.period_start, p.period_end, names=False)
    return sets, data.slot_values(data.members(ids, p.period_start, p.period_end), p.year.id, p.mark_key)


# -- 1, 2: the summary ledgers ------------------------------------------------------------------------

def _period_short(period):
    abbr = PERIOD_ABBR.get(period.type)
    return f"{period.number} {abbr}" if abbr else period.name


def _slots(p):
    """[(period mark key, column title, the day whose class holds the mark)]: every period, then the
    year, exam and final marks (of the year's last day)."""
    slots = [(("period", period.id), _period_short(period), period.end_date) for period in p.periods]
    return slots + [((kind, 0), title, p.year.end_date) for kind, title in YEAR_SLOTS]


def _sheet_names(classes):
    """Worksheet names (31 characters, no []:*?/\\), unique even when two names clean up the same."""
    names, taken = {}, set()
    for klass in classes:
        base = "".join(ch for ch in klass.name if ch not in "[]:*?/\\")[:28] or "Лист"
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{base} ({n})"
        taken.add(name.lower())
        names[klass.id] = name
    return names


EMPTY_FIGURES = figures({})  # a column nobody has a mark in yet: no percentages


def _ledger_marks(p, student_ids):
    """The ledgers' marks: {(student id, subject id): [his mark of each of `_slots(p)`, None for none]}."""
    return data.period_mark_slots(student_ids, p.year.id, [key for key, _, _ in _slots(p)])


def _ledger_sheet(doc, p, klass, entries, subjects, marks, sheet_name=None):
    """One class's ledger: students × subjects (every period, year, exam, final) and under it the
    per-subject figures of every column; `marks`: `_ledger_marks` (a list of the slots' marks per student and
    subject). A mark is shown in the class the student belonged to on the
    day it stands for (a period's last day; the year's for the year, exam and final marks), so a
    student who moved has each mark in one class only, the one that counts him."""
    org = p.org
    sheet = doc.sheet(sheet_name or klass.name)
    teacher = person_name(klass.class_teacher)
    sheet.text(f"{term('class', org)} {klass.name}" + (f"; {term('class_teacher', org).lower()}: {teacher}"
                                                        if teacher else ""), "heading")
    subjects = _graded(org, klass, subjects)
    slots = _slots(p)
    groups = [("", 3)] + [(_subject_title(s), len(slots)) for s in subjects]
    columns = [Column("№", "int", 4), Column("Фамилия, имя, отчество", "text", 30), Column("Движение", "text", 13)]
    columns += [Column(title, "mark", 4.5) for _ in subjects for _, title, _ in slots]
    table = sheet.table(columns, groups=groups)
    start, end = p.year.start_date, p.year.end_date
    nothing = [None] * len(slots)
    subject_ids = [subject.id for subject in subjects]
    days = list(dict.fromkeys(day for _, _, day in slots))  # the slots' days, each once (the year's: 4 slots)
    present = {}  # {student id: {day: in the class that day}}
    for number, entry in enumerate(entries, start=1):
        left = entry.last_day is not None and entry.last_day < end
        values = [number, doc.student_name(entry.student), movement_note(entry, start, end, full_date=True)]
        on = present[entry.student_id] = {day: data.in_class_on(entry, day) for day in days}
        here = [on[day] for _, _, day in slots]
        everywhere = all(here)
        student_id = entry.student_id
        for subject_id in subject_ids:
            got = marks.get((student_id, subject_id))
            if got is None:
                values += nothing
            elif everywhere:
                values += got
            else:  # a slot of a day he was not in the class: None
                values += [value if h else None for value, h in zip(got, here)]
        table.add(values, "muted" if left else "")
    if not subjects:
        sheet.text("Отметки не выставляются (безотметочное обучение)" if not org.is_college and klass.grade == 1
                   else f"Нет {'дисциплин' if org.is_college else 'предметов'} с отметками", "note")
    else:
        figs = sheet.table([Column("", "text", 4), Column("Показатель", "text", 30), Column("", "text", 13)]
                           + [Column(title, "pct", 4.5) for _ in subjects for _, title, _ in slots],
                           title=f"Показатели по {'дисциплинам' if org.is_college else 'предметам'}",
                           groups=groups)
        counted = {day: [e.student_id for e in entries if present[e.student_id][day]] for day in days}
        same = {}  # the days whose students are those of an earlier day (nobody moved between): that day
        for day, ids in counted.items():
            same[day] = next((d for d in same if counted[d] == ids), day)
        cells = []
        for subject_id in subject_ids:
            got = {}  # {day: [each counted student's marks, `nothing` for none]}
            for n, (_, _, day) in enumerate(slots):
                ids = counted[day]
                mine = got.get(same[day])
                if mine is None:
                    mine = got[same[day]] = [marks.get((sid, subject_id), nothing) for sid in ids]
                values = dict(zip(ids, [m[n] for m in mine]))
                cells.append(figures(values) if any(values.values()) else EMPTY_FIGURES)
        for attr in PERCENTS:
            figs.add(["", FIGURE_TITLES[attr], ""] + [getattr(f, attr) for f in cells], "total")
        sheet.text(f"{set_note(org, 'в последний день периода столбца (год, экзамен, итог — года)')} "
                   f"{figures_note(org)}", "note")
    sheet.sign(class_teacher_line(org, klass), director_line(org))
    return sheet


@report("summary-ledger", "Сводная ведомость учёта успеваемости", "report_class", params=("year", "class"),
        required=("class",), group=CLASS_TEACHER,
        description="Ученики × предметы: отметки за каждый период, годовые, экзаменационные и итоговые; "
                    "выбывшие и прибывшие; успеваемость, качество и СОУ по каждому столбцу")
def summary_ledger(actor, p):
    klass = data.classes_of_year(p.org.id, p.year.id, SchoolClass.id == p.klass.id, with_teacher=True)[0]
    year = p.year
    entries = data.rosters([klass.id], year.start_date, year.end_date)[klass.id]
    subjects = data.class_subjects([klass.id], year.id)[klass.id]
    marks = _ledger_marks(p, [e.student_id for e in entries])
    doc = report_document("summary-ledger", p, [("Учебный год", year.name), (term("class", p.org), klass.name)],
                          filename=slug("svodnaya-vedomost", klass.name, year.name))
    _ledger_sheet(doc, p, klass, entries, subjects, marks)
    return doc


@report("institution-ledgers", "Сводные ведомости учёта успеваемости (все классы)", "report_school",
        params=("year",), group=ADMINISTRATION,
        college_title="Сводные ведомости учёта успеваемости (все группы)",
        description="Вся организация одной книгой: лист на каждый класс (печатается к 30 июня)")
@long_statements()
def institution_ledgers(actor, p):
    """Every class's ledger in one workbook: four statements for any number of classes (the classes
    with their teachers, the rosters, the subjects, the period marks), the sheets built in Python."""
    year = p.year
    classes = data.classes_of_year(p.org.id, p.year.id, with_teacher=True)
    ids = [c.id for c in classes]
    rosters = data.roster_names(ids, year.start_date, year.end_date)
    subjects = data.class_subjects(ids, year.id)
    marks = _ledger_marks(p, data.members(ids, year.start_date, year.end_date))
    doc = Document(name="institution-ledgers", title="Сводные ведомости учёта успеваемости", org=p.org,
                   params=[("Учебный год", year.name)], filename=slug("svodnye-vedomosti", year.name))
    if not classes:
        sheet = doc.sheet("Ведомости")
        sheet.text(f"В {year.name} учебном году нет ни одного {term('class_gen', p.org)}", "note")
        return doc
    names = _sheet_names(classes)
    for klass in classes:
        _ledger_sheet(doc, p, klass, rosters[klass.id], subjects.get(klass.id, []), marks, names[klass.id])
    return doc


# -- 3: Итоги успеваемости и качества знаний ------------------------------------------------------------

# The figures of «Итоги успеваемости»: students counted by their worst mark over all subjects.
RESULT_FIGURES = dict(students=True, exempt=True, none=True, average=False, overall=True)


def _all_values(marks, key):
    """{student id: [his marks of `key` in every subject]}."""
    values = defaultdict(list)
    for (student_id, _), got in marks.items():
        if got.get(key):
            values[student_id].append(got[key])
    return values


@report("school-results", "Итоги успеваемости и качества знаний", "report_school", params=("year", "period"),
        group=ADMINISTRATION,
        description="По классам, параллелям и по школе: отличники, хорошисты, с «3», с «2», н/а, "
                    "успеваемость, качество, СОУ (параллель и школа — по всем их ученикам)")
def school_results(actor, p):
    org = p.org
    classes = data.classes_of_year(p.org.id, p.year.id)  # their names and grades: no class teachers
    sets, values = _period_values(p, classes)
    counted = sets.counted
    # Each student's category over all subjects once (he is in his class's, his grade's and the school's row):
    # the figures of his category as his one mark are those of his marks over all subjects.
    categories = {sid: student_category(got) for sid, got in values.items()}
    doc = report_document("school-results", p, _period_params(p),
                          filename=slug("itogi-uspevaemosti", p.period_label))
    sheet = doc.sheet("Итоги")
    table = sheet.table([Column(term("class", org), "text", 16)] + figure_columns(**RESULT_FIGURES))
    for style, label, members in _grouped(org, classes):
        ids = {e.student_id for klass in members for e in counted[klass.id]}
        fig = figures({sid: categories.get(sid) for sid in ids})
        table.add([label] + figure_values(fig, **RESULT_FIGURES), style)
    sheet.text(f"{set_note(org)} Отличники — все отметки «5»; хорошисты — «4» и «5». {figures_note(org)} "
               "Строки параллелей и школы считаются по всем их ученикам, а не как среднее процентов классов.",
               "note")
    sheet.sign(director_line(org))
    return doc


# -- 4: Сводный отчёт классных руководителей ---------------------------------------------------------------

@report("class-teachers-summary", "Сводный отчёт классных руководителей", "report_school",
        params=("year", "period"), group=ADMINISTRATION, college_title="Сводный отчёт кураторов",
        description="Все классы одной книгой: движение за период, отличники, хорошисты, с одной «3», с «2», "
                    "успеваемость, качество, СОУ, пропуски уроков на одного ученика")
def class_teachers_summary(actor, p):
    org = p.org
    start, end = p.period_start, p.period_end
    classes = data.classes_of_year(p.org.id, p.year.id, with_teacher=True)
    sets, values = _period_values(p, classes)
    rosters, counted = sets.rosters, sets.counted
    absences = data.set_attendance(sets.sets(), start, end)
    doc = report_document("class-teachers-summary", p, _period_params(p),
                          filename=slug("svodnyy-otchet-klassnyh-rukovoditeley", p.period_label))
    sheet = doc.sheet("Сводный отчёт")
    columns = [Column(term("class", org), "text", 14), Column(term("class_teacher", org), "text", 22)]
    columns += [Column(t, "int", 8) for t in ("на начало", "прибыло", "выбыло", "на конец")]
    columns += [Column(t, "int", 9) for t in ("Отличники", "Хорошисты", "С одной «3»", "С «2»", "н/а")]
    columns += figure_columns(counts=False, average=False)
    columns += [Column(t, "int", 8) for t in ("всего", "по болезни", "без уважит. причины")]
    columns += [Column(t, "avg", 8) for t in ("всего", "по болезни", "без уважит. причины")]
    groups = [("", 2), (f"Учащихся ({p.period_label})", 4), ("Итоги", 8), ("Пропущено уроков", 3),
              ("На одного ученика", 3)]
    table = sheet.table(columns, groups=groups)
    movement = {}
    for klass in classes:
        entries = rosters[klass.id]
        movement[klass.id] = (len(sets.at_start(klass.id)), len(counted[klass.id]),
                              sum(1 for e in entries if e.first_day is not None and e.first_day > start),
                              sum(1 for e in entries if e.last_day is not None and e.last_day < end))
    for style, label, members in _grouped(org, classes):
        at_start = sum(movement[k.id][0] for k in members)
        at_end = sum(movement[k.id][1] for k in members)
        arrived = sum(movement[k.id][2] for k in members)
        left = sum(movement[k.id][3] for k in members)
        set_ids = {e.student_id for k in members for e in counted[k.id]}
        fig = figures({sid: values.get(sid, []) for sid in set_ids}, all_subjects=True)
        one_three = sum(1 for sid in set_ids if student_category(values.get(sid, [])) == "3"
                        and sum(1 for v in values.get(sid, []) if mark_category(v) == "3") == 1)
        counts = AttendanceCounts()
        for klass in members:
            counts += absences.get((klass.id,), AttendanceCounts())
        missed, ill, unexcused = counts.missed, counts.ill, counts.unexcused
        teacher = person_name(members[0].class_teacher, short=True) if style == "" else ""
        table.add([label, teacher, at_start, arrived, left, at_end, fig.n5, fig.n4, one_three, fig.n2, fig.n_na]
                  + figure_values(fig, counts=False, average=False) + [missed, ill, unexcused,
                   _per_student(missed, len(set_ids)), _per_student(ill, len(set_ids)),
                   _per_student(unexcused, len(set_ids))], style)
    sheet.text(f"На начало — в {'группе' if org.is_college else 'классе'} в первый день периода, на конец — в "
               f"последний. Итоги и пропуски: {set_note(org)[0].lower()}{set_note(org)[1:]} С одной «3» — все "
               f"остальные отметки «4» и «5». {figures_note(org)}", "note")
    sheet.sign(director_line(org))
    return doc


# -- 5: Сводный отчёт об успеваемости по школе ------------------------------------------------------------

@report("school-progress-summary", "Сводный отчёт об успеваемости по школе", "report_school",
        params=("year", "period"), group=ADMINISTRATION,
        college_title="Сводный отчёт об успеваемости по техникуму",
        description="Классы × предметы: успеваемость, качество, СОУ и средний балл (лист на каждый "
                    "показатель), по предметам по всей школе")
def school_progress_summary(actor, p):
    org = p.org
    key = p.mark_key
    classes = data.classes_of_year(p.org.id, p.year.id, with_teacher=True)
    sets, marks = _period_sets(p, classes)
    counted = sets.counted
    taught = data.class_subjects([c.id for c in classes], p.year.id)
    sums = data.set_mark_sums(sets.sets(), p.period_start, p.period_end, by=("subject",))
    subjects, class_subjects = {}, {}
    for klass in classes:
        graded = _graded(org, klass, taught.get(klass.id, []))
        class_subjects[klass.id] = {s.id for s in graded}
        for subject in graded:
            subjects.setdefault(subject.id, subject)
    subjects = sorted(subjects.values(), key=lambda s: (s.sort_order, s.name))
    values = _all_values(marks, key)

    def cell(members, subject):
        """The figures of one subject over the counted students of the classes that study it."""
        set_ids = {e.student_id for k in members if subject.id in class_subjects[k.id] for e in counted[k.id]}
        if not set_ids:
            return None
        return figures({sid: marks.get((sid, subject.id), {}).get(key) for sid in set_ids},
                       average=pooled_average([sums[(k.id, subject.id)] for k in members
                                               if subject.id in class_subjects[k.id] and (k.id, subject.id) in sums]))

    def overall(members):
        set_ids = {e.student_id for k in members for e in counted[k.id]}
        return figures({sid: values.get(sid, []) for sid in set_ids}, all_subjects=True,
                       average=pooled_average([sums[(k.id, s)] for k in members for s in class_subjects[k.id]
                                               if (k.id, s) in sums]))

    rows = [(style, label, [cell(members, s) for s in subjects], overall(members))
            for style, label, members in _grouped(org, classes)]
    doc = report_document("school-progress-summary", p, _period_params(p),
                          filename=slug("svodnyy-otchet-ob-uspevaemosti", p.period_label))
    everything = "Все дисциплины" if org.is_college else "Все предметы"
    kinds = {attr: kind for attr, _, _, kind, _ in FIGURE_FIELDS}
    for sheet_name, attr in (("Успеваемость", "success"), ("Качество", "quality"), ("СОУ", "sou"),
                             ("Средний балл", "average")):
        sheet = doc.sheet(sheet_name)
        kind = kinds[attr]
        table = sheet.table([Column(term("class", org), "text", 16)]
                            + [Column(_subject_title(s), kind, 9) for s in subjects]
                            + [Column(everything, kind, 10)],
                            title=FIGURE_TITLES[attr])
        for style, label, cells, total in rows:
            table.add([label] + [getattr(c, attr) if c is not None else None for c in cells] + [getattr(total, attr)],
                      style)
        sheet.sign(director_line(org))
    sheet = doc.sheet(f"По {'дисциплинам' if org.is_college else 'предметам'}")
    table = sheet.table([Column(term("subject", org), "text", 30)] + figure_columns(exempt=True),
                        title=total_label(org))
    for subject, fig in zip(subjects, rows[-1][2]):
        if fig is None:
            continue
        table.add([_subject_title(subject)] + figure_values(fig, exempt=True))
    sheet.text(f"{set_note(org)} Предмет — в {'группах' if org.is_college else 'классах'}, где он преподаётся. "
               f"{figures_note(org)} {average_note(org)}", "note")
    sheet.sign(director_line(org))
    return doc


# -- 6: Итоговые данные по учащимся; Общие сведения об обучающихся -------------------------------------------

AGES = list(range(6, 18))


def _age(birth, on):
    """Full years on `on`."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _summary_date(p):
    """The date of the counts: the one given, else 1 October of the year (the report's deadline)."""
    if p.raw.get("to"):
        return p.end
    return date(p.year.start_date.year, 10, 1)


def _previous_year(p):
    return db.session.scalar(select(AcademicYear).where(AcademicYear.org_id == p.org.id,
                                                        AcademicYear.end_date < p.year.start_date)
                             .order_by(AcademicYear.end_date.desc()).limit(1))


def _students_summary(p, classes, name, title, only_class=None):
    org = p.org
    on = _summary_date(p)
    age_day = date(p.year.start_date.year + 1, 1, 1)
    rosters = data.rosters([c.id for c in classes], on, on)
    present = {c.id: [e.student for e in rosters[c.id] if e.covers(on)] for c in classes}
    if only_class is not None:
        rows = [("", only_class.name, [only_class])]
    else:
        rows = [("", grade_label(org, grade), list(members)) for grade, members in groupby(classes, lambda c: c.grade)]
        rows.append(("total", total_label(org), classes))

    def students_of(members):
        return [s for k in members for s in present[k.id]]

    languages = sorted({(s.foreign_language or "").strip() for ss in present.values() for s in ss} - {""})
    statuses = sorted({(s.social_status or "").strip() for ss in present.values() for s in ss} - {""})
    params = [("Учебный год", p.year.name), ("На дату", f"{on:%d.%m.%Y}")]
    if only_class is not None:
        params.insert(1, (term("class", org), only_class.name))
    doc = Document(name=name, title=title, org=org, params=params,
                   filename=slug("itogovye-dannye", only_class.name if only_class else "", f"{on:%d.%m.%Y}"))
    sheet = doc.sheet("Итоговые данные")
    label_col = Column(term("class", org) if only_class is not None else term("grade", org), "text", 16)
    boys, girls = ("Юношей", "Девушек") if org.is_college else ("Мальчиков", "Девочек")
    count = sheet.table([label_col, Column("Групп" if org.is_college else "Классов", "int", 8),
                         Column("Всего", "int", 8),
                         Column(boys, "int", 10), Column(girls, "int", 10)], title="Численность обучающихся")
    by_age = sheet.table([label_col, Column("младше 6", "int", 7)] + [Column(str(a), "int", 5) for a in AGES]
                         + [Column("18 и старше", "int", 7), Column("Всего", "int", 7)],
                         title=f"По возрасту (полных лет на {age_day:%d.%m.%Y})")
    by_language = sheet.table([label_col] + [Column(lang, "int", 11) for lang in languages]
                              + [Column("не указан", "int", 9), Column("Всего", "int", 7)],
                              title="По изучаемому иностранному языку")
    by_status = sheet.table([label_col] + [Column(status, "int", 14) for status in statuses]
                            + [Column("не указан", "int", 9), Column("Всего", "int", 7)],
                            title="По социальному статусу семьи")
    for style, label, members in rows:
        students = students_of(members)
        count.add([label, len(members), len(students), sum(1 for s in students if s.sex == "m"),
                   sum(1 for s in students if s.sex == "f")], style)
        ages = [_age(s.birth_date, age_day) for s in students]
        by_age.add([label, sum(1 for a in ages if a < 6)] + [ages.count(a) for a in AGES]
                   + [sum(1 for a in ages if a >= 18), len(students)], style)
        langs = [(s.foreign_language or "").strip() for s in students]
        by_language.add([label] + [langs.count(lang) for lang in languages] + [langs.count(""), len(students)], style)
        stats = [(s.social_status or "").strip() for s in students]
        by_status.add([label] + [stats.count(status) for status in statuses] + [stats.count(""), len(students)], style)
    only = {s.id for ss in present.values() for s in ss} if only_class is not None else None
    _previous_results(sheet, p, only)
    sheet.sign(class_teacher_line(org, only_class) if only_class is not None else director_line(org))
    return doc


def _previous_results(sheet, p, only=None):
    """The previous year's results by its grade levels: on its last day, promoted, repeaters and
    graduates (the movement book's year-end orders), and successful / unsuccessful by the year marks.
    `only`: the students to count (a class's), else everyone. Four statements."""
    org = p.org
    prev = _previous_year(p)
    if prev is None:
        sheet.text("Итоги предыдущего учебного года: предыдущий год в системе не вёлся", "note")
        return
    classes = data.classes_of_year(org.id, prev.id)
    rosters = data.rosters([c.id for c in classes], prev.end_date, prev.end_date)
    members = {c.id: [e.student_id for e in data.counted(rosters[c.id], prev.end_date)
                      if only is None or e.student_id in only] for c in classes}
    member_sets = {class_id: set(sids) for class_id, sids in members.items()}
    ids = {sid for sids in members.values() for sid in sids}
    year_marks = _all_values(data.period_marks(ids, prev.id), ("year", 0))
    moved = defaultdict(dict)  # class id -> {student id: order kind}
    if classes:
        for student_id, class_id, kind in db.session.execute(
                select(MovementItem.student_id, MovementItem.from_class_id, MovementOrder.kind)
                .join(MovementOrder, MovementOrder.id == MovementItem.order_id)
                .where(MovementOrder.status == "applied", MovementOrder.kind.in_(YEAR_END_KINDS),
                       MovementItem.from_class_id.in_([c.id for c in classes]))):
            moved[class_id][student_id] = kind
    table = sheet.table([Column(term("grade", org), "text", 16), Column("На конец года", "int", 9),
                         Column("Переведено", "int", 10), Column("Оставлено на повторное обучение", "int", 12),
                         Column("Выпущено", "int", 9), Column("Успевающих", "int", 10),
                         Column("из них отличников", "int", 10), Column("Неуспевающих", "int", 11),
                         Column("Успеваемость, %", "pct", 12)],
                        title=f"Итоги {prev.name} учебного года (по годовым отметкам и приказам книги движения)")
    grades = [(grade_label(org, g), list(ms), "") for g, ms in groupby(classes, lambda c: c.grade)]
    grades.append((total_label(org) if only is None else "Всего", classes, "total"))
    for label, group, style in grades:
        set_ids = [sid for k in group for sid in members[k.id]]
        if not set_ids and style != "total":
            continue
        kinds = [kind for k in group for sid, kind in moved[k.id].items() if sid in member_sets[k.id]]
        fig = figures({sid: year_marks.get(sid, []) for sid in set_ids}, all_subjects=True)
        table.add([label, len(set_ids), kinds.count("next_year"), kinds.count("repeat"), kinds.count("graduation"),
                   fig.n5 + fig.n4 + fig.n3 + fig.n_pass, fig.n5, fig.n2 + fig.n_na, fig.success], style)


@report("students-summary", "Итоговые данные по учащимся; Общие сведения об обучающихся", "report_school",
        params=("year", "to"), group=ADMINISTRATION,
        college_title="Итоговые данные по студентам; Общие сведения об обучающихся",
        description="На дату (по умолчанию 1 октября): численность по параллелям, мальчики и девочки, возраст, "
                    "иностранный язык, социальный статус; итоги прошлого года")
def students_summary(actor, p):
    title = "Итоговые данные по студентам" if p.org.is_college else "Итоговые данные по учащимся"
    classes = data.classes_of_year(p.org.id, p.year.id, with_teacher=True)
    return _students_summary(p, classes, "students-summary", f"{title}. Общие сведения об обучающихся")


@report("students-summary-class", "Итоговые данные по учащимся класса", "report_class",
        params=("year", "class", "to"), required=("class",), group=CLASS_TEACHER,
        college_title="Итоговые данные по студентам группы",
        description="То же для своего класса: численность, возраст, язык, социальный статус, итоги прошлого года")
def students_summary_class(actor, p):
    klass = data.classes_of_year(p.org.id, p.year.id, SchoolClass.id == p.klass.id, with_teacher=True)[0]
    title = "Итоговые данные по студентам группы" if p.org.is_college else "Итоговые данные по учащимся класса"
    return _students_summary(p, [klass], "students-summary-class", title, only_class=klass)


# -- 7: the movement book's reports in the registry ---------------------------------------------------------

@report("class-fill", "Наполняемость классов", "report_class_fill", params=("year", "to"), group=ADMINISTRATION,
        college_title="Наполняемость групп", page="report_class_fill.index",
        description="На дату («по»): по классам — учащиеся, мальчики, девочки, классный руководитель; итоги по "
                    "параллелям")
def class_fill_report(actor, p):
    fill = class_fill(actor, p.end)
    org = fill.org
    doc = Document(name="class-fill", title=fill.title, org=org,
                   params=[("На дату", f"{fill.on_date:%d.%m.%Y}"), ("Учебный год", fill.year.name)],
                   filename=slug("napolnyaemost", f"{fill.on_date:%d.%m.%Y}"))
    sheet = doc.sheet(fill.title)
    columns = fill.columns()
    table = sheet.table([Column("№", "int", 5), Column(term("class", org), "text", 14),
                         Column(term("class_teacher", org), "text", 32)]
                        + [Column(title, "int", 13) for _, title in columns])
    number = 0
    for row in fill.rows + [fill.total]:
        if row.kind == "class":
            number += 1
        table.add([number if row.kind == "class" else None, row.label, row.teacher]
                  + [getattr(row, key) for key, _ in columns],
                  {"class": "", "grade": "group"}.get(row.kind, "total"))
    sheet.sign(director_line(org))
    return doc


@report("movement", "Движение учащихся по школе", "report_movement", params=("year", "from", "to"),
        group=ADMINISTRATION, college_title="Движение обучающихся по техникуму", page="report_movement.index",
        description="За диапазон дат: на начало, прибыло, выбыло (по причинам), на конец — по классам и "
                    "параллелям; приказы")
def movement_report(actor, p):
    moves = school_movement(actor, p.start, p.end)
    org = moves.org
    doc = Document(name="movement", title=moves.title, org=org,
                   params=[("Период", date_range(moves.start, moves.end)),
                           ("Учебный год", moves.year.name)],
                   filename=slug("dvizhenie", f"{moves.start:%d.%m.%Y}", f"{moves.end:%d.%m.%Y}"))
    sheet = doc.sheet("Движение")
    groups = moves.groups()
    columns = [Column(term("class", org), "text", 20)]
    for header, cols in groups:
        columns += [Column(sub or header.lower(), "int", 11) for _, sub in cols]
    table = sheet.table(columns, groups=[("", 1)] + [(header, len(cols)) for header, cols in groups])
    keys = moves.columns()
    for row in moves.rows + [moves.total]:
        table.add([row.label] + [row.value(key) for key, _ in keys],
                  {"class": "", "grade": "group"}.get(row.kind, "total"))
    sheet.sign(director_line(org))
    orders = doc.sheet("Приказы")
    table = orders.table([Column("№ приказа", "text", 10), Column("Дата", "date", 11),
                          Column("Действует с", "date", 11),
                          Column("Тип", "text", 28), Column("Состояние", "text", 12),
                          Column("Обучающийся", "text", 32), Column("Из", "text", 9), Column("В", "text", 9),
                          Column("Причина, куда выбыл", "text", 40)], title="Приказы о движении")
    for order, item in order_lines(moves):
        table.add([order.number, order.order_date, order.effective_date, order.kind_label, order.status_label,
                   doc.student_name(item.student) if item.student else item.person_name,
                   item.from_class.name if item.from_class else "",
                   item.to_class.name if item.to_class else "",
                   "; ".join(x for x in (item.reason_label, item.destination or "") if x)])
    orders.sign(director_line(org))
    return doc
