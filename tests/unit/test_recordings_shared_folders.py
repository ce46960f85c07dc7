"""A recordings day folder made before the sandbox shared the recordings root with Asterisk's
group (a test or a command on a fresh worker, before its first sandbox start) kept mode 0750
and root's group, so MixMonitor wrote nothing into it and every later recording test on that
worker waited for a file that never came (this round's clean-clone run).  The sandbox now
gives the folders below the root the shared group and mode when it shares the root."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hotline.contact_center.recordings import SHARED_DIR_MODE, make_dirs, share_folders


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_folders_made_before_the_root_was_shared_get_its_group_and_mode(tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    day = root / "2026" / "12" / "05"
    make_dirs(day, root)  # the root not shared yet: 0750 all the way down
    assert _mode(day) == 0o750
    recording = day / "1764761234.56.wav"
    recording.write_bytes(b"RIFF")
    recording.chmod(0o640)
    group = os.getgid() + 1  # any group other than the folders' own (root may chown)
    os.chown(root, -1, group)
    root.chmod(SHARED_DIR_MODE)

    assert share_folders(root, group) == 3
    for folder in (root / "2026", root / "2026" / "12", day):
        assert _mode(folder) == SHARED_DIR_MODE
        assert folder.stat().st_gid == group
    assert _mode(recording) == 0o640  # files keep theirs
    assert share_folders(root, group) == 0  # nothing left to change
    make_dirs(root / "2026" / "12" / "06", root)  # and new ones are made shared, as before
    assert _mode(root / "2026" / "12" / "06") == SHARED_DIR_MODE
