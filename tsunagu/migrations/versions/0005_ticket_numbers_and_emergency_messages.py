"""ticket numbers never reused on SQLite; emergency messages marked in threads and kept for a later hand-off

Revision ID: 0005
Revises: 0004

- ``handoff_ticket`` becomes ``AUTOINCREMENT`` on SQLite, so a number freed by a citizen's 「データ削除」 is never
  given to a new ticket (its audit events and FAQ drafts still name it). The sequence starts after every number
  already used anywhere, including numbers deleted before this upgrade. PostgreSQL sequences never reuse.
- ``handoff_ticket_message.emergency``: the citizen used emergency words in that message.
- ``bot_line_user.last_emergency_text``: the last such message, added to a ticket opened within 24 h of it.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

HIGHEST_USED_TICKET_ID = (
    "SELECT MAX(n) FROM ("
    "SELECT MAX(id) AS n FROM handoff_ticket "
    "UNION ALL SELECT MAX(ticket_id) FROM handoff_audit_event "
    "UNION ALL SELECT MAX(source_ticket_id) FROM faq_draft) AS used"
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def upgrade() -> None:
    with op.batch_alter_table('bot_line_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_emergency_text', sqlmodel.sql.sqltypes.AutoString(length=1000),
                                      nullable=True))
    with op.batch_alter_table('handoff_ticket_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emergency', sa.Boolean(), nullable=False, server_default=sa.false()))
    if _sqlite():
        # Recreate the table as "INTEGER PRIMARY KEY AUTOINCREMENT" (migrations run with foreign keys off, so the
        # thread rows that reference it are kept), then start its sequence after every number ever used.
        with op.batch_alter_table('handoff_ticket', recreate='always',
                                  table_kwargs={'sqlite_autoincrement': True}) as batch_op:
            pass
        highest = op.get_bind().execute(sa.text(HIGHEST_USED_TICKET_ID)).scalar()
        op.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'handoff_ticket'"))
        op.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('handoff_ticket', :seq)")
                   .bindparams(seq=int(highest or 0)))


def downgrade() -> None:
    if _sqlite():
        with op.batch_alter_table('handoff_ticket', recreate='always') as batch_op:
            pass
    with op.batch_alter_table('handoff_ticket_message', schema=None) as batch_op:
        batch_op.drop_column('emergency')
    with op.batch_alter_table('bot_line_user', schema=None) as batch_op:
        batch_op.drop_column('last_emergency_text')
