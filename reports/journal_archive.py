"""The yearly archive of the class journal (issue 13.8; seed 000 §4.1: the year's records printed and
kept): a class's whole journal for a year as one printable workbook, and the whole organization's.

The workbook of a class: a title sheet (the subjects, their teachers, lessons given, signatures); for
every subject (a subgroup's journal on its own) and period a sheet of the grid — students × the
period's lessons, a column per task (the lesson's date over its tasks, the task's type and weight
under it; the attendance code in the lesson's first column), the period mark, and on the last
period's sheet the year, exam and final marks; one sheet «Темы уроков» with every lesson's date, topic,
homework and tasks, a subject after another, each with its teacher's signature line. A4 landscape,
the header rows and the names repeated on every page, one page wide unless that would shrink the
text below legibility (then as many pages wide as needed, the names repeated); strings as strings.

What it reads comes from `load_journals`: a fixed number of set-based statements for any number of
classes, subjects, students and lessons (no query per student, lesson or cell).
"""
import io
import math
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import aliased, joinedload

from models import (Attendance, AttendanceCode, ClassMembership, Lesson, Mark, Period, PeriodMark, PeriodMarkKind,
                    SchoolClass, Staff, SubgroupMember, Task, TaskType, TeachingAssignment, db)
from reports import data
from reports.document import movement_note, person_name, slug
from reports.xlsx import Book, unique_sheet_name
from services import audit, clock, permissions
from services.errors import DomainError, PermissionDenied
from services.terms import term

VIEW_KEY = "journal_archive"
FINAL_KINDS = ((PeriodMarkKind.YEAR.value, "Год"), (PeriodMarkKind.EXAM.value, "Экз."),
               (PeriodMarkKind.FINAL.value, "Итог."))
# Column widths (Excel's units) and the widest a sheet may be to print one page wide at a legible scale
# (A4 landscape holds about 150 units at 100 %; 200 is printed at about 75 %).
NUMBER_WIDTH, NAME_WIDTH, TASK_WIDTH, MARK_WIDTH = 4, 24, 4.6, 6.5
PAGE_WIDTH = 200


# -- what it reads ------------------------------------------------------------------------------------------

@dataclass
class ArchiveLesson:
    id: int
    date: object
    number: int
    topic: str
    homework: str
    is_cancelled: bool
    substitute: str  # the teacher who gave it on a замена, else ""
    tasks: list = field(default_factory=list)  # [(task id, type name, type short name, weight)]


@dataclass
class ClassJournal:
    klass: SchoolClass
    periods: list
    assignments: list  # TeachingAssignment with subject, teacher, subgroup; in the curriculum's order
    rosters: dict  # period id -> [RosterEntry] of the class in the period
    lessons: dict  # assignment id -> [ArchiveLesson] by date and number
    marks: dict  # (task id, student id) -> value
    attendance: dict  # (lesson id, student id) -> code
    period_marks: dict  # (student id, subject id, kind, period id or None) -> value
    subgroups: dict  # (subgroup id, period id) -> {student id}


def reachable_classes(actor, year):
    """The classes of the year whose journal the actor may print (the permission table's rows)."""
    try:
        cond = permissions.row_condition(actor, VIEW_KEY, "list", SchoolClass)
    except PermissionDenied:
        return []
    return data.classes_of_year(actor.org_id, year.id, cond)


def find_class(actor, year, text):
    """The class by name or id among those the actor reaches: «не найден» otherwise, like one that does
    not exist."""
    wanted = " ".join(str(text or "").split()).lower().replace(" ", "")
    for klass in reachable_classes(actor, year):
        if klass.name.lower().replace(" ", "") == wanted or str(klass.id) == wanted:
            return klass
    raise DomainError("Журнал не построен",
                      [f"{term('class')} «{text}» не найден в {year.name} учебном году или недоступен вам"])


