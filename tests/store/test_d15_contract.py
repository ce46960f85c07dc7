"""R-084: a campaign may call only the numbers in the customer's contract (on by default for
debt campaigns): a row whose number is not one of its account's registered phones is dropped
and the import report says why.  E-mail goes only to addresses the customer gave (column
``email_given_by_customer``, default no)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dialer import operations
from dialer.contacts import ImportReport
from dialer.model import TEMPLATES, CampaignKind, CampaignRules
from dialer.repository import DialerStore
from hotline.settings import load_settings
from hotline.store.db import Database
from tests.cli_support import hermetic_store_url, run_hotline
from tests.dialer_support import NOW, contract_accounts, short_scenario

LIST = (
    "phone,amount,account,email,email_given_by_customer\n"
    "+79131234561,100,1001,a@example.ru,да\n"  # the contract's number, address given
    "+79131234562,100,1001,b@example.ru,\n"  # a number 1001's contract does not have
    "+79131234563,100,,,\n"  # no account
    "+79131234564,100,9999,,\n"  # an account billing does not know
    "+79131234565,100,1002,c@example.ru,нет\n"  # the contract's number, address not given
)


def test_the_rule_is_on_by_default_for_debt_only() -> None:
    rules = CampaignRules()
    assert rules.numbers_from_contract(CampaignKind.DEBT) is True
    assert rules.numbers_from_contract(CampaignKind.OUTAGE) is False
    assert (
        CampaignRules(contract_numbers_only=False).numbers_from_contract(CampaignKind.DEBT)
        is False
    )
    assert CampaignRules(contract_numbers_only=True).numbers_from_contract(CampaignKind.TARIFF)


async def _checked(db: Database, tmp_path: Path, rules: CampaignRules) -> ImportReport:
    await db.upgrade()
    store = DialerStore(db)
    await contract_accounts(db, {"1001": ("79131234561",), "1002": ("79131234565", "79131234566")})
    version = await store.add_scenario("debt", short_scenario(), "anna", NOW)
    await store.create_campaign("dec", version.id, rules, "anna", NOW)
    path = tmp_path / "list.csv"
    path.write_text(LIST, encoding="utf-8")
    return await operations.check_contacts(db, load_settings(environ={}), "dec", path)


async def test_a_debt_campaign_drops_numbers_not_in_the_contract(
    db: Database, tmp_path: Path
) -> None:
    report = await _checked(db, tmp_path, CampaignRules())
    assert report.ok
    assert [c.phone for c in report.contacts] == ["+79131234561", "+79131234565"]
    assert [str(p) for p in report.dropped] == [
        "row 3, phone: numbers from the contract only: not a registered phone of account 1001",
        "row 4, phone: numbers from the contract only: no account on the row",
        "row 5, phone: numbers from the contract only: account 9999 not found",
    ]
    assert report.summary()["dropped"] == [str(p) for p in report.dropped]
    # E-mail: only the address marked as given by the customer is kept.
    assert [c.email for c in report.contacts] == ["a@example.ru", None]
    assert [str(p) for p in report.emails_unused] == [
        "row 6, email: not marked email_given_by_customer: unused"
    ]


async def test_the_rule_switched_off_keeps_every_number(db: Database, tmp_path: Path) -> None:
    report = await _checked(db, tmp_path, CampaignRules(contract_numbers_only=False))
    assert len(report.contacts) == 5 and report.dropped == []
    # The e-mail rule has no switch: the seed allows only addresses given by the customer.
    assert [c.email for c in report.contacts] == ["a@example.ru", None, None, None, None]


def test_email_channel_needs_an_address_given_by_the_customer(tmp_path: Path) -> None:
    from dialer.contacts import read_contacts

    path = tmp_path / "mail.csv"
    path.write_text(
        "phone,amount,email,channel,email_given_by_customer\n"
        "+79131234561,1,a@example.ru,email,yes\n"
        "+79131234562,1,b@example.ru,email,\n"
        "+79131234563,1,c@example.ru,email,maybe\n",
        encoding="utf-8",
    )
    variables = TEMPLATES[CampaignKind.DEBT].variables()
    report = read_contacts(
        path, {"amount": variables["amount"]}, region="RU", do_not_call=frozenset()
    )
    assert [str(p) for p in report.errors] == [
        "row 4, email_given_by_customer: expected yes or no (да или нет)"
    ]
    path.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[:3]) + "\n")
    report = read_contacts(
        path, {"amount": variables["amount"]}, region="RU", do_not_call=frozenset()
    )
    assert [(c.phone, c.channel, c.email) for c in report.contacts] == [
        ("+79131234561", "email", "a@example.ru")
    ]
    assert [str(p) for p in report.dropped] == [
        "row 3, channel: e-mail chosen, no address given by them"
    ]


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def test_the_import_command_lists_dropped_rows(url: str, tmp_path: Path) -> None:
    prompts = Path(__file__).resolve().parents[2] / "prompts"

    def hotline(*args: str) -> tuple[int, str, str]:
        return run_hotline(url, *args, settings=(f"paths.prompts_dir={prompts}",))

    assert hotline("scenario", "create", "debt", "--kind", "debt", "--by", "anna")[0] == 0
    assert hotline("campaign", "create", "dec", "--scenario", "debt", "--by", "anna")[0] == 0
    path = tmp_path / "list.csv"
    path.write_text(
        "phone,amount,due_date,email\n+79131234561,100,2026-12-10,a@example.ru\n",
        encoding="utf-8",
    )
    code, out, err = hotline("campaign", "import", "dec", str(path))
    assert code == 0, err
    assert "dropped: row 2, phone: numbers from the contract only: no account on the row" in out
    assert "0 contact(s) imported of 1 row(s)" in out
