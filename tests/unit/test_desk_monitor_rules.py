"""Issue 17 item 7: the spy context's ChanSpy options, the console's AMI right to originate,
the permission (supervisors and admins only) and the Russian labels."""

from __future__ import annotations

from hotline.access.users import Permission, Role, allowed
from hotline.contact_center.monitor import LongCall
from hotline.core.vocabulary import LABELS
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.dialplan.names import CONTEXT_SPY, ChannelVar, SpyMode
from hotline.settings import Settings

SECRETS = ("engine-secret", "console-secret", "cli-secret")


def test_chanspy_options_per_mode() -> None:
    files = render_configs(Settings(), RenderOptions(*SECRETS, sandbox=False))
    body = files["extensions.conf"].split(f"[{CONTEXT_SPY}]", 1)[1].split("\n[", 1)[0]
    spy = f"ChanSpy(${{{ChannelVar.SPY_CHANNEL}}}"
    assert f"exten => listen,1,{spy},qE)" in body
    assert f"exten => whisper,1,{spy},qEw)" in body
    assert f"exten => barge,1,{spy},qEB)" in body
    console = files["manager.conf"].split("[hotline-console]", 1)[1].split("\n[", 1)[0]
    write = next(line for line in console.splitlines() if line.startswith("write ="))
    assert "originate" in write and "system" not in write and "command" not in write


def test_only_supervisors_monitor() -> None:
    assert allowed(Role.SUPERVISOR, Permission.MONITOR)
    assert allowed(Role.ADMIN, Permission.MONITOR)
    assert not allowed(Role.OPERATOR, Permission.MONITOR)
    assert not allowed(Role.DISPATCHER, Permission.MONITOR)


def test_labels() -> None:
    assert set(LABELS["SpyMode"]) == {m.value for m in SpyMode}
    assert set(LABELS["LongCall"]) == {m.value for m in LongCall}
    assert {f"monitor.{m.value}" for m in SpyMode} <= set(LABELS["AuditAction"])
