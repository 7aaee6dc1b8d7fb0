"""The class teacher's reports (issue 6, reports/class_reports.py), counted by hand on a small class:
5А with seven students over the 2nd quarter — Соседов moves to 6Б on 20.11 (greyed, not counted),
Чужов comes from 6Б on 16.11 — three subjects (Математика, Русский язык and «=Риторика», a name that
must stay text in the workbook), period marks with «осв» and «н/а», task marks with weights,
absences of every kind. Every number below is worked out in the comments, never copied from output."""
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from models import Period, Role, db
from reports import document, registry
from reports.render import to_json, to_xlsx
from services.errors import DomainError, PermissionDenied
from tests.factories import (actor_of, jr_assignment, jr_attendance, jr_lessons, jr_mark, jr_period_mark,
                             jr_subject, jr_task, make_class, make_staff, make_student, mv_transfer)
from tests.querycount import count_queries
from tests.factories import ro_year_mark
from models import SchoolClass, User
from services.context import Actor
from services.demo.school import create_demo

D = date
TODAY = D(2026, 11, 25)
NAMES = {
    "alekseev": "Алексеев Антон Иванович", "borisova": "Борисова Вера Ивановна", "vasiliev": "Васильев Глеб Иванович",
    "grigoriev": "Григорьев Дмитрий Иванович", "sosedov": "Соседов Семён Иванович",
    "uchenikov": "Учеников Пётр Иванович", "chuzhov": "Чужов Игорь Иванович",
}


def girl(org, klass, last, first):
    card = make_student(org, klass, last, first)
    card.sex, card.middle_name = "f", "Ивановна"
    db.session.flush()
    return card


@pytest.fixture
def school(world):
    a = world.a
    db.session.add(Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=1, name="1 четверть",
                          start_date=D(2026, 9, 1), end_date=D(2026, 10, 27)))
    db.session.flush()
    q1 = db.session.scalar(select(Period).where(Period.year_id == a.year.id, Period.number == 1))
    q2 = a.period
    # The class teacher of 6Б (the other class): he must not reach 5А.
    a.other_ct = make_staff(a.org, "Другов", "Олег", [Role.TEACHER.value], "a.other_ct")
    a.other_class.class_teacher_id = a.other_ct.id
    s = {"uchenikov": a.student, "sosedov": a.classmate, "chuzhov": a.stranger,
         "alekseev": make_student(a.org, a.klass, "Алексеев", "Антон"),
         "borisova": girl(a.org, a.klass, "Борисова", "Вера"),
         "vasiliev": make_student(a.org, a.klass, "Васильев", "Глеб"),
         "grigoriev": make_student(a.org, a.klass, "Григорьев", "Дмитрий")}
    math, rus, rhet = jr_subject(a.org, "Математика"), jr_subject(a.org, "Русский язык"), jr_subject(a.org, "=Риторика")
    am = jr_assignment(a.org, a.year, a.klass, a.teacher, math)
    ar = jr_assignment(a.org, a.year, a.klass, a.teacher, rus)
    jr_assignment(a.org, a.year, a.klass, a.class_teacher, rhet)  # no lessons yet
    om = jr_assignment(a.org, a.year, a.other_class, a.deputy, math)  # 6Б's mathematics
    db.session.commit()
    mv_transfer(s["chuzhov"], a.klass, D(2026, 11, 16))  # arrives in 5А on 16.11
    mv_transfer(s["sosedov"], a.other_class, D(2026, 11, 20))  # leaves 5А on 20.11
    db.session.expire_all()

    october = jr_lessons(am, q1, [D(2026, 10, 15)])[0]
    m = dict(zip(("09", "11", "13", "23", "25"),
                 jr_lessons(am, q2, [D(2026, 11, 9), D(2026, 11, 11), D(2026, 11, 13), D(2026, 11, 23),
                                     D(2026, 11, 25)])))
    r = dict(zip(("10", "12"), jr_lessons(ar, q2, [D(2026, 11, 10), D(2026, 11, 12)])))
    o = dict(zip(("10", "12"), jr_lessons(om, q2, [D(2026, 11, 10), D(2026, 11, 12)])))
    # Task marks. Математика 5А: 09.11 weight 1, 11.11 weight 2, 23.11 weight 1.
    t = jr_task(m["09"], weight=Decimal(1))
    jr_mark(t, s["alekseev"], "5"), jr_mark(t, s["vasiliev"], "3"), jr_mark(t, s["sosedov"], "2")
    t = jr_task(m["11"], "Контрольная работа", weight=Decimal(2))
    jr_mark(t, s["alekseev"], "4"), jr_mark(t, s["grigoriev"], "2"), jr_mark(t, s["uchenikov"], "3")
    t = jr_task(m["23"], weight=Decimal(1))
    jr_mark(t, s["chuzhov"], "4"), jr_mark(t, s["borisova"], "5"), jr_mark(t, s["grigoriev"], "1")
    # Русский язык: 10.11 weight 1, 12.11 weight 1.5; Григорьев and Чужов have no mark.
    t = jr_task(r["10"], weight=Decimal(1))
    jr_mark(t, s["alekseev"], "5"), jr_mark(t, s["borisova"], "4")
    t = jr_task(r["12"], weight=Decimal("1.5"))
    jr_mark(t, s["vasiliev"], "4"), jr_mark(t, s["uchenikov"], "5")
    # Чужов in 6Б before he came: a «2» in 6Б's mathematics (not 5А's), an absence there on 12.11.
    jr_mark(jr_task(o["10"], weight=Decimal(1)), s["chuzhov"], "2")
    jr_attendance(o["12"], s["chuzhov"], "н")
    # Absences in 5А (none on a lesson where the student has a mark, except a late arrival).
    jr_attendance(october, s["alekseev"], "н")  # 1st quarter: only in the ledger
    jr_attendance(m["13"], s["alekseev"], "б"), jr_attendance(r["12"], s["alekseev"], "б")
    jr_attendance(m["25"], s["alekseev"], "н")
    jr_attendance(m["13"], s["borisova"], "у"), jr_attendance(r["12"], s["borisova"], "оп")
    jr_attendance(m["11"], s["sosedov"], "н"), jr_attendance(m["13"], s["sosedov"], "н")
    jr_attendance(m["25"], s["chuzhov"], "н")
    jr_attendance(r["12"], s["uchenikov"], "оп"), jr_attendance(m["23"], s["uchenikov"], "оп")
    # Period marks of the 2nd quarter.
    marks = {"alekseev": ("5", "5", "5"), "borisova": ("5", "4", "осв"), "vasiliev": ("3", "4", "4"),
             "grigoriev": ("2", "3", "3"), "uchenikov": ("н/а", "4", "5"), "chuzhov": ("4", "3", "3"),
             "sosedov": ("2", "2", "2")}
    for key, values in marks.items():
        for subject, value in zip((math, rus, rhet), values):
            jr_period_mark(s[key], subject, q2, value)
    db.session.commit()
    world.s, world.q1, world.subjects = s, q1, (math, rus, rhet)
    return world


