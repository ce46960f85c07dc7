"""The summed KPIs' talk time per call type with the operators' dispositions (issue 19 item 3):
the row of sums counts each rolled call under its IVR path's type, then ``retyped`` moves the
calls with a disposition to the latest one's type (R-038: the latest pick wins), as the
per-call report does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hotline.store.queue_sums import SumRow, retyped

TYPES = ("readings", "personal", "general")
AT = datetime(2026, 11, 2, tzinfo=UTC)


def _sums(talk: dict[str, tuple[int, int]]) -> SumRow:
    return SumRow(0, 0, 0, 0, 0, 0, 0, 0, None, talk)


def _kept(
    uniqueid: str, call_type: str, minute: int, talk: int | None, *, readings: bool = False
) -> tuple[Any, ...]:
    """A disposition row as the reader fetches it: the record's columns, then its call's
    talked, talk, readings, personal."""
    at = AT + timedelta(minutes=minute)
    return (
        uniqueid,
        "anna",
        call_type,
        "resolved",
        None,
        at,
        talk is not None,
        talk,
        readings,
        False,
    )


def test_the_latest_disposition_moves_the_talk_time() -> None:
    sums = _sums({"readings": (100, 1), "personal": (0, 0), "general": (260, 2)})
    kept = [
        _kept("a", "readings", 1, 60),  # superseded below
        _kept("b", "general", 2, 100, readings=True),  # readings path, general disposition
        _kept("a", "personal", 3, 60),  # the latest for "a": general path -> personal
        _kept("c", "readings", 4, None),  # never answered with a talk time: nothing moves
        _kept("d", "general", 5, 200),  # the same type: nothing moves
    ]
    got = retyped(sums, kept, TYPES)
    assert got.talk == {"readings": (0, 0), "personal": (60, 1), "general": (300, 2)}
    assert got._replace(talk={}) == sums._replace(talk={})


def test_no_disposition_changes_nothing_and_an_unknown_type_counts_nowhere() -> None:
    sums = _sums({"readings": (0, 0), "personal": (0, 0), "general": (90, 1)})
    assert retyped(sums, [], TYPES) is sums
    moved = retyped(sums, [_kept("e", "complaint", 1, 90)], TYPES)
    assert moved.talk == {"readings": (0, 0), "personal": (0, 0), "general": (0, 0)}
