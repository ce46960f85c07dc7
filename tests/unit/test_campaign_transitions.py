"""The campaign state machine's table: what each action allows, and how it refuses."""

from __future__ import annotations

import pytest

from dialer.model import CampaignState
from dialer.repository import CampaignError
from dialer.repository.campaigns import TRANSITIONS, Action, after, allowed_from


def test_the_table_is_the_lifecycle() -> None:
    assert after(CampaignState.DRAFT, Action.APPROVE, "c") is CampaignState.APPROVED
    assert after(CampaignState.APPROVED, Action.START, "c") is CampaignState.RUNNING
    assert after(CampaignState.RUNNING, Action.PAUSE, "c") is CampaignState.PAUSED
    assert after(CampaignState.PAUSED, Action.RESUME, "c") is CampaignState.RUNNING
    # A new list takes the approval away; rules change in place.
    assert after(CampaignState.APPROVED, Action.ATTACH_LIST, "c") is CampaignState.DRAFT
    assert after(CampaignState.RUNNING, Action.CHANGE_RULES, "c") is CampaignState.RUNNING
    assert allowed_from(Action.STOP) == {
        CampaignState.APPROVED,
        CampaignState.RUNNING,
        CampaignState.PAUSED,
    }
    assert allowed_from(Action.FINISH) == {CampaignState.RUNNING}
    # Nothing leaves a stopped or finished campaign.
    ended = (CampaignState.STOPPED, CampaignState.FINISHED)
    assert not [key for key in TRANSITIONS if key[0] in ended]


@pytest.mark.parametrize(
    ("state", "action", "message"),
    [
        (CampaignState.DRAFT, Action.PAUSE, "cannot pause campaign 'c': it is draft"),
        (CampaignState.STOPPED, Action.CHANGE_RULES, "cannot change campaign 'c': it is stopped"),
        (CampaignState.RUNNING, Action.START, "campaign 'c' is running: only an approved"),
        (CampaignState.RUNNING, Action.ATTACH_LIST, "campaign 'c' is running: its list is fixed"),
    ],
)
def test_refusals_name_the_state(state: CampaignState, action: Action, message: str) -> None:
    with pytest.raises(CampaignError, match=message):
        after(state, action, "c")
