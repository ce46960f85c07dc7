"""The catalogue prompts the inbound flow plays itself (ids from prompts/catalogue.yaml);
the menu's own prompts come from the menu file.

The engine checks at start that each id exists in the catalogue and is built, so a typo
or a missing build fails loudly before the first caller, not during a call.
"""

from __future__ import annotations

from typing import Final

GREETING: Final = "ivr.greeting"
GREETING_MORNING: Final = "ivr.greeting.morning"
GREETING_DAY: Final = "ivr.greeting.day"
GREETING_EVENING: Final = "ivr.greeting.evening"
RECORDING_NOTICE: Final = "ivr.recording_notice"
MAIN_MENU: Final = "ivr.main.short"
INVALID: Final = "ivr.invalid"
GOODBYE: Final = "ivr.goodbye"
SERVICE_UNAVAILABLE: Final = "ivr.service_unavailable"
CONNECTING: Final = "operator.connecting"
OPERATOR_CLOSED: Final = "operator.closed"
OPERATOR_HOURS: Final = "operator.hours"
CALLBACK_OFFER: Final = "operator.callback.offer_closed"
CALLBACK_YOUR_NUMBER: Final = "operator.callback.your_number"
CALLBACK_ENTER_NUMBER: Final = "operator.callback.enter_number"
CALLBACK_ACCEPTED: Final = "operator.callback.accepted"
QUEUE_WAIT: Final = "operator.queue.wait"
QUEUE_STILL_BUSY: Final = "operator.queue.still_busy"
CALLBACK_OFFER_OR_WAIT: Final = "operator.callback.offer"
CONFIRM_OR_REENTER: Final = "common.confirm_or_reenter"
INPUT_FAILED: Final = "common.input_failed"

FLOW_PROMPTS: Final = (
    GREETING,
    GREETING_MORNING,
    GREETING_DAY,
    GREETING_EVENING,
    RECORDING_NOTICE,
    INVALID,
    GOODBYE,
    SERVICE_UNAVAILABLE,
    CONNECTING,
    OPERATOR_CLOSED,
    OPERATOR_HOURS,
    CALLBACK_OFFER,
    CALLBACK_YOUR_NUMBER,
    CALLBACK_ENTER_NUMBER,
    CALLBACK_ACCEPTED,
    QUEUE_WAIT,
    QUEUE_STILL_BUSY,
    CALLBACK_OFFER_OR_WAIT,
    CONFIRM_OR_REENTER,
    INPUT_FAILED,
)
