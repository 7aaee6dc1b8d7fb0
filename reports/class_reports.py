"""The class teacher's reports (SPEC §4, seed 001 §10.4–10.5): attendance of the class, the preliminary
report every two weeks, the report at the end of a period, the class's results by subject, the
attendance ledger by month and the information letters to parents.

Every figure comes from services/journal/figures.py over what reports/data.py loads in set-based statements
(a fixed number of statements per report whatever the number of students or subjects). The class
list comes from the class history (services/roster): a student who left is shown with his dates,
greyed, and is not counted in the class's figures (`counted` at the period's end).
"""
from collections import defaultdict
from datetime import timedelta

from reports import data
from reports.document import (Column, attendance_columns, attendance_values, average_note, class_teacher_line,
                              date_range, director_line, figure_columns, figure_values, figures_note, movement_note,
                              next_month, person_name, set_note, slug)
from reports.parameters import refuse
from reports.registry import report, report_document
from services.journal.figures import (AttendanceCounts, figures, mark_category, pooled_average, student_category,
                                     suggested_mark, weighted_average)
from services.journal.policy import no_marks
from services.terms import term

GROUP = "Классному руководителю"
MONTHS = ("Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь",
          "Ноябрь", "Декабрь")


# -- common ground -------------------------------------------------------------------------------------

def _period_param(p):
    return ("Семестр" if p.org.is_college else "Период", p.period_label)


def _document(name, p, *params, filename):
    """The Document of a class report: the organization's kind picks the title, the parameters on top;
    the file name is `filename`'s parts and the class's name."""
    org, klass = p.org, p.klass
    doc = report_document(name, p, [("Учебный год", p.year.name), (term("class", org), klass.name), *params],
                          filename=slug(*filename, klass.name))
    teacher = klass.class_teacher
    if teacher is not None:
        doc.params.append((term("class_teacher", org), person_name(teacher)))
    return doc


def _sign(sheet, p, director=False):
    lines = [class_teacher_line(p.org, p.klass)]
    if director:
        lines.append(director_line(p.org))
    sheet.sign(*lines)


def _prepositional(org):
    return "группе" if org.is_college else "классе"


def _no_students(sheet, p):
    sheet.text(f"{term('class', p.org)} {p.klass.name}: обучающихся за выбранные даты нет", "note")


def _no_marks_text(p):
    return f"В {p.klass.grade} классе отметки не выставляются (безотметочное обучение): показатели не считаются."


def _graded_subjects(p):
    """[(subject, [teachers])] of the class in the year, without the subjects kept without marks."""
    return [(s, t) for s, t in data.class_subjects([p.klass.id], p.year.id)[p.klass.id]
            if not no_marks(p.org, p.klass, s)]


def _leavers_note(p):
    """Who an attendance table of the class counts: the same sentence under every such table."""
    where = _prepositional(p.org)
    return (f"У каждого ученика — пропуски уроков {term('class_gen', p.org)}, данных за время его обучения в "
            f"{where}. Итого — по ученикам, состоящим в {where} на последний день; выбывшие показаны серым "
            "с датой выбытия и в итог не входят.")


def _subject_name(subject):
    return subject.short_name or subject.name


# -- 1. Отчёт о посещаемости класса ------------------------------------------------------------------------

def _month_default(p):
    """Without «с»: the month of the range's end (the current month by default), inside the year."""
    if not p.raw.get("from"):
        reference = p.end
        p.start = max(reference.replace(day=1), p.year.start_date)
        if not p.raw.get("to"):
            p.end = min(next_month(reference) - timedelta(days=1), p.year.end_date)


@report("class-attendance", "Отчёт о посещаемости класса", "report_class",
        params=("year", "class", "from", "to"), required=("class",), group=GROUP,
        description="Ежемесячно: пропуски уроков каждого ученика за диапазон дат (по болезни, по уважительной "
                    "причине, без уважительной причины), опоздания и итог по классу",
        college_title="Отчёт о посещаемости группы")
