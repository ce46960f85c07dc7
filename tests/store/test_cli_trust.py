"""Trust gaps in the campaign's four-eyes rule and names (L8): slug names, the list's
uploader may not approve, and ``hotline campaign approve`` needs the approver's console
password (``--by`` alone proves nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dialer import operations
from dialer.model import CampaignRules
from dialer.repository import CampaignError, DialerStore
from hotline.cli.main import app
from hotline.store.audit import Actor
from hotline.store.db import Database
from tests.cli_support import hermetic_store_url, run_hotline
from tests.store.test_campaign_cli import PASSWORD, _console_users, _csv, _password_file

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def hotline(url: str, *args: str) -> tuple[int, str, str]:
    return run_hotline(url, *args, settings=(f"paths.prompts_dir={PROMPTS}",))


def _state(url: str, name: str) -> tuple[str, str | None]:
    async def read() -> tuple[str, str | None]:
        async with Database(url) as db:
            campaign = await DialerStore(db).campaign(name)
            return campaign.state.value, campaign.approved_by

    return asyncio.run(read())


BAD_NAMES = [".", "..", "Dec", "dec debt", "dec/1", "dec.1", "x" * 64]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_campaign_names_are_slugs(url: str, bad: str) -> None:
    assert hotline(url, "scenario", "create", "debt", "--kind", "debt", "--by", "anna")[0] == 0
    code, _, err = hotline(url, "campaign", "create", bad, "--scenario", "debt", "--by", "anna")
    assert code == 1 and "lower-case latin letters, digits and '-'" in err
    assert f"'{bad}'" in err  # the refusal names the name it refused
    for good in ("dec-2026", "demo-20261201-101500", "7"):
        assert hotline(url, "campaign", "create", good, "--scenario", "debt")[0] == 0


def _campaign_with_list(url: str, tmp_path: Path, uploader: str) -> None:
    assert hotline(url, "scenario", "create", "debt", "--kind", "debt", "--by", "anna")[0] == 0
    assert hotline(url, "campaign", "create", "dec", "--scenario", "debt", "--by", "anna")[0] == 0
    good = _csv(
        tmp_path / "l.csv", [["phone", "amount", "due_date"], ["+79131234561", "5", "2026-12-10"]]
    )
    assert hotline(url, "campaign", "import", "dec", str(good), "--by", uploader)[0] == 0


def test_whoever_attached_the_list_cannot_approve(url: str, tmp_path: Path) -> None:
    _campaign_with_list(url, tmp_path, uploader="boris")
    _console_users(url, {"boris": "supervisor", "vera": "supervisor"})
    pw = ("--password-file", _password_file(tmp_path))
    code, _, err = hotline(url, "campaign", "approve", "dec", "--by", "boris", *pw)
    assert code == 1 and "attached the contact list" in err
    assert _state(url, "dec") == ("draft", None)
    assert hotline(url, "campaign", "approve", "dec", "--by", "vera", *pw)[0] == 0
    assert _state(url, "dec") == ("approved", "vera")


def test_the_checks_are_in_the_operations(url: str, tmp_path: Path) -> None:
    """The console and the demo go through dialer.operations: the same refusals there."""
    _campaign_with_list(url, tmp_path, uploader="boris")

    async def work() -> None:
        async with Database(url) as db:
            with pytest.raises(CampaignError, match="attached the contact list"):
                await operations.approve(db, "dec", Actor("boris", "web"))
            for bad in [*BAD_NAMES, "-dec", ""]:
                with pytest.raises(CampaignError, match="lower-case latin letters"):
                    await operations.create(db, bad, "debt", CampaignRules(), Actor("a", "web"))

    asyncio.run(work())
    assert _state(url, "dec") == ("draft", None)


def test_cli_approval_needs_the_console_password(url: str, tmp_path: Path) -> None:
    _campaign_with_list(url, tmp_path, uploader="anna")
    _console_users(url, {"boris": "supervisor"})
    # --by alone: the password is prompted for; none given, nothing approved.
    code, _, _ = hotline(url, "campaign", "approve", "dec", "--by", "boris")
    assert code != 0
    assert _state(url, "dec") == ("draft", None)
    # A wrong password is refused.
    wrong = tmp_path / "wrong"
    wrong.write_text("not the password\n", encoding="utf-8")
    code, _, err = hotline(
        url, "campaign", "approve", "dec", "--by", "boris", "--password-file", str(wrong)
    )
    assert code == 1 and "password did not check out" in err
    assert _state(url, "dec") == ("draft", None)
    # A name that is no console user is refused too.
    code, _, err = hotline(
        url,
        "campaign",
        "approve",
        "dec",
        "--by",
        "mallory",
        "--password-file",
        _password_file(tmp_path),
    )
    assert code == 1 and "password did not check out" in err
    assert _state(url, "dec") == ("draft", None)
    # The right password, typed at the hidden prompt.
    result = CliRunner().invoke(
        app,
        [
            "--set",
            f"store.url={url}",
            "--set",
            f"paths.prompts_dir={PROMPTS}",
            "campaign",
            "approve",
            "dec",
            "--by",
            "boris",
        ],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hide_input: not echoed
    assert _state(url, "dec") == ("approved", "boris")
