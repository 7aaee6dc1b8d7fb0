"""A student counts where he was, once; one figure has one value (issue 13.2, 13.3, 13.7).

A small school with movers made through the movement book's orders (services/movement/orders.py), 2nd quarter
05.11–28.12. 5А on 05.11: Учеников, Соседов, Ненаттестов, Уходов, Поздний, Последний; 6Б: Чужов; 5Б empty.
- Чужов comes from 6Б on 20.11 (in mid-period);
- Уходов leaves the school on 01.12 (out mid-period), with entries made after he left (15.12);
- Поздний leaves on 29.12, the day after the period (in 5А on its last day: counted);
- Последний is transferred to 6Б on 28.12, the period's last day (6Б's, not 5А's);
- Соседов is exempt («осв») in Математика, Ненаттестов «н/а».
Every figure below is computed by hand in the comments, then asserted in every report that prints it.
"""
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from models import db
from reports import registry
from reports.render import to_json, to_xlsx
from tests.factories import (actor_of, jr_assignment, jr_attendance, jr_lessons, jr_mark, jr_period_mark, jr_subject,
                             jr_task, make_class, make_student, mv_transfer, mv_withdraw)
from services.journal.diary import diary_period

D = date
TODAY = D(2027, 1, 20)
Q2 = {"period": "2 четверть"}


@pytest.fixture
def movers(world):
    a = world.a
    q2 = a.period
    make_class(a.org, a.year, "5Б", 5)  # empty
    s = {"uchenikov": a.student, "sosedov": a.classmate, "chuzhov": a.stranger,
         "nenattestov": make_student(a.org, a.klass, "Ненаттестов", "Нил"),
         "ukhodov": make_student(a.org, a.klass, "Уходов", "Ульян"),
         "pozdny": make_student(a.org, a.klass, "Поздний", "Пётр"),
         "posledny": make_student(a.org, a.klass, "Последний", "Лев")}
    math, rus = jr_subject(a.org, "Математика"), jr_subject(a.org, "Русский язык")
    m5 = jr_assignment(a.org, a.year, a.klass, a.teacher, math)
    r5 = jr_assignment(a.org, a.year, a.klass, a.class_teacher, rus)
    m6 = jr_assignment(a.org, a.year, a.other_class, a.deputy, math)
    db.session.commit()
    mv_transfer(s["chuzhov"], a.klass, D(2026, 11, 20))
    mv_withdraw(s["ukhodov"], D(2026, 12, 1))
    mv_transfer(s["posledny"], a.other_class, D(2026, 12, 28))
    mv_withdraw(s["pozdny"], D(2026, 12, 29))
    db.session.expire_all()
    M = dict(zip(("10", "25", "15", "28"), jr_lessons(m5, q2, [D(2026, 11, 10), D(2026, 11, 25), D(2026, 12, 15),
                                                                  D(2026, 12, 28)])))
    R = dict(zip(("11", "26"), jr_lessons(r5, q2, [D(2026, 11, 11), D(2026, 11, 26)])))
    S = dict(zip(("12", "21", "28"), jr_lessons(m6, q2, [D(2026, 11, 12), D(2026, 12, 21), D(2026, 12, 28)])))
    jr_lessons(m5, q2, [D(2026, 12, 22)], is_cancelled=True)  # planned, not given
    t = {key: jr_task(lesson, weight=Decimal(2 if key == "25" else 1)) for key, lesson in M.items()}
    jr_mark(t["10"], s["uchenikov"], "4"), jr_mark(t["25"], s["uchenikov"], "3")
    jr_mark(t["25"], s["chuzhov"], "5"), jr_mark(t["15"], s["chuzhov"], "4")
    jr_mark(t["10"], s["pozdny"], "3")
    jr_mark(t["25"], s["ukhodov"], "3"), jr_mark(t["15"], s["ukhodov"], "2")  # the «2» after he left
    jr_mark(t["10"], s["posledny"], "5")
    r = {key: jr_task(lesson, weight=Decimal(1)) for key, lesson in R.items()}
    jr_mark(r["11"], s["uchenikov"], "5"), jr_mark(r["26"], s["sosedov"], "4"), jr_mark(r["11"], s["nenattestov"], "3")
    jr_mark(r["26"], s["chuzhov"], "4")
    o = {key: jr_task(lesson, weight=Decimal(1)) for key, lesson in S.items()}
    jr_mark(o["12"], s["chuzhov"], "2")  # in 6Б, before he came to 5А
    jr_mark(o["21"], s["posledny"], "5")  # in 6Б's journal before he came: outside his stay
    jr_mark(o["28"], s["posledny"], "3")
    jr_attendance(R["26"], s["uchenikov"], "оп")
    jr_attendance(M["10"], s["nenattestov"], "н"), jr_attendance(M["25"], s["nenattestov"], "н")
    jr_attendance(M["28"], s["chuzhov"], "б"), jr_attendance(S["12"], s["chuzhov"], "н")
    jr_attendance(M["28"], s["pozdny"], "н")
    jr_attendance(M["10"], s["ukhodov"], "н"), jr_attendance(M["15"], s["ukhodov"], "н")  # the 2nd after he left
    jr_attendance(M["15"], s["posledny"], "у"), jr_attendance(S["28"], s["posledny"], "н")
    marks = {"uchenikov": ("4", "5"), "sosedov": ("осв", "4"), "nenattestov": ("н/а", "3"), "chuzhov": ("5", "4"),
             "ukhodov": ("3", "3"), "pozdny": ("4", "4"), "posledny": ("5", "5")}
    for key, (mm, rr) in marks.items():
        jr_period_mark(s[key], math, q2, mm)
        jr_period_mark(s[key], rus, q2, rr)
    db.session.commit()
    world.s, world.math = s, math
    return world


