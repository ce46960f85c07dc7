"""The soak's auditor (issue 21 item 2): invariants checked after the run from the sources
of truth (what each simulated caller heard, Asterisk's own AMI events with its timestamps, the
store, the engine's /metrics).  Each invariant is a pure function over those facts that
returns what it checked and every violation, so each can be tested on a scripted violation."""

from __future__ import annotations

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