def load_journals(class_ids, year):
    """{class id: ClassJournal} of the year; nine statements whatever the number of classes, subjects,
    students, lessons and marks."""
    class_ids = list(class_ids)
    classes = db.session.scalars(select(SchoolClass).where(SchoolClass.id.in_(class_ids))
                                 .options(joinedload(SchoolClass.class_teacher))).unique().all()
    periods = db.session.scalars(select(Period).where(Period.year_id == year.id)
                                 .order_by(Period.start_date, Period.number)).all()
    TA = TeachingAssignment
    assignments = db.session.scalars(
        select(TA).where(TA.class_id.in_(class_ids), TA.year_id == year.id)
        .options(joinedload(TA.subject), joinedload(TA.teacher), joinedload(TA.subgroup))).unique().all()
    assignments.sort(key=lambda a: (a.subject.sort_order, a.subject.name, a.subgroup.name if a.subgroup else "",
                                    a.id))
    entries = data.rosters(class_ids, year.start_date, year.end_date)
    in_classes = select(TA.id).where(TA.class_id.in_(class_ids), TA.year_id == year.id)
    lessons = _lessons(in_classes)
    marks = db.session.execute(
        select(Mark.task_id, Mark.student_id, Mark.value).join(Task, Task.id == Mark.task_id)
        .join(Lesson, Lesson.id == Task.lesson_id).where(Lesson.assignment_id.in_(in_classes))).all()
    attendance = db.session.execute(
        select(Attendance.lesson_id, Attendance.student_id, AttendanceCode.code)
        .join(AttendanceCode, AttendanceCode.id == Attendance.code_id)
        .join(Lesson, Lesson.id == Attendance.lesson_id).where(Lesson.assignment_id.in_(in_classes))).all()
    period_marks = db.session.execute(
        select(PeriodMark.student_id, PeriodMark.subject_id, PeriodMark.kind, PeriodMark.period_id, PeriodMark.value)
        .where(PeriodMark.year_id == year.id, PeriodMark.student_id.in_(
            select(ClassMembership.student_id).where(ClassMembership.class_id.in_(class_ids))))).all()
    subgroup_ids = {a.subgroup_id for a in assignments if a.subgroup_id}
    members = db.session.execute(
        select(SubgroupMember.subgroup_id, SubgroupMember.period_id, SubgroupMember.student_id)
        .where(SubgroupMember.subgroup_id.in_(subgroup_ids))).all() if subgroup_ids else []

    by_assignment = defaultdict(list)
    for lesson, assignment_id in lessons:
        by_assignment[assignment_id].append(lesson)
    marks_of = {(t, s): v for t, s, v in marks}
    codes_of = {(lesson_id, s): code for lesson_id, s, code in attendance}
    finals = {(s, subject, kind, period if kind == PeriodMarkKind.PERIOD.value else None): v
              for s, subject, kind, period, v in period_marks}
    groups = defaultdict(set)
    for subgroup_id, period_id, student_id in members:
        groups[(subgroup_id, period_id)].add(student_id)
    result = {}
    for klass in sorted(classes, key=lambda c: (c.grade, c.name)):
        mine = [a for a in assignments if a.class_id == klass.id]
        rosters = {p.id: [e for e in entries.get(klass.id, []) if _overlaps(e, p)] for p in periods}
        result[klass.id] = ClassJournal(klass, periods, mine, rosters,
                                        {a.id: by_assignment.get(a.id, []) for a in mine},
                                        marks_of, codes_of, finals, groups)
    return result


def _overlaps(entry, period):
    return any(a <= period.end_date and b >= period.start_date for a, b in entry.ranges + entry.leave_ranges)


def _lessons(assignment_ids):
    """[(ArchiveLesson, assignment id)] with their tasks, by date; one statement."""
    substitute = aliased(Staff)
    rows = db.session.execute(
        select(Lesson.id, Lesson.assignment_id, Lesson.date, Lesson.number, Lesson.topic, Lesson.homework,
               Lesson.is_cancelled, Lesson.teacher_id, TeachingAssignment.teacher_id, substitute.last_name,
               substitute.first_name, substitute.middle_name, Task.id, TaskType.name, TaskType.short_name,
               Task.weight)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .outerjoin(substitute, substitute.id == Lesson.teacher_id)
        .outerjoin(Task, Task.lesson_id == Lesson.id)
        .outerjoin(TaskType, TaskType.id == Task.type_id)
        .where(Lesson.assignment_id.in_(assignment_ids))
        .order_by(Lesson.date, Lesson.number, Lesson.id, Task.position, Task.id)).all()
    lessons = {}
    for (lesson_id, assignment_id, day, number, topic, homework, cancelled, teacher_id, own_teacher, last, first,
         middle, task_id, type_name, type_short, weight) in rows:
        found = lessons.get(lesson_id)
        if found is None:
            other = teacher_id is not None and teacher_id != own_teacher
            name = person_name(_Name(last, first, middle), short=True) if other else ""
            found = lessons[lesson_id] = (ArchiveLesson(lesson_id, day, number, topic or "", homework or "",
                                                        bool(cancelled), name), assignment_id)
        lesson = found[0]
        if task_id is not None:
            lesson.tasks.append((task_id, type_name or "", type_short or "", weight))
    return list(lessons.values())


