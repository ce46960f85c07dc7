"""Webhooks to billing and CRM (issue 22 item 4; R-148: "может использоваться
автоматизированная система управления взаимоотношениями с клиентами (CRM)" [002 L354] — the
engine integrates with the company's billing and CRM instead of duplicating them).

Endpoints come from the settings file (``[[webhooks.endpoints]]``); each one's HMAC secret
only from the environment variable it names (never from the file)."""

from __future__ import annotations

import re
from typing import Final

from pydantic import BaseModel, Field, field_validator, model_validator

from hotline.settings.base import SECTION_CONFIG

_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_ENV: Final = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
SETTINGS_PREFIX: Final = "HOTLINE_"
_URL: Final = re.compile(r"^https?://[^\s/?#@]+(:\d{1,5})?(/[^\s]*)?$")


class WebhookEndpoint(BaseModel):
    model_config = SECTION_CONFIG

    # Shown in the console and the CLI; names the deliveries in the store.
    name: str
    # http:// or https:// only.
    url: str
    # The kinds it wants (WebhookKind in hotline/protocol/webhooks.py, checked when the
    # engine starts: settings sit below the wire formats); empty: every kind.
    kinds: tuple[str, ...] = ()
    # The environment variable holding the HMAC secret (at least 16 characters).
    secret_env: str
    # One POST: connect, send, read the answer (seconds).
    timeout: float = Field(default=10.0, gt=0, le=120)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("a webhook endpoint name is 1-64 of a-z, 0-9, '_' and '-'")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not _URL.match(value):
            raise ValueError("a webhook URL is http:// or https:// with a host, no spaces")
        return value

    @field_validator("secret_env")
    @classmethod
    def _env(cls, value: str) -> str:
        if not _ENV.match(value):
            raise ValueError("secret_env names an environment variable (A-Z, 0-9, '_')")
        if value.startswith(SETTINGS_PREFIX):
            # HOTLINE_... variables are settings: an unknown one is refused as a typo.
            raise ValueError(f"secret_env must not start with {SETTINGS_PREFIX}")
        return value


class WebhookSettings(BaseModel):
    model_config = SECTION_CONFIG

    endpoints: tuple[WebhookEndpoint, ...] = ()
    # Back-off after a failed POST: ``retry_min_delay`` seconds doubling up to
    # ``retry_max_delay``, each delay stretched by up to ``jitter`` (a fraction) at random.
    retry_min_delay: float = Field(default=5.0, gt=0)
    retry_max_delay: float = Field(default=600.0, gt=0)
    jitter: float = Field(default=0.2, ge=0, le=1)
    # Then a dead letter: after this many POSTs, or this many hours after the event.
    max_attempts: int = Field(default=20, gt=0)
    max_age_hours: float = Field(default=72.0, gt=0)
    # How often the worker looks for new events (it is woken at once by this worker's own).
    poll_interval: float = Field(default=1.0, gt=0)
    # Deliveries read per endpoint at a time.
    batch: int = Field(default=100, gt=0)
    # The daily housekeeping deletes events older than this whose deliveries all succeeded
    # (or that no endpoint wanted); dead letters and pending events are kept.
    keep_days: int = Field(default=30, gt=0)

    @model_validator(mode="after")
    def _check(self) -> WebhookSettings:
        names = [e.name for e in self.endpoints]
        if len(set(names)) != len(names):
            raise ValueError("webhooks: endpoint names must differ")
        if self.retry_max_delay < self.retry_min_delay:
            raise ValueError("webhooks: retry_max_delay is shorter than retry_min_delay")
        return self
