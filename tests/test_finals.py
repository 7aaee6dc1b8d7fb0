"""Final marks end to end (issue 13.1): the «Итоговые отметки» page of a class and subject, the suggested
year mark, who may set year / exam / final marks (SPEC §3 rule 4), the lock they put on the marks under
them, version conflicts, a college's exam results against the exam-session timetable, the repeaters of
the year-transfer draft, and the ledgers that print them."""
import re
from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import AuditLog, ExamEntry, ExamResult, PeriodMark, SchoolClass, Staff, db
from reports.registry import build
from reports.render import to_json
from services.journal import finals
from services.movement import year_transfer
from services.context import Actor
from services.errors import DomainError, PermissionDenied
from services.journal.payload import VersionConflict
from services.journal.period_marks import set_period_mark
from tests.factories import (ORDER_DATE, actor_of, mv_actor,
                             next_year, ro_college)
from tests.helpers import field, login
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from services.demo.school import create_demo
from tests.helpers import InUnits, in_unit

# Each service call is its own unit of work, as each request is (services/uow.py).
finals = InUnits(finals)
set_period_mark = in_unit(set_period_mark)

D = date


def page(a, subject):
    return f"/finals/{a.klass.id}/{subject.id}/"


def marks(a, kind=None):
    db.session.expire_all()
    query = select(PeriodMark.student_id, PeriodMark.subject_id, PeriodMark.kind, PeriodMark.value, PeriodMark.version)
    if kind:
        query = query.where(PeriodMark.kind == kind)
    return {(r[0], r[1], r[2]): (r[3], r[4]) for r in db.session.execute(query)}


def suggested(html, student):
    row = re.search(rf'data-student="{student.id}".*?data-stat="suggested">([^<]*)<', html, re.S)
    return row.group(1)


# -- the suggested year mark -------------------------------------------------------------------------

def test_the_suggested_year_mark_computed_by_hand():
    # (5 + 4) / 2 = 4.50 → «5» at the default threshold .50, «4» at .60; (3 + 4 + 4) / 3 = 3.67 → «4».
    assert finals.suggested_year_mark(["5", "4"]) == "5"
    assert finals.suggested_year_mark(["5", "4"], Decimal("0.60")) == "4"
    assert finals.suggested_year_mark(["3", "4", "4", ""]) == "4"
    assert finals.suggested_year_mark(["4", "н/а"]) == "4"  # «н/а» has no number
    assert finals.suggested_year_mark(["зач", "зач"]) == "зач"
    assert finals.suggested_year_mark(["зач", "незач"]) == "незач"
    assert finals.suggested_year_mark(["осв", "осв"]) == "осв"
    assert finals.suggested_year_mark([]) is None


def test_the_page_shows_the_suggested_mark_by_the_institution_s_threshold(fw, browser):
    a = fw
    html = login(browser, "a.teacher").get(page(a, a.math)).get_data(as_text=True)
    assert "итоговые отметки" in html and "1 четверть" in html and "Годовая" in html and "Итоговая" in html
    assert suggested(html, a.student) == "5" and suggested(html, a.classmate) == "4"  # 4.50 → 5; 3.50 → 4
    a.org.rounding_threshold = Decimal("0.60")
    db.session.commit()
    html = login(browser, "a.teacher").get(page(a, a.math)).get_data(as_text=True)
    assert suggested(html, a.student) == "4" and suggested(html, a.classmate) == "3"


# -- who sets them ------------------------------------------------------------------------------------

def test_the_teacher_sets_year_marks_of_his_subject(fw, browser):
    a = fw
    b = login(browser, "a.teacher")
    html = b.get(page(a, a.math)).get_data(as_text=True)
    assert f'name="{a.student.id}:year"' in html and 'src="/static/finals.js"' in html and "<script>" not in html
    resp = b.post(page(a, a.math), {**field(a.student, "year", "5"), **field(a.classmate, "year", "4")})
    assert resp.status_code == 303
    assert marks(a, "year") == {(a.student.id, a.math.id, "year"): ("5", 1),
                                (a.classmate.id, a.math.id, "year"): ("4", 1)}
    audit = db.session.scalars(select(AuditLog).where(AuditLog.entity == "period_mark", AuditLog.action == "insert",
                                                      AuditLog.user_id == a.teacher.user_id)).all()
    assert sorted(r.changes["kind"][1] for r in audit) == ["year", "year"]
    # Set, the cell is the teacher's no more (only a corrector changes it).
    assert f'name="{a.student.id}:year"' not in b.get(page(a, a.math)).get_data(as_text=True)


