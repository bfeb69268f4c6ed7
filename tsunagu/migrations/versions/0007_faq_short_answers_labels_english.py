"""faq_entry: short answer, quick-reply label and English answer

Revision ID: 0007
Revises: 0006

- ``label``: at most 20 characters, the text of a quick-reply button for the entry (LINE's limit).
- ``short_answer``: at most 120 characters, the direct answer shown first on a phone; the full answer follows
  on 「くわしく見る」.
- ``answer_en``: the answer for users who write in English (from the pack's ``answers_en.yaml``).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('faq_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('short_answer', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('answer_en', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('faq_entry', schema=None) as batch_op:
        batch_op.drop_column('answer_en')
        batch_op.drop_column('short_answer')
        batch_op.drop_column('label')
