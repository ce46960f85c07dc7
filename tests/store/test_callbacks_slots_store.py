"""The agreed callback window (issue 16 item 3, R-109) in the store, on SQLite and PostgreSQL:
stored with the request, set and moved by an operator or supervisor inside operator hours
only, every change and refusal audited."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from hotline.contact_center import callbacks
from hotline.contact_center.hours import OperatorHours
from hotline.settings import CallbackSettings, HoursSettings
from hotline.store.audit import Actor, AuditLog
from hotline.store.callbacks import CallbackStore
from hotline.store.db import Database

ZONE = ZoneInfo("Asia/Krasnoyarsk")
WEDNESDAY = date(2026, 3, 11)
HOURS = OperatorHours(HoursSettings(saturday="", sunday=""))
SUPERVISOR = Actor("sidorova", "web")
OPERATOR = Actor("ivanova", "web")


def at(hour: int, minute: int = 0, day: date = WEDNESDAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


@pytest.fixture
async def store(db: Database) -> Database:
    await db.upgrade()
    return db


async def test_the_window_is_stored_with_the_request_and_moved_with_an_audit(
    store: Database,
) -> None:
    requests = CallbackStore(store)
    taken = await requests.request(
        "79001234567", source="closed", at=at(7), due_at=at(8), due_until=at(12)
    )
    (found,) = await requests.find()
    assert (found.due_at, found.due_until) == (at(8), at(12))
    assert found.to_dict()["due_at"] == at(8).astimezone(found.due_at.tzinfo).isoformat()  # type: ignore[union-attr]

    moved = await callbacks.set_slot(
        store,
        taken.id,
        at(19, 30),
        None,
        SUPERVISOR,
        hours=HOURS,
        settings=CallbackSettings(),
        now=at(13),
    )
    assert (moved.due_at, moved.due_until) == (at(19, 30), at(20))  # cut at the closing
    (entry,) = await AuditLog(store).entries(action="callback.slot")
    assert entry.actor == "sidorova" and entry.target == str(taken.id)
    assert entry.detail is not None
    assert datetime.fromisoformat(entry.detail["was_due_at"]) == at(8)
    assert datetime.fromisoformat(entry.detail["due_at"]) == at(19, 30)


async def test_outside_hours_in_the_past_or_someone_elses_is_refused_and_audited(
    store: Database,
) -> None:
    requests = CallbackStore(store)
    taken = await requests.request("79001234567", source="queue", at=at(10))
    await callbacks.assign(store, taken.id, "petrova", SUPERVISOR)
    kwargs = {"hours": HOURS, "settings": CallbackSettings(), "now": at(13)}
    with pytest.raises(callbacks.SlotError):
        await callbacks.set_slot(store, taken.id, at(21), None, SUPERVISOR, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(callbacks.SlotError):
        await callbacks.set_slot(store, taken.id, at(9), None, SUPERVISOR, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(callbacks.NotYourCallback):
        await callbacks.set_slot(
            store,
            taken.id,
            at(15),
            None,
            OPERATOR,
            any_assignee=False,
            **kwargs,  # type: ignore[arg-type]
        )
    (unchanged,) = await requests.find()
    assert unchanged.due_at is None
    refused = await AuditLog(store).entries(action="callback.slot.refused")
    assert [e.actor for e in refused] == ["ivanova", "sidorova", "sidorova"]