def class_attendance(actor, p):
    _month_default(p)
    klass = p.klass
    entries = data.rosters([klass.id], p.start, p.end)[klass.id]
    counts = data.attendance_counts([e.student_id for e in entries], p.start, p.end, class_id=klass.id,
                                    by=("student",))
    doc = _document("class-attendance", p, ("Даты", p.range_label),
                    filename=("poseshchaemost", f"{p.start:%Y%m%d}", f"{p.end:%Y%m%d}"))
    sheet = doc.sheet("Посещаемость")
    table = sheet.table([Column("№", "int", 5), Column(f"ФИО {term('student', p.org).lower()}а", "text", 34),
                         Column("Движение", "text", 16)] + attendance_columns("Всего"),
                        groups=[("", 3), ("Пропущено уроков", 4), ("", 1)])
    total = AttendanceCounts()
    for number, entry in enumerate(entries, start=1):
        c = counts.get((entry.student_id,), AttendanceCounts())
        staying = data.in_class_on(entry, p.end)
        if staying:
            total += c
        table.add([number, doc.student_name(entry.student), movement_note(entry, p.start, p.end)]
                  + attendance_values(c),
                  "" if staying else "muted")
    table.add(["", f"Итого по {'группе' if p.org.is_college else 'классу'}", ""] + attendance_values(total), "total")
    if not entries:
        _no_students(sheet, p)
    sheet.text("Пропущено уроков — отсутствие по любой причине («н», «б», «у»); опоздания («оп») не входят "
               f"в пропуски. {_leavers_note(p)}", "note")
    _sign(sheet, p)
    return doc


# -- 2. Предварительный отчёт классного руководителя за период ----------------------------------------------

@report("class-preliminary", "Предварительный отчёт классного руководителя за период", "report_class",
        params=("year", "class", "period", "to"), required=("class",), group=GROUP,
        description="Раз в две недели: текущий средний балл каждого ученика по каждому предмету, отметка, "
                    "к которой он ведёт, и ученики группы риска",
        college_title="Предварительный отчёт куратора за семестр")
def class_preliminary(actor, p):
    klass, org = p.klass, p.org
    start = p.period_start
    if p.raw.get("to") and not (p.period_start <= p.end <= p.period_end):
        refuse(f"Дата «по» {p.end:%d.%m.%Y} вне периода «{p.period_label}» "
               f"({p.period_start:%d.%m.%Y}–{p.period_end:%d.%m.%Y})")
    end = p.end
    doc = _document("class-preliminary", p, _period_param(p), ("Отметки", date_range(start, end)),
                    filename=("predvaritelnyi-otchet", p.period_label))
    sheet = doc.sheet("Предварительный отчёт")
    if no_marks(org, klass, None):
        sheet.text(_no_marks_text(p), "heading")
        _sign(sheet, p)
        return doc
    sets = data.class_sets([klass.id], start, end)
    entries = sets.rosters[klass.id]
    subjects = _graded_subjects(p)
    ids = [e.student_id for e in entries]
    sums = data.mark_sums(ids, start, end, class_id=klass.id, by=("student", "subject"))
    class_sums = data.set_mark_sums(sets.sets(), start, end, by=("subject",))
    given = data.class_lesson_days([klass.id], start, end)
    threshold = org.rounding_threshold if org.rounding_threshold is not None else "0.50"

    columns = [Column("№", "int", 5), Column(f"ФИО {term('student', org).lower()}а", "text", 30)]
    groups = [("", 2)]
    for subject, _ in subjects:
        columns += [Column("ср. балл", "avg", 7), Column("отм.", "mark", 5)]
        groups.append((_subject_name(subject), 2))
    table = sheet.table(columns, groups=groups)
    at_risk = []
    for number, entry in enumerate(entries, start=1):
        values, risks = [number, doc.student_name(entry.student)], []
        staying = data.in_class_on(entry, end)
        for subject, _ in subjects:
            pair = sums.get((entry.student_id, subject.id))
            average = pooled_average([pair]) if pair else None
            mark = suggested_mark(average, threshold)
            values += [average, str(mark) if mark is not None else ""]
            if mark is not None and mark <= 2:
                risks.append(f"{_subject_name(subject)} ({str(average).replace('.', ',')} → {mark})")
            elif average is None and subject.grading == "marks" and any(
                    entry.covers(day) for day in given.get((klass.id, subject.id), ())):
                risks.append(f"{_subject_name(subject)} (нет отметок)")
        note = movement_note(entry, start, end)
        if note:
            values[1] = f"{values[1]} ({note})"
        style = "muted" if not staying else ("risk" if risks else "")
        table.add(values, style)
        if staying and risks:
            at_risk.append((doc.student_name(entry.student), "; ".join(risks)))
    total = ["", f"Средний балл {term('class_gen', org)}"]
    for subject, _ in subjects:
        pair = class_sums.get((klass.id, subject.id))
        total += [pooled_average([pair]) if pair else None, ""]
    table.add(total, "total")
    if not entries:
        _no_students(sheet, p)
    sheet.text(f"Отметка — к которой ведёт средний балл (порог округления {str(threshold).replace('.', ',')}). "
               f"У каждого ученика — отметки за уроки {term('class_gen', org)}, данные за время его обучения в "
               f"{_prepositional(org)} (у прибывшего — с даты прибытия); «нет отметок» — когда за это время были "
               f"уроки. {average_note(org)}", "note")
    risk = sheet.table([Column("№", "int", 5), Column(f"ФИО {term('student', org).lower()}а", "text", 30),
                        Column(f"{term('subjects', org)}: средний балл → отметка", "text", 80)],
                       title=f"{term('students', org)} группы риска")
    for number, (name, subjects_text) in enumerate(at_risk, start=1):
        risk.add([number, name, subjects_text], "risk")
    if not at_risk:
        sheet.text("Учеников группы риска нет.", "note")
    _sign(sheet, p)
    return doc


