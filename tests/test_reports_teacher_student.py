"""The teacher's and the student's reports (issue 6): «Отчёт учителя-предметника», «Итоги успеваемости
по предмету», «Выполнение программы», «Средний балл ученика», «Динамика среднего балла ученика»,
«Табель успеваемости учащегося», «Отчёт об успеваемости и посещаемости ученика».

Every number is checked against the arithmetic written next to it, on a small school where a
student moved classes, another left before the period's end, a lesson was cancelled and a subject is
taught in subgroups; the same numbers in the JSON and in the .xlsx; who may open what; a bounded
number of statements; and every report on the demo school and the demo college."""
import io
import json
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from models import db
from reports import parameters, registry
from reports.render import to_json, to_xlsx
from services.errors import DomainError, PermissionDenied
from tests.factories import (actor_of, jr_assignment, jr_attendance, jr_lessons, jr_period_mark, jr_subject,
                             make_student, rp_marked)
from tests.querycount import count_queries
from models import AcademicYear, Staff, Student, Subject
from services.demo.school import create_demo

D = date
TODAY = D(2026, 11, 20)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def build(login, name, raw, today=TODAY):
    return registry.build(actor_of(login), name, raw, today=today)


def rows_of(doc, block=0, sheet=0):
    """The rows of the document's `block`-th table, as the JSON carries them."""
    tables = [b for b in to_json(doc)["sheets"][sheet]["blocks"] if b["type"] == "table"]
    return tables[block]["rows"]


def by_label(rows):
    return {row[0]: row[1:] for row in rows}


def xlsx_rows(doc, sheet=0):
    """Every non-empty row of the workbook's sheet, as a list of values."""
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(doc).bytes())).worksheets[sheet]
    return ws, [list(row) for row in ws.iter_rows(values_only=True) if any(v is not None for v in row)]


def assert_xlsx_has(doc, json_rows, sheet=0):
    """Every JSON row appears in the workbook with the same values (numbers as numbers; an empty cell
    and an empty string alike)."""
    _, rows = xlsx_rows(doc, sheet)

    def plain(values):
        return [None if v in (None, "") else v for v in values]
    for expected in json_rows:
        assert any(plain(row[:len(expected)]) == plain(expected) for row in rows), expected


# -- 1. Отчёт учителя-предметника ---------------------------------------------------------------------------

