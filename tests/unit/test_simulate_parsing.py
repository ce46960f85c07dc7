"""Pure parts of the simulator: DTMF validation and how AMI events are read."""

from __future__ import annotations

import pytest

from hotline.calls.simulator import SimulationError, _agi_route, _listens, validate_dtmf


@pytest.mark.parametrize("seq", ["", "0", "1w2w#", "*#ABCD", "w"])
def test_valid_dtmf(seq: str) -> None:
    validate_dtmf(seq)


@pytest.mark.parametrize(("seq", "bad"), [("12x", "x"), ("1 2", " "), ("W", "W"), ("E", "E")])
def test_invalid_dtmf_names_the_character(seq: str, bad: str) -> None:
    with pytest.raises(SimulationError, match=repr(bad)):
        validate_dtmf(seq)


def test_agi_route() -> None:
    assert _agi_route("agi://127.0.0.1:4573/ivr") == "ivr"
    assert _agi_route("agi://127.0.0.1:4573/ivr,arg1,arg2") == "ivr"
    assert _agi_route("/usr/share/script.agi") == "/usr/share/script.agi"


@pytest.mark.parametrize(
    ("command", "listening"),
    [
        ("GET DATA hello-world 5000 1", True),
        ("WAIT FOR DIGIT 5000", True),
        ('STREAM FILE hello-world "0#"', True),
        ('STREAM FILE hello-world ""', False),
        ("STREAM FILE hello-world", False),
        ("SET VARIABLE HOTLINE_STATUS DONE", False),
        ("ANSWER", False),
    ],
)
def test_listening_commands(command: str, listening: bool) -> None:
    assert _listens(command) is listening
