"""Persistence: SQLAlchemy models, Alembic migrations and repositories (SQLite or PostgreSQL)."""

from __future__ import annotations

from hotline.store.calllog import CallEventRecord, CallLog, CallRecord, UnknownCall
from hotline.store.db import Database
from hotline.store.enums import EventKind

__all__ = ["CallEventRecord", "CallLog", "CallRecord", "Database", "EventKind", "UnknownCall"]
