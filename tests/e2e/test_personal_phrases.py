"""A personal phrase (a debt amount) composed from readout fragments and played through the
real Asterisk to a simulated caller; the transcript names the files and their durations."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.dialplan.names import ROUTE_IVR
from hotline.settings import Settings
from hotline.speech import russian
from hotline.store.callbacks import CallbackStore
from hotline.store.enums import CallOutcome
from hotline.transport.fastagi import AgiCall, AgiRoutes
from ivr.call import IvrCall
from tests.e2e.engine_support import engine_settings, simulate

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("sandbox")]

AMOUNT = Decimal("1234.56")
WORDS = "одна тысяча двести тридцать четыре рубля пятьдесят шесть копеек"
# Asterisk reports what it played in 20 ms frames.
FRAME = 0.02


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db")


async def test_debt_amount_is_read_to_the_caller(settings: Settings) -> None:
    phrase = russian.money(AMOUNT)
    assert phrase.text == WORDS

    async def tell_the_debt(agi: AgiCall) -> None:
        call = IvrCall(agi, engine.call_log, engine.prompts, CallbackStore(engine.db))
        await call.open()
        await call.enter("balance")
        await call.play("balance.debt")
        await call.say(phrase)
        await call.finish()

    routes = AgiRoutes()
    routes.add(ROUTE_IVR, tell_the_debt)
    engine = Engine(settings, routes=routes)
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        transcript = await simulate(settings, "", caller_id="79131234567")
        composed = await engine.prompts.phrase(phrase)
        intro = engine.prompts.sound("balance.debt")
    finally:
        await engine.stop()

    assert transcript.outcome == CallOutcome.COMPLETED
    # The files Asterisk was told to play, as it reported them over AMI, in order ...
    assert transcript.prompts == [intro.path_without_extension, composed.path_without_extension]
    first, money = transcript.audio
    # ... measured from the rendered files, equal to what the library built ...
    assert first.duration == pytest.approx(intro.duration, abs=0.001)
    assert money.duration == pytest.approx(composed.duration, abs=0.001)
    fragments = sum(engine.prompts.duration(f"frag/{f}") for f in phrase.fragments)
    assert money.duration == pytest.approx(fragments, abs=0.001)
    # ... and played to the end (Asterisk's endpos, recorded by the IVR).
    assert money.played == pytest.approx(money.duration, abs=FRAME)
    assert first.played == pytest.approx(first.duration, abs=FRAME)
    assert transcript.call_log is not None
    said = [e["value"] for e in transcript.call_log["events"] if e["kind"] == "prompt"]
    assert said == ["balance.debt", WORDS]
