"""The dialer's tables, one module per concern behind the :class:`DialerStore` facade."""

from dialer.repository.claims import SharedCaps
from dialer.repository.errors import (
    CampaignError,
    CampaignNotFound,
    ContactListNotFound,
    ScenarioNotFound,
    TargetNotFound,
)
from dialer.repository.records import AttemptRecord, CampaignRecord, ScenarioRecord, TargetRecord
from dialer.repository.store import DialerStore

__all__ = [
    "AttemptRecord",
    "CampaignError",
    "CampaignNotFound",
    "CampaignRecord",
    "ContactListNotFound",
    "DialerStore",
    "ScenarioNotFound",
    "ScenarioRecord",
    "SharedCaps",
    "TargetNotFound",
    "TargetRecord",
]
