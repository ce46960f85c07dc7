"""The pure AGI protocol: header, replies, command encoding (against Asterisk's parse_args)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hotline.dialplan.names import ChannelVar
from hotline.protocol.agi import (
    MAX_COMMAND_BYTES,
    AgiDeadChannel,
    AgiHangup,
    AgiInvalidCommand,
    AgiProtocolError,
    AgiReply,
    AgiUsageError,
    encode_command,
    parse_environment,
    parse_header_block,
    parse_header_line,
    parse_reply,
    parse_usage_block,
    result_digit,
)
from tests.fakes.agi_client import asterisk_header, asterisk_parse_args

# --- The reference parser itself, on cases read off the C code ----------------------------


@pytest.mark.parametrize(
    ("line", "argv"),
    [
        ("GET DATA beep 1000 2", ["GET", "DATA", "beep", "1000", "2"]),
        ('STREAM FILE hello ""', ["STREAM", "FILE", "hello", ""]),
        ('SET VARIABLE X "a b"', ["SET", "VARIABLE", "X", "a b"]),
        ("a  \t b", ["a", "b"]),
        ('a"b c"d', ["ab cd"]),  # a quote toggles quoting mid-word without a new word
        (r"a\ b", ["a b"]),
        (r'"\"\\"', ['"\\']),
        ('"" x', ["", "x"]),
        ("x \\", ["x"]),  # a trailing backslash escapes nothing
        ("", []),
    ],
)
def test_reference_parse_args(line: str, argv: list[str]) -> None:
    assert asterisk_parse_args(line) == argv


def test_reference_parse_args_truncates_like_asterisk() -> None:
    assert len(asterisk_parse_args(" ".join(["w"] * 200))) == 127


# --- Header -------------------------------------------------------------------------------


def test_environment_from_an_asterisk_22_header() -> None:
    lines = asterisk_header(route="ivr?lang=ru", callerid="79131234567", arguments=("a b", "2"))
    env = parse_environment(lines)
    assert env.uniqueid == "1700000000.1"
    assert env.channel == "PJSIP/trunk-00000001"
    assert env.callerid == "79131234567"
    assert env.calleridname is None  # "unknown"
    assert env.dnid == "4951234567"
    assert (env.context, env.extension, env.priority) == ("hotline-inbound", "4951234567", 2)
    assert env.language == "ru"
    assert env.request == "agi://127.0.0.1:4573/ivr?lang=ru"
    assert env.network_script == "ivr?lang=ru"
    assert env.route == "ivr"
    assert env.arguments == ("a b", "2")
    assert env.raw["agi_accountcode"] == ""
    assert env.raw["agi_type"] == "PJSIP"


def test_environment_arguments_are_ordered_numerically() -> None:
    args = tuple(f"v{i}" for i in range(1, 12))
    lines = asterisk_header(arguments=args)
    env = parse_environment(reversed(lines))
    assert env.arguments == args


def test_environment_unknown_caller_is_none() -> None:
    env = parse_environment(asterisk_header(callerid=None, dnid=None))
    assert env.callerid is None
    assert env.dnid is None


def test_environment_accepts_line_endings_and_values_with_colons() -> None:
    lines = [*asterisk_header(), "agi_calleridname: Иванов: ИП\r\n"]
    lines = [line for line in lines if not line.startswith("agi_calleridname: unknown")]
    assert parse_environment(lines).calleridname == "Иванов: ИП"


@pytest.mark.parametrize(
    "bad",
    [
        "GET / HTTP/1.1",
        "agi_channel PJSIP/x",
        "agi channel: x",
        "agi_: x",
        "agi_priority: two",
        "agi_arg_x: 1",
    ],
)
def test_environment_rejects_garbage(bad: str) -> None:
    lines = [line for line in asterisk_header() if not line.startswith("agi_priority")]
    with pytest.raises(AgiProtocolError):
        parse_environment([*lines, bad])


_header_value = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=30
)


@given(
    st.dictionaries(st.from_regex(r"agi_[a-z_]{1,12}", fullmatch=True), _header_value),
    st.sampled_from(["\n", "\r\n"]),
)
def test_header_block_parser_agrees_with_the_line_parser(
    extra: dict[str, str], newline: str
) -> None:
    fields = {"agi_uniqueid": "1.2", "agi_channel": "Local/x", "agi_priority": "1", **extra}
    fields = {k: v for k, v in fields.items() if not k.startswith("agi_arg_")}
    lines = [f"{key}: {value}" for key, value in fields.items()]
    env = parse_header_block("".join(line + newline for line in lines))
    assert dict(env.raw) == dict(parse_header_line(line) for line in lines)


def test_environment_requires_uniqueid_and_rejects_duplicates() -> None:
    lines = asterisk_header()
    with pytest.raises(AgiProtocolError, match="uniqueid"):
        parse_environment([line for line in lines if not line.startswith("agi_uniqueid")])
    with pytest.raises(AgiProtocolError, match="duplicate"):
        parse_environment([*lines, "agi_channel: Local/x"])


# --- Replies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("200 result=0", AgiReply(200, "0", None, {})),
        ("200 result=1 (value)\n", AgiReply(200, "1", "value", {})),
        ("200 result=1 ()", AgiReply(200, "1", "", {})),
        ("200 result=1 (a (b) c)", AgiReply(200, "1", "a (b) c", {})),
        ("200 result=1 (x) \n", AgiReply(200, "1", "x", {})),
        ("200 result=-1 endpos=12000", AgiReply(200, "-1", None, {"endpos": "12000"})),
        ("200 result= (timeout)", AgiReply(200, "", "timeout", {})),
        ("200 result=4271", AgiReply(200, "4271", None, {})),
        ("200 result=35 (dtmf) endpos=1234", AgiReply(200, "35", "dtmf", {"endpos": "1234"})),
        (
            "200 result=0 (timeout) endpos=16000\r\n",
            AgiReply(200, "0", "timeout", {"endpos": "16000"}),
        ),
    ],
)
def test_parse_success(line: str, expected: AgiReply) -> None:
    assert parse_reply(line) == expected


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("510 Invalid or unknown command", AgiInvalidCommand),
        ("511 Command Not Permitted on a dead channel or intercept routine", AgiDeadChannel),
        ("520 Invalid command syntax.  Proper usage not available.", AgiUsageError),
        ("HANGUP", AgiHangup),
        ("HANGUP\n", AgiHangup),
        ("", AgiProtocolError),
        ("200 OK", AgiProtocolError),
        ("200 result=1 (unclosed", AgiProtocolError),
        ("200 result=1 (x) junk", AgiProtocolError),
        ("404 nope", AgiProtocolError),
        ("\x00\xff", AgiProtocolError),
    ],
)
def test_parse_errors(line: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_reply(line)


def test_usage_block() -> None:
    error = parse_usage_block(
        [
            "520-Invalid command syntax.  Proper usage follows:\n",
            " Usage: SET VARIABLE <variablename> <value>\n",
            " Does not work with global variables.\n",
            "520 End of proper usage.\n",
        ]
    )
    assert isinstance(error, AgiUsageError)
    assert error.usage == (
        " Usage: SET VARIABLE <variablename> <value>\n Does not work with global variables."
    )
    with pytest.raises(AgiProtocolError):
        parse_usage_block(["520-Invalid command syntax.  Proper usage follows:"])


@given(st.text().filter(lambda s: "\n" not in s and "\r" not in s))
def test_get_variable_value_round_trips(value: str) -> None:
    # res_agi.c: ast_agi_send(fd, chan, "200 result=1 (%s)\n", value)
    assert parse_reply(f"200 result=1 ({value})\n").data == value


@given(st.integers(-1, 10**9), st.sampled_from([None, "timeout", "dtmf", "hangup"]))
def test_numeric_replies_round_trip(result: int, data: str | None) -> None:
    line = f"200 result={result}" + (f" ({data})" if data else "") + f" endpos={result * 8}"
    assert parse_reply(line) == AgiReply(200, str(result), data, {"endpos": str(result * 8)})


def test_result_digit() -> None:
    assert result_digit("0") is None
    assert result_digit("49") == "1"
    assert result_digit("35") == "#"


# --- Commands -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verb", "args", "line"),
    [
        ("ANSWER", (), b"ANSWER\n"),
        ("STREAM FILE", ("hello", ""), b'STREAM FILE hello ""\n'),
        ("GET DATA", ("beep", 5000, 2), b"GET DATA beep 5000 2\n"),
        ("SET VARIABLE", ("X", "a b"), b'SET VARIABLE X "a b"\n'),
        ("SET VARIABLE", ("X", 'say "hi"\\'), b'SET VARIABLE X "say \\"hi\\"\\\\"\n'),
        ("SET VARIABLE", ("X", "\tx"), b'SET VARIABLE X "\tx"\n'),
        ("VERBOSE", ("Привет", 1), "VERBOSE Привет 1\n".encode()),
        ("GET VARIABLE", (ChannelVar.STATUS,), b"GET VARIABLE HOTLINE_STATUS\n"),
    ],
)
def test_encode_command(verb: str, args: tuple[str | int, ...], line: bytes) -> None:
    assert encode_command(verb, *args) == line


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b", "\n"])
def test_encode_rejects_line_breaks_and_nul(bad: str) -> None:
    with pytest.raises(ValueError, match="newlines"):
        encode_command("SET VARIABLE", "X", bad)


def test_encode_rejects_what_asterisk_would_cut() -> None:
    with pytest.raises(ValueError, match="2047"):
        encode_command("VERBOSE", "x" * MAX_COMMAND_BYTES)
    encode_command("VERBOSE", "x" * (MAX_COMMAND_BYTES - len("VERBOSE \n")))
    with pytest.raises(ValueError, match="too many"):
        encode_command("EXEC", *(["a"] * 127))
    with pytest.raises(ValueError):
        encode_command("BAD\nVERB")


# Arguments rich in the characters parse_args() treats specially.
_special = st.sampled_from([" ", "\t", '"', "\\", "a", "й", "(", ")", "=", ","])
_any = st.characters(codec="utf-8", exclude_characters="\n\r\x00")
_argument = st.text(alphabet=st.one_of(_special, _any), max_size=40)


@given(st.lists(_argument, max_size=12))
@example([""])
@example(["", "", ""])
@example(['"', "\\", '\\"', " "])
@example(["a\\", "\\\\\\"])
def test_encoded_arguments_reach_asterisk_unchanged(args: list[str]) -> None:
    line = encode_command("SET VARIABLE", *args)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert asterisk_parse_args(line[:-1].decode()) == ["SET", "VARIABLE", *args]
