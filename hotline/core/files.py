"""Files that hold personal data (the SQLite database, uploaded contact lists, recording
exports) are created readable by their owner only, whatever the process umask."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

PRIVATE_FILE_MODE: Final = 0o600
PRIVATE_DIR_MODE: Final = 0o700


def create_private(path: Path) -> int:
    """Open ``path`` for writing, truncated, created 0600 (an existing file is set to 0600
    too); returns the descriptor.  A symlink at ``path`` is refused (O_NOFOLLOW)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, PRIVATE_FILE_MODE)
    os.fchmod(fd, PRIVATE_FILE_MODE)
    return fd


def write_private(path: Path, data: bytes) -> None:
    """``path.write_bytes(data)``, the file 0600."""
    with os.fdopen(create_private(path), "wb") as handle:
        handle.write(data)


def touch_private(path: Path) -> None:
    """Create ``path`` 0600 if it does not exist; take group write and every other user's
    access away from one that does."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        mode = path.stat().st_mode & 0o777
        if mode & 0o027:
            os.chmod(path, mode & ~0o027)
        return
    os.close(fd)
