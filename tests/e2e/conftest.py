"""Fixtures for end-to-end tests against the real Asterisk 22 sandbox.

The sandbox is brought up once per session and left running: later tests (and the next
session) share it, and ``up`` is idempotent. When it cannot start, tests error; they never skip.
"""

from __future__ import annotations

import pytest

from hotline.sandbox import Sandbox
from hotline.settings import Settings, load_settings


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    # Its own settings, not the `settings` fixture: test modules override that one per test.
    box = Sandbox(load_settings(), progress=lambda line: print(f"sandbox: {line}"))
    box.up()
    return box
