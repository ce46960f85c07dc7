"""Render the Asterisk configuration templates in ``asterisk_conf/``.

Shared by the sandbox and by ``hotline asterisk render`` for a production Asterisk. Every name
the dialplan and Python must agree on comes from :mod:`hotline.dialplan.names`.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jinja2

import hotline
from hotline.dialplan.names import (
    CALLBACK_EVENT,
    CONTEXT_APPEAL_SAID,
    CONTEXT_CALLBACK,
    CONTEXT_CALLBACK_ANSWERED,
    CONTEXT_DIALER,
    CONTEXT_FALLBACK,
    CONTEXT_INBOUND,
    CONTEXT_IVR_NODE,
    CONTEXT_OPERATOR,
    CONTEXT_QUALITY,
    CONTEXT_SIMULATED_CALLER,
    CONTEXT_SIMULATED_CARRIER,
    CONTEXT_SIMULATED_EAR,
    CONTEXT_SIMULATED_OPERATOR,
    CONTEXT_SIMULATED_VOICE,
    CONTEXT_SPY,
    CONTEXT_TRANSFER,
    ENGINE_UNREAD_CONTEXTS,
    ENGINE_UNREAD_EVENTS,
    IVR_ARGUMENTS,
    IVR_NODE_ARGUMENTS,
    IVR_NODE_MENU,
    IVR_NODE_WALK,
    MENU_CONF,
    MENU_EVENT,
    MENU_KEY,
    MENU_KIND,
    MENU_NODE,
    MENU_VALUE,
    PROMPT_RECORDING_NOTICE,
    QUALITY_EVENT,
    QUALITY_LEG_HEADER,
    QUALITY_PUSH,
    ROUTE_APPEAL_SAID,
    ROUTE_DIALER,
    ROUTE_IVR,
    ROUTE_IVR_NODE,
    ROUTE_QUEUE_OVERFLOW,
    ROUTE_RATING,
    SIM_EAR,
    SIM_EAR_DIR,
    SIM_GREETING_PREFIX,
    SIM_VOICE,
    SPY_OPTIONS,
    TRANSFER_LEG_EVENT,
    TRANSFER_OF_HEADER,
    TRANSFER_TO_PHONE,
    TRANSFER_TO_QUEUE,
    ChannelVar,
    IvrStatus,
    MenuEventKind,
    NoticeBy,
    OperatorReason,
    QualityLeg,
)
from hotline.dialplan.node_legs import node_legs
from hotline.settings import AmiRole, Settings

TEMPLATE_SUFFIX: Final = ".j2"
LANGUAGE: Final = "ru"
SIP_ENDPOINT: Final = "hotline-carrier"
# Sandbox only: the outbound trunk campaign tests and the demo can dial through.
SIM_TRUNK: Final = "hotline-sim-trunk"
# Channel variables the templates use: ChannelVar, plus HOTLINE_DNID (the dialed number, kept
# before the inbound dialplan jumps to `s`), which is not (yet) a ChannelVar member; once a
# ChannelVar.DNID exists it takes precedence.
DIALPLAN_VARS: Final[Mapping[str, str]] = {member.name: member.value for member in ChannelVar}
# The engine's AMI write classes: Originate, Hangup/PlayDTMF, QueueAdd/Remove/Pause, Getvar.
ENGINE_WRITE: Final = ("call", "originate", "agent", "reporting")
# Changes Asterisk only applies on a restart: asterisk.conf and modules.conf are read at
# start-up, and a reload does not rebind a PJSIP transport.
RESTART_ONLY: Final = frozenset({"asterisk.conf", "modules.conf", "pjsip.conf"})
# manager.conf holds the AMI secret.
SECRET_FILES: Final = frozenset({"manager.conf"})
DEFAULT_AMI_PERMIT: Final = ("127.0.0.1/255.255.255.255",)
_WILDCARDS: Final = frozenset({"0.0.0.0", "::", ""})


@dataclass(frozen=True)
class RenderOptions:
    # One AMI user per process (manager.conf), each with its own secret.
    ami_secret: str
    console_secret: str
    cli_secret: str
    # Networks allowed to log in to AMI (Asterisk's address/mask syntax).
    ami_permit: Sequence[str] = DEFAULT_AMI_PERMIT
    # Source addresses of the carrier's SIP traffic; None means the SIP bind host.
    sip_match: Sequence[str] | None = None
    templates_dir: Path | None = None
    # The sandbox's own Asterisk: the simulated carrier, caller and trunk, and a verbose log.
    # Never set for a production render (`hotline asterisk render`), whatever
    # ``sandbox.enabled`` says: those parts accept calls no carrier sent.
    sandbox: bool = False
    # Sandbox only, for the chaos soak's auditor (issue 21): Asterisk writes its own CDRs
    # (cdr_csv) and channel events (cel_custom) to CSV in its log folder.
    call_records_csv: bool = False


def templates_dir(settings: Settings) -> Path:
    """``paths.asterisk_conf_dir``; a relative path is looked up in the working directory,
    then in the source tree this package lives in (an editable install)."""
    configured = settings.paths.asterisk_conf_dir.expanduser()
    if configured.is_absolute() or configured.is_dir():
        return configured
    project = Path(hotline.__file__).resolve().parent.parent / configured
    return project if project.is_dir() else configured


def recording_notice_sound(settings: Settings) -> Path:
    """The built recording notice in the configured backend and voice, without extension (the
    layout of ``hotline.speech.library``: ``<sounds_dir>/<backend>-<voice>/<prompt id>``);
    absolute, as the sandbox bind-mounts the sounds at the same path."""
    speech = settings.speech
    voice_dir = f"{speech.backend}-{speech.voice}"
    return speech.sounds_dir.expanduser().resolve() / voice_dir / PROMPT_RECORDING_NOTICE


def _address(host: str) -> str:
    """Hosts in URLs and bind strings: IPv6 literals need brackets."""
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass
    return host


def _ref(name: str) -> str:
    """``{{ var.STATUS | ref }}`` renders the dialplan expression ``${HOTLINE_STATUS}``."""
    return "${" + str(name) + "}"


def _conf_value(value: str) -> str:
    """A value on one line of an Asterisk .conf file: ';' starts a comment unless escaped."""
    if "\n" in value or "\r" in value:
        raise ValueError("a config value cannot contain a line break")
    return value.replace(";", "\\;")


def _app_argument(value: str) -> str:
    """A dialplan application's single argument (a file path): no separators or expressions."""
    if any(char in value for char in ',&|$[]()"\n\r;'):
        raise ValueError(f"{value!r} cannot be a dialplan application argument")
    return value