def test_teacher_report_counted_by_hand(report_school):
    doc = build("a.teacher", "teacher-report", {"period": "2 четверть"})
    assert doc.params[0] == ("Учитель", "Учителев Тимур Петрович")
    rows = rows_of(doc)
    # Columns: class, subject, students, N, «5», «4», «3», «2», н/а, успеваемость, качество, СОУ, средний
    # балл, lessons planned, given, hours a year.
    assert rows[0] == [
        # Английский язык, 1 группа: Учеников «4» → N 1; 100 %, 100 %, СОУ 64; average 3·1/1 = 3.00.
        "5А", "Английский язык (1 группа)", 1, 1, 0, 1, 0, 0, 0, 100.0, 100.0, 64.0, 3.0, 1, 1, 102]
    assert rows[1] == [
        # Математика 5А, counted on 28.12: Учеников «5», Отличников «4» (Уходов left on 16.11, Соседов on
        # 12.10) → N 2, успеваемость 2/2, качество 2/2, СОУ (100 + 64) / 2 = 82.0;
        # average of the period's marks: Учеников 5·1 + 4·3 = 17 / 4, Отличников 4·1 + 5·3 = 19 / 4 →
        # 36 / 8 = 4.50 (Уходов's «2» and the cancelled lesson's «2» do not count);
        # lessons 10.11, 11.11, 12.11, 01.12 planned (the cancelled 11.11 was planned: issue 13), given by
        # 20.11: 10.11 and 12.11 = 2.
        "5А", "Математика", 2, 2, 1, 1, 0, 0, 0, 100.0, 100.0, 82.0, 4.5, 4, 2, 170]
    assert rows[2] == [
        # Математика 6Б: Чужов «3», Соседов «н/а» → N 2, успеваемость 1/2 = 50.0, качество 0.0,
        # СОУ (36 + 7) / 2 = 21.5; average (3·2 + 2·2) / (2 + 2) = 10 / 4 = 2.50; 13.11 planned and given.
        "6Б", "Математика", 2, 2, 0, 0, 1, 0, 1, 50.0, 0.0, 21.5, 2.5, 1, 1, 170]
    assert rows[3] == [
        # Всё вместе: 5 pairs 4, 5, 4, 3, н/а → N 5; успеваемость 4/5 = 80.0, качество 3/5 = 60.0,
        # СОУ (100 + 64·2 + 36 + 7) / 5 = 271 / 5 = 54.2; average (3 + 36 + 10) / (1 + 8 + 4) = 49 / 13 = 3.77;
        # lessons 1 + 4 + 1 = 6 planned, 1 + 2 + 1 = 4 given; hours 102 + 170 + 170 = 442.
        "Итого", "", 5, 5, 1, 2, 1, 0, 1, 80.0, 60.0, 54.2, 3.77, 6, 4, 442]
    assert to_json(doc)["sheets"][0]["blocks"][0]["styles"][3] == "total"
    signatures = [b for b in to_json(doc)["sheets"][0]["blocks"] if b["type"] == "signatures"]
    assert signatures[0]["lines"] == [["Учитель", "Учителев Т. П."]]
    assert_xlsx_has(doc, rows)

    # «Год»: the year marks (only Учеников's «5» in Математика) over the year's lessons.
    year = rows_of(build("a.teacher", "teacher-report", {"period": "год"}))
    # Математика 5А: N 1 («5»: 100, 100, 100); average of the year: Учеников 15 + 17 = 32 over 4 + 4,
    # Отличников 5·3 + 19 = 34 over 3 + 4 → 66 / 15 = 4.40; lessons 2 + 4 = 6 planned (the cancelled 11.11
    # included), 4 given.
    assert year[1][2:] == [2, 1, 1, 0, 0, 0, 0, 100.0, 100.0, 100.0, 4.4, 6, 4, 170]


def test_teacher_report_of_another_teacher_is_the_administrations(report_school):
    deputy = rows_of(build("a.deputy", "teacher-report", {"period": "2 четверть"}))
    # Завучева teaches Математика in 5Б: Бэшкин «5», average (5·1 + 3·2) / 3 = 11 / 3 = 3.67.
    assert deputy[0] == ["5Б", "Математика", 1, 1, 1, 0, 0, 0, 0, 100.0, 100.0, 100.0, 3.67, 1, 1, None]
    as_admin = build("a.admin", "teacher-report", {"period": "2 четверть", "teacher": "Учителев"})
    assert rows_of(as_admin)[1][:4] == ["5А", "Математика", 2, 2]
    with pytest.raises(DomainError) as refused:
        build("a.teacher", "teacher-report", {"teacher": "Завучева"})
    assert "только администрации" in " ".join(refused.value.errors)
    for login in ("a.student", "a.parent", "a.hr"):
        with pytest.raises(PermissionDenied):
            build(login, "teacher-report", {})
    # Another organization's administrator does not find a's teacher; his own namesake has no load.
    with pytest.raises(DomainError) as refused:
        build("b.admin", "teacher-report", {"teacher": str(report_school.teacher.id)})
    assert "не найден" in " ".join(refused.value.errors)
    assert rows_of(build("b.admin", "teacher-report", {"teacher": "Учителев"})) == []
    # The administrator (no teaching load of his own) is asked to pick the teacher.
    with pytest.raises(DomainError) as refused:
        build("a.admin", "teacher-report", {"period": "2 четверть"})
    assert "Укажите: Учитель" in " ".join(refused.value.errors)


# -- 2. Итоги успеваемости по предмету ----------------------------------------------------------------------

