"""deadline rules: the regulations' deadlines as data, and the record of reports built (issue 17.5)

Revision ID: 0016_deadline_rules
Revises: 0015_announcement_files
Create Date: 2026-12-04 20:40:00

Two new tables. deadline_rule holds an organization's own values of the control page's deadlines; an
organization without rows keeps the defaults of services/control/rules.py (the seeds' values), so existing
organizations work unchanged after the upgrade and no data is moved. report_build records each report shown or
written from now on (the control page's report deadlines).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016_deadline_rules"
down_revision = "0015_announcement_files"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deadline_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("day", sa.Integer(), nullable=True),
        sa.Column("from_day", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_deadline_rule_org_id_organization")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_rule")),
        sa.UniqueConstraint("org_id", "code", name=op.f("uq_deadline_rule_org_id_code")),
    )
    with op.batch_alter_table("deadline_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadline_rule_org_id"), ["org_id"], unique=False)
    op.create_table(
        "report_build",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report", sa.String(length=60), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("teacher_id", sa.Integer(), nullable=True),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["school_class.id"], name=op.f("fk_report_build_class_id_school_class")),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_report_build_org_id_organization")),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"], name=op.f("fk_report_build_period_id_period")),
        sa.ForeignKeyConstraint(["teacher_id"], ["staff.id"], name=op.f("fk_report_build_teacher_id_staff")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_report_build_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_build")),
    )
    with op.batch_alter_table("report_build", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_build_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_report_build_org_id_report", ["org_id", "report"], unique=False)


def downgrade():
    with op.batch_alter_table("report_build", schema=None) as batch_op:
        batch_op.drop_index("ix_report_build_org_id_report")
        batch_op.drop_index(batch_op.f("ix_report_build_org_id"))
    op.drop_table("report_build")
    with op.batch_alter_table("deadline_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadline_rule_org_id"))
    op.drop_table("deadline_rule")
