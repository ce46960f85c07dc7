"""The appeal reports (R-142, R-144, R-145): appeals received, answered in time, answered late
and open past their deadline, by category, channel, unit or status over a period; and the
register itself as a sheet.  The console and the CLI export the same sheets."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Sequence
from datetime import date, datetime
from typing import Final

from hotline.core.spreadsheets import Cell, Sheet, SheetStream
from hotline.store.appeals import AppealRecord

GROUPINGS: Final = ("category", "channel", "unit", "status")
COUNT_COLUMNS: Final = ("Всего", "Отвечено в срок", "Отвечено с опозданием", "Просрочено")
GROUP_TITLES: Final = {
    "category": "Категория",
    "channel": "Канал",
    "unit": "Подразделение",
    "status": "Статус",
}
REGISTER_TITLE: Final = "Обращения"
REGISTER_COLUMNS: Final = (
    "Номер",
    "Зарегистрировано",
    "Канал",
    "Категория",
    "Тема",
    "Тема обращения",
    "Срочность",
    "Подразделение",
    "Статус",
    "Срок ответа",
    "Отвечено",
    "Лицевой счёт",
    "Телефон",
    "Заявитель",
    "Канал ответа",
)


def counts_sheet(grouping: str, rows: Sequence[tuple[str, int, int, int, int]]) -> Sheet:
    return Sheet(
        f"Итоги ({GROUP_TITLES[grouping]})",
        (GROUP_TITLES[grouping], *COUNT_COLUMNS),
        tuple((key, *numbers) for key, *numbers in rows),
    )


def register_row(r: AppealRecord) -> tuple[Cell, ...]:
    """One appeal as a row of the register sheet."""

    def when(at: datetime | None) -> str:
        return "" if at is None else at.isoformat(timespec="seconds")

    return (
        r.number,
        when(r.registered_at),
        r.channel.value,
        r.category,
        r.topic,
        r.subject,
        r.urgency,
        r.unit,
        r.status.value,
        r.deadline.isoformat(),
        when(r.answered_at),
        r.account or "",
        r.phone or "",
        r.customer_name or "",
        r.reply_channel.value,
    )


def register_sheet(records: Sequence[AppealRecord], zone_day: date | None = None) -> Sheet:
    return Sheet(REGISTER_TITLE, REGISTER_COLUMNS, tuple(register_row(r) for r in records))


async def _register_rows(
    pages: AsyncIterable[Sequence[AppealRecord]],
) -> AsyncIterator[list[tuple[Cell, ...]]]:
    async for page in pages:
        yield [register_row(r) for r in page]


def register_stream(pages: AsyncIterable[Sequence[AppealRecord]]) -> SheetStream:
    """The register sheet fed page by page (the exports: no cap, memory flat)."""
    return SheetStream(REGISTER_TITLE, REGISTER_COLUMNS, _register_rows(pages))


def in_time_share(rows: Sequence[tuple[str, int, int, int, int]]) -> float | None:
    """R-142 «Исполнительность»: answered in time among the answered and the overdue."""
    in_time = sum(r[2] for r in rows)
    due = in_time + sum(r[3] + r[4] for r in rows)
    return None if due == 0 else round(in_time / due, 4)