def _queues(settings: Settings) -> list[dict[str, Any]]:
    """The operators' queue first, then each department's (R-097)."""
    queue = settings.queue
    found: list[dict[str, Any]] = [
        {
            "id": queue.department,
            "name": queue.name,
            "answer_target": queue.answer_target,
            "comment": f"The operators' queue ({queue.department})",
        }
    ]
    for key, spec in queue.departments.items():
        found.append(
            {
                "id": key,
                "name": spec.name,
                "answer_target": spec.answer_target,
                "comment": f"Department {key}: {_conf_value(spec.title)}",
            }
        )
    return found


def _ami_secrets(options: RenderOptions) -> dict[AmiRole, str]:
    secrets = {
        AmiRole.ENGINE: options.ami_secret,
        AmiRole.CONSOLE: options.console_secret,
        AmiRole.CLI: options.cli_secret,
    }
    for role, secret in secrets.items():
        if not secret:
            raise ValueError(f"the {role.value}'s AMI secret is empty")
    if len(set(secrets.values())) != len(secrets):
        raise ValueError("the engine, console and CLI need three different AMI secrets")
    return {role: _conf_value(secret) for role, secret in secrets.items()}


def _context(settings: Settings, options: RenderOptions, template: str) -> dict[str, Any]:
    sip_host = settings.sandbox.sip_host
    specific_host = sip_host not in _WILDCARDS
    if options.sip_match is None and not specific_host:
        raise ValueError(
            f"SIP binds to {sip_host!r}: name the carrier's addresses to accept calls from "
            "(--sip-match)"
        )
    fastagi = settings.fastagi
    return {
        "header": (
            f"; Generated by hotline from asterisk_conf/{template}; edit the template, "
            "not this file."
        ),
        "language": LANGUAGE,
        "ami": settings.ami,
        "ami_users": {
            role.value: {"name": _conf_value(settings.ami.user(role)), "secret": secret}
            for role, secret in _ami_secrets(options).items()
        },
        "ami_permit": [_conf_value(network) for network in options.ami_permit],
        "engine_unread_events": ENGINE_UNREAD_EVENTS,
        "engine_unread_contexts": ENGINE_UNREAD_CONTEXTS,
        # The dialplan reload of the menu's rendered levels: the only use of `config`, granted
        # only where the levels are in dialplan (least rights, issue 19), and in the sandbox,
        # whose one Asterisk serves engines of both kinds (tests, benchmarks).
        "engine_write": ",".join(
            (
                *ENGINE_WRITE,
                *(("config",) if settings.ivr.levels == "dialplan" or options.sandbox else ()),
            )
        ),
        "sip": {
            "host": sip_host,
            "port": settings.sandbox.sip_port,
            "bind": f"{_address(sip_host)}:{settings.sandbox.sip_port}",
            "endpoint": SIP_ENDPOINT,
            # A wildcard bind cannot be a media address.
            "specific_host": specific_host,
            "match": [_conf_value(address) for address in options.sip_match or [sip_host]],
            "sim_trunk": SIM_TRUNK,
            "sim_trunk_contact": f"sip:{_address(sip_host)}:{settings.sandbox.sim_trunk_port}",
        },
        "agi_url": f"agi://{_address(fastagi.host)}:{fastagi.port}/{ROUTE_IVR}",
        # The IVR's facts from the channel as AGI arguments: no round trips before the greeting.
        "ivr_args": [f"${{{name}}}" for name in IVR_ARGUMENTS],
        "dialer_agi_url": f"agi://{_address(fastagi.host)}:{fastagi.port}/{ROUTE_DIALER}",
        "ivr_node_url": f"agi://{_address(fastagi.host)}:{fastagi.port}/{ROUTE_IVR_NODE}",
        "menu_conf": MENU_CONF,
        "ivr_node": {
            "route": ROUTE_IVR_NODE,
            "menu": IVR_NODE_MENU,
            "walk": IVR_NODE_WALK,
            "args": [f"${{{name}}}" for name in IVR_NODE_ARGUMENTS],
            "event": (
                f"{MENU_EVENT},{MENU_KIND}: {MenuEventKind.ENGINE},{MENU_VALUE}: ${{EXTEN}},"
                f"{MENU_NODE}: ${{{ChannelVar.NODE}}},{MENU_KEY}: ${{{ChannelVar.KEY}}}"
            ),
        },
        # The simulated carrier only exists where the sandbox runs.
        "sandbox": options.sandbox,
        "call_records_csv": options.sandbox and options.call_records_csv,
        "overflow_url": f"agi://{_address(fastagi.host)}:{fastagi.port}/{ROUTE_QUEUE_OVERFLOW}",
        "appeal_said_url": f"agi://{_address(fastagi.host)}:{fastagi.port}/{ROUTE_APPEAL_SAID}",
        "rating_url": f"agi://{_address(fastagi.host)}:{fastagi.port}/{ROUTE_RATING}",
        "queue": settings.queue,
        "queues": _queues(settings),
        # Absolute: Asterisk (in the sandbox: through a bind mount) writes by this path.
        "recordings_dir": str(settings.paths.recordings_dir.expanduser().resolve()),
        "recording_enabled": settings.recording.enabled,
        "recording_notice_sound": _app_argument(str(recording_notice_sound(settings))),
        "notice_by": NoticeBy,
        "ctx": {
            "inbound": CONTEXT_INBOUND,
            "fallback": CONTEXT_FALLBACK,
            "operator": CONTEXT_OPERATOR,
            "sim_caller": CONTEXT_SIMULATED_CALLER,
            "dialer": CONTEXT_DIALER,
            "sim_carrier": CONTEXT_SIMULATED_CARRIER,
            "sim_operator": CONTEXT_SIMULATED_OPERATOR,
            "sim_voice": CONTEXT_SIMULATED_VOICE,
            "appeal_said": CONTEXT_APPEAL_SAID,
            "transfer": CONTEXT_TRANSFER,
            "spy": CONTEXT_SPY,
            "callback": CONTEXT_CALLBACK,
            "callback_answered": CONTEXT_CALLBACK_ANSWERED,
            "quality": CONTEXT_QUALITY,
            "ivr_node": CONTEXT_IVR_NODE,
            "sim_ear": CONTEXT_SIMULATED_EAR,
        },
        "sim_ear": SIM_EAR,
        "sim_ear_dir": SIM_EAR_DIR,
        "spy_options": SPY_OPTIONS,
        "quality_event": QUALITY_EVENT,
        "quality_push": QUALITY_PUSH,
        "quality_leg": QualityLeg,
        "quality_leg_header": QUALITY_LEG_HEADER,
        # Queue's option b: the Gosub run on each member's new channel.
        "quality_operator": f"{CONTEXT_QUALITY}^{QUALITY_PUSH}^1({QualityLeg.OPERATOR})",
        "transfer_leg_event": TRANSFER_LEG_EVENT,
        "transfer_of_header": TRANSFER_OF_HEADER,
        "callback_event": CALLBACK_EVENT,
        "callbacks": settings.callbacks,
        "transfer": settings.transfer,
        "transfer_to": {"queue": TRANSFER_TO_QUEUE, "phone": TRANSFER_TO_PHONE},
        "var": DIALPLAN_VARS,
        "status": IvrStatus,
        "fallback_reason": OperatorReason.FALLBACK.value,
        "amd": settings.dialer.amd,
        "sim_greeting": SIM_GREETING_PREFIX,
        "sim_voice": SIM_VOICE,
        "legs": _legs(settings),
    }