# -- 3. Отчёт классного руководителя за учебный период ------------------------------------------------------

@report("class-period-report", "Отчёт классного руководителя за учебный период", "report_class",
        params=("year", "class", "period"), required=("class",), group=GROUP,
        description="По окончании периода: движение учеников, отличники, хорошисты, с одной «3», с «2» и «н/а», "
                    "успеваемость, качество, СОУ, пропуски уроков",
        college_title="Отчёт куратора за учебный период")
def class_period_report(actor, p):
    klass, org = p.klass, p.org
    start, end = p.period_start, p.period_end
    sets = data.class_sets([klass.id], start, end)
    entries = sets.rosters[klass.id]
    doc = _document("class-period-report", p, _period_param(p),
                    ("Даты", date_range(start, end)),
                    filename=("otchet-klassnogo-rukovoditelia", p.period_label))
    sheet = doc.sheet("Отчёт за период")
    students_word = term("students", org)
    of_period = "семестра" if org.is_college else "периода"

    # Movement: at the start, arrived, left, at the end.
    at_start = sets.at_start(klass.id)
    at_end = sets.counted[klass.id]
    arrived = [e for e in entries if not data.in_class_on(e, start)]
    left = [e for e in entries if not data.in_class_on(e, end)]
    table = sheet.table([Column(f"На начало {of_period} ({start:%d.%m.%Y})", "int", 16), Column("Прибыло", "int", 10),
                         Column("Выбыло", "int", 10), Column(f"На конец {of_period} ({end:%d.%m.%Y})", "int", 16)],
                        title=f"{students_word}: движение")
    table.add([len(at_start), len(arrived), len(left), len(at_end)])
    if arrived or left:
        moves = sheet.table([Column("ФИО", "text", 34), Column("Движение", "text", 16)], title="Прибыли и выбыли")
        for entry in arrived + [e for e in left if e not in arrived]:
            moves.add([doc.student_name(entry.student), movement_note(entry, start, end)],
                      "" if data.in_class_on(entry, end) else "muted")

    # Progress over all subjects: the period (or year) marks of those in the class at the period's end.
    if no_marks(org, klass, None):
        sheet.text(_no_marks_text(p), "heading")
    else:
        subjects = _graded_subjects(p)
        counted = at_end
        marks = data.period_marks([e.student_id for e in counted], p.year.id)
        key = p.mark_key
        values = {e.student_id: [marks.get((e.student_id, s.id), {}).get(key) for s, _ in subjects] for e in counted}
        fig = figures(values, all_subjects=True)
        one_three, failing = [], []
        lists = {"5": [], "4": []}
        for entry in counted:
            marks_of = [(s, marks.get((entry.student_id, s.id), {}).get(key)) for s, _ in subjects]
            category = student_category([v for _, v in marks_of])
            name = doc.student_name(entry.student)
            if category in lists:
                lists[category].append(name)
            threes = [s for s, v in marks_of if mark_category(v) == "3"]
            if category == "3" and len(threes) == 1:
                one_three.append((name, _subject_name(threes[0])))
            if category in ("2", "н/а"):
                twos = ", ".join(f"{_subject_name(s)} ({v})" for s, v in marks_of if mark_category(v) == "2")
                nas = ", ".join(_subject_name(s) for s, v in marks_of if mark_category(v) == "н/а")
                failing.append((name, twos, nas))
        shown = dict(students=True, exempt=True, none=True, average=False, overall=True)
        columns, values = figure_columns(**shown), figure_values(fig, **shown)
        after_threes = [c.title for c in columns].index("С «3»") + 1
        columns.insert(after_threes, Column("из них с одной «3»", "int", 9))
        values.insert(after_threes, len(one_three))
        progress = sheet.table(columns,
                               title=f"Успеваемость по всем {'дисциплинам' if org.is_college else 'предметам'}")
        progress.add(values)
        sheet.text(f"{set_note(org)} {figures_note(org)}", "note")
        for title, names in (("Отличники", lists["5"]), ("Хорошисты", lists["4"])):
            named = sheet.table([Column("№", "int", 5), Column("ФИО", "text", 40)], title=title)
            for number, name in enumerate(names, start=1):
                named.add([number, name])
        named = sheet.table([Column("№", "int", 5), Column("ФИО", "text", 40),
                             Column(term("subject", org), "text", 30)], title="С одной «3»")
        for number, (name, subject) in enumerate(one_three, start=1):
            named.add([number, name, subject])
        named = sheet.table([Column("№", "int", 5), Column("ФИО", "text", 40),
                             Column(f"«2» ({term('subjects', org).lower()})", "text", 40),
                             Column(f"«н/а» ({term('subjects', org).lower()})", "text", 40)],
                            title="С «2» и «н/а»")
        for number, (name, twos, nas) in enumerate(failing, start=1):
            named.add([number, name, twos, nas], "risk")

    # Lessons missed by the class in the period.
    missed = data.set_attendance(sets.sets(), start, end).get((klass.id,), AttendanceCounts())
    att = sheet.table(attendance_columns("Всего"), title="Пропущено уроков за период",
                      groups=[("Пропущено уроков", 4), ("", 1)])
    att.add(attendance_values(missed))
    sheet.text(f"На начало — в {_prepositional(org)} в первый день {of_period}, на конец — в последний. "
               f"Пропущено уроков: {set_note(org)[0].lower()}{set_note(org)[1:]}", "note")
    _sign(sheet, p, director=True)
    return doc


