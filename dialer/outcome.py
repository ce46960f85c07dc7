"""Positive or negative: the verdict on one attempt from what Asterisk and the playback said.
Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from dialer.model import PositiveRule, Reason, Result
from hotline.dialplan.names import AmdStatus

# OriginateResponse "Reason" (Asterisk's AST_CONTROL_* of the failed dial).
ORIGINATE_HANGUP: Final = "1"
ORIGINATE_NO_ANSWER: Final = "3"
ORIGINATE_ANSWERED: Final = "4"
ORIGINATE_BUSY: Final = "5"
ORIGINATE_CONGESTION: Final = "8"

# Q.850 hang-up causes that say the number itself is wrong.
INVALID_NUMBER_CAUSES: Final = frozenset({1, 2, 3, 22, 28})
BUSY_CAUSES: Final = frozenset({17})
NO_ANSWER_CAUSES: Final = frozenset({18, 19})


def unanswered_reason(originate_reason: str | None, cause: int | None) -> Reason:
    """Why a call that never answered failed: the hang-up cause is more specific than the
    Originate's reason (a carrier rejecting a number says "unallocated", not just "hangup")."""
    if cause in INVALID_NUMBER_CAUSES:
        return Reason.INVALID_NUMBER
    if originate_reason == ORIGINATE_BUSY or cause in BUSY_CAUSES:
        return Reason.BUSY
    if originate_reason == ORIGINATE_NO_ANSWER or cause in NO_ANSWER_CAUSES:
        return Reason.NO_ANSWER
    return Reason.FAILED


@dataclass(frozen=True)
class Playback:
    """What happened once the callee answered."""

    key_played: bool
    confirmed: bool
    transferred: bool
    # AMD said an answering machine answered.
    machine: bool = False
    # A survey: ``key_played`` says every question on the callee's path was answered.
    survey: bool = False
    # A progressive campaign (issue 22 item 2): whether an operator took the callee.
    progressive: bool = False
    operator: bool = False


def is_machine(amd_status: str | None) -> bool:
    """AMDSTATUS as the verdict: only MACHINE is a machine.  NOTSURE (and no AMD at all) plays
    the message as to a person: a person wrongly hung up on is worse than a message played
    to a machine, which the positive rule still judges."""
    return (amd_status or "").strip().upper() == AmdStatus.MACHINE


def answered_verdict(rule: PositiveRule, playback: Playback) -> tuple[Result, Reason]:
    """``rule`` is the effective rule (never AUTO).  An answering machine is negative
    whatever the rule: with the message left on it, "left_on_machine", else "machine"."""
    if playback.machine:
        if playback.key_played:
            return Result.NEGATIVE, Reason.LEFT_ON_MACHINE
        return Result.NEGATIVE, Reason.MACHINE
    if playback.progressive:
        if playback.operator:
            return Result.POSITIVE, Reason.OPERATOR_TALKED
        return Result.NEGATIVE, Reason.ABANDONED
    if playback.survey:
        if playback.key_played:
            return Result.POSITIVE, Reason.SURVEY_COMPLETED
        if playback.transferred:
            return Result.NEGATIVE, Reason.TRANSFERRED
        return Result.NEGATIVE, Reason.SURVEY_INCOMPLETE
    if rule is PositiveRule.ANSWERED:
        return Result.POSITIVE, Reason.ANSWERED
    if rule is PositiveRule.CONFIRMATION:
        if playback.confirmed:
            return Result.POSITIVE, Reason.CONFIRMED
        if playback.transferred:
            return Result.NEGATIVE, Reason.TRANSFERRED
        if not playback.key_played:
            return Result.NEGATIVE, Reason.HUNG_UP_EARLY
        return Result.NEGATIVE, Reason.NO_CONFIRMATION
    if playback.key_played:
        return Result.POSITIVE, Reason.DELIVERED
    if playback.transferred:
        return Result.NEGATIVE, Reason.TRANSFERRED
    return Result.NEGATIVE, Reason.HUNG_UP_EARLY


def parse_cause(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
