"""outbox: a retried delivery waits in the database, not in the worker's round

Revision ID: 0008
Revises: 0007

- ``bot_outbox_message.next_attempt_at``: when a delivery that LINE answered with 429, 5xx or no answer may be
  tried again. The worker claims only rows that are due (NULL = at once), so one user's backoff never holds
  another user's reply, and the wait survives a restart.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bot_outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bot_outbox_message', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
