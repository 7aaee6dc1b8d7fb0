"""Issue 20.4: with many schools in one database the planner must know that a row's foreign key
determines its organization (migration 0026_region_indexes: functional-dependency statistics on
PostgreSQL; measured in bench/RESULTS.md, «Регион»)."""
import pytest
from sqlalchemy import text

from models import db


def test_the_organization_filter_has_dependency_statistics_on_postgresql(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("расширенная статистика есть только в PostgreSQL")
        rows = db.session.execute(text(
            "SELECT s.stxname, c.relname, s.stxkind::text, "
            "  array(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = s.stxrelid "
            "        AND a.attnum = ANY(s.stxkeys) ORDER BY a.attname) "
            "FROM pg_statistic_ext s JOIN pg_class c ON c.oid = s.stxrelid")).all()
        found = {name: (table, kinds, list(columns)) for name, table, kinds, columns in rows}
        assert found["st_lesson_assignment_org"] == ("lesson", "{f}", ["assignment_id", "org_id"])
        assert found["st_task_lesson_org"] == ("task", "{f}", ["lesson_id", "org_id"])
        assert found["st_mark_task_org"] == ("mark", "{f}", ["org_id", "task_id"])
        assert found["st_attendance_lesson_org"] == ("attendance", "{f}", ["lesson_id", "org_id"])