def run(name, raw, login="a.admin"):
    return registry.build(actor_of(login), name, raw, today=TODAY)


def tables(doc, sheet=0):
    return [b for b in to_json(doc)["sheets"][sheet]["blocks"] if b["type"] == "table"]


def cell(t, label, column, label_col=0):
    """The value in the row labelled `label` under the column titled `column`."""
    row = next(r for r in t["rows"] if r[label_col] == label)
    return row[t["columns"].index(column)]


def by_title(doc, title, sheet=0):
    return next(t for t in tables(doc, sheet) if t["title"] == title)


# The 5А set at 28.12: Учеников, Соседов, Ненаттестов, Чужов, Поздний (not Уходов, who left; not Последний,
# in 6Б on the last day).
# Математика period marks 4, осв, н/а, 5, 4 → N 4 (осв out, н/а in): успеваемость 3/4 = 75.0,
#   качество 3/4 = 75.0, СОУ (100 + 2·64 + 7)/4 = 235/4 = 58.75 → 58.8.
# Средний балл, 5А's own lessons within each stay: Учеников 4·1 + 3·2 = 10/3; Чужов 5·2 + 4·1 = 14/3 (his 6Б «2»
#   is 6Б's); Поздний 3·1 = 3/1 → 27/7 = 3.857 → 3.86 (Уходов and Последний are not in the set).
MATH_5A = {"Успеваемость, %": 75.0, "Качество знаний, %": 75.0, "СОУ, %": 58.8, "Средний балл": 3.86}
# All subjects: worst marks (4,5)→4, (осв,4)→4, (н/а,3)→н/а, (5,4)→4, (4,4)→4 → N 5: 4/5 = 80.0, 80.0,
#   (4·64 + 7)/5 = 263/5 = 52.6; средний балл: Русский 5 + 4 + 3 + 4 = 16/4 → (27 + 16)/(7 + 4) = 43/11 = 3.91.
ALL_5A = {"Успеваемость, %": 80.0, "Качество знаний, %": 80.0, "СОУ, %": 52.6, "Средний балл": 3.91}
# 6Б at 28.12: Последний only — «5»: 100/100/100; средний балл 3·1 (28.12; his «5» of 21.12 was before he came).
MATH_6B = {"Успеваемость, %": 100.0, "Качество знаний, %": 100.0, "СОУ, %": 100.0, "Средний балл": 3.0}
# Missed lessons of the 5А set on 5А's lessons: Ненаттестов «н» ×2, Чужов «б» 28.12 (not his 6Б «н»), Поздний «н»
# 28.12 → 4 missed, 1 ill, 0 excused, 3 without reason; late: Учеников «оп» → 1. (Уходов: not in the set;
# Последний's «у» of 15.12 was in 5А, his set is 6Б's.) 6Б: Последний's «н» of 28.12 → 1, 0, 0, 1, 0.
MISSED_5A = [4, 1, 0, 3, 1]
MISSED_6B = [1, 0, 0, 1, 0]