def test_the_class_teacher_sets_year_exam_and_final_marks_of_every_subject_of_his_class(fw, browser):
    a = fw
    b = login(browser, "a.class_teacher")
    index = b.get("/finals/").get_data(as_text=True)
    assert page(a, a.math) in index and page(a, a.russian) in index
    resp = b.post(page(a, a.russian), {**field(a.student, "year", "4"), **field(a.student, "exam", "5"),
                                       **field(a.student, "final", "5"), **field(a.classmate, "p%d" % a.q1.id, "3")})
    assert resp.status_code == 303
    got = marks(a)
    assert [got[(a.student.id, a.russian.id, k)][0] for k in ("year", "exam", "final")] == ["4", "5", "5"]
    assert got[(a.classmate.id, a.russian.id, "period")] == ("3", 1)


def test_the_deputy_corrects_a_set_year_mark(fw, browser):
    a = fw
    set_period_mark(actor_of("a.teacher"), a.student.id, a.math.id, a.year.id, "year", None, "4")
    b = login(browser, "a.deputy")
    assert f'name="{a.student.id}:year"' in b.get(page(a, a.math)).get_data(as_text=True)
    resp = b.post(page(a, a.math), field(a.student, "year", "5", original="4", version=1))
    assert resp.status_code == 303
    assert marks(a, "year")[(a.student.id, a.math.id, "year")] == ("5", 2)


def test_a_foreign_teacher_finds_nothing(fw, browser):
    a = fw
    b = login(browser, "a.teacher")
    assert b.get(page(a, a.russian)).status_code == 404  # not his subject
    assert b.post(page(a, a.russian), field(a.student, "year", "5")).status_code == 404
    assert page(a, a.russian) not in b.get("/finals/").get_data(as_text=True)
    assert login(browser, "b.teacher").get(page(a, a.math)).status_code == 404  # another organization
    assert login(browser, "a.student").get("/finals/").status_code == 403
    assert marks(a, "year") == {}
    with pytest.raises(PermissionDenied):  # the service refuses him too, whatever the page
        set_period_mark(actor_of("a.teacher"), a.student.id, a.russian.id, a.year.id, "year", None, "5")


def test_values_are_checked_with_russian_messages(fw, browser):
    a = fw
    b = login(browser, "a.teacher")
    resp = b.post(page(a, a.math), {**field(a.student, "year", "6"), **field(a.classmate, "year", "4")})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "«6» — недопустимая отметка; можно: 5, 4, 3, 2, 1, н/а, осв" in html
    assert marks(a, "year") == {}  # nothing saved, not even the right one
    assert login(browser, "a.teacher").post(page(a, a.math), field(a.student, "exam", "зач")).status_code == 303
    with pytest.raises(DomainError, match="недопустимая отметка"):
        set_period_mark(actor_of("a.teacher"), a.student.id, a.math.id, a.year.id, "final", None, "отл")


# -- the lock and the version ----------------------------------------------------------------------------

def test_a_final_mark_locks_the_marks_under_it_for_the_teacher(fw, browser):
    a = fw
    teacher = actor_of("a.teacher")
    set_period_mark(teacher, a.classmate.id, a.math.id, a.year.id, "final", None, "4")
    for kind, period in (("period", a.q3.id), ("year", None), ("exam", None)):
        with pytest.raises(DomainError, match="уже выставлена итоговая отметка «4»"):
            set_period_mark(teacher, a.classmate.id, a.math.id, a.year.id, kind, period, "4")
    html = login(browser, "a.teacher").get(page(a, a.math)).get_data(as_text=True)
    assert f'name="{a.classmate.id}:p{a.q3.id}"' not in html and f'name="{a.student.id}:p{a.q3.id}"' in html
    # A year mark locks the periods' marks; the deputy may still change them.
    set_period_mark(teacher, a.student.id, a.math.id, a.year.id, "year", None, "5")
    with pytest.raises(DomainError, match="уже выставлена годовая отметка «5»"):
        set_period_mark(teacher, a.student.id, a.math.id, a.year.id, "period", a.q3.id, "5")
    set_period_mark(actor_of("a.deputy"), a.classmate.id, a.math.id, a.year.id, "period", a.q3.id, "4")
    assert marks(a)[(a.classmate.id, a.math.id, "final")] == ("4", 1)


