"""Kannel for the sandbox and the tests: bearerbox, smsbox and Kannel's fakesmsc as the SMSC,
started as this process's own children on loopback and stopped by their process ids.

fakesmsc prints every message bearerbox hands it (``Got message N: <from to type data>``);
:meth:`KannelRunner.received` reads them back.  The passwords come from the settings or are
generated once and kept beside the sandbox's AMI secret.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self

from hotline.sandbox.layout import SandboxError, SandboxLayout
from hotline.sandbox.secret import ensure_secret_file, read_secret_file
from hotline.settings import Settings
from hotline.transport.kannel_config import CONFIG_FILE, render_kannel_config

BEARERBOX: Final = "bearerbox"
SMSBOX: Final = "smsbox"
# Debian's kannel-extras installs the test SMSC here, off PATH.
FAKESMSC_PATHS: Final = ("/usr/lib/kannel/test/fakesmsc", "/usr/local/lib/kannel/test/fakesmsc")
ADMIN_SECRET_FILE: Final = "kannel-admin-secret"
SENDSMS_SECRET_FILE: Final = "kannel-sendsms-secret"
FAKESMSC_OUTPUT: Final = "fakesmsc.out"
# bearerbox's message store (store-location) and the copies it keeps beside it.
STORE_FILES: Final = ("kannel.store", "kannel.store.new", "kannel.store.bak")
_POLL: Final = 0.1
_GOT: Final = re.compile(r"Got message \d+: <(.*)>\s*$")


class KannelError(SandboxError):
    """Kannel could not be started or stopped; the message says why."""


@dataclass(frozen=True)
class KannelPasswords:
    admin: str
    sendsms: str


@dataclass(frozen=True)
class ReceivedSms:
    """One message as fakesmsc (the SMSC) received it."""

    sender: str
    to: str
    text: str
    # A part of a concatenated message: (reference, parts, this part's number from 1).
    part: tuple[int, int, int] | None = None


def kannel_dir(settings: Settings) -> Path:
    """The sandbox Kannel's folder (configuration, logs, store): per sandbox instance."""
    return SandboxLayout.of(settings).base / "kannel"


def kannel_passwords(settings: Settings, *, create: bool = True) -> KannelPasswords | None:
    """The configured passwords, else the sandbox's generated ones (made when ``create``)."""
    base = SandboxLayout.of(settings).base
    found: list[str] = []
    for configured, name in (
        (settings.sms.admin_password, ADMIN_SECRET_FILE),
        (settings.sms.sendsms_password, SENDSMS_SECRET_FILE),
    ):
        if configured is not None:
            found.append(configured.get_secret_value())
            continue
        path = base / name
        secret = ensure_secret_file(path) if create else read_secret_file(path)
        if secret is None:
            return None
        found.append(secret)
    return KannelPasswords(admin=found[0], sendsms=found[1])


def find_fakesmsc() -> str | None:
    on_path = shutil.which("fakesmsc")
    if on_path:
        return on_path
    return next((p for p in FAKESMSC_PATHS if os.access(p, os.X_OK)), None)


def decode_fake_line(body: str) -> ReceivedSms | None:
    """A message from fakesmsc's ``from to type data`` (data URL-encoded; UCS-2 in
    big-endian bytes); None for a line of another kind."""
    fields = body.split(" ")
    if len(fields) < 4:
        return None
    sender, to, kind, data = fields[0], fields[1], fields[2], fields[-1]
    raw = urllib.parse.unquote_to_bytes(data.replace("+", " "))
    if kind == "ucs-2" or (kind == "udh" and len(fields) >= 5 and _ucs2_like(raw)):
        text = raw.decode("utf-16-be", errors="replace")
    else:
        text = raw.decode("utf-8", errors="replace")
    part = None
    if kind == "udh" and len(fields) >= 5:
        udh = urllib.parse.unquote_to_bytes(fields[3])
        # IEI 0 (concatenation, 8-bit reference): length, 0, 3, ref, total, seq.
        if len(udh) >= 6 and udh[1] == 0 and udh[2] == 3:
            part = (udh[3], udh[4], udh[5])
    return ReceivedSms(sender=sender, to=to, text=text, part=part)


def join_parts(parts: list[ReceivedSms]) -> list[ReceivedSms]:
    """Messages as the phone shows them: the parts of a concatenated one joined in order
    once all have arrived."""
    whole: list[ReceivedSms] = []
    pending: dict[tuple[str, int], dict[int, ReceivedSms]] = {}
    for sms in parts:
        if sms.part is None:
            whole.append(sms)
            continue
        ref, total, seq = sms.part
        group = pending.setdefault((sms.to, ref), {})
        group[seq] = sms
        if len(group) == total:
            text = "".join(group[n].text for n in sorted(group))
            whole.append(ReceivedSms(sender=sms.sender, to=sms.to, text=text))
            del pending[(sms.to, ref)]
    return whole


def _ucs2_like(raw: bytes) -> bool:
    return len(raw) % 2 == 0 and raw[::2].count(0) + raw[::2].count(4) >= len(raw) // 4