def build(login, name, raw, today=TODAY):
    return registry.build(actor_of(login), name, raw, today=today)


def tables(doc):
    return [b for b in to_json(doc)["sheets"][0]["blocks"] if b["type"] == "table"]


def table(doc, title=None, index=0):
    found = [t for t in tables(doc) if title is None or t["title"] == title]
    return found[index]


def rows(t):
    return [list(r) for r in t["rows"]]


# -- 1. Отчёт о посещаемости класса ----------------------------------------------------------------------

def test_class_attendance_counted_by_hand(school):
    doc = build("a.class_teacher", "class-attendance", {"class": "5А"})
    # Default: the current month (today 25.11) — 01.11–30.11.
    assert ("Даты", "с 01.11.2026 по 30.11.2026") in doc.params
    t = table(doc)
    # Алексеев: «б» Мт 13.11, «б» Рус 12.11, «н» Мт 25.11 → 3 missed, 2 ill, 1 without reason (October's «н»
    # is outside the month). Борисова: «у» 13.11 → 1 excused; «оп» 12.11 → 1 late. Соседов: «н» 11.11 and
    # 13.11 → 2 without reason, left on 20.11 (greyed). Учеников: two «оп» → late 2. Чужов: «н» 25.11 in 5А
    # (his «н» of 12.11 was in 6Б, not this class) → 1, arrived 16.11.
    assert rows(t) == [
        [1, NAMES["alekseev"], "", 3, 2, 0, 1, 0],
        [2, NAMES["borisova"], "", 1, 0, 1, 0, 1],
        [3, NAMES["vasiliev"], "", 0, 0, 0, 0, 0],
        [4, NAMES["grigoriev"], "", 0, 0, 0, 0, 0],
        [5, NAMES["sosedov"], "выбыл 20.11", 2, 0, 0, 2, 0],
        [6, NAMES["uchenikov"], "", 0, 0, 0, 0, 2],
        [7, NAMES["chuzhov"], "прибыл 16.11", 1, 0, 0, 1, 0],
        # the class on 30.11 (Соседов, who left, is shown but not in the total — issue 13):
        # 3 + 1 + 1 = 5 missed; ill 2; excused 1; without reason 1 + 1 = 2; late 1 + 2 = 3
        ["", "Итого по классу", "", 5, 2, 1, 2, 3],
    ]
    assert t["styles"][4] == "muted" and t["styles"][-1] == "total"
    assert doc.filename == "poseshchaemost-20261101-20261130-5a" and doc.landscape
    # A range of dates: 01.11–15.11 — Чужов had not come yet, Соседов had not left.
    doc = build("a.class_teacher", "class-attendance", {"class": "5А", "from": "01.11.2026", "to": "15.11.2026"})
    t = table(doc)
    # Алексеев: «б» 12.11 and 13.11 → 2 ill; Борисова 1 excused, 1 late; Соседов 2; Учеников «оп» 12.11 → 1.
    assert rows(t) == [
        [1, NAMES["alekseev"], "", 2, 2, 0, 0, 0],
        [2, NAMES["borisova"], "", 1, 0, 1, 0, 1],
        [3, NAMES["vasiliev"], "", 0, 0, 0, 0, 0],
        [4, NAMES["grigoriev"], "", 0, 0, 0, 0, 0],
        [5, NAMES["sosedov"], "", 2, 0, 0, 2, 0],
        [6, NAMES["uchenikov"], "", 0, 0, 0, 0, 1],
        ["", "Итого по классу", "", 5, 2, 1, 2, 2],  # 2 + 1 + 2 = 5; late 1 + 1 = 2
    ]
    # Only «по»: its month.
    doc = build("a.class_teacher", "class-attendance", {"class": "5А", "to": "20.10.2026"})
    assert ("Даты", "с 01.10.2026 по 20.10.2026") in doc.params
    assert table(doc)["rows"][0] == [1, NAMES["alekseev"], "", 1, 0, 0, 1, 0]  # October's «н»
    assert [s.lines for s in doc.sheets[0].blocks if isinstance(s, document.Signatures)] == [
        [("Классный руководитель", "Классова К. П.")]]