def test_a_stale_page_gets_a_409_and_changes_nothing(fw, browser):
    a = fw
    set_period_mark(actor_of("a.teacher"), a.student.id, a.math.id, a.year.id, "year", None, "4")
    set_period_mark(actor_of("a.deputy"), a.student.id, a.math.id, a.year.id, "year", None, "5", version=1)
    resp = login(browser, "a.admin").post(page(a, a.math), field(a.student, "year", "3", original="4", version=1))
    assert resp.status_code == 409
    assert "изменил другой пользователь" in resp.get_data(as_text=True)
    assert marks(a, "year")[(a.student.id, a.math.id, "year")] == ("5", 2)
    with pytest.raises(VersionConflict):
        set_period_mark(actor_of("a.admin"), a.student.id, a.math.id, a.year.id, "year", None, "3", version=1)


def test_a_closed_last_period_closes_the_year_marks(fw, browser):
    a = fw
    a.q4.is_closed = True
    db.session.commit()
    resp = login(browser, "a.deputy").post(page(a, a.math), field(a.student, "year", "5"))
    assert resp.status_code == 400 and "период «4 четверть» закрыт для изменений" in resp.get_data(as_text=True)


# -- the ledgers print them ----------------------------------------------------------------------------

def test_the_summary_ledger_and_the_report_card_show_year_exam_and_final_marks(fw):
    a = fw
    teacher = actor_of("a.class_teacher")
    for kind, value in (("year", "5"), ("exam", "4"), ("final", "5")):
        set_period_mark(teacher, a.student.id, a.math.id, a.year.id, kind, None, value)
    doc = build(actor_of("a.class_teacher"), "summary-ledger", {"class": "5А"}, today=D(2027, 6, 30))
    table = next(b for b in to_json(doc)["sheets"][0]["blocks"] if b["type"] == "table")
    # № ФИО Движение, then Математика (the first subject): 1 ч. … 4 ч., Год, Экз., Итог.
    row = dict(zip(table["columns"][3:10], next(r for r in table["rows"] if r[1].startswith("Учеников"))[3:10]))
    assert row["Год"] == "5"
    assert row["Экз."] == "4"
    assert row["Итог."] == "5"
    card = build(actor_of("a.class_teacher"), "student-report-card", {"student": str(a.student.id)},
                 today=D(2027, 6, 30))
    table = next(b for b in to_json(card)["sheets"][0]["blocks"] if b["type"] == "table")
    row = dict(zip(table["columns"], next(r for r in table["rows"] if r[0] == "Математика")))
    assert row["Годовая"] == "5"
    assert row["Экзамен"] == "4"
    assert row["Итоговая"] == "5"


# -- repeaters ---------------------------------------------------------------------------------------------

def test_the_year_transfer_draft_lists_a_year_mark_2_as_a_repeater(fw):
    a = fw
    set_period_mark(actor_of("a.teacher"), a.classmate.id, a.math.id, a.year.id, "year", None, "2")
    nxt = next_year(a.org)
    db.session.commit()
    result = year_transfer.build_year_transfer(mv_actor(a.org), [a.klass.id], nxt, "50", ORDER_DATE)
    orders = {o.kind: sorted(i.student_id for i in o.items) for o in result.orders}
    assert orders == {"repeat": [a.classmate.id], "next_year": [a.student.id]}


# -- a college: results of the exam-session timetable --------------------------------------------------------

@pytest.fixture
def college(world):
    c = ro_college()
    c.entry = ExamEntry(org_id=c.org.id, year_id=c.year.id, period_id=c.sem1.id, kind="diff_credit",
                        subject_id=c.graphics.id, class_id=c.group.id, date=D(2026, 11, 16), starts_at=time(17),
                        ends_at=time(18, 30), examiner_id=c.teacher.id)
    c.later = ExamEntry(org_id=c.org.id, year_id=c.year.id, period_id=c.sem1.id, kind="exam",
                        subject_id=c.mdk.id, class_id=c.group.id, date=D(2026, 12, 25), starts_at=time(9),
                        ends_at=time(12), examiner_id=c.teacher.id)
    db.session.add_all([c.entry, c.later])
    db.session.commit()
    return c


