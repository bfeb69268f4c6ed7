"""faq_entry: English quick-reply label

Revision ID: 0011
Revises: 0010

- ``label_en``: at most 20 characters, the text of an entry's quick-reply button for users who write in English
  (before, the first English question was cut to 20 characters).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('faq_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label_en', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('faq_entry', schema=None) as batch_op:
        batch_op.drop_column('label_en')