# -- 2. Предварительный отчёт ------------------------------------------------------------------------------

def test_preliminary_report_counted_by_hand(school):
    doc = build("a.class_teacher", "class-preliminary", {"class": "5А", "period": "2 четверть"})
    assert ("Отметки", "с 05.11.2026 по 25.11.2026") in doc.params  # up to today by default
    t = table(doc)
    assert t["columns"][:2] == ["№", "ФИО ученика"]
    # Subjects by name: «=Риторика» (no lessons, no marks), Математика, Русский язык.
    # Алексеев Мт: (5·1 + 4·2) / 3 = 13/3 = 4.33 → 4; Рус 5/1 = 5.00 → 5.
    # Борисова Мт 5 → 5; Рус 4 → 4. Васильев Мт 3 → 3; Рус 4·1.5/1.5 = 4 → 4.
    # Григорьев Мт (2·2 + 1·1) / 3 = 5/3 = 1.67 → 2 (.67 ≥ .50); Рус — no mark though Русский had lessons.
    # Соседов (left 20.11) Мт 2.00 → 2, greyed. Учеников Мт 3·2/2 = 3 → 3; Рус 5·1.5/1.5 = 5 → 5.
    # Чужов Мт 4 (his 6Б «2» is another class's) → 4; Рус none.
    assert rows(t) == [
        [1, NAMES["alekseev"], None, "", 4.33, "4", 5.0, "5"],
        [2, NAMES["borisova"], None, "", 5.0, "5", 4.0, "4"],
        [3, NAMES["vasiliev"], None, "", 3.0, "3", 4.0, "4"],
        [4, NAMES["grigoriev"], None, "", 1.67, "2", None, ""],
        [5, NAMES["sosedov"] + " (выбыл 20.11)", None, "", 2.0, "2", None, ""],
        [6, NAMES["uchenikov"], None, "", 3.0, "3", 5.0, "5"],
        [7, NAMES["chuzhov"] + " (прибыл 16.11)", None, "", 4.0, "4", None, ""],
        # the class (those in it on 25.11): Мт (13 + 5 + 3 + 5 + 6 + 4) / (3 + 1 + 1 + 3 + 2 + 1) = 36/11 = 3.27;
        # Рус (5 + 4 + 6 + 7.5) / (1 + 1 + 1.5 + 1.5) = 22.5/5 = 4.50
        ["", "Средний балл класса", None, "", 3.27, "", 4.5, ""],
    ]
    # Чужов has no Русский mark, but its lessons (10.11, 12.11) were before he came on 16.11: not at risk
    # (issue 13: a mid-period arrival is judged on his own days in the class).
    assert t["styles"] == ["", "", "", "risk", "muted", "", "", "total"]
    risk = table(doc, "Ученики группы риска")
    assert rows(risk) == [[1, NAMES["grigoriev"], "Математика (1,67 → 2); Русский язык (нет отметок)"]]
    # Up to 11.11: Алексеев Мт (5 + 8)/3; Григорьев Мт 2·2/2 = 2.00 → 2; Русский had one lesson (10.11).
    doc = build("a.class_teacher", "class-preliminary", {"class": "5А", "period": "2 четверть", "to": "11.11.2026"})
    assert rows(table(doc))[3] == [4, NAMES["grigoriev"], None, "", 2.0, "2", None, ""]
    # Another rounding threshold: 1.67 with .70 → 1.
    school.a.org.rounding_threshold = Decimal("0.70")
    db.session.commit()
    doc = build("a.class_teacher", "class-preliminary", {"class": "5А", "period": "2 четверть"})
    assert rows(table(doc))[3][4:6] == [1.67, "1"]
    assert "Математика (1,67 → 1)" in rows(table(doc, "Ученики группы риска"))[0][2]
    with pytest.raises(DomainError) as refused:
        build("a.class_teacher", "class-preliminary", {"class": "5А", "period": "2 четверть", "to": "01.12.2027"})
    assert "выходит за 2026/2027 учебный год" in " ".join(refused.value.errors)
    with pytest.raises(DomainError) as refused:
        build("a.class_teacher", "class-preliminary", {"class": "5А", "period": "2 четверть", "to": "20.10.2026"})
    assert "позже его конца 20.10.2026" in " ".join(refused.value.errors)
    with pytest.raises(DomainError) as refused:
        build("a.class_teacher", "class-preliminary", {"class": "5А", "period": "2 четверть", "to": "15.01.2027"})
    assert "Дата «по» 15.01.2027 вне периода «2 четверть» (05.11.2026–28.12.2026)" in refused.value.errors


