"""Who is calling: the account, by caller ID or by the number typed on the keypad.

A caller ID registered for exactly one account is confirmed by the account's last digits
(1 yes, 2 type another number); one registered for several (up to four) offers them by their
last digits, one key each (R-069).  Otherwise the caller types the account number and ``#``,
hears it read back and confirms with 1 or re-enters with 2.  Wrong lengths, unknown numbers,
silence and unexpected keys are failures; after ``accounts.identify_attempts`` of them the
caller goes to an operator.  ``0`` reaches the operator at any question.
"""

from __future__ import annotations

import logging
from typing import Final

from hotline.core.keys import CONFIRM_KEY
from hotline.core.logs import mask_account
from hotline.core.phones import mask_phone
from hotline.dialplan.names import OperatorReason
from hotline.settings import Settings
from hotline.speech import russian
from hotline.store.accounts import AccountRecord, AccountStore
from ivr import prompts
from ivr.call import IvrCall
from ivr.dialog import Next, Outcome, ReadBack, question, read_back

log = logging.getLogger(__name__)

LAST_DIGITS: Final = 4
# A caller ID with up to this many accounts gets a choice (R-069: 4 options per level);
# with more, the caller types the number.
MAX_CHOICES: Final = 4
# Digits GET DATA accepts beyond the expected length, so a too long number is noticed
# (and refused) instead of being cut off.
EXTRA_DIGITS: Final = 4


async def identify(
    call: IvrCall, accounts: AccountStore, settings: Settings
) -> AccountRecord | Outcome:
    """The caller's account, or where the call goes instead (the operator)."""
    if call.account is not None:
        known = await accounts.get(call.account)
        if known is not None:
            return known
    await call.enter("identify")
    timeout = settings.ivr.input_timeout
    operator_key = settings.ivr.operator_key
    caller = call.agi.env.callerid
    if caller:
        numbers = await accounts.numbers_for_phone(caller)
        if len(numbers) == 1:
            account = await accounts.get(numbers[0])
            if account is not None:
                key = await question(
                    call,
                    timeout,
                    prompts.ACCOUNT_ENDS_WITH,
                    russian.digits(account.number[-LAST_DIGITS:]),
                    prompts.ACCOUNT_CONFIRM_FOUND,
                )
                if key == CONFIRM_KEY:
                    return await _identified(call, account, "caller_id")
                if key == operator_key:
                    return Outcome(Next.OPERATOR, OperatorReason.MENU)
        elif 1 < len(numbers) <= MAX_CHOICES:
            chosen = await _choose(call, accounts, numbers, timeout)
            if chosen is not None:
                return await _identified(call, chosen, "caller_id_choice")
        elif numbers:
            log.info("caller %s has %d accounts: asking", mask_phone(caller), len(numbers))
    length = settings.accounts.account_digits
    attempts = settings.accounts.identify_attempts
    failures = rounds = 0
    # Re-entries by choice are not failures, but are bounded too.
    while failures < attempts and rounds < 2 * attempts:
        rounds += 1
        await call.enter("identify.enter")
        typed = await call.ask(prompts.ACCOUNT_ENTER, timeout, length + EXTRA_DIGITS)
        if typed == operator_key:
            return Outcome(Next.OPERATOR, OperatorReason.MENU)
        if typed in ("", "#"):
            failures += 1
            continue
        if len(typed) != length or not typed.isdigit():
            failures += 1
            await call.play(prompts.ACCOUNT_WRONG_LENGTH)
            continue
        answer = await read_back(call, timeout, russian.account(typed), operator_key)
        if answer is ReadBack.OPERATOR:
            return Outcome(Next.OPERATOR, OperatorReason.MENU)
        if answer is not ReadBack.CONFIRMED:
            failures += answer is ReadBack.UNCLEAR  # typing it again is no failure
            continue
        account = await accounts.get(typed)
        if account is None:
            log.info("account %s not found", mask_account(typed))
            failures += 1
            await call.play(prompts.ACCOUNT_NOT_FOUND)
            continue
        return await _identified(call, account, "typed")
    await call.play(prompts.TOO_MANY_ATTEMPTS)
    return Outcome(Next.OPERATOR, OperatorReason.NOT_IDENTIFIED, announce=False)


async def _choose(
    call: IvrCall, accounts: AccountStore, numbers: list[str], wait_seconds: float
) -> AccountRecord | None:
    """ "For the account ending in 0001 press 1, ..."; None (type the number) on any other key
    or silence."""
    await call.enter("identify.choose")
    parts: list[str | russian.Phrase] = []
    for index, number in enumerate(numbers, 1):
        parts += [
            prompts.ACCOUNT_CHOOSE,
            russian.digits(number[-LAST_DIGITS:]),
            prompts.ACCOUNT_CHOOSE_PRESS,
            russian.number(index),
        ]
    key = await question(call, wait_seconds, *parts)
    if key is None or not key.isdigit() or not 1 <= int(key) <= len(numbers):
        return None
    return await accounts.get(numbers[int(key) - 1])


async def _identified(call: IvrCall, account: AccountRecord, how: str) -> AccountRecord:
    log.info("caller identified as account %s (%s)", mask_account(account.number), how)
    await call.identified(account.number, how)
    return account
