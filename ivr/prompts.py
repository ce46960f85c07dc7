"""The catalogue prompts the inbound flow plays (ids from prompts/catalogue.yaml).

The engine checks at start that each id exists in the catalogue and is built, so a typo
or a missing build fails loudly before the first caller, not during a call.
"""

from __future__ import annotations

from typing import Final

GREETING: Final = "ivr.greeting"
RECORDING_NOTICE: Final = "ivr.recording_notice"
MAIN_MENU: Final = "ivr.main.short"
INVALID: Final = "ivr.invalid"
CONNECTING: Final = "operator.connecting"
GOODBYE: Final = "ivr.goodbye"

FLOW_PROMPTS: Final = (GREETING, RECORDING_NOTICE, MAIN_MENU, INVALID, CONNECTING, GOODBYE)
