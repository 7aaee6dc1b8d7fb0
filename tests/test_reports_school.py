"""The institution's reports and the summary ledgers (reports/school_reports.py): numbers computed by
hand on a small school (a student who moved mid-period, one who left, «осв», «н/а», an empty class),
the workbook equal to the JSON, the institution's workbook (a sheet per class, printable), bounded
statement counts, roles, the other organization, and every report on the demo school and college."""
import io
import json
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from models import AcademicYear, Period, SchoolClass, Student, db
from reports import data as report_data
from reports.registry import build
from reports.render import to_json, to_xlsx
from services.errors import DomainError, PermissionDenied
from tests.factories import (actor_of, jr_assignment, jr_attendance, jr_lessons, jr_mark, jr_period_mark,
                             jr_subject, jr_task, make_class, make_staff, mv_order, mv_transfer, mv_withdraw,
                             next_snils, ro_year_mark)
from tests.querycount import count_queries
from services.demo.school import create_demo

D = date
TODAY = D(2027, 1, 20)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCHOOL_REPORTS = ("institution-ledgers", "school-results", "class-teachers-summary", "school-progress-summary",
                  "students-summary")
Q2 = {"period": "2 четверть"}


def pupil(org, klass, last, first, sex="m", birth=D(2015, 3, 1), since=D(2026, 8, 28), **extra):
    """A student card (the class history opens from `since`, not before the class's year)."""
    card = Student(org_id=org.id, class_id=klass.id, last_name=last, first_name=first,
                   middle_name="Ивановна" if sex == "f" else "Иванович", sex=sex, birth_date=birth,
                   snils=next_snils(), personal_file_number=f"Ш-{next_snils()}", enrollment_order_number="12-у",
                   enrollment_order_date=since, **extra)
    db.session.add(card)
    db.session.flush()
    return card


@pytest.fixture
def school(world):
    """Org A, 2026/2027: 1 четверть (01.09–25.10) and 2 четверть (05.11–28.12); Математика and Русский язык
    in 5А and 6Б; 5Б (grade 5) is empty.

    5А: Учеников, Соседов, Иванова (girl), Петров, Уходов; 6Б: Чужов.
    Соседов moves 5А → 6Б on 20.11 (mid 2nd quarter); Уходов leaves the school on 10.12.

    Period marks (math / russian):      1 четверть   2 четверть
        Учеников                        5 / 4        5 / 5         (year math «5»)
        Соседов                         4 / 3        3 / 3
        Иванова                         4 / 4        4 / 5
        Петров                          3 / 3        осв / 3
        Уходов                          2 / 3        2 / 2         (left before the period's end)
        Чужов                           5 / 5        н/а / 4
    """
    a = world.a
    ns = a
    ns.q1 = Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=1, name="1 четверть",
                   start_date=D(2026, 9, 1), end_date=D(2026, 10, 25))
    db.session.add(ns.q1)
    ns.q2 = a.period
    ns.fifth_b = make_class(a.org, a.year, "5Б", 5)
    ns.math, ns.russian = jr_subject(a.org, "Математика"), jr_subject(a.org, "Русский язык")
    ns.math_5a = jr_assignment(a.org, a.year, a.klass, a.teacher, ns.math)
    jr_assignment(a.org, a.year, a.klass, a.deputy, ns.russian)
    ns.math_6b = jr_assignment(a.org, a.year, a.other_class, a.teacher, ns.math)
    jr_assignment(a.org, a.year, a.other_class, a.deputy, ns.russian)
    a.student.foreign_language = "Английский"
    a.stranger.foreign_language = "Английский"
    a.stranger.social_status = "малообеспеченная семья"
    ns.ivanova = pupil(a.org, a.klass, "Иванова", "Ирина", sex="f", birth=D(2016, 1, 1), foreign_language="Немецкий")
    ns.petrov = pupil(a.org, a.klass, "Петров", "Павел", birth=D(2016, 1, 2), social_status="многодетная семья")
    ns.ukhodov = pupil(a.org, a.klass, "Уходов", "Ульян")
    marks = {a.student: ("5", "4", "5", "5"), a.classmate: ("4", "3", "3", "3"), ns.ivanova: ("4", "4", "4", "5"),
             ns.petrov: ("3", "3", "осв", "3"), ns.ukhodov: ("2", "3", "2", "2"), a.stranger: ("5", "5", "н/а", "4")}
    for student, (m1, r1, m2, r2) in marks.items():
        jr_period_mark(student, ns.math, ns.q1, m1)
        jr_period_mark(student, ns.russian, ns.q1, r1)
        jr_period_mark(student, ns.math, ns.q2, m2)
        jr_period_mark(student, ns.russian, ns.q2, r2)
    ro_year_mark(a.student, ns.math, a.year, "5")
    # 2nd quarter lessons: 5А math on 09.11, 11.11, 13.11; 6Б math on 23.11.
    ns.l5 = jr_lessons(ns.math_5a, ns.q2, [D(2026, 11, 9), D(2026, 11, 11), D(2026, 11, 13)])
    ns.l6 = jr_lessons(ns.math_6b, ns.q2, [D(2026, 11, 23)])
    t1, t2 = jr_task(ns.l5[0], weight=Decimal(1)), jr_task(ns.l5[1], weight=Decimal(2))
    jr_mark(t1, a.student, "5")
    jr_mark(t2, a.student, "4")
    jr_mark(t1, ns.ivanova, "3")
    jr_mark(t1, ns.ukhodov, "2")
    jr_mark(t1, a.classmate, "2")  # in 5А, before he moved
    t6 = jr_task(ns.l6[0], weight=Decimal(1))
    jr_mark(t6, a.classmate, "4")
    jr_mark(t6, a.stranger, "3")
    jr_attendance(ns.l5[0], a.student, "б")
    jr_attendance(ns.l5[1], a.student, "б")
    jr_attendance(ns.l5[2], ns.ivanova, "н")
    jr_attendance(ns.l5[2], ns.petrov, "оп")  # late: not a missed lesson
    jr_attendance(ns.l5[0], ns.ukhodov, "н")  # left: not counted
    jr_attendance(ns.l5[1], a.classmate, "н")  # in 5А before he moved: follows him to 6Б
    jr_attendance(ns.l6[0], a.stranger, "у")
    db.session.commit()
    mv_transfer(a.classmate, a.other_class, D(2026, 11, 20))
    mv_withdraw(ns.ukhodov, D(2026, 12, 10))
    db.session.commit()
    return world


