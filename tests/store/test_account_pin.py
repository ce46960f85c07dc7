"""Account PINs (money by phone, issue 14 M1): stored only as a salted argon2id hash, never in
clear, not on the record read back, not in the log; a re-import without a PIN clears it."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.accounts.importer import parse_accounts
from hotline.core.pins import hash_pin, pin_matches
from hotline.settings import load_settings
from hotline.store.accounts import AccountRecord, AccountStore, MeterRecord
from hotline.store.db import Database
from hotline.store.models import Account

NUMBER = "100000000001"
PIN = "482193"


def record(number: str = NUMBER, pin: str | None = PIN) -> AccountRecord:
    return AccountRecord(
        number, "", "", "Asia/Krasnoyarsk", Decimal(0), None, None, None, None,
        ("79131234567",), (MeterRecord("M1", 1, 6, (1,), None),), pin=pin,
    )  # fmt: skip


async def test_the_pin_is_stored_as_a_salted_hash_only(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await db.upgrade()
    store = AccountStore(db)
    await store.upsert([record(), record("100000000002")])
    async with db.session() as session:
        hashes = list(await session.scalars(select(Account.pin_hash).order_by(Account.number)))
    assert all(h is not None and h.startswith("$argon2id$") for h in hashes)
    assert all(PIN not in (h or "") for h in hashes)
    assert hashes[0] != hashes[1]  # salted: the same PIN, two different hashes
    assert PIN not in caplog.text
    read = await store.get(NUMBER)
    assert read is not None and read.pin is None
    assert PIN not in repr(record())
    assert await store.has_pin(NUMBER)
    assert await store.verify_pin(NUMBER, PIN)
    assert not await store.verify_pin(NUMBER, "482194")
    assert not await store.verify_pin("999999999999", PIN)


async def test_a_reimport_without_a_pin_clears_it(db: Database) -> None:
    await db.upgrade()
    store = AccountStore(db)
    await store.upsert([record()])
    await store.upsert([record(pin=None)])
    assert not await store.has_pin(NUMBER)
    assert not await store.verify_pin(NUMBER, PIN)


def test_pins_are_digits_and_a_bad_hash_never_matches() -> None:
    with pytest.raises(ValueError):
        hash_pin("12a4")
    with pytest.raises(ValueError):
        hash_pin("123")
    assert not pin_matches("not a hash", PIN)
    assert pin_matches(hash_pin(PIN), PIN)


def test_the_import_takes_an_optional_pin_column(tmp_path: Path) -> None:
    settings = load_settings(environ={})
    csv = tmp_path / "accounts.csv"
    csv.write_text(
        "account;meter;zones;reading_1;balance;pin\n"
        f"{NUMBER};M1;1;5;10,00;{PIN}\n"
        "100000000002;M1;1;5;0;\n"
        "100000000003;M1;1;5;0;98x7\n",
        encoding="utf-8",
    )
    result = parse_accounts(csv, settings.accounts, settings.readings)
    pins = {a.number: a.pin for a in result.accounts}
    assert pins == {NUMBER: PIN, "100000000002": None}
    assert [(e.row, e.column) for e in result.errors] == [(4, "pin")]
    assert "98x7" not in str(result.errors[0])  # errors are printed: never quote a PIN