def results(entry):
    db.session.expire_all()
    return {r.student_id: (r.value, r.version) for r in db.session.scalars(
        select(ExamResult).where(ExamResult.exam_entry_id == entry.id))}


def test_the_examiner_enters_results_against_the_exam_row(college, browser):
    c = college
    first, second, third = c.students
    b = login(browser, "c.teacher")
    index = b.get("/finals/").get_data(as_text=True)
    assert f"/finals/exam/{c.entry.id}/" in index and "Дифференцированный зачёт" in index
    html = b.get(f"/finals/exam/{c.entry.id}/").get_data(as_text=True)
    assert f'name="r:{first.id}:result"' in html
    resp = b.post(f"/finals/exam/{c.entry.id}/", {f"r:{first.id}:result": "5", f"o:r:{first.id}:result": "",
                                                  f"r:{second.id}:result": "2", f"o:r:{second.id}:result": ""})
    assert resp.status_code == 303
    assert results(c.entry) == {first.id: ("5", 1), second.id: ("2", 1)}
    # «зач» is no result of a graded credit; a set result is the deputy's to change; an old version is a 409.
    with pytest.raises(DomainError, match="«зач» — недопустимый результат; можно: 5, 4, 3, 2, н/а"):
        finals.set_exam_result(actor_of("c.teacher"), c.entry.id, third.id, "зач")
    with pytest.raises(DomainError, match="уже выставлена"):
        finals.set_exam_result(actor_of("c.teacher"), c.entry.id, second.id, "3", version=1)
    assert finals.set_exam_result(actor_of("c.deputy"), c.entry.id, second.id, "3", version=1) == 2
    resp = login(browser, "c.admin").post(f"/finals/exam/{c.entry.id}/", {
        f"r:{second.id}:result": "4", f"o:r:{second.id}:result": "2", f"v:r:{second.id}:result": "1"})
    assert resp.status_code == 409 and results(c.entry)[second.id] == ("3", 2)
    # An exam not held yet takes no results.
    with pytest.raises(DomainError, match="Испытание ещё не проводилось"):
        finals.set_exam_result(actor_of("c.deputy"), c.later.id, first.id, "5")


def test_college_debts_make_repeaters(college):
    c = college
    first, second, third = c.students
    finals.save_exam_results(actor_of("c.teacher"), c.entry.id, [{"student_id": first.id, "value": "4"},
                                                                 {"student_id": second.id, "value": "2"}])
    # Борисов failed; Волков has no result of a credit already held; Аксёнов passed.
    members = [(s.id, c.group.id) for s in c.students]
    assert finals.college_debtors(c.year.id, members) == {second.id, third.id}
    nxt = next_year(c.org)
    db.session.commit()
    result = year_transfer.build_year_transfer(mv_actor(c.org), [c.group.id], nxt, "7", ORDER_DATE)
    orders = {o.kind: sorted(i.student_id for i in o.items) for o in result.orders}
    assert orders["repeat"] == sorted([second.id, third.id]) and orders["next_year"] == [first.id]


def test_the_migration_builds_the_exam_result_table(app):
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert [d for d in differences if "exam_result" in repr(d)] == []


# -- the demo ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["school", "college"])
def test_the_demo_fills_year_exam_and_final_marks_and_exam_results(app, kind):
    create_demo(kind, password="demo-pass-2026")
    db.session.commit()  # as the `demo-data` command's unit of work does
    kinds = {k for k in db.session.scalars(select(PeriodMark.kind))}
    assert {"year", "exam", "final"} <= kinds  # a college has no semester over yet on 20.11: no period marks
    admin = next(s for s in db.session.scalars(select(Staff)) if s.user_id and "admin" in
                 Actor.for_user(s.user).roles)
    senior = max(db.session.scalars(select(SchoolClass)), key=lambda c: c.grade)
    doc = build(Actor.for_user(admin.user), "summary-ledger", {"class": senior.name})
    table = next(b for b in to_json(doc)["sheets"][0]["blocks"] if b["type"] == "table")
    for title in ("Год", "Экз.", "Итог."):
        filled = [r[i] for r in table["rows"] for i, c in enumerate(table["columns"]) if c == title and r[i]]
        assert filled, title
    if kind == "college":
        entries = db.session.scalars(select(ExamEntry)).all()
        assert entries and db.session.scalars(select(ExamResult)).all()
        assert all(r.value in ("5", "4", "3", "зач") for r in db.session.scalars(select(ExamResult)))
