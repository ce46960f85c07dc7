"""The soak's auditor (issue 21 item 2): invariants checked after the run from the sources
of truth (what each simulated caller heard, Asterisk's own AMI events with its timestamps, the
store, the engine's /metrics).  Each invariant is a pure function over those facts that
returns what it checked and every violation, so each can be tested on a scripted violation."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

DEAD_AIR_LIMIT: Final = 2.0  # seconds from answer to the first prompt or the queue


@dataclass
class Verdict:
    name: str
    checked: int = 0
    violations: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def held(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class HeardReading:
    """A caller heard «принято» for this value on this call."""

    uniqueid: str
    account: str
    value: int


@dataclass(frozen=True)
class StoredReading:
    account: str
    value: int
    uniqueid: str | None  # the call it came in on (None: not a call)


def readings_stored_once(
    heard: Iterable[HeardReading], stored: Iterable[StoredReading]
) -> Verdict:
    """Every reading a caller was told was accepted is stored, exactly once."""
    verdict = Verdict("readings heard as accepted are stored exactly once")
    counts = Counter((r.account, r.value) for r in stored)
    for reading in heard:
        verdict.checked += 1
        found = counts[(reading.account, reading.value)]
        if found != 1:
            verdict.violations.append(
                f"call {reading.uniqueid}: {reading.value} heard as accepted, stored {found} times"
            )
    per_call = Counter((r.uniqueid, r.account, r.value) for r in stored if r.uniqueid)
    for (uniqueid, _account, value), found in per_call.items():
        if found > 1:
            verdict.violations.append(f"call {uniqueid}: {value} stored {found} times")
    return verdict


@dataclass(frozen=True)
class CallTiming:
    """One answered channel, from Asterisk's event timestamps (seconds since the epoch)."""

    uniqueid: str
    answered: float
    first_audio: float | None  # a prompt, music on hold or the queue
    hung_up: float | None


@dataclass(frozen=True)
class Window:
    """[start, end]: a fault that takes the telephony itself away (Asterisk down)."""

    start: float
    end: float

    def covers(self, moment: float) -> bool:
        return self.start <= moment <= self.end


def merged(windows: Iterable[Window]) -> list[Window]:
    """Overlapping windows as one: an engine stopped and, as soon as it served again (before
    its first reconciliation round), killed saw nothing from the first going away to the
    second coming back (issue 21: a call spanning the two was reported, each window judged
    on its own)."""
    joined: list[Window] = []
    for window in sorted(windows, key=lambda w: w.start):
        if joined and window.start <= joined[-1].end:
            joined[-1] = Window(joined[-1].start, max(joined[-1].end, window.end))
        else:
            joined.append(window)
    return joined


def no_dead_air(
    calls: Iterable[CallTiming],
    limit: float = DEAD_AIR_LIMIT,
    excused: Iterable[Window] = (),
) -> Verdict:
    """Every answered caller heard a prompt or the queue within ``limit`` seconds, unless they
    hung up sooner or Asterisk itself went away meanwhile (``excused``)."""
    verdict = Verdict(f"every answered caller hears a prompt or the queue within {limit:g} s")
    windows = list(excused)
    for call in calls:
        if any(w.covers(call.answered) or w.covers(call.answered + limit) for w in windows):
            continue
        verdict.checked += 1
        if call.first_audio is not None:
            gap = call.first_audio - call.answered
            if gap > limit:
                when = _clock(call.answered)
                verdict.violations.append(
                    f"{call.uniqueid}: {gap:.1f} s of silence after answer at {when}"
                )
        elif call.hung_up is None or call.hung_up - call.answered > limit:
            verdict.violations.append(
                f"{call.uniqueid}: answered at {_clock(call.answered)} and never heard anything"
            )
    return verdict


def _clock(moment: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(moment))


@dataclass(frozen=True)
class CallRow:
    uniqueid: str
    ended: bool


def no_open_calls(rows: Iterable[CallRow], live: set[str]) -> Verdict:
    """After the load, every call-log row whose channel Asterisk no longer has is closed
    (``live``: the uniqueids of the channels Asterisk still has)."""
    verdict = Verdict("every finished call has a closed call-log row")
    for row in rows:
        if row.uniqueid in live:
            continue
        verdict.checked += 1
        if not row.ended:
            verdict.violations.append(f"call {row.uniqueid}: row still open")
    return verdict


def dialled_within_attempts(
    dials: Counter[str], attempts: Counter[str], max_attempts: int
) -> Verdict:
    """Asterisk placed no more calls to a number than the store has attempts for it, and no
    number has more attempts than the campaign's rules allow (no double dial after a fault)."""
    verdict = Verdict("each number dialled at most once per stored attempt, within the rules")
    for phone in sorted(dials.keys() | attempts.keys()):
        verdict.checked += 1
        if dials[phone] > attempts[phone]:
            verdict.violations.append(
                f"{phone}: dialled {dials[phone]} times for {attempts[phone]} attempts"
            )
        if attempts[phone] > max_attempts:
            verdict.violations.append(
                f"{phone}: {attempts[phone]} attempts, the rules allow {max_attempts}"
            )
    return verdict