# -- 4. Итоги успеваемости класса за учебный период ---------------------------------------------------------

@report("class-results", "Итоги успеваемости класса за учебный период", "report_class",
        params=("year", "class", "period"), required=("class",), group=GROUP,
        description="По каждому предмету: учитель, количество «5», «4», «3», «2», «н/а», «осв», успеваемость, "
                    "качество, СОУ и средний балл; итог по всем предметам",
        college_title="Итоги успеваемости группы за учебный период")
def class_results(actor, p):
    klass, org = p.klass, p.org
    start, end = p.period_start, p.period_end
    doc = _document("class-results", p, _period_param(p), ("Даты", date_range(start, end)),
                    filename=("itogi", p.period_label))
    sheet = doc.sheet("Итоги успеваемости")
    if no_marks(org, klass, None):
        sheet.text(_no_marks_text(p), "heading")
        _sign(sheet, p, director=True)
        return doc
    sets = data.class_sets([klass.id], start, end)
    entries = sets.rosters[klass.id]
    counted = sets.ids(klass.id)
    subjects = _graded_subjects(p)
    marks = data.period_marks(counted, p.year.id)
    sums = {key[1:]: pair for key, pair in data.set_mark_sums(sets.sets(), start, end, by=("subject",)).items()}
    key = p.mark_key
    shown = dict(students=True, passed=True, exempt=True, none=True)
    table = sheet.table([Column(term("subject", org), "text", 26), Column(term("teacher", org), "text", 22)]
                        + figure_columns(**shown))

    def row(label, teacher, fig):
        return [label, teacher] + figure_values(fig, **shown)

    for subject, teachers in subjects:
        values = {sid: marks.get((sid, subject.id), {}).get(key) for sid in counted}
        pair = sums.get((subject.id,))
        fig = figures(values, average=pooled_average([pair]) if pair else None)
        table.add(row(subject.name, ", ".join(person_name(t, short=True) for t in teachers), fig))
    overall = {sid: [marks.get((sid, s.id), {}).get(key) for s, _ in subjects] for sid in counted}
    total = figures(overall, all_subjects=True,
                    average=pooled_average([sums[(s.id,)] for s, _ in subjects if (s.id,) in sums]))
    table.add(row(f"Итого по всем {'дисциплинам' if org.is_college else 'предметам'}", "", total), "total")
    if not entries:
        _no_students(sheet, p)
    sheet.text(("Отметки за год. " if p.period is None else "Отметки за период. ")
               + f"{set_note(org)} {figures_note(org)} {average_note(org)}", "note")
    _sign(sheet, p, director=True)
    return doc


