"""routing table, a ticket's earlier emergency, the citizen's last choice

Revision ID: 0012
Revises: 0011

- ``handoff_routing_rule``: the routing table editors own (category / entry / topic word → team), unique per
  kind and key; the settings' ``handoff_routes`` seed the category rules it lacks.
- ``handoff_ticket.emergency_before_at``: emergency words were sent shortly before the ticket (shown as
  「直前に緊急の言葉あり」, not as 至急).
- ``bot_line_user.last_category``, ``last_entry``, ``last_choice_for``: the category or entry the citizen last
  chose and a digest of the question it was chosen for (routes a hand-off of that question; no citizen text).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'handoff_routing_rule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'key', name='uq_handoff_routing_rule_kind_key'),
    )
    with op.batch_alter_table('handoff_ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emergency_before_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table('bot_line_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('last_entry', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))
        batch_op.add_column(sa.Column('last_choice_for', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bot_line_user', schema=None) as batch_op:
        batch_op.drop_column('last_choice_for')
        batch_op.drop_column('last_entry')
        batch_op.drop_column('last_category')
    with op.batch_alter_table('handoff_ticket', schema=None) as batch_op:
        batch_op.drop_column('emergency_before_at')
    op.drop_table('handoff_routing_rule')
