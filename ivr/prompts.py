"""The catalogue prompts the inbound flow plays itself (ids from prompts/catalogue.yaml);
the menu's own prompts come from the menu file.

The engine checks at start that each id exists in the catalogue and is built, so a typo
or a missing build fails loudly before the first caller, not during a call.
"""

from __future__ import annotations

from typing import Final

from hotline.dialplan.names import PROMPT_RECORDING_NOTICE

GREETING: Final = "ivr.greeting"
GREETING_MORNING: Final = "ivr.greeting.morning"
GREETING_DAY: Final = "ivr.greeting.day"
GREETING_EVENING: Final = "ivr.greeting.evening"
# Named in the dialplan contract: the operator context plays it when the IVR did not.
RECORDING_NOTICE: Final = PROMPT_RECORDING_NOTICE
MAIN_MENU: Final = "ivr.main.short"
INVALID: Final = "ivr.invalid"
NAV_HINT: Final = "ivr.nav.hint"
NO_TONE: Final = "ivr.no_input"
# a current outage at the caller's address (hotline.contact_center.outages).
OUTAGE_INTRO: Final = "ivr.outage.intro"
OUTAGE_RESTORE: Final = "ivr.outage.restore"
OUTAGE_DISPATCHER: Final = "ivr.outage.dispatcher"
GOODBYE: Final = "ivr.goodbye"
SERVICE_UNAVAILABLE: Final = "ivr.service_unavailable"
CONNECTING: Final = "operator.connecting"
OPERATOR_CLOSED: Final = "operator.closed"
CALLBACK_OFFER: Final = "operator.callback.offer_closed"
CALLBACK_OFFER_SILENT: Final = "operator.callback.offer_silent"
CALLBACK_YOUR_NUMBER: Final = "operator.callback.your_number"
CALLBACK_ENTER_NUMBER: Final = "operator.callback.enter_number"
CALLBACK_ACCEPTED: Final = "operator.callback.accepted"
CALLBACK_TAKEN: Final = "operator.callback.taken"
CALLBACK_WHEN: Final = "operator.callback.when"
# Voicemail and appeals (ivr/voicemail.py)
VOICEMAIL_OFFER: Final = "voicemail.offer"
VOICEMAIL_TOPICS: Final = "voicemail.topics"
VOICEMAIL_RECORD: Final = "voicemail.record"
VOICEMAIL_EMPTY: Final = "voicemail.empty"
APPEAL_REGISTERED: Final = "appeal.registered"
APPEAL_DEADLINE: Final = "appeal.deadline"
QUEUE_WAIT: Final = "operator.queue.wait"
QUEUE_STILL_BUSY: Final = "operator.queue.still_busy"
CALLBACK_OFFER_OR_WAIT: Final = "operator.callback.offer"
CONFIRM_OR_REENTER: Final = "common.confirm_or_reenter"
INPUT_FAILED: Final = "common.input_failed"
YOU_ENTERED: Final = "common.you_entered"
TOO_MANY_ATTEMPTS: Final = "common.too_many_attempts"
# Identification (ivr/identify.py)
ACCOUNT_ENTER: Final = "account.enter"
ACCOUNT_ENDS_WITH: Final = "account.ends_with"
ACCOUNT_CONFIRM_FOUND: Final = "account.confirm_found"
ACCOUNT_CHOOSE: Final = "account.choose"
ACCOUNT_CHOOSE_PRESS: Final = "account.choose.press"
ACCOUNT_NOT_FOUND: Final = "account.not_found"
ACCOUNT_WRONG_LENGTH: Final = "account.wrong_length"
MONEY_DIGITS_ENTER: Final = "money.digits.enter"
MONEY_DIGITS_ENTER_END: Final = "money.digits.enter.end"
MONEY_PIN_ENTER: Final = "money.pin.enter"
MONEY_WRONG: Final = "money.wrong"
MONEY_PIN_MISSING: Final = "money.pin.missing"
MONEY_BY_OPERATOR: Final = "money.by_operator"
# Meter readings (ivr/readings.py)
READINGS_METER: Final = "readings.meter"
ZONE_SINGLE: Final = "readings.zone.single"
ZONE_DAY: Final = "readings.zone.day"
ZONE_NIGHT: Final = "readings.zone.night"
ZONE_PEAK: Final = "readings.zone.peak"
READING_ACCEPTED: Final = "readings.accepted"
READINGS_ALL_ACCEPTED: Final = "readings.all_accepted"
READING_LOWER: Final = "readings.lower_than_last"
READING_CONSUMPTION: Final = "readings.consumption"
READING_TOO_HIGH: Final = "readings.too_high"
READING_TOO_MANY_DIGITS: Final = "readings.too_many_digits"
READINGS_NO_METERS: Final = "readings.no_meters"
WINDOW_FROM: Final = "readings.window"
WINDOW_UNTIL: Final = "readings.window.until"
WINDOW_DAY_OF_MONTH: Final = "readings.window.day_of_month"
WINDOW_CALL_IN_WINDOW: Final = "readings.window.call_in_window"
NEXT_PERIOD: Final = "readings.next_period"
LAST_ACCEPTED: Final = "readings.last_accepted"
ZONE_LABEL_DAY: Final = "readings.zone_label.day"
ZONE_LABEL_NIGHT: Final = "readings.zone_label.night"
ZONE_LABEL_PEAK: Final = "readings.zone_label.peak"
DATED: Final = "readings.dated"
# Balance (ivr/balance.py)
BALANCE_DEBT: Final = "balance.debt"
BALANCE_OVERPAYMENT: Final = "balance.overpayment"
BALANCE_ZERO: Final = "balance.zero"
BALANCE_DUE: Final = "balance.due"
BALANCE_LAST_PAYMENT: Final = "balance.last_payment"
# The rating after an operator call (ivr/rating.py; R-108)
RATING_ASK: Final = "rating.ask"
RATING_THANKS: Final = "rating.thanks"
BALANCE_RECEIVED_ON: Final = "balance.received_on"