def test_subject_results_with_grade_totals_counted_by_hand(report_school):
    doc = build("a.deputy", "subject-results", {"subject": "Математика", "period": "2 четверть"})
    rows = by_label(rows_of(doc))
    # Columns after the class: teacher, students, N, «5», «4», «3», «2», н/а, успеваемость, качество, СОУ, балл.
    assert rows["5А"] == ["Учителев Т. П.", 2, 2, 1, 1, 0, 0, 0, 100.0, 100.0, 82.0, 4.5]
    # 5Б: Бэшкин «5»; average (5 + 6) / 3 = 3.67.
    assert rows["5Б"] == ["Завучева В. П.", 1, 1, 1, 0, 0, 0, 0, 100.0, 100.0, 100.0, 3.67]
    # 5-е классы together: «5», «4», «5» → N 3; СОУ (100·2 + 64) / 3 = 264 / 3 = 88.0 (the average of the
    # classes' СОУ would be (82 + 100) / 2 = 91); average (36 + 11) / (8 + 3) = 47 / 11 = 4.27.
    assert rows["Итого 5-е классы"] == ["", 3, 3, 2, 1, 0, 0, 0, 100.0, 100.0, 88.0, 4.27]
    assert rows["6Б"] == ["Учителев Т. П.", 2, 2, 0, 0, 1, 0, 1, 50.0, 0.0, 21.5, 2.5]
    assert rows["Итого 6-е классы"] == rows["6Б"][:0] + [""] + rows["6Б"][1:]
    # The school: 5, 4, 5, 3, н/а → N 5; успеваемость 4/5 = 80.0; качество 3/5 = 60.0;
    # СОУ (200 + 64 + 36 + 7) / 5 = 307 / 5 = 61.4; average (47 + 10) / (11 + 4) = 57 / 15 = 3.80.
    assert rows["Всего по школе"] == ["", 5, 5, 2, 1, 1, 0, 1, 80.0, 60.0, 61.4, 3.8]
    assert list(rows) == ["5А", "5Б", "Итого 5-е классы", "6Б", "Итого 6-е классы", "Всего по школе"]
    assert_xlsx_has(doc, rows_of(doc))

    # The teacher sees his classes only: 5А and 6Б → 5, 4, 3, н/а: N 4; успеваемость 3/4 = 75.0;
    # качество 2/4 = 50.0; СОУ (100 + 64 + 36 + 7) / 4 = 207 / 4 = 51.75 → 51.8; average 46 / 12 = 3.83.
    mine = build("a.teacher", "subject-results", {"subject": "математика", "period": "2 четверть"})
    assert by_label(rows_of(mine))["Всего по школе"] == ["", 4, 4, 1, 1, 1, 0, 1, 75.0, 50.0, 51.8, 3.83]
    assert "5Б" not in by_label(rows_of(mine))
    signatures = [b for b in to_json(mine)["sheets"][0]["blocks"] if b["type"] == "signatures"]
    assert signatures[0]["lines"] == [["Учитель", "Учителев Т. П."]]
    # The administration may narrow it to one teacher.
    narrowed = by_label(rows_of(build("a.admin", "subject-results", {"subject": "Математика", "teacher": "Завучева",
                                                                     "period": "2 четверть"})))
    assert list(narrowed) == ["5Б", "Итого 5-е классы", "Всего по школе"]


def test_subject_results_refusals(report_school):
    with pytest.raises(DomainError) as refused:
        build("a.teacher", "subject-results", {"subject": "Русский язык"})  # not his subject
    assert "Предмет «русский язык» не найден" in " ".join(refused.value.errors)
    with pytest.raises(DomainError) as refused:
        build("a.teacher", "subject-results", {})
    assert "Укажите: Предмет" in " ".join(refused.value.errors)
    with pytest.raises(DomainError, match="Отчёт не построен"):
        build("b.deputy", "subject-results", {"subject": "Математика"})
    with pytest.raises(PermissionDenied):
        build("a.parent", "subject-results", {"subject": "Математика"})


# -- 3. Выполнение программы --------------------------------------------------------------------------------

