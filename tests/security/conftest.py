"""The attack suite: the same real parts as the end-to-end tests (the sandbox Asterisk, the
engine, the console as its own process), attacked the way the security review describes."""

from tests.e2e.conftest import (
    _short_prompts,
    built_prompts,
    console,
    engine,
    sandbox,
    settings,
)

__all__ = ["_short_prompts", "built_prompts", "console", "engine", "sandbox", "settings"]
