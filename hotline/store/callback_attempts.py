"""Calls to a customer from the console for a callback request (issue 16 item 3, R-109): each
attempt with its operator, its result and its recording.  Every method is its own unit of
work."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from hotline.core.clock import utc_now
from hotline.store.callbacks import CallbackRecord, UnknownCallback, callback_record
from hotline.store.db import Database
from hotline.store.enums import CallbackResult, CallbackStatus
from hotline.store.models import Callback, CallbackAttempt
from hotline.store.types import as_utc


class ClosedCallback(ValueError):
    """The request is done: there is nobody left to call back."""


@dataclass(frozen=True)
class AttemptRecord:
    id: int
    callback_id: int
    started_at: datetime
    operator: str
    uniqueid: str
    result: CallbackResult
    ended_at: datetime | None
    recording_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "callback_id": self.callback_id,
            "started_at": self.started_at.isoformat(),
            "operator": self.operator,
            "result": self.result.value,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "recording_id": self.recording_id,
        }


def _attempt(row: CallbackAttempt) -> AttemptRecord:
    return AttemptRecord(
        row.id,
        row.callback_id,
        row.started_at,
        row.operator,
        row.uniqueid,
        row.result,
        row.ended_at,
        row.recording_id,
    )


class CallbackAttempts:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def start(
        self, callback_id: int, operator: str, uniqueid: str, at: datetime | None = None
    ) -> tuple[CallbackRecord, AttemptRecord]:
        """Store an attempt about to be dialled (before the Originate); the request with it.
        UnknownCallback, or ClosedCallback for a request already done."""
        async with self._db.session() as session:
            request = await session.get(Callback, callback_id)
            if request is None:
                raise UnknownCallback(f"no callback request {callback_id}")
            if request.status is CallbackStatus.DONE:
                raise ClosedCallback(f"callback request {callback_id} is done")
            row = CallbackAttempt(
                callback_id=callback_id,
                started_at=as_utc(at) if at else utc_now(),
                operator=operator,
                uniqueid=uniqueid,
                result=CallbackResult.DIALLING,
            )
            session.add(row)
            await session.flush()
            return callback_record(request), _attempt(row)

    async def finish(
        self,
        uniqueid: str,
        result: CallbackResult,
        *,
        recording_id: int | None = None,
        at: datetime | None = None,
    ) -> AttemptRecord | None:
        """Record the result of the attempt dialled as ``uniqueid`` (None if unknown); a
        result already recorded is kept (the first report wins)."""
        async with self._db.session() as session:
            row = await session.scalar(
                select(CallbackAttempt)
                .where(CallbackAttempt.uniqueid == uniqueid)
                .with_for_update()
            )
            if row is None:
                return None
            if row.result is CallbackResult.DIALLING:
                row.result = result
                row.ended_at = as_utc(at) if at else utc_now()
                row.recording_id = recording_id
            await session.flush()
            return _attempt(row)

    async def get(self, attempt_id: int) -> AttemptRecord | None:
        async with self._db.session() as session:
            row = await session.get(CallbackAttempt, attempt_id)
            return _attempt(row) if row is not None else None

    async def for_callbacks(self, ids: Iterable[int]) -> dict[int, list[AttemptRecord]]:
        """The attempts of each request, oldest first."""
        wanted = list(ids)
        found: dict[int, list[AttemptRecord]] = {i: [] for i in wanted}
        if not wanted:
            return found
        query = (
            select(CallbackAttempt)
            .where(CallbackAttempt.callback_id.in_(wanted))
            .order_by(CallbackAttempt.started_at, CallbackAttempt.id)
        )
        async with self._db.session() as session:
            for row in await session.scalars(query):
                found[row.callback_id].append(_attempt(row))
        return found