def test_program_fulfillment_counted_by_hand(report_school):
    doc = build("a.deputy", "program-fulfillment", {"class": "5А"})
    rows = {(r[0], r[1]): r[2:] for r in rows_of(doc)}
    # Columns: teacher, curriculum hours, КТП hours, lessons in the timetable for the year, given, due by
    # 20.11, % of the year done, behind, the КТП's state.
    # The pace: working days of «1 четверть» (01.09–24.10: 22 in September + 17 in October = 39) and of
    # «2 четверть» (05.11–28.12: 2 + 7 weeks · 5 + 1 = 38) → 77; gone by 20.11: 39 + 2 + 5 + 5 = 51.
    # Математика 5А: no curriculum nor КТП → the plan is the load's 170 h; given by 20.11: 05.10, 07.10,
    # 10.11, 12.11 = 4 (11.11 cancelled); in the timetable: those, the cancelled 11.11 and 01.12 = 6 (a
    # cancelled lesson was planned and is not given: issue 13); 4 / 170 = 2.35 → 2.4 %;
    # due 170 · 51 / 77 = 112.6 → 113; behind 113 − 4 = 109.
    assert rows[("5А", "Математика")] == ["Учителев Т. П.", None, None, 6, 4, 113, 2.4, 109, "нет КТП"]
    # Русский язык 5А: no hours anywhere → nothing to compare with.
    assert rows[("5А", "Русский язык")] == ["Классова К. П.", None, None, 4, 4, None, None, None, "нет КТП"]
    assert ("6Б", "Математика") not in rows
    assert_xlsx_has(doc, rows_of(doc))
    mine = rows_of(build("a.teacher", "program-fulfillment", {}))
    assert [(r[0], r[1]) for r in mine] == [("5А", "Английский язык (1 группа)"), ("5А", "Математика"),
                                            ("6Б", "Математика"), ("Итого", "")]
    # Английский язык: 102 · 51 / 77 = 67.6 → 68 due, 1 given → 67 behind; Математика 6Б: 113 due, 1 given.
    # Итого: plan 102 + 170 + 170 = 442, in the timetable 1 + 6 + 1 = 8, given 1 + 4 + 1 = 6,
    # due 68 + 113 + 113 = 294, 6 / 442 = 1.36 → 1.4 %, behind 67 + 109 + 112 = 288.
    assert mine[0][3:10] == [None, None, 1, 1, 68, 1.0, 67]
    assert mine[-1][3:10] == [442, None, 8, 6, 294, 1.4, 288]
    with pytest.raises(PermissionDenied):
        build("a.student", "program-fulfillment", {})


# -- 4. Средний балл ученика -------------------------------------------------------------------------------

def test_student_average_counted_by_hand(report_school):
    doc = build("a.student", "student-average", {"period": "2 четверть"})
    assert doc.params[:2] == [("Ученик", "Учеников Пётр Иванович"), ("Класс", "5А")]
    rows = by_label(rows_of(doc))
    # Columns: class, the student's average, the class's average (Учеников and Отличников, counted on
    # 28.12; Уходов left on 16.11), the difference.
    # Английский язык: 3·1 / 1 = 3.00; the class: the same single mark → 3.00.
    assert rows["Английский язык"] == ["5А", 3.0, 3.0, 0.0]
    # Математика: (5·1 + 4·3) / 4 = 17 / 4 = 4.25 (the cancelled lesson's «2» is not counted);
    # the class: (17 + 19) / 8 = 4.50; 4.25 − 4.50 = −0.25.
    assert rows["Математика"] == ["5А", 4.25, 4.5, -0.25]
    # Русский язык: 5·2 / 2 = 5.00; the class: (10 + 3·2) / 4 = 4.00.
    assert rows["Русский язык"] == ["5А", 5.0, 4.0, 1.0]
    # All subjects: (3 + 17 + 10) / (1 + 4 + 2) = 30 / 7 = 4.29; the class (3 + 36 + 16) / (1 + 8 + 4)
    # = 55 / 13 = 4.23; 4.29 − 4.23 = 0.06.
    assert rows["По всем предметам"] == ["5А", 4.29, 4.23, 0.06]
    assert_xlsx_has(doc, rows_of(doc))
    signatures = [b for b in to_json(doc)["sheets"][0]["blocks"] if b["type"] == "signatures"]
    assert signatures[0]["lines"] == [["Классный руководитель", "Классова К. П."]]


