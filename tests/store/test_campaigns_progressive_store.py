"""A progressive campaign in the store (issue 22 item 2): its due contacts wait for a free
operator of its queue (the «why» report), and the operator and talk time are kept with the
attempt."""

from __future__ import annotations

from pathlib import Path

from dialer.model import CampaignRules, DialMode
from dialer.report import why
from dialer.repository import DialerStore
from dialer.window import WaitReason
from hotline.store.db import Database
from tests.dialer_support import NOW, running_campaign


async def test_due_contacts_wait_for_a_free_operator_of_the_queue(
    db: Database, tmp_path: Path
) -> None:
    await db.upgrade()
    store = DialerStore(db)
    rules = CampaignRules(mode=DialMode.PROGRESSIVE)
    await running_campaign(store, tmp_path, ["+79131234561", "+79131234562"], rules=rules)
    rows = await why(store, "test", NOW, 10, "hotline-operators")
    assert [(r.waiting.code, r.waiting.param_dict, r.contacts) for r in rows] == [
        (WaitReason.FREE_OPERATOR, {"queue": "hotline-operators"}, 2)
    ]
    assert "оператор очереди hotline-operators" in rows[0].waiting.text
    own = CampaignRules(mode=DialMode.PROGRESSIVE, queue="hotline-debt")
    await running_campaign(store, tmp_path, ["+79131234563"], name="own", rules=own)
    rows = await why(store, "own", NOW, 10, "hotline-operators")
    assert rows[0].waiting.param_dict == {"queue": "hotline-debt"}


async def test_the_operator_and_the_talk_time_are_kept_with_the_attempt(
    db: Database, tmp_path: Path
) -> None:
    await db.upgrade()
    store = DialerStore(db)
    rules = CampaignRules(mode=DialMode.PROGRESSIVE)
    campaign = await running_campaign(store, tmp_path, ["+79131234561"], rules=rules)
    target = (await store.due_targets(campaign.id, NOW, limit=1))[0]
    attempt = await store.begin_attempt(target, "a1", NOW)
    assert attempt is not None
    await store.mark_attempt("a1", operator="olga")
    await store.mark_attempt("a1", talk_seconds=42)
    row = (await store.attempts_detail(campaign.id))[0]
    assert (row["operator"], row["talk_seconds"]) == ("olga", 42)
    stored = await store.attempt("a1")
    assert stored is not None and stored.operator == "olga"