# -- 5. Сводная ведомость учёта посещаемости ----------------------------------------------------------------

def _months(start, end):
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append((day.year, day.month))
        day = next_month(day)
    return months


@report("class-attendance-ledger", "Сводная ведомость учёта посещаемости", "report_class",
        params=("year", "class", "from", "to"), required=("class",), group=GROUP,
        description="Ученики × месяцы: пропущено уроков всего, по болезни, без уважительной причины, опоздания; "
                    "итоги по ученикам и по месяцам")
def class_attendance_ledger(actor, p):
    klass, org = p.klass, p.org
    months = _months(p.start, p.end)
    if len(months) > 12:
        refuse("Ведомость строится не более чем за 12 месяцев")
    entries = data.rosters([klass.id], p.start, p.end)[klass.id]
    counts = data.attendance_counts([e.student_id for e in entries], p.start, p.end, class_id=klass.id,
                                    by=("student", "month"))
    doc = _document("class-attendance-ledger", p, ("Даты", p.range_label),
                    filename=("vedomost-poseshchaemosti", f"{p.start:%Y%m%d}", f"{p.end:%Y%m%d}"))
    sheet = doc.sheet("Ведомость посещаемости")
    columns = [Column("№", "int", 4), Column(f"ФИО {term('student', org).lower()}а", "text", 28),
               Column("Движение", "text", 12)]
    groups = [("", 3)]
    for _, month in months:
        columns += [Column("всего", "int", 5), Column("б", "int", 4), Column("н/у", "int", 4), Column("оп", "int", 4)]
        groups.append((MONTHS[month - 1], 4))
    columns += attendance_columns("Всего")
    groups.append(("Итого", 5))
    table = sheet.table(columns, groups=groups)
    by_month = defaultdict(AttendanceCounts)
    grand = AttendanceCounts()
    for number, entry in enumerate(entries, start=1):
        values = [number, doc.student_name(entry.student), movement_note(entry, p.start, p.end)]
        own = AttendanceCounts()
        for _, month in months:
            c = counts.get((entry.student_id, month), AttendanceCounts())
            values += [c.missed, c.ill, c.unexcused, c.late]
            own += c
        values += attendance_values(own)
        staying = data.in_class_on(entry, p.end)
        if staying:
            grand += own
            for _, month in months:
                by_month[month] += counts.get((entry.student_id, month), AttendanceCounts())
        table.add(values, "" if staying else "muted")
    total = ["", "Итого", ""]
    for _, month in months:
        c = by_month[month]
        total += [c.missed, c.ill, c.unexcused, c.late]
    table.add(total + attendance_values(grand), "total")
    if not entries:
        _no_students(sheet, p)
    sheet.text("По месяцам: всего — пропущено уроков, б — по болезни, н/у — без уважительной причины, "
               f"оп — опозданий. {_leavers_note(p)}", "note")
    _sign(sheet, p)
    return doc