def test_a_student_who_moved_keeps_the_marks_of_both_classes(report_school):
    moved = report_school.classmate
    doc = build("a.teacher", "student-average", {"student": str(moved.id), "period": "год"})
    assert doc.params[1] == ("Класс", "5А (01.09.2026–11.10.2026), 6Б (12.10.2026–30.06.2027)")
    rows = by_label(rows_of(doc))
    # Математика: 5·1 in 5А on 05.10, 2·2 in 6Б on 13.11 → (5 + 4) / 3 = 3.00; the class is 6Б (his class
    # at the year's end): Чужов 3·2 and Соседов 2·2 in 6Б → 10 / 4 = 2.50; +0.50.
    assert rows["Математика"] == ["5А, 6Б", 3.0, 2.5, 0.5]
    assert rows["Русский язык"] == ["6Б", 4.0, 4.0, 0.0]

    marks = build("a.teacher", "student-marks", {"student": str(moved.id), "from": "01.09.2026"})
    summary = by_label(rows_of(marks, 0))
    assert summary["Математика"] == ["5А, 6Б", 2, 3.0]
    # All: (5 + 4 + 4) / (1 + 2 + 1) = 13 / 4 = 3.25.
    assert summary["По всем предметам"] == ["", 3, 3.25]
    listed = rows_of(marks, 1)
    assert ["05.10.2026", "Ответ на уроке", "", "1", "5", "5А"] in listed
    assert ["13.11.2026", "Самостоятельная работа", "", "2", "2", "6Б"] in listed

    card = rows_of(build("a.teacher", "student-report-card", {"student": "Соседов Семён"}))
    # The class at each period's end: 24.10 and 28.12, both 6Б.
    assert card[0] == ["Класс", "6Б", "6Б", "", "", ""]
    assert by_label(card)["Математика"] == [None, "н/а", None, None, None]


# -- 5. Динамика среднего балла ученика ---------------------------------------------------------------------

def test_student_dynamics_by_period_and_by_month(report_school):
    doc = build("a.parent", "student-dynamics", {})  # the parent's child by default
    assert doc.params[0] == ("Ученик", "Учеников Пётр Иванович")
    rows = by_label(rows_of(doc))
    # Columns: «1 четверть», «2 четверть», the year.
    # Математика: 1 четверть (3·1 + 4·3) / 4 = 15 / 4 = 3.75; 2 четверть 17 / 4 = 4.25; the year 32 / 8 = 4.00.
    assert rows["Математика"] == [3.75, 4.25, 4.0]
    assert rows["Английский язык"] == [None, 3.0, 3.0]
    # Русский язык: 4·1 / 1 = 4.00; 5·2 / 2 = 5.00; the year (4 + 10) / 3 = 4.67.
    assert rows["Русский язык"] == [4.0, 5.0, 4.67]
    # All subjects: (15 + 4) / 5 = 3.80; 30 / 7 = 4.29; 49 / 12 = 4.08.
    assert rows["Ученик: все предметы"] == [3.8, 4.29, 4.08]
    # 5А: 1 четверть — counted on 24.10: Учеников (15 + 4) and Отличников (5·3 = 15) → 34 / 8 = 4.25
    # (Соседов's «5» of 05.10 is not: he left 5А on 12.10); 2 четверть 55 / 13 = 4.23; the year
    # (34 + 55) / (8 + 13) = 89 / 21 = 4.24.
    assert rows["Класс: все предметы"] == [4.25, 4.23, 4.24]
    chart = next(b for b in to_json(doc)["sheets"][0]["blocks"] if b["type"] == "chart")
    assert chart["categories"] == ["1 четверть", "2 четверть"]
    assert chart["series"] == [{"name": "Учеников П. И.", "values": [3.8, 4.29]},
                               {"name": "Класс (все предметы)", "values": [4.25, 4.23]}]
    ws, _ = xlsx_rows(doc)
    assert ws._charts  # an Excel line chart over its data
    assert_xlsx_has(doc, rows_of(doc))

    months = by_label(rows_of(build("a.student", "student-dynamics", {"by": "month"})))
    header = to_json(build("a.student", "student-dynamics", {"by": "month"}))["sheets"][0]["blocks"][0]["columns"]
    assert header[:3] == ["Предмет", "сен 26", "окт 26"] and header[-2:] == ["июн 27", "За год"]
    # October: 3.75 in Математика; November: 4.25; the other months are empty.
    assert months["Математика"][:4] == [None, 3.75, 4.25, None] and months["Математика"][-1] == 4.0
    with pytest.raises(DomainError) as refused:
        build("a.student", "student-dynamics", {"by": "week"})
    assert "Разбивка" in " ".join(refused.value.errors)


