"""The audit log as a sheet (the console's and the CLI's export): one row per entry, oldest
first, fed page by page from the store so the whole log never sits in memory."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import Final

from hotline.core.spreadsheets import Cell, SheetStream
from hotline.store.audit import AuditRecord

AUDIT_TITLE: Final = "Журнал аудита"
AUDIT_COLUMNS: Final = (
    "№",
    "Время",
    "Кто",
    "Канал",
    "Откуда",
    "Действие",
    "Объект",
    "Подробности",
)


def audit_row(entry: AuditRecord) -> tuple[Cell, ...]:
    return (
        entry.id,
        entry.at.isoformat(timespec="seconds"),
        entry.actor,
        entry.channel,
        entry.source or "",
        entry.action,
        entry.target or "",
        "" if entry.detail is None else json.dumps(entry.detail, ensure_ascii=False),
    )


async def _rows(
    pages: AsyncIterable[Sequence[AuditRecord]],
) -> AsyncIterator[list[tuple[Cell, ...]]]:
    async for page in pages:
        yield [audit_row(entry) for entry in page]


def audit_stream(pages: AsyncIterable[Sequence[AuditRecord]]) -> SheetStream:
    return SheetStream(AUDIT_TITLE, AUDIT_COLUMNS, _rows(pages))
