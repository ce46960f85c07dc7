"""The settings sections: one frozen model each, unknown keys refused.  Defaults follow the
seeds (``../shared/requirements.md``) where one applies; the comment says which."""

from __future__ import annotations

import ipaddress
import socket
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from hotline.settings.amd import AmdSettings
from hotline.settings.base import SECTION_CONFIG
from hotline.settings.progressive import ProgressiveSettings
from hotline.settings.queues import (
    DepartmentQueue,
    OutageSettings,
    QueueSettings,
    RecordingSettings,
    SimOperatorSettings,
    SimulateSettings,
)
from hotline.settings.schedules import ScheduleSettings
from hotline.settings.survey import SurveySettings
from hotline.settings.web_proxy import WebProxyFields


class _Section(BaseModel):
    model_config = SECTION_CONFIG


__all__ = [
    "DepartmentQueue",
    "OutageSettings",
    "QueueSettings",
    "RecordingSettings",
    "SimOperatorSettings",
    "SimulateSettings",
]


def known_zone(value: str) -> str:
    """``value`` if it is an IANA time zone; ValueError naming it otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia": IsADirectoryError
        raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Moscow)") from None
    return value


class AmiRole(StrEnum):
    """Who logs in to AMI: each process as its own user, with only the rights it needs
    (``manager.conf``): the engine, the web console, the CLI's commands."""

    ENGINE = "engine"
    CONSOLE = "console"
    CLI = "cli"


class AmiSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 5038
    # The engine's AMI user.
    username: str = "hotline"
    # No usable default: taken from the environment/settings file, or from the sandbox.
    secret: SecretStr | None = None
    # The console's user: queue actions, the events it shows, transfers, and originate only
    # to ring a supervisor's own phone into ChanSpy (issue 17 item 7); no command.
    console_username: str = "hotline-console"
    console_secret: SecretStr | None = None
    # The CLI's user: queue actions, and the simulated calls of the sandbox.
    cli_username: str = "hotline-cli"
    cli_secret: SecretStr | None = None
    connect_timeout: float = 5.0
    action_timeout: float = 10.0
    reconnect_min_delay: float = 0.5
    reconnect_max_delay: float = 30.0
    ping_interval: float = 5.0
    # Events wait here between the socket reader and their consumers (Asterisk drops AMI
    # clients that stop reading for 100 ms, so the reader must never block on a consumer).
    event_queue_size: int = 10_000

    def user(self, role: AmiRole) -> str:
        """The AMI username ``role`` logs in as."""
        return {
            AmiRole.ENGINE: self.username,
            AmiRole.CONSOLE: self.console_username,
            AmiRole.CLI: self.cli_username,
        }[role]

    def configured_secret(self, role: AmiRole) -> str | None:
        """``role``'s secret from the settings/environment, or None."""
        secret = {
            AmiRole.ENGINE: self.secret,
            AmiRole.CONSOLE: self.console_secret,
            AmiRole.CLI: self.cli_secret,
        }[role]
        return secret.get_secret_value() if secret is not None else None

    @model_validator(mode="after")
    def _distinct_users(self) -> AmiSettings:
        if len({self.username, self.console_username, self.cli_username}) != 3:
            raise ValueError("ami: the engine, console and CLI need three different usernames")
        return self


class FastAgiSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 4573
    header_timeout: float = 5.0
    max_header_bytes: int = 16_384
    max_line_bytes: int = 65_536
    # Longest a single AGI command may take; prompts and digit waits are far shorter.
    command_timeout: float = 300.0
    # On shutdown, calls in progress get this long to finish before they go to the fallback
    # (the operator queue).  A few seconds (issue 21: a stop took 20-38 s in the soak, most
    # of it waiting 10 s for menu calls that last longer and went to the queue anyway; new
    # callers meanwhile reach the queue, not the IVR).
    shutdown_grace: float = 3.0
    backlog: int = 256
    # Addresses or networks Asterisk may connect from; anything else is closed before a
    # command is sent (the dialplan falls back to the operator queue).  The engine adds
    # ami.host, the Asterisk it drives.
    allowed_peers: list[str] = ["127.0.0.1/32", "::1/128"]
    # Sessions at a time; a connection over the cap is closed at once (the caller falls back
    # to the queue) instead of piling up behind a flood.
    max_sessions: int = 500