# -- 6. Табель успеваемости учащегося -------------------------------------------------------------------------

def test_student_report_card(report_school):
    doc = build("a.student", "student-report-card", {})
    json_doc = to_json(doc)
    table = json_doc["sheets"][0]["blocks"][0]
    assert table["columns"] == ["Предмет", "1 четверть", "2 четверть", "Годовая", "Экзамен", "Итоговая"]
    assert table["rows"] == [["Английский язык", None, "4", None, None, None],
                             ["Математика", "4", "5", "5", "4", "5"],
                             ["Русский язык", "4", None, None, None, None]]
    _, cells = xlsx_rows(doc)
    assert ["Математика", "4", "5", "5", "4", "5"] in [row[:6] for row in cells]


# -- 7. Отчёт об успеваемости и посещаемости ученика --------------------------------------------------------------

def test_student_marks_and_absences_counted_by_hand(report_school):
    doc = build("a.class_teacher", "student-marks", {"student": "Учеников", "class": "5А", "from": "01.09.2026",
                                                      "to": "20.11.2026"})
    assert doc.params[-1] == ("Даты", "с 01.09.2026 по 20.11.2026")
    summary = by_label(rows_of(doc, 0))
    assert summary["Английский язык"] == ["5А", 1, 3.0]
    # Математика: 3·1 + 4·3 + 5·1 + 4·3 = 32 over 1 + 3 + 1 + 3 = 8 → 4.00 (the cancelled 11.11 not listed).
    assert summary["Математика"] == ["5А", 4, 4.0]
    # Русский язык: (4·1 + 5·2) / 3 = 14 / 3 = 4.67.
    assert summary["Русский язык"] == ["5А", 2, 4.67]
    # All: (3 + 32 + 14) / (1 + 8 + 3) = 49 / 12 = 4.08.
    assert summary["По всем предметам"] == ["", 7, 4.08]
    listed = rows_of(doc, 1)
    assert listed[0] == ["Английский язык", "", "", "", "", ""]
    assert listed[3:7] == [["05.10.2026", "Ответ на уроке", "", "1", "3", "5А"],
                           ["07.10.2026", "Контрольная работа", "", "3", "4", "5А"],
                           ["10.11.2026", "Ответ на уроке", "", "1", "5", "5А"],
                           ["12.11.2026", "Контрольная работа", "", "3", "4", "5А"]]
    absences = rows_of(doc, 2)
    assert absences == [["09.11.2026", 3, "Русский язык", "б", "Болел: справка № 12"],
                        ["10.11.2026", 2, "Математика", "оп", "Опоздал"],
                        ["16.11.2026", 3, "Русский язык", "н", "Отсутствовал без уважительной причины"]]
    # Missed 2 (ill 1, without reason 1), excused 0, late 1; the cancelled lesson's «н» is not counted.
    assert rows_of(doc, 3) == [[2, 1, 0, 1, 1]]
    assert_xlsx_has(doc, rows_of(doc, 0) + rows_of(doc, 2) + rows_of(doc, 3))
    short = rows_of(build("a.student", "student-marks", {"from": "10.11.2026", "to": "10.11.2026"}), 3)
    assert short == [[0, 0, 0, 0, 1]]


# -- who may open a student's report ------------------------------------------------------------------------

STUDENT_REPORTS = ("student-average", "student-dynamics", "student-report-card", "student-marks")


