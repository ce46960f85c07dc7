"""The latest call to each number for one dispatcher pass (the same-number gap)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from dialer.repository import DialerStore, TargetRecord

# Numbers whose latest call is read in one query (the same-number gap, issue 19).
LAST_CALLS_BATCH: Final = 256


class LastCalls:
    """The latest attempt to each number (``last_call_to``), for one dispatcher pass: read
    for a batch of due targets at once and kept current with the attempts the pass writes
    (the dispatcher is the only writer of attempts)."""

    def __init__(self, store: DialerStore) -> None:
        self._store = store
        self._known: dict[str, datetime | None] = {}

    async def of(self, phone: str, upcoming: Sequence[TargetRecord]) -> datetime | None:
        if phone not in self._known:
            batch = {phone: None}  # ordered, no repeats
            for target in upcoming:
                if len(batch) >= LAST_CALLS_BATCH:
                    break
                if target.phone not in self._known:
                    batch[target.phone] = None
            found = await self._store.last_calls_to(batch)
            for number in batch:
                self._known[number] = found.get(number)
        return self._known[phone]

    def called(self, phone: str, at: datetime) -> datetime | None:
        """Note a call to ``phone`` at ``at``; returns what was known before (to restore)."""
        before = self._known.get(phone)
        self._known[phone] = at if before is None else max(before, at)
        return before

    def restore(self, phone: str, before: datetime | None) -> None:
        """Undo :meth:`called` for a call that was not placed after all."""
        self._known[phone] = before
