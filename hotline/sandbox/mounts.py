"""The chroot's /proc and /dev mounts: idempotent, and never left behind under a tree we delete."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from hotline.sandbox.layout import SandboxError
from hotline.sandbox.proc import run

_MOUNT_TIMEOUT = 30.0
_ESCAPE = re.compile(r"\\([0-7]{3})")


def _targets() -> list[str]:
    """Mount points from /proc/mounts (which escapes spaces and the like as octal)."""
    with open("/proc/mounts", encoding="utf-8") as mounts:
        return [
            _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), line.split()[1])
            for line in mounts
            if line.strip()
        ]


def _real(path: Path) -> str:
    return os.path.realpath(path)


def is_mounted(path: Path) -> bool:
    return _real(path) in _targets()


def mounts_under(path: Path) -> list[str]:
    top = _real(path)
    return [t for t in _targets() if t == top or t.startswith(top + os.sep)]


def ensure_mounts(root: Path) -> None:
    """Mount proc and bind /dev into the chroot unless they already are."""
    wanted = (
        (root / "proc", ["mount", "-t", "proc", "proc"]),
        (root / "dev", ["mount", "--bind", "/dev"]),
    )
    for target, argv in wanted:
        if not is_mounted(target):
            target.mkdir(parents=True, exist_ok=True)
            run([*argv, str(target)], timeout=_MOUNT_TIMEOUT)


def unmount_all(root: Path) -> None:
    """Unmount everything under ``root``, deepest first; a busy mount is detached lazily."""
    for target in sorted(mounts_under(root), key=len, reverse=True):
        if run(["umount", target], timeout=_MOUNT_TIMEOUT, check=False).returncode != 0:
            run(["umount", "--lazy", target], timeout=_MOUNT_TIMEOUT)
    left = mounts_under(root)
    if left:
        raise SandboxError(f"could not unmount: {', '.join(left)}")


def remove_tree(path: Path) -> None:
    """Delete a chroot tree; refuses while anything is mounted inside (a bound /dev!)."""
    if not path.exists():
        return
    unmount_all(path)
    if mounts_under(path):  # unmount_all raises first; this guards rmtree on its own
        raise SandboxError(f"refusing to delete {path}: something is still mounted in it")
    shutil.rmtree(path)