@pytest.mark.parametrize("name", STUDENT_REPORTS)
def test_a_students_report_reaches_only_those_who_may_see_him(report_school, name):
    a, stranger = report_school, report_school.stranger
    # Himself, his parent, the teachers of his classes, the administration.
    for login in ("a.student", "a.parent"):
        assert build(login, name, {}).params[0] == ("Ученик", "Учеников Пётр Иванович"), login
    for login in ("a.teacher", "a.class_teacher", "a.deputy", "a.director", "a.admin"):
        assert build(login, name, {"student": str(a.student.id)}).params[0][1] == "Учеников Пётр Иванович"
    # Not another student, not another parent's child, not a class the teacher does not teach,
    # nothing of another organization.
    for login, student in (("a.student", stranger), ("a.parent", stranger), ("a.teacher", a.b_pupil),
                           ("b.admin", a.student), ("b.parent", a.student)):
        with pytest.raises(DomainError) as refused:
            build(login, name, {"student": str(student.id)})
        assert "не найден" in " ".join(refused.value.errors), (login, refused.value.errors)
    with pytest.raises(DomainError) as refused:
        build("a.teacher", name, {})  # staff pick the student
    assert "Укажите: Ученик" in " ".join(refused.value.errors)
    with pytest.raises(PermissionDenied):
        build("a.hr", name, {"student": str(a.student.id)})


# -- statements -----------------------------------------------------------------------------------------------

def add_more(ns):
    """Three more subjects in 5А and 6Б with lessons and marks, and three more students: everything grows."""
    a = ns
    extra = [make_student(a.org, a.klass, last, "Ян") for last in ("Новиков", "Новосёлов", "Новгородцев")]
    for n, name in enumerate(("Физика", "История", "Биология")):
        subject = jr_subject(a.org, name)
        for klass in (a.klass, a.other_class):
            assignment = jr_assignment(a.org, a.year, klass, a.teacher, subject)
            for lesson in jr_lessons(assignment, a.p2, [D(2026, 11, 9 + n), D(2026, 11, 16 + n)], number=5):
                rp_marked(lesson, "Ответ на уроке", 1, {s: "4" for s in [a.student, a.best, *extra]
                                                     if klass is a.klass} or {a.stranger: "5"})
                jr_attendance(lesson, a.student if klass is a.klass else a.stranger, "н")
        for s in extra:
            jr_period_mark(s, subject, a.p2, "4")
    db.session.commit()


REPORT_CASES = [
    ("a.teacher", "teacher-report", {"period": "2 четверть"}),
    ("a.deputy", "subject-results", {"subject": "Математика", "period": "2 четверть"}),
    ("a.deputy", "program-fulfillment", {}),
    ("a.student", "student-average", {"period": "2 четверть"}),
    ("a.parent", "student-dynamics", {}),
    ("a.parent", "student-dynamics", {"by": "month"}),
    ("a.class_teacher", "student-report-card", {"student": "Учеников"}),
    ("a.student", "student-marks", {"from": "01.09.2026"}),
]


def statements(login, name, raw):
    actor = actor_of(login)
    db.session.expire_all()
    with count_queries() as seen:
        registry.build(actor, name, raw, today=TODAY)
    return len(seen)


def test_each_report_reads_a_fixed_number_of_statements(report_school):
    before = {(name, json.dumps(raw)): statements(login, name, raw) for login, name, raw in REPORT_CASES}
    add_more(report_school)
    after = {(name, json.dumps(raw)): statements(login, name, raw) for login, name, raw in REPORT_CASES}
    assert after == before
    assert max(before.values()) <= 16, before


