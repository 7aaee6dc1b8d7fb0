"""report_builder: saved definitions of «Конструктор отчётов» (issue 18.1, seed 001 §10.5)

Revision ID: 0018_report_builder
Revises: 0017_contingent
Create Date: 2026-12-04 20:41:29.683781

A new table saved_report (organization, author, name, shared flag, the definition as JSON); no existing data
is touched.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_report_builder'
down_revision = '0017_contingent'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('saved_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_saved_report_org_id_organization')),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_saved_report_owner_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_report')),
    sa.UniqueConstraint('org_id', 'owner_id', 'name', name=op.f('uq_saved_report_org_id_owner_id_name'))
    )
    with op.batch_alter_table('saved_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_report_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_saved_report_owner_id'), ['owner_id'], unique=False)



def downgrade():
    with op.batch_alter_table('saved_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_report_owner_id'))
        batch_op.drop_index(batch_op.f('ix_saved_report_org_id'))

    op.drop_table('saved_report')
