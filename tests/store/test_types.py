"""UtcDateTime on its own: any aware datetime survives the trip through either dialect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

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


@given(value=aware | st.datetimes(min_value=datetime(1, 1, 1), timezones=st.just(UTC)))
def test_sqlite_gets_the_text_sqlalchemys_datetime_would_write(value: datetime) -> None:
    sqlite = DIALECTS[0]
    # The type as SQLAlchemy binds it on SQLite: a copy whose impl is SQLite's DATETIME.
    column = UtcDateTime().dialect_impl(sqlite)
    assert isinstance(column, UtcDateTime)
    # TypeDecorator's own: process_bind_param, then the SQLite DATETIME's formatting.
    reference = TypeDecorator.bind_processor(column, sqlite)
    ours = column._cached_bind_processor(sqlite)
    assert reference is not None and ours is not None
    assert ours(value) == reference(value)
    assert ours(None) is None


def test_sqlite_text_refuses_naive_datetimes_too() -> None:
    processor = UtcDateTime()._cached_bind_processor(DIALECTS[0])
    assert processor is not None
    with pytest.raises(ValueError, match="naive"):
        processor(datetime(2026, 1, 1))
