"""Issue 21, the soak's full disk: the disk-full fault succeeds on a file system that is
already full (the 55-minute run of seed 2160 failed four of them with EINVAL: nothing was left
to allocate), the recordings file system is sized for the run's length (48 MB filled after
half an hour), and the auditor accepts a recording the engine discarded as unwritten but
not one marked so whose file is still there."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from bench.soak import world
from bench.soak.audit import IndexRow, RecordingFile, recordings_indexed
from bench.soak.world import FILLER, fill, recordings_tmpfs_mb


class _Usage(NamedTuple):
    total: int
    used: int
    free: int


def test_the_fault_fills_an_already_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = _Usage(48 << 20, (48 << 20) - (1 << 20), 1 << 20)  # 1 MB left, 2 MB to leave
    monkeypatch.setattr(world.shutil, "disk_usage", lambda _path: full)
    filler = fill(tmp_path, 2)
    assert filler == tmp_path / FILLER and filler.stat().st_size == 0


def test_the_fault_fills_a_disk_with_room(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    leave = max(0, free - (1 << 20)) >> 20  # leaves all but about 1 MB
    filler = fill(tmp_path, leave)
    assert filler.stat().st_size <= 2 << 20


def test_the_recordings_file_system_grows_with_the_run() -> None:
    assert recordings_tmpfs_mb(2) == 48  # the 2-minute soak in make test: as before
    # What the 55-minute run recorded (~1.3 MB a minute) fits an hour with room to spare.
    assert recordings_tmpfs_mb(60) >= 60 * 1.3 * 2


def test_a_discarded_unwritten_recording_is_no_violation() -> None:
    rows = [IndexRow("/rec/1.wav", 10.0, purged=True), IndexRow("/rec/2.wav", 10.0, purged=True)]
    files = [RecordingFile("/rec/2.wav", 0)]
    verdict = recordings_indexed(files, rows)
    assert verdict.violations == ["/rec/2.wav: marked purged, file still there"]
    assert "1 unwritten" in verdict.note
