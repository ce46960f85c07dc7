"""The menu's self-service actions (meter readings, balance): identify the caller, then run
the action's flow.  MenuFlow hands these actions here and acts on the returned Outcome.
Money is said only to a caller who passed ``accounts.money_disclosure`` (ivr.disclosure);
readings need the identified account only."""

from __future__ import annotations

from hotline.core.clock import Clock, utc_now
from hotline.dialplan.names import OperatorReason
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.accounts import AccountStore, ReadingStore
from ivr.balance import tell_balance
from ivr.call import IvrCall
from ivr.dialog import Next, Outcome
from ivr.disclosure import may_hear_money
from ivr.identify import identify
from ivr.menu.model import Action
from ivr.outage_notice import AccountOutageSource, announce
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
        outages: AccountOutageSource | None = None,
        library: PromptLibrary | None = None,
    ) -> None:
        self._settings = settings
        self._outages = outages
        self._library = library
        self._accounts = accounts
        self._readings = readings
        self._clock = clock

    async def run(self, call: IvrCall, action: Action) -> Outcome:
        if action not in self.ACTIONS:
            raise ValueError(f"not a self-service action: {action}")
        found = await identify(call, self._accounts, self._settings)
        if isinstance(found, Outcome):
            return found
        asked = await self._outage(call, found.number)
        if asked is not None:
            return asked
        if action is Action.METER_READINGS:
            return await take_readings(call, found, self._readings, self._settings, self._clock)
        refused = await may_hear_money(call, found, self._accounts, self._settings, self._clock)
        if refused is not None:
            return refused
        return await tell_balance(call, found, self._readings)

    async def _outage(self, call: IvrCall, account: str) -> Outcome | None:
        """R-097, R-032: a caller identified here (by the typed number) who has not heard the
        outage at their address hears it now; the dispatcher key reaches the dispatcher."""
        if self._outages is None or self._library is None or call.outage_heard:
            return None
        found = await self._outages(account)
        if found is None:
            return None
        digit = await announce(call, found, self._library, self._settings)
        if digit != self._settings.outages.dispatcher_key:
            return None
        return Outcome(Next.OPERATOR, OperatorReason.OUTAGE, queue=self._settings.outages.queue)
