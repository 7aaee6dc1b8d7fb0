"""Migration 0004_natural_keys on a school's data made before it (SQLite, or a scratch PostgreSQL
database): the copies concurrent requests left are removed, a stay left open by a cancelled order is
treated as its cancellation treated the first copy, and then the unique keys hold; two versions of
the truth stop the upgrade with the list, and nothing is changed."""
from datetime import date

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, inspect as sa_inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from app import create_app
from models import ClassMembership, Curriculum, CurriculumLine, TeachingAssignment, db
from services.movement import orders as movement
from tests.factories import build_world, mv_actor, mv_transfer, pl_assignment, pl_curriculum, pl_subject

# Real commits: migrations, on a database of their own.
pytestmark = pytest.mark.real_commits

REVISION = "0004_natural_keys"


def _server(url):
    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture
def before_0003(app, tmp_path):
    """An application on a database of its own, migrated up to the revision before 0003."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    scratch = None
    if url.get_backend_name() == "postgresql":
        scratch = f"{url.database}_migration"
        with _server(url).connect() as server:
            server.exec_driver_sql(f'DROP DATABASE IF EXISTS "{scratch}"')
            server.exec_driver_sql(f'CREATE DATABASE "{scratch}"')
        fresh_url = url.set(database=scratch).render_as_string(hide_password=False)
    else:
        fresh_url = f"sqlite:///{tmp_path / 'school.db'}"
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url, "TESTING": True, "SECRET_KEY": "test-secret",
                        "PASSWORD_HASH_PARAMS": app.config["PASSWORD_HASH_PARAMS"]})
    with fresh.app_context():
        scripts = ScriptDirectory.from_config(fresh.extensions["migrate"].migrate.get_config())
        upgrade(revision=scripts.get_revision(REVISION).down_revision)
        _LATER.clear()
        _LATER.extend(_add_later_columns())
        yield fresh
        db.session.remove()
        db.engine.dispose()
    if scratch:
        with _server(url).connect() as server:
            server.exec_driver_sql(f'DROP DATABASE "{scratch}"')


_LATER = []  # (table, column) the models have and the old schema lacks, added for the ORM to write the world


def _add_later_columns():
    """The models are today's: the nullable columns later revisions added (user_account.home_seen_at …) are
    added to the old schema, so that the ORM can write the world there; `as_released()` drops them again."""
    inspector = sa_inspect(db.engine)
    added = []
    with db.engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present and column.nullable:
                    kind = column.type.compile(db.engine.dialect)
                    conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
                    added.append((table.name, column.name))
    return added


def as_released():
    """The schema as the old revision left it (the columns `_add_later_columns` added dropped), before the
    upgrade under test."""
    db.session.commit()  # nothing held: the ALTERs and the upgrade take their own connections
    with db.engine.begin() as conn:
        for table, column in _LATER:
            conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')


def copy_row(table, row_id, **changes):
    """A copy of a row as a concurrent request (or a script) could have written it: no rule asked."""
    columns = [c.name for c in db.metadata.tables[table].columns if c.name != "id"]
    values = ", ".join(f":{c}" if c in changes else c for c in columns)
    new_id = db.session.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM {table} "
                                     f"WHERE id = :row_id RETURNING id"), {"row_id": row_id, **changes}).scalar()
    db.session.commit()
    return new_id


def copy_curriculum(plan_id, **changes):
    new_id = copy_row("curriculum", plan_id, **changes)
    for line_id in db.session.scalars(select(CurriculumLine.id).where(CurriculumLine.curriculum_id == plan_id)):
        copy_row("curriculum_line", line_id, curriculum_id=new_id)
    return new_id


def open_stay(student):
    return db.session.scalar(select(ClassMembership.id).where(ClassMembership.student_id == student.id,
                                                              ClassMembership.end_date.is_(None)))


def stays(student):
    # The student's id from its identity, not its (expired) attributes: refreshing the card would read columns
    # a later revision adds (the contingent's), absent from the released schema `as_released()` restores.
    student_id = sa_inspect(student).identity[0]
    db.session.expire_all()
    return [(m.class_id, m.end_date) for m in db.session.scalars(
        select(ClassMembership).where(ClassMembership.student_id == student_id).order_by(ClassMembership.id))]


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def school(world):
    a = world.a
    math = pl_subject(a.org, "Математика")
    plan = pl_curriculum(a.org, a.year, 5, [(math, 5)])
    load = pl_assignment(a.org, a.klass, math, a.teacher)
    db.session.commit()
    return a, plan, load


def test_copies_are_removed_and_the_natural_keys_then_hold(before_0003):
    world = build_world(region=False)  # the released schema has no region tables
    a, plan, load = school(world)
    copy_row("class_membership", open_stay(a.student))  # one order applied twice
    copy_curriculum(plan.id)  # a copy step run twice at once
    copy_row("teaching_assignment", load.id)
    # A transfer applied twice, then cancelled from its own date: the cancellation deleted the stay it
    # found and reopened the one before; the copy stayed open.
    transfer = mv_transfer(a.classmate, a.other_class, date(2026, 11, 16))
    copy_row("class_membership", open_stay(a.classmate))
    cancel = movement.draft_cancellation(mv_actor(a.org), transfer.id)
    movement.apply_order(mv_actor(a.org), cancel.id)
    db.session.commit()  # as the order's request would (services only flush: services/uow.py)
    assert len([s for s in stays(a.classmate) if s[1] is None]) == 2

    as_released()
    upgrade()

    assert stays(a.student) == [(a.klass.id, None)]
    assert stays(a.classmate) == [(a.klass.id, None)]
    assert (count(Curriculum), count(CurriculumLine), count(TeachingAssignment)) == (1, 1, 1)
    for table, row_id in (("class_membership", open_stay(a.student)), ("curriculum", plan.id),
                          ("teaching_assignment", load.id)):
        with pytest.raises(IntegrityError):
            copy_row(table, row_id)
        db.session.rollback()


def test_two_versions_of_the_truth_stop_the_upgrade_and_change_nothing(before_0003, capfd):
    world = build_world(region=False)  # the released schema has no region tables
    a, plan, _ = school(world)
    copy_row("class_membership", open_stay(a.student), class_id=a.other_class.id)  # in two classes at once
    copy_curriculum(plan.id, max_hours=25)
    before = (stays(a.student), count(Curriculum), count(CurriculumLine))

    as_released()
    with pytest.raises(SystemExit):
        upgrade()

    message = capfd.readouterr().err
    assert "Обновление базы (0004_natural_keys) остановлено, база не изменена" in message
    assert "ученик Учеников Пётр" in message and "«5А» с 01.09.2026" in message and "«6Б» с 01.09.2026" in message
    assert f"учебные планы 5 класса на 2026/2027 различаются: id {plan.id}, {plan.id + 1}" in message
    assert (stays(a.student), count(Curriculum), count(CurriculumLine)) == before
    assert db.session.scalar(text("SELECT version_num FROM alembic_version")) != REVISION