def run(login, name, raw=None, today=TODAY):
    return build(actor_of(login), name, dict(raw or {}), today=today)


def table(doc, sheet=0, block=0):
    """(column titles, rows, styles) of the block-th table of a sheet, from the JSON."""
    tables = [b for b in to_json(doc)["sheets"][sheet]["blocks"] if b["type"] == "table"]
    t = tables[block]
    return t["columns"], t["rows"], t["styles"]


def rows_by_label(doc, sheet=0, block=0, label_col=0):
    _, rows, _ = table(doc, sheet, block)
    return {row[label_col]: row for row in rows}


def same(cell, value):
    if value is None or value == "":
        return cell is None or cell == ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return isinstance(cell, (int, float)) and abs(cell - value) < 1e-9
    return cell == value


def assert_xlsx_equals_json(doc):
    """Every table row of the JSON is a row of its worksheet, in order, value for value."""
    data = to_json(doc)
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(doc).bytes()))
    assert len(book.worksheets) == len(data["sheets"])
    for ws, sheet in zip(book.worksheets, data["sheets"]):
        cells = [list(r) for r in ws.iter_rows(values_only=True)]
        at = 0
        for block in sheet["blocks"]:
            if block["type"] != "table":
                continue
            for row in block["rows"]:
                while at < len(cells) and not all(same(c, v) for c, v in zip(cells[at] + [None] * len(row), row)):
                    at += 1
                assert at < len(cells), (ws.title, row)
                at += 1
    return book


# -- 1. the summary ledger of a class -----------------------------------------------------------------

def test_summary_ledger_counted_by_hand(school):
    doc = run("a.class_teacher", "summary-ledger", {"class": "5А"})
    columns, rows, styles = table(doc)
    # Two subjects × (1 ч., 2 ч., Год, Экз., Итог.) after №, ФИО, Движение; the subject heads span 5 columns.
    assert columns[3:8] == ["1 ч.", "2 ч.", "Год", "Экз.", "Итог."] and len(columns) == 3 + 2 * 5
    assert doc.sheets[0].blocks[1].groups == [("", 3), ("Математика", 5), ("Русский язык", 5)]
    by_name = {r[1]: (r, s) for r, s in zip(rows, styles)}
    # Учеников: 1 ч. 5/4, 2 ч. 5/5, year math «5».
    assert by_name["Учеников Пётр Иванович"] == (
        [5, "Учеников Пётр Иванович", "", "5", "5", "5", None, None, "4", "5", None, None, None], "")
    # Петров: «осв» is shown as it is.
    assert by_name["Петров Павел Иванович"][0][3:5] == ["3", "осв"]
    # Соседов moved to 6Б on 20.11: greyed, his 1st quarter marks here (he was in 5А on 25.10), the 2nd's not.
    row, style = by_name["Соседов Семён Иванович"]
    assert style == "muted" and row[2] == "выбыл 20.11.2026" and row[3:5] == ["4", None] and row[8:10] == ["3", None]
    row, style = by_name["Уходов Ульян Иванович"]
    assert style == "muted" and row[2] == "выбыл 10.12.2026"
    figs = {r[1]: r[3:] for r in table(doc, block=1)[1]}
    # Math, 1 ч. (all five were in 5А on 25.10): 5, 4, 4, 3, 2 → N = 5;
    #   успеваемость (1+2+1)/5 = 80.0; качество 3/5 = 60.0; СОУ (100 + 2·64 + 36 + 16)/5 = 280/5 = 56.0.
    # Math, 2 ч. (on 28.12: Учеников 5, Иванова 4, Петров осв): «осв» leaves N: N = 2;
    #   успеваемость 2/2 = 100.0; качество 2/2 = 100.0; СОУ (100 + 64)/2 = 82.0.
    # Math, year: Учеников «5» alone → 100.0 / 100.0 / 100.0; exam and final: no marks → blank.
    # Russian, 1 ч.: 4, 3, 4, 3, 3 → 100.0; 2/5 = 40.0; (2·64 + 3·36)/5 = 236/5 = 47.2.
    # Russian, 2 ч.: 5, 5, 3 → 100.0; 2/3 = 66.7; (200 + 36)/3 = 78.67 → 78.7.
    assert figs["Успеваемость, %"] == [80.0, 100.0, 100.0, None, None, 100.0, 100.0, None, None, None]
    assert figs["Качество знаний, %"] == [60.0, 100.0, 100.0, None, None, 40.0, 66.7, None, None, None]
    assert figs["СОУ, %"] == [56.0, 82.0, 100.0, None, None, 47.2, 78.7, None, None, None]
    assert doc.params == [("Учебный год", "2026/2027"), ("Класс", "5А")]
    assert doc.filename.isascii() and "5a" in doc.filename
    assert to_json(doc)["sheets"][0]["blocks"][-1]["lines"][0] == ["Классный руководитель", "Классова К. П."]
    assert_xlsx_equals_json(doc)


