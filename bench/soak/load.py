"""The soak's steady load and its witnesses: simulated callers submitting meter readings and
then asking for an operator, real SIP callers (SIPp) hearing the greeting, the console's live
pages polled, Asterisk's events recorded with its own timestamps, the engine's /metrics
sampled."""

from __future__ import annotations

import asyncio
import http.client
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any, Final

from bench.soak.audit import ConsoleResponse, HeardReading
from bench.soak.world import free_port
from hotline.calls.simulator import Simulator
from hotline.protocol.ami import AmiEvent
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.transport.ami import AmiClient, Subscription
from ivr import prompts

RECORDED: Final = (
    "Newchannel",
    "Newstate",
    "Newexten",
    "AGIExecStart",
    "MusicOnHoldStart",
    "QueueCallerJoin",
    "Hangup",
)
RECORDER_QUEUE: Final = 1_000_000


@dataclass(frozen=True)
class Seen:
    name: str
    uniqueid: str
    at: float  # Asterisk's Timestamp (seconds since the epoch)
    context: str
    channel: str
    exten: str
    detail: str  # state, application or AGI command


class Recorder:
    """Every event of interest, as Asterisk stamped it (timestampevents = yes)."""

    def __init__(self, ami: AmiClient) -> None:
        self.sub: Subscription = ami.subscribe(RECORDED, maxsize=RECORDER_QUEUE)
        self.seen: list[Seen] = []

    async def run(self) -> None:
        async for event in self.sub:
            self.seen.append(_seen(event))


def _seen(event: AmiEvent) -> Seen:
    stamp = event.get("timestamp")
    detail = {
        "Newstate": "channelstatedesc",
        "Newexten": "application",
        "AGIExecStart": "command",
    }.get(event.name, "")
    return Seen(
        event.name,
        event.uniqueid,
        float(stamp) if stamp else time.time(),
        event.get("context"),
        event.get("channel"),
        event.get("exten"),
        event.get(detail) if detail else "",
    )


@dataclass(frozen=True)
class Caller:
    phone: str
    account: str


@dataclass
class CallerStats:
    calls: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    heard: list[HeardReading] = field(default_factory=list)
    operator_reached: int = 0


async def reading_caller(
    ami: AmiClient,
    settings: Settings,
    caller: Caller,
    first_value: int,
    until: float,
    stats: CallerStats,
) -> None:
    """Call after call until ``until`` (monotonic): the reading menu, a value one higher than
    the last, confirmed, then the operator key until the queue answers."""
    value = first_value
    simulator = Simulator(ami, None, settings.simulate)
    while time.monotonic() < until:
        value += 1
        dtmf = f"1w1w{value}#w1" + "w0" * 6
        try:
            transcript = await simulator.run(dtmf, caller_id=caller.phone)
        except Exception as exc:  # Asterisk away, AMI reconnecting: count it, call again
            stats.errors[type(exc).__name__] += 1
            await asyncio.sleep(1.0)
            continue
        stats.calls += 1
        names = [Path(p).name for p in transcript.prompts]
        if prompts.READING_ACCEPTED in names:
            stats.heard.append(HeardReading(transcript.uniqueid, caller.account, value))
        if "hotline-operator" in transcript.contexts:
            stats.operator_reached += 1


@dataclass
class SippStats:
    runs: int = 0
    ok: int = 0
    failed: int = 0


SIPP_HOLD_MS: Final = 5000
_SIPP_COUNT = re.compile(r"^\s*(Successful|Failed) call\s+\|\s+\d+\s+\|\s+(\d+)", re.MULTILINE)


async def sip_callers(
    sandbox: Sandbox, scenario: str, number: str, phone: str, until: float, stats: SippStats
) -> None:
    """Batches of two real SIP calls that listen for SIPP_HOLD_MS and hang up."""
    sb = sandbox.settings.sandbox
    # SIPp's own SIP port, free like the soak's other ports: by default SIPp binds the first
    # free one from 5060 up, which other sandboxes and their Kamailio (SIP + 4) are about to bind.
    sipp_port = free_port(True, set())
    media_port = 20000 + (sb.sip_port % 1000) * 10 + 4
    argv = [
        sandbox.sipp_path, f"{sb.sip_host}:{sb.sip_port}", "-sf", scenario,
        "-key", "caller", phone, "-d", str(SIPP_HOLD_MS), "-s", number,
        "-i", "127.0.0.1", "-p", str(sipp_port), "-mp", str(media_port),
        "-m", "2", "-l", "2", "-r", "2",
        "-timeout", "30", "-timeout_error", "-nostdin",
    ]  # fmt: skip
    while time.monotonic() < until:
        stats.runs += 1
        try:
            done = await asyncio.to_thread(sandbox.run_in_chroot, argv, 45.0)
        except Exception:
            stats.failed += 2
            await asyncio.sleep(1.0)
            continue
        counts = {kind: int(n) for kind, n in _SIPP_COUNT.findall(done.stdout)}
        stats.ok += counts.get("Successful", 0)
        stats.failed += counts.get("Failed", 0) if counts else 2
        if done.returncode != 0:
            await asyncio.sleep(1.0)


