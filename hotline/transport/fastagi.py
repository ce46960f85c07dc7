"""FastAGI server on asyncio streams: Asterisk connects once per call, we run the route handler.

Why our own server and not panoramisk's ``fast_agi.Application`` (ecosystem.md §1): it reads
the header with unbounded ``reader.read(100)`` calls and no timeout, so a bare connect-and-close
(a port probe, a health check) spins the event loop at 100 % CPU; after ``HANGUP`` it leaves the
following 511 unread, so every later reply is off by one; and ``add_route`` breaks on Python
3.11.  The protocol is small; here every read is bounded, every session is owned by the server,
and a failing handler hands the call to the dialplan's fallback instead of to dead air.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Final

from hotline.logs import call_uniqueid, mask_phone
from hotline.protocol.agi import (
    AgiDeadChannel,
    AgiEnvironment,
    AgiError,
    AgiHangup,
    AgiProtocolError,
    AgiTimeout,
    parse_environment,
)
from hotline.settings import FastAgiSettings
from hotline.transport.agi_call import AgiCall

__all__ = ["AgiCall", "AgiHandler", "AgiRoutes", "FastAgiServer"]

log = logging.getLogger(__name__)

AgiHandler = Callable[[AgiCall], Awaitable[None]]

# Setting HOTLINE_STATUS=FAILED on the way out is best effort and must not hold up shutdown.
_FAILURE_REPORT_TIMEOUT: Final = 2.0
_CLOSE_TIMEOUT: Final = 2.0
_HEADER_END: Final = (b"\n", b"\r\n")


class AgiRoutes:
    """Route name (``agi_network_script``) → handler.  Filled in the composition root only."""

    def __init__(self) -> None:
        self._handlers: dict[str, AgiHandler] = {}

    def add(self, name: str, handler: AgiHandler) -> None:
        if not name or name != name.strip("/") or "?" in name:
            raise ValueError(f"bad FastAGI route name {name!r}")
        if name in self._handlers:
            raise ValueError(f"FastAGI route {name!r} is already registered")
        self._handlers[name] = handler

    def get(self, name: str) -> AgiHandler | None:
        return self._handlers.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._handlers

    def __len__(self) -> int:
        return len(self._handlers)


class FastAgiServer:
    def __init__(self, settings: FastAgiSettings, routes: AgiRoutes) -> None:
        self._settings = settings
        self._routes = routes
        self._server: asyncio.Server | None = None
        self._closing = False
        # Every session task, from accept to socket closed: stop() waits for and cancels these.
        self._tasks: set[asyncio.Task[None]] = set()
        self._active = 0

    @property
    def bound_port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("FastAGI server is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def active_sessions(self) -> int:
        return self._active

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("FastAGI server already started")
        s = self._settings
        self._closing = False
        self._server = await asyncio.start_server(
            self._on_connect, s.host, s.port, limit=s.max_line_bytes, backlog=s.backlog
        )
        log.info("FastAGI listening on %s:%d", s.host, self.bound_port)

    async def stop(self) -> None:
        """Stop accepting, give calls in progress ``shutdown_grace`` seconds, then cancel the
        rest (each tries to hand its call to the dialplan's fallback before closing)."""
        server = self._server
        if server is None or self._closing:
            return
        self._closing = True
        server.close()
        if self._tasks:
            grace = self._settings.shutdown_grace
            log.info("FastAGI stopping: %d call(s) get %g s to finish", len(self._tasks), grace)
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            if pending:
                log.warning("FastAGI stopping: cancelling %d call(s) still running", len(pending))
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending, timeout=_FAILURE_REPORT_TIMEOUT + _CLOSE_TIMEOUT + 1)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_CLOSE_TIMEOUT):
                await server.wait_closed()
        self._server = None
        log.info("FastAGI stopped")

    async def __aenter__(self) -> FastAgiServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- One session ----------------------------------------------------------------------------
    async def _on_connect(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # asyncio.start_server runs this in a task it creates; the server adopts that task.
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._active += 1
        try:
            if not self._closing:
                await self._session(reader, writer)
        except asyncio.CancelledError:
            # Our stop() cancelled the session, which has already handed the call to the
            # fallback.  This is the top of the task: end it normally (3.11's start_server
            # done-callback calls task.exception() and would log a cancelled task as an error).
            task.uncancel()
        except Exception:  # a bug in this module; it must not reach other sessions or asyncio
            log.exception("FastAGI session failed")
        finally:
            self._active -= 1
            try:
                await _close(writer)
            finally:
                self._tasks.discard(task)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env = await self._read_header(reader, writer)
        if env is None:
            return
        call_uniqueid.set(env.uniqueid)  # this task's context: every log line carries it
        call = AgiCall(
            env,
            reader,
            writer,
            command_timeout=self._settings.command_timeout,
            debug=log.isEnabledFor(logging.DEBUG),
        )
        info = log.isEnabledFor(logging.INFO)
        if info:
            log.info(
                "call start: route=%s caller=%s channel=%s",
                env.route or "-",
                mask_phone(env.callerid),
                env.channel,
            )
        loop = asyncio.get_running_loop()
        started = loop.time()
        outcome = "cancelled"
        try:
            outcome = await self._run_handler(call)
        finally:
            if info:
                log.info("call end: %s after %.3f s", outcome, loop.time() - started)

    async def _run_handler(self, call: AgiCall) -> str:
        route = call.route
        handler = self._routes.get(route)
        if handler is None:
            log.error(
                "no FastAGI route %r (%s); sending the call to the fallback",
                route,
                call.env.request,
            )
            await self._fallback(call)
            return "no route"
        if self._closing:
            log.warning("FastAGI stopping; sending the call to the fallback")
            await self._fallback(call)
            return "fallback"
        try:
            await handler(call)
        except (AgiHangup, AgiDeadChannel):
            return "caller hung up"
        except asyncio.CancelledError:
            log.warning("call cancelled (FastAGI stopping); sending it to the fallback")
            await self._fallback(call)
            raise
        except AgiTimeout as exc:
            log.error("route %r: %s; closing the session", route, exc)
            return "timeout"
        except Exception:
            log.exception("route %r failed; sending the call to the fallback", route)
            await self._fallback(call)
            return "failed"
        return "done"

    async def _fallback(self, call: AgiCall) -> None:
        try:
            async with asyncio.timeout(_FAILURE_REPORT_TIMEOUT):
                await call.report_failure()
        except (AgiError, TimeoutError, OSError) as exc:
            log.warning(
                "could not set the failure status (%s); the dialplan falls back anyway", exc
            )

    async def _read_header(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> AgiEnvironment | None:
        """The ``agi_*`` block up to the blank line, or None (logged) to drop the connection."""
        s = self._settings
        lines: list[str] = []
        size = 0
        try:
            async with asyncio.timeout(s.header_timeout):
                while True:
                    raw = await reader.readline()  # at EOF returns at once: never loop on it
                    if raw[-1:] != b"\n":
                        if lines or raw:
                            _drop(writer, "connection closed inside the AGI header")
                        else:  # port probes and health checks do this; not worth a warning
                            log.debug("connection closed before any AGI header")
                        return None
                    size += len(raw)
                    if size > s.max_header_bytes:
                        _drop(writer, f"AGI header over {s.max_header_bytes} bytes")
                        return None
                    if raw in _HEADER_END:
                        break
                    if not raw.startswith(b"agi_"):
                        _drop(writer, f"not an AGI header line: {raw[:60]!r}")
                        return None
                    lines.append(raw.decode(errors="replace"))
        except TimeoutError:
            _drop(writer, f"no complete AGI header within {s.header_timeout:g} s")
            return None
        except ValueError:
            _drop(writer, f"AGI header line over {s.max_line_bytes} bytes")
            return None
        except ConnectionError as exc:
            log.debug("connection lost during the AGI header: %s", exc)
            return None
        try:
            return parse_environment(lines)
        except AgiProtocolError as exc:
            _drop(writer, str(exc))
            return None


def _drop(writer: asyncio.StreamWriter, why: str) -> None:
    log.warning("dropping FastAGI connection from %s: %s", writer.get_extra_info("peername"), why)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT):
            await writer.wait_closed()
    except TimeoutError:
        writer.transport.abort()
    except OSError:
        pass  # reset by the peer: closed all the same
