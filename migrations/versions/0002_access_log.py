"""access log: reads of personal data (152-ФЗ art. 19), apart from the change log

Revision ID: 0002_access_log
Revises: 0001_initial
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0002_access_log"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("object_kind", sa.String(length=50), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_access_log_org_id_organization")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_access_log_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index("ix_access_log_org_id_at", "access_log", ["org_id", "at"], unique=False)
    op.create_index("ix_access_log_user_id_at", "access_log", ["user_id", "at"], unique=False)


def downgrade():
    op.drop_index("ix_access_log_user_id_at", table_name="access_log")
    op.drop_index("ix_access_log_org_id_at", table_name="access_log")
    op.drop_table("access_log")
