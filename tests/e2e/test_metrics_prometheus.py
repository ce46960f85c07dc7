"""A real Prometheus scrapes the engine while a call goes through the sandbox, and a query
returns the call (issue 20, metrics)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.dialplan.names import ROUTE_IVR
from hotline.dialplan.prometheus_config import (
    CONFIG_FILE,
    RULES_FILE,
    render_config,
    render_rules,
)
from hotline.settings import Settings
from tests.e2e.engine_support import engine_settings, simulate, wait_for_port

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("sandbox")]

READY_WITHIN = 30.0


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(
        tmp_path / "hotline.db",
        # The call is cut short: it only has to reach the IVR and end.
        simulate={"max_call_seconds": 4.0},
        metrics={"scrape_interval_seconds": 1, "sample_interval": 0.5},
    )


@pytest.fixture
def prometheus(settings: Settings, tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("prometheus")
    assert binary, "prometheus not found: install Debian's prometheus package"
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / CONFIG_FILE).write_text(render_config(settings), encoding="utf-8")
    (folder / RULES_FILE).write_text(render_rules(settings), encoding="utf-8")
    metrics = settings.metrics
    address = f"{metrics.prometheus_host}:{metrics.prometheus_port}"
    log = (folder / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={folder / CONFIG_FILE}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address={address}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        asyncio.run(wait_for_port(metrics.prometheus_host, metrics.prometheus_port))
        # The port opens before the storage is ready: until then queries get 503.
        asyncio.run(_ready(f"http://{address}"))
        yield f"http://{address}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _ready_now(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/-/ready", timeout=5) as response:
            return bool(response.status == 200)
    except OSError:  # urllib's HTTPError (503 while starting) and URLError are OSErrors
        return False


async def _ready(base: str) -> None:
    async with asyncio.timeout(READY_WITHIN):
        while not await asyncio.to_thread(_ready_now, base):
            await asyncio.sleep(0.2)


def _query(base: str, expr: str) -> list[dict[str, object]]:
    url = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    result: list[dict[str, object]] = body["data"]["result"]
    return result


async def _value(base: str, expr: str) -> float | None:
    """The query's single value once Prometheus has it (None until then)."""
    result = await asyncio.to_thread(_query, base, expr)
    if not result:
        return None
    value = result[0]["value"]
    assert isinstance(value, list)
    return float(value[1])


async def _eventually(base: str, expr: str, at_least: float) -> float:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_WITHIN
    while True:
        value = await _value(base, expr)
        if value is not None and value >= at_least:
            return value
        if loop.time() > deadline:
            raise AssertionError(
                f"{expr} = {value} after {READY_WITHIN} s, expected >= {at_least}"
            )
        await asyncio.sleep(0.5)


async def test_prometheus_scrapes_the_call_from_the_engine(
    engine: Engine, prometheus: str, settings: Settings
) -> None:
    assert engine.metrics.bound_port == settings.metrics.port
    # Prometheus sees the engine up, logged in to Asterisk, and the queue sampled.
    await _eventually(prometheus, 'up{job="hotline-engine"}', 1)
    # This engine's node: the worker's process keeps the series of every AMI client earlier
    # tests made (to fake servers on other ports: 0), and a bare query may return any of them.
    node = f"{settings.ami.host}:{settings.ami.port}"
    await _eventually(prometheus, f'hotline_ami_connected{{node="{node}"}}', 1)
    queue = settings.queue.name
    await _eventually(prometheus, f'count(hotline_queue_operators{{queue="{queue}"}})', 5)
    ivr_sessions = f'sum(hotline_fastagi_sessions_total{{route="{ROUTE_IVR}"}})'
    before = await _value(prometheus, ivr_sessions)

    transcript = await simulate(settings, "", caller_id="79131234567")

    assert transcript.route == ROUTE_IVR
    sessions = await _eventually(prometheus, ivr_sessions, (before or 0) + 1)
    assert sessions >= 1
    # Every AGI command of the call is in the latency histogram, and the loop was watched.
    await _eventually(prometheus, "sum(hotline_fastagi_command_seconds_count)", 1)
    await _eventually(prometheus, "hotline_event_loop_lag_seconds_count", 1)
