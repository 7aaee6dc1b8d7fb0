"""lesson files: files a teacher attaches to a lesson's homework or topic (issue 16.6)

Revision ID: 0008_lesson_files
Revises: 0007_files_notifications
Create Date: 2026-12-04 18:45:00

One new table; nothing existing changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008_lesson_files"
down_revision = "0007_files_notifications"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lesson_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("stored_file_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["lesson_id"], ["lesson.id"], name=op.f("fk_lesson_file_lesson_id_lesson")),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_lesson_file_org_id_organization")),
        sa.ForeignKeyConstraint(["stored_file_id"], ["stored_file.id"],
                                name=op.f("fk_lesson_file_stored_file_id_stored_file")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_file")),
        sa.UniqueConstraint("stored_file_id", name=op.f("uq_lesson_file_stored_file_id")),
    )
    with op.batch_alter_table("lesson_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lesson_file_lesson_id"), ["lesson_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lesson_file_org_id"), ["org_id"], unique=False)


def downgrade():
    with op.batch_alter_table("lesson_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_file_org_id"))
        batch_op.drop_index(batch_op.f("ix_lesson_file_lesson_id"))
    op.drop_table("lesson_file")
