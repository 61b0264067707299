"""inbox: the photo or file of a message, kept in `media`; media types as long as Office's (xlsx: 65 characters)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_messages") as batch_op:
        batch_op.add_column(sa.Column("media_token", sa.String(length=64), nullable=True))
    with op.batch_alter_table("media") as batch_op:
        batch_op.alter_column("content_type", type_=sa.String(length=255), existing_type=sa.String(length=64))


def downgrade() -> None:
    with op.batch_alter_table("media") as batch_op:
        batch_op.alter_column("content_type", type_=sa.String(length=64), existing_type=sa.String(length=255))
    with op.batch_alter_table("inbox_messages") as batch_op:
        batch_op.drop_column("media_token")
