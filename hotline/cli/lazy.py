"""Sub-commands registered by name and loaded when used (issue 18, item 5): ``hotline --help``
lists them from this table without importing them, and ``hotline say ...`` imports the say
command's module only, never the engine, the web app or the database layer."""

from __future__ import annotations

import gc
import importlib
from dataclasses import dataclass
from typing import Any, Final

import typer
from typer import _click as click
from typer.core import TyperCommand, TyperGroup

# Set by the ``hotline`` program (hotline.cli.main.main), not when a test drives the Typer app
# in its own process: freezing would keep that process's garbage for good.
_FREEZE_IMPORTS: Final[set[str]] = set()


def freeze_command_imports() -> None:
    """From now on a command's modules are imported as ``_import_quietly`` says."""
    _FREEZE_IMPORTS.add("on")


def _import_quietly(module: str) -> Any:
    """``module`` imported with the cyclic garbage collector paused, its objects then frozen.
    A command's imports (the engine's or the console's: SQLAlchemy models, pydantic settings,
    FastAPI routes) build hundreds of thousands of objects that live as long as the process;
    the collector walked them over and over while they were built and again in every later
    full collection (issue 19; two runs at load 15-25: a `hotline web` answered after 1.5 CPU
    seconds, not 1.8-2.2, and `hotline users list` took 1.3, not 2.0)."""
    if not _FREEZE_IMPORTS:
        return importlib.import_module(module)
    enabled = gc.isenabled()
    gc.disable()
    try:
        return importlib.import_module(module)
    finally:
        if enabled:
            gc.enable()
        gc.freeze()


@dataclass(frozen=True)
class Entry:
    module: str  # under hotline.cli
    attr: str  # "app" (a sub-app) or a command function's name
    help: str  # the line ``hotline --help`` shows
    hidden: bool = False

    def load(self, name: str) -> click.Command:
        target = getattr(_import_quietly(f"hotline.cli.{self.module}"), self.attr)
        command: click.Command
        if isinstance(target, typer.Typer):
            command = typer.main.get_group(target)  # a group even with one command
        else:
            single = typer.Typer(add_completion=False)
            single.command(name)(target)
            command = typer.main.get_command(single)
        command.name = name
        command.hidden = self.hidden
        return command


COMMANDS: Final[dict[str, Entry]] = {
    "run": Entry(
        "engine_cmd",
        "run",
        "Run the engine (FastAGI server, AMI connection, call tracker) until SIGINT/SIGTERM.",
    ),
    "demo": Entry(
        "engine_cmd",
        "demo",
        "Start the sandbox and the engine, place scripted calls, print them, shut down.",
    ),
    "say": Entry(
        "say_cmd",
        "say",
        "Say VALUE in Russian: print the words (--text), or write the audio and print its path.",
    ),
    "web": Entry("web_cmd", "web", "Serve the browser console on web.host:web.port."),
    "sandbox": Entry("sandbox_cmd", "app", "A real Asterisk 22 in a Debian sid chroot."),
    "cluster": Entry(
        "cluster_cmd", "app", "A two-node test bed here: Kamailio, two Asterisk, two workers."
    ),
    "call": Entry("call_cmd", "app", "Calls: simulate a caller."),
    "db": Entry("db_cmd", "app", "The database schema (Alembic migrations)."),
    "calls": Entry("calls_cmd", "app", "The call log."),
    "asterisk": Entry("asterisk_cmd", "app", "Configuration for an Asterisk the engine drives."),
    "prompts": Entry("prompts_cmd", "app", "Render the prompt catalogue and check the build."),
    "hours": Entry("hours_cmd", "app", "Operator hours: weekly schedule, calendar, overrides."),
    "emergency": Entry("emergency_cmd", "app", "The emergency message every caller hears."),
    "outages": Entry("outages_cmd", "app", "Current outages announced to callers in the area."),
    "menu": Entry("menu_cmd", "app", "Check, show, publish and roll back the IVR menu."),
    "ivr": Entry("ivr_cmd", "app", "How callers use the IVR (option usage, containment)."),
    "campaign": Entry("campaign_cmd", "app", "Outbound autoinformer campaigns."),
    "campaigns": Entry("campaign_cmd", "app", "Outbound autoinformer campaigns.", hidden=True),
    "scenario": Entry("scenario_cmd", "app", "Campaign scenarios: versioned prompts and values."),
    "survey": Entry("survey_cmd", "app", "Survey coverage (R-105): report, campaign, schedule."),
    "dnc": Entry("dnc_cmd", "app", "The do-not-call list (all campaigns)."),
    "accounts": Entry("accounts_cmd", "app", "Load customer accounts from billing; show one."),
    "readings": Entry("readings_cmd", "app", "Export the meter readings taken by phone."),
    "operators": Entry("operators_cmd", "app", "Who answers the queue; log-in, pauses."),
    "callbacks": Entry("callbacks_cmd", "app", "Callback requests left by callers."),
    "queue": Entry("queue_cmd", "app", "The operator queue live, and the period report."),
    "quality": Entry("quality_cmd", "app", "Voice quality of calls (RTP loss, jitter, delay)."),
    "recordings": Entry("recordings_cmd", "app", "The archive of call recordings."),
    "users": Entry("users_cmd", "app", "Who may log in to the console, with which role."),
    "audit": Entry("audit_cmd", "app", "Read the audit log (who did what, when, from where)."),
    "doctor": Entry("doctor_cmd", "doctor", "Check this installation; each finding with its fix."),
    "backup": Entry("backup_cmd", "backup", "Back up the store and the recordings index."),
    "restore": Entry("backup_cmd", "restore", "Restore a backup made by `hotline backup`."),
    "deploy": Entry("deploy_cmd", "app", "What a Debian server needs: units, nginx, folders."),
    "config": Entry("config_cmd", "app", "Write a commented hotline.toml; check one."),
    "sms": Entry("sms_cmd", "app", "SMS to customers through Kannel: send, list, show."),
    "kannel": Entry("kannel_cmd", "app", "The Kannel SMS gateway's configuration."),
    "appeals": Entry("appeals_cmd", "app", "The appeal register: list, show, export."),
    "prometheus": Entry("prometheus_cmd", "app", "Prometheus configuration and alert rules."),
    "kamailio": Entry("kamailio_cmd", "app", "Kamailio in front of several Asterisk nodes."),
    "webhooks": Entry("webhooks_cmd", "app", "Events posted to billing and CRM; dead letters."),
}


class LazyGroup(TyperGroup):
    """A Typer group whose sub-commands come from ``COMMANDS``, imported on first use."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *(n for n in self.commands if n not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        if self._listing:  # the help's list: the table's line, nothing imported
            return TyperCommand(cmd_name, help=entry.help, hidden=entry.hidden)
        command = entry.load(cmd_name)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
