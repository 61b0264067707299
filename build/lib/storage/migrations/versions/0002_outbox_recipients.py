"""outbox recipients for LINE multicast, interrupted attempts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

One outbox row is one platform call. A LINE multicast row names its up to 500 recipients here, so
that its X-Line-Retry-Key covers exactly that call, also after a crash. `interrupted_at` marks a row
whose worker stopped mid-attempt (counted as the in-flight window).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("recipients", JSON_TYPE, nullable=True))
        batch_op.add_column(sa.Column("interrupted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("interrupted_at")
        batch_op.drop_column("recipients")