FLOW_PROMPTS: Final = (
    GREETING,
    GREETING_MORNING,
    GREETING_DAY,
    GREETING_EVENING,
    RECORDING_NOTICE,
    INVALID,
    NAV_HINT,
    NO_TONE,
    OUTAGE_INTRO,
    OUTAGE_RESTORE,
    OUTAGE_DISPATCHER,
    GOODBYE,
    SERVICE_UNAVAILABLE,
    CONNECTING,
    OPERATOR_CLOSED,
    CALLBACK_OFFER,
    CALLBACK_OFFER_SILENT,
    CALLBACK_YOUR_NUMBER,
    CALLBACK_ENTER_NUMBER,
    CALLBACK_ACCEPTED,
    CALLBACK_TAKEN,
    CALLBACK_WHEN,
    VOICEMAIL_OFFER,
    VOICEMAIL_TOPICS,
    VOICEMAIL_RECORD,
    VOICEMAIL_EMPTY,
    APPEAL_REGISTERED,
    APPEAL_DEADLINE,
    RATING_ASK,
    RATING_THANKS,
    QUEUE_WAIT,
    QUEUE_STILL_BUSY,
    CALLBACK_OFFER_OR_WAIT,
    CONFIRM_OR_REENTER,
    INPUT_FAILED,
    YOU_ENTERED,
    TOO_MANY_ATTEMPTS,
    ACCOUNT_ENTER,
    ACCOUNT_ENDS_WITH,
    ACCOUNT_CONFIRM_FOUND,
    ACCOUNT_CHOOSE,
    ACCOUNT_CHOOSE_PRESS,
    ACCOUNT_NOT_FOUND,
    ACCOUNT_WRONG_LENGTH,
    MONEY_DIGITS_ENTER,
    MONEY_DIGITS_ENTER_END,
    MONEY_PIN_ENTER,
    MONEY_WRONG,
    MONEY_PIN_MISSING,
    MONEY_BY_OPERATOR,
    READINGS_METER,
    ZONE_SINGLE,
    ZONE_DAY,
    ZONE_NIGHT,
    ZONE_PEAK,
    READING_ACCEPTED,
    READINGS_ALL_ACCEPTED,
    READING_LOWER,
    READING_CONSUMPTION,
    READING_TOO_HIGH,
    READING_TOO_MANY_DIGITS,
    READINGS_NO_METERS,
    WINDOW_FROM,
    WINDOW_UNTIL,
    WINDOW_DAY_OF_MONTH,
    WINDOW_CALL_IN_WINDOW,
    NEXT_PERIOD,
    LAST_ACCEPTED,
    ZONE_LABEL_DAY,
    ZONE_LABEL_NIGHT,
    ZONE_LABEL_PEAK,
    DATED,
    BALANCE_DEBT,
    BALANCE_OVERPAYMENT,
    BALANCE_ZERO,
    BALANCE_DUE,
    BALANCE_LAST_PAYMENT,
    BALANCE_RECEIVED_ON,
)
