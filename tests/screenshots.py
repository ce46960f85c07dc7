"""Where a test's screenshot goes: the README's own under docs/screenshots/ when they are being
refreshed (``make screenshots``, HOTLINE_SCREENSHOTS=1), else a scratch folder under var/.

The tests that take them always do (the page must render), but an ordinary run does not
rewrite the tracked images: every run changed their bytes, so every branch carried binary
churn into its merge."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
README_SHOTS: Final = ROOT / "docs" / "screenshots"
SCRATCH_SHOTS: Final = ROOT / "var" / "screenshots"
REFRESH: Final = "HOTLINE_SCREENSHOTS"


def screenshot_dir() -> Path:
    """The folder this run's screenshots go to (made if missing)."""
    folder = README_SHOTS if os.environ.get(REFRESH) == "1" else SCRATCH_SHOTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot_path(name: str) -> Path:
    return screenshot_dir() / name
