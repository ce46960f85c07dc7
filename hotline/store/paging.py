"""Keyset paging: a big table read page by page, each page in its own short unit of work.

``LIMIT``/``OFFSET`` rereads every skipped row (quadratic over an export) and shifts when rows
are added meanwhile; a keyset page starts after the last key seen (``WHERE key > :last``),
so each page costs one index range scan and no row is read twice or skipped.  The key is one
column or several (the last one unique, e.g. ``(taken_at, id)``): ties in the leading columns
are broken by the later ones.  No transaction is held between pages, so a slow consumer (a
download over a slow link) never pins a snapshot or a connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, Row, Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from hotline.store.db import Database

PAGE_SIZE: Final = 2_000
# A mapped attribute (``Reading.id``) or any column expression.
KeyColumn = ColumnElement[Any] | InstrumentedAttribute[Any]


def _after(key: Sequence[KeyColumn], last: Sequence[Any], descending: bool) -> Any:
    """Rows strictly after ``last`` in key order: ``k1 > a OR (k1 = a AND k2 > b) ...``,
    spelled out (not a row-value comparison) so both back ends use the index the same way."""
    terms = []
    for index, column in enumerate(key):
        beyond = column < last[index] if descending else column > last[index]
        equal = [key[i] == last[i] for i in range(index)]
        terms.append(and_(*equal, beyond) if equal else beyond)
    return or_(*terms)


async def keyset_pages(
    db: Database,
    stmt: Select[Any],
    key: Sequence[KeyColumn],
    size: int = PAGE_SIZE,
    *,
    descending: bool = False,
) -> AsyncIterator[Sequence[Row[Any]]]:
    """The rows of ``stmt`` ordered by ``key`` (ascending, or descending), ``size`` at a time.
    ``key`` must identify a row (its last column unique).  Each row is ``stmt``'s own columns
    (by position or name; an ORM entity is ``row[0]``) followed by the key columns, read
    alongside as ``_key0``, ``_key1``... for the cursor."""
    if not key:
        raise ValueError("keyset paging needs a key")
    if size < 1:
        raise ValueError("page size must be positive")
    width = len(key)
    order = [column.desc() if descending else column.asc() for column in key]
    labelled = [column.label(f"_key{index}") for index, column in enumerate(key)]
    paged = stmt.add_columns(*labelled).order_by(None).order_by(*order).limit(size)
    last: tuple[Any, ...] | None = None
    while True:
        query = paged if last is None else paged.where(_after(key, last, descending))
        async with db.session() as session:
            rows = (await session.execute(query)).all()
        if not rows:
            return
        last = tuple(rows[-1][-width:])
        yield rows
        if len(rows) < size:
            return
