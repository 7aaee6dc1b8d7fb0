"""messages: internal mail and parents' questions (issue 16.1–2)

Revision ID: 0012_messages
Revises: 0011_data_requests
Create Date: 2026-12-04 18:27:55

Three new tables; nothing existing changes.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_messages'
down_revision = '0011_data_requests'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('reply_to_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('is_question', sa.Boolean(), nullable=False),
    sa.Column('sender_deleted', sa.Boolean(), nullable=False),
    sa.Column('group_label', sa.String(length=200), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_message_org_id_organization')),
    sa.ForeignKeyConstraint(['reply_to_id'], ['message.id'], name=op.f('fk_message_reply_to_id_message')),
    sa.ForeignKeyConstraint(['sender_id'], ['user_account.id'], name=op.f('fk_message_sender_id_user_account')),
    sa.ForeignKeyConstraint(['thread_id'], ['message.id'], name=op.f('fk_message_thread_id_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_sender_id'), ['sender_id'], unique=False)
        batch_op.create_index('ix_message_sender_id_sent_at', ['sender_id', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_thread_id'), ['thread_id'], unique=False)

    op.create_table('message_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_message_attachment_file_id_stored_file')),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_message_attachment_message_id_message')),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_message_attachment_org_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_attachment'))
    )
    with op.batch_alter_table('message_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_attachment_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_attachment_org_id'), ['org_id'], unique=False)

    op.create_table('message_copy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('is_question', sa.Boolean(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_message_copy_message_id_message')),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_message_copy_org_id_organization')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_message_copy_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_copy'))
    )
    with op.batch_alter_table('message_copy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_copy_message_id'), ['message_id'], unique=False)
        batch_op.create_index('ix_message_copy_open_questions', ['is_question', 'answered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_copy_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_message_copy_user_id_deleted_read_at', ['user_id', 'deleted', 'read_at'], unique=False)



def downgrade():
    with op.batch_alter_table('message_copy', schema=None) as batch_op:
        batch_op.drop_index('ix_message_copy_user_id_deleted_read_at')
        batch_op.drop_index(batch_op.f('ix_message_copy_org_id'))
        batch_op.drop_index('ix_message_copy_open_questions')
        batch_op.drop_index(batch_op.f('ix_message_copy_message_id'))

    op.drop_table('message_copy')
    with op.batch_alter_table('message_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_attachment_org_id'))
        batch_op.drop_index(batch_op.f('ix_message_attachment_message_id'))

    op.drop_table('message_attachment')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_thread_id'))
        batch_op.drop_index('ix_message_sender_id_sent_at')
        batch_op.drop_index(batch_op.f('ix_message_sender_id'))
        batch_op.drop_index(batch_op.f('ix_message_org_id'))

    op.drop_table('message')
