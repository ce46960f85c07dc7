"""Issue 21 (restart safety): an attempt a reconciliation settled (unknown: its channel was
gone when Asterisk was asked) could be reopened by a late OriginateResponse or FastAGI
session for it, which marked it answered again: back in flight, counted against the caps,
and with no tracked call left to close it, its campaign's dispatcher never checked whether
the campaign was done.  A status now moves only an attempt still in flight; what a closed
call learns late (the operator's talk time) is still written.

Checked against the old code: the settled attempt came back as "answered" and in flight."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.model import AttemptStatus, Reason
from dialer.repository import DialerStore
from hotline.store.db import Database
from tests.dialer_support import NOW, running_campaign


@pytest.fixture
async def store(db: Database) -> DialerStore:
    await db.upgrade()
    return DialerStore(db)


async def test_a_settled_attempt_is_not_reopened_by_a_late_answer(
    store: DialerStore, tmp_path: Path
) -> None:
    campaign = await running_campaign(store, tmp_path, ["+79131234561"])
    (target,) = await store.due_targets(campaign.id, NOW, limit=10)
    assert await store.begin_attempt(target, "a1", NOW) is not None
    assert await store.end_attempt(
        "a1",
        status=AttemptStatus.UNKNOWN,
        result=None,
        reason=Reason.UNKNOWN,
        cause=None,
        now=NOW,
        retry_at=None,
        final=True,
    )
    await store.mark_attempt("a1", status=AttemptStatus.ANSWERED, answered_at=NOW)
    await store.mark_attempt("a1", talk_seconds=42)  # AgentComplete after the Hangup
    attempt = await store.attempt("a1")
    assert attempt is not None and attempt.status is AttemptStatus.UNKNOWN
    assert await store.inflight() == [] and await store.inflight_counts() == {}
    (row,) = await store.attempts_detail(campaign.id)
    assert row["talk_seconds"] == 42


async def test_an_attempt_in_flight_is_marked_answered(store: DialerStore, tmp_path: Path) -> None:
    campaign = await running_campaign(store, tmp_path, ["+79131234562"])
    (target,) = await store.due_targets(campaign.id, NOW, limit=10)
    assert await store.begin_attempt(target, "a2", NOW) is not None
    await store.mark_attempt("a2", status=AttemptStatus.ANSWERED, answered_at=NOW)
    attempt = await store.attempt("a2")
    assert attempt is not None and attempt.status is AttemptStatus.ANSWERED
