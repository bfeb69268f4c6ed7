"""outbox: a reply that was tried is never tried again

Revision ID: 0006
Revises: 0005

- ``bot_outbox_message.reply_attempted_at``: set in a committed write before the reply token is used. A row
  found again without an outcome (a crash, a failed worker round, a released claim) is then pushed with its
  retry key, never replied a second time.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bot_outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_attempted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bot_outbox_message', schema=None) as batch_op:
        batch_op.drop_column('reply_attempted_at')
