"""Current outages in the store on SQLite and PostgreSQL: register, list open, close (R-097)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hotline.contact_center import outages
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.models import AuditEntry
from hotline.store.outages import OutageStore, Place

RESTORE = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)
ANNA = Actor("anna", "cli")


async def test_register_list_close(db: Database) -> None:
    await db.upgrade()
    store = OutageStore(db)
    first = await store.add(
        cause="Авария на подстанции",
        restore_at=RESTORE,
        places=[Place("г. Красноярск", "ул. Ленина"), Place("Кызыл")],
        by="anna",
    )
    second = await store.add(
        cause="Замена опоры", restore_at=RESTORE, accounts=["100000000003", " "], by="boris"
    )
    assert first.open and first.places == (Place("г. Красноярск", "ул. Ленина"), Place("Кызыл"))
    assert second.accounts == ("100000000003",)
    assert second.restore_at == RESTORE
    assert [o.id for o in await store.list()] == [second.id, first.id]

    closed = await store.close(first.id, "anna")
    assert closed is not None and not closed.open and closed.closed_by == "anna"
    assert [o.id for o in await store.list()] == [second.id]
    assert {o.id for o in await store.list(open_only=False)} == {first.id, second.id}
    again = await store.close(first.id, "boris")
    assert again is not None and again.closed_by == "anna"
    assert await store.close(9999, "anna") is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cause": " ", "places": [Place("Кызыл")]}, "cause"),
        ({"cause": "x"}, "area"),
        ({"cause": "x", "accounts": ["12a"]}, "digits"),
        ({"cause": "x", "places": [Place(" ")]}, "settlement"),
    ],
)
async def test_refuses_incomplete(db: Database, kwargs: dict[str, object], message: str) -> None:
    await db.upgrade()
    with pytest.raises(ValueError, match=message):
        await OutageStore(db).add(restore_at=RESTORE, by="anna", **kwargs)  # type: ignore[arg-type]


async def test_register_and_close_are_audited(db: Database) -> None:
    await db.upgrade()
    outage = await outages.register(
        db, cause="Гроза", restore_at=RESTORE, places=[Place("Кызыл")], accounts=[], by=ANNA
    )
    assert await outages.close(db, outage.id, ANNA) is not None
    assert await outages.close(db, outage.id, ANNA) is not None  # already closed: no entry
    async with db.session() as session:
        actions = [e.action for e in await session.scalars(select(AuditEntry))]
    assert actions == ["outage.add", "outage.close"]
