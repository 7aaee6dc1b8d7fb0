"""The rollover wizard's pages: a page per step with its preview, a button that runs it (CSRF), the
result flashed; who may open and run them; another organization's year is unreachable; the step pages
cost the same number of statements whatever the size of the school."""
from datetime import date

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from models import AcademicYear, RolloverStep, SchoolClass, TeachingAssignment, db
from tests.factories import make_class, make_student, pl_assignment, ro_school
from services.rollover import year as rollover
from tests.factories import EARLY_REASON, actor_of
from tests.querycount import is_savepoint


def page(b, url, **kw):
    resp = b.get(url, **kw)
    return resp, resp.get_data(as_text=True)


def test_the_administrator_walks_the_wizard_through_its_pages(rollover_school, ro_browser):
    a = rollover_school
    b = ro_browser("a.admin")
    resp = b.get("/rollover/")
    assert resp.status_code == 302 and f"/rollover/step/1/?year_id={a.year.id}" in resp.headers["Location"]
    resp, html = page(b, f"/rollover/step/1/?year_id={a.year.id}")
    assert resp.status_code == 200 and "Открытые периоды: 4" in html and "Годовая" in html
    assert 'role="progressbar"' in html

    resp = b.post(f"/rollover/step/1/?year_id={a.year.id}")
    assert resp.status_code == 302 and "/rollover/step/2/" in resp.headers["Location"]
    _, html = page(b, f"/rollover/step/2/?year_id={a.year.id}")
    assert "Будут закрыты периоды: 4" in html and "Отменить закрытие нельзя" in html

    refused = b.post(f"/rollover/step/2/?year_id={a.year.id}")  # the year's name is not typed: shown again
    assert refused.status_code == 200 and "Подтвердите закрытие" in refused.get_data(as_text=True)
    assert not db.session.get(AcademicYear, a.year.id).is_closed
    b.post(f"/rollover/step/2/?year_id={a.year.id}", data={"confirm": "2026/2027", "reason": EARLY_REASON})
    assert db.session.get(AcademicYear, a.year.id).is_closed

    _, html = page(b, f"/rollover/step/3/?year_id={a.year.id}")
    assert "2027/2028" in html and "01.09.2027" in html and "Нерабочий праздничный день" in html
    b.post(f"/rollover/step/3/?year_id={a.year.id}")
    _, html = page(b, f"/rollover/step/3/?year_id={a.year.id}")
    assert "Шаг выполнен" in html and "учебные периоды" in html

    _, html = page(b, f"/rollover/step/4/?year_id={a.year.id}")
    assert "6 класс" in html and "выпуск" in html and 'name="order_number"' in html
    b.post(f"/rollover/step/4/?year_id={a.year.id}", data={"order_number": "45-у", "order_date": "32.05.2027"})
    _, html = page(b, f"/rollover/step/4/?year_id={a.year.id}&order_number=45-у")
    assert "дд.мм.гггг" in html  # the date refused, nothing done
    assert db.session.scalar(select(func.count(RolloverStep.id)).where(RolloverStep.step == 4)) == 0
    b.post(f"/rollover/step/4/?year_id={a.year.id}", data={"order_number": "45-у", "order_date": "28.05.2027"})
    new = db.session.scalar(select(AcademicYear).where(AcademicYear.name == "2027/2028"))
    assert db.session.scalar(select(SchoolClass.id).where(SchoolClass.year_id == new.id, SchoolClass.name == "6А"))

    _, html = page(b, f"/rollover/step/5/?year_id={a.year.id}")
    assert "будет перенесена" in html and "предмета нет в учебном плане 6 класса" in html
    b.post(f"/rollover/step/5/?year_id={a.year.id}")
    _, html = page(b, f"/rollover/step/5/?year_id={a.year.id}")
    assert "100%" in html and "Шаг выполнен" in html
    assert db.session.scalar(select(func.count(TeachingAssignment.id)).where(TeachingAssignment.year_id == new.id)) == 5


def test_a_post_without_the_csrf_token_is_refused(rollover_school, ro_browser):
    b = ro_browser("a.admin")
    assert b.post(f"/rollover/step/1/?year_id={rollover_school.year.id}", csrf=False).status_code == 400
    assert db.session.scalar(select(func.count(RolloverStep.id))) == 0


@pytest.mark.parametrize("login,see", [("a.director", 200), ("a.deputy", 403), ("a.hr", 403), ("a.teacher", 403),
                                       ("a.class_teacher", 403), ("a.student", 403), ("a.parent", 403)])
def test_who_opens_the_wizard_and_who_runs_it(rollover_school, ro_browser, login, see):
    b = ro_browser(login)
    assert b.get(f"/rollover/step/1/?year_id={rollover_school.year.id}").status_code == see
    assert b.post(f"/rollover/step/1/?year_id={rollover_school.year.id}").status_code == 403
    assert db.session.scalar(select(func.count(RolloverStep.id))) == 0


def test_another_organization_s_year_is_not_reachable(rollover_school, ro_browser):
    b = ro_browser("b.admin")
    assert b.get(f"/rollover/step/1/?year_id={rollover_school.year.id}").status_code == 404
    assert b.post(f"/rollover/step/2/?year_id={rollover_school.year.id}",
                  data={"confirm": "2026/2027", "reason": EARLY_REASON}).status_code == 404
    assert not db.session.get(AcademicYear, rollover_school.year.id).is_closed
    assert b.get("/rollover/step/9/").status_code == 404


def statements_of(app, fn):
    """The statements `fn` issues, on any engine: the pages of `app`, a second app on the suite's database,
    may run on its engine or on the test module's connection (tests/conftest.py)."""
    seen = []

    def count(*args):
        if not is_savepoint(args[2]):
            seen.append(args[2])
    event.listen(Engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    return len(seen)


def test_the_step_pages_cost_the_same_whatever_the_size_of_the_school(world, rollover_school, ro_app, ro_browser):
    """Organization B is the same school with three more classes of students and assignments; every step
    page, before and after its step, issues as many statements for it as for A (no query per row)."""

    big = ro_school(world.b)
    for n in range(3):
        klass = make_class(big.org, big.year, f"7{'АБВ'[n]}", 7, big.teacher)
        for m in range(3):
            make_student(big.org, klass, "Седьмов" + "абв"[n] + "где"[m], "Ян")
        pl_assignment(big.org, klass, big.math, big.teacher)
    db.session.commit()
    cost = {}
    for org, login in ((rollover_school, "a.admin"), (big, "b.admin")):
        admin, b = actor_of(login), ro_browser(login)
        urls = [f"/rollover/step/{n}/?year_id={org.year.id}" for n in range(1, 6)]
        before = [statements_of(ro_app, lambda u=u: b.get(u)) for u in urls]
        rollover.run_check(admin, org.year)
        rollover.close_year(admin, org.year, org.year.name, EARLY_REASON)
        rollover.create_next_year(admin, org.year)
        rollover.transfer_students(admin, org.year, "45-у", date(2027, 5, 28))
        rollover.copy_planning(admin, org.year)
        after = [statements_of(ro_app, lambda u=u: b.get(u)) for u in urls]
        cost[login] = before + after
    assert all(n < 40 for n in cost["a.admin"]), cost
    assert all(big_n <= small_n + 2 for small_n, big_n in zip(cost["a.admin"], cost["b.admin"])), cost
