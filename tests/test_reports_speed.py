"""The reports' speed work of issue 20 (item 4) changes no output: the loaders read less (one period's
marks, the sets' ids, the taught subjects without their teachers), the figures function counts by table
lookups, the cyclic garbage collector is paused while a report is built and written. Here: the loaders
return what the reports counted before, the figures function's categories stay those of the SPEC, the
pause is balanced, the report card's statements are counted, and the whole institution's ledgers are the
same workbook cell for cell whichever way their marks are read."""
import gc
import io
from datetime import date

import openpyxl
import pytest

from reports import data, registry, render, xlsx
from services.journal import figures as F
from tests.factories import actor_of
from tests.querycount import count_queries

TODAY = date(2026, 11, 20)


def build(login, name, raw):
    return registry.build(actor_of(login), name, raw, today=TODAY)


# -- the figures function -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,category", [
    ("5", "5"), ("4", "4"), ("3", "3"), ("2", "2"), ("1", "2"), ("н/а", "н/а"), ("зач", "зач"),
    ("незач", "незач"), ("осв", "осв"), (None, None), ("", None), ("  ", None), (" 5 ", "5"), (4, "4"),
    ("x", None), ("5+", None)])
def test_a_marks_category_stored_or_not_as_stored(value, category):
    assert F.mark_category(value) == category


def test_a_students_category_is_his_worst_mark():
    assert F.student_category(["5", "5 ", 5]) == "5"
    assert F.student_category(["5", "4", "зач"]) == "4"
    assert F.student_category(["5", "незач"]) == "2"  # «незач» counts with «2» ...
    assert F.student_category(["незач", "н/а", "3"]) == "н/а"  # ... and «н/а» is worse still
    assert F.student_category(["1", "3"]) == "2"
    assert F.student_category(["зач", "осв"]) == "зач"
    assert F.student_category(["осв", None, ""]) == "осв"
    assert F.student_category([None, "", " "]) is None
    assert F.student_category([]) is None


def test_the_figures_function_counts_every_category():
    one = F.figures({1: "5", 2: "4", 3: " 3", 4: "1", 5: "н/а", 6: "зач", 7: "незач", 8: "осв", 9: None, 10: ""})
    assert (one.students, one.n5, one.n4, one.n3, one.n2, one.n_na, one.n_pass, one.n_fail, one.n_exempt,
            one.n_none) == (10, 1, 1, 1, 1, 1, 1, 1, 1, 2)
    over = F.figures({1: ["5", "5"], 2: ["5", "4"], 3: ["3", "незач"], 4: ["н/а", "5"], 5: ["осв"], 6: []},
                     all_subjects=True)
    assert (over.students, over.n5, over.n4, over.n3, over.n2, over.n_na, over.n_exempt, over.n_none) == \
        (6, 1, 1, 0, 1, 1, 1, 1)
    assert (over.N, over.success, over.quality) == (4, 50, 50)


# -- the pause of the collector ---------------------------------------------------------------------------------

def test_the_collector_is_paused_while_a_report_is_written_and_resumes_after(report_school, monkeypatch):
    assert gc.isenabled()
    with xlsx.paused_gc():
        assert not gc.isenabled()
        with xlsx.paused_gc():  # nested (a build inside a job): still paused after the inner one
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), xlsx.paused_gc():
        1 / 0
    assert gc.isenabled()

    seen = []
    write_sheet = render._write_sheet
    monkeypatch.setattr(render, "_write_sheet", lambda *a: (seen.append(gc.isenabled()), write_sheet(*a)))
    doc = build("a.class_teacher", "student-report-card", {"student": "Учеников"})
    render.to_xlsx(doc).bytes()
    assert seen == [False] and gc.isenabled()


# -- the loaders ----------------------------------------------------------------------------------------------

def test_one_periods_marks_by_a_select_of_the_classes_members_are_those_of_the_ids(report_school):
    a = report_school
    start, end = a.p2.start_date, a.p2.end_date
    sets = data.class_sets([a.klass.id, a.other_class.id], start, end)
    everything = data.period_marks(sets.ids(), a.year.id)
    key = ("period", a.p2.id)
    only = data.period_marks(data.members([a.klass.id, a.other_class.id], start, end), a.year.id, key=key)
    assert only and all(list(slots) == [key] for slots in only.values())
    expected = {pair: slots[key] for pair, slots in everything.items() if key in slots}
    assert {pair: slots[key] for pair, slots in only.items() if pair[0] in sets.ids()} == expected
    # the sets without the students' cards: the same students in the same order, with the same days
    light = data.class_sets([a.klass.id, a.other_class.id], start, end, names=False)
    for class_id, entries in sets.rosters.items():
        assert [(e.student_id, e.ranges, e.leave_ranges) for e in entries] == \
            [(e.student_id, e.ranges, e.leave_ranges) for e in light.rosters[class_id]]
    assert light.sets() == sets.sets()
    with pytest.raises(AttributeError):
        light.rosters[a.klass.id][0].student.last_name  # noqa: B018 — no card behind it: it fails loudly


def test_the_report_card_reads_seven_statements(report_school):
    actor = actor_of("a.class_teacher")
    with count_queries() as seen:
        registry.build(actor, "student-report-card", {"student": "Учеников"}, today=TODAY)
    # the parameters (year, periods, class, student), his classes with their teachers, his period marks,
    # the subjects taught — no teachers of them, no roles of the class teacher
    assert len(seen) <= 7, seen
    assert not [s for s in seen if "staff_role" in s], seen


def test_the_institutions_ledgers_are_the_same_workbook(report_school, monkeypatch):
    """The whole institution's ledgers read their marks by a SELECT of the classes' members; read by the
    list of the rosters' ids (as before) the workbook is the same, cell for cell with its formats."""
    def cells(doc):
        book = openpyxl.load_workbook(io.BytesIO(render.to_xlsx(doc).bytes()))
        return [(ws.title, c.coordinate, c.value, c.number_format, c.font.b, c.border.left.style)
                for ws in book.worksheets for row in ws.iter_rows() for c in row]

    now = cells(build("a.admin", "institution-ledgers", {}))
    members = data.members
    monkeypatch.setattr(data, "members", lambda ids, start, end: [
        sid for (sid,) in data.db.session.execute(members(ids, start, end))])
    assert cells(build("a.admin", "institution-ledgers", {})) == now
    assert any(value in ("4", "5") for _, _, value, *_ in now)
