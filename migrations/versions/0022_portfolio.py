"""portfolio: the students' electronic portfolio and the portfolio of projects (issue 18.3, seed 000 §3.4, §4.3)

Revision ID: 0022_portfolio
Revises: 0021_etests
Create Date: 2026-12-04 20:41:03

Four new tables (entries, projects, their stages and participants); nothing existing changes.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_portfolio'
down_revision = "0021_etests"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portfolio_project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('supervisor_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('result_text', sa.Text(), nullable=True),
    sa.Column('result_file_id', sa.Integer(), nullable=True),
    sa.Column('mark', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_portfolio_project_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_portfolio_project_org_id_organization')),
    sa.ForeignKeyConstraint(['result_file_id'], ['stored_file.id'], name=op.f('fk_portfolio_project_result_file_id_stored_file')),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_portfolio_project_subject_id_subject')),
    sa.ForeignKeyConstraint(['supervisor_id'], ['staff.id'], name=op.f('fk_portfolio_project_supervisor_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_project'))
    )
    with op.batch_alter_table('portfolio_project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portfolio_project_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portfolio_project_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portfolio_project_supervisor_id'), ['supervisor_id'], unique=False)

    op.create_table('portfolio_project_stage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('planned_date', sa.Date(), nullable=True),
    sa.Column('done_date', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_portfolio_project_stage_org_id_organization')),
    sa.ForeignKeyConstraint(['project_id'], ['portfolio_project.id'], name=op.f('fk_portfolio_project_stage_project_id_portfolio_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_project_stage'))
    )
    with op.batch_alter_table('portfolio_project_stage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portfolio_project_stage_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portfolio_project_stage_project_id'), ['project_id'], unique=False)

    op.create_table('portfolio_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=16), nullable=True),
    sa.Column('result', sa.String(length=300), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('stored_file_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_portfolio_entry_author_id_user_account')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_portfolio_entry_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_portfolio_entry_org_id_organization')),
    sa.ForeignKeyConstraint(['stored_file_id'], ['stored_file.id'], name=op.f('fk_portfolio_entry_stored_file_id_stored_file')),
    sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_portfolio_entry_student_id_student'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_portfolio_entry_subject_id_subject')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_entry'))
    )
    with op.batch_alter_table('portfolio_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portfolio_entry_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portfolio_entry_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_portfolio_entry_org_id_status', ['org_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_portfolio_entry_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portfolio_entry_subject_id'), ['subject_id'], unique=False)

    op.create_table('portfolio_project_participant',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['portfolio_project.id'], name=op.f('fk_portfolio_project_participant_project_id_portfolio_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_portfolio_project_participant_student_id_student'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'student_id', name=op.f('pk_portfolio_project_participant'))
    )
    with op.batch_alter_table('portfolio_project_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portfolio_project_participant_student_id'), ['student_id'], unique=False)



def downgrade():
    with op.batch_alter_table('portfolio_project_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portfolio_project_participant_student_id'))

    op.drop_table('portfolio_project_participant')
    with op.batch_alter_table('portfolio_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portfolio_entry_subject_id'))
        batch_op.drop_index(batch_op.f('ix_portfolio_entry_student_id'))
        batch_op.drop_index('ix_portfolio_entry_org_id_status')
        batch_op.drop_index(batch_op.f('ix_portfolio_entry_org_id'))
        batch_op.drop_index(batch_op.f('ix_portfolio_entry_author_id'))

    op.drop_table('portfolio_entry')
    with op.batch_alter_table('portfolio_project_stage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portfolio_project_stage_project_id'))
        batch_op.drop_index(batch_op.f('ix_portfolio_project_stage_org_id'))

    op.drop_table('portfolio_project_stage')
    with op.batch_alter_table('portfolio_project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portfolio_project_supervisor_id'))
        batch_op.drop_index(batch_op.f('ix_portfolio_project_subject_id'))
        batch_op.drop_index(batch_op.f('ix_portfolio_project_org_id'))

    op.drop_table('portfolio_project')