def test_the_class_reports_counted_by_hand(movers):
    results = tables(run("class-results", {"class": "5А", **Q2}))[0]
    assert results["rows"][0][:12] == ["Математика", "Учителев Т. П.", 5, 4, 1, 2, 0, 0, 1, 0, 1, 0]
    for column, value in MATH_5A.items():
        assert cell(results, "Математика", column) == value, column
        assert cell(results, "Итого по всем предметам", column) == ALL_5A[column], column
    period = run("class-period-report", {"class": "5А", **Q2})
    # On 05.11: six; Чужов arrived; Уходов and Последний left → 6 + 1 − 2 = 5 on 28.12 (Поздний still in).
    assert by_title(period, "Ученики: движение")["rows"] == [[6, 1, 2, 5]]
    progress = by_title(period, "Успеваемость по всем предметам")
    assert progress["rows"] == [[5, 5, 0, 4, 0, 0, 0, 1, 0, 0, 80.0, 80.0, 52.6]]
    assert by_title(period, "Пропущено уроков за период")["rows"] == [MISSED_5A]
    # The attendance report over the quarter: Уходов's row has his «н» of 10.11 only (not 15.12, after he left),
    # Чужов's only 5А's; the total is the set's.
    attendance = tables(run("class-attendance", {"class": "5А", "from": "05.11.2026", "to": "28.12.2026"}))[0]
    named = {r[1].split()[0]: r[3:] for r in attendance["rows"]}
    assert named["Уходов"] == [1, 0, 0, 1, 0] and named["Чужов"] == [1, 1, 0, 0, 0]
    assert named["Последний"] == [1, 0, 1, 0, 0]
    assert attendance["rows"][-1][3:] == MISSED_5A
    ledger = tables(run("class-attendance-ledger", {"class": "5А", "from": "05.11.2026", "to": "28.12.2026"}))[0]
    assert ledger["rows"][-1][-5:] == MISSED_5A
    assert {r[1].split()[0]: r[-5:] for r in ledger["rows"]}["Уходов"] == [1, 0, 0, 1, 0]
    # The preliminary report: Чужов (came 20.11) with his 5А marks: Математика 14/3 = 4.67 → 5, Русский 4 (26.11);
    # nobody at risk for lessons before he came.
    prelim = run("class-preliminary", {"class": "5А", **Q2, "to": "28.12.2026"})
    rows = {r[1].split()[0]: r[2:] for r in tables(prelim)[0]["rows"]}
    assert rows["Чужов"] == [4.67, "5", 4.0, "4"]
    assert rows["Средний"] == [3.86, "", 4.0, ""]
    assert "Чужов" not in str(by_title(prelim, "Ученики группы риска")["rows"])


def test_one_figure_has_one_value_in_every_report(movers):
    """Class × subject × period: средний балл, успеваемость, качество, СОУ and missed lessons are the same
    in every report that prints them."""
    results = tables(run("class-results", {"class": "5А", **Q2}))[0]
    six_results = tables(run("class-results", {"class": "6Б", **Q2}))[0]
    progress = run("school-progress-summary", Q2)
    titles = ("Успеваемость, %", "Качество знаний, %", "СОУ, %", "Средний балл")
    for n, title in enumerate(titles):
        sheet = tables(progress, n)[0]
        assert cell(sheet, "5А", "Математика") == MATH_5A[title] == cell(results, "Математика", title), title
        assert cell(sheet, "5А", "Все предметы") == ALL_5A[title], title
        assert cell(sheet, "6Б", "Математика") == MATH_6B[title] == cell(six_results, "Математика", title), title
    subject = tables(run("subject-results", {"subject": "Математика", **Q2}))[0]
    teacher = tables(run("teacher-report", {"teacher": str(movers.a.teacher.id), **Q2}))[0]
    for title in titles:
        assert cell(subject, "5А", title) == MATH_5A[title], title
        assert cell(subject, "6Б", title) == MATH_6B[title], title
        assert cell(teacher, "5А", title) == MATH_5A[title], title
    # Lessons planned vs given: 10.11, 25.11, 15.12, 22.12 (cancelled), 28.12 → 5 planned, 4 given.
    assert cell(teacher, "5А", "Уроков по плану") == 5 and cell(teacher, "5А", "Проведено уроков") == 4
    ledger = run("summary-ledger", {"class": "5А"})
    figs = tables(ledger)[1]
    assert [cell(figs, title, "2 ч.", label_col=1) for title in titles[:3]] == [MATH_5A[t] for t in titles[:3]]
    school = tables(run("school-results", Q2))[0]
    summary = tables(run("class-teachers-summary", Q2))[0]
    for title in titles[:3]:
        assert cell(school, "5А", title) == ALL_5A[title] == cell(summary, "5А", title), title
        assert cell(school, "5Б", title) is None  # the empty class: nothing to divide
    row = next(r for r in summary["rows"] if r[0] == "5А")
    assert row[2:6] == [6, 1, 2, 5] and row[-6:-3] == [MISSED_5A[0], MISSED_5A[1], MISSED_5A[3]]
    assert next(r for r in summary["rows"] if r[0] == "6Б")[-6:-3] == [MISSED_6B[0], MISSED_6B[1], MISSED_6B[3]]
    # The student's reports: his class's average is the class results' one; «За год» does not depend on --by.
    chuzhov = str(movers.s["chuzhov"].id)
    average = tables(run("student-average", {"student": chuzhov, **Q2}))[0]
    assert cell(average, "Математика", "Средний балл класса") == MATH_5A["Средний балл"]
    assert cell(average, "По всем предметам", "Средний балл класса") == ALL_5A["Средний балл"]
    # His own: every class he was in, within his stays — 5А 14/3 and 6Б's «2» of 12.11 → 16/4 = 4.00.
    assert cell(average, "Математика", "Средний балл ученика") == 4.0
    by_period = tables(run("student-dynamics", {"student": chuzhov, "by": "period"}))[0]
    by_month = tables(run("student-dynamics", {"student": chuzhov, "by": "month"}))[0]
    assert cell(by_period, "Класс: все предметы", "2 четверть") == ALL_5A["Средний балл"]
    for label in ("Математика", "Русский язык", "Ученик: все предметы", "Класс: все предметы"):
        assert cell(by_period, label, "За год") == cell(by_month, label, "За год"), label
    assert cell(by_period, "Математика", "За год") == 4.0


