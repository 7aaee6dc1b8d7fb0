"""The regional specialist's pages in a real browser (issue 20): the menu on one line at 1366 px, every page
fitting a 390 px phone (a wide table scrolls in its own box), «Сформировать .xlsx в фоне» with the progress
bar filled and the download shown, no console error or CSP violation."""
from tests.e2e.conftest import login, settle
from tests.e2e.test_home_page import menu_lines
from tests.factories import jr_period_mark, jr_subject
from models import db

PAGES = ("/regional/", "/regional/movement/", "/regional/activity/", "/regional/deadlines/", "/regional/oo1/",
         "/regional/control/", "/jobs/")


def test_the_regional_pages_on_a_screen_and_a_phone(world, context, page, page_problems):
    a = world.a
    math = jr_subject(a.org, "Математика")
    for student, value in ((a.student, "5"), (a.classmate, "4")):
        jr_period_mark(student, math, a.period, value)
    db.session.commit()
    page.set_viewport_size({"width": 1366, "height": 800})
    login(page, "mun.a")
    for url in PAGES + (f"/regional/school/{a.org.id}/",):
        page.goto(url + "?year=2026/2027")
        settle(page)
        assert menu_lines(page) == [1, False], url
    page.goto("/regional/?year=2026/2027&period=2")
    page.click("text=Сформировать .xlsx в фоне")
    page.wait_for_selector(".job-download:not(.d-none)", timeout=30_000)
    page.wait_for_function("() => document.querySelector('.job-bar').getBoundingClientRect().width >= "
                           "document.querySelector('.job-bar-box').getBoundingClientRect().width - 1")
    assert "готово" in page.inner_text(".job-progress")
    page.set_viewport_size({"width": 390, "height": 844})
    wide = {}
    for url in PAGES:
        page.goto(url + "?year=2026/2027")
        settle(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 391:
            wide[url] = width
    assert wide == {}, wide
    assert page_problems == []