def test_first_grade_has_no_marks_and_says_so(school):
    a = school.a
    first = make_class(a.org, a.year, "1А", 1, a.class_teacher)
    make_student(a.org, first, "Малышев", "Иван", birth=D(2019, 3, 1))
    db.session.commit()
    for name in ("class-preliminary", "class-results", "class-period-report", "parent-letter"):
        doc = build("a.class_teacher", name, {"class": "1А"})
        texts = [b["text"] for b in to_json(doc)["sheets"][0]["blocks"] if b["type"] == "text"]
        assert any("В 1 классе отметки не выставляются" in t for t in texts), name
        assert not any(b["columns"][0] in ("№", "Предмет") and "Средний балл" in " ".join(b["columns"])
                       for b in tables(doc)), name


# -- 3. Отчёт классного руководителя за период ------------------------------------------------------------

def test_period_report_counted_by_hand(school):
    doc = build("a.class_teacher", "class-period-report", {"class": "5А", "period": "2 четверть"})
    # On 05.11: Алексеев, Борисова, Васильев, Григорьев, Соседов, Учеников = 6; Чужов arrived 16.11 (+1);
    # Соседов left 20.11 (−1); on 28.12: 6 + 1 − 1 = 6.
    assert rows(table(doc, "Ученики: движение")) == [[6, 1, 1, 6]]
    assert rows(table(doc, "Прибыли и выбыли")) == [[NAMES["chuzhov"], "прибыл 16.11"],
                                                   [NAMES["sosedov"], "выбыл 20.11"]]
    # Worst period mark over Мт, Рус, Рит of the six at the end (Соседов's three «2» are not counted):
    # Алексеев 5 5 5 → «5»; Борисова 5 4 осв → «4» (осв neither raises nor lowers); Васильев 3 4 4 → «3»
    # with one «3»; Григорьев 2 3 3 → «2»; Учеников н/а 4 5 → «н/а»; Чужов 4 3 3 → «3» (two «3»).
    # N = 6; успеваемость (1 + 1 + 2) / 6 = 66.7; качество 2/6 = 33.3;
    # СОУ (100 + 64 + 2·36 + 16 + 7) / 6 = 259/6 = 43.17 → 43.2
    progress = table(doc, "Успеваемость по всем предметам")
    assert progress["columns"] == ["Учеников", "N", "Отличники", "Хорошисты", "С «3»", "из них с одной «3»", "С «2»",
                                   "н/а", "осв", "Без отметки", "Успеваемость, %", "Качество знаний, %", "СОУ, %"]
    assert rows(progress) == [[6, 6, 1, 1, 2, 1, 1, 1, 0, 0, 66.7, 33.3, 43.2]]
    assert rows(table(doc, "Отличники")) == [[1, NAMES["alekseev"]]]
    assert rows(table(doc, "Хорошисты")) == [[1, NAMES["borisova"]]]
    assert rows(table(doc, "С одной «3»")) == [[1, NAMES["vasiliev"], "Математика"]]
    assert rows(table(doc, "С «2» и «н/а»")) == [[1, NAMES["grigoriev"], "Математика (2)", ""],
                                                [2, NAMES["uchenikov"], "", "Математика"]]
    # Missed in the quarter (05.11–28.12) by the six in 5А on 28.12, each while in 5А: as the month above —
    # 5, 2, 1, 2, 3 (Соседов's two, who left, are not the class's at the period's end — issue 13).
    assert rows(table(doc, "Пропущено уроков за период")) == [[5, 2, 1, 2, 3]]
    signatures = [b for b in to_json(doc)["sheets"][0]["blocks"] if b["type"] == "signatures"]
    assert signatures[-1]["lines"] == [["Классный руководитель", "Классова К. П."], ["Директор", ""]]


# -- 4. Итоги успеваемости класса ---------------------------------------------------------------------------