@dataclass
class _Name:
    last_name: str
    first_name: str
    middle_name: str | None


# -- the workbook --------------------------------------------------------------------------------------------

class _Formats:
    def __init__(self, book):
        add = book.wb.add_format
        base = {"border": 1, "valign": "vcenter", "font_size": 9}
        self.head = add({**base, "bold": True, "bg_color": "#E8EEF7", "align": "center", "text_wrap": True})
        self.name = add({**base})
        self.number = add({**base, "align": "center"})
        self.cell = add({**base, "align": "center"})
        self.absent = add({**base, "align": "center", "bold": True})
        self.outside = add({**base, "bg_color": "#D9D9D9"})
        self.final = add({**base, "align": "center", "bold": True, "bg_color": "#F3F3F3"})
        self.wrap = add({**base, "valign": "top", "text_wrap": True})
        self.group = add({**base, "bold": True, "bg_color": "#F3F3F3"})
        self.muted = add({**base, "valign": "top", "text_wrap": True, "font_color": "#808080", "italic": True})


def _weight_label(weight):
    text = format(weight.normalize(), "f").replace(".", ",") if weight is not None else "1"
    return "" if text == "1" else f"×{text}"


def _sheet_name(taken, *parts):
    return unique_sheet_name(" ".join(p for p in parts if p), taken)


def _period_short(period):
    words = period.name.split()
    return f"{words[0]} {words[1][:3]}." if len(words) == 2 and words[0].isdigit() else period.name[:12]


def _subject_label(assignment):
    group = f" ({assignment.subgroup.name})" if assignment.subgroup is not None else ""
    return f"{assignment.subject.name}{group}"


def _students(journal, assignment, period):
    """The roster entries of the assignment's sheet for the period: the class's, or the subgroup's
    members of the period when the subject is split (everyone when no list was drawn)."""
    entries = journal.rosters[period.id]
    if assignment.subgroup_id:
        members = journal.subgroups.get((assignment.subgroup_id, period.id))
        if members:
            entries = [e for e in entries if e.student_id in members]
    return entries


def write_class(book, journal, org, year, today):
    """The workbook of one class's journal for the year (see the module's doc)."""
    formats = _Formats(book)
    taken = set()
    names = set()
    _title_sheet(book, formats, journal, org, year, today, taken)
    last = journal.periods[-1] if journal.periods else None
    for assignment in journal.assignments:
        for period in journal.periods:
            names |= _grid_sheet(book, formats, journal, org, year, assignment, period, period is last, taken)
    _topics_sheet(book, formats, journal, org, year, taken)
    return names


def _heading(book, ws, org, year, journal, *lines):
    book.put(ws, 0, 0, org.full_name, book.bold)
    book.put(ws, 1, 0, f"Классный журнал · {journal.klass.name} · {year.name} учебный год", book.title)
    for n, line in enumerate(lines):
        book.put(ws, 2 + n, 0, line)
    return 3 + len(lines)


def _title_sheet(book, formats, journal, org, year, today, taken):
    klass = journal.klass
    ws = book.sheet(_sheet_name(taken, "Титул"), repeat_rows=None)
    row = _heading(book, ws, org, year, journal,
                   f"{term('class_teacher', org)}: {person_name(klass.class_teacher)}",
                   f"Учебный год: {year.start_date:%d.%m.%Y}–{year.end_date:%d.%m.%Y}; "
                   + "; ".join(f"{p.name}: {p.start_date:%d.%m.%Y}–{p.end_date:%d.%m.%Y}" for p in journal.periods))
    ws.repeat_rows(row, row)
    for col, (title, width) in enumerate((("№", NUMBER_WIDTH), (term("subject", org), 40), ("Учитель", 30),
                                          ("Уроков дано", 10), ("Отменено", 10), ("Подпись учителя", 24))):
        book.put(ws, row, col, title, formats.head)
        ws.set_column(col, col, width)
    for n, assignment in enumerate(journal.assignments, start=1):
        lessons = journal.lessons[assignment.id]
        cancelled = sum(1 for lesson in lessons if lesson.is_cancelled)
        values = (n, _subject_label(assignment), person_name(assignment.teacher),
                  len(lessons) - cancelled, cancelled, "")
        for col, value in enumerate(values):
            book.put(ws, row + n, col, value, formats.number if col in (0, 3, 4) else formats.wrap)
    row += len(journal.assignments) + 2
    book.put(ws, row, 0, f"Напечатан {today:%d.%m.%Y}; хранится в архиве организации.", book.small)
    for label, name in ((term("class_teacher", org), person_name(klass.class_teacher, short=True)),
                        ("Журнал проверил: заместитель директора", ""), ("Директор", org.director_name or "")):
        row += 2
        book.put(ws, row, 0, label)
        book.put(ws, row, 2, "________________ / " + (name or "________________"))


