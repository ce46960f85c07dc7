"""No module of the product or its benchmarks over 500 lines (the team's rule): a module that
grows past it is split by what it does, as bench/sip_menu_report.py and hotline/speech/manifest.py
were (2026-12-06), rather than noticed by a reader."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("hotline", "ivr", "dialer", "bench")
MAX_LINES = 500


def test_no_module_is_over_500_lines() -> None:
    modules = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    assert len(modules) > 100  # the tree was found
    over = {
        str(path.relative_to(ROOT)): lines
        for path in modules
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert over == {}
