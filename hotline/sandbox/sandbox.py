"""The sandbox as one object: ``Sandbox(settings).up()`` and friends.

Synchronous on purpose (subprocesses with timeouts): it serves the CLI and test fixtures,
never the engine's event loop; async callers use ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from hotline.contact_center.recordings import SHARED_DIR_MODE, recordings_root, share_folders
from hotline.dialplan.asterisk_config import (
    RESTART_ONLY,
    RenderOptions,
    render_configs,
    write_configs,
)
from hotline.dialplan.names import ROUTE_IVR
from hotline.sandbox.build import Progress, build, check_host, is_current, read_stamp
from hotline.sandbox.commands import in_chroot, run
from hotline.sandbox.control import AsteriskControl
from hotline.sandbox.layout import ASTERISK_LOG_DIR, SandboxError, SandboxLayout
from hotline.sandbox.lock import exclusive
from hotline.sandbox.mounts import ensure_bind, ensure_mounts, mount_overlay, unmount_all
from hotline.sandbox.secret import effective_ami_secret
from hotline.settings import AmiRole, Settings
from hotline.speech.library import PromptLibrary
from hotline.speech.paths import sounds_root
from hotline.store.calllog import CallLog
from hotline.transport.ami import AmiClient
from ivr.menu.handover import Levels

log = logging.getLogger(__name__)

# A first build may wait behind another process's build (debootstrap + apt).
_LOCK_TIMEOUT: Final = 3600.0
# How long a running Asterisk gets to prove it is healthy before `up` restarts it.
_HEALTH_TIMEOUT: Final = 10.0
STAGING_DIR: Final = "/var/tmp/hotline"
# Where Asterisk writes its CDRs and channel events with ``call_records_csv`` (in the chroot).
CDR_CSV: Final = "/var/log/asterisk/cdr-csv/Master.csv"
CEL_CSV: Final = "/var/log/asterisk/cel-custom/Master.csv"
# Emptied in a freshly mounted instance: folder -> prefix of the files to delete ("" = all).
_INSTANCE_FRESH: Final = {
    "/run/asterisk": "",
    "/var/log/asterisk": "",
    "/var/spool/asterisk": "",
    "/etc/asterisk": "",
    "/var/lib/asterisk": "astdb",
}


@dataclass(frozen=True)
class SandboxStatus:
    running: bool
    built: bool
    root: Path
    ami: str
    sip: str
    fastagi: str
    pid: int | None = None
    version: str | None = None
    uptime_seconds: int | None = None
    detail: str = ""
    changed_configs: tuple[str, ...] = field(default=())

    def describe(self) -> list[str]:
        if not self.running:
            state = "stopped" if self.built else "not built"
            return [f"sandbox: {state}" + (f" ({self.detail})" if self.detail else "")]
        return [
            f"sandbox: running (pid {self.pid})",
            f"  version : {self.version}",
            f"  uptime  : {_duration(self.uptime_seconds)}",
            f"  AMI     : {self.ami}",
            f"  SIP     : {self.sip}",
            f"  FastAGI : {self.fastagi} (the engine listens there)",
            f"  chroot  : {self.root}",
        ]


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "unknown"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


class Sandbox:
    def __init__(
        self,
        settings: Settings,
        progress: Progress | None = None,
        *,
        call_records_csv: bool = False,
        sip_match: Sequence[str] | None = None,
    ) -> None:
        """``call_records_csv``: Asterisk also writes its CDRs and channel events to CSV
        (:data:`CDR_CSV`, :data:`CEL_CSV` in the chroot), for the chaos soak's auditor.
        ``sip_match``: the addresses whose SIP calls this Asterisk accepts (default: its
        own SIP address; a cluster node takes them from Kamailio's)."""
        self.settings = settings
        self.call_records_csv = call_records_csv
        self._sip_match = tuple(sip_match) if sip_match else None
        self.layout = SandboxLayout.of(settings)
        self._progress: Progress = progress or log.info
        ami = settings.ami
        self.control = AsteriskControl(self.layout, ami.host, ami.port, ami.username)

    # --- lifecycle ------------------------------------------------------------------------
    def up(self) -> SandboxStatus:
        """Build (once), mount (/proc, /dev, the sounds dir), render configs and start
        Asterisk; idempotent."""
        check_host(building=False)
        with exclusive(self.layout.lock_file, _LOCK_TIMEOUT):
            if not is_current(self.layout, self.settings):
                if self.control.stop(self.settings.sandbox.stop_timeout):
                    self._progress("stopped the Asterisk of an outdated chroot")
                if self.layout.shared is None:
                    build(self.layout, self.settings, self._progress)
                else:
                    self._mount_instance()
            ensure_mounts(self.layout.root)
            # Built prompts: Asterisk reads them by the absolute path the engine writes.
            ensure_bind(self.layout.root, self.sounds_dir)
            # Call recordings: MixMonitor (the asterisk user) writes, the engine reads and purges.
            ensure_bind(self.layout.root, self.recordings_dir, read_only=False)
            # The root shared with the chroot's asterisk group (setgid, 2770: no access for
            # other users); folders below it take that group and mode (recordings.make_dirs).
            group = self.control.owner_ids()[1]
            os.chown(self.recordings_dir, -1, group)
            os.chmod(self.recordings_dir, SHARED_DIR_MODE)
            # And the folders already below it, made before it was shared.
            share_folders(self.recordings_dir, group)
            secret = effective_ami_secret(self.settings)
            changed = self._render(secret)
            if self.control.pid() is not None and self._refresh(secret, changed):
                return self.status(changed)
            self._start(secret)
            return self.status(changed)

    def down(self) -> bool:
        """Stop Asterisk and unmount everything ``up`` mounted (/proc, /dev, the bound sounds
        and recordings, an instance's overlay), the shared chroot's instances included; True
        if Asterisk (or anything in a chroot) ran."""
        stopped = False
        for instance in self.layout.instances():
            stopped = self._take_down(instance) or stopped
        return self._take_down(self.layout) or stopped

    def _take_down(self, layout: SandboxLayout) -> bool:
        ami = self.settings.ami
        control = AsteriskControl(layout, ami.host, ami.port, ami.username)
        with exclusive(layout.lock_file, _LOCK_TIMEOUT):
            stopped = control.stop(self.settings.sandbox.stop_timeout)
            if layout.root.exists():
                unmount_all(layout.root)
            return stopped

    def restart_asterisk(self) -> SandboxStatus:
        """``core restart now``, then wait until AMI answers again."""
        with exclusive(self.layout.lock_file, _LOCK_TIMEOUT):
            self._restart(effective_ami_secret(self.settings))
        return self.status()

    def status(self, changed: Sequence[str] = ()) -> SandboxStatus:
        settings = self.settings
        fastagi = settings.fastagi
        stopped = SandboxStatus(
            running=False,
            built=read_stamp(self.layout) is not None,
            root=self.layout.root,
            ami=f"{settings.ami.host}:{settings.ami.port} (user {settings.ami.username})",
            sip=f"udp {settings.sandbox.sip_host}:{settings.sandbox.sip_port}",
            fastagi=f"agi://{fastagi.host}:{fastagi.port}/{ROUTE_IVR}",
            changed_configs=tuple(changed),
        )
        pid = self.control.pid()
        if pid is None:
            return stopped
        try:
            # "Asterisk 22.10.1+dfsg... built by nobody @ buildd..." -> keep the version part
            version = self.control.rx("core show version").strip().splitlines()[0]
            version = version.split(" built by ")[0]
            uptime = self._uptime()
        except (SandboxError, IndexError) as exc:
            return replace(stopped, pid=pid, detail=f"Asterisk is not answering: {exc}")
        return replace(stopped, running=True, pid=pid, version=version, uptime_seconds=uptime)

    # --- helpers for tests, the demo and the simulator ------------------------------------
    @property
    def sounds_dir(self) -> Path:
        """``settings.speech.sounds_dir``, absolute: bound read-only into the chroot at the
        same path by :meth:`up` (any directory below it is visible to Asterisk too)."""
        return sounds_root(self.settings.speech)

    @property
    def recordings_dir(self) -> Path:
        """``paths.recordings_dir``, absolute: bound read-write into the chroot by :meth:`up`."""
        return recordings_root(self.settings)

    def cli(self, command: str, timeout: float = 15.0) -> str:
        """Run an Asterisk CLI command (``asterisk -rx``) and return its output."""
        if self.control.pid() is None:
            raise SandboxError("Asterisk is not running; start it with `hotline sandbox up`")
        return self.control.rx(command, timeout=timeout)

    @property
    def sipp_path(self) -> str:
        """SIPp inside the chroot; run it with :meth:`run_in_chroot`."""
        return "/usr/bin/sipp"

    def run_in_chroot(
        self, argv: Sequence[str], timeout: float, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run a program inside the chroot (same network namespace: 127.0.0.1 is shared)."""
        return run(in_chroot(self.layout.root, argv), timeout=timeout, check=check)

    def stage_file(self, source: Path) -> str:
        """Copy a host file into the chroot; returns its path as seen inside (for sipp -sf)."""
        target = self.layout.in_root(STAGING_DIR) / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return f"{STAGING_DIR}/{source.name}"

    @contextlib.contextmanager
    def verbose_log(self, name: str) -> Iterator[Path]:
        """A verbose log channel ``name`` in Asterisk's log folder while the block runs (the
        rendered logger has no verbose level: its lines carry caller IDs); yields its host
        path, a new file each time (it stays for the suite's log audit)."""
        path = self.layout.in_root(f"{ASTERISK_LOG_DIR}/{name}")
        path.unlink(missing_ok=True)
        self.cli(f"logger add channel {name} verbose")
        try:
            yield path
        finally:
            self.cli(f"logger remove channel {name}")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of Asterisk's full log (notices, warnings, errors)."""
        path = self.layout.full_log
        try:
            with path.open("rb") as handle:
                handle.seek(0, 2)
                size = handle.tell()
                handle.seek(max(0, size - 512 * max(lines, 1)))
                data = handle.read()
        except FileNotFoundError:
            return ""
        return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])

    def build_shared(self) -> None:
        """The chroot the instances share, built if it is missing or outdated (as an
        instance's first ``up`` would), and nothing started: a test session builds it while
        its workers start, so they do not all wait for it in their first test."""
        check_host(building=False)
        with exclusive(self.layout.template.lock_file, _LOCK_TIMEOUT):
            self._build_shared_if_outdated()

    # --- internals ------------------------------------------------------------------------
    def _build_shared_if_outdated(self) -> None:
        """Under the shared chroot's lock."""
        shared = self.layout.template
        if not is_current(shared, self.settings):
            ami = self.settings.ami
            control = AsteriskControl(shared, ami.host, ami.port, ami.username)
            if control.stop(self.settings.sandbox.stop_timeout):
                self._progress("stopped the Asterisk of an outdated chroot")
            build(shared, self.settings, self._progress)

    def _mount_instance(self) -> None:
        """An instance's chroot: the shared one (built first, once, under its own lock: the
        instances of parallel test workers wait for one build) as an overlay's lower layer."""
        shared = self.layout.template
        if self.layout.root.exists():
            unmount_all(self.layout.root)
        with exclusive(shared.lock_file, _LOCK_TIMEOUT):
            self._build_shared_if_outdated()
            layout = self.layout
            mount_overlay(shared.root, layout.overlay_upper, layout.overlay_work, layout.root)
        # The shared chroot's own Asterisk may have left state there: this instance starts clean.
        for folder, prefix in _INSTANCE_FRESH.items():
            for path in layout.in_root(folder).glob(f"{prefix}*"):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        self._progress(f"instance {layout.base.name}: an overlay of {shared.root}")

    def _render(self, secret: str) -> list[str]:
        try:
            options = RenderOptions(
                ami_secret=secret,
                console_secret=effective_ami_secret(self.settings, AmiRole.CONSOLE),
                cli_secret=effective_ami_secret(self.settings, AmiRole.CLI),
                sip_match=self._sip_match,
                sandbox=True,
                call_records_csv=self.call_records_csv,
            )
            files = render_configs(self.settings, options)
        except (FileNotFoundError, ValueError) as exc:
            raise SandboxError(str(exc)) from exc
        if self.call_records_csv:
            # cdr_csv and cel_custom do not create their folders (a fresh instance has none).
            for name in (CDR_CSV, CEL_CSV):
                self.layout.in_root(name).parent.mkdir(parents=True, exist_ok=True)
        self.control.prepare_dirs()  # owned by the asterisk user, those folders too
        return write_configs(
            files, self.layout.etc_asterisk, prune=True, owner=self.control.owner_ids()
        )

    def _refresh(self, secret: str, changed: list[str]) -> bool:
        """A running Asterisk picks up changed configs; False if it must be (re)started."""
        timeout = min(_HEALTH_TIMEOUT, self.settings.sandbox.start_timeout)
        try:
            if any(name in RESTART_ONLY for name in changed):
                self._progress(f"configs changed ({', '.join(changed)}): restarting Asterisk")
                self._restart(secret)
            elif changed:
                self._progress(f"configs changed ({', '.join(changed)}): core reload")
                self.control.rx("core reload")
            self.control.wait_ready(secret, timeout)
        except SandboxError as exc:
            self._progress(f"the running Asterisk is unhealthy ({exc}); restarting it")
            self.control.stop(self.settings.sandbox.stop_timeout)
            return False
        self._progress(
            "Asterisk running with the updated configs"
            if changed
            else "Asterisk already running; configs unchanged"
        )
        return True

    def _start(self, secret: str) -> None:
        self._progress("starting Asterisk")
        started = time.monotonic()
        log_offset = self._log_size()
        self.control.start()
        try:
            login = self.control.wait_ready(secret, self.settings.sandbox.start_timeout)
        except SandboxError as exc:
            # Leave nothing half-started behind; the log says what went wrong.
            with contextlib.suppress(SandboxError):
                self.control.stop(self.settings.sandbox.stop_timeout)
            raise SandboxError(f"{exc}\n{self._start_report(log_offset)}") from exc
        self._progress(f"Asterisk ready in {time.monotonic() - started:.1f} s ({login.banner})")

    def _restart(self, secret: str) -> None:
        sandbox = self.settings.sandbox
        self.control.restart(secret, sandbox.stop_timeout, sandbox.start_timeout)

    def _log_size(self) -> int:
        try:
            return self.layout.full_log.stat().st_size
        except FileNotFoundError:
            return 0

    def _start_report(self, offset: int) -> str:
        """Errors Asterisk logged during this start, then the log's tail."""
        try:
            with self.layout.full_log.open("rb") as handle:
                handle.seek(offset)
                lines = handle.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return f"(no Asterisk log at {self.layout.full_log})"
        errors = [line for line in lines if "ERROR[" in line][:10]
        report = []
        if errors:
            report += ["--- errors Asterisk logged while starting ---", *errors]
        report += [f"--- last lines of {self.layout.full_log} ---", *lines[-20:]]
        return "\n".join(report)

    def _uptime(self) -> int | None:
        for line in self.control.rx("core show uptime seconds").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "System uptime" and value.strip().isdigit():
                return int(value.strip())
        return None


def menu_levels(
    settings: Settings, library: PromptLibrary, ami: AmiClient, call_log: CallLog
) -> Levels | None:
    """``ivr.levels = "dialplan"``: the menu's levels, rendered into the folder
    :func:`menu_levels_folder` names (the sandbox knows its Asterisk's); None otherwise."""
    if settings.ivr.levels != "dialplan":
        return None
    folder, owner = menu_levels_folder(settings)
    return Levels.over_ami(settings, library, ami, call_log, folder, owner)


def menu_levels_folder(settings: Settings) -> tuple[Path, tuple[int, int] | None]:
    """Where the engine writes the menu's levels (``ivr.levels = "dialplan"``) and as whom:
    ``ivr.levels_dir``; else the sandbox's /etc/asterisk (as its asterisk user) when the
    sandbox is enabled; else /etc/asterisk."""
    if settings.ivr.levels_dir is not None:
        return settings.ivr.levels_dir.expanduser(), None
    if settings.sandbox.enabled:
        sandbox = Sandbox(settings)
        try:
            owner: tuple[int, int] | None = sandbox.control.owner_ids()
        except (OSError, SandboxError):
            owner = None
        return sandbox.layout.etc_asterisk, owner
    return Path("/etc/asterisk"), None
