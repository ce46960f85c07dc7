"""panoramisk's AMI protocol with a reader that garbage cannot break (issue 21, fuzzing).

panoramisk's ``AMIProtocol.data_received`` keeps whatever arrives without a blank line in an
unbounded buffer and re-splits all of it on every read, decodes each read on its own (a
Cyrillic letter cut between two reads is lost), and lets one odd message (a repeated
``ActionID`` or ``Event`` header, found by the fuzz tests) raise out of ``data_received``, which
makes asyncio drop the connection with a "fatal error" traceback.  Here: bytes are decoded
incrementally (invalid ones replaced, never fatal), one message that cannot be handled is
logged and skipped, and a message larger than ``MAX_MESSAGE_CHARS`` closes the connection
(the client's supervisor reconnects) instead of growing without end.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Mapping
from typing import Any, Final

from panoramisk import utils
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from hotline.core.metrics import AMI_EVENTS_RECEIVED
from hotline.protocol.lines import LineValueError, line_value
from hotline.transport.ami_errors import AmiValueRefused

log = logging.getLogger(__name__)

# The largest AMI message we wait for the end of.  Asterisk's largest replies (a Command's
# output, a long event list is many messages) stay far below this.
MAX_MESSAGE_CHARS: Final = 1 << 20
_FRAME_END: Final = utils.EOL + utils.EOL
_BANNER: Final = "Asterisk Call Manager/"
# Asterisk writes the Event header first; events that answer one of our actions (event lists,
# OriginateResponse) carry its ActionID and always go through.
_EVENT: Final = "Event: "
_ACTION_ID: Final = utils.EOL + "ActionID:"
SHUTDOWN_EVENT: Final = "shutdown"  # panoramisk's reader acts on it itself: never skipped


class BoundedAmiProtocol(AMIProtocol):  # type: ignore[misc]
    """An ``AMIProtocol`` whose reader is bounded and never raises on what it receives."""

    version: str | None  # set by panoramisk's connection_made; the banner's version

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._pending = ""
        self._decoder: codecs.IncrementalDecoder | None = None
        self.skipped = 0  # messages that could not be handled (for tests and doctors)

    @property
    def pending_chars(self) -> int:
        """Characters received of a message whose end has not come yet."""
        return len(self._pending)

    def data_received(self, data: bytes) -> None:
        if self._decoder is None:
            encoding = getattr(self, "encoding", "utf8")
            self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        text = self._decoder.decode(data)
        if self.version is None and not self._pending and text.startswith(_BANNER):
            line = text.partition(utils.EOL)[0]
            self.version = line.partition("/")[2].strip()
        buffer = self._pending + text if self._pending else text
        frames = buffer.split(_FRAME_END)
        self._pending = frames.pop()
        for frame in frames:
            self._handle_frame(frame)
        if len(self._pending) > MAX_MESSAGE_CHARS:
            log.warning(
                "AMI message over %d characters without an end; dropping the connection",
                MAX_MESSAGE_CHARS,
            )
            self._pending = ""
            self.transport.close()

    def _handle_frame(self, frame: str) -> None:
        frame = frame.strip()
        if frame.startswith(_EVENT):
            AMI_EVENTS_RECEIVED.inc()
            if not self._wanted(frame):
                return  # no subscriber reads it: not parsed at all (issue 19 item 6)
            if _ACTION_ID not in frame and self._dispatched(frame):
                return
        try:
            message = Message.from_line(frame)
            if message is not None:
                self.handle_message(message)
        except Exception as exc:  # a message Asterisk would never send: skip it, keep reading
            self.skipped += 1
            # The frame (and the error's text) may carry phone numbers: only size and kind.
            log.warning(
                "AMI message of %d characters ignored (%s)", len(frame), type(exc).__name__
            )

    def _dispatched(self, frame: str) -> bool:
        """Whether the client took the event straight from its frame (issue 19: skipping
        panoramisk's message for the events of every call); else it goes the usual way."""
        dispatch = getattr(self.factory, "dispatch_frame", None)
        if dispatch is None:
            return False
        try:
            return bool(dispatch(frame))
        except Exception as exc:  # as for any message: skipped, the reader goes on
            self.skipped += 1
            log.warning(
                "AMI message of %d characters ignored (%s)", len(frame), type(exc).__name__
            )
            return True

    def _wanted(self, frame: str) -> bool:
        """Whether the client takes this event (its factory says which names; without one,
        every event)."""
        wants = getattr(self.factory, "wants_event", None)
        if wants is None or _ACTION_ID in frame:
            return True
        end = frame.find(utils.EOL)
        name = frame[len(_EVENT) : end if end >= 0 else None].strip()
        return name.lower() == SHUTDOWN_EVENT or bool(wants(name))


def checked_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """``headers`` as panoramisk will write them, each name and value (or each value of a
    repeated header) checked by ``line_value``; AmiValueRefused names the first bad one."""
    checked: dict[str, Any] = {}
    try:
        for name, value in headers.items():
            line_value("AMI header name", str(name))
            if isinstance(value, list | tuple):
                checked[name] = [line_value(name, str(item)) for item in value]
            else:
                checked[name] = line_value(name, str(value))
    except LineValueError as exc:
        raise AmiValueRefused(f"AMI {headers.get('Action')}: {exc}") from exc
    return checked
