"""Webhook POSTs (issue 22 item 4) over httpx (async), with bounded timeouts; the bodies
are never logged (personal data)."""

from __future__ import annotations

from typing import Final

import httpx2 as httpx

from hotline.core.logs import mask_numbers

# The receiver's answer kept in an error (enough to see what it said, bounded).
ANSWER_MAX: Final = 200


class WebhookPostFailed(Exception):
    """The receiver did not take the POST (unreachable, timed out, or answered non-2xx)."""


class WebhookPoster:
    """One connection pool for every endpoint; ``close`` when done."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        # No redirects (a receiver must be configured by its real URL), no proxies from the
        # environment (personal data goes straight to the configured receiver).
        self._client = httpx.AsyncClient(
            follow_redirects=False, trust_env=False, transport=transport
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:  # noqa: ASYNC109
        """The receiver's status code when 2xx; else WebhookPostFailed."""
        try:
            answer = await self._client.post(
                url, content=body, headers=headers, timeout=httpx.Timeout(timeout)
            )
        except httpx.HTTPError as exc:
            raise WebhookPostFailed(f"{type(exc).__name__}: {exc}"[:ANSWER_MAX]) from exc
        if not 200 <= answer.status_code < 300:
            # A receiver may echo the body: numbers in its answer are masked (logged, stored).
            text = mask_numbers(answer.text[:ANSWER_MAX].replace("\n", " "))
            raise WebhookPostFailed(f"HTTP {answer.status_code}: {text}")
        return answer.status_code

    async def close(self) -> None:
        await self._client.aclose()
