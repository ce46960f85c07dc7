"""M1 across calls: a caller ID that typed wrong account digits five times lately (in earlier
calls) is not asked again; through the sandbox and the engine it hears the polite offer of the
operator instead, and no money."""

from __future__ import annotations

import pytest

from hotline.app import Engine
from hotline.dialplan.names import OperatorReason
from hotline.settings import Settings
from hotline.store.accounts import AccountStore
from hotline.store.db import Database
from hotline.store.enums import CallOutcome
from ivr import prompts
from ivr.disclosure import FailureLimits
from tests.e2e.engine_support import simulate
from tests.security.test_phone_identity import MONEY, NUMBER, PHONE, played, seeded, settings

__all__ = ["seeded", "settings"]  # the fixtures: the account with its caller ID, a fresh store

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.short_prompts,
    pytest.mark.usefixtures("sandbox", "seeded"),
]


async def test_a_caller_locked_out_by_earlier_wrong_answers_is_offered_the_operator(
    engine: Engine, settings: Settings
) -> None:
    async with Database.from_settings(settings) as db:
        limits = FailureLimits(AccountStore(db), settings, NUMBER, PHONE)
        for _ in range(settings.accounts.money_lockout_failures):  # earlier calls' guesses
            assert await limits.reserve() is not None
        assert await limits.locked()
    transcript = await simulate(settings, "2w1", caller_id=PHONE)
    names = played(transcript)
    assert "money.locked" in transcript.nodes
    assert prompts.MONEY_DIGITS_ENTER_END not in names  # not asked again
    assert prompts.MONEY_BY_OPERATOR in names and not MONEY & set(names)
    assert transcript.outcome == CallOutcome.OPERATOR
    assert transcript.operator_reason == OperatorReason.NOT_IDENTIFIED
