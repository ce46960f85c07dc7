"""What the AMI adapter (:mod:`hotline.transport.ami`, which re-exports them) raises."""

from __future__ import annotations


class AmiError(Exception):
    """Base class of AMI adapter errors."""


class AmiNotConnected(AmiError):
    """No logged-in AMI connection (yet, or any more)."""


class AmiNotSent(AmiNotConnected):
    """Refused before anything was written: the action certainly never reached Asterisk."""


class AmiActionFailed(AmiError):
    """Asterisk answered an action with ``Response: Error``."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(f"{action}: {message}")
        self.action = action
        self.message = message


class AmiLoginRefused(AmiError):
    """Asterisk refused the username/secret."""


class AmiValueRefused(AmiError, ValueError):
    """A header name or value would break the AMI line protocol (CR, LF or NUL): refused
    before anything is written, so it can never end one action and start another."""
