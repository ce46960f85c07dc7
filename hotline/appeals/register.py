"""The appeal register's operations: what the IVR, the console and the CLI do with appeals.

Each operation checks the rules (:mod:`hotline.appeals.model`), computes the deadline
(:mod:`hotline.appeals.deadlines`) and writes the audit entry in the same unit of work as the
rows.  Who may see personal data and trust-service appeals (R-139, R-121) is decided by the
interface from the person's role and passed in as a :class:`Viewer`; every view and listing
is audited.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from hotline.appeals.deadlines import WorkingDays, deadline_rule, due, working_days
from hotline.appeals.model import (
    AppealError,
    NotConsidered,
    check_move,
    classify,
    mask,
    trust_unit,
)
from hotline.appeals.notify import Notice, NoticeKind, Notices
from hotline.core.clock import utc_now
from hotline.settings import AppealSettings, Deadline
from hotline.store.appeals import AppealFilter, AppealRecord, AppealStore, Move, NewAppeal
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.enums import AppealChannel, AppealLinkKind, AppealStatus, ReplyChannel
from hotline.store.paging import PAGE_SIZE

log = logging.getLogger(__name__)

SUBJECT_MAX: Final = 200
TEXT_MAX: Final = 10_000
NAME_MAX: Final = 200
ADDRESS_MAX: Final = 300
NOTE_MAX: Final = 2000


@dataclass(frozen=True)
class AppealRequest:
    """What is known when an appeal is registered."""

    channel: AppealChannel
    category: str
    topic: str
    subject: str
    text: str = ""
    urgency: str | None = None
    account: str | None = None
    phone: str | None = None
    customer_name: str | None = None
    reply_channel: ReplyChannel = ReplyChannel.PHONE
    reply_address: str | None = None
    call_id: str | None = None
    recording: str | None = None
    # A deadline rule of its own (voicemail: 5 or 20 working days by the contact left, R-111).
    deadline: Deadline | None = None


@dataclass(frozen=True)
class Viewer:
    """The person looking and what their role allows."""

    actor: Actor
    personal_data: bool  # sees names, phones, accounts, addresses and texts
    trust: bool  # sees trust-service appeals at all


def _clean(value: str | None, field: str, limit: int, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise AppealError(f"give the appeal's {field}")
        return None
    text = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in value).strip()
    if required and not text:
        raise AppealError(f"give the appeal's {field}")
    if len(text) > limit:
        raise AppealError(f"the {field} is longer than {limit} characters")
    return text or None


class Appeals:
    def __init__(
        self,
        db: Database,
        settings: AppealSettings,
        timezone: str,
        notices: Notices | None = None,
    ) -> None:
        self._db = db
        self._store = AppealStore(db)
        self.settings = settings
        self.zone = ZoneInfo(timezone)
        # Registration and answer notices by the customer's reply channel.
        self._notices = notices

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    async def deadline_for(
        self, category: str, topic: str, registered: date, rule: Deadline | None = None
    ) -> date:
        chosen = rule or deadline_rule(self.settings, category, topic)
        calendar = await working_days(self._db, registered) if chosen.working else WorkingDays()
        return due(registered, chosen, calendar)

    async def register(
        self, request: AppealRequest, actor: Actor, at: datetime | None = None
    ) -> AppealRecord:
        at = at or utc_now()
        found = classify(self.settings, request.category, request.topic, request.urgency)
        subject = _clean(request.subject, "subject", SUBJECT_MAX, required=True)
        assert subject is not None
        links: list[tuple[AppealLinkKind, str]] = []
        if request.call_id:
            links.append((AppealLinkKind.CALL, request.call_id))
        if request.recording:
            links.append((AppealLinkKind.RECORDING, request.recording))
        deadline = await self.deadline_for(
            found.category, found.topic, self.local_day(at), request.deadline
        )
        new = NewAppeal(
            channel=request.channel,
            category=found.category,
            topic=found.topic,
            subject=subject,
            text=_clean(request.text, "text", TEXT_MAX) or "",
            urgency=found.urgency,
            unit=found.unit,
            reply_channel=request.reply_channel,
            deadline=deadline,
            account=_clean(request.account, "account", 64),
            phone=_clean(request.phone, "phone", 32),
            customer_name=_clean(request.customer_name, "name", NAME_MAX),
            reply_address=_clean(request.reply_address, "reply address", ADDRESS_MAX),
            links=tuple(links),
        )
        record = await self._store.add(new, actor, at)
        await self._notify(NoticeKind.REGISTERED, record)
        return record

    async def link_recording(self, number: str, path: str) -> bool:
        return await self._store.link(number, AppealLinkKind.RECORDING, path)

    # --- reading ----------------------------------------------------------------------------
    async def stored(self, number: str) -> AppealRecord | None:
        """The appeal for the engine itself (saying its number to the caller): no person
        looks, so no view is audited."""
        if len(number) > len("2026-004217"):
            return None
        return await self._store.get(number)

    async def view(self, number: str, viewer: Viewer) -> AppealRecord | None:
        """The appeal as ``viewer`` may see it (None: none, or one they may not see)."""
        found = await self._store.get(number, viewer.actor)
        if found is None or (self._is_trust(found) and not viewer.trust):
            return None
        return found if viewer.personal_data else masked(found)

    async def list(
        self, where: AppealFilter, viewer: Viewer, limit: int = 200
    ) -> list[AppealRecord]:
        if not viewer.trust:
            where = replace(where, exclude_units=(*where.exclude_units, trust_unit(self.settings)))
        rows = await self._store.list(where, viewer.actor, limit)
        return rows if viewer.personal_data else [masked(row) for row in rows]

    async def pages(
        self, where: AppealFilter, viewer: Viewer, size: int = PAGE_SIZE
    ) -> AsyncIterator[builtins.list[AppealRecord]]:
        """Everything ``list`` would show, uncapped, a page at a time (the exports)."""
        if not viewer.trust:
            where = replace(where, exclude_units=(*where.exclude_units, trust_unit(self.settings)))
        async for page in self._store.pages(where, viewer.actor, size):
            yield page if viewer.personal_data else [masked(row) for row in page]

    async def counts(
        self, where: AppealFilter, by: str, viewer: Viewer, today: date | None = None
    ) -> builtins.list[tuple[str, int, int, int, int]]:
        if not viewer.trust:
            where = replace(where, exclude_units=(*where.exclude_units, trust_unit(self.settings)))
        return await self._store.counts(where, by, today or self.local_day(utc_now()))

    async def timeline(
        self, where: AppealFilter, viewer: Viewer
    ) -> builtins.list[tuple[datetime, datetime | None]]:
        """When the appeals ``viewer`` may see were registered and answered (the chart)."""
        if not viewer.trust:
            where = replace(where, exclude_units=(*where.exclude_units, trust_unit(self.settings)))
        return await self._store.timeline(where)

    def _is_trust(self, record: AppealRecord) -> bool:
        return record.topic == self.settings.trust_topic

    # --- moves ------------------------------------------------------------------------------
    async def hand_over(
        self, number: str, unit: str, viewer: Viewer, note: str = ""
    ) -> AppealRecord:
        """R-149: to the unit that must act (a trust-service appeal stays with its unit)."""
        units = {topic.unit for topic in self.settings.topics.values()}
        units.add(self.settings.front_office_unit)
        if unit not in units:
            raise AppealError(f"unknown unit {unit!r}; one of {', '.join(sorted(units))}")
        current = await self._visible(number, viewer)
        if self._is_trust(current) and unit != trust_unit(self.settings):
            raise AppealError("a trust-service appeal stays with the Security Service (R-121)")
        return await self._move(number, AppealStatus.HANDED_OVER, viewer, note, unit=unit)

    async def start(self, number: str, viewer: Viewer, note: str = "") -> AppealRecord:
        await self._visible(number, viewer)
        return await self._move(number, AppealStatus.IN_PROGRESS, viewer, note)

    async def answer(self, number: str, viewer: Viewer, note: str = "") -> AppealRecord:
        await self._visible(number, viewer)
        record = await self._move(number, AppealStatus.ANSWERED, viewer, note)
        await self._notify(NoticeKind.ANSWERED, record)
        return record

    async def _notify(self, kind: NoticeKind, record: AppealRecord) -> None:
        """After the commit, and never at its expense: a notice that cannot go is logged,
        the appeal stands (the console shows how to reach the customer)."""
        if self._notices is None:
            return
        try:
            channel = await self._notices.send(Notice(kind, record))
        except Exception:
            log.exception("appeal %s: the %s notice failed", record.number, kind)
            return
        log.info("appeal %s: %s notice by %s", record.number, kind, channel or "no channel")

    async def close(self, number: str, viewer: Viewer, note: str = "") -> AppealRecord:
        await self._visible(number, viewer)
        return await self._move(number, AppealStatus.CLOSED, viewer, note)

    async def reopen(self, number: str, viewer: Viewer, note: str) -> AppealRecord:
        """R-120: the customer rejected the solution; the appeal stays open, and why."""
        if not note.strip():
            raise AppealError("say why the appeal is reopened (what the customer rejected)")
        await self._visible(number, viewer)
        return await self._move(number, AppealStatus.REOPENED, viewer, note)

    async def not_considered(
        self, number: str, reason: NotConsidered, viewer: Viewer, note: str = ""
    ) -> AppealRecord:
        """R-122: closed without consideration on its merits, with the reason."""
        await self._visible(number, viewer)
        return await self._move(
            number, AppealStatus.NOT_CONSIDERED, viewer, note, reason=reason.value
        )

    async def _visible(self, number: str, viewer: Viewer) -> AppealRecord:
        found = await self._store.get(number)
        if found is None or (self._is_trust(found) and not viewer.trust):
            raise AppealError(f"no appeal {number}")
        return found

    async def _move(
        self,
        number: str,
        to: AppealStatus,
        viewer: Viewer,
        note: str,
        *,
        unit: str | None = None,
        reason: str | None = None,
    ) -> AppealRecord:
        text = _clean(note, "note", NOTE_MAX) or ""
        move = Move(
            to=to,
            check=lambda current: check_move(current, to),
            note=text,
            unit=unit,
            close_reason=reason,
        )
        moved = await self._store.move(number, move, viewer.actor)
        if moved is None:
            raise AppealError(f"no appeal {number}")
        return moved if viewer.personal_data else masked(moved)


def masked(record: AppealRecord) -> AppealRecord:
    """The record without personal data (R-139): names, phones, accounts, addresses and the
    customer's own words are hidden."""
    return replace(
        record,
        account=mask(record.account),
        phone=mask(record.phone),
        customer_name=mask(record.customer_name),
        reply_address=mask(record.reply_address),
        text="•••" if record.text else "",
        links=tuple((kind, "•••") for kind, _ in record.links),
    )
