"""The fake Asterisk load driver, run as ``python -m bench.fastagi_client``.

Opens ``--sessions`` FastAGI sessions, ``--concurrency`` at a time; each sends the 22-line
``agi_*`` header Asterisk 22 sends and answers every command with ``200 result=1 (value)``.
Prints one JSON object: wall time, session latencies, errors, the first session's commands.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time

from bench.common import percentile, pin_to_cpu

REPLY = b"200 result=1 (value)\n"


def header(route: str) -> bytes:
    lines = [
        "agi_network: yes",
        f"agi_network_script: {route}",
        f"agi_request: agi://127.0.0.1:4573/{route}",
        "agi_channel: PJSIP/trunk-00000001",
        "agi_language: ru",
        "agi_type: PJSIP",
        "agi_uniqueid: 1700000000.123",
        "agi_version: 22.10.1",
        "agi_callerid: 79131234567",
        "agi_calleridname: unknown",
        "agi_callingpres: 0",
        "agi_callingani2: 0",
        "agi_callington: 0",
        "agi_callingtns: 0",
        "agi_dnid: 4951234567",
        "agi_rdnis: unknown",
        "agi_context: hotline-inbound",
        "agi_extension: 4951234567",
        "agi_priority: 2",
        "agi_enhanced: 0.0",
        "agi_accountcode: ",
        "agi_threadid: 140234567890",
    ]
    return "".join(f"{line}\n" for line in lines).encode() + b"\n"


class Driver:
    def __init__(self, port: int, route: str) -> None:
        self.port = port
        self.header = header(route)
        self.latencies: list[float] = []
        self.commands: list[int] = []
        self.errors = 0
        self.first: list[str] | None = None

    async def session(self) -> None:
        started = time.perf_counter()
        record: list[str] | None = [] if self.first is None else None
        commands = 0
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            self.errors += 1
            return
        try:
            writer.write(self.header)
            while line := await reader.readline():
                commands += 1
                if record is not None:
                    record.append(line.decode())
                writer.write(REPLY)
        except OSError:
            self.errors += 1
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        self.latencies.append(time.perf_counter() - started)
        self.commands.append(commands)
        if record is not None and self.first is None:
            self.first = record

    async def run(self, sessions: int, concurrency: int) -> None:
        """Closed loop: ``concurrency`` sessions back to back, as fast as the server goes."""
        remaining = sessions

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await self.session()

        async with asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(worker())

    async def run_paced(self, sessions: int, concurrency: int, rate: float) -> None:
        """Open loop: a new session every 1/rate s (at most ``concurrency`` at a time), the
        way Asterisk offers calls; the server is not saturated unless it cannot keep up."""
        loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(concurrency)
        start = loop.time()

        async def one() -> None:
            try:
                await self.session()
            finally:
                slots.release()

        async with asyncio.TaskGroup() as group:
            for i in range(sessions):
                delay = start + i / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await slots.acquire()
                group.create_task(one())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fastagi_client")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--route", default="bench")
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rate", type=float, default=None, help="sessions/s (open loop)")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--cpu", type=int, default=None)
    args = parser.parse_args()
    pin_to_cpu(args.cpu)
    driver = Driver(args.port, args.route)

    async def bounded() -> float:
        started = time.perf_counter()
        async with asyncio.timeout(args.time_limit):
            if args.rate:
                await driver.run_paced(args.sessions, args.concurrency, args.rate)
            else:
                await driver.run(args.sessions, args.concurrency)
        return time.perf_counter() - started

    wall = asyncio.run(bounded())
    print(
        json.dumps(
            {
                "wall": wall,
                "sessions": len(driver.latencies),
                "errors": driver.errors,
                "short_sessions": sum(1 for n in driver.commands if n != 10),
                "p50": percentile(driver.latencies, 0.50),
                "p99": percentile(driver.latencies, 0.99),
                "first_commands": driver.first or [],
            }
        )
    )


if __name__ == "__main__":
    main()
