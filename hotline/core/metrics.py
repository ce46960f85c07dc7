"""The process's Prometheus metrics (issue 20): one registry, every metric declared here so a
name cannot be spelt two ways, and the event-loop lag monitor.

The parts that count (FastAGI, AMI, the dialer, the queue sampler) import the objects below;
the exporters (the engine's HTTP listener, the console's ``/metrics``) serve ``REGISTRY``.
prometheus-client's metric objects are thread-safe: the engine's exporter runs in its own
thread and reads them while the event loop writes.  Names follow Prometheus' conventions
(``_total`` counters, base units: seconds, ratios 0..1).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Final

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

REGISTRY: Final = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)

# --- FastAGI ------------------------------------------------------------------------------------
# Sessions in progress by route, and ended by (route, outcome): plain counts the event loop
# updates, turned into a gauge and a counter when scraped (see _FastAgiCollector).  A
# prometheus_client child takes a lock and two checks per update, three per session (issue 19
# item 2).  The labels are the server's (registered routes and "unknown"): a bounded set.
FASTAGI_ACTIVE: Final[dict[str, int]] = {}
FASTAGI_ENDED: Final[dict[tuple[str, str], int]] = {}
FASTAGI_REFUSED: Final = Counter(
    "hotline_fastagi_refused_connections",
    "FastAGI connections closed unheard (peer not allowed, too many sessions).",
    registry=REGISTRY,
)

# --- AMI ----------------------------------------------------------------------------------------
AMI_CONNECTED: Final = Gauge(
    "hotline_ami_connected",
    "1 while the AMI connection to the node is logged in.",
    ["node"],
    registry=REGISTRY,
)
# The clients of this process logged in to each node: the gauge says 1 while any of them is,
# so one client's disconnect does not hide another's live connection (tests run several).
_LOGGED_IN: Final[dict[str, set[int]]] = {}


def mark_ami_connected(node: str, client: int, *, connected: bool) -> None:
    clients = _LOGGED_IN.setdefault(node, set())
    if connected:
        clients.add(client)
    else:
        clients.discard(client)
    AMI_CONNECTED.labels(node).set(1 if clients else 0)


AMI_RECONNECTS: Final = Counter(
    "hotline_ami_reconnects",
    "AMI log-ins after the first one (the connection was lost and re-established).",
    ["node"],
    registry=REGISTRY,
)
AMI_EVENTS_RECEIVED: Final = Counter(
    "hotline_ami_events_received",
    "AMI events read from Asterisk (the base that hotline_ami_events_dropped is a share of).",
    registry=REGISTRY,
)
AMI_EVENTS_DROPPED: Final = Counter(
    "hotline_ami_events_dropped",
    "AMI events dropped because a consumer's bounded queue was full.",
    registry=REGISTRY,
)

HELD_WRITES_UNSPOOLED: Final = Counter(
    "hotline_held_writes_unspooled",
    "Writes held for the store kept in memory only: the local spool was full or failed.",
    registry=REGISTRY,
)

CALL_EVENTS_LOST: Final = Counter(
    "hotline_call_events_lost",
    "Call-log events given up on (the database was away longer than the outbox holds).",
    registry=REGISTRY,
)

# --- Calls and wake-ups -------------------------------------------------------------------------
CALLS_STARTED: Final = Counter(
    "hotline_calls_started",
    "Calls begun, by kind (inbound: a caller reached a node; campaign: an originate) "
    "(rate(): calls per second).",
    ["kind"],
    registry=REGISTRY,
)
CALLS_INBOUND: Final = "inbound"
CALLS_CAMPAIGN: Final = "campaign"
NOTIFY_CONNECTED: Final = Gauge(
    "hotline_notify_connected",
    "1 while this process's LISTEN connection to PostgreSQL is up (0: polling only).",
    registry=REGISTRY,
)
NOTIFY_WAKEUPS: Final = Counter(
    "hotline_notify_wakeups",
    "Notifications received from PostgreSQL (LISTEN/NOTIFY), by channel and reason.",
    ["channel", "reason"],
    registry=REGISTRY,
)

# --- The queue (sampled from Asterisk's QueueStatus) -------------------------------------------
QUEUE_WAITING: Final = Gauge(
    "hotline_queue_waiting_calls", "Callers waiting in the queue.", ["queue"], registry=REGISTRY
)
QUEUE_LONGEST_WAIT: Final = Gauge(
    "hotline_queue_longest_wait_seconds",
    "How long the caller waiting longest has waited.",
    ["queue"],
    registry=REGISTRY,
)
QUEUE_OPERATORS: Final = Gauge(
    "hotline_queue_operators",
    "Operators in the queue by state (available, busy, ringing, paused, unavailable).",
    ["queue", "state"],
    registry=REGISTRY,
)
QUEUE_SERVICE_LEVEL: Final = Gauge(
    "hotline_queue_service_level_ratio",
    "Share of answered calls answered within the queue's answer target (Asterisk's "
    "ServicelevelPerf since its start; the target is queue.answer_target, R-026).",
    ["queue"],
    registry=REGISTRY,
)
QUEUE_SERVICE_LEVEL_TARGET: Final = Gauge(
    "hotline_queue_service_level_target_ratio",
    "The service level the queue must reach (queue.service_level_target).",
    ["queue"],
    registry=REGISTRY,
)
CHANNELS: Final = Gauge(
    "hotline_channels",
    "Asterisk channels up, by node and endpoint (trunk or operator phone).",
    ["node", "endpoint"],
    registry=REGISTRY,
)

# --- The dialer ---------------------------------------------------------------------------------
DIALER_ORIGINATES: Final = Counter(
    "hotline_dialer_originates",
    "Campaign calls sent to Asterisk (rate(): calls per second).",
    registry=REGISTRY,
)
DIALER_ATTEMPTS: Final = Counter(
    "hotline_dialer_attempts",
    "Campaign attempts closed, by result (positive, negative) and reason.",
    ["result", "reason"],
    registry=REGISTRY,
)

# --- The event loop -----------------------------------------------------------------------------
LAG_WALL_NAME: Final = "hotline_event_loop_lag_seconds"
LAG_OWN_NAME: Final = "hotline_event_loop_own_lag_seconds"
# Fine below 10 ms (issue 19 item 6: the goal is a p99 under 10 ms, so its quantile must fall
# between bounds that tell 1 ms from 3 ms from 8 ms), coarse above for stalls.
LAG_BUCKETS: Final = (
    0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.015, 0.025, 0.05, 0.1,
    0.25, 0.5, 1.0, 2.5,
)  # fmt: skip
LOOP_LAG: Final = Histogram(
    LAG_WALL_NAME,
    "How late the event loop ran a timer (blocking work on the loop shows here).",
    buckets=LAG_BUCKETS,
    registry=REGISTRY,
)

LOOP_OWN_LAG: Final = Histogram(
    LAG_OWN_NAME,
    "The loop's lag less the time its thread waited for a CPU: blocking work of the engine's "
    "own, apart from a machine busy with other processes.",
    buckets=LAG_BUCKETS,
    registry=REGISTRY,
)
LOOP_CPU_WAIT: Final = Counter(
    "hotline_event_loop_cpu_wait_seconds",
    "Time the event loop's thread was ready to run but waited for a CPU.",
    registry=REGISTRY,
)

# AGI command latency: write of a command to its reply.  Counted by hand into plain lists on
# the hot path (a bisect and two additions; Histogram.observe() takes a lock and costs about
# five times as much per command, which the FastAGI bench holds against a raw floor), and
# turned into a histogram only when scraped.
AGI_COMMAND_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
_AGI_INF: Final = len(AGI_COMMAND_BUCKETS)
# verb -> [count per bucket..., count over the last bound, sum of seconds]; the verbs are the
# engine's own (a bounded set), never a peer's text.
_agi_by_verb: dict[str, list[float]] = {}


# The FastAGI hot path counts inline (issue 19 item 2, a call per command was a tenth of it):
# ``counts = agi_counts_of(verb) or agi_command_counts(verb)``, then as observe_agi_command.
agi_counts_of: Final = _agi_by_verb.get
AGI_FIRST_BOUND: Final = AGI_COMMAND_BUCKETS[0]


def agi_command_counts(verb: str) -> list[float]:
    """The counts of ``verb`` (made on its first command)."""
    counts = _agi_by_verb.get(verb)
    if counts is None:
        counts = _agi_by_verb[verb] = [0.0] * (_AGI_INF + 2)
    return counts


def agi_bucket(seconds: float) -> int:
    """The bucket of a command's latency.  Most commands (variables) answer within the first
    bound: one comparison instead of the bisect (a C call dearer than the rest of the count);
    the prompts take seconds and pay it."""
    return 0 if seconds < AGI_FIRST_BOUND else bisect.bisect_left(AGI_COMMAND_BUCKETS, seconds)


def observe_agi_command(verb: str, seconds: float) -> None:
    """One AGI command answered after ``seconds`` (called on the event loop)."""
    counts = agi_command_counts(verb)
    counts[agi_bucket(seconds)] += 1
    counts[-1] += seconds


class _AgiCommandCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            "hotline_fastagi_command_seconds",
            "AGI command latency by verb, from the command written to its reply read "
            "(media commands include the prompt's playing time).",
            labels=["verb"],
        )
        for verb, live in list(_agi_by_verb.items()):
            counts = list(live)  # one copy: the loop may add while this thread reads
            cumulative = 0.0
            buckets: list[tuple[str, float]] = []
            for index, bound in enumerate(AGI_COMMAND_BUCKETS):
                cumulative += counts[index]
                buckets.append((repr(bound), cumulative))
            buckets.append(("+Inf", cumulative + counts[_AGI_INF]))
            family.add_metric([verb], buckets, sum_value=counts[-1])
        yield family


REGISTRY.register(_AgiCommandCollector())


class _FastAgiCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        active = GaugeMetricFamily(
            "hotline_fastagi_active_sessions",
            "FastAGI sessions in progress by route (route=ivr: calls in the IVR).",
            labels=["route"],
        )
        for route, count in list(FASTAGI_ACTIVE.items()):  # a copy: the loop may add meanwhile
            active.add_metric([route], count)
        yield active
        ended = CounterMetricFamily(
            "hotline_fastagi_sessions",
            "FastAGI sessions ended, by route and outcome.",
            labels=["route", "outcome"],
        )
        for (route, outcome), count in list(FASTAGI_ENDED.items()):
            ended.add_metric([route, outcome], count)
        yield ended


REGISTRY.register(_FastAgiCollector())


# The loop thread's scheduler statistics: CPU time, time runnable but waiting for a CPU (other
# processes had it), time slices; nanoseconds.  Read with pread on a descriptor opened by the
# loop's own thread (procfs, no disk: it does not block).
SCHEDSTAT: Final = "/proc/thread-self/schedstat"
LAG_LOGGED: Final = 1.0  # seconds: a lag this long is logged with its breakdown

log = logging.getLogger(__name__)


class ThreadWait:
    """How long the calling thread has waited for a CPU in all (0 where the kernel does not
    say): the part of a loop lag that other processes caused, not the engine."""

    def __init__(self) -> None:
        try:
            self._fd: int | None = os.open(SCHEDSTAT, os.O_RDONLY)
        except OSError:
            self._fd = None

    def seconds(self) -> float:
        if self._fd is None:
            return 0.0
        try:
            fields = os.pread(self._fd, 128, 0).split()
            return int(fields[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return 0.0

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def own_lag(lag: float, cpu_wait: float) -> float:
    """The part of a loop lag that was the engine's own (blocking work on the loop, the GIL
    held by its threads): the lag less the time the loop's thread waited for a CPU."""
    return max(lag - cpu_wait, 0.0)


async def watch_loop_lag(interval: float) -> None:
    """Sleep ``interval`` again and again; how much later than asked the loop woke is the
    lag every other task saw too (LOOP_LAG), and that lag less the time the loop's thread
    waited for a CPU is the engine's own (LOOP_OWN_LAG: a busy machine shows in the first
    only).  Runs until cancelled (the engine owns the task)."""
    loop = asyncio.get_running_loop()
    wait = ThreadWait()
    try:
        while True:
            asked, waited = loop.time(), wait.seconds()
            await asyncio.sleep(interval)
            lag = max(loop.time() - asked - interval, 0.0)
            cpu_wait = wait.seconds() - waited
            LOOP_LAG.observe(lag)
            LOOP_CPU_WAIT.inc(cpu_wait)
            LOOP_OWN_LAG.observe(own_lag(lag, cpu_wait))
            if lag >= LAG_LOGGED:
                log.warning(
                    "event loop %.2f s late: %.2f s waiting for a CPU, %.2f s its own",
                    lag,
                    min(cpu_wait, lag),
                    own_lag(lag, cpu_wait),
                )
    finally:
        wait.close()
