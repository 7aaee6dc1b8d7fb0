"""Issue 14.6: the organization scope in the ORM (models/scope.py).

A query that says nothing of the organization still sees one organization's rows while a request or a
command acts in it: a plain select, the legacy `Model.query`, a join, a subquery, an alias,
`session.get` of another organization's id, a relationship load, an ORM update or delete. The one escape,
`scope.installation("why")`, sees every organization; outside any scope nothing is added. What the scope
does not cover (an object the session already holds) is pinned here too, as models/scope.py says.
"""
from unittest import mock

import pytest
from flask import session
from flask_login import login_user
from sqlalchemy import delete, event, exists, func, select, true, update
from sqlalchemy.orm import aliased

from models import (CalendarDay, Mark, Organization, Parent, SchoolClass, Staff, Student, TaskType, User, db,
                    scope, student_parent)
from reports.data import column_rows
from services import clock, permissions
from tests.factories import make_staff, make_student


@pytest.fixture
def two(world):
    """The world, plus a student of B with a name no one in A has, and the ids the tests need (the
    session is emptied: nothing below comes from its identity map unless a test puts it there)."""
    make_student(world.b.org, world.b.klass, "Чужеземцев", "Бруно")
    db.session.commit()
    ids = {"a": world.a.org.id, "b": world.b.org.id, "a_class": world.a.klass.id, "b_class": world.b.klass.id,
           "a_student": world.a.student.id, "b_student": world.b.student.id}
    ids["a_students"] = set(db.session.scalars(select(Student.id).where(Student.org_id == ids["a"])))
    ids["all_students"] = set(db.session.scalars(select(Student.id)))
    db.session.expunge_all()
    return ids


def student_ids():
    return set(db.session.scalars(select(Student.id)))


def test_outside_any_scope_a_query_reads_what_it_says(two):
    assert scope.current() is None
    assert student_ids() == two["all_students"]
    assert two["a_students"] < two["all_students"]


def test_a_query_without_a_filter_sees_one_organization(two):
    with scope.organization(two["a"]):
        assert scope.current_org_id() == two["a"]
        assert student_ids() == two["a_students"]
        assert {s.id for s in db.session.scalars(select(Student))} == two["a_students"]
        assert {s.id for s in Student.query.all()} == two["a_students"]  # Flask-SQLAlchemy's legacy query
        assert db.session.scalar(select(func.count()).select_from(Student)) == len(two["a_students"])
        assert {s.id for s in db.session.scalars(select(aliased(Student)))} == two["a_students"]
        # Joins, subqueries and EXISTS: every place the entity appears.
        joined = set(db.session.scalars(select(Student.id).join(SchoolClass, SchoolClass.id == Student.class_id)))
        assert joined == two["a_students"]
        inner = select(Student.class_id).scalar_subquery()
        assert set(db.session.scalars(select(SchoolClass.id).where(SchoolClass.id.in_(inner)))) <= {
            c for c in db.session.scalars(select(SchoolClass.id).where(SchoolClass.org_id == two["a"]))}
        assert not db.session.scalar(select(exists().where(Student.id == two["b_student"])))
        # Another organization's id, asked of the database, is no row.
        assert db.session.get(Student, two["b_student"]) is None
        assert db.session.get(Student, two["a_student"]) is not None
        # Models that are not OrgOwned are not limited: the organizations, the parent–child table.
        assert set(db.session.scalars(select(Organization.id))) == {two["a"], two["b"]}
        assert db.session.scalar(select(func.count()).select_from(student_parent)) == \
            db.session.scalar(select(func.count()).select_from(student_parent).where(true()))
    assert scope.current() is None
    assert student_ids() == two["all_students"]


def test_installation_is_the_one_escape(two):
    with scope.organization(two["a"]):
        with scope.installation("the test reads every organization"):
            assert scope.current_org_id() is None and scope.current().reason
            assert student_ids() == two["all_students"]
            assert db.session.get(Student, two["b_student"]) is not None
        db.session.expunge_all()
        assert student_ids() == two["a_students"]  # back in the organization after the block
    with pytest.raises(ValueError):
        with scope.installation(""):
            pass
    with pytest.raises(ValueError):
        scope.enter(None)


def test_the_scope_ends_with_its_block_even_on_an_error(two):
    with pytest.raises(RuntimeError):
        with scope.organization(two["a"]):
            raise RuntimeError
    assert scope.current() is None


def test_a_relationship_load_sees_one_organization(two):
    # A row of B pointing at A's class: the rules refuse it, so it is written past them, as a broken
    # import could. A's class, loaded in A's scope, does not list it; read installation-wide, it does.
    db.session.execute(update(Student.__table__).where(Student.__table__.c.id == two["b_student"])
                       .values(class_id=two["a_class"]))
    db.session.commit()
    db.session.expunge_all()
    with scope.organization(two["a"]):
        klass = db.session.get(SchoolClass, two["a_class"])
        assert two["b_student"] not in {s.id for s in klass.students}
        parent = db.session.scalars(select(Parent).where(Parent.last_name == "Ученикова")).one()
        assert {c.org_id for c in parent.children} == {two["a"]}  # a many-to-many load
    db.session.expunge_all()
    with scope.installation("the test reads every organization"):
        assert two["b_student"] in {s.id for s in db.session.get(SchoolClass, two["a_class"]).students}


