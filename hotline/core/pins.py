"""Account PINs from billing: stored only as argon2id hashes, never in clear.

A PIN has few digits, so its hash alone would not hold out against an offline search for
long; the hash keeps PINs out of backups, dumps and logs, and argon2id's salt and cost make
each guess expensive.  Verification runs in a worker thread (tens of milliseconds).
"""

from __future__ import annotations

import asyncio
import re
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PIN_PATTERN: Final = re.compile(r"\d{4,12}")
# OWASP's argon2id minimum (19 MiB, 2 passes): an import of many PINs stays bearable.
_HASHER: Final = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def valid_pin(pin: str) -> bool:
    return PIN_PATTERN.fullmatch(pin) is not None


def hash_pin(pin: str) -> str:
    if not valid_pin(pin):
        raise ValueError("a PIN is 4 to 12 digits")
    return _HASHER.hash(pin)


def pin_matches(pin_hash: str, typed: str) -> bool:
    try:
        return _HASHER.verify(pin_hash, typed)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def pin_matches_async(pin_hash: str, typed: str) -> bool:
    return await asyncio.to_thread(pin_matches, pin_hash, typed)