# -- 6. Информационное письмо для родителей -----------------------------------------------------------------

@report("parent-letter", "Информационное письмо для родителей", "report_class",
        params=("year", "class", "from", "to", "student"), required=("class",), group=GROUP,
        description="На каждого ученика — страница: отметки по предметам за диапазон дат, средний балл, "
                    "пропуски уроков и текст письма родителям")
def parent_letter(actor, p):
    klass, org = p.klass, p.org
    if not p.raw.get("from"):  # by default: from the start of the period the range ends in
        current = [x for x in p.periods if x.start_date <= p.end <= x.end_date]
        p.start = current[0].start_date if current else p.start
    entries = data.rosters([klass.id], p.start, p.end)[klass.id]
    if p.student is not None:
        entries = [e for e in entries if e.student_id == p.student.id]
        if not entries:
            refuse(f"{term('student', org)} «{person_name(p.student)}» не найден в {term('class_gen', org)} "
                   f"{klass.name} с {p.start:%d.%m.%Y} по {p.end:%d.%m.%Y}")
    else:
        entries = [e for e in entries if data.in_class_on(e, p.end)]
    ids = [e.student_id for e in entries]
    graded = not no_marks(org, klass, None)
    subjects = _graded_subjects(p) if graded else []
    rows = data.mark_list(ids, p.start, p.end) if graded else []
    absences = data.attendance_counts(ids, p.start, p.end, by=("student",))
    marks = defaultdict(list)
    extra = {}
    for r in rows:
        marks[(r.student_id, r.Subject.id)].append((r.value, r.weight))
        extra.setdefault(r.Subject.id, r.Subject)
    known = {s.id for s, _ in subjects}
    all_subjects = [s for s, _ in subjects] + [s for sid, s in extra.items() if sid not in known]

    params = [("Даты", p.range_label)]
    if p.student is not None:
        params.append((term("student", org), person_name(p.student)))
    doc = _document("parent-letter", p, *params,
                    filename=("pismo-roditeliam", f"{p.start:%Y%m%d}", f"{p.end:%Y%m%d}"))
    doc.landscape = False  # a letter: a portrait page per student, no table header carried over from the last
    sheet = doc.sheet("Письма родителям", repeat_header=False)
    if not entries:
        _no_students(sheet, p)
    for index, entry in enumerate(entries):
        if index:
            sheet.page_break()
        student = entry.student
        name = doc.student_name(student)
        sheet.text(f"{name}, {term('class', org).lower()} {klass.name}", "heading")
        sheet.text(f"Уважаемые родители! Сообщаем об успеваемости и посещаемости вашего ребёнка "
                   f"({name}, {term('class', org).lower()} {klass.name}) "
                   f"за период с {p.start:%d.%m.%Y} по {p.end:%d.%m.%Y}.")
        if graded:
            table = sheet.table([Column(term("subject", org), "text", 30), Column("Отметки", "text", 50),
                                 Column("Средний балл", "avg", 10)], title="Успеваемость")
            for subject in all_subjects:
                own = marks.get((student.id, subject.id), [])
                table.add([subject.name, " ".join(value for value, _ in own), weighted_average(own)])
        else:
            sheet.text(_no_marks_text(p), "note")
        c = absences.get((student.id,), AttendanceCounts())
        att = sheet.table(attendance_columns(), title="Посещаемость")
        att.add(attendance_values(c))
        sheet.sign(class_teacher_line(org, klass))
        sheet.text("С письмом ознакомлен(а): ________________ (подпись родителя)    «___» ____________ 20___ г.")
    return doc
