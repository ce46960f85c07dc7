"""The dialer's tables, one module per concern behind the :class:`DialerStore` facade."""

from dialer.repository.errors import (
    CampaignError,
    CampaignNotFound,
    ContactListNotFound,
    ScenarioNotFound,
    TargetNotFound,
)
from dialer.repository.records import Attempt, CampaignInfo, ScenarioVersion, Target
from dialer.repository.store import DialerStore

__all__ = [
    "Attempt",
    "CampaignError",
    "CampaignInfo",
    "CampaignNotFound",
    "ContactListNotFound",
    "DialerStore",
    "ScenarioNotFound",
    "ScenarioVersion",
    "Target",
    "TargetNotFound",
]
