"""Many appeals at once for the export tests: one core INSERT per batch (registering 10,001
appeals one by one through the register would take minutes, and the export only reads)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import insert

from hotline.store.db import Database
from hotline.store.enums import AppealChannel, AppealStatus, ReplyChannel
from hotline.store.models import Appeal

# One over the cap the register's exports had before they were streamed.
OLD_CAP: Final = 10_000
START: Final = datetime(2026, 5, 8, 5, 0, tzinfo=UTC)


def appeal_row(seq: int) -> dict[str, Any]:
    return {
        "number": f"2026-{seq:06d}",
        "year": 2026,
        "seq": seq,
        "channel": AppealChannel.EMAIL,
        "status": AppealStatus.REGISTERED,
        "category": "complaint",
        "topic": "quality",
        "subject": f"Тема {seq}",
        "text": "Каждый вечер мигает свет",
        "urgency": "normal",
        "unit": "network",
        "phone": "+79001234567",
        "customer_name": "Иванов Иван",
        "reply_channel": ReplyChannel.EMAIL,
        "reply_address": "ivanov@example.ru",
        "registered_at": START + timedelta(seconds=seq),
        "registered_by": "seed",
        "deadline": date(2026, 5, 13),
    }


async def add_appeals(db: Database, count: int, batch: int = 2_000) -> None:
    """Appeals 2026-000001 .. 2026-<count>, registered a second apart."""
    for first in range(1, count + 1, batch):
        rows = [appeal_row(seq) for seq in range(first, min(first + batch, count + 1))]
        async with db.session() as session:
            await session.execute(insert(Appeal), rows)