def test_summary_ledger_of_the_class_a_student_moved_into(school):
    doc = run("a.admin", "summary-ledger", {"class": "6Б"})
    _, rows, styles = table(doc)
    # Соседов arrived on 20.11: not greyed; his 1st quarter marks belong to 5А, the 2nd quarter's to 6Б.
    assert rows[0][:5] == [1, "Соседов Семён Иванович", "прибыл 20.11.2026", None, "3"] and styles[0] == ""
    figs = {r[1]: r[3:] for r in table(doc, block=1)[1]}
    # Math, 2 ч.: Соседов 3, Чужов н/а — «н/а» stays in N: N = 2; успеваемость 1/2 = 50.0; качество 0/2 = 0.0;
    #   СОУ (36 + 7·1)/2 = 43/2 = 21.5. Math, 1 ч.: only Чужов (5) → 100.0 each.
    assert [figs[k][:2] for k in ("Успеваемость, %", "Качество знаний, %", "СОУ, %")] == \
        [[100.0, 50.0], [100.0, 0.0], [100.0, 21.5]]


# -- 3. Итоги успеваемости и качества знаний ----------------------------------------------------------------

def test_school_results_counted_by_hand(school):
    doc = run("a.deputy", "school-results", Q2)
    columns, _, _ = table(doc)
    assert columns == ["Класс", "Учеников", "N", "Отличники", "Хорошисты", "С «3»", "С «2»", "н/а", "осв",
                       "Без отметки", "Успеваемость, %", "Качество знаний, %", "СОУ, %"]
    rows = rows_by_label(doc)
    # 5А on 28.12: Учеников (5, 5) отличник; Иванова (4, 5) хорошист; Петров (осв, 3) — «3» («осв» neither raises
    # nor lowers). Соседов (moved) and Уходов (left) are not counted here.
    #   N = 3; успеваемость 3/3 = 100.0; качество 2/3 = 66.7; СОУ (100 + 64 + 36)/3 = 66.67 → 66.7.
    assert rows["5А"] == ["5А", 3, 3, 1, 1, 1, 0, 0, 0, 0, 100.0, 66.7, 66.7]
    # 5Б: empty — no division by zero, the figures blank.
    assert rows["5Б"] == ["5Б", 0, 0, 0, 0, 0, 0, 0, 0, 0, None, None, None]
    assert rows["Итого 5-е классы"] == ["Итого 5-е классы", 3, 3, 1, 1, 1, 0, 0, 0, 0, 100.0, 66.7, 66.7]
    # 6Б: Чужов (н/а, 4) → «н/а»; Соседов (3, 3) → «3»: N = 2; 1/2 = 50.0; 0/2 = 0.0; (36 + 7)/2 = 21.5.
    assert rows["6Б"] == ["6Б", 2, 2, 0, 0, 1, 0, 1, 0, 0, 50.0, 0.0, 21.5]
    # The school: the union of the five students, not the mean of the classes' percentages ((100 + 50)/2 = 75):
    #   n5 = 1, n4 = 1, n3 = 2, н/а = 1, N = 5; успеваемость 4/5 = 80.0; качество 2/5 = 40.0;
    #   СОУ (100 + 64 + 2·36 + 7)/5 = 243/5 = 48.6.
    assert rows["Всего по школе"] == ["Всего по школе", 5, 5, 1, 1, 2, 0, 1, 0, 0, 80.0, 40.0, 48.6]
    assert table(doc)[2][-1] == "total"
    # The 1st quarter: all six counted where they were on 25.10 (Соседов and Уходов in 5А).
    first = rows_by_label(run("a.deputy", "school-results", {"period": "1 четверть"}))
    # 5А: Учеников (5,4)→4, Соседов (4,3)→3, Иванова (4,4)→4, Петров (3,3)→3, Уходов (2,3)→2:
    #   N = 5; 4/5 = 80.0; 2/5 = 40.0; (2·64 + 2·36 + 16)/5 = 216/5 = 43.2.
    assert first["5А"] == ["5А", 5, 5, 0, 2, 2, 1, 0, 0, 0, 80.0, 40.0, 43.2]
    assert_xlsx_equals_json(doc)


# -- 4. Сводный отчёт классных руководителей ----------------------------------------------------------------

def test_class_teachers_summary_counted_by_hand(school):
    doc = run("a.director", "class-teachers-summary", Q2)
    rows = rows_by_label(doc)
    # 5А, 05.11–28.12: 5 on 05.11, none arrived, 2 left (Соседов 20.11, Уходов 10.12), 3 on 28.12 (5 + 0 − 2).
    # Отличник Учеников, хорошист Иванова, with one «3» Петров (осв, 3); success 100.0, quality 66.7, СОУ 66.7.
    # Missed (counted students only): Учеников ill twice, Иванова once without reason (Петров late: not missed,
    # Уходов left: not counted) → 3 / 2 / 1; per student 3/3 = 1.00, 2/3 = 0.67, 1/3 = 0.33.
    assert rows["5А"] == ["5А", "Классова К. П.", 5, 0, 2, 3, 1, 1, 1, 0, 0, 100.0, 66.7, 66.7, 3, 2, 1,
                          1.0, 0.67, 0.33]
    # 6Б: Чужов on 05.11, Соседов arrived → 2 at the end; Соседов has two «3» (not «one 3»), Чужов «н/а».
    # Missed: Чужов once excused; Соседов's «н» of 11.11 was on a 5А lesson, before he came — 6Б's figures are
    # over 6Б's own lessons (issue 13; 5А does not count him either: he left it) → 1 / 0 / 0;
    # per student 1/2 = 0.50, 0/2 = 0.00, 0/2 = 0.00.
    assert rows["6Б"] == ["6Б", "", 1, 1, 0, 2, 0, 0, 0, 0, 1, 50.0, 0.0, 21.5, 1, 0, 0, 0.5, 0.0, 0.0]
    assert rows["5Б"] == ["5Б", "", 0, 0, 0, 0, 0, 0, 0, 0, 0, None, None, None, 0, 0, 0, None, None, None]
    # The school: 5 + 0 + 1 = 6 at the start, +1 −2 → 5 at the end; figures of the union (as in school-results);
    # missed 3 + 1 = 4, ill 2, without reason 1 + 0 = 1; per student 4/5 = 0.80, 2/5 = 0.40, 1/5 = 0.20.
    assert rows["Всего по школе"] == ["Всего по школе", "", 6, 1, 2, 5, 1, 1, 1, 0, 1, 80.0, 40.0, 48.6, 4, 2, 1,
                                      0.8, 0.4, 0.2]
    assert_xlsx_equals_json(doc)