class KannelRunner:
    """``with KannelRunner(settings) as kannel:`` runs bearerbox, smsbox and fakesmsc until
    the block ends; every wait is bounded by ``sms.start_timeout`` / ``sms.stop_timeout``."""

    def __init__(self, settings: Settings, work_dir: Path | None = None) -> None:
        self.settings = settings
        self.dir = work_dir or kannel_dir(settings)
        self._procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._files: list[IO[bytes]] = []

    @property
    def fakesmsc_output(self) -> Path:
        return self.dir / FAKESMSC_OUTPUT

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        missing = [b for b in (BEARERBOX, SMSBOX) if shutil.which(b) is None]
        fakesmsc = find_fakesmsc()
        if fakesmsc is None:
            missing.append("fakesmsc")
        if missing:
            raise KannelError(
                f"Kannel is not installed ({', '.join(missing)} not found): "
                "run scripts/install-system-deps.sh (Debian packages kannel, kannel-extras)"
            )
        assert fakesmsc is not None
        sms = self.settings.sms
        passwords = kannel_passwords(self.settings)
        assert passwords is not None
        self.dir.mkdir(parents=True, exist_ok=True)
        # The sandbox's Kannel starts empty: no message or report of an earlier run.
        for stale in ("bearerbox.log", "smsbox.log", FAKESMSC_OUTPUT, *STORE_FILES):
            (self.dir / stale).unlink(missing_ok=True)
        config = self.dir / CONFIG_FILE
        config.write_text(
            render_kannel_config(
                sms,
                admin_password=passwords.admin,
                sendsms_password=passwords.sendsms,
                work_dir=self.dir,
                fake_smsc=True,
            ),
            encoding="utf-8",
        )
        config.chmod(0o600)
        deadline = time.monotonic() + sms.start_timeout
        try:
            self._spawn(BEARERBOX, [BEARERBOX, str(config)])
            self._wait_port(BEARERBOX, sms.admin_port, deadline)
            self._wait_port(BEARERBOX, sms.fake_smsc_port, deadline)
            self._spawn(SMSBOX, [SMSBOX, str(config)])
            self._wait_port(SMSBOX, sms.sendsms_port, deadline)
            self._spawn(
                "fakesmsc",
                [fakesmsc, "-H", "127.0.0.1", "-r", str(sms.fake_smsc_port), "-m", "0"],
                stdin=subprocess.PIPE,
                output=self.fakesmsc_output,
            )
            self._wait_online(deadline)
        except BaseException:
            self.stop()
            raise

    def _spawn(
        self,
        name: str,
        argv: list[str],
        *,
        stdin: int = subprocess.DEVNULL,
        output: Path | None = None,
    ) -> None:
        handle = (output or self.dir / f"{name}.out").open("wb")
        self._files.append(handle)
        proc = subprocess.Popen(
            argv,
            cwd=self.dir,
            stdin=stdin,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._procs.append((name, proc))

    def _check_alive(self) -> None:
        for name, proc in self._procs:
            code = proc.poll()
            if code is not None:
                raise KannelError(f"{name} exited with {code} during start-up: {self._tail(name)}")

    def _tail(self, name: str) -> str:
        for candidate in (self.dir / f"{name}.log", self.dir / f"{name}.out"):
            if candidate.exists():
                text = candidate.read_text(encoding="utf-8", errors="replace")
                return " | ".join(text.strip().splitlines()[-5:])
        return "(no log)"

    def _wait_port(self, name: str, port: int, deadline: float) -> None:
        while time.monotonic() < deadline:
            self._check_alive()
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                return
            time.sleep(_POLL)
        raise KannelError(f"{name} did not listen on 127.0.0.1:{port} in time: {self._tail(name)}")

    def _wait_online(self, deadline: float) -> None:
        """Until bearerbox says the fake SMSC is online (fakesmsc connected)."""
        passwords = kannel_passwords(self.settings, create=False)
        assert passwords is not None
        query = urllib.parse.urlencode({"password": passwords.admin})
        request = f"GET /status.txt?{query} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode()
        status = ""
        while time.monotonic() < deadline:
            self._check_alive()
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.settings.sms.admin_port), 1.0) as s,
            ):
                s.settimeout(1.0)
                s.sendall(request)
                chunks = []
                while chunk := s.recv(65536):
                    chunks.append(chunk)
                status = b"".join(chunks).decode("utf-8", errors="replace")
                if re.search(r"fake\[?[^\n]*\(online", status) or "online" in _smsc_lines(status):
                    return
            time.sleep(_POLL)
        raise KannelError(f"the fake SMSC did not come online in time: {status[-300:]!r}")

    def received(self) -> list[ReceivedSms]:
        """Every message fakesmsc received so far, in order."""
        try:
            text = self.fakesmsc_output.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        found = []
        for line in text.splitlines():
            match = _GOT.search(line)
            if match is not None and (sms := decode_fake_line(match.group(1))) is not None:
                found.append(sms)
        return found

    def wait_received(self, count: int, timeout: float) -> list[ReceivedSms]:
        """At least ``count`` whole messages (parts joined), waiting at most ``timeout``
        seconds."""
        deadline = time.monotonic() + timeout
        while True:
            got = join_parts(self.received())
            if len(got) >= count or time.monotonic() >= deadline:
                return got
            time.sleep(_POLL)

    def stop(self) -> None:
        """SIGTERM to each of our processes, newest first; SIGKILL after ``stop_timeout``."""
        timeout = self.settings.sms.stop_timeout
        for _name, proc in reversed(self._procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    proc.wait(timeout)
            if proc.stdin is not None:
                proc.stdin.close()
        self._procs.clear()
        for handle in self._files:
            handle.close()
        self._files.clear()


def _smsc_lines(status: str) -> str:
    """The SMSC connection section of bearerbox's status.txt."""
    _head, _sep, tail = status.partition("SMSC connections:")
    return tail
