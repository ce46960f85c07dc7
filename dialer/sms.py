"""SMS informing (R-092): contacts who chose SMS get the message instead of a call, and
(rule ``sms_fallback``) a final negative call is followed by an SMS.  The scenario's
``sms_text`` is filled in with the contact's values as the e-mail path words them (1 234,50
руб., 10.12.2026) and checked against R-091's limits (``sms.max_chars``, ``sms.max_parts``)
when the campaign is created, when contacts are imported and before it is queued.

Messages go through the engine's SMS outbox (:class:`~hotline.store.sms_notifier.SmsNotifier`);
what becomes of each (Kannel accepted it, the delivery report) comes back through
:meth:`SmsSender.on_message` and is stored on the contact: an SMS-only contact is positive
``sms_sent`` once Kannel accepted it, ``sms_delivered`` with a delivery report, negative
``sms_failed`` when it could not be delivered.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Final

from dialer.contacts import ImportReport, RowProblem
from dialer.model import CampaignRules, Reason, Result, Scenario
from dialer.repository import CampaignRecord, DialerStore
from dialer.values import email_value
from dialer.window import window_for
from hotline.core.phones import mask_phone
from hotline.protocol.sms import SmsTextError, check_text
from hotline.settings import SmsSettings
from hotline.store.models import SmsStatus
from hotline.store.sms import SmsRecord
from hotline.store.sms_notifier import SmsNotifier

log = logging.getLogger(__name__)

SOURCE_CAMPAIGN: Final = "campaign"
SMS_BATCH: Final = 50
SMS_COLUMN: Final = "sms_text"
_PLACEHOLDER: Final = re.compile(r"{[a-z][a-z0-9_]*}")
_REFERENCE: Final = re.compile(r"^target:(\d+)$")


def sms_text(scenario: Scenario, variables: dict[str, str], company: str) -> str | None:
    """The contact's SMS, or None when the scenario has no SMS variant."""
    if not scenario.sms_text:
        return None
    kinds = scenario.variables()
    values = {k: email_value(kinds[k], v) for k, v in variables.items() if k in kinds}
    values["company"] = company
    return scenario.sms_text.format_map(values)


def check_template(scenario: Scenario, settings: SmsSettings) -> None:
    """At campaign creation: the SMS text without its placeholders must already fit
    (SmsTextError naming its length); the values are checked per contact at import."""
    if scenario.sms_text:
        fixed = _PLACEHOLDER.sub("", scenario.sms_text)
        check_text(fixed or "-", max_chars=settings.max_chars, max_parts=settings.max_parts)


def uses_sms(rules: CampaignRules, scenario: Scenario) -> bool:
    return rules.sms_fallback and scenario.sms_text is not None


def sms_problems(
    report: ImportReport,
    scenario: Scenario,
    rules: CampaignRules,
    settings: SmsSettings,
    company: str,
) -> list[RowProblem]:
    """At import: every contact who may get an SMS (their channel, or every contact under
    ``sms_fallback``) with their SMS filled in; a row whose SMS is too long is an error."""
    problems: list[RowProblem] = []
    fallback = uses_sms(rules, scenario)
    for contact in report.contacts:
        if contact.channel != "sms" and not fallback:
            continue
        text = sms_text(scenario, contact.variables, company)
        if text is None:
            problems.append(RowProblem(contact.row, "channel", "SMS chosen, but no sms_text"))
            continue
        try:
            check_text(text, max_chars=settings.max_chars, max_parts=settings.max_parts)
        except (SmsTextError, ValueError) as exc:
            problems.append(RowProblem(contact.row, SMS_COLUMN, str(exc)))
    return problems


class SmsSender:
    """Queues a campaign's due SMS each dispatcher tick, in the calling window (R-086)."""

    def __init__(self, store: DialerStore, notifier: SmsNotifier | None, company: str) -> None:
        self._store = store
        # None: SMS is not set up (sms.enabled off); SMS contacts fail with sms_failed.
        self._notifier = notifier
        self.company = company

    async def send_due(self, campaign: CampaignRecord, now: datetime) -> None:
        scenario = campaign.snapshot
        assert scenario is not None
        due = await self._store.sms_due(campaign.id, limit=SMS_BATCH)
        for target in due:
            if not window_for(campaign.rules, target.timezone).is_open(now):
                continue
            only_sms = target.channel == "sms"
            failed = (Result.NEGATIVE, Reason.SMS_FAILED) if only_sms else None
            text = sms_text(scenario, target.variables, self.company)
            if text is None or self._notifier is None:
                await self._store.sms_update(target.id, SmsStatus.FAILED, now, close_as=failed)
                continue
            try:
                message_id = await self._notifier.notify(
                    target.phone, text, source=SOURCE_CAMPAIGN, reference=f"target:{target.id}"
                )
            except ValueError as exc:  # SmsTextError included
                log.warning(
                    "campaign %s: SMS to %s not queued: %s",
                    campaign.name,
                    mask_phone(target.phone),
                    exc,
                )
                await self._store.sms_update(target.id, SmsStatus.FAILED, now, close_as=failed)
                continue
            await self._store.sms_update(target.id, SmsStatus.QUEUED, now, sms_id=message_id)
        if due:
            await self._store.finish_if_done(campaign.id, now)

    async def on_message(self, message: SmsRecord) -> None:
        """The outbox's news of a campaign's SMS: stored on its contact, and for a contact
        who chose SMS it is the contact's result."""
        if message.source != SOURCE_CAMPAIGN or message.reference is None:
            return
        match = _REFERENCE.match(message.reference)
        if match is None:
            return
        target = await self._store.target(int(match.group(1)))
        outcome = {
            SmsStatus.SENT: (Result.POSITIVE, Reason.SMS_SENT),
            SmsStatus.DELIVERED: (Result.POSITIVE, Reason.SMS_DELIVERED),
            SmsStatus.FAILED: (Result.NEGATIVE, Reason.SMS_FAILED),
        }.get(message.status)
        if outcome is None:
            return
        close_as = outcome if target.channel == "sms" else None
        at = message.delivered_at or message.failed_at or message.sent_at or message.queued_at
        await self._store.sms_update(target.id, message.status, at, close_as=close_as)
        await self._store.finish_if_done(target.campaign_id, at)
