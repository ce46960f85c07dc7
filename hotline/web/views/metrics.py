"""The console's ``/metrics`` for Prometheus (issue 20): aggregate figures only, no personal
data, so no log-in; readable from ``metrics.allowed_clients`` only, and never through the TLS
proxy (a forwarded request would carry the proxy's loopback address)."""

from __future__ import annotations

import ipaddress
from typing import Final

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hotline.core.metrics import REGISTRY

router = APIRouter()

FORWARDED_HEADERS: Final = ("forwarded", "x-forwarded-for", "x-real-ip")


def may_scrape(request: Request) -> bool:
    if any(name in request.headers for name in FORWARDED_HEADERS):
        return False
    host = request.client.host if request.client is not None else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    allowed = request.app.state.settings.metrics.allowed_clients
    return any(address in ipaddress.ip_network(net, strict=False) for net in allowed)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    if not may_scrape(request):
        return Response("not an allowed metrics client\n", status_code=403)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
