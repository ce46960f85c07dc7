"""Current outages (R-097, R-032): which callers they concern and what those callers hear.

* :func:`parse_address` takes the settlement and the street out of an account's address as
  billing writes it («г. Красноярск, ул. Ленина, д. 1, кв. 5»); :func:`normalise` makes
  names comparable (case, «ё», type words such as «г.», «ул.», «улица», «проспект» and
  punctuation are ignored, so «ул. Ленина» and «Ленина улица» are the same street).
* :func:`concerns` says whether an outage's area (accounts, or settlements with or without
  streets) holds an account; :func:`find_outage` picks the newest open outage that does.
* :func:`restoration_phrase` is the restoration time said from readout fragments; the
  cause is the dispatcher's own text, synthesised like a typed emergency message.
* :func:`register` and :func:`close` write the audit log, so the CLI and the console record
  the same; :class:`OutageProvider` is the engine's per-call read (remembered two seconds).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from hotline.core.cache import LastGoodCache
from hotline.speech import russian
from hotline.speech.russian import Phrase
from hotline.store.accounts import AccountStore
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.outages import OutageRecord, OutageStore, Place

__all__ = [
    "CallerOutage",
    "OutageProvider",
    "announcement_text",
    "close",
    "concerns",
    "find_outage",
    "normalise",
    "outage_for_account",
    "outage_for_phone",
    "parse_address",
    "parse_place",
    "register",
    "restoration_phrase",
]

# Words naming the kind of a settlement or a street, dropped before comparing names.
SETTLEMENT_WORDS: Final = frozenset(
    [
        "г",
        "город",
        "пгт",
        "пос",
        "посёлок",
        "поселок",
        "п",
        "с",
        "село",
        "дер",
        "деревня",
        "ст",
        "станица",
        "х",
        "хутор",
        "рп",
        "снт",
    ]
)
STREET_WORDS: Final = frozenset(
    [
        "ул",
        "улица",
        "пр",
        "пр-т",
        "пр-кт",
        "просп",
        "проспект",
        "пер",
        "переулок",
        "пл",
        "площадь",
        "ш",
        "шоссе",
        "б-р",
        "бульвар",
        "наб",
        "набережная",
        "проезд",
        "туп",
        "тупик",
        "мкр",
        "микрорайон",
        "кв-л",
        "квартал",
    ]
)
# Parts of an address that are neither a settlement nor a street.
_REGION_WORDS: Final = frozenset(
    ["край", "обл", "область", "респ", "республика", "р-н", "район", "округ", "ао"]
)
_HOUSE_WORDS: Final = frozenset(["д", "дом", "кв", "квартира", "корп", "к", "стр", "строение"])
_WORD: Final = re.compile(r"[\w-]+")


def _words(name: str) -> list[str]:
    return _WORD.findall(name.lower().replace("ё", "е"))


def normalise(name: str, kind_words: frozenset[str] = SETTLEMENT_WORDS | STREET_WORDS) -> str:
    """«г. Красноярск» -> «красноярск», «Ленина улица» -> «ленина», «ПОСЁЛОК Берёзовка» ->
    «березовка»."""
    kind = {w.replace("ё", "е") for w in kind_words}
    return " ".join(w for w in _words(name) if w not in kind)


def _first_word(part: str) -> str:
    words = _words(part)
    return words[0] if words else ""


def parse_address(address: str) -> Place | None:
    """The settlement and street of an address (normalised); None when no settlement is found.

    The settlement is the first part with a settlement word, else the first part that is no
    postcode and no region; the street is the next part, unless it is a house or flat."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    settlement_at = next(
        (i for i, p in enumerate(parts) if _first_word(p) in SETTLEMENT_WORDS), None
    )
    if settlement_at is None:
        settlement_at = next(
            (
                i
                for i, p in enumerate(parts)
                if not p.replace(" ", "").isdigit() and not _REGION_WORDS & set(_words(p))
            ),
            None,
        )
    if settlement_at is None:
        return None
    settlement = normalise(parts[settlement_at], SETTLEMENT_WORDS)
    if not settlement:
        return None
    street = None
    if settlement_at + 1 < len(parts):
        candidate = parts[settlement_at + 1]
        if _first_word(candidate) not in _HOUSE_WORDS:
            street = normalise(candidate, STREET_WORDS) or None
    return Place(settlement, street)


def parse_place(text: str) -> Place:
    """A place as the dispatcher types it: «Красноярск» or «Красноярск, ул. Ленина»."""
    settlement, _, street = text.partition(",")
    if not settlement.strip():
        raise ValueError(f"a place needs its settlement: {text!r}")
    return Place(settlement.strip(), street.strip() or None)


