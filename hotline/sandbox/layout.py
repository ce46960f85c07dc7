"""Where the sandbox keeps its files, on the host and inside the chroot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hotline.settings import AmiRole, Settings

# Asterisk's log folder inside the chroot.
ASTERISK_LOG_DIR = "/var/log/asterisk"


class SandboxError(RuntimeError):
    """The sandbox could not be built, started, stopped or queried; the message says why."""


INSTANCES_DIR: Final = "instances"


@dataclass(frozen=True)
class SandboxLayout:
    """``base`` holds the chroot, its lock and secrets.  An instance (``shared`` set) runs its
    own Asterisk in an overlay whose lower layer is the chroot built once in ``shared``."""

    base: Path
    shared: Path | None = None

    @classmethod
    def of(cls, settings: Settings) -> SandboxLayout:
        instance = settings.sandbox.instance
        if not instance:
            return cls(settings.sandbox_dir)
        return cls(settings.sandbox_dir / INSTANCES_DIR / instance, shared=settings.sandbox_dir)

    @property
    def template(self) -> SandboxLayout:
        """The layout whose chroot is built (itself unless this is an instance)."""
        return self if self.shared is None else SandboxLayout(self.shared)

    def instances(self) -> list[SandboxLayout]:
        """The instances created over this (shared) layout's chroot, as found on disk."""
        if self.shared is not None:
            return []
        folder = self.base / INSTANCES_DIR
        if not folder.is_dir():
            return []
        found = sorted(path for path in folder.iterdir() if path.is_dir())
        return [SandboxLayout(path, shared=self.base) for path in found]

    @property
    def overlay_upper(self) -> Path:
        """An instance's writable layer (configs, logs, astdb), fresh at every mount."""
        return self.base / "overlay" / "upper"

    @property
    def overlay_work(self) -> Path:
        return self.base / "overlay" / "work"

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