def test_class_results_counted_by_hand(school):
    doc = build("a.class_teacher", "class-results", {"class": "5А", "period": "2 четверть"})
    t = table(doc)
    assert t["columns"] == ["Предмет", "Учитель", "Учеников", "N", "«5»", "«4»", "«3»", "«2»", "н/а", "зач", "осв",
                            "Без отметки", "Успеваемость, %", "Качество знаний, %", "СОУ, %", "Средний балл"]
    assert rows(t) == [
        # «=Риторика» 5, осв, 4, 3, 5, 3 → n5 2, n4 1, n3 2, осв 1; N = 5; успеваемость 5/5 = 100.0;
        # качество 3/5 = 60.0; СОУ (200 + 64 + 72) / 5 = 336/5 = 67.2; no task marks → no average.
        ["=Риторика", "Классова К. П.", 6, 5, 2, 1, 2, 0, 0, 0, 1, 0, 100.0, 60.0, 67.2, None],
        # Математика 5, 5, 3, 2, н/а, 4 (Соседов's «2» not counted) → N = 6; успеваемость 4/6 = 66.7;
        # качество 3/6 = 50.0; СОУ (200 + 64 + 36 + 16 + 7) / 6 = 323/6 = 53.83 → 53.8;
        # средний балл 36/11 = 3.27 (Соседов's 2·1 and Чужов's 6Б «2» left out).
        ["Математика", "Учителев Т. П.", 6, 6, 2, 1, 1, 1, 1, 0, 0, 0, 66.7, 50.0, 53.8, 3.27],
        # Русский язык 5, 4, 4, 3, 4, 3 → успеваемость 100.0; качество 4/6 = 66.7;
        # СОУ (100 + 3·64 + 2·36) / 6 = 364/6 = 60.67 → 60.7; средний балл 22.5/5 = 4.50.
        ["Русский язык", "Учителев Т. П.", 6, 6, 1, 3, 2, 0, 0, 0, 0, 0, 100.0, 66.7, 60.7, 4.5],
        # Over all subjects (as the period report): 66.7 / 33.3 / 43.2; средний балл (36 + 22.5) / (11 + 5)
        # = 58.5/16 = 3.656 → 3.66.
        ["Итого по всем предметам", "", 6, 6, 1, 1, 2, 1, 1, 0, 0, 0, 66.7, 33.3, 43.2, 3.66],
    ]
    assert t["styles"][-1] == "total"
    assert doc.filename == "itogi-2-chetvert-5a"


def test_class_results_for_the_year_use_year_marks(school):
    a, s = school.a, school.s
    math = school.subjects[0]
    ro_year_mark(s["alekseev"], math, a.year, "5")
    ro_year_mark(s["borisova"], math, a.year, "4")
    ro_year_mark(s["sosedov"], math, a.year, "2")  # in 6Б at the year's end: not counted in 5А
    db.session.commit()
    doc = build("a.class_teacher", "class-results", {"class": "5А", "period": "год"})
    assert ("Период", "2026/2027 учебный год") in doc.params
    by_subject = {r[0]: r for r in rows(table(doc))}
    # Математика: year marks 5 and 4, four without → N 2; 100.0 / 100.0 / (100 + 64)/2 = 82.0;
    # the average over the whole year: the same task marks (the October lesson has none) → 3.27.
    assert by_subject["Математика"][2:] == [6, 2, 1, 1, 0, 0, 0, 0, 0, 4, 100.0, 100.0, 82.0, 3.27]
    # no year marks: N 0, nothing to divide
    assert by_subject["Русский язык"][3] == 0 and by_subject["Русский язык"][12:15] == [None, None, None]
    assert by_subject["Итого по всем предметам"][2:12] == [6, 2, 1, 1, 0, 0, 0, 0, 0, 4]


# -- 5. Сводная ведомость учёта посещаемости --------------------------------------------------------------

def test_attendance_ledger_counted_by_hand(school):
    doc = build("a.class_teacher", "class-attendance-ledger", {"class": "5А"})
    assert ("Даты", "с 01.09.2026 по 25.11.2026") in doc.params  # the year up to today
    t = table(doc)
    groups = doc.sheets[0].blocks[0].groups
    assert [g for g, _ in groups] == ["", "Сентябрь", "Октябрь", "Ноябрь", "Итого"]
    zero = [0, 0, 0, 0]
    # Per month: all missed, ill, without reason, late; then the totals: missed, ill, excused, unexcused, late.
    assert rows(t) == [
        # Алексеев: October «н» → 1/0/1/0; November «б», «б», «н» → 3/2/1/0; total 4, 2 ill, 0, 2, 0.
        [1, NAMES["alekseev"], "", *zero, 1, 0, 1, 0, 3, 2, 1, 0, 4, 2, 0, 2, 0],
        [2, NAMES["borisova"], "", *zero, *zero, 1, 0, 0, 1, 1, 0, 1, 0, 1],  # «у» is neither ill nor unexcused
        [3, NAMES["vasiliev"], "", *zero, *zero, *zero, 0, 0, 0, 0, 0],
        [4, NAMES["grigoriev"], "", *zero, *zero, *zero, 0, 0, 0, 0, 0],
        [5, NAMES["sosedov"], "выбыл 20.11", *zero, *zero, 2, 0, 2, 0, 2, 0, 0, 2, 0],
        [6, NAMES["uchenikov"], "", *zero, *zero, 0, 0, 0, 2, 0, 0, 0, 0, 2],
        [7, NAMES["chuzhov"], "прибыл 16.11", *zero, *zero, 1, 0, 1, 0, 1, 0, 0, 1, 0],
        # the class on 25.11 (not Соседов): Sep 0; Oct 1/0/1/0; Nov 5/2/(1+1 = 2)/3;
        # total 6 missed, 2 ill, 1 excused, 3 unexcused, 3 late
        ["", "Итого", "", *zero, 1, 0, 1, 0, 5, 2, 2, 3, 6, 2, 1, 3, 3],
    ]
    assert t["styles"][4] == "muted"
    doc = build("a.class_teacher", "class-attendance-ledger", {"class": "5А", "from": "10.10.2026",
                                                               "to": "12.11.2026"})
    groups = doc.sheets[0].blocks[0].groups
    assert [g for g, _ in groups] == ["", "Октябрь", "Ноябрь", "Итого"]
    # Алексеев: October «н»; November up to 12.11 — «б» on 12.11 → 1/1/0/0; total 2, 1, 0, 1, 0.
    assert rows(table(doc))[0] == [1, NAMES["alekseev"], "", 1, 0, 1, 0, 1, 1, 0, 0, 2, 1, 0, 1, 0]


