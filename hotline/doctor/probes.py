"""The doctor's probes: what the installation looks like, gathered without changing anything.

Each probe is bounded by ``doctor.probe_timeout`` and never blocks the event loop (file system
walks and the prompt check run in a thread).  What is checked, exactly:

* AMI: a TCP connection and the banner; a log-in per role (engine, console, CLI) with events
  off; for the engine's user, the actions it sends with harmless arguments (no channel is
  created: ``Originate`` names a channel technology that does not exist; with the menu's
  levels in dialplan, ``Reload`` names a module that does not exist) and "Permission denied"
  means its ``write=`` lacks the class; ``ShowDialPlan`` for each context.
* FastAGI: a TCP connection to ``fastagi.host:port`` from this host, closed at once.
* Asterisk's user: the owner of the socket listening on the AMI port (``/proc/net/tcp``) and
  that user's ``asterisk`` process (its groups); else ``doctor.asterisk_user``.
* The clock: ``timedatectl``'s NTPSynchronized, else ``chronyc tracking``'s leap status.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import os
import pwd
import shutil
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotline.dialplan.names import (
    CONTEXT_DIALER,
    CONTEXT_FALLBACK,
    CONTEXT_INBOUND,
    CONTEXT_OPERATOR,
)
from hotline.doctor.checks import (
    ENGINE_ACTIONS,
    LEVELS_ACTIONS,
    AmiFacts,
    CalendarFacts,
    ClockFacts,
    DatabaseFacts,
    DirFacts,
    Identity,
    ListenFacts,
    Login,
    PromptFacts,
)
from hotline.protocol.lines import LineValueError, line_value
from hotline.settings import AmiRole, Settings
from hotline.store.db import Database, head_revision, known_revision

CONTEXTS: Final = (CONTEXT_INBOUND, CONTEXT_FALLBACK, CONTEXT_OPERATOR, CONTEXT_DIALER)
BANNER_PREFIX: Final = "Asterisk Call Manager/"
PERMISSION_DENIED: Final = "Permission denied"
# A channel technology no Asterisk has: Originate/Hangup/QueuePause on it touch nothing.
PROBE_CHANNEL: Final = "HotlineDoctor/probe"
PROBE_VARIABLE: Final = "HOTLINE_DOCTOR_PROBE"
PROBE_MODULE: Final = "hotline_doctor_probe.so"
TCP_LISTEN: Final = "0A"
PROC_NET: Final = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
MAX_REPLY_BYTES: Final = 1024 * 1024

# role -> (secret, or why there is none)
Secrets = Mapping[AmiRole, str | Exception]


# --- AMI --------------------------------------------------------------------------------------


class _Session:
    """A minimal AMI conversation over asyncio streams: one action at a time, events off."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self._next = 0

    async def message(self) -> dict[str, str]:
        block = await self.reader.readuntil(b"\r\n\r\n")
        fields: dict[str, str] = {}
        for line in block.decode("utf-8", "replace").split("\r\n"):
            key, sep, value = line.partition(":")
            if sep:
                fields.setdefault(key.strip().lower(), value.strip())
        return fields

    async def send(self, headers: Mapping[str, str]) -> str:
        self._next += 1
        action_id = f"doctor-{self._next}"
        lines = [f"{line_value('AMI header', k)}: {line_value(k, v)}" for k, v in headers.items()]
        text = "\r\n".join([*lines, f"ActionID: {action_id}"]) + "\r\n\r\n"
        self.writer.write(text.encode())
        await self.writer.drain()
        return action_id

    async def reply(self, headers: Mapping[str, str]) -> dict[str, str]:
        action_id = await self.send(headers)
        while True:
            message = await self.message()
            if message.get("actionid") == action_id and "response" in message:
                return message

    async def event_list(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The first reply, after draining the event list it starts (if any)."""
        first = await self.reply(headers)
        if first.get("eventlist", "").lower() == "start":
            while (await self.message()).get("eventlist", "").lower() != "complete":
                pass
        return first

    async def close(self) -> None:
        with contextlib.suppress(OSError, TimeoutError):
            self.writer.write(b"Action: Logoff\r\n\r\n")
            self.writer.close()
            async with asyncio.timeout(1.0):
                await self.writer.wait_closed()


async def _open(host: str, port: int) -> tuple[_Session, str]:
    """A connection that greeted us with the Manager's banner; ConnectionError if not."""
    reader, writer = await asyncio.open_connection(host, port, limit=MAX_REPLY_BYTES)
    session = _Session(reader, writer)
    banner = (await reader.readline()).decode("utf-8", "replace").strip()
    if not banner.startswith(BANNER_PREFIX):
        await session.close()
        raise ConnectionError(f"not an Asterisk Manager banner: {banner[:60]!r}")
    return session, banner


async def _login(host: str, port: int, user: str, secret: str) -> tuple[_Session | None, Login]:
    session, _banner = await _open(host, port)
    try:
        reply = await session.reply(
            {"Action": "Login", "Username": user, "Secret": secret, "Events": "off"}
        )
    except LineValueError as exc:
        await session.close()
        return None, Login(user, False, str(exc))
    if reply.get("response", "").lower() != "success":
        await session.close()
        return None, Login(user, False, reply.get("message", ""))
    return session, Login(user, True)


async def _engine_probes(
    session: _Session, levels: bool
) -> tuple[tuple[str, ...], dict[str, bool]]:
    """The engine's actions Asterisk refuses, and which of our contexts it has; ``levels``:
    the menu's levels are in dialplan, so the engine also needs ``Reload``."""
    arguments: dict[str, dict[str, str]] = {
        "Originate": {
            "Channel": PROBE_CHANNEL,
            "Context": CONTEXT_INBOUND,
            "Exten": "s",
            "Priority": "1",
            "Timeout": "1000",
        },
        "Hangup": {"Channel": PROBE_CHANNEL},
        "QueuePause": {"Interface": PROBE_CHANNEL, "Paused": "false"},
        "Getvar": {"Variable": PROBE_VARIABLE},
    }
    if levels:  # a module no Asterisk has: nothing is reloaded
        arguments["Reload"] = {"Module": PROBE_MODULE}
    denied = []
    for action, headers in arguments.items():
        reply = await session.reply({"Action": action, **headers})
        if reply.get("message", "") == PERMISSION_DENIED:
            denied.append(action)
    contexts: dict[str, bool] = {}
    for context in CONTEXTS:
        reply = await session.event_list({"Action": "ShowDialPlan", "Context": context})
        if reply.get("message", "") == PERMISSION_DENIED:
            denied.append("ShowDialPlan")
            return tuple(denied), {}
        contexts[context] = reply.get("response", "").lower() == "success"
    return tuple(denied), contexts


async def probe_ami(settings: Settings, secrets: Secrets) -> AmiFacts:
    ami, timeout = settings.ami, settings.doctor.probe_timeout
    levels = settings.ivr.levels == "dialplan"
    asked = (*ENGINE_ACTIONS, *(LEVELS_ACTIONS if levels else ()))
    try:
        async with asyncio.timeout(timeout):
            greeting, banner = await _open(ami.host, ami.port)
            await greeting.close()
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ConnectionError) as exc:
        return AmiFacts(ami.host, ami.port, unreachable=_reason(exc))
    logins: dict[str, Login] = {}
    no_secret: dict[str, str] = {}
    denied: tuple[str, ...] = ()
    contexts: dict[str, bool] = {}
    for role in AmiRole:
        secret = secrets[role]
        if isinstance(secret, Exception):
            no_secret[role.value] = str(secret)
            continue
        try:
            async with asyncio.timeout(timeout):
                session, login = await _login(ami.host, ami.port, ami.user(role), secret)
                logins[role.value] = login
                if session is not None:
                    try:
                        if role is AmiRole.ENGINE:
                            denied, contexts = await _engine_probes(session, levels)
                    finally:
                        await session.close()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ConnectionError) as exc:
            logins[role.value] = Login(ami.user(role), False, _reason(exc))
    return AmiFacts(ami.host, ami.port, "", banner, logins, no_secret, denied, contexts, asked)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return str(exc) or type(exc).__name__