def test_an_orm_update_or_delete_touches_one_organization(two):
    with scope.organization(two["a"]):
        changed = db.session.execute(update(Student).values(middle_name="Обновлённый"))
        assert changed.rowcount == len(two["a_students"])
        db.session.execute(delete(Parent).where(Parent.last_name == "Ничьих"))  # runs, limited the same way
    db.session.commit()
    noted = set(db.session.scalars(select(Student.id).where(Student.middle_name == "Обновлённый")))
    assert noted == two["a_students"]


def test_what_the_scope_does_not_cover_an_object_the_session_holds(two):
    """`session.get` answers from the identity map without SQL: an object of B the session already
    holds is returned in A's scope (models/scope.py, «What it does not cover»)."""
    held = db.session.get(Student, two["b_student"])  # loaded outside any scope
    with scope.organization(two["a"]):
        assert db.session.get(Student, two["b_student"]) is held
        db.session.refresh(held)  # a column load of a row the session holds is left alone
        assert held.org_id == two["b"]
        assert two["b_student"] not in student_ids()  # … while every query still sees only A


def test_a_request_acting_in_an_organization_is_scoped_by_its_hook(app, two):
    """app.py's before_request sets the scope of the actor's organization; its teardown ends it."""
    user = db.session.scalars(select(Student).where(Student.id == two["a_student"])).one().user
    with app.test_request_context("/"):
        login_user(user)
        session["login_at"] = clock.timestamp()
        assert app.preprocess_request() is None
        assert scope.current_org_id() == two["a"]
        assert student_ids() == two["a_students"]
    assert scope.current() is None
    assert student_ids() == two["all_students"]


def test_a_page_without_its_filter_still_shows_one_organization(two, browser):
    """Take the permission table's row filter away from the model views: the lists and cards of A's
    administrator still show no one of B (the scope is the net under the written filters)."""
    b = browser()
    assert b.login("a.admin").status_code == 302
    with mock.patch.object(permissions, "row_condition", lambda *args, **kwargs: true()):
        page = b.get("/students/")
        assert page.status_code == 200
        assert "Учеников" in page.get_data(as_text=True)
        assert "Чужеземцев" not in page.get_data(as_text=True)
        assert b.get(f"/students/details/?id={two['b_student']}").status_code == 404
        assert b.get(f"/students/details/?id={two['a_student']}").status_code == 200


def test_the_installation_administrator_working_in_a_school_still_makes_another(two, browser):
    """The installation's administrator who also has a card in A acts in A's scope; the organizations he
    makes get their calendar and journal dictionaries, and their first administrator, all the same."""
    root = db.session.scalars(select(User).where(User.login == "root")).one()
    card = make_staff(db.session.get(Organization, two["a"]), "Корнев", "Роман")
    card.user_id = root.id
    db.session.commit()
    b = browser()
    assert b.login("root").status_code == 302
    listing = b.get("/organizations/").get_data(as_text=True)
    assert "Орг A" in listing and "Орг B" in listing
    b.post("/organizations/new/", data={"kind": "school", "full_name": "МБОУ «Гимназия № 5»",
                                        "short_name": "Гимназия № 5", "timezone": "Europe/Moscow",
                                        "rounding_threshold": "0.5"})
    org = db.session.scalars(select(Organization).where(Organization.short_name == "Гимназия № 5")).one()
    assert db.session.scalar(select(func.count()).select_from(CalendarDay).where(CalendarDay.org_id == org.id)) > 10
    assert db.session.scalar(select(func.count()).select_from(TaskType).where(TaskType.org_id == org.id)) > 0
    page = b.post(f"/organizations/admin-account/?id={org.id}", data={
        "last_name": "Петрова", "first_name": "Полина", "middle_name": "Павловна", "sex": "f"}).get_data(as_text=True)
    assert "<code>" in page
    assert db.session.scalars(select(Staff).where(Staff.last_name == "Петрова")).one().org_id == org.id


def test_the_scope_condition_is_a_filter_not_an_index_choice(two):
    """SQLite would plan a query by the scope's `org_id = ?` and walk ix_mark_org_id, every mark of the
    organization, instead of the query's own index (the journal grid ×8): there the condition is
    `+mark.org_id = ?`, which no index serves (models/dialect.unindexed); PostgreSQL keeps it plain."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with scope.organization(two["a"]):
            db.session.execute(select(Mark.id).where(Mark.task_id == 0)).all()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    statement, parameters = sent[-1]
    if db.engine.dialect.name != "sqlite":
        assert "mark.org_id = " in statement and "+mark.org_id" not in statement
        return
    assert "+mark.org_id = ?" in statement
    plan = " ".join(row[-1] for row in db.session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + statement, parameters))
    assert "ix_mark_task_id" in plan and "ix_mark_org_id" not in plan


def test_rows_read_on_the_sessions_connection_keep_the_net(two):
    """reports/data.column_rows skips the ORM's per-row processing by running a SELECT on the session's
    connection, which the session's hook never sees: `scope.limited` adds the same criterion."""
    with scope.organization(two["a"]):
        assert {r.id for r in column_rows(select(Student.id))} == two["a_students"]
        assert {r.id for r in column_rows(select(Student.id).where(Student.id == two["b_student"]))} == set()
        bare = {r.id for r in db.session.connection().execute(select(Student.id))}
        assert bare == two["all_students"]  # the bare connection: no net
        assert {r.id for r in column_rows(select(Student.id))} == two["a_students"]
    assert {r.id for r in column_rows(select(Student.id))} == two["all_students"]
