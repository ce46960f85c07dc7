"""Webhooks to billing and CRM (issue 22 item 4, R-148): the versioned JSON payloads, their
kinds, and the HMAC-SHA256 signature every POST carries.

Pure: no I/O.  The JSON Schema in ``docs/webhooks.schema.json`` is generated from these
models (``python -m hotline.protocol.webhooks``); a test fails when the two differ.

A receiver checks a POST like this (``secret`` is the endpoint's shared secret)::

    import hashlib, hmac, time
    def verify(secret: bytes, headers, body: bytes, tolerance: int = 300) -> bool:
        stamp = headers["X-Hotline-Timestamp"]
        expected = hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        given = headers["X-Hotline-Signature"].removeprefix("v1=")
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= tolerance
        return fresh and hmac.compare_digest(expected, given)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

# Bumped on an incompatible change of any payload; receivers dispatch on it.
SCHEMA_VERSION: Final = 1

# The HTTP headers of a delivery.
HEADER_TIMESTAMP: Final = "X-Hotline-Timestamp"
HEADER_SIGNATURE: Final = "X-Hotline-Signature"
HEADER_EVENT_ID: Final = "X-Hotline-Event-Id"
HEADER_EVENT_KIND: Final = "X-Hotline-Event-Kind"
SIGNATURE_PREFIX: Final = "v1="
CONTENT_TYPE: Final = "application/json"


class WebhookKind(StrEnum):
    """What an event reports."""

    CALL_INBOUND_ENDED = "call.inbound.ended"
    CALL_OUTBOUND_ENDED = "call.outbound.ended"
    APPEAL_REGISTERED = "appeal.registered"
    APPEAL_ANSWERED = "appeal.answered"
    APPEAL_CLOSED = "appeal.closed"
    READING_STORED = "reading.stored"
    PING = "ping"  # ``hotline webhooks test``: sent to one endpoint, never stored


_FROZEN = ConfigDict(extra="forbid", frozen=True)


class InboundCall(BaseModel):
    """An inbound call that ended: who called, the menu path, how it ended and the queue."""

    model_config = _FROZEN

    call_id: str
    uniqueid: str
    phone: str | None = Field(description="The caller's number (personal data)")
    simulated: bool
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    outcome: str | None = Field(description="completed | operator | fallback | abandoned")
    hangup_cause: str | None
    operator_reason: str | None
    ivr_path: list[str] = Field(description="The menu nodes walked through, in order")
    accounts: list[str] = Field(description="Accounts the caller was identified with")
    queue: str | None = Field(description="The operator queue the call joined, if any")
    queue_result: str | None = Field(
        description="The last queue event: join | connect | complete | abandon | leave | ..."
    )
    operator: str | None = Field(description="The queue member who answered, if any")


class OutboundAttempt(BaseModel):
    """A campaign's dial attempt that ended."""

    model_config = _FROZEN

    attempt_id: str
    campaign_id: int
    target_id: int
    number: int = Field(description="1 for the first attempt at this contact, 2 for a retry...")
    phone: str = Field(description="The number dialled (personal data)")
    account: str | None
    variables: dict[str, str] = Field(description="The contact's values (amounts and so on)")
    status: str
    result: str | None = Field(description="positive | negative, when known")
    reason: str
    hangup_cause: str | None
    created_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    final: bool = Field(description="No retry follows")


class Appeal(BaseModel):
    """An appeal (R-115...): registered, answered or closed."""

    model_config = _FROZEN

    number: str
    status: str
    channel: str
    category: str
    topic: str
    subject: str
    account: str | None
    phone: str | None = Field(description="Personal data")
    customer_name: str | None = Field(description="Personal data")
    unit: str
    registered_at: datetime
    deadline: str = Field(description="ISO date")
    answered_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None


class Reading(BaseModel):
    """A meter reading stored (by phone, by an operator, or imported)."""

    model_config = _FROZEN

    reading_id: int
    call_id: str | None
    account: str
    meter_id: str
    zone: int
    period: str = Field(description="YYYY-MM")
    value: int
    previous: int
    consumption: int
    flags: list[str]
    needs_review: bool
    taken_at: datetime
    supersedes: int | None = Field(description="The reading this one replaces, if any")


class PingData(BaseModel):
    model_config = _FROZEN

    message: str


class _Envelope(BaseModel):
    model_config = _FROZEN

    version: Literal[1] = SCHEMA_VERSION
    id: str = Field(description="Unique per event; a receiver drops a repeated id")
    at: datetime = Field(description="When it happened (UTC)")


class InboundCallEnded(_Envelope):
    kind: Literal[WebhookKind.CALL_INBOUND_ENDED] = WebhookKind.CALL_INBOUND_ENDED
    data: InboundCall


class OutboundCallEnded(_Envelope):
    kind: Literal[WebhookKind.CALL_OUTBOUND_ENDED] = WebhookKind.CALL_OUTBOUND_ENDED
    data: OutboundAttempt


class AppealRegistered(_Envelope):
    kind: Literal[WebhookKind.APPEAL_REGISTERED] = WebhookKind.APPEAL_REGISTERED
    data: Appeal


class AppealAnswered(_Envelope):
    kind: Literal[WebhookKind.APPEAL_ANSWERED] = WebhookKind.APPEAL_ANSWERED
    data: Appeal


class AppealClosed(_Envelope):
    kind: Literal[WebhookKind.APPEAL_CLOSED] = WebhookKind.APPEAL_CLOSED
    data: Appeal


class ReadingStored(_Envelope):
    kind: Literal[WebhookKind.READING_STORED] = WebhookKind.READING_STORED
    data: Reading


class Ping(_Envelope):
    kind: Literal[WebhookKind.PING] = WebhookKind.PING
    data: PingData


WebhookPayload = Annotated[
    InboundCallEnded
    | OutboundCallEnded
    | AppealRegistered
    | AppealAnswered
    | AppealClosed
    | ReadingStored
    | Ping,
    Field(discriminator="kind"),
]
PAYLOAD: Final[TypeAdapter[WebhookPayload]] = TypeAdapter(WebhookPayload)


def encode(payload: WebhookPayload) -> str:
    """The body as stored and sent: compact JSON, keys in model order."""
    return payload.model_dump_json()


def decode(body: str | bytes) -> WebhookPayload:
    return PAYLOAD.validate_json(body)


def json_schema() -> dict[str, Any]:
    schema = PAYLOAD.json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"hotline webhook payload, version {SCHEMA_VERSION}",
        **schema,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over ``<timestamp>.<body>``, hex, with its version prefix."""
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + digest.hexdigest()


def verify(secret: bytes, timestamp: str, body: bytes, given: str) -> bool:
    """Does ``given`` sign ``body`` at ``timestamp`` with ``secret``?  (No freshness check.)"""
    if not timestamp.isdigit():
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), given)


def headers(
    secret: bytes, timestamp: int, body: bytes, event_id: str, kind: str
) -> dict[str, str]:
    return {
        "Content-Type": CONTENT_TYPE,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: signature(secret, timestamp, body),
        HEADER_EVENT_ID: event_id,
        HEADER_EVENT_KIND: kind,
    }


if __name__ == "__main__":  # pragma: no cover - regenerates docs/webhooks.schema.json
    print(json_schema_text(), end="")
