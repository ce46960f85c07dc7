"""The sandbox's AMI secrets, one per AMI user (engine, console, CLI): generated once, kept in
``sandbox_dir/ami-secret`` (the engine's) and ``ami-secret-<role>`` (mode 0600)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from hotline.sandbox.layout import SandboxLayout
from hotline.settings import AmiRole, Settings


def ami_secret(settings: Settings, role: AmiRole = AmiRole.ENGINE) -> str | None:
    """The secret the sandbox generated for ``role``, or None before the first
    ``hotline sandbox up``.

    The AMI adapter uses it when ``role``'s configured secret is None and the sandbox is
    enabled.
    """
    path = SandboxLayout.of(settings).role_secret_file(role)
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return secret or None


def ensure_ami_secret(settings: Settings, role: AmiRole = AmiRole.ENGINE) -> str:
    return ensure_secret_file(SandboxLayout.of(settings).role_secret_file(role))


def read_secret_file(path: Path) -> str | None:
    """The secret kept in ``path``, or None if there is none yet."""
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return secret or None


def ensure_secret_file(path: Path) -> str:
    """The secret kept in ``path``, generated (mode 0600) on first use."""
    existing = read_secret_file(path)
    if existing is not None:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(24)
    # O_EXCL: two concurrent first runs must not end up with different secrets.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_secret_file(path) or secret
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return secret


def effective_ami_secret(settings: Settings, role: AmiRole = AmiRole.ENGINE) -> str:
    """What the sandbox renders into manager.conf for ``role``: the configured secret if there
    is one (so the process's credentials always work), else the generated one."""
    configured = settings.ami.configured_secret(role)
    if configured is not None:
        return configured
    return ensure_ami_secret(settings, role)
