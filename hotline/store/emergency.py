"""Emergency mode (``emergency_state``): every switch on or off is a row; the newest row is
the current state and the rest its history (R-027, R-032).

The store only records; it never renders.  A message is stored as active only together with
its rendered sound (see :func:`hotline.contact_center.emergency.switch_on`), so no caller
ever reaches a message that cannot be played.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, select

from hotline.core.clock import utc_now
from hotline.store.db import Database
from hotline.store.models import EmergencyState

BY_MAX: Final = 64
PROMPT_ID_MAX: Final = 128
SOUND_MAX: Final = 1024


@dataclass(frozen=True)
class Emergency:
    """Emergency mode as of one switch.

    On: the message is ``prompt_id`` (a catalogue prompt) or ``text`` (typed by the
    supervisor), and ``sound`` is its rendered audio, the path without extension that STREAM
    FILE takes (for a prompt: where it was built when switched on).  ``since``/``by``: when and
    by whom this state was set; None when emergency mode was never switched.
    """

    active: bool
    prompt_id: str | None = None
    text: str | None = None
    sound: str | None = None
    since: datetime | None = None
    by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "prompt_id": self.prompt_id,
            "text": self.text,
            "sound": self.sound,
            "since": self.since.isoformat() if self.since is not None else None,
            "by": self.by,
        }


NEVER_SWITCHED: Final = Emergency(active=False)


class EmergencyStore:
    """Every method is its own unit of work."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def current(self) -> Emergency:
        async with self._db.session() as session:
            row = await session.scalar(_newest().limit(1))
            return _state(row) if row is not None else NEVER_SWITCHED

    async def switch_on(
        self,
        *,
        prompt_id: str | None = None,
        text: str | None = None,
        sound: str | None = None,
        by: str,
    ) -> Emergency:
        """Record emergency mode on with a message: exactly one of ``prompt_id`` and ``text``,
        and always its rendered ``sound``.  Switching on while on replaces the message."""
        if (prompt_id is None) == (text is None):
            raise ValueError("emergency mode needs exactly one of prompt_id and text")
        if text is not None and not text.strip():
            raise ValueError("emergency message text is empty")
        if not sound:
            raise ValueError("emergency message has no rendered sound: render it first")
        _check_length("prompt id", prompt_id, PROMPT_ID_MAX)
        _check_length("sound path", sound, SOUND_MAX)
        return await self._add(
            EmergencyState(active=True, by=_by(by), prompt_id=prompt_id, text=text, sound=sound)
        )

    async def switch_off(self, by: str) -> Emergency:
        """Record emergency mode off; nothing is recorded when it is already off."""
        async with self._db.session() as session:
            row = await session.scalar(_newest().limit(1))
            if row is None or not row.active:
                return _state(row) if row is not None else NEVER_SWITCHED
            off = EmergencyState(active=False, at=utc_now(), by=_by(by))
            session.add(off)
            await session.flush()
            return _state(off)

    async def history(self, limit: int = 20) -> list[Emergency]:
        """The newest switches first."""
        async with self._db.session() as session:
            return [_state(row) for row in await session.scalars(_newest().limit(limit))]

    async def _add(self, row: EmergencyState) -> Emergency:
        row.at = utc_now()
        async with self._db.session() as session:
            session.add(row)
        return _state(row)


def _newest() -> Select[EmergencyState]:
    # The highest id, not the latest time: clocks of two hosts may disagree, ids do not.
    return select(EmergencyState).order_by(EmergencyState.id.desc())


def _by(by: str) -> str:
    by = by.strip()
    if not by:
        raise ValueError("say who switches emergency mode (by)")
    _check_length("name", by, BY_MAX)
    return by


def _check_length(what: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise ValueError(f"emergency {what} is longer than {limit} characters")


def _state(row: EmergencyState) -> Emergency:
    return Emergency(
        active=row.active,
        prompt_id=row.prompt_id,
        text=row.text,
        sound=row.sound,
        since=row.at,
        by=row.by,
    )
