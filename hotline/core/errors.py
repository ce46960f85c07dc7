"""The one "not found" convention: every lookup that finds nothing raises a subclass of
:class:`NotFound` (a LookupError), whose message names what was looked for."""

from __future__ import annotations


class NotFound(LookupError):
    """Nothing with this id, number or name exists."""
