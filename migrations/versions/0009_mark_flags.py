"""mark flags: «отметка ошибочна» of a student or a parent and the teacher's answer (issue 16.4)

Revision ID: 0009_mark_flags
Revises: 0008_lesson_files
Create Date: 2026-12-04 18:45:00

One new table; nothing existing changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_mark_flags"
down_revision = "0008_lesson_files"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mark_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mark_id", sa.Integer(), nullable=True),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=True),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("mark_value", sa.String(length=6), nullable=False),
        sa.Column("mark_version", sa.Integer(), nullable=False),
        sa.Column("flagged_by_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("corrected_value", sa.String(length=6), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["answered_by_id"], ["user_account.id"],
                                name=op.f("fk_mark_flag_answered_by_id_user_account")),
        sa.ForeignKeyConstraint(["assignment_id"], ["teaching_assignment.id"],
                                name=op.f("fk_mark_flag_assignment_id_teaching_assignment")),
        sa.ForeignKeyConstraint(["flagged_by_id"], ["user_account.id"],
                                name=op.f("fk_mark_flag_flagged_by_id_user_account")),
        sa.ForeignKeyConstraint(["lesson_id"], ["lesson.id"], name=op.f("fk_mark_flag_lesson_id_lesson"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["mark_id"], ["mark.id"], name=op.f("fk_mark_flag_mark_id_mark"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_mark_flag_org_id_organization")),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_mark_flag_student_id_student")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mark_flag")),
    )
    with op.batch_alter_table("mark_flag", schema=None) as batch_op:
        for column in ("assignment_id", "flagged_by_id", "lesson_id", "mark_id", "org_id", "status", "student_id"):
            batch_op.create_index(batch_op.f(f"ix_mark_flag_{column}"), [column], unique=False)


def downgrade():
    with op.batch_alter_table("mark_flag", schema=None) as batch_op:
        for column in ("assignment_id", "flagged_by_id", "lesson_id", "mark_id", "org_id", "status", "student_id"):
            batch_op.drop_index(batch_op.f(f"ix_mark_flag_{column}"))
    op.drop_table("mark_flag")
