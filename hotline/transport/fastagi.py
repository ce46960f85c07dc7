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
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Final

from hotline.core.logs import call_uniqueid, log_line
from hotline.core.metrics import FASTAGI_ACTIVE, FASTAGI_ENDED, FASTAGI_REFUSED
from hotline.core.phones import mask_channel, mask_phone
from hotline.protocol.agi import (
    AgiDeadChannel,
    AgiEnvironment,
    AgiHangup,
    AgiProtocolError,
    AgiTimeout,
    parse_header_block,
)
from hotline.settings import FastAgiSettings
from hotline.transport.agi_call import AgiCall
from hotline.transport.agi_deadline import DeadlineSweeper, ReadDeadline, ReadExpired
from hotline.transport.agi_stream import AgiStreamProtocol, agi_stream_factory

__all__ = ["AgiCall", "AgiHandler", "AgiRoutes", "FastAgiServer"]

log = logging.getLogger(__name__)

AgiHandler = Callable[[AgiCall], Awaitable[None]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Setting HOTLINE_STATUS=FAILED on the way out is best effort and must not hold up shutdown.
_FAILURE_REPORT_TIMEOUT: Final = 2.0
_CLOSE_TIMEOUT: Final = 2.0
# Peers whose verdict is remembered (a refused stranger's too); beyond that the memory starts
# over, so a scan from many addresses cannot grow it.
_PEER_CACHE_SIZE: Final = 1024
_UNSEEN: Final = "unseen"


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
    """``extra_peers``: addresses allowed besides ``settings.allowed_peers`` (the engine passes
    the Asterisk host it drives)."""

    def __init__(
        self, settings: FastAgiSettings, routes: AgiRoutes, extra_peers: Iterable[str] = ()
    ) -> None:
        self._settings = settings
        self._routes = routes
        self._peer_names = [*settings.allowed_peers, *extra_peers]
        self._allowed: tuple[Network, ...] = ()
        self._server: asyncio.Server | None = None
        # Passed on per session: on Python 3.11 get_running_loop() and current_task() without
        # a loop make a getpid() system call each (issue 19 item 2).
        self._loop: asyncio.AbstractEventLoop | None = None
        # The sessions' read deadlines, looked at by one task (agi_deadline).
        self._sweeper: DeadlineSweeper | None = None
        self._closing = False
        # Every session task, from accept to socket closed: stop() waits for and cancels these.
        self._tasks: set[asyncio.Task[None]] = set()
        self._active = 0
        # Each peer's verdict, worked out once (issue 19 item 2); a bounded set.
        self._peer_allowed: dict[str, str | None] = {}

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
        self._allowed = await _resolve_peers(self._peer_names)
        self._loop = asyncio.get_running_loop()
        self._sweeper = DeadlineSweeper(self._loop)
        self._peer_allowed.clear()
        self._closing = False
        # asyncio.start_server() with the reply read's fast path (agi_stream).
        self._server = await self._loop.create_server(
            self.protocol_factory(),
            s.host,
            s.port,
            backlog=s.backlog,
        )
        log.info("FastAGI listening on %s:%d", s.host, self.bound_port)

    def protocol_factory(self) -> Callable[[], AgiStreamProtocol]:
        """What the listening socket makes per connection (the instruction-count harness
        feeds the same protocol without a socket)."""
        assert self._loop is not None, "start() first"
        return agi_stream_factory(self._on_connect, self._settings.max_line_bytes, self._loop)

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
        if self._sweeper is not None:
            await self._sweeper.close()
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
        """One session, from accept to close.  The handler is awaited right here rather than
        a few coroutines down: every AGI reply resumes the whole await chain, and the bench
        measures that."""
        # asyncio.start_server runs this in a task it creates; the server adopts that task.
        task = asyncio.current_task(self._loop)
        assert task is not None
        refused = self._refusal(writer)
        if refused is not None:
            # Before a single command: a stranger learns nothing, and Asterisk's AGI() returns
            # with no status, so the dialplan falls back to the operator queue.
            log.warning("FastAGI connection from %s closed: %s", _peer_host(writer), refused)
            FASTAGI_REFUSED.inc()
            await _close(writer)
            return
        self._tasks.add(task)
        self._active += 1
        call: AgiCall | None = None
        label = ""  # the metrics' route label, once the call has started
        outcome = "cancelled"
        # One deadline for the session's reads, header and replies alike (agi_deadline).
        deadline = ReadDeadline(reader, self._loop, self._sweeper)
        try:
            env = None if self._closing else await self._read_header(reader, writer, deadline)
            if env is not None:
                call = self._start_call(env, reader, writer, deadline)
                handler = self._routes.get(call.route)
                label = self._route_label(call, handler)
                FASTAGI_ACTIVE[label] = FASTAGI_ACTIVE.get(label, 0) + 1
                handler = self._handler_for(call, handler)
                if handler is None:
                    outcome = "fallback"
                    await self._fallback(call)
                else:
                    await handler(call)
                    outcome = "done"
        except (AgiHangup, AgiDeadChannel):
            outcome = "caller hung up"
        except AgiTimeout as exc:
            log.error("route %r: %s; closing the session", call and call.route, exc)
            outcome = "timeout"
        except asyncio.CancelledError:
            # stop() cancels calls still running after the grace period.  This is the top of
            # the task: end it normally once the call is handed over (3.11's start_server
            # done-callback calls task.exception() and would log a cancelled task as an error).
            if call is not None:
                log.warning("call cancelled (FastAGI stopping); sending it to the fallback")
                await self._fallback(call)
            task.uncancel()
        except Exception:  # the handler failed (or this module): never beyond this call
            if call is None:
                log.exception("FastAGI session failed before its call started")
            else:
                log.exception("route %r failed; sending the call to the fallback", call.route)
                await self._fallback(call)
            outcome = "failed"
        finally:
            deadline.release()
            if call is not None:
                self._end_call(call, label, outcome)
            self._active -= 1
            try:
                if call is not None and call.handed_back is not None:
                    await call.handed_back.replies()  # nothing left unread at the close
                await _close(writer)
            finally:
                self._tasks.discard(task)

    def _refusal(self, writer: asyncio.StreamWriter) -> str | None:
        """Why this connection is closed unheard, or None to serve it."""
        host = _peer_host(writer)
        verdict = self._peer_allowed.get(host, _UNSEEN)
        if verdict is _UNSEEN:
            verdict = self._peer_refusal(host)
            if len(self._peer_allowed) >= _PEER_CACHE_SIZE:
                self._peer_allowed.clear()  # many peers: start over (still bounded)
            self._peer_allowed[host] = verdict
        if verdict is not None:
            return verdict
        if self._active >= self._settings.max_sessions:
            return f"{self._active} sessions already (fastagi.max_sessions)"
        return None

    def _peer_refusal(self, host: str) -> str | None:
        """Why a peer at ``host`` is not served (None: it is one of ``allowed_peers``)."""
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return "not an IP peer"
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not any(address in network for network in self._allowed):
            return "not in fastagi.allowed_peers"
        return None

    def _start_call(
        self,
        env: AgiEnvironment,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        deadline: ReadDeadline,
    ) -> AgiCall:
        call_uniqueid.set(env.uniqueid)  # this task's context: every log line carries it
        call = AgiCall(
            env,
            reader,
            writer,
            command_timeout=self._settings.command_timeout,
            debug=log.isEnabledFor(logging.DEBUG),
            deadline=deadline,
        )
        # DEBUG only: the call's one INFO line is its end, which repeats these facts (issue 19
        # item 2: a record per call, not two).  A call in progress shows in the
        # hotline_fastagi_active_sessions metric, and any line it logs carries its uniqueid.
        if log.isEnabledFor(logging.DEBUG):
            log.debug("call start: %s", _call_facts(call))
        return call

    def _handler_for(self, call: AgiCall, handler: AgiHandler | None) -> AgiHandler | None:
        """The route's handler (looked up once per call); None (logged) sends the call to the
        fallback."""
        if handler is None:
            log.error(
                "no FastAGI route %r (%s); sending the call to the fallback",
                call.route,
                call.env.request,
            )
        elif self._closing:
            log.warning("FastAGI stopping; sending the call to the fallback")
            return None
        return handler

    @staticmethod
    def _route_label(call: AgiCall, handler: AgiHandler | None) -> str:
        """The metrics' route label: a registered route, else one label for all others (a
        peer's typo must not create a new time series per call)."""
        return call.route if handler is not None else "unknown"

    def _end_call(self, call: AgiCall, label: str, outcome: str) -> None:
        FASTAGI_ACTIVE[label] -= 1
        key = (label, outcome)
        FASTAGI_ENDED[key] = FASTAGI_ENDED.get(key, 0) + 1
        if log.isEnabledFor(logging.INFO):
            # Without a LogRecord where the engine's own set-up allows (issue 19 item 2).
            log_line(
                log,
                logging.INFO,
                f"call end: {outcome} after {call.age:.3f} s: {_call_facts(call)}",
            )

    async def _fallback(self, call: AgiCall) -> None:
        """Best effort and bounded: whatever goes wrong, the session still just closes."""
        try:
            async with asyncio.timeout(_FAILURE_REPORT_TIMEOUT):
                await call.report_failure()
        except Exception as exc:  # AgiError, TimeoutError, OSError, an over-long line...
            log.warning(
                "could not set the failure status (%s); the dialplan falls back anyway", exc
            )

    async def _read_header(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, deadline: ReadDeadline
    ) -> AgiEnvironment | None:
        """The ``agi_*`` block up to the blank line, or None (logged) to drop the connection."""
        s = self._settings
        deadline.start(s.header_timeout)
        try:
            lines = await self._header_lines(reader, writer)
        except ReadExpired:
            lines = None
        except ValueError:  # a line over the StreamReader's limit (max_line_bytes)
            _drop(writer, f"AGI header line over {s.max_line_bytes} bytes")
            return None
        except ConnectionError as exc:
            log.debug("connection lost during the AGI header: %s", exc)
            return None
        finally:
            deadline.reading = False
        if deadline.expired:  # also when the timer fired in the pass that completed it
            _drop(writer, f"no complete AGI header within {s.header_timeout:g} s")
            return None
        if lines is None:
            return None
        try:
            return parse_header_block(b"".join(lines).decode(errors="replace"))
        except AgiProtocolError as exc:  # it may quote a line holding a caller ID
            _drop(writer, mask_channel(str(exc)))
            return None

    async def _header_lines(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> list[bytes] | None:
        """The header's lines without the blank one, or None (logged).

        The first line is read alone, so that a stranger's garbage (a probe, an HTTP request)
        is refused at once; then the rest in one ``readuntil`` (issue 19 item 2: a ``readline``
        per header line was a tenth of the server's CPU per session).  That read is bounded by
        the stream's limit (``max_line_bytes``) and the total by ``max_header_bytes``; a CRLF
        header, or one past the stream's limit, goes on line by line as before.
        """
        limit = self._settings.max_header_bytes
        lines: list[bytes] = []
        size = 0
        prefix = b""  # a byte the block read took before it gave up
        while True:
            raw = prefix + await reader.readline()  # at EOF returns at once: never loops
            prefix = b""
            size += len(raw)
            if size > limit:
                _drop(writer, f"AGI header over {limit} bytes")
                return None
            if raw.startswith(b"agi_") and raw.endswith(b"\n"):  # the usual line
                lines.append(raw)
                if len(lines) == 1 and not raw.endswith(b"\r\n"):
                    prefix, rest = await _header_rest(reader)
                    if rest is not None:
                        size += len(rest)
                        if size > limit:
                            _drop(writer, f"AGI header over {limit} bytes")
                            return None
                        lines.append(rest[:-2] if rest.endswith(b"\r\n") else rest[:-1])
                        return lines
                continue
            if raw == b"\n" or raw == b"\r\n":
                return lines
            if not raw.endswith(b"\n"):
                if lines or raw:
                    _drop(writer, "connection closed inside the AGI header")
                else:  # port probes and health checks do this; not worth a warning
                    log.debug("connection closed before any AGI header")
                return None
            # Garbage may carry a number (a caller ID): masked like every log.
            _drop(writer, f"not an AGI header line: {mask_channel(repr(raw[:60]))}")
            return None


async def _header_rest(reader: asyncio.StreamReader) -> tuple[bytes, bytes | None]:
    """After the first header line: (b"", the lines up to and with the blank one), or
    (what was already read, None) to go on line by line: a CR, EOF, the stream's limit."""
    head = await reader.read(1)  # a blank line right here: readuntil would look past it
    if head == b"\n":
        return b"", head
    if head in (b"", b"\r"):
        return head, None
    try:
        block = head + await reader.readuntil(b"\n\n")
    except asyncio.LimitOverrunError:  # nothing consumed: the caller goes on line by line
        return head, None
    except asyncio.IncompleteReadError as exc:  # EOF: the lines loop reports the cut header
        block = head + exc.partial
        if b"\n\r\n" not in block:
            return block, None
    crlf = block.find(b"\n\r\n")
    if crlf >= 0:  # a CRLF blank line ends the header, as it did when read line by line
        block = block[: crlf + 3]
    return b"", block


async def _resolve_peers(names: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and networks as given; a host name becomes every address it resolves to.
    A name that does not resolve allows nothing (logged): closed rather than open."""
    loop = asyncio.get_running_loop()
    networks: list[Network] = []
    for name in names:
        try:
            networks.append(ipaddress.ip_network(name.strip(), strict=False))
            continue
        except ValueError:
            pass
        try:
            infos = await loop.getaddrinfo(name, None, type=socket.SOCK_STREAM)
        except OSError as exc:
            log.error("FastAGI: allowed peer %r does not resolve (%s); ignored", name, exc)
            continue
        networks += [ipaddress.ip_network(str(info[4][0]).split("%", 1)[0]) for info in infos]
    return tuple(networks)


def _call_facts(call: AgiCall) -> str:
    """What the log says of a call: its route, the caller and the channel, masked (R-139)."""
    env = call.env
    return (
        f"route={call.route or '-'} caller={mask_phone(env.callerid)} "
        f"channel={mask_channel(env.channel)}"
    )


def _peer_host(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)


def _drop(writer: asyncio.StreamWriter, why: str) -> None:
    log.warning("dropping FastAGI connection from %s: %s", writer.get_extra_info("peername"), why)


async def _close(writer: asyncio.StreamWriter) -> None:
    flushed = writer.transport.get_write_buffer_size() == 0
    writer.close()
    try:
        if flushed:  # nothing to send: the transport closes on the loop's next pass
            await writer.wait_closed()
            return
        async with asyncio.timeout(_CLOSE_TIMEOUT):  # the peer may not be reading
            await writer.wait_closed()
    except TimeoutError:
        writer.transport.abort()
    except OSError:
        pass  # reset by the peer: closed all the same