class StoreSettings(_Section):
    # None means a SQLite file in paths.data_dir; a postgresql+psycopg:// URL switches to PG.
    url: str | None = None
    echo: bool = False
    # Connections the pool keeps open, and how many more a burst may open; None: by backend
    # (hotline.store.db: SQLite 20 and 40, PostgreSQL 5 and 10).
    pool_size: int | None = Field(default=None, ge=1)
    pool_overflow: int | None = Field(default=None, ge=0)


class PathSettings(_Section):
    data_dir: Path = Path("var")
    recordings_dir: Path = Path("recordings")
    prompts_dir: Path = Path("prompts")
    menus_dir: Path = Path("menus")
    asterisk_conf_dir: Path = Path("asterisk_conf")


class SandboxSettings(_Section):
    enabled: bool = True
    cache_dir: Path = Path("~/.cache/hotline")
    # Debian mirror for the sid chroot; None reads it from the host's apt sources.
    mirror: str | None = None
    suite: str = "sid"
    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    start_timeout: float = 90.0
    stop_timeout: float = 30.0
    # The sandbox's PJSIP trunk for campaign calls: any SIP peer listening here is the far end
    # (dial string "PJSIP/{number}@hotline-sim-trunk").
    sim_trunk_port: int = 5070
    # Issue 19 (parallel test workers): a named instance runs its own Asterisk in an overlay
    # of the chroot built once under cache_dir (sandbox/instances/<name>); "" is that chroot.
    instance: str = Field(default="", pattern=r"^([a-z0-9][a-z0-9_-]{0,31})?$")


class IvrSettings(_Section):
    # The menu the hotline runs (relative to the working directory).
    menu_file: Path = Path("menus/hotline.yaml")
    # Seconds the caller has to press a key after a prompt before the round counts as silent.
    input_timeout: float = 5.0
    # Invalid-key rounds in a row before the caller is sent to an operator.
    max_rounds: int = 3
    # Silent rounds before the caller is sent to an operator (R-021, R-152: phones without
    # tone dialling): after the first one the caller hears that staying on the line is enough.
    silent_rounds: int = Field(default=2, ge=1)
    # Navigation keys, reserved on every level.
    operator_key: str = "0"
    back_key: str = "*"
    main_key: str = "#"
    # Repeats what the current level just said; reserved like the others.
    repeat_key: str = "9"
    # The service standard (000, "Параметр / Требование"): 4 menu levels, the operator is the
    # 5th; 4 options per level; 15 s of speech per level before every choice has been heard.
    max_levels: int = 4
    max_options: int = 4
    max_level_speech_seconds: float = 15.0
    # How often the engine checks for a newly published menu version (`hotline menu publish`).
    menu_reload_seconds: float = 5.0
    # Who walks the levels (issue 19): "engine" (a key is a FastAGI round trip) or "dialplan"
    # (rendered into MENU_CONF; the engine at call start, action nodes and the operator).
    levels: Literal["engine", "dialplan"] = "engine"
    # Where the rendered levels go (extensions.conf includes them); None: the sandbox's
    # /etc/asterisk when the sandbox is enabled, else /etc/asterisk.
    levels_dir: Path | None = None


class HoursSettings(_Section):
    # The installation's one time zone (R-086, §22): operator hours, the console's times, and
    # campaign contacts without a zone of their own (a campaign may override it in its rules).
    timezone: str = "Asia/Krasnoyarsk"
    # Operators' weekly schedule, local time; "HH:MM-HH:MM", empty = closed that day.
    monday: str = "08:00-20:00"
    tuesday: str = "08:00-20:00"
    wednesday: str = "08:00-20:00"
    thursday: str = "08:00-20:00"
    friday: str = "08:00-20:00"
    saturday: str = "08:00-18:00"
    sunday: str = "08:00-18:00"
    # Non-working days of the Russian production calendar (holidays, moved days off) use these
    # hours; moved working days (a working Saturday) use Monday's. "" = closed.
    holiday_hours: str = "08:00-18:00"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return known_zone(value)


