"""Issue 19 item 6, the event loop free under combined load: the engine's start-up heap is
frozen out of garbage collections, `hotline run` honours ``[engine] loop``, AMI events read
are counted (the base of the dropped ones), the lag histogram tells apart lags below 10 ms,
and the dispatcher claims no more contacts than pacing lets out within a tick."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from dialer.repository import DialerStore
from hotline.app import Engine
from hotline.cli import engine_cmd
from hotline.cli.main import app
from hotline.core import metrics
from hotline.protocol.ami import AmiEvent
from hotline.settings import LoopKind, load_settings
from hotline.store.db import Database
from hotline.transport import ami_wire
from hotline.transport.ami import AmiClient
from tests.dialer_support import NOW, Clock, running_campaign
from tests.fakes.ami_server import FakeAmiServer
from tests.unit.test_ami_client import settings_for
from tests.unit.test_dialer_service import OPEN, db, make_dialer

__all__ = ["db"]  # the fixture


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


class _Started(Engine):
    """An engine whose start and stop only note how much of the heap is frozen."""

    def __init__(self) -> None:  # no wiring: only run_until_signalled is under test
        self.frozen: dict[str, int] = {}

    async def start(self) -> None:
        self.frozen["start"] = gc.get_freeze_count()
        # The signal the engine waits for, once it is waiting.
        asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGTERM)

    async def stop(self) -> None:
        self.frozen["serving"] = gc.get_freeze_count()


def test_the_heap_is_frozen_once_the_engine_has_started(unfrozen: None) -> None:
    engine = _Started()
    asyncio.run(engine.run_until_signalled())
    assert engine.frozen["start"] == 0
    assert engine.frozen["serving"] > 0  # collections skip the start-up's objects


class _LoopNoted:
    loops: ClassVar[list[str]] = []

    def __init__(self, _settings: Any) -> None:
        pass

    async def run_until_signalled(self) -> None:
        loop = asyncio.get_running_loop()
        self.loops.append(f"{type(loop).__module__}.{type(loop).__name__}")


@pytest.mark.parametrize(
    ("flags", "module"), [([], "asyncio"), (["--set", "engine.loop=uvloop"], "uvloop")]
)
def test_hotline_run_runs_on_the_configured_loop(
    monkeypatch: pytest.MonkeyPatch, unfrozen: None, flags: list[str], module: str
) -> None:
    monkeypatch.setattr(engine_cmd, "Engine", _LoopNoted)
    _LoopNoted.loops = []
    result = CliRunner().invoke(app, [*flags, "run"])
    assert result.exit_code == 0, result.output
    assert len(_LoopNoted.loops) == 1 and _LoopNoted.loops[0].startswith(module + ".")


def test_the_loop_setting_defaults_to_asyncio_and_refuses_others() -> None:
    assert load_settings().engine.loop is LoopKind.ASYNCIO
    assert load_settings(overrides={"engine": {"loop": "uvloop"}}).engine.loop is LoopKind.UVLOOP
    with pytest.raises(Exception, match="loop"):
        load_settings(overrides={"engine": {"loop": "trio"}})


def _received() -> float:
    value = metrics.REGISTRY.get_sample_value("hotline_ami_events_received_total")
    return value or 0.0


async def test_every_ami_event_read_is_counted() -> None:
    server = FakeAmiServer()
    await server.start()
    try:
        async with AmiClient(settings_for(server), server.secret) as ami:
            hangups = ami.subscribe(["Hangup"], maxsize=1)
            before = _received()
            for n in range(3):
                await server.emit({"Event": "Hangup", "Uniqueid": f"u{n}", "Cause": "16"})
            await server.emit({"Event": "Newchannel", "Uniqueid": "u9"})
            async with asyncio.timeout(5):
                while _received() - before < 4:
                    await asyncio.sleep(0.02)
            assert hangups.dropped == 2  # dropped is a share of what was received
    finally:
        await server.stop()


def test_the_lag_histograms_tell_lags_below_10_ms_apart() -> None:
    for name in (metrics.LAG_WALL_NAME, metrics.LAG_OWN_NAME):
        for bound in ("0.0005", "0.001", "0.002", "0.003", "0.004", "0.005", "0.006", "0.008"):
            sample = metrics.REGISTRY.get_sample_value(f"{name}_bucket", {"le": bound})
            assert sample is not None, (name, bound)


async def test_the_dispatcher_claims_only_what_pacing_lets_out(
    db: Database, tmp_path: Path
) -> None:
    store = DialerStore(db)
    wide = OPEN.model_copy(update={"max_channels": 10_000})
    phones = [f"+7913700{i:04d}" for i in range(60)]
    campaign = await running_campaign(store, tmp_path, phones, rules=wide)
    # 10 calls a second, a 0.2 s tick: three Originate slots a tick, a thousand free channels.
    dialer, ami = make_dialer(
        db, Clock(NOW), calls_per_second=10.0, tick_seconds=0.2, trunk_channels=1000
    )
    asked: list[int] = []
    original = dialer.store.claim_targets

    async def noting(campaign_id: int, now: Any, limit: int, **kwargs: Any) -> Any:
        asked.append(limit)
        return await original(campaign_id, now, limit, **kwargs)

    dialer.store.claim_targets = noting  # type: ignore[method-assign]
    dialled = await dialer.dispatch_once()
    assert dialled >= 1 and len(ami.originated) == dialled
    # Each claim within a tick's slots (a slow pass may go on to the next tick's), never
    # the thousand free channels' worth.
    assert asked and max(asked) <= 3
    rows = await store.targets_detail(campaign.id)
    assert [r["state"] for r in rows].count("pending") == len(phones) - dialled


async def test_events_no_subscriber_takes_are_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    original = ami_wire.Message.from_line

    def noting(line: str) -> Any:
        parsed.append(line.partition("\r\n")[0])
        return original(line)

    monkeypatch.setattr(ami_wire.Message, "from_line", staticmethod(noting))
    # Plain events are parsed straight from their frames (AmiEvent.from_frame): noted too.
    from_frame = AmiEvent.from_frame

    def noting_frame(cls: type[AmiEvent], frame: str, received_at: float = 0.0) -> Any:
        parsed.append(frame.partition("\r\n")[0])
        return from_frame(frame, received_at)

    monkeypatch.setattr(AmiEvent, "from_frame", classmethod(noting_frame))
    server = FakeAmiServer()
    await server.start()
    try:
        async with AmiClient(settings_for(server), server.secret) as ami:
            hangups = ami.subscribe(["Hangup"])
            before = _received()
            await server.emit({"Event": "VarSet", "Uniqueid": "u1", "Variable": "X"})
            await server.emit({"Event": "Hangup", "Uniqueid": "u1", "Cause": "16"})
            # An event answering one of our actions always goes through to its action.
            await server.emit({"Event": "CoreShowChannel", "ActionID": "a1", "Uniqueid": "u2"})
            assert (await hangups.get(within=2.0)).uniqueid == "u1"
            async with asyncio.timeout(5):
                while _received() - before < 3:
                    await asyncio.sleep(0.02)
            assert "Event: VarSet" not in parsed
            assert "Event: Hangup" in parsed and "Event: CoreShowChannel" in parsed
            # A subscriber of every event: VarSet parsed and delivered again.
            everything = ami.subscribe()
            await server.emit({"Event": "VarSet", "Uniqueid": "u3", "Variable": "Y"})
            assert (await everything.get(within=2.0)).name == "VarSet"
            ami.unsubscribe(everything)
            assert not ami.wants_event("VarSet") and ami.wants_event("hangup")
    finally:
        await server.stop()


def test_the_combined_bench_reads_quantiles_between_two_scrapes() -> None:
    from bench.combined import quantile

    inf = float("inf")
    before = [(0.001, 10.0), (0.002, 10.0), (0.01, 10.0), (inf, 10.0)]
    # 100 new observations: 90 up to 1 ms, 9 in (1, 2] ms, 1 in (2, 10] ms.
    after = [(0.001, 100.0), (0.002, 109.0), (0.01, 110.0), (inf, 110.0)]
    assert quantile(before, after, 0.5) == pytest.approx(0.001 * 50 / 90)
    assert quantile(before, after, 0.99) == pytest.approx(0.002)
    assert quantile(before, before, 0.99) is None  # nothing observed in between
    late = [(0.001, 10.0), (0.002, 10.0), (0.01, 10.0), (inf, 11.0)]
    assert quantile(before, late, 0.99) == 0.01  # beyond the last bound: that bound
