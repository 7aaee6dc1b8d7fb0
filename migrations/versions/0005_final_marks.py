"""final marks: results of the exam-session timetable's rows (issue 13.1)

Revision ID: 0005_final_marks
Revises: 0004_natural_keys
Create Date: 2026-12-10 09:00:00

A new table only: existing data is untouched. (Chained after 0002_access_log, the head of this
branch; the lead re-chains it with the parallel revisions at merge.)
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005_final_marks"
down_revision = "0004_natural_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "exam_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_entry_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=6), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["exam_entry_id"], ["exam_entry.id"], ondelete="CASCADE",
                                name=op.f("fk_exam_result_exam_entry_id_exam_entry")),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_exam_result_org_id_organization")),
        sa.ForeignKeyConstraint(["set_by_id"], ["user_account.id"], name=op.f("fk_exam_result_set_by_id_user_account")),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_exam_result_student_id_student")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_result")),
        sa.UniqueConstraint("exam_entry_id", "student_id", name=op.f("uq_exam_result_exam_entry_id_student_id")),
    )
    with op.batch_alter_table("exam_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exam_result_exam_entry_id"), ["exam_entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_exam_result_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_exam_result_student_id"), ["student_id"], unique=False)


def downgrade():
    with op.batch_alter_table("exam_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exam_result_student_id"))
        batch_op.drop_index(batch_op.f("ix_exam_result_org_id"))
        batch_op.drop_index(batch_op.f("ix_exam_result_exam_entry_id"))
    op.drop_table("exam_result")
