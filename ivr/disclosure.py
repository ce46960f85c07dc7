"""Who may hear money by phone (``accounts.money_disclosure``; issue 14, M1).

Caller ID comes from the carrier's From header and is easy to spoof, so it alone never lets
a caller hear an account's balance, debt, due date or last payment:

* ``none``: identification is enough (caller ID confirmed with 1, or a typed number);
* ``account_digits``: a caller identified by caller ID also types the last
  ``accounts.money_digits`` digits of the account, which are printed on the bill and never
  read out in full (the IVR reads only the last four); a typed full account number counts;
* ``pin``: every caller types the PIN imported from billing (stored as an argon2 hash).

Wrong answers are bounded by ``accounts.money_attempts``; then, or when the operator key is
pressed, the call goes to an operator.  Meter readings do not pass through here: they stay
allowed on caller ID and a confirmed account (seeds 003, 004).
"""

from __future__ import annotations

import hmac
from enum import StrEnum
from typing import Final

from hotline.dialplan.names import OperatorReason
from hotline.settings import Settings
from hotline.speech import russian
from hotline.store.accounts import AccountRecord, AccountStore
from ivr import prompts
from ivr.call import IvrCall
from ivr.dialog import Next, Outcome

TYPED: Final = "typed"  # identify()'s name for a typed, confirmed full account number
PIN_MAX_DIGITS: Final = 12


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


async def may_hear_money(
    call: IvrCall, account: AccountRecord, accounts: AccountStore, settings: Settings
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
    for _attempt in range(conf.money_attempts):
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
        if typed.isdigit() and await _holds(factor, account, accounts, typed, conf.money_digits):
            call.money_verified = True
            await call.enter("money.verified")
            return None
        await call.play(prompts.MONEY_WRONG)
    await call.play(prompts.MONEY_BY_OPERATOR)
    return Outcome(Next.OPERATOR, OperatorReason.NOT_IDENTIFIED)


async def _holds(
    factor: Factor, account: AccountRecord, accounts: AccountStore, typed: str, digits: int
) -> bool:
    if factor is Factor.PIN:
        return await accounts.verify_pin(account.number, typed)
    wanted = account.number[-min(digits, len(account.number)) :]
    return hmac.compare_digest(typed.encode(), wanted.encode())
