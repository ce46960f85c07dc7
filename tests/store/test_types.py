"""UtcDateTime on its own: any aware datetime survives the trip through either dialect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.engine import Dialect

from hotline.store.types import UtcDateTime

# Engines are lazy: no connection is made, only the dialects are wanted.
DIALECTS = [create_engine(url).dialect for url in ("sqlite://", "postgresql+psycopg://")]
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2999, 12, 30), timezones=offsets
)


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@given(value=aware)
def test_round_trip_keeps_the_instant_in_utc(dialect: Dialect, value: datetime) -> None:
    column = UtcDateTime()
    stored = column.process_bind_param(value, dialect)
    assert stored is not None
    # SQLite keeps naive UTC text; PostgreSQL gets (and may return in another zone) aware UTC.
    assert (stored.tzinfo is None) == (dialect.name == "sqlite")
    returned = column.process_result_value(stored, dialect)
    assert returned == value
    assert returned is not None and returned.tzinfo is UTC


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        UtcDateTime().process_bind_param(datetime(2026, 1, 1), DIALECTS[0])
