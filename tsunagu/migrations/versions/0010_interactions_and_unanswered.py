"""bot interactions and unanswered questions (improvement loop)

Revision ID: 0010
Revises: 0009

- ``bot_interaction``: one count-only row per question, choice, 「どれも違う」, 👍/👎 and hand-off outcome;
  no message text.
- ``knowledge_unanswered``: the questions the bot could not answer, masked, for editors.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bot_interaction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('line_user_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column('faq_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column('rating', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('bot_interaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bot_interaction_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bot_interaction_line_user_id'), ['line_user_id'], unique=False)
    op.create_table(
        'knowledge_unanswered',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('line_user_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('candidate_ids', sa.JSON(), nullable=False),
        sa.Column('faq_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('handled_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('handled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('knowledge_unanswered', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_unanswered_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_unanswered_line_user_id'), ['line_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_unanswered_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('knowledge_unanswered', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_unanswered_status'))
        batch_op.drop_index(batch_op.f('ix_knowledge_unanswered_line_user_id'))
        batch_op.drop_index(batch_op.f('ix_knowledge_unanswered_at'))
    op.drop_table('knowledge_unanswered')
    with op.batch_alter_table('bot_interaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bot_interaction_line_user_id'))
        batch_op.drop_index(batch_op.f('ix_bot_interaction_at'))
    op.drop_table('bot_interaction')