# -- the page ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("login,name,query,shown", [
    ("a.teacher", "teacher-report", "period=2+четверть", "82,0"),
    ("a.deputy", "subject-results", "subject=Математика&period=2+четверть", "61,4"),
    ("a.deputy", "program-fulfillment", "class=5А", "109"),
    ("a.student", "student-average", "period=2+четверть", "4,29"),
    ("a.parent", "student-dynamics", "", "3,75"),
    ("a.student", "student-report-card", "", "Итоговая"),
    ("a.student", "student-marks", "from=01.09.2026&to=20.11.2026", "справка № 12"),
])
def test_the_page_shows_each_report_and_downloads_it(report_school, browser, login, name, query, shown):
    b = browser()
    b.login(login)
    page = b.get(f"/reports/{name}/?{query}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and shown in html, html[-3000:]
    if name == "student-dynamics":
        assert "<svg" in html
    assert f"/reports/{name}/" in b.get("/reports/").get_data(as_text=True)
    xlsx = b.get(f"/reports/{name}/?{query}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype == XLSX
    openpyxl.load_workbook(io.BytesIO(xlsx.data))


def test_the_page_refuses_another_students_report_with_a_message(report_school, browser):
    b = browser()
    b.login("a.student")
    page = b.get(f"/reports/student-marks/?student={report_school.stranger.id}")
    assert page.status_code == 200 and "не найден" in page.get_data(as_text=True)
    assert "Чужов" not in page.get_data(as_text=True)
    assert b.get("/reports/teacher-report/").status_code == 404


# -- the demo school and the demo college --------------------------------------------------------------------------

def build_all_on_demo(kind):
    accounts = {a.role: a.login for a in create_demo(kind=kind, password="demo-pass-2026", today=D(2026, 11, 22))}
    db.session.commit()  # as the `demo-data` command's unit of work does
    today = D(2026, 11, 22)
    teacher = accounts["Учитель"]
    student_login, parent_login = accounts["Обучающийся"], accounts["Родитель"]
    deputy = accounts["Заместитель директора"]
    actor = actor_of(teacher)
    rdef = registry.REGISTRY["subject-results"]
    subject = parameters.SUBJECT.choices(actor, rdef, db.session.scalar(select(AcademicYear)))[0]
    student = db.session.scalar(select(Student).order_by(Student.id))
    docs = [
        registry.build(actor, "teacher-report", {}, today=today),
        registry.build(actor, "teacher-report", {"period": "год"}, today=today),
        registry.build(actor, "teacher-report", {"period": "1"}, today=today),
        registry.build(actor, "subject-results", {"subject": subject.name}, today=today),
        registry.build(actor_of(deputy), "subject-results", {"subject": subject.name}, today=today),
        registry.build(actor, "program-fulfillment", {}, today=today),
        registry.build(actor_of(deputy), "program-fulfillment", {}, today=today),
        registry.build(actor_of(student_login), "student-average", {}, today=today),
        registry.build(actor_of(parent_login), "student-dynamics", {}, today=today),
        registry.build(actor_of(parent_login), "student-dynamics", {"by": "month"}, today=today),
        registry.build(actor_of(student_login), "student-report-card", {}, today=today),
        registry.build(actor_of(student_login), "student-marks", {}, today=today),
        registry.build(actor_of(deputy), "student-marks", {"student": str(student.id)}, today=today),
    ]
    for doc in docs:
        to_json(doc)
        openpyxl.load_workbook(io.BytesIO(to_xlsx(doc).bytes()))
    assert db.session.scalar(select(Staff.id).limit(1)) and db.session.scalar(select(Subject.id).limit(1))
    return {doc.name + str(i): doc for i, doc in enumerate(docs)}


def test_every_report_builds_on_the_demo_school():
    docs = build_all_on_demo("school")
    teacher = docs["teacher-report0"]
    assert rows_of(teacher) and rows_of(teacher)[-1][0] == "Итого"
    first = rows_of(docs["teacher-report2"])[-1]  # «1 четверть» has its period marks in the demo
    assert first[0] == "Итого" and first[3] > 0 and first[9] is not None
    marks = rows_of(docs["student-marks11"], 0)
    assert marks[-1][0] == "По всем предметам" and marks[-1][2] > 0  # the demo student has marks
    assert any(v is not None for v in rows_of(docs["student-dynamics8"])[-2][1:])


def test_every_report_builds_on_the_demo_college():
    docs = build_all_on_demo("college")
    assert docs["teacher-report0"].title == "Отчёт преподавателя"
    columns = to_json(docs["student-average7"])["sheets"][0]["blocks"][0]["columns"]
    assert columns[:2] == ["Дисциплина", "Группа"]
    assert rows_of(docs["student-report-card10"])
