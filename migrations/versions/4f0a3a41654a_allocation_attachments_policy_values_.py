"""allocation attachments, policy values, fee notices (R12, R14, R15, R16)

Only the allocation tables; other domains' pending model changes get their own revisions.

Revision ID: 4f0a3a41654a
Revises: d797b1c95371
Create Date: 2026-11-21 23:27:23.916077

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '4f0a3a41654a'
down_revision = 'd797b1c95371'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('allocation_policy',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_allocation_policy'))
    )
    op.create_table('fee_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('bureau_name', sa.String(length=80), nullable=False),
    sa.Column('province_code', sa.String(length=6), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('finalised_at', sa.DateTime(), nullable=False),
    sa.Column('issue_due_at', sa.DateTime(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.Column('payment_reference', sa.String(length=100), nullable=True),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('unpaid', 'paid')", name=op.f('ck_fee_notice_fee_notice_status')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_fee_notice_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_fee_notice_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_notice')),
    sa.UniqueConstraint('number', name=op.f('uq_fee_notice_number'))
    )
    with op.batch_alter_table('fee_notice', schema=None) as batch_op:
        batch_op.create_index('ix_fee_notice_enterprise_status_due', ['enterprise_id', 'status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_notice_instance_id'), ['instance_id'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('stored_name', sa.String(length=100), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_attachment_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['user.id'], name=op.f('fk_attachment_uploaded_by_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_instance_id'), ['instance_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_instance_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('fee_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_notice_instance_id'))
        batch_op.drop_index('ix_fee_notice_enterprise_status_due')

    op.drop_table('fee_notice')
    op.drop_table('allocation_policy')
