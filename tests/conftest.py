"""Root fixtures: under pytest-xdist every worker is isolated before anything reads settings,
and the end-to-end modules each stay on one worker (``--dist loadgroup``): their calls share
a sandbox and may rely on module order, while the rest (CPU-bound properties included) are
spread test by test."""

from __future__ import annotations

import os

import pytest

from tests.xdist_support import isolate_worker

isolate_worker(os.environ)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (
            item.get_closest_marker("e2e") is not None
            and item.get_closest_marker("xdist_group") is None
        ):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
