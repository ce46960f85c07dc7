"""The queue's and the node's live figures for Prometheus (issue 20), sampled from Asterisk.

Asterisk is the source of truth for who waits and which operator is free, so the engine asks
it (QueueStatus, CoreShowChannels) every ``metrics.sample_interval`` seconds rather than
keeping a second model of the queue.  The parsing is pure and unit-tested; the sampler is a
task the engine owns.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from hotline.contact_center.operators import live_queue
from hotline.core.metrics import (
    CHANNELS,
    QUEUE_LONGEST_WAIT,
    QUEUE_OPERATORS,
    QUEUE_SERVICE_LEVEL,
    QUEUE_SERVICE_LEVEL_TARGET,
    QUEUE_WAITING,
    watch_loop_lag,
)
from hotline.protocol.ami import AmiEvent
from hotline.settings import Settings
from hotline.transport.ami import AmiClient, AmiError

log = logging.getLogger(__name__)

# An operator's device state (as operators.live_queue names it) -> the state the metrics count.
OPERATOR_STATES: Final = {
    "idle": "available",
    "in call": "busy",
    "busy": "busy",
    "on hold": "busy",
    "ringing, in call": "busy",
    "ringing": "ringing",
    "paused": "paused",
    "unavailable": "unavailable",
    "invalid": "unavailable",
    "unknown": "unavailable",
}
STATE_NAMES: Final = ("available", "busy", "ringing", "paused", "unavailable")


@dataclass(frozen=True)
class QueueSample:
    queue: str
    waiting: int
    longest_wait: int
    # None before the queue has completed a call (Asterisk reports 0.0 then).
    service_level: float | None
    operators: dict[str, int] = field(default_factory=dict)


def queue_samples(events: Sequence[AmiEvent], queues: Iterable[str]) -> list[QueueSample]:
    """QueueStatus events -> one sample per configured queue (pure)."""
    samples = []
    for name in queues:
        live = live_queue(list(events), name)
        states = Counter(OPERATOR_STATES.get(str(m["state"]), "unavailable") for m in live.members)
        completed = int(live.params.get("completed") or 0)
        perf = float(live.params.get("servicelevelperf") or 0.0)
        samples.append(
            QueueSample(
                name,
                waiting=len(live.callers),
                longest_wait=live.longest_wait,
                service_level=perf / 100 if completed else None,
                operators={state: states.get(state, 0) for state in STATE_NAMES},
            )
        )
    return samples


def channel_endpoints(events: Iterable[AmiEvent]) -> dict[str, int]:
    """CoreShowChannel events -> channels per endpoint: ``PJSIP/sim-trunk-00000a1`` counts for
    ``sim-trunk``; Local channels count as ``local`` (pure)."""
    counts: Counter[str] = Counter()
    for event in events:
        channel = event.get("channel")
        if not channel:
            continue
        tech, _, rest = channel.partition("/")
        if tech.lower() == "local":
            counts["local"] += 1
            continue
        endpoint = rest.rpartition("-")[0] if "-" in rest else rest
        counts[endpoint or tech.lower()] += 1
    return dict(counts)


class LiveMetrics:
    """Samples the queues and channels into the gauges until cancelled."""

    def __init__(
        self,
        ami: AmiClient,
        queues: dict[str, float],
        interval: float,
    ) -> None:
        # Queue name -> its service-level target (a share, 0..1).
        self._ami = ami
        self._queues = queues
        self._interval = interval
        self._endpoints: set[str] = set()

    async def run(self) -> None:
        for queue, target in self._queues.items():
            QUEUE_SERVICE_LEVEL_TARGET.labels(queue).set(target)
        while True:
            if self._ami.connected:
                try:
                    await self.sample()
                except AmiError as exc:
                    log.debug("metrics sample skipped: %s", exc)
            await asyncio.sleep(self._interval)

    async def sample(self) -> None:
        for sample in queue_samples(await self._ami.queue_status(), self._queues):
            QUEUE_WAITING.labels(sample.queue).set(sample.waiting)
            QUEUE_LONGEST_WAIT.labels(sample.queue).set(sample.longest_wait)
            if sample.service_level is not None:
                QUEUE_SERVICE_LEVEL.labels(sample.queue).set(sample.service_level)
            for state, count in sample.operators.items():
                QUEUE_OPERATORS.labels(sample.queue, state).set(count)
        node = self._ami.node
        endpoints = channel_endpoints(await self._ami.core_show_channels())
        for gone in self._endpoints - endpoints.keys():
            CHANNELS.remove(node, gone)
        for endpoint, count in endpoints.items():
            CHANNELS.labels(node, endpoint).set(count)
        self._endpoints = set(endpoints)


def start_sampling(settings: Settings, ami: AmiClient) -> list[asyncio.Task[None]]:
    """The engine's metric tasks: the queue and channel sampler, the event-loop lag probe."""
    targets = {settings.queue.name: settings.queue.service_level_target}
    for spec in settings.queue.departments.values():
        targets.setdefault(spec.name, settings.queue.service_level_target)
    sampler = LiveMetrics(ami, targets, settings.metrics.sample_interval)
    return [
        asyncio.create_task(sampler.run(), name="metrics-sampler"),
        asyncio.create_task(watch_loop_lag(settings.metrics.loop_lag_interval), name="loop-lag"),
    ]
