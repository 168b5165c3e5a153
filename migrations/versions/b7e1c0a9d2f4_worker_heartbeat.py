"""Worker heartbeats (read by /readyz)

Revision ID: b7e1c0a9d2f4
Revises: ccad04678980
Create Date: 2026-11-22 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e1c0a9d2f4'
down_revision = 'ccad04678980'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'worker_heartbeat',
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('host', sa.String(length=100), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('beat_at', sa.DateTime(), nullable=False),
        sa.Column('fired_total', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_heartbeat')),
    )


def downgrade() -> None:
    op.drop_table('worker_heartbeat')
