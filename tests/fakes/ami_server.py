"""A fake Asterisk Manager Interface server for fast unit tests of the AMI adapter.

It speaks just enough AMI (banner, Login, Ping, PlayDTMF, Originate, Command, Hangup) and can
push events and drop connections on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

EOL = "\r\n"


def encode(headers: Mapping[str, str | list[str]]) -> bytes:
    lines = []
    for key, value in headers.items():
        if isinstance(value, list):
            lines.extend(f"{key}: {v}" for v in value)
        else:
            lines.append(f"{key}: {value}")
    return (EOL.join(lines) + EOL + EOL).encode()


class FakeAmiServer:
    def __init__(self, secret: str = "s3cret") -> None:
        self.secret = secret
        self.port = 0
        self.logins = 0
        self.actions: list[dict[str, str | list[str]]] = []
        self.answer_pings = True
        self.writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._on_client, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        await self.drop_clients()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def drop_clients(self) -> None:
        for writer in self.writers:
            writer.close()
        self.writers.clear()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def emit(self, headers: Mapping[str, str]) -> None:
        for writer in self.writers:
            writer.write(encode(headers))
            await writer.drain()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/9.0.0" + EOL.encode())
        try:
            while True:
                block = await reader.readuntil((EOL + EOL).encode())
                action: dict[str, str | list[str]] = {}
                for line in block.decode().split(EOL):
                    if ": " in line:
                        key, value = line.split(": ", 1)
                        if key in action:
                            previous = action[key]
                            action[key] = [
                                *([previous] if isinstance(previous, str) else previous),
                                value,
                            ]
                        else:
                            action[key] = value
                self.actions.append(action)
                writer.write(self._reply(action))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._tasks.discard(task)
            if writer in self.writers:
                self.writers.remove(writer)
            writer.close()

    def _reply(self, action: Mapping[str, str | list[str]]) -> bytes:
        name = str(action.get("Action", "")).lower()
        action_id = str(action.get("ActionID", ""))
        if name == "login":
            if action.get("Secret") != self.secret:
                return encode(
                    {
                        "Response": "Error",
                        "ActionID": action_id,
                        "Message": "Authentication failed",
                    }
                )
            self.logins += 1
            return encode(
                {
                    "Response": "Success",
                    "ActionID": action_id,
                    "Message": "Authentication accepted",
                }
            )
        if name == "events":
            return encode({"Response": "Success", "ActionID": action_id, "Events": "On"})
        if name == "ping":
            if not self.answer_pings:
                return b""
            return encode({"Response": "Success", "ActionID": action_id, "Ping": "Pong"})
        if name == "playdtmf":
            return encode(
                {
                    "Response": "Success",
                    "ActionID": action_id,
                    "Message": "DTMF successfully queued",
                }
            )
        if name == "originate":
            return encode(
                {
                    "Response": "Success",
                    "ActionID": action_id,
                    "Message": "Originate successfully queued",
                }
            )
        if name == "command":
            return encode(
                {
                    "Response": "Success",
                    "ActionID": action_id,
                    "Message": "Command output follows",
                    "Output": ["line one", "line two"],
                }
            )
        if name == "hold":  # an action the tests leave unanswered
            return b""
        return encode(
            {"Response": "Error", "ActionID": action_id, "Message": "Invalid/unknown command"}
        )
