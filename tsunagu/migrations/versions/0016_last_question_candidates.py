"""the candidates found for the citizen's last question

Revision ID: 0016
Revises: 0015

- ``bot_line_user.last_candidates``: what the one search for ``last_question`` found (entry ids, their questions,
  scores, categories, whether shown), reused by a hand-off or a decline of that question instead of searching
  again; NULL for rows from before (the hand-off then searches, as before).
- ``bot_line_user.last_question_urgent``: whether that question itself had emergency words (a ticket for it is
  至急); NULL when not known.
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bot_line_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_candidates', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('last_question_urgent', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bot_line_user', schema=None) as batch_op:
        batch_op.drop_column('last_question_urgent')
        batch_op.drop_column('last_candidates')
