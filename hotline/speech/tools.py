"""External speech tools (sox, RHVoice-test, espeak-ng) as bounded asyncio subprocesses."""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import shutil
from collections.abc import Sequence
from typing import Final

# How long a subprocess may take before it is killed; a prompt renders in well under a second.
DEFAULT_TIMEOUT: Final = 60.0
_STDERR_TAIL: Final = 800
INSTALL_HINT: Final = "scripts/install-system-deps.sh installs it"


class SpeechError(RuntimeError):
    """Speech could not be synthesised, converted, built or found; the message says why."""


class ToolMissing(SpeechError):
    """A program is not installed; the message names the Debian package(s) to install."""

    def __init__(self, program: str, packages: str) -> None:
        self.program = program
        self.packages = packages
        super().__init__(
            f"{program} is not installed: apt-get install {packages} ({INSTALL_HINT})"
        )


class ToolFailed(SpeechError):
    """A program exited with an error or timed out."""


def require_program(program: str, packages: str) -> str:
    """The program's full path, or :class:`ToolMissing` naming the Debian packages."""
    path = shutil.which(program)
    if path is None:
        raise ToolMissing(program, packages)
    return path


async def run(
    argv: Sequence[str],
    *,
    packages: str,
    stdin: bytes = b"",
    time_limit: float = DEFAULT_TIMEOUT,
) -> bytes:
    """Run ``argv`` with ``stdin`` and return its stdout; never blocks the event loop.

    Raises :class:`ToolMissing` (naming ``packages``) when the program is absent and
    :class:`ToolFailed` on a non-zero exit or after ``time_limit`` seconds (the process is killed).
    """
    command = shlex.join(argv)
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError as exc:
        raise ToolMissing(argv[0], packages) from exc
    try:
        async with asyncio.timeout(time_limit):
            stdout, stderr = await process.communicate(stdin)
    except TimeoutError as exc:
        _kill(process)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5.0):
                await process.wait()
        raise ToolFailed(f"`{command}` timed out after {time_limit:g} s") from exc
    except BaseException:  # cancelled: leave no process behind
        _kill(process)
        raise
    if process.returncode != 0:
        tail = stderr.decode("utf-8", "replace").strip()[-_STDERR_TAIL:]
        raise ToolFailed(f"`{command}` failed with exit code {process.returncode}: {tail}")
    return stdout


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.kill()
