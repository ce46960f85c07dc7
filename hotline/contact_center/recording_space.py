"""Free space for call recordings (issue 21: a full disk fails visibly).  Asterisk's
MixMonitor writes nothing, or a cut file, when the disk is full, and says so only in its own
log; so the engine looks before it starts a recording: below
``resilience.recordings_min_free_mb`` the call is not recorded, an error is logged once when
space runs low (and a line when it is back), and the wallboard shows the flag."""

from __future__ import annotations

import logging
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hotline.settings import Settings

log = logging.getLogger(__name__)

_MB: Final = 1024 * 1024


@dataclass(frozen=True)
class RecordingSpace:
    folder: Path
    free_mb: int
    min_free_mb: int

    @property
    def low(self) -> bool:
        return self.free_mb < self.min_free_mb


def recording_space(settings: Settings) -> RecordingSpace:
    """Free space where recordings go (the nearest existing folder of ``recordings_dir``).
    Blocking: run it in a thread."""
    folder = settings.paths.recordings_dir.expanduser().resolve()
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free // _MB
    except OSError as exc:  # the folder's disk is gone: as good as full
        log.error("recordings folder %s cannot be checked: %s", folder, exc)
        free = 0
    return RecordingSpace(folder, free, settings.resilience.recordings_min_free_mb)


class _LowSpaceAlert:
    """Logs the change of state once, not on every call (the log may share the disk)."""

    def __init__(self) -> None:
        self._low = False
        self._lock = threading.Lock()

    def note(self, space: RecordingSpace) -> None:
        with self._lock:
            if space.low and not self._low:
                log.error(
                    "ALERT recordings: %d MB free in %s, below resilience.recordings_min_free_mb"
                    " (%d MB): calls are not recorded until space is freed",
                    space.free_mb,
                    space.folder,
                    space.min_free_mb,
                )
            elif self._low and not space.low:
                log.warning("recordings: %d MB free again; calls are recorded", space.free_mb)
            self._low = space.low


LOW_SPACE_ALERT: Final = _LowSpaceAlert()
