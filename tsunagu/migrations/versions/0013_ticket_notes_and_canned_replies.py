"""ticket notes and canned replies (staff console as an inbox)

Revision ID: 0013
Revises: 0012

- ``handoff_ticket_note``: staff-only notes on a ticket; deleted with it (ON DELETE CASCADE).
- ``handoff_canned_reply``: a team's ready-made answers, offered on its tickets' pages.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'handoff_ticket_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('staff_user_id', sa.Integer(), nullable=True),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['ticket_id'], ['handoff_ticket.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('handoff_ticket_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_ticket_note_ticket_id'), ['ticket_id'], unique=False)
    op.create_table(
        'handoff_canned_reply',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('handoff_canned_reply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_canned_reply_team'), ['team'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handoff_canned_reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_canned_reply_team'))
    op.drop_table('handoff_canned_reply')
    with op.batch_alter_table('handoff_ticket_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_ticket_note_ticket_id'))
    op.drop_table('handoff_ticket_note')
