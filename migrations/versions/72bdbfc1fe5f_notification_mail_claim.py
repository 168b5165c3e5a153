"""notification mail claim: claimed_at and attempts, so each mail is sent at most once

Revision ID: 72bdbfc1fe5f
Revises: 4130b3929e73
Create Date: 2026-12-06 23:10:16.760923

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '72bdbfc1fe5f'
down_revision = '4130b3929e73'
branch_labels = None
depends_on = None

QUEUE = sa.text('mailed_at IS NULL AND mail_claimed_at IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mail_claimed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('mail_attempts', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.create_index('ix_notification_mail_queue', ['id'], unique=False,
                              sqlite_where=QUEUE, postgresql_where=QUEUE)


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_mail_queue', sqlite_where=QUEUE,
                            postgresql_where=QUEUE)
        batch_op.drop_column('mail_attempts')
        batch_op.drop_column('mail_claimed_at')
