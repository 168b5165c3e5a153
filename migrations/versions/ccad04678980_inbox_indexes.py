"""Inbox indexes: the queue index carries the sort keys; the assignee index is partial

Revision ID: ccad04678980
Revises: 6a31c237b8dc
Create Date: 2026-11-21 23:32:54.544121

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'ccad04678980'
down_revision = '6a31c237b8dc'
branch_labels = None
depends_on = None

CLAIMED = sa.text("assignee_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index('ix_human_task_queue', table_name='human_task')
    op.create_index(
        'ix_human_task_queue', 'human_task',
        ['state', 'region_code', 'role', 'due_at', 'priority', 'created_at', 'id'], unique=False,
    )
    op.drop_index('ix_human_task_assignee', table_name='human_task')
    op.create_index(
        'ix_human_task_assignee', 'human_task', ['assignee_id', 'state'], unique=False,
        sqlite_where=CLAIMED, postgresql_where=CLAIMED,
    )


def downgrade() -> None:
    op.drop_index('ix_human_task_assignee', table_name='human_task')
    op.create_index('ix_human_task_assignee', 'human_task', ['assignee_id', 'state'], unique=False)
    op.drop_index('ix_human_task_queue', table_name='human_task')
    op.create_index(
        'ix_human_task_queue', 'human_task', ['state', 'region_code', 'role', 'due_at'], unique=False
    )
