"""Kannel's configuration as the engine needs it: bearerbox and smsbox on loopback, one
sendsms user for the engine, and the SMSC: Kannel's fake SMSC (for fakesmsc) in the sandbox
and tests, or the operator's own (an SMPP ``group = smsc`` in ``smsc.conf`` beside it)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from hotline.protocol.lines import line_value
from hotline.settings import SmsSettings

CONFIG_FILE: Final = "kannel.conf"
SMSC_FILE: Final = "smsc.conf"
SMSC_EXAMPLE_FILE: Final = "smsc.conf.example"
FAKE_SMSC_ID: Final = "fake"
LOOPBACK: Final = "127.0.0.1"

SMSC_EXAMPLE: Final = """\
# A real SMSC over SMPP: copy to smsc.conf and fill in what the operator gave you.
group = smsc
smsc = smpp
smsc-id = operator
host = SMSC_HOST
port = 2775
transceiver-mode = true
smsc-username = "SYSTEM_ID"
smsc-password = "PASSWORD"
system-type = ""
source-addr-ton = 5
source-addr-npi = 0
dest-addr-ton = 1
dest-addr-npi = 1
alt-charset = "UTF-8"
enquire-link-interval = 30
reconnect-delay = 10
max-pending-submits = 10
msg-id-type = 0x01
"""


class KannelConfigError(ValueError):
    """A value cannot go into Kannel's configuration (a quote or a line break)."""


def _quoted(field: str, value: str) -> str:
    line_value(field, value)
    if '"' in value or "\\" in value:
        raise KannelConfigError(f"{field}: quotes and backslashes are not allowed")
    return f'"{value}"'


def render_kannel_config(
    settings: SmsSettings,
    *,
    admin_password: str,
    sendsms_password: str,
    work_dir: Path,
    fake_smsc: bool,
) -> str:
    """``kannel.conf``, every interface on loopback: logs and the message store in
    ``work_dir``; with ``fake_smsc`` the test SMSC on ``sms.fake_smsc_port``, else an
    ``include`` of ``smsc.conf`` in ``work_dir``."""
    folder = work_dir.resolve()
    lines = [
        "# Rendered by `hotline kannel render`; edit the settings, not this file.",
        "group = core",
        f"admin-port = {settings.admin_port}",
        f"admin-interface = {LOOPBACK}",
        f"admin-password = {_quoted('sms.admin_password', admin_password)}",
        f"status-password = {_quoted('sms.admin_password', admin_password)}",
        f'admin-allow-ip = "{LOOPBACK}"',
        'admin-deny-ip = "*.*.*.*"',
        f"smsbox-port = {settings.box_port}",
        f"smsbox-interface = {LOOPBACK}",
        f'box-allow-ip = "{LOOPBACK}"',
        'box-deny-ip = "*.*.*.*"',
        f"log-file = {_quoted('log', str(folder / 'bearerbox.log'))}",
        "log-level = 2",
        "dlr-storage = internal",
        # Messages bearerbox accepted survive its restart.
        "store-type = file",
        f"store-location = {_quoted('store', str(folder / 'kannel.store'))}",
        "",
    ]
    if fake_smsc:
        lines += [
            "group = smsc",
            "smsc = fake",
            f"smsc-id = {FAKE_SMSC_ID}",
            f"port = {settings.fake_smsc_port}",
            f"our-host = {LOOPBACK}",
            f'connect-allow-ip = "{LOOPBACK}"',
            "",
        ]
    else:
        lines += [f"include = {_quoted('smsc', str(folder / SMSC_FILE))}", ""]
    lines += [
        "group = smsbox",
        f"bearerbox-host = {LOOPBACK}",
        f"bearerbox-port = {settings.box_port}",
        f"sendsms-port = {settings.sendsms_port}",
        f"sendsms-interface = {LOOPBACK}",
        f"log-file = {_quoted('log', str(folder / 'smsbox.log'))}",
        "log-level = 2",
        # Delivery reports are retried while the engine's listener is down.
        "http-request-retry = 10",
        "http-queue-delay = 10",
        "",
        "group = sendsms-user",
        f"username = {_quoted('sms.sendsms_user', settings.sendsms_user)}",
        f"password = {_quoted('sms.sendsms_password', sendsms_password)}",
        "concatenation = true",
        f"max-messages = {settings.max_parts}",
        f'user-allow-ip = "{LOOPBACK}"',
        'user-deny-ip = "*.*.*.*"',
        "",
    ]
    return "\n".join(lines)
