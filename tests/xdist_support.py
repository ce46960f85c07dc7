"""Each pytest-xdist worker gets its own world: ports, sandbox instance, SQLite files and
PostgreSQL database, all derived from the configured ones (issue 19: the suite in parallel).

Applied to ``os.environ`` when the root conftest is imported, before any test module reads
its settings, so every ``load_settings()`` in a worker, and every ``hotline`` it spawns, sees
the worker's values.  Worker ``gwK`` adds ``PORT_STEP * K`` to each port; without xdist
nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Final

from sqlalchemy import make_url

WORKER_VAR: Final = "PYTEST_XDIST_WORKER"
PORT_STEP: Final = 200
# Ports of worker K are the configured ones + PORT_STEP * K: keep the configured ports at
# least PORT_STEP * MAX_WORKERS apart from anything else on the machine.
MAX_WORKERS: Final = 8
# Each port the sandbox, the engine or the console binds, with the settings' default.
PORTS: Final = {
    "HOTLINE_AMI__PORT": 5038,
    "HOTLINE_FASTAGI__PORT": 4573,
    "HOTLINE_SANDBOX__SIP_PORT": 5060,
    "HOTLINE_SANDBOX__SIM_TRUNK_PORT": 5070,
    "HOTLINE_WEB__PORT": 8080,
    "HOTLINE_METRICS__PORT": 9470,
    "HOTLINE_METRICS__PROMETHEUS_PORT": 9490,
    # Kannel (bearerbox admin and box ports, smsbox's sendsms, the fake SMSC) and the
    # engine's delivery-report listener.
    "HOTLINE_SMS__ADMIN_PORT": 13100,
    "HOTLINE_SMS__BOX_PORT": 13101,
    "HOTLINE_SMS__SENDSMS_PORT": 13113,
    "HOTLINE_SMS__FAKE_SMSC_PORT": 13110,
    "HOTLINE_SMS__DLR_PORT": 13180,
}
PG_VAR: Final = "PG_TEST_URL"
PG_DEFAULT: Final = "postgresql+psycopg://hotline_test:hotline_test@127.0.0.1:5432/hotline_test"
_WORKER = re.compile(r"^gw(\d+)$")


def worker_index(env: MutableMapping[str, str]) -> int | None:
    match = _WORKER.match(env.get(WORKER_VAR, ""))
    return int(match.group(1)) if match else None


def isolate_worker(env: MutableMapping[str, str]) -> str | None:
    """Rewrite ``env`` for this xdist worker; returns its name (None outside xdist)."""
    index = worker_index(env)
    if index is None:
        return None
    if index >= MAX_WORKERS:
        raise RuntimeError(f"at most {MAX_WORKERS} xdist workers (their ports are reserved)")
    name = f"gw{index}"
    for var, default in PORTS.items():
        env[var] = str(int(env.get(var, default)) + PORT_STEP * index)
    # Beside the configured instance (several engineers, CI and an integrator may each run
    # their own xdist session on one machine): "int" gives "int-gw0", none gives "gw0".
    base = env.get("HOTLINE_SANDBOX__INSTANCE", "")
    env["HOTLINE_SANDBOX__INSTANCE"] = f"{base}-{name}" if base else name
    env["HOTLINE_PATHS__DATA_DIR"] = f"var/xdist/{name}"
    env["HOTLINE_PATHS__RECORDINGS_DIR"] = f"var/xdist/{name}/recordings"
    env[PG_VAR] = worker_database_url(env.get(PG_VAR, PG_DEFAULT), name)
    return name


def worker_database_url(url: str, worker: str) -> str:
    """The worker's own database beside the configured one (created on first use)."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)
