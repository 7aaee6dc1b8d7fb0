"""home last visit: when a user last opened the start page (issue 15.1)

Revision ID: 0006_home_last_visit
Revises: 0005_final_marks
Create Date: 2026-12-04 18:00:00

Two nullable columns on user_account: existing accounts keep every value and start with no visit
(the start page then counts a parent's or a student's news from a week back).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006_home_last_visit"
down_revision = "0005_final_marks"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_seen_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("home_since", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("home_since")
        batch_op.drop_column("home_seen_at")
