"""Webhooks (issue 22 item 4): the signature a receiver checks (and the README's recipe), the
back-off schedule, the committed JSON Schema, and the settings' rules (http(s) only, the
secret only from the environment)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest
from pydantic import ValidationError

from hotline.credentials import WebhookSecretMissing, resolve_webhook_secrets
from hotline.messaging.webhooks import endpoint_kinds, retry_delay
from hotline.protocol import webhooks as wh
from hotline.settings import Settings, WebhookEndpoint, WebhookSettings

ROOT: Final = Path(__file__).resolve().parents[2]
SCHEMA: Final = ROOT / "docs" / "webhooks.schema.json"
SECRET: Final = b"s3cret-s3cret-s3cret"
AT: Final = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def reading() -> wh.ReadingStored:
    data = wh.Reading(
        reading_id=7,
        call_id=None,
        account="100000000001",
        meter_id="M1",
        zone=1,
        period="2026-11",
        value=12400,
        previous=12345,
        consumption=55,
        flags=[],
        needs_review=False,
        taken_at=AT,
        supersedes=None,
    )
    return wh.ReadingStored(id="e" * 32, at=AT, data=data)


def test_the_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    body = wh.encode(reading()).encode()
    sent = wh.headers(SECRET, 1_780_000_000, body, "e" * 32, "reading.stored")
    expected = hmac.new(SECRET, b"1780000000." + body, hashlib.sha256).hexdigest()
    assert sent[wh.HEADER_SIGNATURE] == "v1=" + expected
    assert sent[wh.HEADER_TIMESTAMP] == "1780000000"
    assert wh.verify(SECRET, "1780000000", body, sent[wh.HEADER_SIGNATURE])
    assert not wh.verify(SECRET, "1780000001", body, sent[wh.HEADER_SIGNATURE])
    assert not wh.verify(SECRET, "1780000000", body + b" ", sent[wh.HEADER_SIGNATURE])
    assert not wh.verify(b"other-secret-0000", "1780000000", body, sent[wh.HEADER_SIGNATURE])
    assert not wh.verify(SECRET, "not-a-number", body, sent[wh.HEADER_SIGNATURE])


def test_the_readme_recipe_accepts_a_real_signature() -> None:
    """The receiver's few lines of Python in the README (and the protocol module) work."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(import hashlib, hmac, time\n.*?)```", readme, re.S)
    assert match is not None, "the README's webhook verification recipe is missing"
    namespace: dict[str, object] = {}
    exec(match.group(1), namespace)  # our own README's code
    verify = namespace["verify"]
    body = wh.encode(reading()).encode()
    now = int(datetime.now(UTC).timestamp())
    sent = wh.headers(SECRET, now, body, "e" * 32, "reading.stored")
    assert verify(SECRET, sent, body)  # type: ignore[operator]
    assert not verify(SECRET, sent, body.replace(b"12400", b"12401"))  # type: ignore[operator]
    stale = wh.headers(SECRET, now - 3600, body, "e" * 32, "reading.stored")
    assert not verify(SECRET, stale, body)  # type: ignore[operator]


def test_payloads_round_trip() -> None:
    event = reading()
    assert wh.decode(wh.encode(event)) == event
    assert json.loads(wh.encode(event))["kind"] == "reading.stored"


def test_the_committed_schema_matches_the_models() -> None:
    """Regenerate with ``python -m hotline.protocol.webhooks > docs/webhooks.schema.json``."""
    assert SCHEMA.read_text(encoding="utf-8") == wh.json_schema_text()
    kinds = {
        variant["properties"]["kind"]["const"]
        for variant in json.loads(wh.json_schema_text())["$defs"].values()
        if "kind" in variant.get("properties", {})
    }
    assert kinds == {kind.value for kind in wh.WebhookKind}


def test_back_off_doubles_to_the_cap_with_jitter() -> None:
    config = WebhookSettings(retry_min_delay=5, retry_max_delay=60, jitter=0.2)
    assert [retry_delay(config, n, lambda: 0.0) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    assert retry_delay(config, 2, lambda: 1.0) == pytest.approx(12.0)
    assert retry_delay(config, 9, lambda: 0.5) == pytest.approx(66.0)


def test_only_http_urls_and_no_secret_in_the_file() -> None:
    good = {"name": "billing", "url": "https://billing.example/hook", "secret_env": "BILLING_KEY"}
    assert WebhookEndpoint.model_validate(good).url == "https://billing.example/hook"
    for url in ("file:///etc/passwd", "ftp://x/y", "http://", "gopher://x", "http://a b/"):
        with pytest.raises(ValidationError):
            WebhookEndpoint.model_validate({**good, "url": url})
    with pytest.raises(ValidationError, match="secret"):
        WebhookEndpoint.model_validate({**good, "secret": "in-the-file"})
    with pytest.raises(ValidationError, match="HOTLINE_"):  # those are settings
        WebhookEndpoint.model_validate({**good, "secret_env": "HOTLINE_BILLING_KEY"})
    with pytest.raises(ValidationError):
        WebhookSettings.model_validate({"endpoints": [good, good]})  # one name twice


def test_secrets_come_from_the_environment_only() -> None:
    endpoint = {"name": "billing", "url": "http://127.0.0.1:1/", "secret_env": "BILLING_KEY"}
    settings = Settings(webhooks=WebhookSettings.model_validate({"endpoints": [endpoint]}))
    assert resolve_webhook_secrets(settings, {"BILLING_KEY": "x" * 16}) == {"billing": b"x" * 16}
    with pytest.raises(WebhookSecretMissing, match="BILLING_KEY"):
        resolve_webhook_secrets(settings, {})
    with pytest.raises(WebhookSecretMissing):
        resolve_webhook_secrets(settings, {"BILLING_KEY": "short"})


def test_unknown_kinds_are_named() -> None:
    endpoint = WebhookEndpoint(
        name="crm", url="http://127.0.0.1:1/", secret_env="K", kinds=("reading.stored", "x.y")
    )
    with pytest.raises(ValueError, match=r"unknown kind 'x\.y'"):
        endpoint_kinds(endpoint)