# -- 5. Сводный отчёт об успеваемости по школе ----------------------------------------------------------------

def test_school_progress_summary_counted_by_hand(school):
    doc = run("a.admin", "school-progress-summary", Q2)
    assert [s.name for s in doc.sheets] == ["Успеваемость", "Качество", "СОУ", "Средний балл", "По предметам"]
    success, quality, sou, average = (rows_by_label(doc, sheet=n) for n in range(4))
    assert table(doc)[0] == ["Класс", "Математика", "Русский язык", "Все предметы"]
    # 5А math: 5, 4, осв → N = 2: 100.0 / 100.0 / (100 + 64)/2 = 82.0; russian 5, 5, 3: 100.0 / 66.7 / 78.7.
    # 6Б math: 3, н/а → 50.0 / 0.0 / (36 + 7)/2 = 21.5; russian 4, 3 → 100.0 / 50.0 / (64 + 36)/2 = 50.0.
    # 5Б teaches nothing: blank. All subjects: as in «Итоги успеваемости».
    assert success["5А"][1:] == [100.0, 100.0, 100.0] and success["6Б"][1:] == [50.0, 100.0, 50.0]
    assert quality["5А"][1:] == [100.0, 66.7, 66.7] and quality["6Б"][1:] == [0.0, 50.0, 0.0]
    assert sou["5А"][1:] == [82.0, 78.7, 66.7] and sou["6Б"][1:] == [21.5, 50.0, 21.5]
    assert success["5Б"][1:] == [None, None, None]
    # The school, math: 5, 4, осв, н/а, 3 → N = 4: 3/4 = 75.0; 2/4 = 50.0; (100 + 64 + 36 + 7)/4 = 207/4 = 51.75
    # → 51.8. Russian: 5, 5, 3 and 4, 3 → N = 5: 100.0; 3/5 = 60.0; (2·100 + 64 + 2·36)/5 = 336/5 = 67.2.
    assert success["Всего по школе"][1:] == [75.0, 100.0, 80.0]
    assert quality["Всего по школе"][1:] == [50.0, 60.0, 40.0]
    assert sou["Всего по школе"][1:] == [51.8, 67.2, 48.6]
    # Средний балл (task marks of the quarter, weighted, counted students only):
    #   5А math: Учеников 5·1 + 4·2 = 13 / 3, Иванова 3·1 / 1 → (13 + 3)/(3 + 1) = 4.00 (Уходов's «2» not counted);
    #   6Б math: 6Б's own lessons (issue 13) — Соседов 4·1 (not his 5А «2» before he moved), Чужов 3·1 → 7/2 = 3.50;
    #   the school: (13 + 3 + 4 + 3)/(3 + 1 + 1 + 1) = 23/6 = 3.83. Russian has no task marks: blank.
    assert average["5А"][1:] == [4.0, None, 4.0] and average["6Б"][1:] == [3.5, None, 3.5]
    assert average["Всего по школе"][1:] == [3.83, None, 3.83]
    subjects = rows_by_label(doc, sheet=4)
    assert subjects["Математика"] == ["Математика", 4, 1, 1, 1, 0, 1, 1, 75.0, 50.0, 51.8, 3.83]
    assert subjects["Русский язык"] == ["Русский язык", 5, 2, 1, 2, 0, 0, 0, 100.0, 60.0, 67.2, None]
    assert_xlsx_equals_json(doc)


# -- 6. Итоговые данные по учащимся ------------------------------------------------------------------------

def test_students_summary_counted_by_hand(school):
    doc = run("a.admin", "students-summary")
    assert dict(doc.params)["На дату"] == "01.10.2026"  # by default the report's deadline, 1 October
    count, ages, languages, statuses = (rows_by_label(doc, block=n) for n in range(4))
    # On 01.10.2026: 5А has Учеников, Соседов, Петров, Уходов (boys) and Иванова; 5Б nobody; 6Б Чужов.
    assert count["5-е классы"] == ["5-е классы", 2, 5, 4, 1]
    assert count["6-е классы"] == ["6-е классы", 1, 1, 1, 0]
    assert count["Всего по школе"] == ["Всего по школе", 3, 6, 5, 1]
    # Full years on 01.01.2027: born 01.03.2015 → 11 (four of 5А); Иванова born 01.01.2016 → 11 (that very day);
    # Петров born 02.01.2016 → 10; Чужов born 05.05.2014 → 12.
    columns = table(doc, block=1)[0]
    assert columns[1:3] == ["младше 6", "6"] and columns[-2:] == ["18 и старше", "Всего"]
    age = {title: n for title, n in zip(columns, ages["Всего по школе"])}
    assert (age["10"], age["11"], age["12"], age["Всего"]) == (1, 4, 1, 6)
    assert sum(ages["5-е классы"][1:-1]) == 5 and ages["5-е классы"][columns.index("10")] == 1
    # Languages: Учеников and Чужов English, Иванова German, three not given.
    assert table(doc, block=2)[0] == ["Параллель", "Английский", "Немецкий", "не указан", "Всего"]
    assert languages["Всего по школе"][1:] == [2, 1, 3, 6] and languages["6-е классы"][1:] == [1, 0, 0, 1]
    assert table(doc, block=3)[0][1:3] == ["малообеспеченная семья", "многодетная семья"]
    assert statuses["5-е классы"][1:] == [0, 1, 4, 5] and statuses["Всего по школе"][1:] == [1, 1, 4, 6]
    # On 01.12.2026 Соседов is in 6Б and Уходов still in 5А: 5-е 4 (3 boys), 6-е 2.
    later = rows_by_label(run("a.admin", "students-summary", {"to": "01.12.2026"}))
    assert later["5-е классы"][2:] == [4, 3, 1] and later["6-е классы"][2:] == [2, 2, 0]
    # The class teacher: his class only.
    mine = run("a.class_teacher", "students-summary-class", {"class": "5А"})
    assert rows_by_label(mine) == {"5А": ["5А", 1, 5, 4, 1]}
    assert_xlsx_equals_json(doc)


