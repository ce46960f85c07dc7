"""Whether one claimed contact may be dialled now (do-not-call, the survey cap, deliver-by,
the calling window, the same-number gap), and its personal audio rendered before it is: the
dispatcher's per-contact checks, each refusal written to the contact (closed or deferred)."""

from __future__ import annotations

import logging
from datetime import datetime

from dialer.attempts import earliest
from dialer.limits import Limits
from dialer.live import PreparedStep
from dialer.model import Reason, Result
from dialer.playback import ScenarioPlayer
from dialer.repository import CampaignRecord, DialerStore, TargetRecord
from dialer.window import Waiting, WaitReason, window_for
from hotline.store.ratings import months_before

log = logging.getLogger(__name__)


class Admission:
    def __init__(self, store: DialerStore, player: ScenarioPlayer, survey_cap_months: int) -> None:
        self._store = store
        self._player = player
        # a customer is surveyed at most once in this many months (0: no cap).
        self._survey_cap_months = survey_cap_months

    async def may_dial(
        self,
        campaign: CampaignRecord,
        target: TargetRecord,
        now: datetime,
        limits: Limits,
        dnc: frozenset[str],
        last: datetime | None,
    ) -> bool:
        store = self._store
        if target.phone in dnc:
            await store.close_target(target.id, Result.NEGATIVE, Reason.DO_NOT_CALL)
            return False
        if await self._surveyed_lately(campaign, target, now):
            await store.close_target(target.id, Result.NEGATIVE, Reason.SURVEY_CAP)
            return False
        if target.deliver_by is not None and now >= target.deliver_by:
            await store.close_target(target.id, Result.NEGATIVE, Reason.EXPIRED)
            return False
        window = window_for(campaign.rules, target.timezone)
        if not window.is_open(now):
            opens = window.next_open(now)
            deadline = earliest(campaign.ends_at, target.deliver_by)
            if opens is None or (deadline is not None and opens >= deadline):
                await store.close_target(target.id, Result.NEGATIVE, Reason.EXPIRED)
            else:
                await store.defer(target.id, opens, window.why_closed(now).stored)
            return False
        if last is not None and now < last + limits.same_number_gap:
            await store.defer(
                target.id,
                last + limits.same_number_gap,
                Waiting(WaitReason.SAME_NUMBER).stored,
            )
            return False
        return True

    async def _surveyed_lately(
        self, campaign: CampaignRecord, target: TargetRecord, now: datetime
    ) -> bool:
        """A survey's contact who answered a survey (this or another campaign's) or rated an
        operator call since the import, within the frequency cap (R-105)."""
        if campaign.snapshot is None or not campaign.snapshot.survey:
            return False
        if self._survey_cap_months <= 0:
            return False
        since = months_before(now, self._survey_cap_months)
        return bool(await self._store.surveyed_since([target.phone], since))

    async def render(
        self, campaign: CampaignRecord, target: TargetRecord
    ) -> list[PreparedStep] | None:
        """The personal audio, rendered before the number is dialled; None (the target
        closed) if it cannot be."""
        scenario = campaign.snapshot
        assert scenario is not None, "a running campaign has its scenario snapshot"
        try:
            return await self._player.render(scenario, target.variables, target.timezone)
        except Exception:
            log.exception("campaign %s: cannot render the message", campaign.name)
            await self._store.close_target(target.id, Result.NEGATIVE, Reason.RENDER_FAILED)
            return None
