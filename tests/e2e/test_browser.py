"""Issue 13, «How it is shown»: the final-marks page and the student-report selection in a real browser
(tests/e2e/conftest.py: the app over HTTP, Debian's Chromium). Data: tests/conftest.py's `fw` — world
A's 5А (Учеников, Соседов), Математика by a.teacher with period marks (Учеников 5 and 4, Соседов 3 and
4), four quarters. Every page opened is also checked for console errors and CSP violations."""
import re

from sqlalchemy import select

from models import PeriodMark, db
from tests.e2e.conftest import login, settle


def finals_url(a):
    return f"/finals/{a.klass.id}/{a.math.id}/"


def year_input(page, student):
    return page.locator(f'input[name="{student.id}:year"]')


def year_cell(page, student):
    return page.locator(f'tr[data-student="{student.id}"] td[data-col="year"]')


def stored_year_marks(a):
    db.session.rollback()  # a fresh read: the server wrote in its own transactions
    rows = db.session.execute(select(PeriodMark.student_id, PeriodMark.value)
                              .where(PeriodMark.kind == "year", PeriodMark.subject_id == a.math.id))
    return dict(rows.all())


def test_a_teacher_enters_year_marks_with_the_keyboard(fw, page, page_problems, screenshot_dir):
    a = fw
    login(page, "a.teacher")
    page.goto(finals_url(a))
    assert page.locator("h4", has_text="5А — Математика: итоговые отметки").count() == 1
    # The suggested mark is the placeholder of the empty year cell: (5 + 4) / 2 → 5; (3 + 4) / 2 → 4.
    assert year_input(page, a.student).get_attribute("placeholder") == "5"
    assert year_input(page, a.classmate).get_attribute("placeholder") == "4"
    page.screenshot(path=str(screenshot_dir / "finals.png"), full_page=True)

    # The rows go by name: Соседов, then Учеников. Type into the first year cell, Enter goes down to the
    # next student's.
    year_input(page, a.classmate).click()
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == f"{a.student.id}:year"
    page.keyboard.type("7")
    assert "is-invalid" in year_input(page, a.student).get_attribute("class")
    # A wrong value: the save is held back with the Russian message, nothing reaches the server.
    page.keyboard.press("Control+s")
    alert = page.locator("#finals-form [role=alert]")
    assert re.search(r"Недопустимая отметка: Учеников П. И.: Годовая — «7»; можно: 5, 4, 3, 2, 1", alert.inner_text())
    assert page.evaluate("document.activeElement.name") == f"{a.student.id}:year"
    page.screenshot(path=str(screenshot_dir / "finals-wrong-value.png"), full_page=True)
    assert stored_year_marks(a) == {}
    page.keyboard.press("Escape")  # back to the value the cell came with (empty)
    assert year_input(page, a.student).input_value() == ""
    assert not alert.is_visible()  # the message goes once every cell is right
    page.keyboard.press("ArrowUp")  # the arrows move like Enter
    assert page.evaluate("document.activeElement.name") == f"{a.classmate.id}:year"
    page.keyboard.press("ArrowDown")
    page.keyboard.type("5")

    with page.expect_navigation():
        page.keyboard.press("Control+s")
    assert "Отметки сохранены." in page.locator(".alert-success").inner_text()
    assert stored_year_marks(a) == {a.student.id: "5", a.classmate.id: "4"}
    # After a reload the marks are there, and the teacher's own cells are his no more (the deputy corrects).
    page.reload()
    assert year_cell(page, a.student).inner_text() == "5"
    assert year_cell(page, a.classmate).inner_text() == "4"
    assert year_input(page, a.student).count() == 0
    settle(page)
    assert page_problems == []


def test_the_server_refuses_a_wrong_value_in_russian_without_the_script(fw, chromium, live_server):
    """The page is a plain form: without JavaScript the server checks the value and says why."""
    a = fw
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, "a.teacher")
        page.goto(finals_url(a))
        year_input(page, a.student).fill("7")
        with page.expect_navigation():
            page.click("#finals-form button[type=submit]")
        message = page.locator(".alert-danger").inner_text()
        assert "«7» — недопустимая отметка" in message and "можно:" in message
        assert stored_year_marks(a) == {}
    finally:
        context.close()
        live_server.wsgi.wait_idle()


def test_the_deputy_picks_a_class_then_a_student_for_the_report_card(fw, page, page_problems, screenshot_dir):
    login(page, "a.deputy")
    page.goto("/reports/student-report-card/")
    student = page.locator("#f-student")
    assert student.locator("option").all_inner_texts() == ["—"]  # a class first
    # Choosing the class sends the form again (static/reports_form.js): the class's students are listed.
    with page.expect_navigation():
        page.select_option("#f-class", label="5А")
    assert page.locator("#f-class").input_value() == "5А"
    assert [t.split()[0] for t in student.locator("option").all_inner_texts()] == ["—", "Соседов", "Учеников"]
    assert page.locator(".report-table").count() == 0 and page.locator(".alert-danger").count() == 0

    page.select_option("#f-student", label="Учеников Пётр Иванович")
    with page.expect_navigation():
        page.click("text=Показать")
    assert "Ученик: Учеников Пётр" in page.locator("main, body").first.inner_text()
    table = page.locator(".report-table").first
    assert table.is_visible()
    maths = table.locator("tr", has_text="Математика")
    assert maths.count() == 1 and re.search(r"\b5\b.*\b4\b", maths.inner_text(), re.S)
    page.screenshot(path=str(screenshot_dir / "report-card.png"), full_page=True)
    settle(page)
    assert page_problems == []


def test_the_class_teacher_s_form_opens_on_her_class(fw, page, page_problems):
    login(page, "a.class_teacher")
    page.goto("/reports/student-report-card/")
    assert page.locator("#f-class").input_value() == "5А"
    page.select_option("#f-student", label="Соседов Семён Иванович")
    with page.expect_navigation():
        page.click("text=Показать")
    assert page.locator(".report-table").first.is_visible()
    assert "Ученик: Соседов Семён" in page.locator("body").inner_text()
    settle(page)
    assert page_problems == []
