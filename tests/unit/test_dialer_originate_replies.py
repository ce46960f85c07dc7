"""Issue 19 item 6 (20 calls a second under combined load): each Originate waited for
Asterisk's reply before the next call of the batch was sent, so a reply slower than the
gap between pacing slots (50 ms at 20 cps) held back every later call.  Now the replies are
awaited beside the next sends, and the batch still ends only once every reply is in.

The stub's Asterisk answers no Originate before it has received every one of the batch.
Checked against the old code: the pass never sent the second call (the guard below ends
the wait, and the test fails on the timeout)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from dialer.model import AttemptStatus
from dialer.repository import DialerStore
from hotline.transport.ami import AmiActionFailed
from tests.dialer_support import NOW, Clock, running_campaign
from tests.unit.test_dialer_service import OPEN, StubAmi, db, make_dialer

__all__ = ["db"]

PHONES = [f"+7913400000{i}" for i in range(4)]
# Ends a wait that would never end on the old code (a deadlock guard, not a timing check).
GUARD_SECONDS = 30.0


class RepliesAfterTheBatch(StubAmi):
    """Replies to no Originate until ``expected`` of them have arrived; refuses ``refused``."""

    def __init__(self, expected: int, refused: str = "") -> None:
        super().__init__()
        self.expected = expected
        self.refused = refused
        self.all_in = asyncio.Event()
        self.replied: list[str] = []

    async def originate(self, channel: str, **kwargs: Any) -> str:
        self.originated.append({"channel": channel, **kwargs})
        if len(self.originated) >= self.expected:
            self.all_in.set()
        await self.all_in.wait()
        self.replied.append(str(kwargs["action_id"]))
        if self.refused and self.refused in channel:
            raise AmiActionFailed("Originate", "refused by the far end")
        return str(kwargs["action_id"])


async def test_the_next_originate_goes_out_before_the_previous_reply(
    db: Any, tmp_path: Path
) -> None:
    store = DialerStore(db)
    campaign = await running_campaign(store, tmp_path, PHONES, rules=OPEN)
    ami = RepliesAfterTheBatch(len(PHONES), refused=PHONES[1].lstrip("+"))
    dialer, _ = make_dialer(db, Clock(NOW), ami, trunk_channels=1000)
    async with asyncio.timeout(GUARD_SECONDS):
        assert await dialer.dispatch_once() == len(PHONES)
    # Every reply was in when the pass returned, and the refused call was settled by then.
    assert sorted(ami.replied) == sorted(o["action_id"] for o in ami.originated)
    attempts = {a["phone"]: a for a in await store.attempts_detail(campaign.id)}
    assert attempts[PHONES[1]]["status"] == AttemptStatus.ENDED.value
    assert attempts[PHONES[1]]["reason"] == "failed"
    assert all(
        attempts[p]["status"] == AttemptStatus.DIALING.value for p in PHONES if p != PHONES[1]
    )