def concerns(outage: OutageRecord, account: str, address: str) -> bool:
    """Whether the outage's area holds the account (by number, or by its address)."""
    if account in outage.accounts:
        return True
    if not outage.places:
        return False
    home = parse_address(address)
    if home is None:
        return False
    for place in outage.places:
        if normalise(place.settlement, SETTLEMENT_WORDS) != home.settlement:
            continue
        if place.street is None:
            return True
        if home.street is not None and normalise(place.street, STREET_WORDS) == home.street:
            return True
    return False


def find_outage(
    outages: Iterable[OutageRecord], account: str, address: str
) -> OutageRecord | None:
    """The newest open outage that concerns the account, if any."""
    found = [o for o in outages if o.open and concerns(o, account, address)]
    return max(found, key=lambda o: o.id) if found else None


def restoration_phrase(restore_at: datetime, zone: ZoneInfo) -> Phrase:
    """«двадцать третьего ноября, четырнадцать часов тридцать минут», in the caller's zone."""
    local = restore_at.astimezone(zone)
    return russian.join([russian.date(local.date()), russian.time_of_day(local.time())])


# What the caller hears, in order (the prompts are in the catalogue; kept here for the text).
INTRO_TEXT: Final = "По вашему адресу сейчас отключение электроэнергии."
RESTORE_TEXT: Final = "Электроснабжение планируется восстановить"
DISPATCHER_TEXT: Final = (
    "Чтобы связаться с аварийным диспетчером, нажмите один. "
    "Чтобы перейти в меню, оставайтесь на линии."
)


def announcement_text(outage: OutageRecord, zone: ZoneInfo) -> str:
    """The whole announcement as text (the console, ``outages list``, the tests)."""
    cause = outage.cause.rstrip(".")
    when = restoration_phrase(outage.restore_at, zone).text
    return f"{INTRO_TEXT} {cause}. {RESTORE_TEXT} {when}. {DISPATCHER_TEXT}"


async def register(
    db: Database,
    *,
    cause: str,
    restore_at: datetime,
    places: list[Place],
    accounts: list[str],
    by: Actor,
) -> OutageRecord:
    outage = await OutageStore(db).add(
        cause=cause, restore_at=restore_at, places=places, accounts=accounts, by=by.name
    )
    await AuditLog(db).write(
        by,
        "outage.add",
        target=str(outage.id),
        detail={
            "cause": outage.cause,
            "restore_at": outage.restore_at.isoformat(),
            "places": [p.label() for p in outage.places],
            "accounts": len(outage.accounts),
        },
    )
    return outage


async def close(db: Database, outage_id: int, by: Actor) -> OutageRecord | None:
    """Close the outage; audited only when it was open."""
    store = OutageStore(db)
    before = await store.get(outage_id)
    outage = await store.close(outage_id, by.name)
    if before is not None and before.open:
        await AuditLog(db).write(by, "outage.close", target=str(outage_id))
    return outage


@dataclass(frozen=True)
class CallerOutage:
    """An open outage at the address of a caller's account."""

    account: str
    outage: OutageRecord
    zone: ZoneInfo


async def outage_for_phone(
    outages: list[OutageRecord], accounts: AccountStore, phone: str | None
) -> CallerOutage | None:
    """The outage concerning an account registered for the caller ID (any of them), if any."""
    if not phone or not outages:
        return None
    for number in await accounts.numbers_for_phone(phone):
        found = await outage_for_account(outages, accounts, number)
        if found is not None:
            return found
    return None


async def outage_for_account(
    outages: list[OutageRecord], accounts: AccountStore, number: str
) -> CallerOutage | None:
    if not outages:
        return None
    account = await accounts.get(number)
    if account is None:
        return None
    outage = find_outage(outages, account.number, account.address)
    if outage is None:
        return None
    return CallerOutage(account.number, outage, ZoneInfo(account.timezone))


class OutageProvider:
    """The open outages, remembered for ``ttl`` seconds; the last known list when the store
    cannot be read (before any: none)."""

    def __init__(
        self, store: OutageStore, ttl: float = 2.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._cache: LastGoodCache[list[OutageRecord]] = LastGoodCache(
            store.list,
            ttl=ttl,
            on_failure=lambda last, _exc: last or [],
            errors=(SQLAlchemyError, OSError),
            clock=clock,
        )

    async def open_outages(self) -> list[OutageRecord]:
        return await self._cache.get()

    def invalidate(self) -> None:
        self._cache.invalidate()
