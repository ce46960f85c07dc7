"""The end-to-end bed made ready while pytest-xdist's workers start (issue 19, a suite that
halves).

On a cold machine the first end-to-end test of every worker waited 50-83 s: its fixtures
rendered the prompts (RHVoice, about 25 s) and built the sandbox's chroot (debootstrap, about a
minute) one after the other, one worker building each while the others waited on its lock, and
the CPU-bound tests queued behind those waits waited too.  Here the controller starts
both builds at once, before the workers have even collected; the workers' fixtures take the same
locks (``Sandbox.up``, ``built_prompts``) and find them built, or wait for what is left.
Measured from empty caches (system packages installed): the first tests' setups went from 50-83 s
to 57-77 s (the chroot's build, now beside the rendering, is the longer of the two) and pytest
from 9:44 to 9:11.  Handing out computing tests first while the chroot was built was tried and
dropped: beside six workers' tests the build took 164 s instead of 97, and pytest 10:20.

The controller only starts the work: a build that fails here is done again by the first worker
that needs it, which fails its test with the error (never skips).  On a warm machine both are a
check of what is built (well under a second).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from hotline.sandbox import Sandbox
from hotline.sandbox.lock import exclusive
from hotline.settings import load_settings
from tests.xdist_order import WAITING_DIRS

# The folders whose tests use the sandbox and the prompts: those whose calls wait on them.
BED_DIRS: Final = tuple(folder.rstrip("/") for folder in WAITING_DIRS)
# The longest the session's end waits for a build still running (the workers' fixtures wait
# on the same locks for up to half an hour; by the session's end they have finished).
JOIN_SECONDS: Final = 60.0
# The longest a build of the prompts waits for another's (a cold one renders every prompt with
# the TTS; minutes on a slow machine).
PROMPTS_LOCK_TIMEOUT: Final = 1800.0


def wants_bed(args: Sequence[str], rootdir: Path, invoked_in: Path) -> bool:
    """Whether a session on ``args`` (pytest's, relative to ``invoked_in``, or its testpaths)
    may run end-to-end tests: an argument inside one of BED_DIRS (below ``rootdir``), or one
    that contains them (``tests``, ``.``)."""
    bed = [(rootdir / folder).resolve() for folder in BED_DIRS]
    for arg in args or ["."]:
        path = (invoked_in / arg.split("::", 1)[0]).resolve()
        if any(path == b or b in path.parents or path in b.parents for b in bed):
            return True
    return False


def build_prompts() -> None:
    """The catalogue and readout fragments rendered in the configured voice, under the lock
    the ``built_prompts`` fixture takes."""
    from hotline.speech.library import PromptLibrary
    from hotline.speech.paths import sounds_root

    settings = load_settings()
    sounds = sounds_root(settings.speech)
    with exclusive(sounds.with_name(f"{sounds.name}.lock"), PROMPTS_LOCK_TIMEOUT):
        asyncio.run(PromptLibrary(settings).build())


def build_chroot() -> None:
    Sandbox(load_settings(), progress=lambda _line: None).build_shared()


class WarmUp:
    """The two builds in threads of the controller, owned by its session."""

    def __init__(self) -> None:
        self._threads = [
            # Daemon threads: a build still running at the session's end never holds its exit.
            threading.Thread(
                target=self._run, args=(job,), name=f"warm-up {job.__name__}", daemon=True
            )
            for job in (build_chroot, build_prompts)
        ]

    def start(self) -> WarmUp:
        for thread in self._threads:
            thread.start()
        return self

    def join(self, seconds: float = JOIN_SECONDS) -> None:
        for thread in self._threads:
            thread.join(seconds)

    @staticmethod
    def _run(job: Callable[[], None]) -> None:
        try:
            job()
        except Exception as exc:  # the workers' fixtures build it again and report
            print(f"warm-up {job.__name__}: {exc!r}", file=sys.stderr)
