"""handoff tickets, thread, audit log, FAQ drafts; pending questions become tickets

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

DEFAULT_TEAM = '市民相談課'  # the default of TSUNAGU_HANDOFF_DEFAULT_TEAM when this migration was written


def upgrade() -> None:
    op.create_table('faq_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('source_ticket_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('faq_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_faq_draft_source_ticket_id'), ['source_ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_faq_draft_status'), ['status'], unique=False)

    op.create_table('handoff_audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor_staff_id', sa.Integer(), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handoff_audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_audit_event_actor_staff_id'), ['actor_staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_audit_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_audit_event_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('handoff_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_user_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('question', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('unread', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('first_response_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('first_response_business_s', sa.Float(), nullable=True),
    sa.Column('resolved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_ack_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('notified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('notify_error', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('rating', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handoff_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_ticket_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_ticket_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_ticket_line_user_id'), ['line_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_ticket_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_ticket_team'), ['team'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_ticket_urgent'), ['urgent'], unique=False)

    op.create_table('handoff_ticket_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['bot_outbox_message.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['handoff_ticket.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handoff_ticket_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_ticket_message_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('bot_line_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_emergency_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # Questions stored as "pending" before the handoff queue existed become waiting tickets: nothing is lost.
    op.execute(sa.text(
        "INSERT INTO handoff_ticket (line_user_id, question, candidates, category, team, urgent, status, unread, "
        "created_at, updated_at) "
        "SELECT line_user_id, question, '[]', NULL, :team, false, 'waiting', 0, created_at, created_at "
        "FROM bot_pending_question ORDER BY id"
    ).bindparams(team=DEFAULT_TEAM))
    op.execute(sa.text(
        "INSERT INTO handoff_ticket_message (ticket_id, author, text, created_at) "
        "SELECT id, 'user', question, created_at FROM handoff_ticket"
    ))
    with op.batch_alter_table('bot_pending_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bot_pending_question_line_user_id'))

    op.drop_table('bot_pending_question')


def downgrade() -> None:
    with op.batch_alter_table('bot_line_user', schema=None) as batch_op:
        batch_op.drop_column('last_emergency_at')
    op.create_table('bot_pending_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_user_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('question', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bot_pending_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bot_pending_question_line_user_id'), ['line_user_id'], unique=False)
    op.drop_table('handoff_ticket_message')
    op.drop_table('handoff_ticket')
    op.drop_table('handoff_audit_event')
    op.drop_table('faq_draft')
