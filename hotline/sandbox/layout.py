"""Where the sandbox keeps its files, on the host and inside the chroot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hotline.settings import AmiRole, Settings

# Asterisk's log folder inside the chroot.
ASTERISK_LOG_DIR = "/var/log/asterisk"


class SandboxError(RuntimeError):
    """The sandbox could not be built, started, stopped or queried; the message says why."""


@dataclass(frozen=True)
class SandboxLayout:
    base: Path

    @classmethod
    def of(cls, settings: Settings) -> SandboxLayout:
        return cls(settings.sandbox_dir)

    @property
    def root(self) -> Path:
        """The chroot (Debian sid with Asterisk)."""
        return self.base / "root"

    @property
    def secret_file(self) -> Path:
        """The engine's AMI secret."""
        return self.base / "ami-secret"

    def role_secret_file(self, role: AmiRole) -> Path:
        """The AMI secret of ``role`` (the engine's is ``secret_file``)."""
        if role is AmiRole.ENGINE:
            return self.secret_file
        return self.base / f"ami-secret-{role.value}"

    @property
    def lock_file(self) -> Path:
        return self.base / ".lock"

    @property
    def build_log(self) -> Path:
        return self.base / "build.log"

    def in_root(self, chroot_path: str) -> Path:
        """Host path of a path inside the chroot."""
        return self.root / chroot_path.lstrip("/")

    @property
    def stamp(self) -> Path:
        # Inside the chroot, so it appears in the same rename that publishes a finished build.
        return self.in_root("/etc/hotline-sandbox.json")

    @property
    def etc_asterisk(self) -> Path:
        return self.in_root("/etc/asterisk")

    @property
    def pid_file(self) -> Path:
        return self.in_root("/run/asterisk/asterisk.pid")

    @property
    def full_log(self) -> Path:
        return self.in_root(f"{ASTERISK_LOG_DIR}/full")