def _legs(settings: Settings) -> dict[str, Any]:
    """Issue 20: this node's operator legs to the queue node (node_legs), values checked."""
    legs: dict[str, Any] = dict(node_legs(settings))
    for trunk in legs["trunks"]:
        _conf_value(trunk.contact)
    legs["leg_in_match"] = [_conf_value(address) for address in legs["leg_in_match"]]
    legs["qualify_timeout"] = round(legs["qualify"] * 0.8, 1)
    return legs


def render_configs(settings: Settings, options: RenderOptions) -> dict[str, str]:
    """All templates rendered: ``{"manager.conf": "...", ...}``.

    Raises FileNotFoundError without templates and ValueError for a template that does not
    render (an undefined name, a syntax error) or a value that cannot go into a .conf file.
    """
    source = options.templates_dir or templates_dir(settings)
    if not source.is_dir():
        raise FileNotFoundError(f"Asterisk config templates not found: {source}")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(source),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["ref"] = _ref
    rendered: dict[str, str] = {}
    for path in sorted(source.glob(f"*{TEMPLATE_SUFFIX}")):
        name = path.name.removesuffix(TEMPLATE_SUFFIX)
        try:
            template = env.get_template(path.name)
            rendered[name] = template.render(_context(settings, options, path.name))
        except jinja2.TemplateError as exc:
            raise ValueError(f"cannot render {path}: {exc}") from exc
    if not rendered:
        raise FileNotFoundError(f"no *{TEMPLATE_SUFFIX} templates in {source}")
    return rendered


def write_configs(
    files: Mapping[str, str],
    out_dir: Path,
    *,
    prune: bool = False,
    owner: tuple[int, int] | None = None,
) -> list[str]:
    """Write rendered files into ``out_dir``; returns the names whose content changed.

    ``prune`` deletes every other file there, so only our configs load (the sandbox).
    Files holding secrets are written 0640 (0600 without an owner group to share with).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    changed: list[str] = []
    for name, text in files.items():
        target = out_dir / name
        old = target.read_text(encoding="utf-8") if target.is_file() else None
        mode = (0o640 if owner else 0o600) if name in SECRET_FILES else 0o644
        if old != text:
            temp = target.with_name(f".{name}.tmp")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temp, target)
            changed.append(name)
        os.chmod(target, mode)
        if owner is not None:
            os.chown(target, *owner)
    if prune:
        for stale in out_dir.iterdir():
            if stale.name not in files:
                changed.append(stale.name)
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale)
                else:
                    stale.unlink()
    return changed