# -- 6. Информационное письмо для родителей -------------------------------------------------------------

def test_parent_letters_one_page_per_student(school):
    doc = build("a.class_teacher", "parent-letter", {"class": "5А", "from": "01.11.2026", "to": "30.11.2026"})
    blocks = doc.sheets[0].blocks
    # Those in 5А on 30.11: six (Соседов left); five page breaks between six letters.
    assert sum(isinstance(b, document.PageBreak) for b in blocks) == 5
    headings = [b.text for b in blocks if isinstance(b, document.Text) and b.style == "heading"]
    assert headings == [f"{NAMES[k]}, класс 5А" for k in
                        ("alekseev", "borisova", "vasiliev", "grigoriev", "uchenikov", "chuzhov")]
    letters = [b.text for b in blocks if isinstance(b, document.Text) and b.text.startswith("Уважаемые родители!")]
    assert letters[0] == ("Уважаемые родители! Сообщаем об успеваемости и посещаемости вашего ребёнка "
                          f"({NAMES['alekseev']}, класс 5А) за период с 01.11.2026 по 30.11.2026.")
    marks = [t for t in tables(doc) if t["title"] == "Успеваемость"]
    absences = [t for t in tables(doc) if t["title"] == "Посещаемость"]
    # Алексеев: Мт 5 (09.11, w 1), 4 (11.11, w 2) → 13/3 = 4.33; Рус 5 → 5.00; absences 3 (2 ill, 1 «н»).
    assert rows(marks[0]) == [["=Риторика", "", None], ["Математика", "5 4", 4.33], ["Русский язык", "5", 5.0]]
    assert rows(absences[0]) == [[3, 2, 0, 1, 0]]
    # Григорьев: Мт 2 (w 2), 1 (w 1) in date order → 5/3 = 1.67.
    assert rows(marks[3])[1] == ["Математика", "2 1", 1.67]
    # Чужов: the letter is about the child — his 6Б mark «2» (10.11) before 5А's «4» (23.11): (2 + 4)/2 = 3.00,
    # and both absences («н» 12.11 in 6Б, «н» 25.11 in 5А).
    assert rows(marks[5])[1] == ["Математика", "2 4", 3.0]
    assert rows(absences[5]) == [[2, 0, 0, 2, 0]]
    signatures = [b.lines for b in blocks if isinstance(b, document.Signatures)]
    assert signatures == [[("Классный руководитель", "Классова К. П.")]] * 6
    assert sum(isinstance(b, document.Text) and b.text.startswith("С письмом ознакомлен(а): ____") for b in blocks) == 6
    # One student.
    doc = build("a.class_teacher", "parent-letter", {"class": "5А", "student": "Борисова Вера",
                                                     "from": "01.11.2026", "to": "30.11.2026"})
    assert ("Ученик", NAMES["borisova"]) in doc.params
    assert not any(isinstance(b, document.PageBreak) for b in doc.sheets[0].blocks)
    assert [rows(t) for t in tables(doc)] == [
        [["=Риторика", "", None], ["Математика", "5", 5.0], ["Русский язык", "4", 4.0]], [[1, 0, 1, 0, 1]]]
    assert "вашего ребёнка (Борисова Вера Ивановна, класс 5А)" in to_json(doc)["sheets"][0]["blocks"][1]["text"]
    # By default: from the start of the period the range ends in (today 25.11 → 05.11–25.11).
    doc = build("a.class_teacher", "parent-letter", {"class": "5А", "student": str(school.s["alekseev"].id)})
    assert ("Даты", "с 05.11.2026 по 25.11.2026") in doc.params


