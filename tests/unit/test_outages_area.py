"""Current outages: an account's address against an outage's area, and what the caller hears
about the restoration time (R-097, R-032)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from hotline.contact_center.outages import (
    announcement_text,
    concerns,
    find_outage,
    normalise,
    parse_address,
    parse_place,
    restoration_phrase,
)
from hotline.store.outages import OutageRecord, Place

KRASNOYARSK = ZoneInfo("Asia/Krasnoyarsk")
RESTORE = datetime(2026, 12, 3, 7, 30, tzinfo=UTC)  # 14:30 in Krasnoyarsk


def outage(
    places: tuple[Place, ...] = (), accounts: tuple[str, ...] = (), oid: int = 1
) -> OutageRecord:
    return OutageRecord(
        id=oid,
        cause="Авария на подстанции",
        restore_at=RESTORE,
        places=places,
        accounts=accounts,
        opened_at=RESTORE,
        opened_by="anna",
    )


@pytest.mark.parametrize(
    ("address", "settlement", "street"),
    [
        ("г. Красноярск, ул. Ленина, д. 1, кв. 5", "красноярск", "ленина"),
        ("660000, Красноярский край, г. Красноярск, Ленина улица, 1", "красноярск", "ленина"),
        ("г. Кемерово, пр. Советский, д. 3", "кемерово", "советский"),
        ("Республика Тыва, пгт. Каа-Хем, ул. Заречная, 4", "каа-хем", "заречная"),
        ("посёлок Берёзовка, д. 7", "березовка", None),
        ("Кызыл, Кочетова, 10", "кызыл", "кочетова"),
    ],
)
def test_parse_address(address: str, settlement: str, street: str | None) -> None:
    assert parse_address(address) == Place(settlement, street)


def test_parse_address_without_settlement() -> None:
    assert parse_address("") is None
    assert parse_address("660000, Красноярский край") is None


def test_normalise() -> None:
    assert normalise("ПОСЁЛОК  Берёзовка") == "березовка"
    assert normalise("Ленина улица") == normalise("ул. Ленина") == "ленина"


def test_parse_place() -> None:
    assert parse_place("Красноярск, ул. Ленина") == Place("Красноярск", "ул. Ленина")
    assert parse_place(" Кызыл ") == Place("Кызыл", None)
    with pytest.raises(ValueError):
        parse_place(", Ленина")


def test_concerns_street_settlement_and_accounts() -> None:
    home = "г. Красноярск, ул. Ленина, д. 1, кв. 5"
    assert concerns(outage((Place("Красноярск", "улица Ленина"),)), "1", home)
    assert concerns(outage((Place("г Красноярск"),)), "1", home)
    assert not concerns(outage((Place("Красноярск", "ул. Мира"),)), "1", home)
    assert not concerns(outage((Place("Кызыл"),)), "1", home)
    # A street of another settlement with the same name is not this one.
    assert not concerns(outage((Place("Ачинск", "ул. Ленина"),)), "1", home)
    assert concerns(outage(accounts=("1",)), "1", "")
    assert not concerns(outage(accounts=("2",)), "1", home)
    # An address without a street is not in a street's outage.
    assert not concerns(outage((Place("Березовка", "Заречная"),)), "1", "пос. Березовка, д. 7")


def test_find_outage_newest_open() -> None:
    home = "Кызыл, ул. Кочетова, д. 10"
    older = outage((Place("Кызыл"),), oid=1)
    newer = outage((Place("Кызыл", "Кочетова"),), oid=2)
    closed = OutageRecord(**{**newer.__dict__, "id": 3, "closed_at": RESTORE})
    assert find_outage([older, newer, closed], "1", home) == newer
    assert find_outage([closed], "1", home) is None
    assert find_outage([older], "1", "г. Абакан, ул. Мира") is None


def test_restoration_time_in_the_callers_zone() -> None:
    phrase = restoration_phrase(RESTORE, KRASNOYARSK)
    assert phrase.text == "третьего декабря, четырнадцать часов тридцать минут"
    assert restoration_phrase(RESTORE, ZoneInfo("UTC")).text == (
        "третьего декабря, семь часов тридцать минут"
    )


def test_announcement_text() -> None:
    text = announcement_text(outage((Place("Кызыл"),)), KRASNOYARSK)
    assert text == (
        "По вашему адресу сейчас отключение электроэнергии. Авария на подстанции. "
        "Электроснабжение планируется восстановить третьего декабря, четырнадцать часов "
        "тридцать минут. Чтобы связаться с аварийным диспетчером, нажмите один. "
        "Чтобы перейти в меню, оставайтесь на линии."
    )
