"""H1: AMI header injection, against the real sandbox and the console as its own process.

A value a user typed must never end one AMI action and start another: the console accepts only
the listed pause reasons (the form), the AMI adapter refuses CR, LF and NUL in every header (one
check, for every action), and each process logs in as its own AMI user with only the rights it
needs, so even a slip would not give the console Originate or Command.

The injected action is a ``UserEvent`` with a marker; the tests watch for it with the engine's
connection (which reads the ``user`` class) and use a later action on the *attacking*
connection as the barrier: Asterisk runs one connection's actions in order, so once the later
action's event has arrived, an injected action would have run already."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx2 as httpx
import pytest

from hotline.app import Engine, resolve_ami_secret
from hotline.contact_center import operators as ops
from hotline.sandbox import Sandbox
from hotline.sandbox.ami_probe import try_login
from hotline.settings import AmiRole, Settings
from hotline.transport.ami import (
    AmiActionFailed,
    AmiClient,
    AmiValueRefused,
    Subscription,
)
from tests.e2e.engine_support import engine_settings
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e]

OPERATOR = "anna"  # the console's operator user (tests/web/conftest.py ROLES)
BARRIER_SECONDS = 15.0


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(tmp_path / "injection.db")


def injection(marker: str) -> str:
    """A value that, unescaped, ends the current action and sends a UserEvent; it fits the
    console's 64 characters."""
    value = f"x\r\n\r\nAction: UserEvent\r\nUserEvent: {marker}"
    assert len(value) <= 64
    return value


@pytest.fixture
def marker() -> str:
    return f"injected-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def watch(engine: Engine) -> AsyncIterator[Subscription]:
    sub = engine.ami.subscribe(["UserEvent", "QueueMemberPause"], 1000)
    yield sub
    engine.ami.unsubscribe(sub)


async def role_client(settings: Settings, role: AmiRole) -> AmiClient:
    client = AmiClient(settings.ami, resolve_ami_secret(settings, role), role=role)
    await client.start()
    return client


async def barrier_then_no_marker(
    sub: Subscription, marker: str, paused: bool, interface: str
) -> None:
    """Wait for the QueueMemberPause the barrier action causes; no marker may come first."""
    seen: list[str] = []
    while True:
        event = await sub.get(BARRIER_SECONDS)
        if event.name.lower() == "userevent":
            seen.append(event.get("UserEvent"))
        elif event.get("Interface") == interface and event.get("Paused") == str(int(paused)):
            break
    assert marker not in seen, f"the injected action ran: {seen}"


async def test_each_process_has_its_own_ami_user_and_only_its_rights(settings: Settings) -> None:
    names = {role: settings.ami.user(role) for role in AmiRole}
    secrets = {role: resolve_ami_secret(settings, role) for role in AmiRole}
    assert len(set(names.values())) == 3 and len(set(secrets.values())) == 3

    clients = {role: await role_client(settings, role) for role in AmiRole}
    try:
        console, engine, cli = (
            clients[role] for role in (AmiRole.CONSOLE, AmiRole.ENGINE, AmiRole.CLI)
        )
        # What the console needs still works.
        await console.queue_status(settings.queue.name)
        await console.core_show_channels()
        # Nobody runs commands.  The console may Originate (issue 17: it rings a supervisor's
        # own phone into ChanSpy, after checking the permission), never a shell: see below.
        for client in (console, engine, cli):
            with pytest.raises(AmiActionFailed, match="Permission denied"):
                await client.command("core show version")
        # Nobody has `system`: Originate cannot start a shell through System().
        for client in (console, engine, cli):
            with pytest.raises(AmiActionFailed, match="Access Forbidden"):
                await client.originate(
                    "Local/s@hotline-nowhere", application="System", data="true"
                )
    finally:
        for client in clients.values():
            await client.stop()

    # Each secret opens only its own user.
    ami = settings.ami
    for role in AmiRole:
        for other in AmiRole:
            login = try_login(ami.host, ami.port, names[role], secrets[other], 5.0)
            assert login.ok is (role is other), (role, other, login.message)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found, "no CSRF token"
    return found.group(1)


async def _log_in(client: httpx.AsyncClient) -> str:
    """Log the operator in; returns the session's CSRF token."""
    form = await client.get("/login")
    reply = await client.post(
        "/login",
        data={"name": OPERATOR, "password": PASSWORD, "csrf_token": _csrf(form.text)},
        follow_redirects=True,
    )
    assert reply.status_code == 200, reply.text[:300]
    return _csrf(reply.text)


async def test_pause_reason_from_the_console_is_refused(
    engine: Engine, console: str, watch: Subscription, marker: str
) -> None:
    interface = ops.simulated_interface(OPERATOR, None, 1)
    await engine.operators.add(OPERATOR, interface, simulated=True)
    async with httpx.AsyncClient(base_url=console, timeout=30) as client:
        token = await _log_in(client)
        reply = await client.post("/operator/login", data={"csrf_token": token})
        assert reply.status_code == 303, reply.text[:300]

        reply = await client.post(
            "/operator/pause", data={"csrf_token": token, "reason": injection(marker)}
        )
        assert reply.status_code == 422
        assert "Причина паузы" in reply.text
        members = ops.live_queue(
            await engine.ami.queue_status(engine.settings.queue.name), engine.settings.queue.name
        ).members
        assert [m["state"] for m in members] != ["paused"]

        # The barrier: a listed reason, through the same console process and AMI connection.
        listed = {"csrf_token": token, "reason": "обучение"}
        reply = await client.post("/operator/pause", data=listed)
        assert reply.status_code == 303, reply.text[:300]
        await barrier_then_no_marker(watch, marker, True, interface)
        await engine.ami.ping()  # Asterisk is still up
        await client.post("/operator/logout", data={"csrf_token": token})


async def test_typed_names_and_numbers_are_refused_at_the_adapter(
    engine: Engine, settings: Settings, watch: Subscription, marker: str
) -> None:
    """What a console or CLI user can type and the engine or console sends to AMI: the
    operator's name and device, the pause reason, a number the dialer or a callback dials, a
    campaign name (it reaches Asterisk as a channel variable) - every one refused before it is
    written, on the connection of the process that would send it."""
    interface = ops.simulated_interface("vera", None, 1)
    await engine.operators.add("vera", interface, simulated=True)
    console = await role_client(settings, AmiRole.CONSOLE)
    try:
        await ops.login(console, engine.operators, settings, "vera")
        bad = injection(marker)
        attacks: list[Callable[[], Awaitable[object]]] = [
            lambda: console.queue_add(settings.queue.name, interface, member_name=bad),
            lambda: console.queue_add(settings.queue.name, bad, member_name="vera"),
            lambda: console.queue_pause(settings.queue.name, interface, True, bad),
            lambda: engine.ami.originate(f"Local/{bad}@hotline-nowhere", context="c", exten="s"),
            lambda: engine.ami.originate(
                "Local/79001234567@hotline-nowhere",
                context="c",
                exten="s",
                variables={"HOTLINE_PATH": f"campaign>{bad}"},
            ),
        ]
        for attack in attacks:
            with pytest.raises(AmiValueRefused):
                await attack()
        # The operator name itself never gets that far: the domain refuses it.
        with pytest.raises(ops.OperatorError):
            ops.check_name(injection(marker))

        await console.queue_pause(settings.queue.name, interface, True, "перерыв")
        await barrier_then_no_marker(watch, marker, True, interface)
        await engine.ami.ping()
        await ops.logout(console, engine.operators, settings, "vera")
    finally:
        await console.stop()
