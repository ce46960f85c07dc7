"""The IVR report from SQL aggregates (issue 19 item 3): the same ``IvrStats`` and day series
as ``ivr_stats`` over loaded call records, without loading a call or an event.  The CLI and
the console build their IVR report here; ``ivr_stats`` stays the definition it is tested
against."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from hotline.calls.ivr_report import Day
from hotline.calls.ivr_stats import _EXITS, _LEFT, IvrExit, IvrStats, _ranked
from hotline.store.db import Database
from hotline.store.enums import CallOutcome
from hotline.store.ivr_queries import IvrAggregates
from hotline.store.ivr_rollups import report_aggregates
from hotline.store.rollup_buckets import Slots


@dataclass(frozen=True)
class IvrFigures:
    stats: IvrStats  # without paths
    # (UTC quarter-hour of the call's first node, or a moment of its local slot when summed
    # per slot, how it left the IVR, calls)
    starts: list[tuple[datetime, IvrExit, int]]

    def tallies(self, slot: Callable[[datetime], datetime]) -> dict[datetime, Counter[IvrExit]]:
        """Calls by how they left the IVR, per ``slot`` of their first node's time."""
        out: dict[datetime, Counter[IvrExit]] = {}
        for minute, exit_, count in self.starts:
            out.setdefault(slot(minute), Counter())[exit_] += count
        return out

    def by_day(self, zone: ZoneInfo) -> list[Day]:
        """``ivr_report.by_day`` of the calls' paths: per local day of the first node."""
        days: dict[date, Counter[IvrExit]] = {}
        for minute, exit_, count in self.starts:
            days.setdefault(minute.astimezone(zone).date(), Counter())[exit_] += count
        return [
            Day(
                day=day,
                calls=sum(exits.values()),
                self_served=exits[IvrExit.SELF_SERVED],
                operator=exits[IvrExit.OPERATOR],
                hung_up=exits[IvrExit.HUNG_UP],
            )
            for day, exits in sorted(days.items())
        ]


def _exit(outcome: CallOutcome | None) -> IvrExit:
    return _EXITS.get(outcome, IvrExit.OTHER) if outcome else IvrExit.OTHER


def figures_from(aggregates: IvrAggregates) -> IvrFigures:
    exits: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    heard = heard_left = 0
    for outcome, reason, outage, count in aggregates.calls:
        exit_ = _exit(outcome)
        exits[exit_.value] += count
        if exit_ is IvrExit.OPERATOR:
            reasons[reason or "unknown"] += count
        if outage:
            heard += count
            if exit_ in _LEFT:
                heard_left += count
    entries: Counter[str] = Counter({node: visits for node, visits, _s in aggregates.nodes})
    seconds = {node: spent for node, _v, spent in aggregates.nodes}
    keys: dict[str, Counter[str]] = {}
    for node, key, count in aggregates.keys:
        keys.setdefault(node, Counter())[key] += count
    stats = IvrStats(
        calls=sum(exits.values()),
        exits=_ranked(exits),
        node_entries=_ranked(entries),
        keys={node: _ranked(counts) for node, counts in sorted(keys.items())},
        abandon_points=_ranked(Counter(dict(aggregates.abandons))),
        average_seconds={node: seconds[node] / entries[node] for node in _ranked(entries)},
        operator_reasons=_ranked(reasons),
        outage_heard=heard,
        outage_heard_left=heard_left,
    )
    starts = [(minute, _exit(outcome), count) for minute, outcome, count in aggregates.starts]
    return IvrFigures(stats, starts)


async def ivr_figures(
    db: Database,
    start: datetime,
    end: datetime,
    *,
    include_simulated: bool = False,
    slots: Slots | None = None,
) -> IvrFigures:
    """The IVR report over calls started in ``[start, end)``, computed in SQL: from the
    roll-ups where they are exact, from the call events elsewhere.  ``slots``: the chart's
    local hours or days, its rolled series summed per slot in SQL (``starts`` then holds a
    moment per slot, so ``tallies`` by those slots or coarser and ``by_day`` in that zone
    give what the quarter-hours give)."""
    aggregates = await report_aggregates(
        db, start, end, include_simulated=include_simulated, slots=slots
    )
    return figures_from(aggregates)