@dataclass
class ConsoleStats:
    polls: int = 0
    ok: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    # Every HTTP answer the console gave (errors included), for the auditor.
    responses: list[ConsoleResponse] = field(default_factory=list)


BODY_KEPT: Final = 2000


class _Recorded:
    """Opens console pages, recording every HTTP answer (an error's body too)."""

    def __init__(self, opener: urllib.request.OpenerDirector, stats: ConsoleStats) -> None:
        self.opener = opener
        self.stats = stats

    def open(self, url: str, data: bytes | None = None) -> Any:
        path = urllib.parse.urlsplit(url).path
        try:
            response = self.opener.open(url, data=data, timeout=10)
        except urllib.error.HTTPError as exc:
            body = exc.read(BODY_KEPT).decode(errors="replace")
            self.stats.responses.append(ConsoleResponse(time.time(), path, exc.code, body))
            raise
        self.stats.responses.append(ConsoleResponse(time.time(), path, response.status, ""))
        return response


def _console_session(base: str, name: str, password: str, stats: ConsoleStats) -> _Recorded:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    pages = _Recorded(opener, stats)
    with pages.open(f"{base}/login") as page:
        html = page.read().decode()
    token = re.search(r'name="csrf_token" value="([^"]*)"', html)
    form = {"name": name, "password": password, "csrf_token": token.group(1) if token else ""}
    data = urllib.parse.urlencode(form).encode()
    with pages.open(f"{base}/login", data=data) as done:
        done.read()
    return pages


def _poll_once(base: str, pages: _Recorded) -> str:
    """'' when the live wallboard (page and one stream event) answered, else what failed."""
    with pages.open(f"{base}/wallboard?test=true") as page:
        if "/login" in page.geturl():
            return "logged out"
        page.read()
    with pages.open(f"{base}/wallboard/stream?test=true") as stream:
        for line in stream:
            if line.startswith(b"data:"):
                return ""
    return "stream ended"


async def console_poller(
    base: str, name: str, password: str, until: float, stats: ConsoleStats
) -> None:
    pages: _Recorded | None = None
    while time.monotonic() < until:
        stats.polls += 1
        try:
            if pages is None:
                pages = await asyncio.to_thread(_console_session, base, name, password, stats)
            problem = await asyncio.to_thread(_poll_once, base, pages)
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
        except (OSError, urllib.error.URLError, http.client.HTTPException) as exc:
            # HTTPException: a console restarted mid-answer (IncompleteRead) ended an hour's
            # soak at 40 minutes; it is one failed poll like a refused connection.
            problem = type(exc).__name__
        if problem:
            stats.failed[problem] += 1
            pages = None
        else:
            stats.ok += 1
        await asyncio.sleep(1.0)


LAG_WALL: Final = "hotline_event_loop_lag_seconds"
LAG_OWN: Final = "hotline_event_loop_own_lag_seconds"
_DROPPED = re.compile(r"^hotline_ami_events_dropped_total ([0-9.e+]+)$", re.M)


def lag_buckets(metrics: str, name: str = LAG_WALL) -> list[tuple[float, float]]:
    """A loop-lag histogram: (bound, cumulative count), +Inf last."""
    pattern = re.compile(rf'^{name}_bucket\{{le="([^"]+)"\}} ([0-9.e+]+)$', re.M)
    return [(float(bound), float(count)) for bound, count in pattern.findall(metrics)]


def max_lag_since(
    now: list[tuple[float, float]], baseline: list[tuple[float, float]]
) -> float | None:
    """The smallest bucket bound holding every loop-lag observation made since ``baseline``
    (an earlier scrape of the same process); None if none was made."""
    before = dict(baseline)
    total = now[-1][1] - before.get(now[-1][0], 0.0) if now else 0.0
    if total <= 0:
        return None
    for bound, cumulative in now:
        if cumulative - before.get(bound, 0.0) >= total:
            return bound
    return float("inf")


def dropped_events(metrics: str) -> float:
    found = _DROPPED.search(metrics)
    return float(found.group(1)) if found else 0.0


@dataclass
class MetricsSamples:
    lag: list[float] = field(default_factory=list)  # wall: what the callers saw
    own_lag: list[float] = field(default_factory=list)  # less the waits for a CPU
    dropped: list[float] = field(default_factory=list)


async def sample_metrics(port: int, until: float, samples: MetricsSamples) -> None:
    """Every 2 s: the engine's worst loop lag since the previous scrape of the same process,
    as the callers saw it and its own part (a process's first scrape is its baseline: the lag
    while it started, before it served calls, is not the callers'), and its count of dropped
    AMI events."""
    from bench.soak.inject import scrape

    baseline: dict[str, list[tuple[float, float]]] = {}
    while time.monotonic() < until:
        text = await asyncio.to_thread(scrape, port)
        if text:
            for name, found in ((LAG_WALL, samples.lag), (LAG_OWN, samples.own_lag)):
                now, before = lag_buckets(text, name), baseline.get(name, [])
                restarted = not before or (now and now[-1][1] < before[-1][1])
                if not restarted:
                    lag = max_lag_since(now, before)
                    if lag is not None:
                        found.append(lag)
                baseline[name] = now
            samples.dropped.append(dropped_events(text))
        await asyncio.sleep(2.0)
