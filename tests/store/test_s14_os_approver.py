"""Issue 14 item 8: `hotline campaign approve` run by an OS user mapped to a console user in
settings (dialer.os_approvers) approves as that user without a password; the OS account is
taken from the effective uid, not from $USER; the uploader still cannot approve; the audit
names the OS user."""

from __future__ import annotations

import asyncio
import os
import pwd
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.cli import campaign_cmd
from hotline.store.audit import AuditLog, AuditRecord
from hotline.store.db import Database
from tests.cli_support import hermetic_store_url
from tests.store.test_campaign_cli import _console_users
from tests.store.test_cli_trust import _campaign_with_list, _state, hotline

ME = pwd.getpwuid(os.geteuid()).pw_name


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def _audit(url: str) -> list[AuditRecord]:
    async def read() -> list[AuditRecord]:
        async with Database(url) as db:
            return await AuditLog(db).entries()

    return asyncio.run(read())


def _mapped(url: str, *args: str, to: str) -> tuple[int, str, str]:
    return hotline(url, "--set", f"dialer.os_approvers.{ME}={to}", *args)


def test_the_os_user_is_the_effective_uid_not_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("USER", "someone-else")
    monkeypatch.setenv("LOGNAME", "someone-else")
    assert campaign_cmd.effective_os_user() == ME


def test_a_mapped_os_user_approves_without_a_password(url: str, tmp_path: Path) -> None:
    _campaign_with_list(url, tmp_path, uploader="anna")
    _console_users(url, {"boris": "supervisor"})
    code, out, err = _mapped(url, "campaign", "approve", "dec", to="boris")
    assert code == 0, err
    assert f"approved by boris (OS user {ME})" in out
    assert _state(url, "dec") == ("approved", "boris")
    approval = [e for e in _audit(url) if e.action == "campaign.approve"]
    assert [(e.actor, e.channel, e.source) for e in approval] == [
        ("boris", "cli", f"os-user:{ME}")
    ]


def test_the_mapping_does_not_lift_the_other_rules(url: str, tmp_path: Path) -> None:
    _campaign_with_list(url, tmp_path, uploader="boris")
    _console_users(url, {"boris": "supervisor", "vera": "supervisor", "anna": "operator"})
    # The mapped user attached the list: still refused.
    code, _, err = _mapped(url, "campaign", "approve", "dec", to="boris")
    assert code == 1 and "attached the contact list" in err
    # Mapped to an operator: no right to approve.
    code, _, err = _mapped(url, "campaign", "approve", "dec", to="anna")
    assert code == 1 and "may not approve" in err
    # Mapped to nobody that exists.
    code, _, err = _mapped(url, "campaign", "approve", "dec", to="ghost")
    assert code == 1 and "does not exist or is disabled" in err
    # --by someone else than the mapped user: that user's password is asked for (none given).
    code, _, _ = _mapped(url, "campaign", "approve", "dec", "--by", "vera", to="boris")
    assert code != 0
    assert _state(url, "dec") == ("draft", None)


def test_without_a_mapping_the_password_is_still_required(url: str, tmp_path: Path) -> None:
    _campaign_with_list(url, tmp_path, uploader="anna")
    _console_users(url, {"boris": "supervisor"})
    code, _, _ = hotline(url, "campaign", "approve", "dec", "--by", "boris")
    assert code != 0
    code, _, _ = hotline(url, "--set", "dialer.os_approvers.not-me=boris", "campaign",
                         "approve", "dec")  # fmt: skip
    assert code != 0
    assert _state(url, "dec") == ("draft", None)
