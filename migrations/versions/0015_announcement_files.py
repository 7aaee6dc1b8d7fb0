"""announcement files: several attachments per announcement (issue 16.3, «вложения»)

Revision ID: 0015_announcement_files
Revises: 0014_paper_reports
Create Date: 2026-12-04 19:10:00

A new table announcement_file (announcement, stored file, position); every existing announcement's single
attachment (announcement.file_id) is moved into it (INSERT … SELECT), then announcement.file_id is dropped.
The downgrade puts back the first attachment of each announcement.

SQLite (foreign keys enforced) recreates a table to drop a column: announcement cannot be recreated while rows of
announcement_file refer to it, so the reference announcement_file → announcement is added after file_id is gone
(and dropped first on the way down).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_announcement_files"
down_revision = "0014_paper_reports"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "announcement_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("stored_file_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["stored_file_id"], ["stored_file.id"],
                                name=op.f("fk_announcement_file_stored_file_id_stored_file")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement_file")),
    )
    with op.batch_alter_table("announcement_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_announcement_file_announcement_id"), ["announcement_id"], unique=False)
    op.execute("INSERT INTO announcement_file (announcement_id, stored_file_id, position) "
               "SELECT id, file_id, 0 FROM announcement WHERE file_id IS NOT NULL")
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_announcement_file_id_stored_file"), type_="foreignkey")
        batch_op.drop_column("file_id")
    with op.batch_alter_table("announcement_file", schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f("fk_announcement_file_announcement_id_announcement"), "announcement",
                                    ["announcement_id"], ["id"])


def downgrade():
    with op.batch_alter_table("announcement_file", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_announcement_file_announcement_id_announcement"), type_="foreignkey")
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_announcement_file_id_stored_file"), "stored_file",
                                    ["file_id"], ["id"])
    op.execute("UPDATE announcement SET file_id = (SELECT f.stored_file_id FROM announcement_file f "
               "WHERE f.announcement_id = announcement.id ORDER BY f.position, f.id LIMIT 1)")
    with op.batch_alter_table("announcement_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcement_file_announcement_id"))
    op.drop_table("announcement_file")
