"""The doctor's probes against fakes: the AMI rights and dialplan probe, listening sockets,
the FastAGI connection, files."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from pathlib import Path

from hotline.doctor import probes
from hotline.doctor.checks import ENGINE_ACTIONS
from hotline.settings import AmiRole, load_settings
from tests.fakes.ami_server import FakeAmiServer, encode


class DoctorAmi(FakeAmiServer):
    """Refuses Originate (no originate class) and knows one dialplan context."""

    def _reply(self, action: Mapping[str, str | list[str]]) -> bytes:
        name = str(action.get("Action", "")).lower()
        action_id = str(action.get("ActionID", ""))
        if name == "originate":
            return encode(
                {"Response": "Error", "ActionID": action_id, "Message": "Permission denied"}
            )
        if name == "reload":  # no config class
            return encode(
                {"Response": "Error", "ActionID": action_id, "Message": "Permission denied"}
            )
        if name in ("hangup", "queuepause", "getvar"):
            return encode({"Response": "Error", "ActionID": action_id, "Message": "No such thing"})
        if name == "showdialplan":
            if action.get("Context") != "hotline-inbound":
                return encode(
                    {"Response": "Error", "ActionID": action_id, "Message": "Did not find context"}
                )
            return b"".join(
                [
                    encode({"Response": "Success", "ActionID": action_id, "EventList": "start"}),
                    encode({"Event": "ListDialplan", "ActionID": action_id, "Context": "x"}),
                    encode(
                        {
                            "Event": "ShowDialPlanComplete",
                            "ActionID": action_id,
                            "EventList": "Complete",
                        }
                    ),
                ]
            )
        return super()._reply(action)


async def test_ami_probe_reports_refused_actions_missing_contexts_and_logins() -> None:
    server = DoctorAmi(secret="right")
    await server.start()
    try:
        settings = load_settings(overrides={"ami": {"port": server.port}})
        secrets: dict[AmiRole, str | Exception] = {
            AmiRole.ENGINE: "right",
            AmiRole.CONSOLE: "wrong",
            AmiRole.CLI: LookupError("no AMI secret for the cli"),
        }
        facts = await probes.probe_ami(settings, secrets)
    finally:
        await server.stop()
    assert facts.unreachable == ""
    assert facts.logins["engine"].ok
    assert not facts.logins["console"].ok
    assert facts.logins["console"].message == "Authentication failed"
    assert facts.no_secret == {"cli": "no AMI secret for the cli"}
    assert facts.denied == ("Originate",)
    assert facts.contexts == {
        "hotline-inbound": True,
        "hotline-fallback": False,
        "hotline-operator": False,
        "hotline-dialer": False,
    }
    # Only harmless actions: Originate on a channel technology no Asterisk has.
    originate = next(a for a in server.actions if a.get("Action") == "Originate")
    assert originate["Channel"] == probes.PROBE_CHANNEL
    # Every action the engine needs is tried (what check_ami_rights names the classes of).
    sent = {str(a["Action"]) for a in server.actions} - {"Login", "Logoff"}
    assert sent == set(ENGINE_ACTIONS)


async def test_with_levels_in_dialplan_the_engine_must_also_reload() -> None:
    server = DoctorAmi(secret="right")
    await server.start()
    try:
        settings = load_settings(
            overrides={"ami": {"port": server.port}, "ivr": {"levels": "dialplan"}}
        )
        facts = await probes.probe_ami(settings, dict.fromkeys(AmiRole, "right"))
    finally:
        await server.stop()
    assert facts.denied == ("Originate", "Reload")
    assert facts.asked == (*ENGINE_ACTIONS, "Reload")
    # A module no Asterisk has: nothing is reloaded.
    reload = next(a for a in server.actions if a.get("Action") == "Reload")
    assert reload["Module"] == probes.PROBE_MODULE


async def test_ami_probe_unreachable_and_secrets_with_line_breaks() -> None:
    settings = load_settings(overrides={"ami": {"port": 1, "secret": "x"}})
    secrets: dict[AmiRole, str | Exception] = dict.fromkeys(AmiRole, "x")
    facts = await probes.probe_ami(settings, secrets)
    assert facts.unreachable and not facts.logins

    server = DoctorAmi(secret="right")
    await server.start()
    try:
        settings = load_settings(overrides={"ami": {"port": server.port}})
        injected = dict.fromkeys(AmiRole, "right\r\nAction: Originate")
        facts = await probes.probe_ami(settings, injected)
    finally:
        await server.stop()
    assert not facts.logins["engine"].ok and "line" in facts.logins["engine"].message.lower()
    assert [a["Action"] for a in server.actions if a["Action"] != "Logoff"] == []  # no Login


async def test_tcp_probe() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        assert await probes.probe_tcp("0.0.0.0", port, 2.0) == ""
    finally:
        server.close()
        await server.wait_closed()
    assert await probes.probe_tcp("127.0.0.1", port, 2.0) != ""


def test_listening_sockets_from_proc_net_tcp() -> None:
    tcp = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101 "
        "       0 1 1 0000000000000000 100 0 0 10 0\n"
        "   1: 0100007F:A000 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0 "
        "       0 2 1 0000000000000000 20 4 30 10 -1\n"
        "   2: 00000000:16A5 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0 "
        "       0 3 1 0000000000000000 100 0 0 10 0\n"
    )
    assert probes.listening(tcp) == [("127.0.0.1", 8080, 101), ("0.0.0.0", 5797, 0)]
    tcp6 = (
        "  sl  local_address                         remote_address                        st\n"
        "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000  1000        0 4 1\n"
    )
    assert probes.listening(tcp6) == [("::1", 8080, 1000)]


def test_recent_bytes_and_free_space(tmp_path: Path) -> None:
    now = time.time()
    (tmp_path / "2026" / "01").mkdir(parents=True)
    new = tmp_path / "2026" / "01" / "new.wav"
    new.write_bytes(b"x" * 1000)
    old = tmp_path / "old.wav"
    old.write_bytes(b"x" * 5000)
    os.utime(old, (now - 10 * 86_400, now - 10 * 86_400))
    assert probes.recent_bytes(tmp_path, 7, now) == 1000
    assert probes.free_bytes(tmp_path / "not" / "yet") > 0


async def test_database_probe_never_creates_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "none" / "hotline.db"
    settings = load_settings(overrides={"store": {"url": f"sqlite+aiosqlite:///{path}"}})
    facts, overrides = await probes.probe_database(settings)
    assert facts.no_file and overrides is None
    assert not path.parent.exists()


async def test_ami_reachability_does_not_depend_on_having_secrets() -> None:
    missing: dict[AmiRole, str | Exception] = {
        role: LookupError(f"no secret for {role.value}") for role in AmiRole
    }
    closed = await probes.probe_ami(load_settings(overrides={"ami": {"port": 1}}), missing)
    assert closed.unreachable

    server = DoctorAmi()
    await server.start()
    try:
        settings = load_settings(overrides={"ami": {"port": server.port}})
        facts = await probes.probe_ami(settings, missing)
    finally:
        await server.stop()
    assert facts.unreachable == "" and facts.banner.startswith("Asterisk Call Manager/")
    assert facts.logins == {} and set(facts.no_secret) == {"engine", "console", "cli"}
