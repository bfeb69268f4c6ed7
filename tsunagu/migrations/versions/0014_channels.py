"""channels: inbox events, outbox messages and tickets name the channel they belong to

Revision ID: 0014
Revises: 0013

- ``bot_inbox_event.channel``: the channel that reads the stored event (``bot.channel``).
- ``bot_outbox_message.channel``: the channel that rendered the messages and delivers them.
- ``handoff_ticket.channel``: where the citizen asked; staff answers go back through it.

Every row stored before is LINE's (``'line'``, the server default). Citizens of other channels are keyed
``"<channel>:<external id>"`` in the user id columns; LINE user ids stay as they are.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

TABLES = ('bot_inbox_event', 'bot_outbox_message', 'handoff_ticket')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                          server_default='line'))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('channel')