def test_parent_letter_refuses_a_student_of_another_class(school):
    a = school.a
    other = make_student(a.org, a.other_class, "Другой", "Денис")
    db.session.commit()
    for login in ("a.class_teacher", "a.admin"):
        for raw in ({"student": str(other.id)}, {"student": "Другой Денис"}):
            with pytest.raises(DomainError) as refused:
                build(login, "parent-letter", {"class": "5А", **raw})
            assert "не найден" in " ".join(refused.value.errors), (login, raw)
    # Соседов was in 5А in November but not on the range's end: his letter is for the dates he was there.
    doc = build("a.admin", "parent-letter", {"class": "5А", "student": "Соседов", "from": "01.11.2026",
                                            "to": "19.11.2026"})
    assert rows(tables(doc)[1]) == [[2, 0, 0, 2, 0]]


# -- every report: an empty class, permissions, the workbook, statements, the page --------------------------

REPORTS = (("class-attendance", {}), ("class-preliminary", {"period": "2 четверть"}),
           ("class-period-report", {"period": "2 четверть"}), ("class-results", {"period": "2 четверть"}),
           ("class-attendance-ledger", {}), ("parent-letter", {}))


def test_an_empty_class_builds_every_report(school):
    a = school.a
    make_class(a.org, a.year, "7В", 7, a.class_teacher)
    db.session.commit()
    docs = {name: build("a.class_teacher", name, {"class": "7В", **raw}) for name, raw in REPORTS}
    assert rows(table(docs["class-attendance"])) == [["", "Итого по классу", "", 0, 0, 0, 0, 0]]
    assert rows(table(docs["class-period-report"], "Ученики: движение")) == [[0, 0, 0, 0]]
    assert rows(table(docs["class-period-report"], "Успеваемость по всем предметам")) == [
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, None, None]]  # N = 0: nothing to divide
    assert rows(table(docs["class-results"])) == [
        ["Итого по всем предметам", "", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, None, None, None]]
    for name, doc in docs.items():
        texts = [b["text"] for b in to_json(doc)["sheets"][0]["blocks"] if b["type"] == "text"]
        if name != "class-period-report":
            assert "Класс 7В: обучающихся за выбранные даты нет" in texts, name
        to_xlsx(doc).bytes()


def test_who_may_build_the_class_reports(school):
    a = school.a
    for name, raw in REPORTS:
        raw = {"class": "5А", **raw}
        for login in ("a.class_teacher", "a.teacher", "a.deputy", "a.director", "a.admin"):
            assert build(login, name, raw).name == name  # the class teacher, a teacher of the class, admin
        with pytest.raises(DomainError) as refused:
            build("a.other_ct", name, raw)  # the class teacher of 6Б
        assert "Класс «5А» не найден" in " ".join(refused.value.errors)
        for login in ("a.parent", "a.student", "a.hr"):
            with pytest.raises(PermissionDenied):
                build(login, name, raw)
        with pytest.raises(DomainError) as refused:
            build("b.admin", name, {**raw, "class": str(a.klass.id)})  # org B cannot see org A's class
        assert "не найден" in " ".join(refused.value.errors)
    # The class teacher of 6Б sees his own class.
    assert build("a.other_ct", "class-results", {"class": "6Б", "period": "2 четверть"}).params[1] == ("Класс", "6Б")


def xlsx_rows(doc):
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(doc).bytes()))
    ws = book.worksheets[0]
    return ws, [tuple(c.value for c in row) for row in ws.iter_rows()]


def blank(value):
    return None if value in ("", None) else value


def test_the_workbook_carries_the_json_values(school):
    for name, raw in REPORTS:
        doc = build("a.class_teacher", name, {"class": "5А", **raw})
        ws, sheet_rows = xlsx_rows(doc)
        # A letter prints portrait, a page per student (issue 15.9); the tables landscape.
        assert ws.page_setup.orientation == ("portrait" if name == "parent-letter" else "landscape")
        assert sheet_rows[0][0] == "Организация A" and sheet_rows[1][0] == doc.title
        written = {tuple(blank(v) for v in r) for r in sheet_rows}
        checked = 0
        for t in tables(doc):
            for r in t["rows"]:
                expected = tuple(blank(v) for v in r)
                assert any(w[:len(expected)] == expected for w in written), (name, r)
                checked += 1
        assert checked, name
        cells = [c for row in ws.iter_rows() for c in row if c.value == "=Риторика"]
        if name in ("class-results", "parent-letter"):
            assert cells and all(c.data_type == "s" for c in cells), name  # text, never a formula
        labels = [r[0] for r in sheet_rows]
        assert "Классный руководитель" in labels, name


def measure(login, name, raw):
    db.session.expire_all()
    actor = actor_of(login)
    with count_queries() as statements:
        registry.build(actor, name, raw, today=TODAY)
    return len(statements)


