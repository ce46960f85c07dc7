"""FastAGI at the floor, fourth pass (issue 19 item 2): a call's one INFO line, cheaper masking.

* A call logs one INFO record, at its end, with what its start line said (route, caller and
  channel, masked); the start line is DEBUG.
* ``has_nine_digits`` answers what ``re.search(r"\\d{9}")`` answers, over ASCII and other
  scripts' digits alike; ``mask_channel`` with its shortcut masks exactly as the full pass.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.core.logs import call_uniqueid, mask_numbers
from hotline.core.masking import has_nine_digits, mask_channel, mask_phone
from hotline.settings import FastAgiSettings
from hotline.transport.fastagi import AgiCall, AgiRoutes, FastAgiServer
from tests.fakes.agi_client import asterisk_header
from tests.fuzz import fuzz

FUZZ = fuzz(300)
BOUND = 10.0  # ceiling for any single wait
UNIQUEID = "1700000000.77"
CHANNEL = "Local/79131234567@hotline-sim-caller-00000001;2"


# --- One INFO line per call -----------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[int, str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelno, record.getMessage(), call_uniqueid.get()))


@pytest.fixture
def capture() -> Iterator[_Capture]:
    handler = _Capture()
    logger = logging.getLogger("hotline")
    old_level = logger.level
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


async def _one_call(server: FastAgiServer) -> None:
    """A call on the ``ivr`` route answering its one command; back once the server has
    finished with it (its end line is logged before the session leaves the count)."""
    header = "\n".join(asterisk_header(route="ivr", uniqueid=UNIQUEID, channel=CHANNEL))
    reader, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
    try:
        writer.write(f"{header}\n\n".encode())
        while await reader.readline():
            writer.write(b"200 result=1\n")
    finally:
        writer.close()
    while server.active_sessions:
        await asyncio.sleep(0.01)


async def _serve_one_call(level: int) -> None:
    async def handler(call: AgiCall) -> None:
        await call.set_variable("A", "1")

    logging.getLogger("hotline").setLevel(level)
    routes = AgiRoutes()
    routes.add("ivr", handler)
    settings = FastAgiSettings(port=0, header_timeout=BOUND, command_timeout=BOUND)
    async with FastAgiServer(settings, routes) as server:
        async with asyncio.timeout(BOUND):
            await _one_call(server)


async def test_a_call_logs_one_info_line_at_its_end_with_its_facts_masked(
    capture: _Capture,
) -> None:
    await _serve_one_call(logging.INFO)

    of_the_call = [(level, text) for level, text, uid in capture.lines if uid == UNIQUEID]
    assert len(of_the_call) == 1, of_the_call  # two before (call start and call end)
    level, text = of_the_call[0]
    assert level == logging.INFO
    assert re.fullmatch(
        r"call end: done after \d+\.\d{3} s: route=ivr caller=791\*{6}67 "
        r"channel=Local/791\*{6}67@hotline-sim-caller-00000001;2",
        text,
    ), text


async def test_the_start_line_is_still_there_at_debug(capture: _Capture) -> None:
    await _serve_one_call(logging.DEBUG)

    texts = [text for _, text, uid in capture.lines if uid == UNIQUEID]
    assert texts[0] == (
        "call start: route=ivr caller=791******67 "
        "channel=Local/791******67@hotline-sim-caller-00000001;2"
    )
    assert texts[-1].startswith("call end: done after ")
    assert not any("79131234567" in text for _, text, _ in capture.lines)


# --- Masking shortcuts ----------------------------------------------------------------------

_DIGITS = "0123456789"
# Other scripts' digits (\d takes them), digit-like characters it does not (superscripts,
# fractions), letters, Cyrillic, separators.
_TEXT = st.text(
    alphabet=st.sampled_from(list(_DIGITS * 4 + "٣۴߅३²½ⅷ+-./@;: abcxyzЖжё\n\t")),
    max_size=60,
)


@FUZZ
@given(_TEXT)
def test_nine_digits_is_the_regex_search(text: str) -> None:
    assert has_nine_digits(text) == (re.search(r"\d{9}", text) is not None)


@FUZZ
@given(st.integers(min_value=0, max_value=20), st.integers(min_value=0, max_value=20))
def test_nine_digits_finds_every_run_length(before: int, run: int) -> None:
    text = "x" * before + "7" * run + "-"
    assert has_nine_digits(text) == (run >= 9)


def _full_mask_channel(channel: str | None) -> str:
    """mask_channel before its shortcut (issue 19 item 2): the two regex passes always."""
    if not channel:
        return "-"
    masked = re.sub(
        r"(?<=/)([^/@]*)(?=@)",
        lambda m: re.sub(r"\+?\d{5,}", lambda n: mask_phone(n.group()), m.group()),
        channel,
    )
    return re.sub(r"\+?\d{9,}", lambda n: mask_phone(n.group()), masked)


_CHANNELS = st.one_of(
    _TEXT,
    st.builds(
        lambda tech, number, rest: f"{tech}/{number}{rest}",
        st.sampled_from(["PJSIP", "Local", "SIP", "IAX2"]),
        st.text(alphabet=_DIGITS + "+", max_size=15),
        st.sampled_from(["@trunk", "@hotline-sim-caller-00000001;2", "-0000002a", ""]),
    ),
)


@FUZZ
@given(_CHANNELS)
def test_mask_channel_masks_as_the_full_pass(channel: str) -> None:
    assert mask_channel(channel) == _full_mask_channel(channel)


@FUZZ
@given(_TEXT)
def test_mask_numbers_masks_as_the_full_pass(text: str) -> None:
    full = re.sub(r"(?<![\d.])\+?\d{9,15}(?![\d.])", lambda found: mask_phone(found.group()), text)
    assert mask_numbers(text) == full
