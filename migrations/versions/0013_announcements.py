"""announcements: to the organization, a grade, a class or the staff, between two dates (issue 16.3)

Revision ID: 0013_announcements
Revises: 0012_messages
Create Date: 2026-12-04 18:40:00

One new table; nothing existing changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_announcements"
down_revision = "0012_messages"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "announcement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=10), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("publish_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"],
                                name=op.f("fk_announcement_author_id_user_account")),
        sa.ForeignKeyConstraint(["class_id"], ["school_class.id"], name=op.f("fk_announcement_class_id_school_class")),
        sa.ForeignKeyConstraint(["file_id"], ["stored_file.id"], name=op.f("fk_announcement_file_id_stored_file")),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_announcement_org_id_organization")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement")),
    )
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_announcement_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_announcement_class_id"), ["class_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_announcement_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_announcement_org_id_end_date", ["org_id", "end_date"], unique=False)


def downgrade():
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.drop_index("ix_announcement_org_id_end_date")
        batch_op.drop_index(batch_op.f("ix_announcement_org_id"))
        batch_op.drop_index(batch_op.f("ix_announcement_class_id"))
        batch_op.drop_index(batch_op.f("ix_announcement_author_id"))
    op.drop_table("announcement")
