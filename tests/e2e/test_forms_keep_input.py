"""Issue 15.2 in a real browser: a refused save of the curriculum grid («Предметы и часы») shows the form
again with both edits, the added row and the error beside the wrong value; nothing is saved."""
from sqlalchemy import select

from models import CurriculumLine, db
from tests.e2e.conftest import login, settle
from tests.factories import pl_curriculum, pl_subject


def stored(plan_id):
    db.session.rollback()  # a fresh read: the server wrote in its own transactions
    return sorted((line.subject.name, str(line.hours_per_week)) for line in db.session.scalars(
        select(CurriculumLine).where(CurriculumLine.curriculum_id == plan_id)))


def test_a_refused_curriculum_grid_keeps_every_edit(world, page, page_problems, screenshot_dir):
    a = world.a
    math, russian, english, physics = (pl_subject(a.org, n) for n in
                                       ("Математика", "Русский язык", "Английский язык", "Физика"))
    plan = pl_curriculum(a.org, a.year, 5, [(math, 5), (russian, 4), (english, 3)], max_hours=29)
    db.session.commit()
    lines = {line.subject_id: line.id for line in plan.lines}
    before = stored(plan.id)
    login(page, "a.deputy")
    page.goto(f"/curricula/lines/?id={plan.id}")
    page.fill(f'input[name="line-{lines[math.id]}-hours"]', "6")
    page.fill(f'input[name="line-{lines[russian.id]}-hours"]', "3")
    page.fill(f'input[name="line-{lines[english.id]}-hours"]', "три")
    page.select_option('select[name="new-0-subject"]', str(physics.id))
    page.fill('input[name="new-0-hours"]', "2")
    with page.expect_navigation():
        page.click('button[name="do"][value="save"]')

    assert page.input_value(f'input[name="line-{lines[math.id]}-hours"]') == "6"
    assert page.input_value(f'input[name="line-{lines[russian.id]}-hours"]') == "3"
    assert page.input_value('select[name="new-0-subject"]') == str(physics.id)
    assert page.input_value('input[name="new-0-hours"]') == "2"
    bad = page.locator(f'input[name="line-{lines[english.id]}-hours"]')
    assert bad.input_value() == "три" and "is-invalid" in bad.get_attribute("class")
    beside = bad.locator("xpath=following-sibling::div[contains(@class, 'invalid-feedback')]")
    assert beside.is_visible() and "«три» — не число часов" in beside.inner_text()
    assert "Учебный план не сохранён" in page.locator(".alert-danger").first.inner_text()
    page.screenshot(path=str(screenshot_dir / "curriculum-refused.png"), full_page=True)
    assert stored(plan.id) == before

    # the wrong value put right, the same form saves all three edits and the new row
    bad.fill("2")
    with page.expect_navigation():
        page.click('button[name="do"][value="save"]')
    assert "Учебный план сохранён" in page.locator(".alert-success").inner_text()
    assert stored(plan.id) == [("Английский язык", "2.0"), ("Математика", "6.0"), ("Русский язык", "3.0"),
                               ("Физика", "2.0")]
    settle(page)
    assert page_problems == []
