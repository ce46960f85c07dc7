"""The doctor's checks: small pure functions from probed facts to findings, each with its fix.

Nothing here does I/O: :mod:`hotline.doctor.probes` gathers the facts.  A finding is ``ok``,
a ``warning`` (works, but look at it) or an ``error`` (something will fail: the command's exit
code is non-zero).
"""

from __future__ import annotations

import stat
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from ipaddress import ip_address
from pathlib import Path
from typing import Any, Final

# The AMI actions the engine sends and the class manager.conf must grant for each (the engine
# user's `write =`); probed with harmless arguments, "Permission denied" means the class lacks.
ENGINE_ACTIONS: Final[Mapping[str, str]] = {
    "Originate": "originate",
    "Hangup": "call",
    "QueuePause": "agent",
    "Getvar": "reporting",
    "ShowDialPlan": "reporting",
}
# With ivr.levels = "dialplan" the engine also reloads the dialplan it rendered the levels into.
LEVELS_ACTIONS: Final[Mapping[str, str]] = {"Reload": "config"}
GiB: Final = 1024**3


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    message: str
    fix: str = ""

    def as_json(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items()}


def ok(check: str, message: str) -> Finding:
    return Finding(check, Status.OK, message)


def has_errors(findings: Sequence[Finding]) -> bool:
    return any(f.status is Status.ERROR for f in findings)


# --- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    user: str
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class AmiFacts:
    host: str
    port: int
    # Why the TCP connection (or the banner) failed; "" when Asterisk answered.
    unreachable: str = ""
    banner: str = ""
    # role -> its log-in; a role without a configured secret is absent, see ``no_secret``.
    logins: Mapping[str, Login] = field(default_factory=dict)
    no_secret: Mapping[str, str] = field(default_factory=dict)
    # Engine actions Asterisk refused with "Permission denied".
    denied: tuple[str, ...] = ()
    # Dialplan context -> found by ShowDialPlan (only asked when the engine logged in).
    contexts: Mapping[str, bool] = field(default_factory=dict)
    # The engine actions tried (those of ENGINE_ACTIONS, and LEVELS_ACTIONS when needed).
    asked: tuple[str, ...] = tuple(ENGINE_ACTIONS)


@dataclass(frozen=True)
class DirFacts:
    path: Path
    exists: bool
    is_dir: bool = False
    mode: int = 0
    uid: int = -1
    gid: int = -1


@dataclass(frozen=True)
class Identity:
    """Who Asterisk runs as: how it was found, its uid, gid and supplementary groups."""

    found_by: str
    uid: int
    gid: int
    groups: frozenset[int] = frozenset()


@dataclass(frozen=True)
class DatabaseFacts:
    shown_url: str
    error: str = ""
    current: str | None = None
    head: str | None = None
    known: bool = True
    # SQLite: the file is not there (the doctor never creates it).
    no_file: bool = False


@dataclass(frozen=True)
class PromptFacts:
    voice: str
    directory: Path
    total: int
    missing: int
    stale: int
    error: str = ""


@dataclass(frozen=True)
class ClockFacts:
    # True/False as the source says; None: no source could tell.
    synchronised: bool | None
    source: str


@dataclass(frozen=True)
class CalendarFacts:
    timezone: str
    timezone_valid: bool
    year: int
    holidays: int
    # Days moved by decree (days off moved, weekend days worked): the year's decree is known.
    moved_days: int
    overrides: int | None  # None: the store could not be read


@dataclass(frozen=True)
class ListenFacts:
    port: int
    configured_host: str
    # Addresses a socket listens on at ``port`` on this host.
    addresses: tuple[str, ...]


# --- checks -----------------------------------------------------------------------------------


def check_asterisk(ami: AmiFacts) -> Finding:
    where = f"{ami.host}:{ami.port}"
    if ami.unreachable:
        return Finding(
            "asterisk",
            Status.ERROR,
            f"no Asterisk Manager at {where}: {ami.unreachable}",
            "start Asterisk (systemctl start asterisk), or set ami.host/ami.port to where "
            "manager.conf's [general] bindaddr/port listen (enabled = yes)",
        )
    return ok("asterisk", f"{ami.banner or 'Asterisk'} answers at {where}")


def check_ami_logins(ami: AmiFacts) -> list[Finding]:
    if ami.unreachable:
        return []
    findings = []
    for role, reason in sorted(ami.no_secret.items()):
        findings.append(
            Finding(f"ami login ({role})", Status.ERROR, f"no AMI secret for the {role}", reason)
        )
    for role, login in sorted(ami.logins.items()):
        check = f"ami login ({role})"
        if login.ok:
            findings.append(ok(check, f"user {login.user} logged in"))
        else:
            findings.append(
                Finding(
                    check,
                    Status.ERROR,
                    f"user {login.user} refused: {login.message or 'no reason given'}",
                    f"the {role}'s secret in hotline's settings must be the one in manager.conf's "
                    f"[{login.user}] (render both with `hotline asterisk render`, then "
                    "`asterisk -rx 'manager reload'`); the user's permit= must allow this host",
                )
            )
    return findings