# --- FastAGI, sockets -------------------------------------------------------------------------


def connect_host(host: str) -> str:
    """Where to connect to reach a server bound to ``host`` (a wildcard: this host)."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


async def probe_tcp(host: str, port: int, within: float) -> str:
    """ "" when something accepts a TCP connection at host:port, else why not."""
    try:
        async with asyncio.timeout(within):
            _reader, writer = await asyncio.open_connection(connect_host(host), port)
    except (OSError, TimeoutError) as exc:
        return _reason(exc)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return ""


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    # /proc/net/tcp* print each 32-bit word in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        return ".".join(str(b) for b in words)
    from ipaddress import IPv6Address

    return str(IPv6Address(words))


def listening(table: str) -> list[tuple[str, int, int]]:
    """(address, port, uid) of each listening socket in a /proc/net/tcp{,6} table."""
    sockets = []
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8 or fields[3] != TCP_LISTEN:
            continue
        address, _, port = fields[1].partition(":")
        sockets.append((_address(address), int(port, 16), int(fields[7])))
    return sockets


def _listeners() -> list[tuple[str, int, int]]:
    sockets = []
    for table in PROC_NET:
        with contextlib.suppress(OSError):
            sockets += listening(table.read_text(encoding="ascii"))
    return sockets


def asterisk_identity(settings: Settings) -> Identity | None:
    """Who Asterisk runs as (see the module's docstring)."""
    owners = {uid for _addr, port, uid in _listeners() if port == settings.ami.port}
    for uid in owners:
        for status in Path("/proc").glob("[0-9]*/status"):
            with contextlib.suppress(OSError):
                fields = dict(
                    line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
                )
                if fields.get("Name", "").strip() != "asterisk":
                    continue
                if int(fields["Uid"].split()[0]) != uid:
                    continue
                groups = frozenset(int(g) for g in fields.get("Groups", "").split())
                gid = int(fields["Gid"].split()[0])
                return Identity(f"the asterisk process {status.parent.name}", uid, gid, groups)
    try:
        user = pwd.getpwnam(settings.doctor.asterisk_user)
    except KeyError:
        return None
    groups = frozenset(g.gr_gid for g in grp.getgrall() if user.pw_name in g.gr_mem)
    return Identity(f"user {user.pw_name}", user.pw_uid, user.pw_gid, groups)


def console_listen(settings: Settings) -> ListenFacts:
    port = settings.web.port
    addresses = tuple(sorted({addr for addr, p, _uid in _listeners() if p == port}))
    return ListenFacts(port, settings.web.host, addresses)


# --- files ------------------------------------------------------------------------------------


def dir_facts(path: Path) -> DirFacts:
    try:
        info = path.stat()
    except OSError:
        return DirFacts(path, exists=False)
    return DirFacts(path, True, path.is_dir(), info.st_mode, info.st_uid, info.st_gid)


def recent_bytes(root: Path, days: int, now: float) -> int:
    """Bytes of the files under ``root`` modified in the last ``days`` days."""
    since = now - days * 86_400
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):
                info = os.stat(os.path.join(folder, name))
                if info.st_mtime >= since:
                    total += info.st_size
    return total


