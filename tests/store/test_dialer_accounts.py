"""Contacts linked to accounts take the account's time zone and debt; on both back ends."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from dialer.accounts import StoredAccounts
from dialer.contacts import AccountInfo, account_numbers, read_contacts
from dialer.model import SayKind
from hotline.store.db import Database
from hotline.store.models import Account


async def test_lookup_and_import_fill_time_zone_and_debt(db: Database, tmp_path: Path) -> None:
    await db.upgrade()
    now = datetime.now(UTC)
    async with db.session() as session:
        session.add(
            Account(
                number="240000000001",
                timezone="Asia/Novosibirsk",
                balance_kopecks=123450,
                updated_at=now,
            )
        )
        session.add(
            Account(
                number="240000000002",
                timezone="Europe/Samara",
                balance_kopecks=-500,
                updated_at=now,
            )
        )
    found = await StoredAccounts(db).lookup(["240000000001", "240000000002", "999"])
    assert found == {
        "240000000001": AccountInfo(timezone="Asia/Novosibirsk", debt="1234.5"),
        "240000000002": AccountInfo(timezone="Europe/Samara", debt=None),  # overpaid
    }

    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "phone,account,amount\n"
        "+79131234567,240000000001,\n"  # amount and zone from the account
        "+79131234568,240000000002,10.00\n"  # zone from the account, amount typed
        "+79131234569,,5.00\n",  # no account: the campaign's zone applies later
        encoding="utf-8",
    )
    linked = account_numbers(contacts)
    assert linked == {"240000000001", "240000000002"}
    report = read_contacts(
        contacts,
        {"amount": SayKind.MONEY},
        region="RU",
        do_not_call=frozenset(),
        accounts=await StoredAccounts(db).lookup(linked),
    )
    assert report.ok, report.summary()
    by_phone = {c.phone: c for c in report.contacts}
    assert by_phone["+79131234567"].timezone == "Asia/Novosibirsk"
    assert by_phone["+79131234567"].variables["amount"] == "1234.50"
    assert by_phone["+79131234568"].timezone == "Europe/Samara"
    assert by_phone["+79131234568"].variables["amount"] == "10.00"
    assert by_phone["+79131234569"].timezone is None