@pytest.fixture
def last_year(world):
    """2025/2026 with 4А (Первый, Второй) and 9А (Третий); year marks math/russian: Первый 5/4, Второй 2/3,
    Третий 5/5. The year-end orders: Первый to 5А of 2026/2027, Второй repeats (4Б), Третий graduates."""
    a = world.a
    prev = AcademicYear(org_id=a.org.id, name="2025/2026", start_date=D(2025, 9, 1), end_date=D(2026, 6, 30))
    db.session.add(prev)
    db.session.flush()
    fourth, ninth = make_class(a.org, prev, "4А", 4), make_class(a.org, prev, "9А", 9)
    fourth_b = make_class(a.org, a.year, "4Б", 4)
    math, russian = jr_subject(a.org, "Математика"), jr_subject(a.org, "Русский язык")
    first = pupil(a.org, fourth, "Первый", "Пётр", since=D(2025, 8, 28))
    second = pupil(a.org, fourth, "Второй", "Василий", since=D(2025, 8, 28))
    third = pupil(a.org, ninth, "Третий", "Тимофей", birth=D(2010, 4, 4), since=D(2025, 8, 28),
                  passport_series="4510", passport_number="654321", passport_date=D(2024, 5, 5),
                  passport_issued_by="ОВД")
    for student, (m, r) in ((first, ("5", "4")), (second, ("2", "3")), (third, ("5", "5"))):
        ro_year_mark(student, math, prev, m)
        ro_year_mark(student, russian, prev, r)
    db.session.commit()
    mv_order(a.org, "next_year", D(2026, 5, 28), [(first, a.klass)], target_year=a.year)
    mv_order(a.org, "repeat", D(2026, 5, 28), [(second, fourth_b)], target_year=a.year)
    mv_order(a.org, "graduation", D(2026, 6, 25), [(third, None)], effective=D(2026, 7, 1))
    db.session.commit()
    return world


def test_students_summary_previous_year_results(last_year):
    doc = run("a.admin", "students-summary")
    _, rows, styles = table(doc, block=4)
    results = {r[0]: r[1:] for r in rows}
    # [на конец года, переведено, оставлено, выпущено, успевающих, из них отличников, неуспевающих, успеваемость]
    # 4-е: Первый (5, 4 → успевающий) promoted, Второй («2» → неуспевающий) repeats: 1/2 = 50.0.
    assert results["4-е классы"] == [2, 1, 1, 0, 1, 0, 1, 50.0]
    # 9-е: Третий (5, 5 → отличник) graduates: 100.0.
    assert results["9-е классы"] == [1, 0, 0, 1, 1, 1, 0, 100.0]
    # The school: 3 students, 2 successful → 2/3 = 66.7.
    assert results["Всего по школе"] == [3, 1, 1, 1, 2, 1, 1, 66.7] and styles[-1] == "total"
    # The class teacher of 5А sees last year's results of his own students only (Первый).
    mine = run("a.class_teacher", "students-summary-class", {"class": "5А"})
    assert {r[0]: r[1:] for r in table(mine, block=4)[1]} == {"4-е классы": [1, 1, 0, 0, 1, 0, 0, 100.0],
                                                            "Всего": [1, 1, 0, 0, 1, 0, 0, 100.0]}
    # Without a previous year the report says so.
    note = [b["text"] for b in to_json(run("b.admin", "students-summary"))["sheets"][0]["blocks"]
            if b["type"] == "text"]
    assert note == ["Итоги предыдущего учебного года: предыдущий год в системе не вёлся"]


# -- 7. the movement book's reports in the registry ----------------------------------------------------------

