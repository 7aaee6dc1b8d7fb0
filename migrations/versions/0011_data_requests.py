"""data requests: a parent's requests to correct personal data of his own or his child's card (issue 16.5)

Revision ID: 0011_data_requests
Revises: 0010_notify_claims
Create Date: 2026-12-04 18:40:00

One new table; nothing existing changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_data_requests"
down_revision = "0010_notify_claims"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("proposed", sa.String(length=500), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("scan_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.String(length=1000), nullable=True),
        sa.Column("old_value", sa.String(length=500), nullable=True),
        sa.Column("new_value", sa.String(length=500), nullable=True),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("(student_id IS NULL) <> (parent_id IS NULL)", name=op.f("ck_data_request_one_card")),
        sa.CheckConstraint("status in ('open', 'applied', 'refused')", name=op.f("ck_data_request_status")),
        sa.ForeignKeyConstraint(["author_id"], ["parent.id"], name=op.f("fk_data_request_author_id_parent"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_user_id"], ["user_account.id"],
                                name=op.f("fk_data_request_author_user_id_user_account")),
        sa.ForeignKeyConstraint(["closed_by_id"], ["user_account.id"],
                                name=op.f("fk_data_request_closed_by_id_user_account")),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_data_request_org_id_organization")),
        sa.ForeignKeyConstraint(["parent_id"], ["parent.id"], name=op.f("fk_data_request_parent_id_parent"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scan_id"], ["stored_file.id"], name=op.f("fk_data_request_scan_id_stored_file"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_data_request_student_id_student"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_request")),
    )
    with op.batch_alter_table("data_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_request_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_request_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_request_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_request_student_id"), ["student_id"], unique=False)
        batch_op.create_index("ix_data_request_org_id_status_created_at", ["org_id", "status", "created_at"],
                              unique=False)


def downgrade():
    op.drop_table("data_request")
