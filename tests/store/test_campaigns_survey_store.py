"""Survey answers in the store (issue 22 item 1; R-105, R-108): the cap's question across
every survey campaign and the operator-call rating (in any caller-ID form), the results per
question, and the import that drops customers surveyed within the cap, by row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dialer import operations
from dialer.model import TEMPLATES, CampaignKind, CampaignRules
from dialer.repository import DialerStore
from hotline.settings import Settings
from hotline.store.db import Database
from hotline.store.ratings import RatingStore
from hotline.store.surveys import AnswerCount, SurveyStore, caller_forms
from tests.dialer_support import write_csv

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def _campaign(db: Database, name: str) -> int:
    store = DialerStore(db)
    version = await store.add_scenario(name, TEMPLATES[CampaignKind.SURVEY], "author", NOW)
    return (await store.create_campaign(name, version.id, CampaignRules(), "author", NOW)).id


async def test_surveyed_since_counts_every_survey_and_the_rating(db: Database) -> None:
    await db.upgrade()
    surveys = SurveyStore(db)
    first, second = await _campaign(db, "first"), await _campaign(db, "second")
    await surveys.add(first, "a1", "+79131230001", "quality", 5, NOW - timedelta(days=10))
    await surveys.add(second, "a2", "+79131230002", "quality", 4, NOW - timedelta(days=200))
    # The rating stores the caller ID as Asterisk gives it: 8 and no "+" are the same customer.
    await RatingStore(db).add("c1", "89131230003", "anna", 5, NOW - timedelta(days=5))
    await RatingStore(db).add("c2", "79131230004", "anna", 5, NOW - timedelta(days=1))
    phones = ["+79131230001", "+79131230002", "+79131230003", "+79131230004", "+79131230005"]
    found = await surveys.surveyed_since(phones, NOW - timedelta(days=92))
    assert found.keys() == {"+79131230001", "+79131230003", "+79131230004"}
    assert found["+79131230003"] == NOW - timedelta(days=5)
    assert await surveys.results(first) == [AnswerCount("quality", 5, 1)]
    assert caller_forms("+79131230001") == {
        "+79131230001": "+79131230001",
        "79131230001": "+79131230001",
        "89131230001": "+79131230001",
    }


async def test_the_import_drops_customers_surveyed_within_the_cap(
    db: Database, tmp_path: Path
) -> None:
    await db.upgrade()
    done = await _campaign(db, "done")
    await _campaign(db, "next")
    await SurveyStore(db).add(done, "a1", "+79131230001", "quality", 5, NOW - timedelta(days=80))
    await SurveyStore(db).add(done, "a2", "+79131230002", "quality", 5, NOW - timedelta(days=95))
    rows = [{"phone": p} for p in ("+79131230001", "+79131230002", "+79131230003")]
    path = write_csv(tmp_path / "next.csv", rows)
    report = await operations.check_contacts(db, Settings(), "next", path, now=NOW)
    assert [c.phone for c in report.contacts] == ["+79131230002", "+79131230003"]
    assert [str(p) for p in report.dropped] == [
        "row 2, phone: surveyed on 05.09.2026: at most one survey in 3 months (R-105)"
    ]
    # The cap is a setting: 0 switches it off.
    off = Settings.model_validate({"rating": {"min_interval_months": 0}})
    report = await operations.check_contacts(db, off, "next", path, now=NOW)
    assert len(report.contacts) == 3 and report.dropped == []
