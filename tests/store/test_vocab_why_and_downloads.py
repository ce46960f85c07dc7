"""Issue 18, item 1: "why not dialling" is a code with a Russian label (the JSON keeps the
code), and the campaign report's downloads carry a label column beside each code column."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dialer.model import AttemptStatus, Reason, Result
from dialer.report import report_rows, report_sheets, why
from dialer.repository import DialerStore
from dialer.window import Waiting, WaitReason
from hotline.store.db import Database
from tests.dialer_support import NOW, running_campaign


async def test_why_gives_codes_and_russian_texts(db: Database, tmp_path: Path) -> None:
    await db.upgrade()
    store = DialerStore(db)
    campaign = await running_campaign(store, tmp_path, ["+79131234561", "+79131234562"])
    (first, _second) = await store.due_targets(campaign.id, NOW, 10)
    attempt = await store.begin_attempt(first, "a-1", NOW)
    assert attempt is not None
    await store.end_attempt(
        attempt.id,
        status=AttemptStatus.ENDED,
        result=None,
        reason=Reason.BUSY,
        cause="17",
        now=NOW,
        retry_at=NOW + timedelta(minutes=15),
        final=False,
    )
    rows = {row.waiting.code: row for row in await why(store, "test", NOW, trunk_channels=10)}
    retry = rows[WaitReason.RETRY]
    assert retry.waiting.text == "повтор позже: занято"
    assert retry.to_dict()["code"] == "retry" and retry.to_dict()["params"] == {"reason": "busy"}
    assert retry.earliest == (NOW + timedelta(minutes=15)).isoformat()
    assert WaitReason.DUE_NOW in rows or WaitReason.OUTSIDE_HOURS in rows

    await store.pause("test")
    (paused,) = await why(store, "test", NOW, trunk_channels=10)
    assert paused.waiting == Waiting(WaitReason.PAUSED)
    assert paused.waiting.text == "кампания приостановлена"


def test_stored_waits_read_back_old_rows_too() -> None:
    assert Waiting.parse("retry:busy") == Waiting.of(WaitReason.RETRY, reason="busy")
    assert Waiting.parse("retry after no_answer").text == "повтор позже: не ответили"
    assert Waiting.parse("same_number").code is WaitReason.SAME_NUMBER
    assert Waiting.parse("outside calling hours 10:00-21:00 in X").code is WaitReason.DEFERRED


async def test_report_downloads_have_label_columns(db: Database, tmp_path: Path) -> None:
    await db.upgrade()
    store = DialerStore(db)
    campaign = await running_campaign(store, tmp_path, ["+79131234561"])
    (target,) = await store.due_targets(campaign.id, NOW, 10)
    attempt = await store.begin_attempt(target, "a-1", NOW)
    assert attempt is not None
    await store.end_attempt(
        attempt.id,
        status=AttemptStatus.ENDED,
        result=Result.NEGATIVE,
        reason=Reason.INVALID_NUMBER,
        cause="1",
        now=NOW,
        retry_at=None,
        final=True,
    )
    sheets = {s.title: s for s in report_sheets(await report_rows(store, "test"))}
    summary = sheets["summary"]
    row = dict(zip(summary.columns, summary.rows[0], strict=True))
    assert row["reason"] == "invalid_number" and row["причина"] == "неверный номер"
    assert row["result"] == "negative" and row["итог"] == "отрицательный"
    assert row["state"] == "done" and row["состояние"] == "завершён"
    attempts = sheets["attempts"]
    cols = list(attempts.columns)
    assert cols[cols.index("status") + 1] == "статус"
    assert cols[cols.index("reason") + 1] == "причина"
