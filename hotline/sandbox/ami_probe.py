"""A blocking AMI login check, for deciding whether the sandbox's Asterisk is healthy.

Deliberately tiny and synchronous: it runs in the CLI and in test fixtures, never in the
engine's event loop (the engine has its own AMI client).
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass

_BANNER_PREFIX = b"Asterisk Call Manager/"


@dataclass(frozen=True)
class AmiLogin:
    ok: bool
    message: str
    banner: str = ""


def _read_until(sock: socket.socket, marker: bytes, deadline: float, limit: int = 65536) -> bytes:
    data = b""
    while marker not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("AMI did not answer in time")
        sock.settimeout(remaining)
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("AMI closed the connection")
        data += chunk
        if len(data) > limit:
            raise ConnectionError("AMI sent an oversized reply")
    return data


def _fields(block: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip().lower(), value.strip())
    return fields


def open_session(
    host: str, port: int, username: str, secret: str, timeout: float
) -> tuple[socket.socket, AmiLogin]:
    """Connect and log in; the caller owns (and closes) the returned socket."""
    deadline = time.monotonic() + timeout
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        banner = _read_until(sock, b"\r\n", deadline)
        if not banner.startswith(_BANNER_PREFIX):
            return sock, AmiLogin(False, f"not an AMI banner: {banner[:60]!r}")
        login = (
            f"Action: Login\r\nActionID: probe\r\nUsername: {username}\r\n"
            f"Secret: {secret}\r\nEvents: off\r\n\r\n"
        )
        sock.sendall(login.encode())
        reply = _fields(_read_until(sock, b"\r\n\r\n", deadline))
        ok = reply.get("response", "").lower() == "success"
        message = reply.get("message", "")
        return sock, AmiLogin(ok, message, banner.decode("ascii", "replace").strip())
    except BaseException:
        sock.close()
        raise


def try_login(host: str, port: int, username: str, secret: str, timeout: float) -> AmiLogin:
    """Log in and off once; connection problems come back as a failed login, not an error."""
    try:
        sock, result = open_session(host, port, username, secret, timeout)
    except (OSError, TimeoutError) as exc:
        return AmiLogin(False, f"{type(exc).__name__}: {exc}")
    with sock:
        if result.ok:
            with contextlib.suppress(OSError):
                sock.sendall(b"Action: Logoff\r\nActionID: bye\r\n\r\n")
    return result


def wait_closed(sock: socket.socket, timeout: float) -> bool:
    """True once the peer closes the connection (Asterisk shutting down)."""
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        sock.settimeout(remaining)
        try:
            if not sock.recv(4096):
                return True
        except TimeoutError:
            return False
        except OSError:
            return True
    return False
