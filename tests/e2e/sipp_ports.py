"""SIPp's own ports for a test's caller, inside its worker's port stripe.

Without ``-p`` SIPp binds the first free port from 5060 up, and without ``-mp`` its media from
6000 up: ports other workers' sandboxes, Kamailio proxies (SIP port + 4) and dead nodes (+ 5)
are about to bind.  A clean-clone run lost a Kamailio test and a caller that way.  Worker K's
ports are the configured ones plus 200 x K (tests/xdist_support.py): SIP + 120 + slot (SIP) and
SIP + 130 + 8 x slot (media, RTP and RTCP) are free in every stripe (AMI is SIP - 22, FastAGI
SIP - 487, the simulated trunk SIP + 10; the next workers' AMI SIP + 178, FastAGI SIP + 113).
The media ports follow the SIP port, so they stay valid for any configured base (a formula
from 31000 up went past 65535 for SIP ports above 13,000)."""

from __future__ import annotations

from typing import Final

from hotline.settings import Settings

SIP_OFFSET: Final = 120
MEDIA_OFFSET: Final = 130
SLOTS: Final = 4


def own_ports(settings: Settings, slot: int = 0) -> list[str]:
    """``-p`` and ``-mp`` for caller ``slot`` (0-3) of this worker."""
    assert 0 <= slot < SLOTS
    sip_port = settings.sandbox.sip_port
    media = sip_port + MEDIA_OFFSET + slot * 8
    return ["-p", str(sip_port + SIP_OFFSET + slot), "-mp", str(media)]