class GreetingSettings(_Section):
    """When «Доброе утро», «Добрый день» and «Добрый вечер» start (local time, HH:MM); from
    ``night`` until ``morning`` callers hear a neutral «Здравствуйте».  Used by the IVR and
    outbound scenarios (R-048)."""

    morning: str = "05:00"
    day: str = "12:00"
    evening: str = "18:00"
    night: str = "23:00"

    @model_validator(mode="after")
    def _ordered(self) -> GreetingSettings:
        marks = [self.morning, self.day, self.evening, self.night]
        try:
            parsed = [time.fromisoformat(mark) for mark in marks]
        except ValueError as exc:
            raise ValueError(f"greeting times must be HH:MM: {exc}") from None
        if parsed != sorted(parsed) or len(set(parsed)) != len(parsed):
            raise ValueError(
                "greeting times must increase: morning < day < evening < night, "
                f"got {', '.join(marks)}"
            )
        return self


class SpeechSettings(_Section):
    # rhvoice (natural, offline; Debian non-free), espeak (robotic, always installable),
    # gtts (online only; never needed by tests).
    backend: Literal["rhvoice", "espeak", "gtts"] = "rhvoice"
    # RHVoice voices licensed for commercial use: anna, elena, irina, aleksandr (LGPL-2.1+).
    voice: str = "anna"
    # Speech rate in percent of the voice's normal rate.
    rate: int = 100
    # Rendered audio keyed by (backend, voice, rate, text); shared by every checkout.
    cache_dir: Path = Path("~/.cache/hotline/speech")
    # Built prompts and composed phrases, as Asterisk reads them (the sandbox bind-mounts this
    # directory at the same absolute path inside its chroot).
    sounds_dir: Path = Path("var/sounds")
    # "ровно ноль копеек" is omitted by default: "сто рублей".
    say_zero_kopecks: bool = False
    company_name: str = "Энергосбыт"


class WordingSettings(_Section):
    """The phrase checker run on the prompt catalogue, menus and campaign scenarios
    (`hotline prompts check`, `hotline menu validate`, `hotline scenario create`).  Matching
    ignores case, «ё»/«е» and punctuation, and is by whole words."""

    # phrases that must never be said: errors.  [003] 96, 116: «Слушаю!», «Куда я
    # попал?», «Вас беспокоят...», «Вас тревожат...», «Не могли бы Вы...», «Можно еще Вас
    # побеспокоить/потревожить...», and apologising for taking the other person's time.
    forbidden_phrases: tuple[str, ...] = (
        "Слушаю",
        "Куда я попал",
        "Вас беспокоят",
        "Вас тревожат",
        "Не могли бы Вы",
        "Можно еще Вас побеспокоить",
        "Можно еще Вас потревожить",
        "Извините за беспокойство",
        "Простите за беспокойство",
        "Извините, что отнимаю",
        "Извините, что заняли",
        "Простите, что отнимаю",
    )
    # categorical and negatively coloured wording: warnings.  [003] 64 г, д: «Вы
    # обязаны», «Вам предписывается», «Явиться», «Предъявить»; «Нет», «Не сможем», «Не
    # получится», «Нет возможности»; and the IVR's own old negatives (issue 15, item 6).
    negative_words: tuple[str, ...] = (
        "Вы обязаны",
        "Вам предписывается",
        "Явиться",
        "Предъявить",
        "Нет",
        "Не сможем",
        "Не получится",
        "Нет возможности",
        "К сожалению",
        "Недоступен",
        "Невозможно",
        "Не удалось",
        "Не найден",
        "Ничего не",
    )


class TrunkSettings(_Section):
    # Dial string; {number} is the E.164 number without "+", {e164} with it.
    dial: str
    channels: int = 10


