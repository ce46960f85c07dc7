"""The webhook POST (issue 22 item 4): 2xx is taken, anything else is a failure whose text
(stored and logged) has its phone and account numbers masked; no redirects followed."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from hotline.transport.webhook_http import WebhookPoster, WebhookPostFailed


def poster(status: int, text: str = "", headers: dict[str, str] | None = None) -> WebhookPoster:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["X-Test"] == "1" and request.content == b"{}"
        return httpx.Response(status, text=text, headers=headers or {})

    return WebhookPoster(transport=httpx.MockTransport(answer))


async def test_2xx_is_taken() -> None:
    sent = poster(204)
    assert await sent.post("http://127.0.0.1:1/h", b"{}", {"X-Test": "1"}, 1.0) == 204
    await sent.close()


async def test_an_error_answer_is_a_failure_with_numbers_masked() -> None:
    sent = poster(500, "bad body: phone +79131234567 account 100000000001\nmore")
    with pytest.raises(WebhookPostFailed) as failed:
        await sent.post("http://127.0.0.1:1/h", b"{}", {"X-Test": "1"}, 1.0)
    message = str(failed.value)
    assert message.startswith("HTTP 500: bad body")
    assert "79131234567" not in message and "100000000001" not in message
    assert "\n" not in message
    await sent.close()


async def test_a_redirect_is_not_followed() -> None:
    sent = poster(302, headers={"Location": "http://elsewhere.example/"})
    with pytest.raises(WebhookPostFailed, match="HTTP 302"):
        await sent.post("http://127.0.0.1:1/h", b"{}", {"X-Test": "1"}, 1.0)
    await sent.close()


async def test_an_unreachable_receiver_is_a_failure() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    sent = WebhookPoster(transport=httpx.MockTransport(refuse))
    with pytest.raises(WebhookPostFailed, match="ConnectError"):
        await sent.post("http://127.0.0.1:1/h", b"{}", {}, 1.0)
    await sent.close()
