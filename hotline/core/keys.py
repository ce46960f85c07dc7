"""Answer keys of the yes/no questions callers hear, in the IVR and in campaign calls alike.

The prompts in ``prompts/catalogue.yaml`` name these keys («нажмите 1»), so they are fixed
here once; the navigation keys (back, main menu, operator) are settings (``[ivr]``).
"""

from __future__ import annotations

from typing import Final

CONFIRM_KEY: Final = "1"  # yes / that is right / I heard the message
REENTER_KEY: Final = "2"  # no, let me type it again
CALLBACK_KEY: Final = "1"  # at the queue's overflow offer: call me back
KEEP_WAITING_KEY: Final = "2"  # at the queue's overflow offer: I will keep waiting