def test_class_fill_and_movement_through_the_registry(school):
    doc = run("a.hr", "class-fill", {"to": "01.12.2026"})
    rows = rows_by_label(doc, label_col=1)
    # On 01.12.2026: 5А Учеников, Петров, Уходов (boys) + Иванова; 6Б Чужов + Соседов (moved 20.11); 5Б empty.
    assert rows["5А"][3:6] == [4, 3, 1] and rows["5Б"][3:6] == [0, 0, 0] and rows["6Б"][3:6] == [2, 2, 0]
    assert rows["Итого 5-е классы"][3:6] == [4, 3, 1] and rows["Всего по школе"][3:6] == [6, 5, 1]
    assert rows["5А"][:3] == [1, "5А", "Классова Клара Петровна"]
    assert ("На дату", "01.12.2026") in doc.params
    assert_xlsx_equals_json(doc)
    doc = run("a.hr", "movement", {"from": "01.09.2026", "to": "31.12.2026"})
    columns, _, _ = table(doc)
    rows = rows_by_label(doc)
    value = {label: dict(zip(columns, row)) for label, row in rows.items()}
    # 5А: 5 at the start, 2 left (Соседов to 6Б, Уходов to another school), 3 at the end; 6Б: 1 + 1 = 2.
    assert [value["5А"][k] for k in ("на начало", "на конец")] == [5, 3]
    assert rows["5А"] == ["5А", 5, 0, 0, 0, 0, 2, 1, 0, 1, 1, 3]
    assert rows["6Б"] == ["6Б", 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 2]
    assert rows["Всего по школе"] == ["Всего по школе", 6, 1, 0, 1, 0, 2, 1, 0, 1, 1, 5]
    assert [g for g, _ in doc.sheets[0].blocks[0].groups] == ["", "На начало", "Прибыло", "Выбыло", "На конец"]
    orders = table(doc, sheet=1)[1]
    assert [(r[3], r[5], r[6], r[7]) for r in orders] == [
        ("Перевод из класса в класс", "Соседов Семён Иванович", "5А", "6Б"),
        ("Выбытие", "Уходов Ульян Иванович", "5А", "")]
    assert_xlsx_equals_json(doc)
    with pytest.raises(DomainError) as caught:
        run("a.hr", "movement", {"from": "01.12.2026", "to": "01.11.2026"})
    assert "позже его конца" in caught.value.errors[0]


# -- 2. the institution's ledgers in one workbook -------------------------------------------------------------

def test_institution_workbook_has_a_printable_sheet_per_class(school):
    doc = run("a.admin", "institution-ledgers")
    assert [s.name for s in doc.sheets] == ["5А", "5Б", "6Б"]
    data = to_json(doc)
    # Each sheet is the class's own ledger.
    for n, name in enumerate(("5А", "6Б")):
        single = to_json(run("a.admin", "summary-ledger", {"class": name}))["sheets"][0]
        assert data["sheets"][(0, 2)[n]]["blocks"] == single["blocks"]
    book = assert_xlsx_equals_json(doc)
    assert book.sheetnames == ["5А", "5Б", "6Б"]
    for ws in book.worksheets:
        # org, title, «Учебный год», a blank row, the class heading; then the subject heads and the column heads,
        # repeated on every printed page.
        assert ws.print_title_rows == "$6:$7", (ws.title, ws.print_title_rows)
        assert ws.cell(7, 2).value == "Фамилия, имя, отчество"
        assert ws.page_setup.orientation == "landscape"
        # One page wide (fitToWidth absent = 1), as many pages tall as needed.
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
        assert ws.page_setup.fitToHeight == 0
    five_a = book["5А"]
    assert five_a.cell(6, 4).value == "Математика" and "D6:H6" in {str(r) for r in five_a.merged_cells.ranges}
    # An empty class's sheet: the heads, no rows, no figures, no division by zero.
    assert [b["type"] for b in data["sheets"][1]["blocks"]] == ["text", "table", "text", "signatures"]


NAMES = ["Андреев", "Борисов", "Васильев", "Григорьев", "Дмитриев", "Егоров", "Жуков", "Зайцев", "Ильин",
         "Козлов", "Лебедев", "Морозов"]


def small_school(world, extra_classes=(), students=2):
    """World A's 5А and 6Б (or the `extra_classes` named, grade 7, each with a class teacher), each with
    `students` students, two subjects, their period marks of the 2nd quarter, a lesson with a mark and an
    absence."""
    a = world.a
    if not hasattr(a, "subjects"):
        a.subjects = [jr_subject(a.org, name) for name in ("Алгебра", "Химия")]
    made = [make_class(a.org, a.year, name, 7, make_staff(a.org, "Кураторов", first, ["teacher"]))
            for name, first in zip(extra_classes, ("Кирилл", "Карл"))]
    for klass in made or [a.klass, a.other_class]:
        for n in range(students):
            student = pupil(a.org, klass, NAMES[n], "Ученик", foreign_language="Английский")
            for subject in a.subjects:
                jr_period_mark(student, subject, a.period, str(3 + n % 3))
        for subject in a.subjects:
            assignment = jr_assignment(a.org, a.year, klass, a.teacher, subject)
            lesson = jr_lessons(assignment, a.period, [D(2026, 11, 10)])[0]
            task = jr_task(lesson, weight=Decimal(1))
            for student in db.session.scalars(select(Student).where(Student.class_id == klass.id)):
                jr_mark(task, student, "4")
                jr_attendance(lesson, student, "б")
    db.session.commit()


BUDGET = [("institution-ledgers", {}), ("school-results", Q2), ("class-teachers-summary", Q2),
          ("school-progress-summary", Q2), ("students-summary", {}), ("summary-ledger", {"class": "5А"}),
          ("students-summary-class", {"class": "5А"}), ("class-fill", {}), ("movement", {})]


def statements(login="a.admin"):
    counts = {}
    for name, raw in BUDGET:
        db.session.commit()  # the same starting state: nothing cached in the session
        actor = actor_of(login)
        with count_queries() as seen:
            build(actor, name, raw, today=D(2026, 12, 1))
        counts[name] = len(seen)
    return counts


def test_statement_counts_do_not_grow_with_classes_students_or_subjects(world):
    small_school(world)
    with_two = statements()  # 5А and 6Б
    small_school(world, extra_classes=("7А", "7Б"), students=5)
    a = world.a
    for name in NAMES[:4]:  # and 5А's ledger with more students and subjects
        pupil(a.org, a.klass, name, "Добавлен")
    extra = jr_subject(a.org, "Физика")
    jr_assignment(a.org, a.year, a.klass, a.teacher, extra)
    db.session.commit()
    assert db.session.query(SchoolClass).filter(SchoolClass.org_id == a.org.id).count() == 4
    with_four = statements()
    assert with_four == with_two, (with_two, with_four)
    # institution-ledgers: the classes with their teachers, the rosters, the subjects, the period marks, plus the
    # parameters (the year, its periods) and the actor's roles.
    assert all(n <= 12 for n in with_four.values()), with_four


