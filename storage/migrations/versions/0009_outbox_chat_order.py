"""outbox: an index on a chat's open rows, for claiming each chat's messages in order

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_chat", "outbox", ["channel", "target", "state", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_chat", table_name="outbox")
