"""The text of an uploaded CSV file: UTF-8 (with or without a byte-order mark), or cp1251,
which Russian Excel writes for "CSV (разделители - запятые)".  A file that is neither, or that
mixes UTF-8 Cyrillic with another encoding, is refused with the line and the byte, so no
garbled name or text is ever stored or spoken."""

from __future__ import annotations

import re
from typing import Final, Literal

Encoding = Literal["auto", "utf-8", "cp1251"]

_UTF8_CYRILLIC: Final = re.compile(rb"[\xd0][\x90-\xbf]|[\xd1][\x80-\x8f]")


class TableDecodeError(ValueError):
    """The file's bytes are not text in an accepted encoding; ``line`` is 1-based."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def decode_table(raw: bytes, encoding: Encoding = "auto") -> str:
    """``raw`` as text: UTF-8 first, then (``auto``) cp1251 unless the file holds UTF-8
    Cyrillic, which means it mixes the two."""
    if encoding in ("auto", "utf-8"):
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if encoding == "utf-8" or _UTF8_CYRILLIC.search(raw):
                mixed = (
                    ": the file mixes UTF-8 with another encoding" if encoding == "auto" else ""
                )
                raise TableDecodeError(
                    _line_of(raw, exc.start),
                    f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}){mixed}",
                ) from None
    try:
        return raw.decode("cp1251")
    except UnicodeDecodeError as exc:
        raise TableDecodeError(
            _line_of(raw, exc.start),
            f"neither UTF-8 nor cp1251 (byte 0x{raw[exc.start]:02x})",
        ) from None


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1
