"""Start, stop and query the Asterisk that runs inside the chroot."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Final

from hotline.sandbox.ami_probe import AmiLogin, open_session, try_login, wait_closed
from hotline.sandbox.commands import clean_env, in_chroot, run
from hotline.sandbox.layout import SandboxError, SandboxLayout

ASTERISK: Final = "/usr/sbin/asterisk"
ASTERISK_USER: Final = "asterisk"
# Dirs the asterisk user must own: in this container root cannot write files owned by other
# uids, and Asterisk fails to open astdb when run as root (ecosystem.md section 0).
ASTERISK_DIRS: Final = (
    "/run/asterisk",
    "/var/lib/asterisk",
    "/var/log/asterisk",
    "/var/spool/asterisk",
    "/var/cache/asterisk",
    "/etc/asterisk",
)
RX_TIMEOUT: Final = 15.0
_POLL: Final = 0.2
_NOT_RUNNING: Final = "Unable to connect to remote asterisk"
# After SIGTERM/SIGKILL, how long a process gets to go away.
_SIGNAL_GRACE: Final = 5.0
_START_GRACE: Final = 3.0


def _alive(pid: int) -> bool:
    """Exists and is not a zombie (nobody may reap a daemon we started)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


class AsteriskControl:
    def __init__(self, layout: SandboxLayout, ami_host: str, ami_port: int, ami_user: str):
        self.layout = layout
        self.ami_host = ami_host
        self.ami_port = ami_port
        self.ami_user = ami_user

    # --- processes ------------------------------------------------------------------------
    def _in_chroot(self, pid: int) -> bool:
        try:
            return os.readlink(f"/proc/{pid}/root") == os.path.realpath(self.layout.root)
        except FileNotFoundError:
            return False
        except PermissionError:  # no ptrace access: trust the pid file and the name
            try:
                return Path(f"/proc/{pid}/comm").read_text().strip() == "asterisk"
            except OSError:
                return False

    def pid(self) -> int | None:
        """The pid in Asterisk's pid file, if that process is alive in our chroot."""
        try:
            pid = int(self.layout.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) and self._in_chroot(pid) else None

    def chroot_processes(self) -> list[int]:
        """Every live process whose root is the chroot (Asterisk, a forgotten sipp...)."""
        root = os.path.realpath(self.layout.root)
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != os.getpid():
                try:
                    if os.readlink(f"/proc/{entry}/root") == root and _alive(int(entry)):
                        found.append(int(entry))
                except OSError:
                    continue
        return found

    # --- commands -------------------------------------------------------------------------
    def rx(self, command: str, timeout: float = RX_TIMEOUT) -> str:
        """``asterisk -rx`` inside the chroot; raises when Asterisk is not answering."""
        result = run(
            in_chroot(self.layout.root, [ASTERISK, "-rx", command]), timeout=timeout, check=False
        )
        output = (result.stdout or "") + (result.stderr or "")
        if result.returncode != 0 or _NOT_RUNNING in output:
            raise SandboxError(
                f"asterisk -rx {command!r} failed (exit {result.returncode}): {output.strip()}"
            )
        return result.stdout

    def ami_login(self, secret: str, timeout: float = 5.0) -> AmiLogin:
        return try_login(self.ami_host, self.ami_port, self.ami_user, secret, timeout)

    def owner_ids(self) -> tuple[int, int]:
        """uid and gid of the asterisk user inside the chroot (another user on the host)."""
        passwd = self.layout.in_root("/etc/passwd").read_text(encoding="utf-8")
        for line in passwd.splitlines():
            fields = line.split(":")
            if fields[0] == ASTERISK_USER and len(fields) > 3:
                return int(fields[2]), int(fields[3])
        raise SandboxError(f"no {ASTERISK_USER} user in the chroot's /etc/passwd")

    # --- lifecycle ------------------------------------------------------------------------
    def prepare_dirs(self) -> None:
        self.layout.in_root("/run/asterisk").mkdir(parents=True, exist_ok=True)
        owner = f"{ASTERISK_USER}:{ASTERISK_USER}"
        run(in_chroot(self.layout.root, ["chown", "-R", owner, *ASTERISK_DIRS]), timeout=60)

    def start(self) -> None:
        """Launch Asterisk as a daemon (it forks and outlives us) as the asterisk user."""
        argv = in_chroot(
            self.layout.root, [ASTERISK, "-U", ASTERISK_USER, "-G", ASTERISK_USER, "-n"]
        )
        # A file, not a pipe: the daemon keeps no pipe of ours open, so this returns at once.
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as output:
            try:
                code = subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    env=clean_env(),
                    timeout=30,
                    start_new_session=True,
                    check=False,
                ).returncode
            except subprocess.TimeoutExpired as exc:
                raise SandboxError("Asterisk did not detach within 30 s") from exc
            output.seek(0)
            said = output.read().strip()
        if code != 0:
            raise SandboxError(f"Asterisk failed to start (exit {code}): {said}")

    def wait_ready(self, secret: str, timeout: float) -> AmiLogin:
        """Wait until Asterisk is fully booted and AMI accepts our login."""
        started = time.monotonic()
        deadline = started + timeout
        last = AmiLogin(False, "Asterisk is not running")
        booted = False
        while (remaining := deadline - time.monotonic()) > 0:
            # A restart re-forks, so the pid file is briefly stale: allow a grace period.
            if self.pid() is None and time.monotonic() - started > _START_GRACE:
                raise SandboxError("Asterisk exited during start-up")
            if not booted:
                try:
                    self.rx("core waitfullybooted", timeout=max(remaining, 1.0))
                    booted = True
                except SandboxError as exc:
                    last = AmiLogin(False, str(exc))
            if booted:
                last = self.ami_login(secret, timeout=min(5.0, max(remaining, 0.5)))
                if last.ok:
                    return last
            time.sleep(_POLL)
        raise SandboxError(f"AMI did not accept a login within {timeout:.0f} s: {last.message}")

    def stop(self, timeout: float) -> bool:
        """Stop Asterisk (and anything else left in the chroot); True if something ran."""
        pid = self.pid()
        if pid is not None:
            # If it does not answer, the signals below stop it.
            with contextlib.suppress(SandboxError):
                self.rx("core stop now", timeout=min(RX_TIMEOUT, timeout))
            if not self._wait_gone([pid], timeout):
                self._signal([pid], signal.SIGTERM)
                if not self._wait_gone([pid], _SIGNAL_GRACE):
                    self._signal([pid], signal.SIGKILL)
                    if not self._wait_gone([pid], _SIGNAL_GRACE):
                        raise SandboxError(f"Asterisk (pid {pid}) survived SIGKILL")
        leftovers = self.chroot_processes()
        if leftovers:
            self._signal(leftovers, signal.SIGTERM)
            if not self._wait_gone(leftovers, _SIGNAL_GRACE):
                self._signal(leftovers, signal.SIGKILL)
                self._wait_gone(leftovers, _SIGNAL_GRACE)
        return pid is not None or bool(leftovers)

    def restart(self, secret: str, stop_timeout: float, start_timeout: float) -> None:
        """``core restart now`` and wait until AMI answers again.

        A logged-in AMI session is held across the restart: its close proves the old
        Asterisk is gone, so the readiness check cannot be answered by the old process.
        """
        try:
            sock, login = open_session(self.ami_host, self.ami_port, self.ami_user, secret, 5.0)
        except OSError as exc:
            raise SandboxError(f"cannot reach AMI before the restart: {exc}") from exc
        with sock:
            if not login.ok:
                raise SandboxError(f"AMI login failed before the restart: {login.message}")
            self.rx("core restart now")
            if not wait_closed(sock, stop_timeout):
                raise SandboxError(f"Asterisk did not shut down within {stop_timeout:.0f} s")
        self.wait_ready(secret, start_timeout)

    @staticmethod
    def _signal(pids: list[int], sig: signal.Signals) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    @staticmethod
    def _wait_gone(pids: list[int], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while any(_alive(pid) for pid in pids):
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL)
        return True
