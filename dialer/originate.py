"""Originates for the dispatcher: each written before ``send`` returns, so no yield falls
between an attempt's mark as sent and its Originate (a worker stopped or killed there would
leave an attempt marked sent whose call never went out), its reply awaited in a task."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from dialer.attempts import AttemptTracker
from dialer.live import LiveAttempt, LiveCalls
from dialer.repository import AttemptRecord, CampaignRecord
from hotline.core.metrics import CALLS_CAMPAIGN, CALLS_STARTED, DIALER_ORIGINATES
from hotline.core.phones import mask_phone
from hotline.dialplan.names import CONTEXT_DIALER, ChannelVar
from hotline.settings import DialerSettings
from hotline.transport.ami import AmiActionFailed, AmiClient, AmiError, AmiNotSent

log = logging.getLogger(__name__)


class Originator:
    def __init__(
        self, settings: DialerSettings, ami: AmiClient, attempts: AttemptTracker, live: LiveCalls
    ) -> None:
        self._settings = settings
        self._ami = ami
        self._attempts = attempts
        self._live = live

    def send(
        self, campaign: CampaignRecord, attempt: AttemptRecord, tracked: LiveAttempt, dial: str
    ) -> asyncio.Task[None]:
        """Write the attempt's Originate before returning (AmiNotSent: AMI is down and
        nothing was written); the task returned settles the attempt by the reply."""
        attempt_id = attempt.id
        channel = dial.format(number=attempt.phone.lstrip("+"), e164=attempt.phone)
        log.info(
            "campaign %s: dialling %s (attempt %s, #%d)",
            campaign.name,
            mask_phone(attempt.phone),
            attempt_id,
            attempt.number,
        )
        reply: Awaitable[str]
        try:
            reply = self._ami.send_originate(
                channel,
                context=CONTEXT_DIALER,
                exten="s",
                caller_id=self._settings.caller_id,
                variables={ChannelVar.ATTEMPT_ID.value: attempt_id},
                channel_id=attempt_id,
                action_id=attempt_id,
                timeout_ms=int(self._settings.ring_seconds * 1000),
            )
        except AmiNotSent:
            raise  # AMI down, nothing written: the dispatcher withdraws the attempt
        except AmiError as exc:  # a value the adapter refused: settled as a lost reply was
            reply = _raised(exc)
        DIALER_ORIGINATES.inc()
        CALLS_STARTED.labels(CALLS_CAMPAIGN).inc()
        return asyncio.create_task(self._settle(campaign, attempt, tracked, reply))

    async def _settle(
        self,
        campaign: CampaignRecord,
        attempt: AttemptRecord,
        tracked: LiveAttempt,
        reply: Awaitable[str],
    ) -> None:
        attempt_id = attempt.id
        try:
            await reply
        except AmiActionFailed as exc:
            log.warning("campaign %s: Originate refused: %s", campaign.name, exc)
            await self._attempts.finish_unanswered(attempt_id, tracked, refused=True)
        except AmiError as exc:
            # Sent, but no reply: unknown, and the same-number gap guards a redial.
            log.warning("campaign %s: Originate fate unknown: %s", campaign.name, exc)
            await self._attempts.mark_unknown(attempt, campaign)
        finally:
            self._live.sending.discard(attempt_id)


async def _raised(exc: AmiError) -> str:
    raise exc
