"""Issue 15.3 in a real browser: the «Закрыть период» page and the wizard's step 2 list what a close would
leave behind (the dates, the period marks not set per class and subject) and ask for the name typed; a wrong
name is refused in Russian. Data: tests/conftest.py's `rollover_school` (2026/2027, four quarters, the
tests' today 20.11.2026). Every page opened is also checked for console errors and CSP violations."""
from models import AcademicYear, Period, db
from services.rollover import year as rollover
from tests.e2e.conftest import login, settle
from tests.factories import actor_of
from tests.helpers import in_unit


def closed(model, pk):
    db.session.rollback()  # a fresh read: the server wrote in its own transactions
    return db.session.get(model, pk).is_closed


def test_the_administrator_sees_what_is_missing_and_types_the_name(rollover_school, page, page_problems,
                                                                   screenshot_dir):
    a = rollover_school
    in_unit(rollover.run_check)(actor_of("a.admin"), a.year)  # step 1 of the wizard: the check seen
    login(page, "a.admin")
    page.goto(f"/periods/close/?ids={a.period.id}")
    assert page.locator("text=Период ещё не окончен").count() == 1
    assert page.locator("table.missing-marks td", has_text="Математика").count() >= 1
    page.screenshot(path=str(screenshot_dir / "period-close.png"), full_page=True)
    page.fill(f"#confirm-{a.period.id}", "3 четверть")
    with page.expect_navigation():
        page.click("form.period-close-form button[type=submit]")
    assert page.locator(".alert-danger", has_text="введено неверно").count() == 1
    assert not closed(Period, a.period.id)

    page.goto(f"/rollover/step/2/?year_id={a.year.id}")
    assert page.locator(".close-early", has_text="30.06.2027").count() == 1
    page.screenshot(path=str(screenshot_dir / "year-close.png"), full_page=True)
    page.fill("#confirm", "2026/2027")  # no reason: the browser itself asks for it (required)
    page.click("form[method=post].mt-3 button[type=submit]")
    settle(page)
    assert not closed(AcademicYear, a.year.id)
    assert page_problems == []
