"""A value loaded from the store and remembered for a few seconds, for checks made on every
call (operator hours, emergency mode).

Concurrent callers share one load.  When the load fails, the last good value is kept (or the
caller's default before there is one) and the load is retried soon: a store outage never
stops calls from being routed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class LastGoodCache(Generic[T]):
    def __init__(
        self,
        load: Callable[[], Awaitable[T]],
        *,
        ttl: float,
        on_failure: Callable[[T | None, Exception], T],
        errors: tuple[type[Exception], ...],
        retry_after: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``on_failure(last_good, error)`` gives the value to serve when ``load`` raises one of
        ``errors`` (it also logs); the load is tried again after ``retry_after`` seconds (at
        most ``ttl``)."""
        self._load = load
        self._ttl = ttl
        self._on_failure = on_failure
        self._errors = errors
        self._retry_after = ttl if retry_after is None else min(ttl, retry_after)
        self._clock = clock
        self._value: T | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> T:
        value = self._fresh()
        if value is not None:
            return value
        async with self._lock:
            value = self._fresh()  # another caller may have loaded meanwhile
            if value is not None:
                return value
            try:
                value = await self._load()
                self._expires = self._clock() + self._ttl
            except self._errors as exc:
                value = self._on_failure(self._value, exc)
                self._expires = self._clock() + self._retry_after
            self._value = value
            return value

    def invalidate(self) -> None:
        """Load again on the next :meth:`get` (after this process changed the value)."""
        self._expires = 0.0

    def _fresh(self) -> T | None:
        if self._value is not None and self._clock() < self._expires:
            return self._value
        return None
