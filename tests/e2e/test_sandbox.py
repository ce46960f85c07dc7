"""The Asterisk sandbox: running, our configs loaded, AMI and a real SIP call into FastAGI."""

from __future__ import annotations

import asyncio
import contextlib
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.cli import asterisk_cmd
from hotline.dialplan.asterisk_config import DIALPLAN_VARS
from hotline.dialplan.names import (
    CONTEXT_FALLBACK,
    CONTEXT_INBOUND,
    CONTEXT_OPERATOR,
    CONTEXT_SIMULATED_CALLER,
    ROUTE_IVR,
    ChannelVar,
    IvrStatus,
)
from hotline.sandbox import Sandbox, SandboxLayout, ami_secret
from hotline.settings import Settings
from tests.e2e.sipp_ports import own_ports

pytestmark = pytest.mark.e2e

SIPP_SCENARIO = Path(__file__).parent / "sipp" / "inbound_call.xml"
CALLER = "79131234567"
DIALED = "88005553535"
IO_TIMEOUT = 5.0


def _secret(settings: Settings) -> str:
    if settings.ami.secret is not None:
        return settings.ami.secret.get_secret_value()
    secret = ami_secret(settings)
    assert secret, "the sandbox did not store an AMI secret"
    return secret


async def _ami_login(settings: Settings, secret: str) -> dict[str, str]:
    """One AMI login over a raw socket; returns the reply's fields (lower-case keys)."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(settings.ami.host, settings.ami.port), IO_TIMEOUT
    )
    try:
        banner = await asyncio.wait_for(reader.readline(), IO_TIMEOUT)
        assert banner.startswith(b"Asterisk Call Manager/"), banner
        writer.write(
            f"Action: Login\r\nActionID: t1\r\nUsername: {settings.ami.username}\r\n"
            f"Secret: {secret}\r\nEvents: off\r\n\r\n".encode()
        )
        await writer.drain()
        block = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IO_TIMEOUT)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    fields = {}
    for line in block.decode().split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()
    return fields


def test_status_is_running(sandbox: Sandbox) -> None:
    status = sandbox.status()
    assert status.running, status.describe()
    assert status.pid is not None
    assert status.uptime_seconds is not None


def test_building_the_shared_chroot_again_keeps_the_current_one_and_asterisk(
    sandbox: Sandbox,
) -> None:
    # What the test session's warm-up (tests/bed_warmup.py) runs: on a built chroot, a check.
    shared = sandbox.layout.template
    built = shared.root.stat().st_ino, shared.build_log.stat().st_mtime_ns
    pid = sandbox.control.pid()
    sandbox.build_shared()
    assert (shared.root.stat().st_ino, shared.build_log.stat().st_mtime_ns) == built
    assert sandbox.control.pid() == pid and pid is not None


def test_core_show_version_is_asterisk_22(sandbox: Sandbox) -> None:
    assert re.match(r"Asterisk 22\.\d+", sandbox.cli("core show version"))


def test_generated_secret_is_private(sandbox: Sandbox, settings: Settings) -> None:
    path = SandboxLayout.of(settings).secret_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_ami_login_with_the_sandbox_secret(sandbox: Sandbox, settings: Settings) -> None:
    reply = await _ami_login(settings, _secret(settings))
    assert reply.get("response") == "Success", reply


async def test_ami_login_with_a_wrong_secret_fails(sandbox: Sandbox, settings: Settings) -> None:
    reply = await _ami_login(settings, _secret(settings) + "-wrong")
    assert reply.get("response") == "Error", reply
    assert "Authentication failed" in reply.get("message", "")


def test_our_dialplan_and_pjsip_are_loaded(sandbox: Sandbox, settings: Settings) -> None:
    for context in (CONTEXT_INBOUND, CONTEXT_FALLBACK, CONTEXT_OPERATOR, CONTEXT_SIMULATED_CALLER):
        assert f"Context '{context}'" in sandbox.cli(f"dialplan show {context}")
    inbound = sandbox.cli(f"dialplan show {CONTEXT_INBOUND}")
    fastagi = settings.fastagi
    # The route, then the channel facts the IVR needs before its greeting (IVR_ARGUMENTS).
    assert f"AGI(agi://{fastagi.host}:{fastagi.port}/{ROUTE_IVR},${{" in inbound
    # Only our configs load: Debian's sample contexts are gone.
    assert "Context 'default'" not in sandbox.cli("dialplan show")
    transports = sandbox.cli("pjsip show transports")
    assert f"{settings.sandbox.sip_host}:{settings.sandbox.sip_port}" in transports
    endpoints = sandbox.cli("pjsip show endpoints")
    assert "hotline-carrier" in endpoints
    assert settings.queue.name in sandbox.cli(f"queue show {settings.queue.name}")
    for module in ("chan_pjsip", "res_agi", "app_queue", "app_mixmonitor", "pbx_config"):
        assert "Running" in sandbox.cli(f"module show like {module}"), module


class FakeFastAgi:
    """Accepts one FastAGI session: records the agi_* headers, says DONE and asks for the
    dialed number, then closes (the dialplan then hangs up)."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.replies: list[str] = []
        self.done = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := (await asyncio.wait_for(reader.readline(), IO_TIMEOUT)).rstrip(b"\n"):
                key, _, value = line.decode().partition(": ")
                self.headers[key] = value
            for command in (
                f"SET VARIABLE {ChannelVar.STATUS} {IvrStatus.DONE}",
                f"GET VARIABLE {DIALPLAN_VARS['DNID']}",
            ):
                writer.write(f"{command}\n".encode())
                await writer.drain()
                reply = await asyncio.wait_for(reader.readline(), IO_TIMEOUT)
                self.replies.append(reply.decode().strip())
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            self.done.set()


