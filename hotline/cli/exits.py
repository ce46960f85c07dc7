"""Exit codes of the ``hotline`` commands (light: every command may import it)."""

from __future__ import annotations

from typing import Final

EXIT_FAILED: Final = 1
# The command cannot run as configured (a missing secret or tool): like Click's usage errors.
EXIT_MISCONFIGURED: Final = 2
