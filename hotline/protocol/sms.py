"""SMS as Kannel carries it, pure (no I/O): how many parts a text takes, the ``sendsms``
query, and the delivery reports Kannel calls back with (R-091, R-092).

A text that fits GSM 03.38 goes as GSM-7: 160 septets alone, 153 per part of a concatenated
message (the concatenation header takes 7); any other character (Cyrillic) makes the whole
text UCS-2: 70 characters alone, 67 per part.  Characters of GSM-7's extension table
(``{}[]~\\|^€``) take two septets; characters outside the Basic Multilingual Plane take two
UCS-2 units.
"""

from __future__ import annotations

import enum
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from hotline.protocol.lines import line_value

GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION: Final = frozenset("\f^{}\\[~]|€")
GSM7_SINGLE: Final = 160
GSM7_PART: Final = 153
UCS2_SINGLE: Final = 70
UCS2_PART: Final = 67

# Kannel's sendsms parameters.
CODING_GSM7: Final = "0"
CODING_UCS2: Final = "2"
CHARSET: Final = "utf-8"
# dlr-mask: every report Kannel can give (delivered, undelivered, queued on the SMSC,
# accepted by the SMSC, rejected by the SMSC).
DLR_MASK_ALL: Final = 31
# The parameters the engine's delivery-report listener reads from Kannel's call-back.
DLR_PATH: Final = "/dlr"
DLR_ID: Final = "id"
DLR_TOKEN: Final = "token"
DLR_TYPE: Final = "type"
DLR_REPLY: Final = "reply"
# Kannel's escapes in dlr-url: %d the report type, %A the SMSC's answer.
_DLR_ESCAPES: Final = f"{DLR_TYPE}=%d&{DLR_REPLY}=%A"


class Encoding(enum.StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


class DlrType(enum.IntEnum):
    """Kannel's delivery report types (the ``%d`` of a dlr-url)."""

    DELIVERED = 1
    UNDELIVERED = 2
    QUEUED_ON_SMSC = 4
    SMSC_ACCEPTED = 8
    SMSC_REJECTED = 16

    @property
    def final(self) -> bool:
        return self in (DlrType.DELIVERED, DlrType.UNDELIVERED, DlrType.SMSC_REJECTED)

    @property
    def failed(self) -> bool:
        return self in (DlrType.UNDELIVERED, DlrType.SMSC_REJECTED)


class SmsTextError(ValueError):
    """A text that cannot be sent as one SMS of the allowed size; the message says why."""


@dataclass(frozen=True)
class SmsLength:
    encoding: Encoding
    # Characters as a person counts them.
    chars: int
    # Septets (GSM-7) or UTF-16 units (UCS-2).
    units: int
    parts: int

    def describe(self) -> str:
        kind = "GSM-7" if self.encoding is Encoding.GSM7 else "UCS-2 (Cyrillic)"
        return f"{self.chars} characters, {self.parts} part(s) of {kind}"


def encoding_of(text: str) -> Encoding:
    basic, extension = GSM7_BASIC, GSM7_EXTENSION
    if all(ch in basic or ch in extension for ch in text):
        return Encoding.GSM7
    return Encoding.UCS2


def measure(text: str) -> SmsLength:
    """How ``text`` is sent: its encoding, length in units and number of parts."""
    encoding = encoding_of(text)
    if encoding is Encoding.GSM7:
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, part = GSM7_SINGLE, GSM7_PART
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, part = UCS2_SINGLE, UCS2_PART
    parts = 1 if units <= single else -(-units // part)
    return SmsLength(encoding=encoding, chars=len(text), units=units, parts=parts)


def check_text(text: str, *, max_chars: int, max_parts: int) -> SmsLength:
    """``text``'s length if it may be sent, else SmsTextError naming its length."""
    if not text.strip():
        raise SmsTextError("the SMS text is empty")
    line_value("SMS text", text)
    length = measure(text)
    if length.chars > max_chars:
        raise SmsTextError(
            f"the SMS text is too long: {length.describe()}; at most {max_chars} characters "
            "(sms.max_chars, R-091)"
        )
    if length.parts > max_parts:
        raise SmsTextError(
            f"the SMS text is too long: {length.describe()}; at most {max_parts} part(s) "
            "(sms.max_parts, R-091)"
        )
    return length


def dlr_url(host: str, port: int, message_id: int, token: str) -> str:
    """The URL Kannel calls back with a delivery report of message ``message_id``; the
    token (random, stored with the message) keeps anyone else from reporting on it."""
    query = urllib.parse.urlencode({DLR_ID: str(message_id), DLR_TOKEN: token})
    return f"http://{host}:{port}{DLR_PATH}?{query}&{_DLR_ESCAPES}"


def sendsms_query(
    *,
    user: str,
    password: str,
    sender: str,
    to: str,
    text: str,
    callback_url: str,
) -> str:
    """The query string of one sendsms request; every value is checked for CR, LF and
    NUL before it is encoded."""
    length = measure(text)
    params = {
        "username": user,
        "password": password,
        "from": sender,
        "to": to,
        "text": text,
        "charset": CHARSET,
        "coding": CODING_UCS2 if length.encoding is Encoding.UCS2 else CODING_GSM7,
        "dlr-mask": str(DLR_MASK_ALL),
        "dlr-url": callback_url,
    }
    checked = {name: line_value(f"sendsms {name}", value) for name, value in params.items()}
    return urllib.parse.urlencode(checked, quote_via=urllib.parse.quote)


@dataclass(frozen=True)
class DeliveryReport:
    message_id: int
    token: str
    type: DlrType
    reply: str


def parse_dlr(query: Mapping[str, str]) -> DeliveryReport:
    """A delivery report from the call-back's query; ValueError if it is not one."""
    try:
        message_id = int(query[DLR_ID])
        dlr_type = DlrType(int(query[DLR_TYPE]))
        token = query[DLR_TOKEN]
    except (KeyError, ValueError) as exc:
        raise ValueError(f"not a delivery report: {exc}") from exc
    reply = query.get(DLR_REPLY, "")[:500]
    return DeliveryReport(message_id=message_id, token=token, type=dlr_type, reply=reply)
