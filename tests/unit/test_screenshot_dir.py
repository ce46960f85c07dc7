"""A test run leaves the README's screenshots alone; `make screenshots` refreshes them."""

from __future__ import annotations

import pytest

from tests import screenshots


def test_an_ordinary_run_writes_into_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(screenshots.REFRESH, raising=False)
    assert screenshots.screenshot_path("x.png") == screenshots.SCRATCH_SHOTS / "x.png"
    assert screenshots.SCRATCH_SHOTS.is_dir()


def test_a_refresh_writes_the_readmes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(screenshots.REFRESH, "1")
    assert screenshots.screenshot_dir() == screenshots.README_SHOTS
    assert (screenshots.ROOT / "README.md").is_file()
