"""Attempts to call a customer back from the console (issue 16 item 3, R-109), on SQLite and
PostgreSQL: stored before the Originate, completed from Asterisk's reports (Dial's status, or
the operator's phone not answering), the recording indexed and linked; a closed request is
not dialled; without a PBX nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.contact_center import callback_dial
from hotline.dialplan.names import CALLBACK_EVENT
from hotline.protocol.ami import AmiEvent
from hotline.settings import load_settings
from hotline.store.audit import Actor
from hotline.store.callback_attempts import CallbackAttempts, ClosedCallback
from hotline.store.callbacks import CallbackStore
from hotline.store.db import Database
from hotline.store.enums import CallbackResult
from hotline.store.operators import Operators
from hotline.store.recordings import Recordings
from hotline.transport.ami import Subscription


@pytest.fixture
async def store(db: Database) -> Database:
    await db.upgrade()
    return db


def event(name: str, **headers: str) -> AmiEvent:
    return AmiEvent.from_headers([("Event", name), *headers.items()])


def hung_up(attempt: int, status: str, recording: str = "") -> AmiEvent:
    return event(
        "UserEvent",
        UserEvent=CALLBACK_EVENT,
        Attempt=str(attempt),
        Status=status,
        Recording=recording,
    )


async def test_results_and_the_recording_come_from_asterisks_reports(store: Database) -> None:
    request = await CallbackStore(store).request("79131234501", source="closed")
    attempts = CallbackAttempts(store)
    tracker = callback_dial.CallbackDialTracker(Subscription(None, 8), store)
    made = {}
    for key in ("answered", "busy", "congested", "operator", "cancel"):
        _, made[key] = await attempts.start(request.id, "anna", f"callback-{key}")

    await tracker.handle(
        hung_up(made["answered"].id, "ANSWER", "/rec/2026/12/03/callback-answered.wav")
    )
    await tracker.handle(hung_up(made["busy"].id, "BUSY", "/rec/x.wav"))
    await tracker.handle(hung_up(made["congested"].id, "CHANUNAVAIL"))
    await tracker.handle(hung_up(made["cancel"].id, "CANCEL"))
    await tracker.handle(
        event("OriginateResponse", ActionID="callback-operator", Response="Failure", Reason="3")
    )
    await tracker.handle(hung_up(made["answered"].id, "BUSY"))  # a late duplicate: first wins
    await tracker.handle(event("UserEvent", UserEvent="Other", Attempt=str(made["busy"].id)))

    found = (await attempts.for_callbacks([request.id]))[request.id]
    results = {a.uniqueid.removeprefix("callback-"): a for a in found}
    assert {k: a.result for k, a in results.items()} == {
        "answered": CallbackResult.ANSWERED,
        "busy": CallbackResult.BUSY,
        "congested": CallbackResult.FAILED,
        "operator": CallbackResult.FAILED,
        "cancel": CallbackResult.NO_ANSWER,
    }
    assert all(a.ended_at is not None and a.operator == "anna" for a in found)
    answered = results["answered"]
    assert answered.recording_id is not None and results["busy"].recording_id is None
    (recording,) = await Recordings(store).find(recording_id=answered.recording_id)
    assert recording.path == "/rec/2026/12/03/callback-answered.wav"
    assert recording.operator == "anna" and recording.uniqueid == "callback-answered"


async def test_a_done_request_or_no_pbx_stores_no_attempt(store: Database) -> None:
    requests = CallbackStore(store)
    request = await requests.request("79131234501", source="closed")
    await Operators(store).add("anna", "Local/anna@operators", simulated=True)
    settings = load_settings(overrides={"store": {"url": "sqlite+aiosqlite://"}})
    with pytest.raises(callback_dial.DialError, match="АТС недоступна"):
        await callback_dial.dial(None, store, settings, request.id, "anna", Actor("anna", "web"))
    await requests.done(request.id, "anna")
    with pytest.raises(ClosedCallback):
        await CallbackAttempts(store).start(request.id, "anna", "callback-late")

    class Connected:
        connected = True

        async def originate(self, *args: Any, **kwargs: Any) -> str:
            raise AssertionError("a done request is not dialled")

    with pytest.raises(callback_dial.DialError, match="уже выполнена"):
        await callback_dial.dial(
            Connected(),  # type: ignore[arg-type]
            store,
            settings,
            request.id,
            "anna",
            Actor("anna", "web"),
        )
    assert (await CallbackAttempts(store).for_callbacks([request.id]))[request.id] == []
