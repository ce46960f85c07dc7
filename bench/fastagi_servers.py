"""The FastAGI servers the benchmark compares, run as ``python -m bench.fastagi_servers``.

* ``floor``: the least an asyncio streams server can do for the same conversation: read header
  lines to the blank line, write the ten command lines, read a reply line after each, close.
* ``ours``: ``FastAgiServer`` with a route handler that sends the same ten commands through
  the ``AgiCall`` API, its start-up heap frozen once it listens (``freeze_heap``), as
  ``hotline run`` freezes the engine's.
* ``panoramisk``: panoramisk 1.4's ``fast_agi.Application`` (the library we chose not to use),
  its handler sending the same ten command lines with ``request.send_command``.

The driver checks that all of them send byte-identical commands.

The process prints ``READY <port>`` and serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from bench.common import pin_to_cpu
from hotline.core.heap import freeze_heap
from hotline.core.logs import configure_logging
from hotline.dialplan.names import ChannelVar, IvrStatus
from hotline.settings import FastAgiSettings, LogSettings
from hotline.transport.fastagi import AgiCall, AgiRoutes, FastAgiServer

ROUTE = "bench"
KINDS = ("floor", "ours", "panoramisk")
BACKLOG = 1024

# The floor's commands, written out by hand: a mix of what an IVR call sends.
FLOOR_COMMANDS = (
    b"GET VARIABLE HOTLINE_SIMULATED\n",
    b"SET VARIABLE HOTLINE_CALL_ID bench-call-1\n",
    b"STREAM FILE hello-world 0#\n",
    b"GET DATA main-menu 5000 1\n",
    b"GET VARIABLE CALLERID(num)\n",
    b"SET VARIABLE HOTLINE_PATH greeting>main\n",
    b'STREAM FILE pls-wait-connect-call ""\n',
    b"GET DATA enter-account 5000 10\n",
    b"GET VARIABLE CHANNEL(language)\n",
    b"SET VARIABLE HOTLINE_STATUS DONE\n",
)


async def ivr_like(call: AgiCall) -> None:
    """The same ten commands through the typed API (parsing every reply)."""
    await call.get_variable(ChannelVar.SIMULATED)
    await call.set_variable(ChannelVar.CALL_ID, "bench-call-1")
    await call.stream_file("hello-world", "0#")
    await call.get_data("main-menu", 5.0, 1)
    await call.get_variable("CALLERID(num)")
    await call.set_variable(ChannelVar.PATH, "greeting>main")
    await call.stream_file("pls-wait-connect-call")
    await call.get_data("enter-account", 5.0, 10)
    await call.get_variable("CHANNEL(language)")
    await call.set_variable(ChannelVar.STATUS, IvrStatus.DONE)


PANORAMISK_COMMANDS = tuple(command[:-1].decode() for command in FLOOR_COMMANDS)


async def panoramisk_handler(request: Any) -> None:
    for command in PANORAMISK_COMMANDS:
        await request.send_command(command)


async def floor_session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    line = b"-"
    while line and line != b"\n":
        line = await reader.readline()
    if line:
        for command in FLOOR_COMMANDS:
            writer.write(command)
            if not await reader.readline():
                break
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


async def serve(kind: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if kind == "floor":
        server = await asyncio.start_server(floor_session, "127.0.0.1", port, backlog=BACKLOG)
        print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
        await stop.wait()
        server.close()
        await server.wait_closed()
        return
    if kind == "panoramisk":
        from panoramisk.fast_agi import Application

        app = Application(loop=loop)
        app.add_route(ROUTE, panoramisk_handler)
        server = await asyncio.start_server(app.handler, "127.0.0.1", port, backlog=BACKLOG)
        print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
        await stop.wait()
        server.close()
        await server.wait_closed()
        return
    routes = AgiRoutes()
    routes.add(ROUTE, ivr_like)
    settings = FastAgiSettings(host="127.0.0.1", port=port, backlog=BACKLOG, max_sessions=BACKLOG)
    async with FastAgiServer(settings, routes) as agi:
        # As `hotline run` does once it has started: the start-up's heap (hotline's modules,
        # settings, the logging setup) out of every later garbage collection.
        freeze_heap()
        print(f"READY {agi.bound_port}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fastagi_servers")
    parser.add_argument("--kind", choices=KINDS, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None)
    parser.add_argument("--log-level", default=None, choices=["DEBUG", "INFO", "WARNING"])
    args = parser.parse_args()
    pin_to_cpu(args.cpu)
    if args.log_level:  # the engine's own logging setup; the driver sends stderr to /dev/null
        configure_logging(LogSettings(level=args.log_level), background=True)
    asyncio.run(serve(args.kind, args.port))
    sys.exit(0)


if __name__ == "__main__":
    main()
