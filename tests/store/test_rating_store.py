"""Ratings after an operator call on SQLite and PostgreSQL: stored with the call and the
operator, the frequency cap's question (R-105) and satisfaction by operator (R-108)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotline.store.db import Database
from hotline.store.ratings import RatingStore, months_before

NOW = datetime(2026, 5, 31, 12, 0, tzinfo=UTC)


def test_months_before_is_calendar_months() -> None:
    assert months_before(NOW, 3) == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 3) == datetime(
        2025, 10, 15, tzinfo=UTC
    )


async def test_ratings_by_operator_and_cap(db: Database) -> None:
    await db.upgrade()
    store = RatingStore(db)
    await store.add("c1", "+79001234567", "anna", 5, NOW - timedelta(days=10))
    await store.add("c2", "+79001234568", "anna", 2, NOW - timedelta(days=5))
    await store.add("c3", "+79001234569", "boris", 4, NOW - timedelta(days=1))
    await store.add("c4", "+79001234569", "boris", 1, NOW - timedelta(days=200))

    assert await store.for_call("c2") == [("anna", 2)]
    since = months_before(NOW, 3)
    assert await store.rated_since("+79001234567", since)
    assert not await store.rated_since("+79990000000", since)
    # Rated only long ago: asked again.
    assert not await store.rated_since("+79001234569", NOW)

    figures = await store.by_operator(NOW - timedelta(days=30), NOW)
    assert [(f.operator, f.count, f.average) for f in figures] == [
        ("anna", 2, 3.5),
        ("boris", 1, 4.0),
    ]


async def test_score_out_of_range_is_refused(db: Database) -> None:
    await db.upgrade()
    with pytest.raises(ValueError, match=r"1\.\.5"):
        await RatingStore(db).add("c1", "+7900", "anna", 6, NOW)
