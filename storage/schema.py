"""The whole schema: every model module imported, so that Alembic and the tests see all tables."""

from __future__ import annotations

from storage import (  # noqa: F401  (imported for their tables)
    broadcast_models,
    console_models,
    inbox_models,
    process_models,
    survey_models,
)
from storage.models import Base

metadata = Base.metadata
