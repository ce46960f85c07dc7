"""How autogenerate writes our column types: as plain SQLAlchemy types, so revision scripts
stay frozen in time and never import application code."""

from __future__ import annotations

from typing import Any, Literal

from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Enum

from hotline.store.models import JsonDocument
from hotline.store.types import UtcDateTime


def render_item(kind: str, obj: Any, autogen: AutogenContext) -> str | Literal[False]:
    if kind == "type":
        if obj is JsonDocument:
            autogen.imports.add("from sqlalchemy.dialects import postgresql")
            return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
        if isinstance(obj, UtcDateTime):
            return "sa.DateTime(timezone=True)"
        if isinstance(obj, Enum) and not obj.native_enum:
            return f"sa.String(length={obj.length})"
    return False
