"""The one clock: aware UTC now.  Code that tests drive through time takes a ``Clock``
(``clock: Clock = utc_now``) instead of calling it directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