def check_ami_rights(ami: AmiFacts) -> Finding | None:
    engine = ami.logins.get("engine")
    if engine is None or not engine.ok:
        return None
    if ami.denied:
        classes = sorted({{**ENGINE_ACTIONS, **LEVELS_ACTIONS}[action] for action in ami.denied})
        return Finding(
            "ami rights",
            Status.ERROR,
            f"user {engine.user} may not send {', '.join(ami.denied)}",
            f"add {','.join(classes)} to write= of [{engine.user}] in manager.conf "
            "(hotline asterisk render writes write = call,originate,agent,reporting, and config "
            'with ivr.levels = "dialplan"), then '
            "`asterisk -rx 'manager reload'`",
        )
    return ok("ami rights", f"user {engine.user} may send {', '.join(ami.asked)}")


def check_dialplan(ami: AmiFacts) -> Finding | None:
    if not ami.contexts:
        return None
    missing = [name for name, present in ami.contexts.items() if not present]
    if missing:
        return Finding(
            "dialplan",
            Status.ERROR,
            f"context(s) missing from Asterisk's dialplan: {', '.join(missing)}",
            "include the extensions.conf that `hotline asterisk render DIR` writes, then "
            "`asterisk -rx 'dialplan reload'`",
        )
    return ok("dialplan", f"contexts present: {', '.join(ami.contexts)}")


def check_fastagi(host: str, port: int, refused: str) -> Finding:
    where = f"{host}:{port}"
    if refused:
        return Finding(
            "fastagi",
            Status.ERROR,
            f"nothing accepts FastAGI connections at {where}: {refused}",
            "start the engine (`hotline run`, or systemctl start hotline); fastagi.host/port "
            "must be the address the dialplan's agi:// URL names",
        )
    return ok("fastagi", f"the engine accepts FastAGI connections at {where}")


def check_prompts(facts: PromptFacts) -> Finding:
    if facts.error:
        return Finding(
            "prompts",
            Status.ERROR,
            f"prompts for voice {facts.voice} cannot be checked: {facts.error}",
            "fix the prompt catalogue, then run `hotline prompts build`",
        )
    if facts.missing or facts.stale:
        return Finding(
            "prompts",
            Status.ERROR,
            f"{facts.missing} of {facts.total} prompts not built and {facts.stale} stale for "
            f"voice {facts.voice} in {facts.directory}",
            "run `hotline prompts build` (with the same settings as the engine)",
        )
    return ok("prompts", f"{facts.total} prompts built for voice {facts.voice}")


def check_database(facts: DatabaseFacts) -> Finding:
    if facts.no_file:
        return Finding(
            "database",
            Status.ERROR,
            f"no database file at {facts.shown_url}",
            "run `hotline db upgrade` (it creates and migrates it), or set store.url",
        )
    if facts.error:
        return Finding(
            "database",
            Status.ERROR,
            f"database {facts.shown_url} unreachable: {facts.error}",
            "check store.url (server, database, user, password) and that the server runs",
        )
    if not facts.known:
        return Finding(
            "database",
            Status.ERROR,
            f"database at schema {facts.current}, newer than this hotline (head {facts.head})",
            "install the hotline version that migrated it, or restore a backup made with this "
            "one (`hotline restore`)",
        )
    if facts.current != facts.head:
        return Finding(
            "database",
            Status.ERROR,
            f"database at schema {facts.current or 'none'}, behind head {facts.head}",
            "run `hotline db upgrade`",
        )
    return ok("database", f"{facts.shown_url} at schema {facts.head}")


def _may_write(directory: DirFacts, who: Identity) -> bool:
    mode = directory.mode
    if who.uid == 0:
        return True
    if directory.uid == who.uid:
        return bool(mode & stat.S_IWUSR and mode & stat.S_IXUSR)
    if directory.gid == who.gid or directory.gid in who.groups:
        return bool(mode & stat.S_IWGRP and mode & stat.S_IXGRP)
    return bool(mode & stat.S_IWOTH and mode & stat.S_IXOTH)