def within_bound(name: str, samples: Iterable[float], limit: float, unit: str) -> Verdict:
    """Every sample (an event-loop lag, a count of dropped AMI events) within ``limit``."""
    verdict = Verdict(f"{name} within {limit:g} {unit}")
    for index, value in enumerate(samples):
        verdict.checked += 1
        if value > limit:
            verdict.violations.append(f"sample {index}: {name} {value:g} {unit}")
    return verdict


def verdict_table(verdicts: list[Verdict]) -> str:
    lines = []
    for v in verdicts:
        state = "held" if v.held else f"VIOLATED ({len(v.violations)})"
        note = f"  [{v.note}]" if v.note else ""
        lines.append(f"  {state:<16} {v.checked:>6} checked  {v.name}{note}")
        lines += [f"      {line}" for line in v.violations[:10]]
    return "\n".join(lines)


# --- Asterisk's own records (cdr_csv, cel_custom) against the store ---------------------------
@dataclass(frozen=True)
class Cdr:
    """One row of Asterisk's Master.csv (cdr_csv)."""

    uniqueid: str
    channel: str
    dst: str
    start: float  # seconds since the epoch
    disposition: str
    end: float = 0.0  # seconds since the epoch (0: the start)

    @property
    def ended(self) -> float:
        return self.end or self.start


@dataclass(frozen=True)
class Cel:
    """One channel event of cel_custom's Master.csv."""

    event: str
    at: float
    context: str
    exten: str
    channel: str
    uniqueid: str


CHANNEL_START: Final = "CHAN_START"
CDR_RESOLUTION: Final = 1.0  # seconds


def started_in(cels: Iterable[Cel], contexts: frozenset[str]) -> dict[str, Cel]:
    """The channels CEL saw start in one of ``contexts`` (not a Local channel's ``;1`` half,
    the simulator's or dialer's own leg): uniqueid -> its CHAN_START."""
    return {
        c.uniqueid: c
        for c in cels
        if c.event == CHANNEL_START and c.context in contexts and not c.channel.endswith(";1")
    }


def inbound_cdrs_have_call_rows(
    cdrs: Iterable[Cdr],
    inbound: dict[str, Cel],
    call_rows: set[str],
    away: Iterable[Window] = (),
) -> Verdict:
    """Every CDR Asterisk wrote for an inbound call (its channel started in an inbound
    context, per CEL) has a call-log row.  ``away``: windows no engine could see calls (from
    its going away to its serving again, plus its reconciliation's round): a call that began
    and ended within one is listed in the note, not a violation; one that outlived it was
    there for the engine to find."""
    verdict = Verdict("every inbound CDR has a call-log row")
    windows = merged(away)
    seen: set[str] = set()
    unseen: list[str] = []
    for cdr in cdrs:
        if cdr.uniqueid not in inbound or cdr.uniqueid in seen:
            continue
        seen.add(cdr.uniqueid)
        verdict.checked += 1
        if cdr.uniqueid in call_rows:
            continue
        # cdr_csv's times are whole seconds (cut, not rounded): a call that began a moment
        # after the engine went away may read as up to 1 s before.
        began = cdr.start + CDR_RESOLUTION
        if any(w.start <= began and cdr.ended <= w.end for w in windows):
            unseen.append(cdr.uniqueid)
            continue
        verdict.violations.append(
            f"CDR {cdr.uniqueid} ({cdr.disposition}, {_clock(cdr.start)}-{_clock(cdr.ended)}):"
            " no call-log row"
        )
    if unseen:
        verdict.note = f"{len(unseen)} calls while no engine ran: " + ", ".join(unseen[:5])
    return verdict


@dataclass(frozen=True)
class Attempt:
    id: str  # the dialer's channel id for the attempt's call: its CDR's uniqueid
    phone: str  # +7...


def is_campaign_leg(cdr: Cdr, carrier_context: str) -> bool:
    """The dialer's own leg of a campaign call (Local/<number>@<carrier>-...;1)."""
    return (
        cdr.channel.startswith("Local/")
        and f"@{carrier_context}-" in cdr.channel
        and (cdr.channel.endswith(";1"))
    )