def _grid_sheet(book, formats, journal, org, year, assignment, period, last, taken):
    """One subject's (assignment's) grid for one period; returns the ids of the students it names."""
    lessons = [lesson for lesson in journal.lessons[assignment.id]
               if not lesson.is_cancelled and period.start_date <= lesson.date <= period.end_date]
    entries = _students(journal, assignment, period)
    finals = FINAL_KINDS if last else ()
    columns = [(lesson, task) for lesson in lessons for task in (lesson.tasks or [None])]
    width = NUMBER_WIDTH + NAME_WIDTH + TASK_WIDTH * len(columns) + MARK_WIDTH * (1 + len(finals))
    ws = book.sheet(_sheet_name(taken, assignment.subject.short_name or assignment.subject.name,
                                assignment.subgroup.name if assignment.subgroup else "", _period_short(period)),
                    fit_width=False)
    ws.fit_to_pages(max(1, math.ceil(width / PAGE_WIDTH)), 0)
    teacher = person_name(assignment.teacher)
    row = _heading(book, ws, org, year, journal,
                   f"{term('subject', org)}: {_subject_label(assignment)}; учитель: {teacher}; "
                   f"{period.name} ({period.start_date:%d.%m.%Y}–{period.end_date:%d.%m.%Y})")
    top = row
    ws.merge_range(top, 0, top + 1, 0, "№", formats.head)
    ws.merge_range(top, 1, top + 1, 1, term("student", org), formats.head)
    col = 2
    for lesson in lessons:
        span = max(1, len(lesson.tasks))
        label = f"{lesson.date:%d.%m}"
        if span > 1:
            ws.merge_range(top, col, top, col + span - 1, label, formats.head)
        else:
            book.put(ws, top, col, label, formats.head)
        for n, task in enumerate(lesson.tasks or [None]):
            book.put(ws, top + 1, col + n, f"{task[2]}{_weight_label(task[3])}" if task else "", formats.head)
        col += span
    ends = ["За период"] + [title for _, title in finals]
    for n, title in enumerate(ends):
        ws.merge_range(top, col + n, top + 1, col + n, title, formats.head)
    ws.set_row(top + 1, 24)
    ws.set_column(0, 0, NUMBER_WIDTH)
    ws.set_column(1, 1, NAME_WIDTH)
    if columns:
        ws.set_column(2, col - 1, TASK_WIDTH)
    ws.set_column(col, col + len(ends) - 1, MARK_WIDTH)
    ws.repeat_rows(top, top + 1)
    ws.repeat_columns(0, 1)
    ws.freeze_panes(top + 2, 2)
    subject_id = assignment.subject_id
    for n, entry in enumerate(entries, start=1):
        r = top + 1 + n
        student = entry.student
        note = movement_note(entry, period.start_date, period.end_date)
        book.put(ws, r, 0, n, formats.number)
        book.put(ws, r, 1, person_name(student, short=True) + (f" ({note})" if note else ""), formats.name)
        c = 2
        for lesson, task in columns:
            inside = data.in_class_on(entry, lesson.date)
            first_column = not lesson.tasks or task is lesson.tasks[0]
            code = journal.attendance.get((lesson.id, student.id), "") if first_column else ""
            mark = journal.marks.get((task[0], student.id), "") if task else ""
            value = " ".join(v for v in (code, mark) if v)
            fmt = formats.absent if code and not mark else formats.cell
            if value:
                book.put(ws, r, c, value, fmt if inside else formats.outside)
            else:
                ws.write_blank(r, c, None, formats.cell if inside else formats.outside)
            c += 1
        keys = [(student.id, subject_id, PeriodMarkKind.PERIOD.value, period.id)] + \
               [(student.id, subject_id, kind, None) for kind, _ in finals]
        for key in keys:
            book.put(ws, r, c, journal.period_marks.get(key), formats.final)
            c += 1
    row = top + 3 + len(entries)
    book.put(ws, row, 0, "Учитель", book.small)
    book.put(ws, row, 2, "________________ / " + person_name(assignment.teacher, short=True))
    if not lessons:
        book.put(ws, row + 2, 0, "Уроков в этом периоде нет.", book.small)
    return {entry.student_id for entry in entries}


