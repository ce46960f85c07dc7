"""Socket-free FastAGI sessions for an instruction count, run as
``python -m bench.fastagi_instructions --kind ours --sessions N``.

The CPU bench (``python -m bench fastagi``) swings with the load of a shared machine; the
instructions a session costs do not.  This runs the bench's servers (the floor's session
function, ``FastAgiServer`` with the bench's route handler) on the bench's conversation, with
the socket taken out: a transport that answers each command line on the loop's next pass
feeds the floor's ``StreamReaderProtocol`` and ``StreamReader``, and ``FastAgiServer``'s own
protocol (``agi_stream``, which makes its writer and session task as for a socket), so every
reply still suspends and resumes the await chain as it does from a socket.  Counted under
callgrind, the difference between two session counts divided by their difference is one
session's instructions, the start-up left out::

    valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file=cg.%p \\
        python -m bench.fastagi_instructions --kind ours --sessions 300
    (again with 1300; read "Collected" from each log)

``--count`` does that itself (valgrind must be installed).  ``--log-level INFO`` adds the
production logging, to /dev/null, as the bench's ``ours+info`` row does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.fastagi_client import REPLY, header
from bench.fastagi_servers import ROUTE, floor_session, ivr_like
from hotline.core.logs import configure_logging
from hotline.settings import FastAgiSettings, LogSettings
from hotline.transport.fastagi import AgiRoutes, FastAgiServer

KINDS = ("floor", "ours")
_PEER = ("127.0.0.1", 40000)


class _Transport(asyncio.Transport):
    """Asterisk without the socket: a reply per command line, on the loop's next pass."""

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol: asyncio.Protocol) -> None:
        super().__init__()
        self._loop = loop
        self._protocol = protocol
        self._closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        for _ in range(bytes(data).count(b"\n")):
            self._loop.call_soon(self._protocol.data_received, REPLY)

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: object = None) -> object:
        return _PEER if name == "peername" else default

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()


async def _sessions(kind: str, count: int) -> None:
    loop = asyncio.get_running_loop()
    data = header(ROUTE)
    server = None
    if kind == "ours":
        routes = AgiRoutes()
        routes.add(ROUTE, ivr_like)
        server = FastAgiServer(FastAgiSettings(host="127.0.0.1", port=0), routes)
        await server.start()  # a listening socket, never connected to: peers and loop set up
    try:
        if server is None:
            for _ in range(count):
                reader = asyncio.StreamReader(limit=2**16, loop=loop)
                protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
                transport = _Transport(loop, protocol)
                protocol.connection_made(transport)
                writer = asyncio.StreamWriter(transport, protocol, reader, loop)
                protocol.data_received(data)
                # As asyncio.start_server does: the session in a task of its own.
                await loop.create_task(floor_session(reader, writer))
        else:
            # The server's own protocol (agi_stream), fed the same way: its connection_made
            # makes the writer and the session's task, as for a socket.
            factory = server.protocol_factory()
            for _ in range(count):
                agi = factory()
                agi.connection_made(_Transport(loop, agi))
                task = agi._task
                agi.data_received(data)
                assert task is not None
                await task
    finally:
        if server is not None:
            await server.stop()


def _instructions(kind: str, sessions: int, log_level: str | None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.log"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            f"--log-file={out}",
            sys.executable,
            "-m",
            "bench.fastagi_instructions",
            "--kind",
            kind,
            "--sessions",
            str(sessions),
        ]
        if log_level:
            command += ["--log-level", log_level]
        subprocess.run(command, check=True, cwd=Path(__file__).resolve().parent.parent)
        found = re.search(r"Collected : (\d+)", out.read_text())
        if found is None:
            raise RuntimeError(f"no instruction count in {out.read_text()[-500:]}")
        return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fastagi_instructions")
    parser.add_argument("--kind", choices=KINDS, required=True)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--log-level", default=None, choices=["DEBUG", "INFO", "WARNING"])
    parser.add_argument(
        "--count",
        nargs=2,
        type=int,
        metavar=("FEW", "MANY"),
        help="run under callgrind with FEW and with MANY sessions; print instructions a session",
    )
    args = parser.parse_args()
    if args.count:
        few, many = args.count
        low = _instructions(args.kind, few, args.log_level)
        high = _instructions(args.kind, many, args.log_level)
        level = args.log_level or "no logging"
        print(f"{args.kind} ({level}): {(high - low) / (many - few):,.0f} instructions a session")
        return
    if args.log_level:  # as the bench's server: the engine's logging, stderr to /dev/null
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        configure_logging(LogSettings(level=args.log_level), background=True)
    asyncio.run(_sessions(args.kind, args.sessions))


if __name__ == "__main__":
    main()
