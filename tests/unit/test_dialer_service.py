"""The dispatcher and reconciliation against a stub AMI and a real SQLite store: caps, the
same-number gap across campaigns, do-not-call after the start, and unknown outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dialer.contacts import read_contacts
from dialer.engine import Dialer
from dialer.limits import LIMIT_GAP
from dialer.model import AttemptStatus, CampaignRules, Reason, SayKind
from dialer.report import status
from dialer.repository import DialerStore
from dialer.window import WaitReason
from hotline.protocol.ami import AmiEvent
from hotline.settings import DialerSettings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.transport.ami import AmiNotConnected, AmiNotSent, Subscription
from tests.dialer_support import NOW, ZONE, Clock, running_campaign, short_scenario, write_csv

ALWAYS = "00:00-24:00"
OPEN = CampaignRules(
    weekday_hours=ALWAYS, saturday_hours=ALWAYS, sunday_hours=ALWAYS, holiday_hours=ALWAYS
)


class StubAmi:
    """Records Originates; lists the channels a test says are alive."""

    def __init__(self) -> None:
        self.connected = True
        self.connection_count = 1
        self.originated: list[dict[str, Any]] = []  # replied to
        self.written: list[str] = []  # action ids of the Originates written
        self.live: set[str] = set()
        self.fail: Exception | None = None

    def subscribe(self, names: Any = None, maxsize: int | None = None) -> Subscription:
        return Subscription(None, 100)

    def unsubscribe(self, sub: Subscription) -> None:
        pass

    async def wait_connected(self, within: float) -> None:
        pass

    def send_originate(self, channel: str, **kwargs: Any) -> Coroutine[Any, Any, str]:
        """Like AmiClient's: refused now (AmiNotSent, nothing written) or written now (in
        ``written``), its reply what ``originate`` returns."""
        if isinstance(self.fail, AmiNotSent):
            raise self.fail
        self.written.append(str(kwargs["action_id"]))
        return self.originate(channel, **kwargs)

    async def originate(self, channel: str, **kwargs: Any) -> str:
        if self.fail is not None:
            raise self.fail
        self.originated.append({"channel": channel, **kwargs})
        return str(kwargs["action_id"])

    async def core_show_channels(self) -> list[AmiEvent]:
        return [AmiEvent.from_headers([("Uniqueid", u)]) for u in self.live]


class StubPrompts:
    async def phrase(self, phrase: Any) -> Any:
        from hotline.speech.library import Sound

        return Sound("/tmp/phrase", 1.0)

    def sound(self, prompt_id: str) -> Any:
        from hotline.speech.library import Sound

        return Sound(f"/tmp/{prompt_id}", 1.0)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}")
    await database.upgrade()
    yield database
    await database.dispose()


def make_dialer(
    db: Database, clock: Clock, ami: StubAmi | None = None, **settings: Any
) -> tuple[Dialer, StubAmi]:
    ami = ami or StubAmi()
    dialer = Dialer(
        DialerSettings(**{"calls_per_second": 1000.0, **settings}),
        DialerStore(db),
        ami,  # type: ignore[arg-type]
        StubPrompts(),  # type: ignore[arg-type]
        CallLog(db),
        clock=clock,
    )
    return dialer, ami


async def test_attempt_is_written_before_the_originate(db: Database, tmp_path: Path) -> None:
    store = DialerStore(db)
    campaign = await running_campaign(store, tmp_path, ["+79131234561"], rules=OPEN)
    dialer, ami = make_dialer(db, Clock(NOW))
    seen: list[AttemptStatus | None] = []
    original = ami.originate

    async def checking(channel: str, **kwargs: Any) -> str:
        attempt = await store.attempt(kwargs["channel_id"])
        seen.append(attempt.status if attempt else None)
        return await original(channel, **kwargs)

    ami.originate = checking  # type: ignore[method-assign]
    assert await dialer.dispatch_once() == 1
    assert seen == [AttemptStatus.DIALING]
    call = ami.originated[0]
    assert call["channel"] == "Local/79131234561@hotline-sim-carrier"
    assert call["channel_id"] == call["action_id"]
    assert (await store.targets_detail(campaign.id))[0]["state"] == "calling"


async def test_channel_caps(db: Database, tmp_path: Path) -> None:
    store = DialerStore(db)
    phones = [f"+7913123456{d}" for d in range(10)]
    await running_campaign(
        store, tmp_path, phones, rules=OPEN.model_copy(update={"max_channels": 3})
    )
    dialer, ami = make_dialer(db, Clock(NOW), trunk_channels=10)
    assert await dialer.dispatch_once() == 3
    assert await dialer.dispatch_once() == 0  # three still in flight
    # Raised while running: the next pass uses it.
    await store.set_rules("test", OPEN.model_copy(update={"max_channels": 5}))
    assert await dialer.dispatch_once() == 2
    assert len(ami.originated) == 5


async def test_same_number_gap_across_campaigns(db: Database, tmp_path: Path) -> None:
    store = DialerStore(db)
    clock = Clock(NOW)
    await running_campaign(store, tmp_path, ["+79131234561"], name="a", rules=OPEN)
    second = await running_campaign(store, tmp_path, ["+79131234561"], name="b", rules=OPEN)
    dialer, ami = make_dialer(db, clock, same_number_gap_seconds=600)
    assert await dialer.dispatch_once() == 1
    row = (await store.targets_detail(second.id))[0]
    assert row["state"] == "pending" and row["waiting"] == WaitReason.SAME_NUMBER
    assert row["next_attempt_at"] == (NOW + timedelta(seconds=600)).isoformat()
    # The limit is adjustable while running: with a 60 s gap, 61 s later it may be dialled.
    await store.set_limit(LIMIT_GAP, 60, "boss", NOW)
    clock.at = NOW + timedelta(seconds=61)
    (target,) = await store.due_targets(second.id, NOW + timedelta(days=1), 1)
    await store.defer(target.id, clock.at, "")
    assert await dialer.dispatch_once() == 1
    assert len(ami.originated) == 2


async def test_do_not_call_after_start(db: Database, tmp_path: Path) -> None:
    store = DialerStore(db)
    campaign = await running_campaign(store, tmp_path, ["+79131234561"], rules=OPEN)
    await store.dnc_add(["+79131234561"], "anna", "asked", NOW)
    dialer, ami = make_dialer(db, Clock(NOW))
    assert await dialer.dispatch_once() == 0
    assert ami.originated == []
    row = (await store.targets_detail(campaign.id))[0]
    assert (row["state"], row["reason"]) == ("done", Reason.DO_NOT_CALL)


async def test_outside_the_window_waits_with_a_reason(db: Database, tmp_path: Path) -> None:
    store = DialerStore(db)
    night = NOW.replace(hour=20)  # 03:00 in Krasnoyarsk, the installation's zone
    campaign = await running_campaign(store, tmp_path, ["+79131234561"], now=night)
    dialer, _ami = make_dialer(db, Clock(night))
    assert await dialer.dispatch_once() == 0
    row = (await store.targets_detail(campaign.id))[0]
    assert row["waiting"] == WaitReason.OUTSIDE_HOURS
    assert row["next_attempt_at"] == "2026-11-25T03:00:00+00:00"  # 10:00 Krasnoyarsk


async def test_lost_originate_is_unknown_and_waits_for_the_gap(
    db: Database, tmp_path: Path
) -> None:
    store = DialerStore(db)
    campaign = await running_campaign(store, tmp_path, ["+79131234561"], rules=OPEN)
    dialer, ami = make_dialer(db, Clock(NOW), same_number_gap_seconds=3600)
    ami.fail = AmiNotConnected("AMI connection lost")
    assert await dialer.dispatch_once() == 1
    attempt = (await store.attempts_detail(campaign.id))[0]
    assert (attempt["status"], attempt["reason"]) == ("unknown", Reason.UNKNOWN)
    row = (await store.targets_detail(campaign.id))[0]
    assert row["state"] == "pending"
    assert row["next_attempt_at"] >= (NOW + timedelta(hours=1)).isoformat()
    progress = await status(store, "test", NOW)
    assert (progress.pending, progress.retries_pending, progress.attempts) == (1, 1, 1)


async def test_an_originate_refused_before_it_was_written_goes_back_to_its_contact(
    db: Database, tmp_path: Path
) -> None:
    # AMI dropped while the first attempt was being marked sent: nothing went out, so the
    # attempt is withdrawn (not "unknown", which would hold the number for the gap).
    store = DialerStore(db)
    phones = ["+79131234561", "+79131234562"]
    campaign = await running_campaign(store, tmp_path, phones, rules=OPEN)
    dialer, ami = make_dialer(db, Clock(NOW), same_number_gap_seconds=3600)
    ami.fail = AmiNotSent("AMI is not connected")
    assert await dialer.dispatch_once() == 0
    assert await store.attempts_detail(campaign.id) == []
    targets = await store.targets_detail(campaign.id)
    assert [(t["state"], t["attempts"]) for t in targets] == [("pending", 0), ("pending", 0)]
    ami.fail = None  # back: both are dialled at once, the gap not held against them
    assert await dialer.dispatch_once() == 2
    assert sorted(o["channel"].split("@")[0] for o in ami.originated) == [
        "Local/79131234561",
        "Local/79131234562",
    ]


async def test_reconcile_adopts_live_calls_and_settles_the_rest(
    db: Database, tmp_path: Path
) -> None:
    store = DialerStore(db)
    campaign = await running_campaign(
        store, tmp_path, ["+79131234561", "+79131234562", "+79131234563"], rules=OPEN
    )
    first, _ = make_dialer(db, Clock(NOW))
    assert await first.dispatch_once() == 3
    ids = [a["attempt"] for a in await store.attempts_detail(campaign.id)]
    await store.mark_attempt(ids[1], status="answered", key_played=True)
    # A new engine: one call is still alive in Asterisk, two ended while we were away.
    second, ami = make_dialer(db, Clock(NOW + timedelta(seconds=30)))
    ami.live = {ids[0]}
    await second.reconcile()
    assert second.in_flight == 1
    attempts = {a["attempt"]: a for a in await store.attempts_detail(campaign.id)}
    assert attempts[ids[0]]["status"] == "dialing"
    assert (attempts[ids[1]]["result"], attempts[ids[1]]["reason"]) == ("positive", "delivered")
    assert (attempts[ids[2]]["status"], attempts[ids[2]]["reason"]) == ("unknown", "unknown")
    # Nothing is redialled: the unknown one waits for the gap, the live one is in flight.
    assert await second.dispatch_once() == 0


async def test_paused_campaigns_are_not_dialled(db: Database, tmp_path: Path) -> None:
    store = DialerStore(db)
    await running_campaign(store, tmp_path, ["+79131234561"], rules=OPEN)
    await store.pause("test")
    dialer, ami = make_dialer(db, Clock(NOW))
    assert await dialer.dispatch_once() == 0
    await store.resume("test")
    assert await dialer.dispatch_once() == 1
    assert len(ami.originated) == 1


async def test_start_and_end_times(db: Database, tmp_path: Path) -> None:
    store = DialerStore(db)
    version = await store.add_scenario("s", short_scenario(), "anna", NOW)
    await store.create_campaign(
        "timed",
        version.id,
        OPEN,
        "anna",
        NOW,
        starts_at=NOW + timedelta(hours=1),
        ends_at=NOW + timedelta(hours=2),
    )
    path = write_csv(tmp_path / "t.csv", [{"phone": "+79131234561", "amount": "1"}])
    report = read_contacts(path, {"amount": SayKind.MONEY}, region="RU", do_not_call=frozenset())
    await store.attach_list("timed", "t", str(path), report, "anna", NOW)
    await store.approve("timed", "boris", NOW)
    campaign = await store.start("timed", NOW, default_zone=ZONE)
    clock = Clock(NOW)
    dialer, ami = make_dialer(db, clock)
    assert await dialer.dispatch_once() == 0  # not yet
    clock.at = NOW + timedelta(hours=2)
    assert await dialer.dispatch_once() == 0  # over: what is left expires
    assert ami.originated == []
    row = (await store.targets_detail(campaign.id))[0]
    assert (row["state"], row["reason"]) == ("done", Reason.EXPIRED)
    assert (await store.campaign("timed")).state == "finished"


async def test_each_trunk_has_its_own_channel_cap(db: Database, tmp_path: Path) -> None:
    store = DialerStore(db)
    many = OPEN.model_copy(update={"max_channels": 50})
    await running_campaign(
        store, tmp_path, [f"+7913123450{d}" for d in range(10)], name="a", rules=many
    )
    await running_campaign(
        store,
        tmp_path,
        [f"+7913123460{d}" for d in range(10)],
        name="b",
        rules=many.model_copy(update={"trunk": "second"}),
    )
    await running_campaign(
        store,
        tmp_path,
        ["+79131234700"],
        name="c",
        rules=many.model_copy(update={"trunk": "nowhere"}),
    )
    dialer, ami = make_dialer(
        db,
        Clock(NOW),
        trunk_channels=2,
        trunks={"second": {"dial": "PJSIP/{number}@second", "channels": 3}},
    )
    assert await dialer.dispatch_once() == 5
    channels = [call["channel"] for call in ami.originated]
    assert sum(c.startswith("Local/") for c in channels) == 2
    assert sum(c.startswith("PJSIP/") and c.endswith("@second") for c in channels) == 3
    assert await dialer.dispatch_once() == 0  # both trunks full; "nowhere" is never dialled
    # Raised while running.
    await store.set_limit("trunk_channels:second", 4, "boss", NOW)
    assert await dialer.dispatch_once() == 1
