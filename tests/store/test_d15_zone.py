"""R-086: one time zone for the installation.  A contact without a zone is called in the
installation's zone (hours.timezone, Asia/Krasnoyarsk by default), not Moscow; a campaign
that overrides it says so in ``hotline campaign show``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from dialer.model import CampaignRules
from dialer.repository import DialerStore
from dialer.window import window_for
from hotline.settings import HoursSettings
from hotline.store.db import Database
from tests.cli_support import hermetic_store_url, run_hotline
from tests.dialer_support import NOW, ZONE, running_campaign

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
# A Tuesday, 14:30 UTC: 17:30 in Moscow (inside 10:00-20:00), 21:30 in Krasnoyarsk (outside).
EVENING = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
# The same Tuesday, 02:30 UTC: 09:30 in Krasnoyarsk, still closed (03:30 UTC is 10:30).
MORNING = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)


def test_rules_have_no_zone_of_their_own_by_default() -> None:
    rules = CampaignRules()
    assert rules.timezone is None
    assert rules.contact_zone("Asia/Krasnoyarsk") == "Asia/Krasnoyarsk"
    assert HoursSettings().timezone == "Asia/Krasnoyarsk" == ZONE
    with pytest.raises(ValueError, match="unknown time zone"):
        CampaignRules(timezone="Mars/Base")


async def test_contact_without_zone_is_called_in_the_installation_zone(
    db: Database, tmp_path: Path
) -> None:
    await db.upgrade()
    store = DialerStore(db)
    campaign = await running_campaign(store, tmp_path, ["+79131234561"])
    (due,) = await store.due_targets(campaign.id, NOW, 10)
    assert due.timezone == "Asia/Krasnoyarsk"
    window = window_for(campaign.rules, due.timezone)
    assert not window.is_open(EVENING)  # 21:30 local: the callee is not disturbed
    assert window.is_open(MORNING.replace(hour=3))  # 10:30 local
    assert not window.is_open(MORNING)  # 09:30 local
    assert "Asia/Krasnoyarsk" in window.why_closed(EVENING).text


async def test_a_campaign_override_is_kept(db: Database, tmp_path: Path) -> None:
    await db.upgrade()
    store = DialerStore(db)
    rules = CampaignRules(timezone="Europe/Moscow")
    campaign = await running_campaign(store, tmp_path, ["+79131234561"], rules=rules)
    (due,) = await store.due_targets(campaign.id, NOW, 10)
    assert due.timezone == "Europe/Moscow"
    assert window_for(campaign.rules, due.timezone).is_open(EVENING)


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def test_campaign_show_names_the_zone_and_an_override(url: str, tmp_path: Path) -> None:
    def hotline(*args: str) -> tuple[int, str, str]:
        return run_hotline(url, *args, settings=(f"paths.prompts_dir={PROMPTS}",))

    assert hotline("scenario", "create", "debt", "--kind", "debt", "--by", "anna")[0] == 0
    assert hotline("campaign", "create", "plain", "--scenario", "debt", "--by", "anna")[0] == 0
    rules = tmp_path / "rules.yaml"
    rules.write_text("timezone: Europe/Moscow\n", encoding="utf-8")
    code, _, err = hotline(
        "campaign", "create", "moscow", "--scenario", "debt", "--rules", str(rules), "--by", "a"
    )
    assert code == 0, err
    code, out, err = hotline("campaign", "show", "plain")
    assert code == 0, err
    assert yaml.safe_load(out)["timezone"] == "Asia/Krasnoyarsk (the installation's zone)"
    code, out, err = hotline("campaign", "show", "moscow")
    assert code == 0, err
    assert yaml.safe_load(out)["timezone"] == (
        "Europe/Moscow (campaign override; the installation's zone is Asia/Krasnoyarsk)"
    )
