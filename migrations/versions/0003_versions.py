"""versions of the records people edit in forms (issue 12: no silent lost update)

Every record a form edits (lessons and tasks of the journal, the Flask-Admin cards and the
hand-made grids' records) gets `version`, SQLAlchemy's version counter (models.org.Versioned):
a save made from an older version is refused, never written over the newer one. Existing rows
start at version 1 (the server default); a form opened before the upgrade carries no version, so
its save is refused once and works when the page is opened again.

Revision ID: 0003_versions
Revises: 0002_access_log
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_versions"
down_revision = "0002_access_log"
branch_labels = None
depends_on = None

TABLES = (
    "organization", "academic_year", "period", "holiday", "calendar_day", "room", "position", "department",
    "specialty", "school_class", "student", "parent", "staff", "educational_area", "subject", "curriculum",
    "teaching_assignment", "thematic_plan", "bell", "timetable_change", "exam_entry", "task_type",
    "attendance_code", "lesson", "task", "movement_order", "movement_item",
)


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
