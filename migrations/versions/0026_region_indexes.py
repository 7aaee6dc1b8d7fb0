"""region indexes: extended statistics for the organization filter on PostgreSQL (issue 20.4)

Every journal, diary and save statement filters by the organization besides its foreign key
(`lesson.assignment_id = :a AND lesson.org_id = :org`). The planner multiplies the two selectivities
as if independent, so with 50 schools in one database it expects 1 lesson of a teaching assignment
instead of ≈100, and the diary's «previous lesson» look-up chose ix_lesson_assignment_id with a sort
of every lesson of the assignment (1,9 ms) over the backward scan of the unique index with LIMIT 1
(0,3 ms) — measured on the 50-school set (bench/RESULTS.md, «Регион»). Functional-dependency
statistics tell the planner that the foreign key determines the organization. No index is added:
none paid on that set (every hot statement already goes by an index on its key).

Statistics objects only (CREATE STATISTICS … (dependencies), then ANALYZE of those of the four tables that hold
rows — a sample, seconds even at 50 M marks; an empty table is left to autovacuum); no table or row changes.
PostgreSQL only: SQLite has no such statistics, the revision does nothing there. Not seen by `flask db check` (no model change).

Revision ID: 0026_region_indexes
Revises: 0025_jobs
Create Date: 2026-12-04 23:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0026_region_indexes"
down_revision = "0025_jobs"
branch_labels = None
depends_on = None

# (statistics name, table, the foreign key the organization depends on)
STATISTICS = (
    ("st_lesson_assignment_org", "lesson", "assignment_id"),
    ("st_task_lesson_org", "task", "lesson_id"),
    ("st_mark_task_org", "mark", "task_id"),
    ("st_attendance_lesson_org", "attendance", "lesson_id"),
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, key in STATISTICS:
        op.execute(f"CREATE STATISTICS IF NOT EXISTS {name} (dependencies) ON {key}, org_id FROM {table}")
    # The statistics are built by the next ANALYZE. Run now only where the tables hold rows (an installation
    # being upgraded): on a new, empty database an ANALYZE would record «no rows» and the planner would trust it
    # until autovacuum looks again — nested loops over the first thousands of marks loaded.
    bind = op.get_bind()
    filled = [table for _, table, _ in STATISTICS
              if bind.exec_driver_sql(f"SELECT EXISTS (SELECT 1 FROM {table})").scalar()]
    if filled:
        op.execute("ANALYZE " + ", ".join(filled))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _, _ in STATISTICS:
        op.execute(f"DROP STATISTICS IF EXISTS {name}")