class DialerSettings(_Section):
    """The campaign dialer (autoinformer).  Pacing values here are defaults: `hotline campaign
    limits` changes them while the engine runs (stored, re-read every tick)."""

    enabled: bool = True
    # Dial string of the trunk; {number} is the E.164 number without "+".  The sandbox default
    # is the simulated carrier (the last digit picks the far end's behaviour).
    trunk: str = "Local/{number}@hotline-sim-carrier"
    trunk_name: str = "default"
    # More trunks a campaign can choose (rules `trunk: NAME`), each with its channel cap:
    # [dialer.trunks.beeline] dial = "PJSIP/{number}@beeline", channels = 30
    trunks: dict[str, TrunkSettings] = Field(default_factory=dict)
    # R-087 (approval by a manager; issue 14 item 8): OS user name -> console user name.
    # `hotline campaign approve` run by a mapped OS user (its effective uid, never $USER)
    # approves as that console user without --password-file.  Empty: always the password.
    os_approvers: dict[str, str] = Field(default_factory=dict)
    caller_id: str | None = None
    # How often the dispatcher looks for due contacts.
    tick_seconds: float = 1.0
    # Global calls per second (Originates) over all campaigns.
    calls_per_second: float = 1.0
    # Concurrent channels on the trunk (all campaigns together).
    trunk_channels: int = 10
    # Minimum time between two calls to the same number, across all campaigns.
    same_number_gap_seconds: float = 3600.0
    # Ring time before a call counts as not answered.
    ring_seconds: float = 30.0
    # How long the callee has to press 1 after the confirmation prompt.
    confirm_wait_seconds: float = 5.0
    # Played at most this much short of its length still counts as "fully played".
    key_content_tolerance_seconds: float = 0.3
    # Answering-machine detection on answered calls (R-085; hotline/settings/amd.py).
    amd: AmdSettings = Field(default_factory=AmdSettings)
    # Survey questions (R-105-R-108; hotline/settings/survey.py).
    survey: SurveySettings = Field(default_factory=SurveySettings)
    # Progressive campaigns (issue 22 item 2; hotline/settings/progressive.py).
    progressive: ProgressiveSettings = Field(default_factory=ProgressiveSettings)
    # Campaigns repeating monthly (issue 22 item 5; hotline/settings/schedules.py).
    schedules: ScheduleSettings = Field(default_factory=ScheduleSettings)
    # Region assumed for numbers written without a country code.
    default_region: str = "RU"
    # Planned-outage notices go out at least this many days before the work starts (R-089:
    # "за 1 месяц" [000], the catalogue's default; [004] says 10 days): a contact whose outage
    # starts sooner is refused at import and is not called.
    outage_lead_days: int = Field(default=30, ge=0, le=365)
    # E-mail informing: the SMTP server; None switches e-mail off.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "noreply@localhost"
    smtp_timeout: float = 10.0


class AccountSettings(_Section):
    # Digits in an account number (12 at the seed company [004]; R-068).
    account_digits: int = Field(default=12, ge=4, le=20)
    # Time zone of accounts imported without one (their dates and reading window use it).
    default_timezone: str = "Asia/Krasnoyarsk"
    # Failed identifications (wrong, unknown, unconfirmed numbers, silence) before the operator.
    identify_attempts: int = Field(default=3, ge=1, le=10)
    # What a caller must prove before the IVR says money (balance, debt, due date, last
    # payment).  Caller ID is spoofable, so "none" lets anyone who knows a customer's number
    # hear them.  "account_digits": a caller identified by caller ID types the last
    # `money_digits` digits of the account (a typed full number already counts); "pin": every
    # caller types the PIN imported from billing (stored as a hash).  Readings stay allowed on
    # caller ID and a confirmed account whatever this says (seeds 003, 004).
    money_disclosure: Literal["none", "account_digits", "pin"] = "account_digits"
    # Last digits asked for by "account_digits".  The IVR reads the last 4 digits out when it
    # confirms a caller ID, so only the digits before them are secret: at least 8.
    money_digits: int = Field(default=8, ge=8, le=20)
    # Wrong account digits or PINs in one call before the caller goes to an operator.
    money_attempts: int = Field(default=3, ge=1, le=5)
    # Across calls (R-068 identification; issue 14): wrong account digits or PINs typed for
    # one account, or from one caller ID, within `money_lockout_minutes` before money is no
    # longer asked about by phone (the caller is offered the operator) for that long.
    money_lockout_failures: int = Field(default=5, ge=1, le=100)
    money_lockout_minutes: int = Field(default=60, ge=1)

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return known_zone(value)