def campaign_cdrs_match_attempts(
    cdrs: Iterable[Cdr], attempts: Iterable[Attempt], carrier_context: str
) -> Verdict:
    """Every CDR of a campaign call is a stored attempt's (its uniqueid is the attempt's
    channel id) to that attempt's number, and no number has more such calls than stored
    attempts (a double dial after a fault shows here, whatever the store says)."""
    verdict = Verdict("every campaign CDR is a stored attempt's, none beyond the attempts")
    by_id = {a.id: a for a in attempts}
    stored: Counter[str] = Counter(a.phone for a in by_id.values())
    calls: dict[str, set[str]] = {}
    for cdr in cdrs:
        if not is_campaign_leg(cdr, carrier_context):
            continue
        # The number from the channel's name: the CDR's destination is "s" once the callee
        # answered and the leg runs the dialer's dialplan.
        phone = "+" + cdr.channel.removeprefix("Local/").split("@", 1)[0]
        if cdr.uniqueid in calls.setdefault(phone, set()):
            continue
        calls[phone].add(cdr.uniqueid)
        verdict.checked += 1
        attempt = by_id.get(cdr.uniqueid)
        if attempt is None:
            verdict.violations.append(
                f"CDR {cdr.uniqueid}: {phone} dialled at {_clock(cdr.start)}, no such attempt"
            )
        elif attempt.phone != phone:
            verdict.violations.append(
                f"CDR {cdr.uniqueid}: {phone} dialled for an attempt to {attempt.phone}"
            )
    for phone, uniqueids in sorted(calls.items()):
        if len(uniqueids) > stored[phone]:
            verdict.violations.append(
                f"{phone}: {len(uniqueids)} CDRs for {stored[phone]} stored attempts"
            )
    return verdict


# --- recordings: files and their index ----------------------------------------------------------
@dataclass(frozen=True)
class RecordingFile:
    path: str
    size: int


@dataclass(frozen=True)
class IndexRow:
    path: str
    started: float  # seconds since the epoch
    purged: bool = False  # its file removed on purpose (retention, or MixMonitor wrote none)


def recordings_indexed(
    files: Iterable[RecordingFile],
    rows: Iterable[IndexRow],
    disk_full: Iterable[Window] = (),
) -> Verdict:
    """Every recording file has its index row and every index row its file.  An index row
    whose file is missing or empty because the disk was full when it started (``disk_full``)
    is what the fault legitimately refused: listed in the note, not a violation."""
    verdict = Verdict("every recording file has its index row and every row its file")
    on_disk = {f.path: f for f in files}
    indexed = {r.path: r for r in rows}
    windows = list(disk_full)
    refused: list[str] = []
    discarded: list[str] = []
    for path in sorted(on_disk.keys() | indexed.keys()):
        verdict.checked += 1
        row, found = indexed.get(path), on_disk.get(path)
        if row is None:
            verdict.violations.append(f"{path}: a file with no index row")
        elif row.purged:
            if found is not None:
                verdict.violations.append(f"{path}: marked purged, file still there")
            else:
                discarded.append(path)
        elif found is None or found.size == 0:
            if any(w.covers(row.started) for w in windows):
                refused.append(path)
                continue
            state = "missing" if found is None else "empty"
            verdict.violations.append(f"{path}: indexed at {_clock(row.started)}, file {state}")
    notes = []
    if refused:
        notes.append(f"{len(refused)} refused by the full disk: " + ", ".join(refused[:5]))
    if discarded:
        notes.append(f"{len(discarded)} unwritten (empty) and discarded by the engine")
    verdict.note = "; ".join(notes)
    return verdict


# --- the audit log ------------------------------------------------------------------------------
def audit_log_contiguous(ids: Iterable[int]) -> Verdict:
    """The audit log's ids run without a gap or a repeat: no entry was lost or removed (the
    project has no hash chain; the database refuses UPDATE and DELETE on the table)."""
    verdict = Verdict("the audit log has no gap")
    ordered = sorted(ids)
    verdict.checked = len(ordered)
    for before, after in itertools.pairwise(ordered):
        if after == before:
            verdict.violations.append(f"id {after} twice")
        elif after != before + 1:
            verdict.violations.append(f"ids {before + 1}..{after - 1} missing")
    return verdict


# --- the console's answers during faults ---------------------------------------------------------
@dataclass(frozen=True)
class ConsoleResponse:
    at: float  # seconds since the epoch
    path: str
    status: int
    body: str  # the start of the body


CONSOLE_RECOVERY: Final = 5.0  # seconds after a console or database fault ends
CLEAR_UNAVAILABLE: Final = 503


def console_errors_explained(
    responses: Iterable[ConsoleResponse], faults: Iterable[Window]
) -> Verdict:
    """No 5xx from the console outside a console or database fault (``faults``, each with its
    recovery allowance already added); during one, only a clear 503 (no traceback)."""
    verdict = Verdict("console: no 5xx outside a fault, a clear 503 during one")
    windows = list(faults)
    for response in responses:
        verdict.checked += 1
        if response.status < 500:
            continue
        when = f"{_clock(response.at)} {response.path}: {response.status}"
        if not any(w.covers(response.at) for w in windows):
            verdict.violations.append(f"{when} outside any fault")
        elif response.status != CLEAR_UNAVAILABLE or "Traceback" in response.body:
            verdict.violations.append(f"{when} during a fault, not a clear 503")
    return verdict
