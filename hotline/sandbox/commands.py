"""Subprocesses for the sandbox: always with a timeout, and errors that say what failed."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from hotline.sandbox.layout import SandboxError

# Commands in the chroot get a clean environment: nothing from the host's venv or HOTLINE_*.
_BASE_ENV: Final = {
    "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/root",
    "TERM": "dumb",
    "DEBIAN_FRONTEND": "noninteractive",
}
_PASSED_THROUGH: Final = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY")


def clean_env() -> dict[str, str]:
    env = dict(_BASE_ENV)
    env.update({key: os.environ[key] for key in _PASSED_THROUGH if key in os.environ})
    return env


def in_chroot(root: Path, argv: Sequence[str]) -> list[str]:
    return ["chroot", str(root), *argv]


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    check: bool = True,
    log: Path | None = None,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv``; with ``log``, its output is appended there instead of being captured
    (long build steps), and a failure quotes the log's tail."""
    command = shlex.join(argv)
    try:
        if log is None:
            result = subprocess.run(
                list(argv),
                input=input_text,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                env=clean_env(),
                check=False,
            )
        else:
            with log.open("a", encoding="utf-8") as sink:
                sink.write(f"\n$ {command}\n")
                sink.flush()
                result = subprocess.run(
                    list(argv),
                    input=input_text,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    text=True,
                    timeout=timeout,
                    env=clean_env(),
                    check=False,
                )
    except subprocess.TimeoutExpired as exc:
        raise SandboxError(f"`{command}` timed out after {timeout:.0f} s") from exc
    except FileNotFoundError as exc:
        raise SandboxError(f"`{argv[0]}` not found: {exc}") from exc
    if check and result.returncode != 0:
        if log is not None:
            output = log.read_text(encoding="utf-8", errors="replace")
        else:
            output = (result.stdout or "") + (result.stderr or "")
        raise SandboxError(
            f"`{command}` failed with exit code {result.returncode}:\n{_tail(output)}"
        )
    return result
