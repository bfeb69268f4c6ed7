"""LINE users: the open ticket alone says whether staff or the bot answers

Revision ID: 0015
Revises: 0014

- ``bot_line_user.state`` (bot | waiting_for_staff | with_staff) goes: it copied what the user's open ticket
  says (``handoff_ticket.status``), was written on every ticket change and read by nothing. The downgrade adds
  it back as 'bot' for every user.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bot_line_user', schema=None) as batch_op:
        batch_op.drop_column('state')


def downgrade() -> None:
    with op.batch_alter_table('bot_line_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                      server_default='bot'))
