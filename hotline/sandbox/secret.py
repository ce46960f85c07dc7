"""The sandbox's AMI secret: generated once, kept in ``sandbox_dir/ami-secret`` (mode 0600)."""

from __future__ import annotations

import os
import secrets

from hotline.sandbox.layout import SandboxLayout
from hotline.settings import Settings


def ami_secret(settings: Settings) -> str | None:
    """The secret the sandbox generated, or None before the first ``hotline sandbox up``.

    The AMI adapter uses it when ``settings.ami.secret`` is None and the sandbox is enabled.
    """
    path = SandboxLayout.of(settings).secret_file
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return secret or None


def ensure_ami_secret(settings: Settings) -> str:
    existing = ami_secret(settings)
    if existing is not None:
        return existing
    path = SandboxLayout.of(settings).secret_file
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(24)
    # O_EXCL: two concurrent first runs must not end up with different secrets.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return ami_secret(settings) or secret
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return secret


def effective_ami_secret(settings: Settings) -> str:
    """What the sandbox renders into manager.conf: the configured secret if there is one
    (so the engine's credentials always work), else the generated one."""
    if settings.ami.secret is not None:
        return settings.ami.secret.get_secret_value()
    return ensure_ami_secret(settings)