async def test_sip_call_from_sipp_reaches_fastagi(sandbox: Sandbox, settings: Settings) -> None:
    agi = FakeFastAgi()
    try:
        server = await asyncio.start_server(
            agi.handle, settings.fastagi.host, settings.fastagi.port
        )
    except OSError as exc:
        pytest.fail(
            f"FastAGI port {settings.fastagi.port} is taken (is an engine running?): {exc}"
        )
    scenario = await asyncio.to_thread(sandbox.stage_file, SIPP_SCENARIO)
    argv = [
        sandbox.sipp_path,
        f"{settings.sandbox.sip_host}:{settings.sandbox.sip_port}",
        "-sf", scenario,
        "-key", "caller", CALLER,
        "-s", DIALED,
        "-i", "127.0.0.1",
        *own_ports(settings),
        "-m", "1",
        "-l", "1",
        "-timeout", "30",
        "-timeout_error",
        "-nostdin",
    ]  # fmt: skip
    async with server:
        sipp = await asyncio.to_thread(sandbox.run_in_chroot, argv, 45.0)
        await asyncio.wait_for(agi.done.wait(), IO_TIMEOUT)
    context = f"sipp said:\n{sipp.stdout[-1500:]}{sipp.stderr[-500:]}\nAsterisk log:\n"
    assert sipp.returncode == 0, context + sandbox.log_tail(30)
    assert agi.headers.get("agi_callerid") == CALLER, agi.headers
    assert agi.headers.get("agi_network_script") == ROUTE_IVR, agi.headers
    assert agi.headers.get("agi_dnid") == DIALED
    assert agi.headers.get("agi_context") == CONTEXT_INBOUND
    assert agi.headers.get("agi_language") == "ru"
    assert agi.replies == ["200 result=1", f"200 result=1 ({DIALED})"]


def test_asterisk_render_leaves_no_placeholders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOTLINE_AMI__SECRET", raising=False)
    runner = CliRunner()
    out = tmp_path / "etc-asterisk"
    missing = runner.invoke(asterisk_cmd.app, ["render", str(out)])
    assert missing.exit_code != 0 and "no AMI secret" in missing.output
    assert not out.exists()

    secret_file = tmp_path / "secret"
    secret_file.write_text("production-secret\n")
    engine_only = runner.invoke(
        asterisk_cmd.app, ["render", str(out), "--ami-secret-file", str(secret_file)]
    )
    assert engine_only.exit_code != 0 and "no AMI secret for the console" in engine_only.output
    assert not out.exists()
    secrets = ["--ami-secret-file", str(secret_file)]
    for role in ("console", "cli"):
        path = tmp_path / f"{role}-secret"
        path.write_text(f"{role}-production-secret\n")
        secrets += [f"--{role}-secret-file", str(path)]
    result = runner.invoke(asterisk_cmd.app, ["render", str(out), *secrets])
    assert result.exit_code == 0, result.output
    names = {path.name for path in out.iterdir()}
    assert {"extensions.conf", "manager.conf", "pjsip.conf", "queues.conf"} <= names
    for path in out.iterdir():
        text = path.read_text()
        assert not re.search(r"\{\{|\}\}|\{%|%\}|\{#", text), path.name
    manager = (out / "manager.conf").read_text()
    assert "secret = production-secret" in manager
    assert "secret = console-production-secret" in manager
    assert "secret = cli-production-secret" in manager
    assert stat.S_IMODE((out / "manager.conf").stat().st_mode) == 0o600
