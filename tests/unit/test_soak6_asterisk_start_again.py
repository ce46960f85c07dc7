"""The soak's Asterisk kill did not recover in a loaded clean-clone run: ``sandbox.up`` came
right after the SIGKILLed Asterisk had left /proc but still held its control socket, and the new
one refused ("Asterisk already running"), so the rest of the soak ran without Asterisk.  The
injector now starts it again a second apart, a few times, for that refusal only."""

from __future__ import annotations

from typing import Any

import pytest

import bench.soak.inject as inject
from bench.soak.inject import Injector
from hotline.sandbox import SandboxError

ALREADY = (
    "Asterisk failed to start (exit 1): "
    "Asterisk already running on /var/run/asterisk/asterisk.ctl."
)


class Sandbox:
    def __init__(self, failures: list[str]) -> None:
        self.failures, self.ups = failures, 0

    def up(self) -> None:
        self.ups += 1
        if self.failures:
            raise SandboxError(self.failures.pop(0))


def injector(sandbox: Any) -> Injector:
    made = Injector.__new__(Injector)
    made.sandbox = sandbox
    return made


@pytest.fixture(autouse=True)
def _no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inject, "START_GAP", 0.0)


async def test_a_start_refused_while_the_killed_one_dies_is_tried_again() -> None:
    sandbox = Sandbox([ALREADY, ALREADY])
    await injector(sandbox)._start_asterisk_again()
    assert sandbox.ups == 3


async def test_other_start_failures_and_a_socket_held_for_good_still_fail() -> None:
    with pytest.raises(SandboxError, match="no such file"):
        await injector(Sandbox(["no such file"]))._start_asterisk_again()
    held = Sandbox([ALREADY] * 10)
    with pytest.raises(SandboxError, match="already running"):
        await injector(held)._start_asterisk_again()
    assert held.ups == inject.START_TRIES
