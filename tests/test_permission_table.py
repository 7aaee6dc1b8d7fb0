"""The permission table's declarations (issue 14.7): each key names the model its rows are, each row
filter is a condition on that model, each model view shows its key's model, and the role checks once
written by hand (`actor.has(...)`) are verbs of the table."""
from types import SimpleNamespace

import pytest
from sqlalchemy import Column, literal, select
from sqlalchemy.sql import visitors

from admin_views.base import SecureModelView
from models import Lesson, Role, Student
from services import permissions
from services.permissions import READ, TABLE, Entry, Grant

# An actor every row filter builds its full condition for (no `false()` shortcut of a missing card).
EVERYONE = SimpleNamespace(user_id=1, staff_id=1, student_id=1, parent_id=1, own_class_ids=(1,), child_ids=(1,),
                           org_id=1, system=False, region_org_ids=(1,))


def sql_errors(row_filter, model):
    """Why a row filter's SQL is not a condition on `model` rows (empty: it is): its top-level columns must
    all be the model's (no other table joins the query), and the model must be in it (directly or
    correlated from a subquery)."""
    cond = row_filter(EVERYONE)
    table = model.__table__
    froms = select(literal(1)).select_from(table).where(cond).get_final_froms()
    errors = []
    if froms != [table]:
        errors.append(f"{row_filter.__name__} adds {[str(f) for f in froms if f is not table]} to {model.__name__}")
    if table not in {c.table for c in visitors.iterate(cond) if isinstance(c, Column)}:
        errors.append(f"{row_filter.__name__} says nothing of {model.__name__}")
    return errors


def test_every_key_names_its_model_and_its_row_filters_are_conditions_on_it():
    filters = {grant.rows: entry.model for entry in TABLE.values() for grant in entry.values() if grant.rows}
    assert len(filters) > 30
    for row_filter, model in filters.items():
        assert row_filter.model is model, row_filter.__name__  # checked at import too (check_entry)
        assert not sql_errors(row_filter, model)
    for view, entry in TABLE.items():
        permissions.check_entry(view, entry)
        assert isinstance(entry, Entry) and (entry.model is not None or not entry.filtered), view


def test_a_filter_over_another_model_is_caught():
    """A filter over Student columns on a key named for Lesson: refused by the table's check, by the SQL's
    check, and at run time whoever asks a key's rows as another model's."""
    wrong = Entry(Lesson, {Role.CLASS_TEACHER.value: Grant(READ, rows=permissions.own_class_students)})
    with pytest.raises(TypeError):
        permissions.check_entry("wrong", wrong)
    assert sql_errors(permissions.own_class_students, Lesson)
    actor = SimpleNamespace(**{**vars(EVERYONE), "roles": frozenset({Role.CLASS_TEACHER.value})})
    with pytest.raises(TypeError):
        permissions.row_condition(actor, "student", "list", Lesson)
    assert permissions.row_condition(actor, "student", "list", Student) is not None


def test_each_model_view_shows_its_keys_model(app):
    views = [v for v in app.extensions["journal_admin"]._views if isinstance(v, SecureModelView)]
    assert len(views) > 20
    for view in views:
        assert TABLE[view.view_key].model is view.model, view.view_key
    with pytest.raises(TypeError):
        permissions.check_rows("student", Lesson)


def roles_with(view, verb):
    return {role for role, grant in TABLE[view].items() if verb in grant.verbs}


def test_the_role_checks_once_written_by_hand_are_verbs_of_the_table():
    """Each was `actor.has(...)` in a service or a view; the same roles hold the verb now."""
    A, HR, DEP, DIR = Role.ADMIN.value, Role.HR.value, Role.DEPUTY.value, Role.DIRECTOR.value
    T, SUPER = Role.TEACHER.value, Role.SUPERADMIN.value
    assert roles_with("organization", "head_count") == {A, HR, DEP, DIR}  # the start page's figures
    assert roles_with("student", "any_class") == {A, HR}  # a student card placed in any open class
    assert roles_with("user", "all_accounts") == {SUPER}  # every account, the installation's own included
    assert roles_with("timetable", "all") == {A, DEP, DIR}  # any class, teacher and room
    assert roles_with("timetable", "own_lessons") == {T}  # a teacher's own timetable
    assert roles_with("thematic_plan", "author") == {T}  # the КТП's author
    assert roles_with("report_teacher", "own_report") == {T}  # a teacher's report opens on himself