class ReadingSettings(_Section):
    # Days of the month when readings count for the billing period: "" = every day,
    # "23-26" = the 23rd to the 26th inclusive ([004], R-066), local to the account.
    window_days: str = ""
    # Outside the window: refuse the reading, or accept it for the next period (flagged).
    outside_window: Literal["refuse", "next_period"] = "refuse"
    # A consumption above this multiple of the account's average monthly consumption (per
    # month since the last reading) must be confirmed twice and is flagged for review ...
    plausibility_multiple: float = Field(default=3.0, gt=1.0)
    # ... and so must any consumption above this ceiling, whatever the average.
    plausibility_ceiling_kwh: int = Field(default=5000, gt=0)
    # Whole-kWh digits of a meter whose import row does not say.
    meter_digits: int = Field(default=6, ge=3, le=12)
    # Wrong, silent or refused entries for one zone before the caller goes to the operator.
    entry_attempts: int = Field(default=3, ge=1, le=10)

    @field_validator("window_days")
    @classmethod
    def _window(cls, value: str) -> str:
        window_days(value)
        return value


def window_days(value: str) -> tuple[int, int]:
    """``"23-26"`` -> (23, 26); ``""`` -> (1, 31), every day.  ValueError when malformed."""
    text = value.strip()
    if not text:
        return 1, 31
    first, sep, last = text.partition("-")
    try:
        start, end = int(first), int(last if sep else first)
    except ValueError:
        raise ValueError(f"window days must look like 23-26, got {value!r}") from None
    if not 1 <= start <= end <= 31:
        raise ValueError(f"window days must be within 1-31, first <= last, got {value!r}")
    return start, end


class WebSettings(WebProxyFields, _Section):
    """The supervisors' and operators' browser console (``hotline web``)."""

    # Loopback unless configured: the console shows personal data.
    host: str = "127.0.0.1"
    port: int = 8080
    # A session ends after this long without a request, and in any case after max_hours.
    session_idle_minutes: int = Field(default=60, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    # Consecutive failed log-ins that lock an account, and for how long.
    max_failed_logins: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    # Failed log-ins from one client address (any names) within lockout_minutes that lock
    # the address out for lockout_minutes: guessing across many names is throttled too.
    max_failed_logins_per_address: int = Field(default=20, ge=1)
    # Cookies marked Secure (sent over HTTPS only) and HSTS: None means on whenever the console
    # is bound beyond loopback (then it must be served over HTTPS, e.g. behind a proxy).
    secure_cookies: bool | None = None
    # The names the console answers to in the Host header; any other gets 400, so a page on
    # another site cannot reach it through DNS rebinding.  Empty: the bind host, localhost and
    # 127.0.0.1 (and the machine's names when bound to every address).
    allowed_hosts: list[str] = Field(default_factory=list)
    # The wallboard redraws on every queue/channel event from AMI (at most this often) and
    # at least every refresh_seconds so wait clocks keep moving.
    wallboard_min_interval: float = Field(default=1.0, gt=0)
    wallboard_refresh_seconds: float = Field(default=5.0, gt=0)
    # Open event streams (wallboard, screen pop, campaign) check their session and role again
    # this often and end when it has ended, expired, or its user was disabled or changed role.
    stream_recheck_seconds: float = Field(default=5.0, gt=0)
    # Request bodies larger than this are refused (413) before anything parses them; a
    # contact-list upload by a logged-in supervisor may be up to max_upload_bytes.
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    # Uploaded contact lists not confirmed within this long are deleted.
    upload_keep_minutes: int = Field(default=60, ge=1)
    # Count simulator calls in the console's figures (the demo and the sandbox make only those).
    include_simulated: bool = False

    @property
    def on_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:  # a host name other than localhost
            return False

    @property
    def https_only(self) -> bool:
        """Whether cookies are Secure and HSTS is sent (see ``secure_cookies``)."""
        return self.secure_cookies if self.secure_cookies is not None else not self.on_loopback

    def host_names(self) -> list[str]:
        """The Host header values accepted (see ``allowed_hosts``)."""
        if self.allowed_hosts:
            return list(self.allowed_hosts)
        names = ["localhost", "127.0.0.1", "::1"]
        if self.host in ("0.0.0.0", "::", ""):
            names += [socket.gethostname(), socket.getfqdn()]
        else:
            names.append(self.host)
        return sorted(set(names))
