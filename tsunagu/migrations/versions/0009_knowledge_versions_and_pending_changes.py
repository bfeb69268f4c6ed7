"""knowledge: versions and pending changes (editor console)

Revision ID: 0009
Revises: 0008

- ``knowledge_version``: every publish, import, load or rollback, with a snapshot of every entry; the newest
  id is what each process polls to swap in a new index.
- ``faq_pending_change``: an editor's saved but unpublished version of one entry.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'knowledge_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('changed_ids', sa.JSON(), nullable=False),
        sa.Column('entries', sa.JSON(), nullable=False),
        sa.Column('metrics', sa.JSON(), nullable=True),
        sa.Column('gate_confirmed', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('knowledge_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_version_created_at'), ['created_at'], unique=False)
    op.create_table(
        'faq_pending_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('faq_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('faq_id'),
    )


def downgrade() -> None:
    op.drop_table('faq_pending_change')
    with op.batch_alter_table('knowledge_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_version_created_at'))
    op.drop_table('knowledge_version')