def _topics_sheet(book, formats, journal, org, year, taken):
    ws = book.sheet(_sheet_name(taken, "Темы уроков"))
    row = _heading(book, ws, org, year, journal, "Даты, темы и домашние задания уроков по предметам")
    widths = (("Дата", 11), ("Урок", 5), ("Тема урока", 46), ("Домашнее задание", 40), ("Задания", 26),
              ("Примечание", 20))
    for col, (title, width) in enumerate(widths):
        book.put(ws, row, col, title, formats.head)
        ws.set_column(col, col, width)
    ws.repeat_rows(row, row)
    breaks = []
    for assignment in journal.assignments:
        row += 1
        if assignment is not journal.assignments[0]:
            breaks.append(row)
        ws.merge_range(row, 0, row, len(widths) - 1,
                       f"{_subject_label(assignment)} — {person_name(assignment.teacher)}", formats.group)
        current = None
        for lesson in journal.lessons[assignment.id]:
            period = next((p for p in journal.periods if p.start_date <= lesson.date <= p.end_date), None)
            if period is not current and period is not None:
                current = period
                row += 1
                ws.merge_range(row, 0, row, len(widths) - 1, period.name, formats.group)
            row += 1
            tasks = "; ".join(name + (f" (вес {_weight_label(w)[1:]})" if _weight_label(w) else "")
                              for _, name, _, w in lesson.tasks)
            note = "; ".join(x for x in ("урок не проведён (отменён)" if lesson.is_cancelled else "",
                                         f"замена: {lesson.substitute}" if lesson.substitute else "") if x)
            fmt = formats.muted if lesson.is_cancelled else formats.wrap
            values = (lesson.date, lesson.number, lesson.topic, lesson.homework, tasks, note)
            for col, value in enumerate(values):
                book.put(ws, row, col, value, formats.number if col == 1 else fmt)
            lines = max(math.ceil(len(str(v)) / (w * 1.3)) for v, (_, w) in zip(values, widths))
            if lines > 1:  # XlsxWriter does not size rows to wrapped text: room for every line
                ws.set_row(row, 12 * lines)
        row += 2
        book.put(ws, row, 0, "Учитель")
        book.put(ws, row, 2, "________________ / " + person_name(assignment.teacher, short=True))
        row += 1
    if breaks:
        ws.set_h_pagebreaks(breaks)


# -- one class, the whole organization -------------------------------------------------------------------------

def file_name(klass, year):
    return f"{slug('zhurnal', klass.name, year.name)}.xlsx"


def class_workbook(actor, year, klass, today=None, journal=None):
    """(file name, bytes) of the class's journal; the read of the students' data is logged."""
    journal = journal or load_journals([klass.id], year)[klass.id]
    book = Book()
    named = write_class(book, journal, actor.org, year, today or clock.today(actor.org))
    _log(actor, year, klass.name, len(named))
    return file_name(klass, year), book.bytes()


def _log(actor, year, what, students):
    if students:
        audit.log_read(actor, "report", "report", rows=students,
                       detail=f"«Архив классного журнала» ({what}, {year.name})")


def organization_classes(actor, year):
    """Every class of the year, for the whole organization's archive (the administration's only)."""
    if not permissions.allowed(actor, VIEW_KEY, "all"):
        raise PermissionDenied()
    return data.classes_of_year(actor.org_id, year.id)


def each_class_workbook(actor, year, classes, progress=None, today=None):
    """(file name, bytes) of every class, one after another (each read with `load_journals`);
    `progress(done, total, class name)` after each."""
    for done, klass in enumerate(classes, start=1):
        yield class_workbook(actor, year, klass, today)
        if progress is not None:
            progress(done, len(classes), klass.name)


def write_zip(target, workbooks):
    """The workbooks into one zip (a path or a file object); returns how many were written."""
    count = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in workbooks:
            archive.writestr(name, content)
            count += 1
    return count


def zip_bytes(workbooks):
    buffer = io.BytesIO()
    write_zip(buffer, workbooks)
    return buffer.getvalue()


__all__ = ["load_journals", "write_class", "class_workbook", "each_class_workbook", "write_zip", "zip_bytes",
           "reachable_classes", "find_class", "organization_classes", "file_name", "VIEW_KEY"]
