"""Exports escape every column: a position, class, subject, room or area named like a formula comes out
of every CSV as text, in its own column and as the related record of another view (issue 11.6)."""
import csv
import io
from datetime import date, time

import pytest
from sqlalchemy import inspect

from admin_views.base import FORMULA_PREFIXES
from models import EducationalArea, ExamEntry, Position, TimetableChange, db
from services import audit, permissions
from services.timetable.weekly import save_class_week
from tests.factories import actor_of, mv_order, pl_curriculum, pl_plan
from tests.helpers import registered_views
from tests.timetable_fixtures import MON, build_timetable_world

ROLES = ("admin", "hr", "deputy", "director", "teacher", "class_teacher")


def payload(tag):
    return f'=HYPERLINK("http://x","{tag}")'


@pytest.fixture
def hostile(world, browser):
    """A row in every exportable view, its class, subject, room, subgroup, position and area named
    like a formula; one room renamed so through the page, as a user with the right would."""
    a = world.a
    tt = build_timetable_world(world)
    save_class_week(tt.deputy, a.klass.id, 1, [(MON, 1, tt.rus5.id, tt.r102.id)], today=date(2026, 9, 1))
    plan = pl_plan(a.org, a.year, a.teacher, tt.math, 5)
    tt.math5.thematic_plan_id = plan.id
    pl_curriculum(a.org, a.year, 5, [(tt.math, 5)])
    db.session.add_all([
        TimetableChange(date=date(2026, 11, 9), kind="replace", class_id=a.klass.id, number=1,
                        scheduled_assignment_id=tt.rus5.id, teacher_id=tt.ivanov.id, room_id=tt.r101.id),
        ExamEntry(kind="credit", subject_id=tt.eng.id, class_id=a.klass.id, subgroup_id=tt.g1.id,
                  date=date(2027, 1, 23), starts_at=time(9), ends_at=time(11), examiner_id=tt.ivanov.id,
                  room_id=tt.r101.id)])
    mv_order(a.org, "transfer", date(2026, 11, 2), [(a.stranger, a.klass)], note=payload("приказ"))
    a.teacher.position = Position(org_id=a.org.id, name=payload("должность"))
    tt.math.area = EducationalArea(org_id=a.org.id, name=payload("область"))
    audit.set_context(a.admin.user_id, a.org.id, "10.0.0.1")  # the renames are audited as the admin's
    for n, row in enumerate([a.klass, a.other_class, tt.math, tt.rus, tt.eng, tt.r101, tt.g1]):
        row.name = payload(n)
    db.session.commit()
    audit.set_context()
    admin = browser()
    admin.login("a.admin")
    resp = admin.post(f"/rooms/edit/?id={tt.r102.id}", {"name": payload("кабинет"), "capacity": "", "note": "",
                                                        "_version": str(tt.r102.version)})
    assert resp.status_code == 302
    return tt


def exportable(app, world):
    """(view, a login that may export it) for every registered model view with an export."""
    found = []
    for view in registered_views(app):
        role = next((r for r in ROLES if permissions.allowed(actor_of(world.a.logins[r]), view.view_key, "export")),
                    None)
        if role is not None:
            found.append((view, world.a.logins[role]))
    return found


def relation_columns(view):
    """(position in the CSV, name) of the export columns that show a related record by its __str__
    (a school has no department or specialty to show)."""
    relations = set(inspect(view.model).relationships.keys()) - set(view.column_formatters_export or {}) \
        - set(view.college_only)
    return [(i, name) for i, (name, _) in enumerate(view.get_export_columns()) if name in relations]


def export_rows(browser, login, view):
    b = browser()
    b.login(login)
    resp = b.get(f"{view.url}/export/csv/")
    assert resp.status_code == 200, view.view_key
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff"), view.view_key  # Russian Excel reads UTF-8 by its BOM, fields by «;»
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert len(rows) > 1, f"{view.view_key}: no row to check"
    return rows


def assert_text_only(view, rows):
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES), (view.view_key, cell)


def test_every_export_writes_formula_like_names_as_text(app, world, browser, hostile):
    views = exportable(app, world)
    assert len(views) >= 12
    carried = set()
    for view, login in views:
        rows = export_rows(browser, login, view)
        assert_text_only(view, rows)
        if any(cell.startswith("'=HYPERLINK(") for row in rows[1:] for cell in row):
            carried.add(view.view_key)
    # the named records reach these exports as a relation (position, class, subject, room, area …)
    assert {"staff", "student", "school_class", "subject", "teaching_assignment", "thematic_plan",
            "timetable_change", "exam_entry", "class_membership", "movement_order", "audit_log"} <= carried


def test_every_related_record_is_exported_as_text_whatever_its_name(app, world, browser, hostile, monkeypatch):
    """Whatever model a column shows (a person, a year, an order …), its __str__ is escaped: here every
    model names itself like a formula."""
    for mapper in db.Model.registry.mappers:
        monkeypatch.setattr(mapper.class_, "__str__", lambda self: payload(type(self).__name__))
    checked = 0
    for view, login in exportable(app, world):
        columns = relation_columns(view)
        if not columns:
            continue
        rows = export_rows(browser, login, view)
        assert_text_only(view, rows)
        for index, name in columns:
            values = {row[index] for row in rows[1:]} - {""}
            assert values and all(v.startswith("'=HYPERLINK(") for v in values), (view.view_key, name, values)
            checked += 1
    assert checked >= 20