# -- roles, the other organization, bad input -------------------------------------------------------------------

def test_roles_and_the_other_organization(school):
    for login in ("a.teacher", "a.student", "a.parent", "a.class_teacher", "a.hr"):
        for name in SCHOOL_REPORTS:
            with pytest.raises(PermissionDenied):
                run(login, name, Q2 if name not in ("institution-ledgers", "students-summary") else {})
    for login in ("a.teacher", "a.student", "a.parent", "a.class_teacher"):
        for name in ("class-fill", "movement"):
            with pytest.raises(PermissionDenied):
                run(login, name)
    for login in ("a.student", "a.parent"):
        with pytest.raises(PermissionDenied):
            run(login, "summary-ledger", {"class": "5А"})
    # The class teacher: his class's ledger, not another's (as if it did not exist).
    assert run("a.class_teacher", "summary-ledger", {"class": "5А"}).sheets
    with pytest.raises(DomainError) as caught:
        run("a.class_teacher", "summary-ledger", {"class": "6Б"})
    assert "не найден" in caught.value.errors[0]
    with pytest.raises(DomainError):
        run("a.class_teacher", "students-summary-class", {"class": "6Б"})
    for login in ("a.admin", "a.deputy", "a.director"):
        assert run(login, "school-results", Q2).sheets
    # Org B sees its own classes and students only; A's class is «не найден» for it, even by its id.
    a_only = ("Иванова Ирина", "Петров Павел", "Уходов Ульян", "Математика", "5Б")  # B has none of these
    for name in SCHOOL_REPORTS + ("class-fill", "movement"):
        text = str(to_json(run("b.admin", name, Q2 if name in ("school-results", "class-teachers-summary",
                                                                   "school-progress-summary") else {})))
        assert not any(words in text for words in a_only), name
        assert "Организация B" in text and "Организация A" not in text
    ledgers = run("b.admin", "institution-ledgers")
    assert [s.name for s in ledgers.sheets] == ["5А", "6Б"]
    assert {r[1] for s in range(2) for r in table(ledgers, sheet=s)[1]} == {
        "Учеников Пётр Иванович", "Соседов Семён Иванович", "Чужов Игорь Иванович"}  # B's own three
    with pytest.raises(DomainError):
        run("b.admin", "summary-ledger", {"class": str(school.a.klass.id)})
    results = rows_by_label(run("b.admin", "school-results", Q2))
    assert results["Всего по школе"][1:3] == [3, 0]  # B's three students, no marks


def test_bad_parameters_get_a_russian_message(school):
    cases = [("school-results", {"period": "5 четверть"}, "Период «5 четверть» не найден"),
             ("students-summary", {"to": "31.02.2026"}, "не дата"),
             ("students-summary", {"to": "01.10.2030"}, "выходит за 2026/2027 учебный год"),
             ("summary-ledger", {}, "Укажите: Класс"),
             ("summary-ledger", {"class": "9Я"}, "Класс «9Я» не найден"),
             ("institution-ledgers", {"year": "1999/2000"}, "Учебный год «1999/2000» не найден"),
             ("class-fill", {"to": "сегодня"}, "не дата"),
             ("movement", {"from": "01.12.2026", "to": "01.11.2026"}, "позже его конца")]
    for name, raw, message in cases:
        with pytest.raises(DomainError) as caught:
            run("a.admin", name, raw)
        assert message in " ".join(caught.value.errors), (name, caught.value.errors)


# -- the reports page ----------------------------------------------------------------------------------------

PAGES = [("a.class_teacher", "summary-ledger", "class=5А", "47,2"),  # russian, 1st quarter, СОУ
         ("a.admin", "institution-ledgers", "", "78,7"),  # 5А russian, 2nd quarter, СОУ
         ("a.deputy", "school-results", "period=2+четверть", "48,6"),
         ("a.director", "class-teachers-summary", "period=2+четверть", "0,67"),
         ("a.admin", "school-progress-summary", "period=2+четверть", "51,8"),
         ("a.admin", "students-summary", "", "малообеспеченная семья"),
         ("a.class_teacher", "students-summary-class", "class=5А", "многодетная семья")]
# «class-fill» and «movement» keep the movement book's own pages at /reports/class-fill/ and /reports/movement/
# (admin_views/movement/views.py); through the registry they are built by the command line (below) and the API.


def test_every_report_opens_on_the_page_and_downloads(school, browser):
    clients = {}
    for login, name, query, visible in PAGES:
        if login not in clients:
            clients[login] = browser()
            clients[login].login(login)
        b = clients[login]
        url = f"/reports/{name}/?year=2026/2027" + (f"&{query}" if query else "")
        page = b.get(url)
        assert page.status_code == 200, (name, page.status_code)
        html = page.get_data(as_text=True)
        assert visible in html and "alert-danger" not in html, name
        if name == "class-teachers-summary":  # the numbers of the hand count, as the screen shows them
            assert '<td class="n">66,7</td>' in html and '<td class="n">0,33</td>' in html
        download = b.get(url + "&format=xlsx")
        assert download.status_code == 200 and download.mimetype == XLSX, name
        openpyxl.load_workbook(io.BytesIO(download.data))
    listing = clients["a.admin"].get("/reports/").get_data(as_text=True)
    for title in ("Сводные ведомости учёта успеваемости (все классы)", "Итоги успеваемости и качества знаний",
                  "Сводный отчёт классных руководителей", "Сводный отчёт об успеваемости по школе",
                  "Наполняемость классов", "Движение учащихся по школе"):
        assert title in listing
    teacher = browser()
    teacher.login("a.teacher")
    assert teacher.get("/reports/school-results/?period=2+четверть").status_code == 404
    assert teacher.get("/reports/institution-ledgers/?format=xlsx").status_code == 404
    assert "Итоги успеваемости и качества знаний" not in teacher.get("/reports/").get_data(as_text=True)
    bad = clients["a.admin"].get("/reports/students-summary/?to=31.02.2026")
    assert bad.status_code == 200 and "не дата" in bad.get_data(as_text=True)


