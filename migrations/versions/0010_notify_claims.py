"""notify claims and settings: a sender's claim on a queued e-mail (two senders never send one twice) and the
users' choices of which e-mails to receive (issue 16.7)

Revision ID: 0010_notify_claims
Revises: 0009_mark_flags
Create Date: 2026-12-04 19:00:00

Two nullable columns on `notification` and a new table; nothing existing changes (a queued e-mail is
unclaimed, every user keeps the defaults: everything on but the weekly digest).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010_notify_claims"
down_revision = "0009_mark_flags"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))

    op.create_table(
        "notification_setting",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE",
                                name=op.f("fk_notification_setting_user_id_user_account")),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notification_setting")),
    )


def downgrade():
    op.drop_table("notification_setting")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
