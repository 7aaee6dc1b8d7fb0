"""A form never loses what was typed (issue 15.2): a hand-made page whose save is refused shows the form
again with everything the user sent (the rows he added included), marks the wrong inputs (`is-invalid`)
with their Russian message beside them, and the database is unchanged."""
import re
from decimal import Decimal

from sqlalchemy import select

from models import CurriculumLine, db
from admin_views.forms import REFUSED
from tests.factories import pl_curriculum, pl_subject


def marked(html, name):
    """The input (or select) `name` carries is-invalid, and a message follows it."""
    tag = re.search(r'<(input|select)[^>]*name="%s"[^>]*>' % re.escape(name), html)
    assert tag is not None, f"no input {name}"
    return "is-invalid" in tag.group(0)


def input_value(html, name):
    tag = re.search(r'<input[^>]*name="%s"[^>]*>' % re.escape(name), html)
    assert tag is not None, f"no input {name}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def selected(html, name):
    block = re.search(r'<select[^>]*name="%s"[^>]*>(.*?)</select>' % re.escape(name), html, re.S)
    assert block is not None, f"no select {name}"
    option = re.search(r'<option value="([^"]*)"\s*selected', block.group(1))
    return option.group(1) if option else None


# -- «Предметы и часы» of a curriculum ------------------------------------------------------------

def _curriculum_lines(plan_id):
    db.session.expire_all()
    return sorted((line.subject.name, line.component, line.hours_per_week) for line in db.session.scalars(
        select(CurriculumLine).where(CurriculumLine.curriculum_id == plan_id)))


def test_curriculum_lines_keep_every_edit_and_the_new_row_after_a_bad_value(world, browser):
    a = world.a
    math, russian, physics = (pl_subject(a.org, n) for n in ("Математика", "Русский язык", "Физика"))
    plan = pl_curriculum(a.org, a.year, 5, [(math, 5), (russian, 4)], max_hours=20)
    db.session.commit()
    lines = {line.subject_id: line.id for line in plan.lines}
    before = _curriculum_lines(plan.id)
    b = browser()
    b.login("a.deputy")
    resp = b.post(f"/curricula/lines/?id={plan.id}", data={
        "id": plan.id, "do": "save", "version": plan.version,
        f"line-{lines[math.id]}-component": "federal", f"line-{lines[math.id]}-hours": "6",
        f"line-{lines[russian.id]}-component": "federal", f"line-{lines[russian.id]}-hours": "пять",
        "new-0-subject": physics.id, "new-0-component": "school", "new-0-hours": "2",
        "new-1-subject": "", "new-1-component": "federal", "new-1-hours": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == REFUSED
    assert input_value(html, f"line-{lines[math.id]}-hours") == "6"
    assert input_value(html, f"line-{lines[russian.id]}-hours") == "пять"
    assert marked(html, f"line-{lines[russian.id]}-hours")
    assert not marked(html, f"line-{lines[math.id]}-hours")
    assert "«пять» — не число часов" in html
    assert selected(html, "new-0-subject") == str(physics.id)
    assert selected(html, "new-0-component") == "school"
    assert input_value(html, "new-0-hours") == "2"
    assert "Учебный план не сохранён" in html
    assert _curriculum_lines(plan.id) == before


def test_curriculum_lines_mark_a_new_row_without_hours_and_keep_its_subject(world, browser):
    a = world.a
    math, physics = (pl_subject(a.org, n) for n in ("Математика", "Физика"))
    plan = pl_curriculum(a.org, a.year, 5, [(math, 5)], max_hours=20)
    db.session.commit()
    line_id = plan.lines[0].id
    b = browser()
    b.login("a.deputy")
    resp = b.post(f"/curricula/lines/?id={plan.id}", data={
        "id": plan.id, "do": "save", "version": plan.version, f"line-{line_id}-hours": "4",
        "new-0-subject": physics.id, "new-0-component": "federal", "new-0-hours": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == REFUSED
    assert marked(html, "new-0-hours") and "Укажите часы в неделю" in html
    assert selected(html, "new-0-subject") == str(physics.id)
    assert input_value(html, f"line-{line_id}-hours") == "4"
    assert _curriculum_lines(plan.id) == [("Математика", "federal", Decimal("5.0"))]
