"""core tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 00:47:41.142572
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=80), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_actor', ['actor', 'at'], unique=False)
        batch_op.create_index('ix_audit_subject', ['subject_type', 'subject_id', 'at'], unique=False)

    op.create_table('groups',
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups'))
    )
    op.create_table('process_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('deployed_by', sa.String(length=80), nullable=False),
    sa.Column('deployed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pilot_rule', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_versions')),
    sa.UniqueConstraint('process_id', 'content_hash', name='uq_process_versions_hash'),
    sa.UniqueConstraint('process_id', 'number', name='uq_process_versions_number')
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('agency', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('instances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=120), nullable=False),
    sa.Column('case_ref', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('failed_element', sa.String(length=120), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('started_by', sa.String(length=80), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_timer_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('waiting_for', sa.String(length=400), nullable=False, server_default=''),
    sa.ForeignKeyConstraint(['version_id'], ['process_versions.id'], name=op.f('fk_instances_version_id_process_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instances'))
    )
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.create_index('ix_instances_case', ['case_ref'], unique=False)
        batch_op.create_index('ix_instances_version_status', ['version_id', 'status'], unique=False)

    op.create_table('memberships',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_memberships_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'group_id', name=op.f('pk_memberships'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index('ix_memberships_group', ['group_id'], unique=False)

    op.create_table('version_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['process_versions.id'], name=op.f('fk_version_files_version_id_process_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_version_files')),
    sa.UniqueConstraint('version_id', 'filename', name='uq_version_files_name')
    )
    op.create_table('message_waits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=120), nullable=False),
    sa.Column('case_ref', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_message_waits_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_waits'))
    )
    with op.batch_alter_table('message_waits', schema=None) as batch_op:
        batch_op.create_index('ix_message_waits_message', ['message', 'case_ref'], unique=False)

    op.create_table('timers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('claimed_by', sa.String(length=80), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_timers_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timers'))
    )
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.create_index('ix_timers_instance', ['instance_id'], unique=False)
        batch_op.create_index('ix_timers_status_due', ['status', 'due_at'], unique=False)

    op.create_table('work_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('element_id', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('process_id', sa.String(length=120), nullable=False),
    sa.Column('case_ref', sa.String(length=40), nullable=True),
    sa.Column('form_ref', sa.String(length=120), nullable=True),
    sa.Column('groups', sa.String(length=400), nullable=False),
    sa.Column('assignee', sa.String(length=80), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_reason', sa.String(length=400), nullable=False),
    sa.Column('documentation', sa.Text(), nullable=False),
    sa.Column('draft', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_by', sa.String(length=80), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_work_items_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_items')),
    sa.UniqueConstraint('instance_id', 'task_id', name='uq_work_items_task')
    )
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.create_index('ix_work_items_assignee_status', ['assignee', 'status', 'due_at'], unique=False)
        batch_op.create_index('ix_work_items_instance', ['instance_id', 'status'], unique=False)
        batch_op.create_index('ix_work_items_status_due', ['status', 'due_at'], unique=False)

    op.create_table('work_item_groups',
    sa.Column('work_item_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.String(length=80), nullable=False),
    sa.Column('open', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['work_item_id'], ['work_items.id'], name=op.f('fk_work_item_groups_work_item_id_work_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_item_id', 'group_id', name=op.f('pk_work_item_groups'))
    )
    with op.batch_alter_table('work_item_groups', schema=None) as batch_op:
        batch_op.create_index('ix_work_item_groups_group_open', ['group_id', 'open', 'work_item_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('work_item_groups', schema=None) as batch_op:
        batch_op.drop_index('ix_work_item_groups_group_open')

    op.drop_table('work_item_groups')
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.drop_index('ix_work_items_status_due')
        batch_op.drop_index('ix_work_items_instance')
        batch_op.drop_index('ix_work_items_assignee_status')

    op.drop_table('work_items')
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_index('ix_timers_status_due')
        batch_op.drop_index('ix_timers_instance')

    op.drop_table('timers')
    with op.batch_alter_table('message_waits', schema=None) as batch_op:
        batch_op.drop_index('ix_message_waits_message')

    op.drop_table('message_waits')
    op.drop_table('version_files')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_memberships_group')

    op.drop_table('memberships')
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index('ix_instances_version_status')
        batch_op.drop_index('ix_instances_case')

    op.drop_table('instances')
    op.drop_table('users')
    op.drop_table('process_versions')
    op.drop_table('groups')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_subject')
        batch_op.drop_index('ix_audit_actor')

    op.drop_table('audit_events')
