"""Issue 15.10, «Phones»: every page a parent or a student opens from the menu fits a 390 px phone — no page
scrolls sideways (a wide table may scroll in its own box), the timetable is one card per day, the dynamics
chart is the narrow drawing with letters of a readable size, the menu folds behind its button.

Data: the demonstration school of `flask demo-data` (services/demo/school.py), its student and parent
accounts; the pages are those of their menu and the diary's other tab, and for the parent the reports listed
for him, each shown on its preselected student (the student is offered the same ones).
Screenshots: phone-*.png (E2E_SCREENSHOTS=docs/screenshots keeps them)."""
from models import db
from services.demo.school import create_demo
from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import login, settle, sign_out

PHONE = {"width": 390, "height": 844}
SHOW = "button:text-is('Показать')"
MAX_PAGES = 24  # per account: the menu, the reports, the diary's tabs


def demo_accounts():
    """The demonstration school of `flask demo-data` (three students a class: the test stays fast), committed as
    the command's unit of work does; its parent's and student's logins."""
    accounts = {a.role: a.login for a in create_demo(password=TEST_PASSWORD, students_per_class=3)}
    db.session.commit()
    return accounts["Родитель"], accounts["Обучающийся"]


def links(page, selector):
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    return [h for h in hrefs if h and h.startswith("/")]


def width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def pages_of(page, reports):
    """The menu's pages, the diary's other tab, and (`reports`) the reports the account is offered, each once."""
    found = ["/"] + links(page, "#admin-navbar-collapse a[href]")
    more = [("/diary/", ".diary-tabs a[href]:not(.active)")] + ([("/reports/", "ul.list-unstyled a[href]")] * reports)
    for key, selector in more:
        if key in found:
            page.goto(key)
            found += [h for h in links(page, selector) if h.startswith(key)]
    return list(dict.fromkeys(found))[:MAX_PAGES]


def visit_all(page, who, reports, checks=None):
    """Every page of `pages_of` (a report shown on its preselected student) no wider than the phone;
    `checks`: {a URL of the list (or a part of it, without the leading slash): what else to check there}."""
    page.set_viewport_size(PHONE)
    urls = pages_of(page, reports)
    assert {"/diary/", "/timetable/", "/reports/"} <= set(urls), urls
    wide = {}
    for url in urls:
        page.goto(url)
        if url.startswith("/reports/") and page.locator(SHOW).count():
            with page.expect_navigation():
                page.click(SHOW)
        if width(page) > PHONE["width"]:
            wide[url] = width(page)
        for part, check in (checks or {}).items():
            if part == url or (not part.startswith("/") and part in url):
                check(page)
    assert wide == {}, f"{who}: pages wider than the phone (scrollWidth): {wide}"
    return urls


def test_a_parent_and_a_student_read_their_pages_on_a_phone(page, page_problems, screenshot_dir):
    parent, student = demo_accounts()

    # The parent signs in on the phone; the menu folds behind the button, the school's name stays in sight.
    page.set_viewport_size(PHONE)
    page.goto("/login")
    assert width(page) <= PHONE["width"]
    login(page, parent)
    page.goto("/")
    assert page.locator(".navbar-brand").is_visible()
    diary_link = page.locator("#admin-navbar-collapse a[href^='/diary/']").first
    assert not diary_link.is_visible()
    page.click(".navbar-toggler")
    diary_link.wait_for(state="visible")
    assert width(page) <= PHONE["width"]
    charts, seen = [], []

    def readable_chart(page):
        """The dynamics chart: the narrow drawing, its letters at least 11 px high on the screen."""
        assert page.locator(".report-chart-compact").is_visible()
        assert not page.locator(".report-chart-wide").is_visible()
        charts.append(page.evaluate("""() => Math.min(...[...document.querySelectorAll('.report-chart-compact text')]
                                        .map(t => t.getBoundingClientRect().height))"""))
        page.locator(".report-chart-compact").screenshot(path=str(screenshot_dir / "phone-parent-dynamics-chart.png"))

    def diary(page):
        seen.append("diary")
        page.screenshot(path=str(screenshot_dir / "phone-parent-diary.png"), full_page=True)

    visit_all(page, "parent", reports=True, checks={"student-dynamics": readable_chart, "/diary/": diary})
    assert len(charts) == 1 and charts[0] >= 11, charts
    sign_out(page)

    # The student: the timetable is one card per day, the table is left for wide screens.
    def timetable(page):
        seen.append("timetable")
        days = page.locator(".tt-days .tt-day")
        assert days.count() >= 5 and days.first.is_visible() and not page.locator("table.tt-grid").is_visible()
        assert "Понедельник" in days.first.inner_text() and days.first.locator(".tt-item").count() >= 1
        page.screenshot(path=str(screenshot_dir / "phone-student-timetable.png"), full_page=True)

    login(page, student)
    visit_all(page, "student", reports=False, checks={"/timetable/": timetable})  # the reports: the parent's ones
    assert seen == ["diary", "timetable"]
    settle(page)
    assert page_problems == []