# -- the JSON holds what the sheet shows, cell for cell --------------------------------------------------

def _norm(value):
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, (int, float, Decimal)):
        return f"{float(value):.4f}"
    text = str(value)
    if re.fullmatch(r"-?\d+,\d+", text):
        return f"{float(text.replace(',', '.')):.4f}"
    return text


def _filled(values):
    return [_norm(v) for v in values if v not in (None, "")]


def json_cells(data, sheet):
    """The sheet's non-empty cells in reading order, from the JSON alone."""
    rows = [[data["organization"]], [data["title"]]] + [[f"{k}: {v}"] for k, v in data["parameters"].items()]
    for block in sheet["blocks"]:
        if block["type"] == "table":
            rows += ([[block["title"]]] if block["title"] else []) + block["header"] + block["rows"]
        elif block["type"] == "text":
            rows.append([block["text"]])
        elif block["type"] == "chart":
            rows += [[block["title"]], ["", *block["categories"]]]
            rows += [[s["name"], *s["values"]] for s in block["series"]]
        elif block["type"] == "signatures":
            rows += [[label, "", "________________ / " + (name or "________________")]
                     for label, name in block["lines"]]
    return [cells for cells in (_filled(r) for r in rows) if cells]


def xlsx_cells(ws):
    return [cells for cells in (_filled(r) for r in ws.iter_rows(values_only=True)) if cells]


def every_report(movers):
    a = movers.a
    raw = {"class": "5А", "period": "2 четверть", "student": str(movers.s["chuzhov"].id), "subject": "Математика",
           "teacher": str(a.teacher.id), "from": "05.11.2026", "to": "28.12.2026", "by": "month"}
    for name, rdef in registry.REGISTRY.items():
        yield name, run(name, {k: v for k, v in raw.items() if k in rdef.params})


def test_the_json_holds_every_cell_of_the_workbook(movers):
    checked = set()
    for name, doc in every_report(movers):
        data = to_json(doc)
        book = openpyxl.load_workbook(io.BytesIO(to_xlsx(doc).bytes()))
        assert [ws.title for ws in book.worksheets] == [s["name"] for s in data["sheets"]], name
        for ws, sheet in zip(book.worksheets, data["sheets"]):
            cells = xlsx_cells(ws)
            assert len(cells) > 3 and cells == json_cells(data, sheet), (name, ws.title)
        checked.add(name)
    assert checked == set(registry.REGISTRY)
    # the header rows the JSON lacked: the ledger's months, the preliminary report's subjects
    ledger = next(doc for name, doc in every_report(movers) if name == "class-attendance-ledger")
    assert tables(ledger)[0]["header"][0][:4] == ["", None, None, "Ноябрь"]



def test_the_diary_shows_a_movers_marks_where_he_was(movers):
    a, s = movers.a, movers.s
    db.session.expire_all()
    # Чужов: 6Б's «2» (12.11, weight 1) and 5А's «5» (weight 2), «4» → 16/4 = 4.00 as «Средний балл ученика»;
    # missed: 6Б's «н» of 12.11 and 5А's «б» of 28.12.
    math = {x.name: x for x in diary_period(s["chuzhov"], a.period, a.org)}["Математика"]
    assert [m.value for _, m in math.marks] == ["2", "5", "4"] and math.average == Decimal("4.00")
    assert math.missed == 2
    # Последний: 5А's «5» (10.11) and 6Б's «3» (28.12), not the «5» in 6Б's journal from before he came.
    math = {x.name: x for x in diary_period(s["posledny"], a.period, a.org)}["Математика"]
    assert [m.value for _, m in math.marks] == ["5", "3"]
