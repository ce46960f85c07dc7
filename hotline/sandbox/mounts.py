"""The chroot's mounts (/proc, /dev, and host directories bound at their own path):
idempotent, and never left behind under a tree we delete."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from hotline.sandbox.commands import run
from hotline.sandbox.layout import SandboxError

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


def in_chroot_path(root: Path, host_dir: Path) -> Path:
    """Where a host directory appears inside the chroot when bound at its own path."""
    return root / os.path.realpath(host_dir).lstrip(os.sep)


def _same_dir(a: Path, b: Path) -> bool:
    try:
        sa, sb = a.stat(), b.stat()
    except FileNotFoundError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def ensure_bind(root: Path, host_dir: Path, *, read_only: bool = True) -> Path:
    """Bind ``host_dir`` (created if missing) into the chroot at the same absolute path, so a
    path the engine writes is the path Asterisk reads.  Idempotent; a bind left pointing at a
    deleted and re-created directory is replaced.  Returns the mount point on the host."""
    source = os.path.realpath(host_dir)
    top = _real(root)
    if source == top or source.startswith(top + os.sep) or top.startswith(source + os.sep):
        raise SandboxError(f"cannot bind {source} into the chroot {top}: one contains the other")
    Path(source).mkdir(parents=True, exist_ok=True)
    target = in_chroot_path(root, Path(source))
    if is_mounted(target):
        if _same_dir(Path(source), target):
            return target
        run(["umount", "--lazy", str(target)], timeout=_MOUNT_TIMEOUT)  # stale: re-bind
    target.mkdir(parents=True, exist_ok=True)
    run(["mount", "--bind", source, str(target)], timeout=_MOUNT_TIMEOUT)
    if read_only:
        run(["mount", "-o", "remount,bind,ro", str(target)], timeout=_MOUNT_TIMEOUT)
    return target


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


def mount_overlay(lower: Path, upper: Path, work: Path, target: Path) -> None:
    """Mount ``lower`` (read-only) with a fresh, empty writable layer at ``target``: a chroot
    shared by several instances without copying it.  ``target`` must not be mounted."""
    paths = [os.path.realpath(p) for p in (lower, upper, work, target)]
    if any(ch in p for p in paths for ch in ",:\\"):
        raise SandboxError(f"overlay paths must not contain ',', ':' or '\\': {paths}")
    if mounts_under(target):
        raise SandboxError(f"{target} is still mounted")
    for layer in (upper, work):  # whatever an earlier mount left: nothing is mounted there
        if layer.exists():
            shutil.rmtree(layer)
        layer.mkdir(parents=True)
    target.mkdir(parents=True, exist_ok=True)
    options = f"lowerdir={paths[0]},upperdir={paths[1]},workdir={paths[2]}"
    run(["mount", "-t", "overlay", "overlay", "-o", options, paths[3]], timeout=_MOUNT_TIMEOUT)