def free_bytes(path: Path) -> int:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def prompt_facts(settings: Settings) -> PromptFacts:
    from hotline.speech.catalogue import CatalogueError
    from hotline.speech.library import PromptLibrary
    from hotline.speech.tools import SpeechError

    library = PromptLibrary(settings)
    voice = settings.speech.voice
    try:
        directory = library.voice_dir()
        statuses = library.check()
    except (CatalogueError, SpeechError, OSError) as exc:
        return PromptFacts(voice, settings.speech.sounds_dir, 0, 0, 0, str(exc))
    missing = sum(s.state == "missing" for s in statuses)
    stale = sum(s.state == "stale" for s in statuses)
    return PromptFacts(voice, directory, len(statuses), missing, stale)


# --- database, calendar, clock ----------------------------------------------------------------


async def probe_database(settings: Settings) -> tuple[DatabaseFacts, int | None]:
    """The schema revision, and the calendar overrides of this year (None: not readable)."""
    db = Database.from_settings(settings) if _store_exists(settings) else None
    shown = (
        db.url.render_as_string(hide_password=True) if db is not None else settings.database_url
    )
    if db is None:
        return DatabaseFacts(shown, no_file=True), None
    try:
        async with asyncio.timeout(settings.doctor.probe_timeout):
            current = await db.current_revision()
            head = await head_revision()
            known = current is None or await known_revision(current)
            facts = DatabaseFacts(shown, "", current, head, known)
            overrides = None
            if current == head:
                from hotline.store.calendar import OverrideStore

                year = date.today().year
                rows = await OverrideStore(db).list(date(year, 1, 1), date(year, 12, 31))
                overrides = len(rows)
            return facts, overrides
    except Exception as exc:  # any driver's error: the finding says what it was
        return DatabaseFacts(shown, error=_reason(exc) or type(exc).__name__), None
    finally:
        await db.dispose()


def _store_exists(settings: Settings) -> bool:
    """Database() creates a missing SQLite file; the doctor must not."""
    from sqlalchemy import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return True
    return Path(url.database).expanduser().exists()


def calendar_facts(settings: Settings, overrides: int | None, today: date) -> CalendarFacts:
    name = settings.hours.timezone
    try:
        ZoneInfo(name)
        valid = True
    except (ZoneInfoNotFoundError, ValueError):
        valid = False
    import holidays

    year = today.year
    calendar = holidays.country_holidays("RU", years=year, language="ru")
    moved = sum("перенесено" in str(label) for label in calendar.values())
    moved += len(getattr(calendar, "weekend_workdays", ()))
    return CalendarFacts(name, valid, year, len(calendar), moved, overrides)


async def _run(argv: list[str], within: float) -> tuple[int, str] | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
    except OSError:
        return None
    try:
        async with asyncio.timeout(within):
            out, _ = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        return None
    return process.returncode or 0, out.decode("utf-8", "replace")


async def probe_clock(within: float) -> ClockFacts:
    tried = []
    result = await _run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"], within)
    if result is not None and result[0] == 0 and result[1].strip() in ("yes", "no"):
        return ClockFacts(result[1].strip() == "yes", "timedatectl NTPSynchronized")
    tried.append("timedatectl" if result is not None else "no timedatectl")
    result = await _run(["chronyc", "-n", "tracking"], within)
    if result is not None and result[0] == 0:
        for line in result[1].splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "Leap status":
                return ClockFacts(value.strip() == "Normal", f"chronyc: {value.strip()}")
    tried.append("chronyc" if result is not None else "no chronyc")
    return ClockFacts(None, ", ".join(tried) + " could not tell")


def now() -> float:
    return time.time()
