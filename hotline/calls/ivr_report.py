"""The IVR report: ``ivr_stats`` totals plus a day-by-day series, as sheets for CSV/XLSX and
as data for the console's chart.  The CLI and the console both build it here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from hotline.calls.ivr_stats import CallPath, IvrExit, IvrStats
from hotline.core.spreadsheets import Sheet
from hotline.core.vocabulary import label


@dataclass(frozen=True)
class Day:
    day: date
    calls: int
    self_served: int
    operator: int
    hung_up: int

    @property
    def containment(self) -> float | None:
        return self.self_served / self.calls if self.calls else None


def by_day(paths: Iterable[CallPath], zone: ZoneInfo) -> list[Day]:
    """Per local day of the call's first node, in order; days without calls are left out."""
    counts: dict[date, Counter[IvrExit]] = {}
    for path in paths:
        if not path.visits:
            continue
        day = path.visits[0].entered_at.astimezone(zone).date()
        counts.setdefault(day, Counter())[path.exit] += 1
    return [
        Day(
            day=day,
            calls=sum(exits.values()),
            self_served=exits[IvrExit.SELF_SERVED],
            operator=exits[IvrExit.OPERATOR],
            hung_up=exits[IvrExit.HUNG_UP],
        )
        for day, exits in sorted(counts.items())
    ]


def sheets(stats: IvrStats, days: list[Day]) -> list[Sheet]:
    summary = Sheet(
        "Итоги",
        ("Показатель", "Значение"),
        (
            ("Звонков в IVR", stats.calls),
            ("Обслужено без оператора, доля", stats.containment),
            *((f"Выход: {label('IvrExit', name)}", n) for name, n in stats.exits.items()),
            *(
                (f"К оператору: {label('OperatorReason', reason)}", n)
                for reason, n in stats.operator_reasons.items()
            ),
            ("Слышали о текущем отключении по своему адресу", stats.outage_heard),
            ("Из них завершили звонок, не обращаясь к оператору", stats.outage_heard_left),
        ),
    )
    usage = Sheet(
        "Пункты меню",
        ("Узел", "Заходов", "Нажатые клавиши", "Среднее время, с", "Положили трубку"),
        tuple(
            (
                node,
                entered,
                ", ".join(f"{key}: {n}" for key, n in stats.keys.get(node, {}).items()),
                round(stats.average_seconds[node], 1),
                stats.abandon_points.get(node, 0),
            )
            for node, entered in stats.node_entries.items()
        ),
    )
    daily = Sheet(
        "По дням",
        (
            "Дата",
            "Звонков",
            "Без оператора",
            "К оператору",
            "Положили трубку",
            "Доля без оператора",
        ),
        tuple((d.day, d.calls, d.self_served, d.operator, d.hung_up, d.containment) for d in days),
    )
    return [summary, usage, daily]
