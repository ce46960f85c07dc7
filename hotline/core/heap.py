"""The engine's long-lived heap kept out of the garbage collector's walks (issue 19 item 6).

After start-up the engine holds a large heap that lives as long as the process: settings,
the menu tree, the prompt library, SQLAlchemy's mappers and compiled statements, imported
modules.  Every full collection walks all of it on the event loop, a pause that grows with
the heap and shows as loop lag under load.  ``gc.freeze()`` moves what exists now to the
permanent generation, which collections skip; objects made later (calls, events) are
collected as before.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_heap() -> int:
    """Collect the start-up's garbage once, then freeze what is left; how many objects are
    frozen now (those of earlier freezes included)."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("heap frozen after start-up: %d objects left out of collections", frozen)
    return frozen
