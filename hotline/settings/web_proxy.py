"""The console behind a reverse proxy (issue 24: nginx terminates TLS in front of it).

Part of the ``[web]`` section (``web.trusted_proxies``): X-Forwarded-For and
X-Forwarded-Proto are honoured only on connections from these addresses, so nobody else can
pick the client address the log-in lock-out and the audit log record.
"""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, Field, field_validator


class WebProxyFields(BaseModel):
    # Addresses or networks of the reverse proxy (e.g. ["127.0.0.1"] for an nginx on the same
    # server, as `hotline deploy render` sets up).  Empty (the default): forwarded headers
    # are ignored, and the client address is the connection's own.
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"not an IP address or network: {item!r} (e.g. 127.0.0.1 or 10.0.0.0/24)"
                ) from None
        return value
