"""Who may hear money by phone (``accounts.money_disclosure``; issue 14, M1).

Caller ID comes from the carrier's From header and is easy to spoof, so it alone never lets
a caller hear an account's balance, debt, due date or last payment:

* ``none``: identification is enough (caller ID confirmed with 1, or a typed number);
* ``account_digits``: a caller identified by caller ID also types the last
  ``accounts.money_digits`` digits of the account, which are printed on the bill and never
  read out in full (the IVR reads only the last four); a typed full account number counts;
* ``pin``: every caller types the PIN imported from billing (stored as an argon2 hash).

Wrong answers are bounded by ``accounts.money_attempts`` in a call, and across calls by
``accounts.money_lockout_failures`` per account and per caller ID within
``accounts.money_lockout_minutes`` (counted atomically in the store, like console log-ins, so
parallel calls cannot race it); then, or when the operator key is pressed, the call goes to an
operator.  Meter readings do not pass through here: they stay
allowed on caller ID and a confirmed account (seeds 003, 004).
"""

from __future__ import annotations

import contextlib
import hmac
from datetime import timedelta
from enum import StrEnum
from typing import Final

from hotline.core.clock import Clock, utc_now
from hotline.core.phones import phone_digits
from hotline.dialplan.names import OperatorReason
from hotline.settings import Settings
from hotline.speech import russian
from hotline.store.accounts import AccountRecord, AccountStore
from hotline.store.login_throttles import LoginThrottleStore, Reservation
from ivr import prompts
from ivr.call import IvrCall
from ivr.dialog import Next, Outcome

TYPED: Final = "typed"  # identify()'s name for a typed, confirmed full account number
PIN_MAX_DIGITS: Final = 12
# Keys of the money factor's failure counters (beside the console's log-in keys).
ACCOUNT_KEY: Final = "money-account:"
CALLER_KEY: Final = "money-caller:"


class Factor(StrEnum):
    ACCOUNT_DIGITS = "account_digits"
    PIN = "pin"


def factor_needed(mode: str, identified_by: str | None, verified: bool) -> Factor | None:
    """What the caller still has to prove before hearing money; None when nothing."""
    if mode == "none" or verified:
        return None
    if mode == "pin":
        return Factor.PIN
    if mode == "account_digits":
        # The full number is on the bill: typing it shows the caller holds it.  Caller ID
        # (one account or a choice among several) shows nothing.
        return None if identified_by == TYPED else Factor.ACCOUNT_DIGITS
    raise ValueError(f"unknown accounts.money_disclosure {mode!r}")


class FailureLimits:
    """Wrong answers to the money factor counted per account and per caller ID across calls."""

    def __init__(
        self, accounts: AccountStore, settings: Settings, number: str, callerid: str | None,
        clock: Clock = utc_now,
    ) -> None:  # fmt: skip
        self._store = LoginThrottleStore(accounts.db)
        self._conf = settings.accounts
        self._clock = clock
        self.keys = [ACCOUNT_KEY + number]
        # No caller ID (anonymous): the account's counter alone.
        with contextlib.suppress(ValueError):
            self.keys.append(CALLER_KEY + phone_digits(callerid or ""))

    async def locked(self) -> bool:
        now = self._clock()
        for key in self.keys:
            until = await self._store.locked_until(key)
            if until is not None and until > now:
                return True
        return False

    async def reserve(self) -> list[Reservation] | None:
        """Count one guess on every key before it is checked; None when a key is locked."""
        now = self._clock()
        span = timedelta(minutes=self._conf.money_lockout_minutes)
        taken: list[Reservation] = []
        for key in self.keys:
            got = await self._store.reserve(
                key, self._conf.money_lockout_failures, now, now - span, now + span
            )
            if not got.granted:
                for reservation in taken:
                    await self._store.release(reservation, forget_failures=False)
                return None
            taken.append(got)
        return taken

    async def succeeded(self, taken: list[Reservation]) -> None:
        for reservation in taken:
            await self._store.release(reservation, forget_failures=True)


async def may_hear_money(
    call: IvrCall,
    account: AccountRecord,
    accounts: AccountStore,
    settings: Settings,
    clock: Clock = utc_now,
) -> Outcome | None:
    """None when the caller may hear the account's money; else where the call goes."""
    conf = settings.accounts
    factor = factor_needed(conf.money_disclosure, call.identified_by, call.money_verified)
    if factor is None:
        return None
    await call.enter(f"money.{factor}")
    operator_key = settings.ivr.operator_key
    timeout = settings.ivr.input_timeout
    if factor is Factor.PIN and not await accounts.has_pin(account.number):
        await call.play(prompts.MONEY_PIN_MISSING)
        await call.play(prompts.MONEY_BY_OPERATOR)
        return Outcome(Next.OPERATOR, OperatorReason.NOT_IDENTIFIED)
    limits = FailureLimits(accounts, settings, account.number, call.agi.env.callerid, clock)
    for _attempt in range(conf.money_attempts):
        if await limits.locked():
            return await _locked_out(call)
        if factor is Factor.PIN:
            typed = await call.ask(prompts.MONEY_PIN_ENTER, timeout, PIN_MAX_DIGITS, secret=True)
        else:
            wanted = min(conf.money_digits, len(account.number))
            await call.play(prompts.MONEY_DIGITS_ENTER)
            await call.say(russian.number(wanted, "f"))
            typed = await call.ask(
                prompts.MONEY_DIGITS_ENTER_END, timeout, wanted + 1, secret=True
            )
        if typed == operator_key:
            return Outcome(Next.OPERATOR, OperatorReason.MENU)
        if typed.isdigit():  # a guess: counted before it is checked (silence is not one)
            taken = await limits.reserve()
            if taken is None:
                return await _locked_out(call)
            if await _holds(factor, account, accounts, typed, conf.money_digits):
                await limits.succeeded(taken)
                call.money_verified = True
                await call.enter("money.verified")
                return None
        await call.play(prompts.MONEY_WRONG)
    await call.play(prompts.MONEY_BY_OPERATOR)
    return Outcome(Next.OPERATOR, OperatorReason.NOT_IDENTIFIED)


async def _locked_out(call: IvrCall) -> Outcome:
    """Too many wrong answers for this account or from this number lately: not asked again,
    the operator tells the balance."""
    await call.enter("money.locked")
    await call.play(prompts.MONEY_BY_OPERATOR)
    return Outcome(Next.OPERATOR, OperatorReason.NOT_IDENTIFIED)


async def _holds(
    factor: Factor, account: AccountRecord, accounts: AccountStore, typed: str, digits: int
) -> bool:
    if factor is Factor.PIN:
        return await accounts.verify_pin(account.number, typed)
    wanted = account.number[-min(digits, len(account.number)) :]
    return hmac.compare_digest(typed.encode(), wanted.encode())
