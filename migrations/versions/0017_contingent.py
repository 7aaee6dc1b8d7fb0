"""contingent: the federal contingent register's data on the student card (issue 17.6, seed 000 §4.3)

Revision ID: 0017_contingent
Revises: 0016_deadline_rules
Create Date: 2026-12-04 20:40:00

Nullable columns of student: citizenship (and its country), place of birth, registration address, health group,
disability (its category, until), ОВЗ and the adapted programme, form of study and of funding, the previous
education document. Existing cards keep every value and get these empty (the completeness check lists them).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017_contingent"
down_revision = "0016_deadline_rules"
branch_labels = None
depends_on = None

COLUMNS = (
    ("citizenship", sa.String(16)), ("citizenship_country", sa.String(100)), ("birth_place", sa.String(300)),
    ("registration_address", sa.String(500)), ("health_group", sa.String(3)), ("disability", sa.String(3)),
    ("disability_category", sa.String(16)), ("disability_until", sa.Date()), ("ovz", sa.String(3)),
    ("adapted_program", sa.String(300)), ("study_form", sa.String(16)), ("funding", sa.String(16)),
    ("previous_doc_kind", sa.String(20)), ("previous_doc_series", sa.String(20)),
    ("previous_doc_number", sa.String(30)), ("previous_doc_date", sa.Date()),
    ("previous_doc_issued_by", sa.String(300)),
)


def upgrade():
    with op.batch_alter_table("student", schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))


def downgrade():
    with op.batch_alter_table("student", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