def test_the_command_line_lists_and_builds_the_movement_book_reports(school, app):
    cli = app.test_cli_runner()
    listing = cli.invoke(args=["report", "list"]).output
    for name in ("class-fill", "movement", "institution-ledgers", "students-summary-class"):
        assert name in listing
    result = cli.invoke(args=["report", "run", "class-fill", "--as", "a.hr", "--to", "01.12.2026"])
    assert result.exit_code == 0, result.output
    rows = {r[1]: r for r in json.loads(result.output)["sheets"][0]["blocks"][0]["rows"]}
    assert rows["Всего по школе"][3:6] == [6, 5, 1]  # as counted by hand above
    result = cli.invoke(args=["report", "run", "movement", "--as", "a.admin", "--from", "01.09.2026",
                              "--to", "31.12.2026"])
    assert result.exit_code == 0, result.output
    rows = {r[0]: r for r in json.loads(result.output)["sheets"][0]["blocks"][0]["rows"]}
    assert rows["Всего по школе"] == ["Всего по школе", 6, 1, 0, 1, 0, 2, 1, 0, 1, 1, 5]
    refused = cli.invoke(args=["report", "run", "movement", "--as", "a.teacher"])
    assert refused.exit_code != 0 and "недоступен" in refused.output


# -- the demo school and the demo college ------------------------------------------------------------------------

def build_everything(kind, today, period):
    accounts = create_demo(kind=kind, password="demo-pass-1", today=today)
    db.session.commit()  # as the `demo-data` command's unit of work does
    admin = next(a.login for a in accounts if a.role == "Администратор системы")
    klass = db.session.scalars(select(SchoolClass).order_by(SchoolClass.grade.desc(), SchoolClass.name)).first()
    docs = {}
    for name, raw in (("summary-ledger", {"class": klass.name}), ("institution-ledgers", {}),
                      ("school-results", {"period": period}), ("school-results", {"period": "год"}),
                      ("class-teachers-summary", {"period": period}),
                      ("school-progress-summary", {"period": period}), ("students-summary", {}),
                      ("students-summary-class", {"class": klass.name}), ("class-fill", {}), ("movement", {})):
        doc = build(actor_of(admin), name, raw, today=today)
        assert_xlsx_equals_json(doc)
        docs.setdefault(name, doc)
    return docs


def test_the_demo_school_builds_every_report():
    docs = build_everything("school", D(2026, 11, 22), "1 четверть")
    classes = db.session.scalars(select(SchoolClass.name).order_by(SchoolClass.grade, SchoolClass.name)).all()
    assert [s.name for s in docs["institution-ledgers"].sheets] == classes
    total = rows_by_label(docs["school-results"])["Всего по школе"]
    assert total[2] > 0 and total[10] is not None  # N and успеваемость of the 1st quarter's marks
    # The 1st grade keeps no marks: its ledger says so instead of empty columns.
    first_grade = to_json(docs["institution-ledgers"])["sheets"][0]["blocks"]
    assert any(b.get("text", "").startswith("Отметки не выставляются") for b in first_grade)
    assert rows_by_label(docs["students-summary"])["Всего по школе"][2] > 0


def test_the_demo_college_builds_every_report():
    docs = build_everything("college", D(2027, 2, 15), "1 семестр")
    assert docs["institution-ledgers"].title == "Сводные ведомости учёта успеваемости"
    total = rows_by_label(docs["school-results"])["Всего по техникуму"]
    assert total[2] > 0 and total[10] is not None
    assert table(docs["school-results"])[0][0] == "Группа"
    assert table(docs["class-teachers-summary"])[0][:2] == ["Группа", "Куратор"]
    assert docs["class-teachers-summary"].title == "Сводный отчёт кураторов"
    assert "1 сем." in table(docs["summary-ledger"], block=0)[0]
    assert table(docs["students-summary"], block=0)[0][:5] == ["Курс", "Групп", "Всего", "Юношей", "Девушек"]


def test_the_ledgers_marks_are_period_marks_by_slot(school):
    """reports/data.py period_mark_slots (the ledgers' marks, a list per student and subject) holds the values of
    period_marks (a dictionary per student and subject) in the order of the slots asked for; a slot asked for
    that nobody has (and the marks of a slot not asked for) leave None / nothing."""
    year = db.session.scalars(select(AcademicYear).order_by(AcademicYear.id)).first()
    ids = list(db.session.scalars(select(Student.id)))
    marks = report_data.period_marks(ids, year.id)
    periods = sorted({key for got in marks.values() for key in got if key[0] == "period"})
    assert len(periods) >= 2 and marks
    keys = [periods[1], ("year", 0), ("nobody", 0), ("exam", 0)]  # the first period not asked for
    slots = report_data.period_mark_slots(ids, year.id, keys)
    expected = {pair: [got.get(key) for key in keys] for pair, got in marks.items()
                if any(key in got for key in keys)}
    assert slots == expected and any(values[0] for values in slots.values())
    assert report_data.period_mark_slots([], year.id, keys) == {}
