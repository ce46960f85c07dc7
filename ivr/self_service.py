"""The menu's self-service actions (meter readings, balance): identify the caller, then run
the action's flow.  MenuFlow hands these actions here and acts on the returned Outcome.
Money is said only to a caller who passed ``accounts.money_disclosure`` (ivr.disclosure);
readings need the identified account only."""

from __future__ import annotations

from hotline.core.clock import Clock, utc_now
from hotline.settings import Settings
from hotline.store.accounts import AccountStore, ReadingStore
from ivr.balance import tell_balance
from ivr.call import IvrCall
from ivr.dialog import Outcome
from ivr.disclosure import may_hear_money
from ivr.identify import identify
from ivr.menu.model import Action
from ivr.readings import take_readings


class SelfService:
    ACTIONS = frozenset({Action.METER_READINGS, Action.ACCOUNT_BALANCE})

    def __init__(
        self,
        settings: Settings,
        accounts: AccountStore,
        readings: ReadingStore,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._settings = settings
        self._accounts = accounts
        self._readings = readings
        self._clock = clock

    async def run(self, call: IvrCall, action: Action) -> Outcome:
        if action not in self.ACTIONS:
            raise ValueError(f"not a self-service action: {action}")
        found = await identify(call, self._accounts, self._settings)
        if isinstance(found, Outcome):
            return found
        if action is Action.METER_READINGS:
            return await take_readings(call, found, self._readings, self._settings, self._clock)
        refused = await may_hear_money(call, found, self._accounts, self._settings, self._clock)
        if refused is not None:
            return refused
        return await tell_balance(call, found, self._readings)