def check_recordings_dir(directory: DirFacts, asterisk: Identity | None) -> list[Finding]:
    path = directory.path
    if not directory.exists or not directory.is_dir:
        return [
            Finding(
                "recordings folder",
                Status.ERROR,
                f"{path} is not a folder",
                f"mkdir -p {path} && chgrp asterisk {path} && chmod 2770 {path}",
            )
        ]
    findings = []
    if directory.mode & stat.S_IWOTH:
        findings.append(
            Finding(
                "recordings folder",
                Status.ERROR,
                f"{path} is world-writable (mode {stat.S_IMODE(directory.mode):o}): anyone on "
                "the host can replace recordings",
                f"chmod o-rwx {path} (recordings are personal data: 2770, group asterisk)",
            )
        )
    if asterisk is None:
        findings.append(
            Finding(
                "recordings folder",
                Status.WARNING,
                f"cannot tell which user Asterisk runs as, so not whether it can write {path}",
                "run the doctor on Asterisk's host, or set doctor.asterisk_user",
            )
        )
    elif not _may_write(directory, asterisk):
        findings.append(
            Finding(
                "recordings folder",
                Status.ERROR,
                f"Asterisk (uid {asterisk.uid}, gid {asterisk.gid}, {asterisk.found_by}) cannot "
                f"write {path} (owner {directory.uid}:{directory.gid}, mode "
                f"{stat.S_IMODE(directory.mode):o})",
                f"chgrp {asterisk.gid} {path} && chmod 2770 {path}",
            )
        )
    if not findings:
        findings.append(ok("recordings folder", f"{path}: Asterisk may write, others may not"))
    return findings


def check_disk(free: int, recent_bytes: int, window_days: int, days: int, path: Path) -> Finding:
    per_day = recent_bytes / window_days
    need = per_day * days
    said = f"{free / GiB:.1f} GiB free under {path}; recordings take {per_day / GiB:.2f} GiB a day"
    if free < need:
        return Finding(
            "disk",
            Status.ERROR,
            f"{said}: less than {days} days' worth ({need / GiB:.1f} GiB)",
            "free space or grow the file system, or lower recording.retention_days",
        )
    return ok("disk", f"{said}: room for {days} days")


def check_clock(facts: ClockFacts) -> Finding:
    if facts.synchronised is None:
        return Finding(
            "clock",
            Status.WARNING,
            f"cannot tell whether the clock is synchronised ({facts.source})",
            "run an NTP client (systemd-timesyncd or chrony): call times, hours and campaign "
            "windows depend on the clock",
        )
    if not facts.synchronised:
        return Finding(
            "clock",
            Status.ERROR,
            f"the clock is not synchronised ({facts.source})",
            "enable NTP: `timedatectl set-ntp true`, or start chrony",
        )
    return ok("clock", f"synchronised ({facts.source})")


def check_calendar(facts: CalendarFacts) -> Finding:
    if not facts.timezone_valid:
        return Finding(
            "calendar",
            Status.ERROR,
            f"hours.timezone {facts.timezone!r} is not a known time zone",
            "set hours.timezone to an IANA name such as Asia/Krasnoyarsk (apt install tzdata)",
        )
    if facts.moved_days == 0 and not facts.overrides:
        return Finding(
            "calendar",
            Status.WARNING,
            f"the production calendar for {facts.year} is not known: the holidays package has "
            f"{facts.holidays} fixed holidays and no days moved by decree, and no calendar "
            "overrides exist",
            "upgrade the holidays package (pip install -U holidays), or enter the decree's "
            "days with `hotline hours override`",
        )
    overrides = "?" if facts.overrides is None else str(facts.overrides)
    return ok(
        "calendar",
        f"{facts.timezone}; {facts.year}: {facts.holidays} holidays, {facts.moved_days} moved "
        f"by decree, {overrides} overrides",
    )


def _loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _wildcard(host: str) -> bool:
    return host in ("0.0.0.0", "::", "")


def check_console(facts: ListenFacts) -> Finding:
    configured = facts.configured_host
    if not facts.addresses:
        return Finding(
            "console",
            Status.WARNING,
            f"nothing listens on port {facts.port}: the console is not running",
            "start it (`hotline web`, or systemctl start hotline-web) if this host serves it",
        )
    unexpected = [
        address
        for address in facts.addresses
        if not (_wildcard(configured) or address == configured)
        and not (_loopback(configured) and _loopback(address))
    ]
    if unexpected:
        return Finding(
            "console",
            Status.ERROR,
            f"port {facts.port} listens on {', '.join(unexpected)}, but web.host is {configured}",
            "stop whatever listens there, or set web.host to the address you intend",
        )
    if not _loopback(configured):
        return Finding(
            "console",
            Status.WARNING,
            f"the console listens on {', '.join(facts.addresses)}:{facts.port}, reachable "
            "from the network",
            "keep web.host = 127.0.0.1 behind nginx terminating TLS, unless this is intended",
        )
    return ok("console", f"bound to loopback ({', '.join(facts.addresses)}:{facts.port})")


def as_json(findings: Sequence[Finding]) -> dict[str, Any]:
    return {
        "ok": not has_errors(findings),
        "errors": sum(f.status is Status.ERROR for f in findings),
        "warnings": sum(f.status is Status.WARNING for f in findings),
        "findings": [f.as_json() for f in findings],
    }
