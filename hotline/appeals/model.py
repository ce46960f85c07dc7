"""The appeal register's rules, pure: the status transition table (R-120, R-122), the
classifier (R-113, R-121, R-149), reply channels with their fallbacks (R-117)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from hotline.settings import AppealSettings
from hotline.store.enums import AppealChannel, AppealStatus, ReplyChannel

S = AppealStatus

# Which status may follow which.  Answered -> reopened is the customer rejecting the solution
# the complaint stays open); closed without consideration is reachable until answered.
TRANSITIONS: Final[Mapping[AppealStatus, frozenset[AppealStatus]]] = MappingProxyType(
    {
        S.REGISTERED: frozenset({S.HANDED_OVER, S.IN_PROGRESS, S.ANSWERED, S.NOT_CONSIDERED}),
        S.HANDED_OVER: frozenset({S.HANDED_OVER, S.IN_PROGRESS, S.ANSWERED, S.NOT_CONSIDERED}),
        S.IN_PROGRESS: frozenset({S.HANDED_OVER, S.ANSWERED, S.NOT_CONSIDERED}),
        S.ANSWERED: frozenset({S.CLOSED, S.REOPENED}),
        S.CLOSED: frozenset({S.REOPENED}),
        S.REOPENED: frozenset({S.HANDED_OVER, S.IN_PROGRESS, S.ANSWERED, S.NOT_CONSIDERED}),
        S.NOT_CONSIDERED: frozenset({S.REOPENED}),
    }
)


class NotConsidered(StrEnum):
    """Why an appeal is closed without consideration on its merits (R-122)."""

    OFFENSIVE = "offensive"  # obscene or offensive language, threats
    ILLEGIBLE = "illegible"  # the customer is told within 7 days ([003])
    REPEATED = "repeated"  # answered before, no new arguments
    NO_CONTACT = "no_contact"  # no contact data to answer to
    SECRET = "secret"  # cannot be answered without disclosing protected secrets
    UNCLEAR = "unclear"  # the substance cannot be determined ([003]: told within 7 days)


class AppealError(ValueError):
    """A request the register refuses; the message says why."""


def check_move(current: AppealStatus, to: AppealStatus) -> None:
    """AppealError when ``to`` may not follow ``current``."""
    if to not in TRANSITIONS[current]:
        raise AppealError(f"an appeal that is {current.value} cannot become {to.value}")


@dataclass(frozen=True)
class Classification:
    category: str
    topic: str
    unit: str  # who must act
    urgency: str
    trust: bool  # restricted, straight to the Security Service


def classify(
    settings: AppealSettings, category: str, topic: str, urgency: str | None = None
) -> Classification:
    """Check ``category`` and ``topic`` against the classifier and pick the unit."""
    if category not in settings.categories:
        raise AppealError(
            f"unknown category {category!r}; one of {', '.join(settings.categories)}"
        )
    found = settings.topics.get(topic)
    if found is None:
        raise AppealError(f"unknown topic {topic!r}; one of {', '.join(settings.topics)}")
    chosen = urgency or settings.urgencies[-1]
    if chosen not in settings.urgencies:
        raise AppealError(f"unknown urgency {chosen!r}; one of {', '.join(settings.urgencies)}")
    return Classification(category, topic, found.unit, chosen, topic == settings.trust_topic)


def trust_unit(settings: AppealSettings) -> str:
    return settings.topics[settings.trust_topic].unit


# The channel an appeal came by, as a reply channel ("the same way it came in", R-117).
_SAME_WAY: Final[Mapping[AppealChannel, ReplyChannel]] = MappingProxyType(
    {
        AppealChannel.IVR: ReplyChannel.PHONE,
        AppealChannel.OPERATOR: ReplyChannel.PHONE,
        AppealChannel.VOICEMAIL: ReplyChannel.PHONE,
        AppealChannel.CALLBACK: ReplyChannel.PHONE,
        AppealChannel.OUTBOUND: ReplyChannel.PHONE,
        AppealChannel.EMAIL: ReplyChannel.EMAIL,
    }
)


def reply_order(
    settings: AppealSettings, preferred: ReplyChannel, came_by: AppealChannel
) -> tuple[ReplyChannel, ...]:
    """R-117: the customer's channel, else the way the appeal came in, else one that proves
    delivery (``appeals.reply_fallbacks``); each once."""
    order: list[ReplyChannel] = []
    for channel in (preferred, _SAME_WAY[came_by], *map(ReplyChannel, settings.reply_fallbacks)):
        if channel not in order:
            order.append(channel)
    return tuple(order)


def mask(value: str | None) -> str | None:
    """Personal data as a role without the right sees it (R-139): the last two characters."""
    if not value:
        return value
    return "•" * max(len(value) - 2, 1) + value[-2:] if len(value) > 2 else "•" * len(value)
