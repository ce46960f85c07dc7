"""R-097, R-032: the IVR report counts callers who heard a current outage at their address, and
those of them who ended the call without asking for anyone."""

from __future__ import annotations

from hotline.calls.ivr_report import sheets
from hotline.calls.ivr_stats import ivr_stats
from hotline.store.calllog import CallRecord
from hotline.store.enums import CallOutcome, EventKind
from tests.unit.test_ivr_stats import call, ev


def heard(uniqueid: str, outcome: CallOutcome) -> CallRecord:
    return call(
        uniqueid,
        [
            ev(0, EventKind.NODE, "greeting"),
            ev(5, EventKind.NODE, "outage"),
            ev(5, EventKind.OUTAGE_HEARD, "7"),
            ev(9, EventKind.NODE, "main"),
        ],
        outcome,
        ended=12,
    )


def test_heard_and_left_without_an_operator() -> None:
    calls = [
        heard("a", CallOutcome.ABANDONED),  # heard it and hung up
        heard("b", CallOutcome.COMPLETED),  # heard it, then the goodbye
        heard("c", CallOutcome.OPERATOR),  # still asked for the dispatcher
        call("d", [ev(0, EventKind.NODE, "main")], CallOutcome.ABANDONED, ended=3),
    ]
    stats = ivr_stats(calls)
    assert (stats.outage_heard, stats.outage_heard_left) == (3, 2)
    assert stats.to_dict()["outage_heard_left"] == 2
    assert [p.outage_heard for p in stats.paths] == [True, True, True, False]
    [summary, *_] = sheets(stats, [])
    rows = dict(summary.rows)
    assert rows["Слышали о текущем отключении по своему адресу"] == 3
    assert rows["Из них завершили звонок, не обращаясь к оператору"] == 2
