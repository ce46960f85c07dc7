"""How the dialer's repositories refuse: a lookup that finds nothing raises a
:class:`~hotline.core.errors.NotFound`; a rule that forbids the operation raises
:class:`CampaignError`."""

from __future__ import annotations

from hotline.core.errors import NotFound


class CampaignError(ValueError):
    """A campaign operation refused (wrong state, self-approval, a list with errors...)."""


class CampaignNotFound(NotFound):
    """No campaign with this name or id."""


class ScenarioNotFound(NotFound):
    """No scenario with this name (and version) or id."""


class ContactListNotFound(NotFound):
    """No contact list with this id."""


class TargetNotFound(NotFound):
    """No campaign target with this id."""
