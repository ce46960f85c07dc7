"""What every settings section shares: unknown keys are errors, and settings never change."""

from __future__ import annotations

from pydantic import ConfigDict

SECTION_CONFIG = ConfigDict(extra="forbid", frozen=True)