def test_statements_do_not_grow_with_students_or_subjects(school):
    a = school.a
    before = {name: measure("a.class_teacher", name, {"class": "5А", **raw}) for name, raw in REPORTS}
    # Three more students and two more subjects, each with lessons, marks, absences and period marks.
    extra = [make_student(a.org, a.klass, last, "Павел") for last in ("Дальнев", "Егоров", "Жуков")]
    for subject_name in ("История", "География"):
        subject = jr_subject(a.org, subject_name)
        lessons = jr_lessons(jr_assignment(a.org, a.year, a.klass, a.teacher, subject), a.period,
                             [D(2026, 11, 17), D(2026, 11, 18)])
        task = jr_task(lessons[0], weight=Decimal(1))
        for student in extra + [school.s["alekseev"]]:
            jr_mark(task, student, "4")
            jr_attendance(lessons[1], student, "б")
            jr_period_mark(student, subject, a.period, "4")
    db.session.commit()
    after = {name: measure("a.class_teacher", name, {"class": "5А", **raw}) for name, raw in REPORTS}
    assert after == before
    assert max(before.values()) <= 15, before  # resolving the parameters included


def test_the_reports_page_shows_and_downloads_each_report(school, browser):
    b = browser()
    b.login("a.class_teacher")
    index = b.get("/reports/").get_data(as_text=True)
    pages = {
        "class-attendance": ("from=01.11.2026&to=30.11.2026", "Итого по классу"),
        "class-preliminary": ("period=2+четверть&to=25.11.2026", "4,33"),
        "class-period-report": ("period=2+четверть", "43,2"),
        "class-results": ("period=2+четверть", "53,8"),
        "class-attendance-ledger": ("from=01.09.2026&to=25.11.2026", "Ноябрь"),
        "parent-letter": ("from=01.11.2026&to=30.11.2026", "Уважаемые родители!"),
    }
    for name, (query, visible) in pages.items():
        assert f"/reports/{name}/" in index, name
        page = b.get(f"/reports/{name}/?class=5А&{query}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and visible in html, name
        xlsx = b.get(f"/reports/{name}/?class=5А&{query}&format=xlsx")
        assert xlsx.status_code == 200 and xlsx.headers["Content-Disposition"].endswith(".xlsx"), name
        openpyxl.load_workbook(io.BytesIO(xlsx.data))
    bad = b.get("/reports/class-preliminary/?class=5А&period=2+четверть&to=40.11.2026")
    assert bad.status_code == 200 and "не дата" in bad.get_data(as_text=True)
    parent = browser()
    parent.login("a.parent")
    assert parent.get("/reports/class-results/?class=5А").status_code in (403, 404)


# -- the demo school and the demo college ----------------------------------------------------------------

def build_every_report_on_the_demo(kind):
    today = D(2026, 11, 22)
    accounts = create_demo(kind=kind, password="demo-pass-1", today=today)
    db.session.commit()  # as the `demo-data` command's unit of work does
    logins = {acc.role: acc.login for acc in accounts}
    admin = Actor.for_user(db.session.scalar(select(User).where(User.login == logins["Администратор системы"])))
    classes = db.session.scalars(select(SchoolClass).order_by(SchoolClass.grade, SchoolClass.name)).all()
    built = []
    for klass in classes:
        for name, _ in REPORTS:
            for raw in ({}, {"period": "год"}) if name in ("class-results", "class-period-report") else ({},):
                doc = registry.build(admin, name, {"class": klass.name, **raw}, today=today)
                to_xlsx(doc).bytes()
                built.append(to_json(doc))
    ct_login = logins["Куратор" if kind == "college" else "Классный руководитель"]
    class_teacher = Actor.for_user(db.session.scalar(select(User).where(User.login == ct_login)))
    own = db.session.get(SchoolClass, class_teacher.own_class_ids[0])
    for name, _ in REPORTS:
        built.append(to_json(registry.build(class_teacher, name, {"class": own.name}, today=today)))
    return built


def test_the_demo_school_builds_every_report():
    built = build_every_report_on_the_demo("school")
    results = [d for d in built if d["report"] == "class-results" and d["parameters"]["Класс"] == "5А"]
    total = results[0]["sheets"][0]["blocks"][0]["rows"][-1]
    assert total[0] == "Итого по всем предметам" and total[2] > 0
    assert any(d["title"] == "Отчёт классного руководителя за учебный период" for d in built)


def test_the_demo_college_builds_every_report_in_its_words():
    built = build_every_report_on_the_demo("college")
    titles = {d["title"] for d in built}
    assert {"Итоги успеваемости группы за учебный период", "Отчёт о посещаемости группы",
            "Отчёт куратора за учебный период", "Предварительный отчёт куратора за семестр"} <= titles
    results = next(d for d in built if d["report"] == "class-results")
    assert "Группа" in results["parameters"] and "Семестр" in results["parameters"]
    assert results["sheets"][0]["blocks"][0]["columns"][:2] == ["Дисциплина", "Преподаватель"]
    assert ["Куратор"] == [line[0] for line in results["sheets"][0]["blocks"][-1]["lines"][:1]]
    assert results["sheets"][0]["blocks"][0]["rows"][-1][0] == "Итого по всем дисциплинам"
