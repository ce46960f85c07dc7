"""What a contact-center wallboard shows, now: callers waiting and the longest wait against
the answer target (40 s, 180 s in emergency mode), operators and their states, today's service
level and lost-call ratio against their targets, calls in the IVR, emergency mode, and the dial
campaigns running or paused with their progress.

Live figures come from Asterisk (QueueStatus, CoreShowChannels); today's KPIs from the store
(the same ``build_report`` as ``hotline queue stats``).  Without AMI the board still shows
the stored figures and says the PBX is unreachable.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from dialer.model import CampaignState
from dialer.report import Status as CampaignStatus
from dialer.report import status as campaign_status
from dialer.repository import DialerStore
from hotline.contact_center import callbacks
from hotline.contact_center import operators as ops
from hotline.contact_center.departments import Department, departments
from hotline.contact_center.emergency import Emergency, answer_target
from hotline.contact_center.kpi import Kpi, QueueReport
from hotline.contact_center.queue_report import build_report
from hotline.contact_center.recording_space import RecordingSpace, recording_space
from hotline.core.clock import utc_now
from hotline.settings import Settings
from hotline.store.callbacks import CallbackRecord
from hotline.store.db import STORE_ERRORS, Database
from hotline.store.emergency import EmergencyStore
from hotline.store.leases import NodeLeases
from hotline.store.operators import Operators
from hotline.store.workers import WorkerRegistry
from hotline.transport.ami import AmiClient, AmiError

log = logging.getLogger(__name__)

# The FastAGI script is the IVR: a channel running it is a caller in the menu.
IVR_APPLICATION: Final = "AGI"
# AMI events after which the board is worth redrawing.
LIVE_EVENTS: Final = frozenset(
    {
        "QueueCallerJoin",
        "QueueCallerLeave",
        "QueueCallerAbandon",
        "AgentCalled",
        "AgentConnect",
        "AgentComplete",
        "AgentRingNoAnswer",
        "QueueMemberAdded",
        "QueueMemberRemoved",
        "QueueMemberPause",
        "QueueMemberStatus",
        "Newchannel",
        "Hangup",
        "AGIExecStart",
    }
)
AMI_TIMEOUT: Final = 3.0


@dataclass(frozen=True)
class DepartmentBoard:
    """One department's queue on the board (R-097): live callers and today's figures by the
    seeds' definitions against its own answer target."""

    department: Department
    live: ops.LiveQueue | None
    today: QueueReport

    @property
    def waiting(self) -> int:
        return len(self.live.callers) if self.live is not None else 0

    @property
    def longest_wait(self) -> int:
        return self.live.longest_wait if self.live is not None else 0

    @property
    def wait_within_limit(self) -> Kpi:
        return self.today.kpi("wait_within_limit")

    @property
    def lost_ratio(self) -> Kpi:
        return self.today.kpi("lost_ratio_seed")


@dataclass(frozen=True)
class Wallboard:
    at: datetime
    pbx_up: bool
    queue: ops.LiveQueue | None
    answer_target: int
    emergency: Emergency
    today: QueueReport
    in_ivr: int | None
    campaigns: list[CampaignStatus]
    queues: list[DepartmentBoard] = field(default_factory=list)
    # Free space for recordings; ``low``: calls are not being recorded (issue 21).
    recordings: RecordingSpace | None = None
    # Cluster nodes no live engine worker reaches over AMI (issue 20): the dialer does not
    # dial through them, Kamailio sends callers to the others.
    nodes_down: list[str] = field(default_factory=list)
    # Callbacks whose agreed window passed without being done, the newest due first.
    overdue_callbacks: list[CallbackRecord] = field(default_factory=list)

    @property
    def longest_wait(self) -> int:
        return self.queue.longest_wait if self.queue is not None else 0

    @property
    def waiting(self) -> int:
        return len(self.queue.callers) if self.queue is not None else 0

    @property
    def over_target(self) -> bool:
        return self.longest_wait > self.answer_target

    @property
    def service_level(self) -> Kpi:
        return self.today.kpi("service_level")

    @property
    def lost_ratio(self) -> Kpi:
        return self.today.kpi("lost_ratio_queue")


async def snapshot(
    db: Database,
    settings: Settings,
    ami: AmiClient | None,
    *,
    include_simulated: bool = False,
    now: datetime | None = None,
) -> Wallboard:
    at = now or utc_now()
    zone = ZoneInfo(settings.hours.timezone)
    midnight = datetime.combine(at.astimezone(zone).date(), time(), zone)
    emergency = await EmergencyStore(db).current()
    dialer = DialerStore(db)
    campaigns = [
        await campaign_status(dialer, c.name, at)
        for c in await dialer.campaigns([CampaignState.RUNNING, CampaignState.PAUSED])
    ]
    # The board shows figures, no list of calls: the KPIs summed in SQL (calls=False).
    today = await build_report(
        db, settings, midnight, at, include_simulated=include_simulated, calls=False
    )
    known = departments(settings.queue)
    reports = {
        key: await build_report(
            db,
            settings,
            midnight,
            at,
            include_simulated=include_simulated,
            department=key,
            calls=False,
        )
        for key in known
    }
    live: dict[str, ops.LiveQueue] = {}
    queue: ops.LiveQueue | None = None
    in_ivr: int | None = None
    if ami is not None and ami.connected:
        try:
            async with asyncio.timeout(AMI_TIMEOUT):
                operators = await Operators(db).all()
                for key, dept in known.items():
                    events = await ami.queue_status(dept.queue)
                    live[key] = ops.live_queue(events, dept.queue, operators)
                queue = live[settings.queue.department]
                channels = await ami.core_show_channels()
            in_ivr = sum(1 for c in channels if c.get("application") == IVR_APPLICATION)
        except (AmiError, TimeoutError) as exc:
            log.warning("wallboard: live state unavailable: %s", exc)
            queue = None
            live = {}
    return Wallboard(
        at=at,
        pbx_up=queue is not None,
        queue=queue,
        answer_target=answer_target(emergency, settings.queue),
        emergency=emergency,
        today=today,
        in_ivr=in_ivr,
        campaigns=campaigns,
        queues=[DepartmentBoard(dept, live.get(key), reports[key]) for key, dept in known.items()],
        recordings=await asyncio.to_thread(recording_space, settings),
        nodes_down=await nodes_down(db, settings, at),
        overdue_callbacks=await callbacks.overdue(db, at),
    )


async def nodes_down(db: Database, settings: Settings, at: datetime) -> list[str]:
    """The configured cluster nodes no live worker reaches: neither its configured worker
    (heartbeat with its AMI up) nor a worker that took it over (a live lease, AMI up)."""
    if not settings.cluster.nodes:
        return []
    dead_after = timedelta(seconds=settings.workers.dead_after_seconds)
    try:
        workers = await WorkerRegistry(db).all()
    except STORE_ERRORS as exc:
        log.warning("wallboard: workers unavailable: %s", type(exc).__name__)
        return []
    up = {w.node for w in workers if w.ami_up and w.alive(at, dead_after)}
    # A node taken over by another worker: its lease is live and its owner's AMI is up.
    if not db.is_sqlite:
        try:
            up |= {r.node for r in await NodeLeases(db).all() if r.remaining > 0 and r.ami_up}
        except STORE_ERRORS as exc:
            log.warning("wallboard: node leases unavailable: %s", type(exc).__name__)
    return [node.name for node in settings.cluster.nodes if node.name not in up]
