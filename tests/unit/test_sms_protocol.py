"""SMS texts (R-091): GSM-7 or UCS-2, parts counted with the concatenation header, the
limits as settings, and the sendsms query with every value line-checked."""

from __future__ import annotations

import urllib.parse

import pytest

from hotline.protocol.lines import LineValueError
from hotline.protocol.sms import (
    DlrType,
    Encoding,
    SmsTextError,
    check_text,
    dlr_url,
    measure,
    parse_dlr,
    sendsms_query,
)
from hotline.settings import SmsSettings, load_settings
from hotline.settings.sms import SmsSettings as SmsSection
from tests.xdist_support import PORTS


@pytest.mark.parametrize(
    ("text", "encoding", "parts"),
    [
        ("a" * 160, Encoding.GSM7, 1),
        ("a" * 161, Encoding.GSM7, 2),
        ("a" * 306, Encoding.GSM7, 2),  # 2 x 153
        ("a" * 307, Encoding.GSM7, 3),
        ("{" * 80, Encoding.GSM7, 1),  # extension characters take two septets
        ("{" * 81, Encoding.GSM7, 2),
        ("Я" * 70, Encoding.UCS2, 1),
        ("Я" * 71, Encoding.UCS2, 2),
        ("Я" * 134, Encoding.UCS2, 2),  # 2 x 67
        ("Я" * 135, Encoding.UCS2, 3),
        ("a" * 159 + "Я", Encoding.UCS2, 3),  # one Cyrillic letter makes it all UCS-2
        ("😀" * 35, Encoding.UCS2, 1),  # outside the BMP: two UCS-2 units each
        ("😀" * 36, Encoding.UCS2, 2),
    ],
)
def test_parts_are_counted_with_the_concatenation_header(
    text: str, encoding: Encoding, parts: int
) -> None:
    length = measure(text)
    assert (length.encoding, length.parts) == (encoding, parts)


def test_the_seed_defaults_160_characters_and_the_parts_160_cyrillic_take() -> None:
    sms = SmsSettings()
    assert sms.max_chars == 160  # R-091 [000 L171]: «не более 160 знаков»
    assert sms.max_parts == 3  # 160 Cyrillic characters in UCS-2: 67 + 67 + 26
    assert measure("Я" * 160).parts == sms.max_parts
    check_text("Я" * 160, max_chars=sms.max_chars, max_parts=sms.max_parts)


def test_a_text_over_the_limits_is_refused_naming_its_length() -> None:
    with pytest.raises(SmsTextError, match=r"161 characters.*at most 160 characters"):
        check_text("Я" * 161, max_chars=160, max_parts=3)
    with pytest.raises(SmsTextError, match=r"71 characters, 2 part\(s\) of UCS-2.*at most 1"):
        check_text("Я" * 71, max_chars=160, max_parts=1)
    assert check_text("a" * 160, max_chars=160, max_parts=1).parts == 1
    with pytest.raises(SmsTextError, match="empty"):
        check_text("  ", max_chars=160, max_parts=3)


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b"])
def test_line_breaks_and_nul_never_reach_kannel(bad: str) -> None:
    with pytest.raises(LineValueError):
        check_text(bad, max_chars=160, max_parts=3)
    with pytest.raises(LineValueError):
        sendsms_query(
            user="u", password="p", sender=bad, to="+79131234567", text="ok", callback_url="x"
        )
    with pytest.raises(LineValueError):
        sendsms_query(
            user="u", password="p", sender="S", to="+79131234567", text=bad, callback_url="x"
        )


def test_cyrillic_goes_as_ucs2_in_utf8_with_a_delivery_report_url() -> None:
    callback = dlr_url("127.0.0.1", 13180, 42, "tok-en")
    query = sendsms_query(
        user="hotline",
        password="p&w=1",
        sender="HOTLINE",
        to="+79131234567",
        text="Ваше обращение № 2026-000001",
        callback_url=callback,
    )
    params = dict(urllib.parse.parse_qsl(query))
    assert params["coding"] == "2"
    assert params["charset"] == "utf-8"
    assert params["text"] == "Ваше обращение № 2026-000001"
    assert params["password"] == "p&w=1"
    assert params["dlr-mask"] == "31"
    assert params["dlr-url"] == callback
    assert callback.endswith("&type=%d&reply=%A")
    gsm = dict(
        urllib.parse.parse_qsl(
            sendsms_query(
                user="u", password="p", sender="S", to="+7", text="Hello", callback_url="x"
            )
        )
    )
    assert gsm["coding"] == "0"


def test_a_delivery_report_is_parsed_from_kannels_call_back() -> None:
    report = parse_dlr({"id": "42", "token": "t", "type": "1", "reply": "ACK/"})
    assert (report.message_id, report.token, report.type) == (42, "t", DlrType.DELIVERED)
    assert DlrType(16).failed and DlrType(2).failed and not DlrType(8).failed
    for bad in ({"id": "x", "token": "t", "type": "1"}, {"id": "1", "type": "1"}):
        with pytest.raises(ValueError):
            parse_dlr(bad)
    with pytest.raises(ValueError):
        parse_dlr({"id": "1", "token": "t", "type": "3"})


def test_ports_are_settings_that_xdist_workers_offset() -> None:
    defaults = SmsSection()
    for var, default in PORTS.items():
        section, _sep, key = var.removeprefix("HOTLINE_").lower().partition("__")
        if section == "sms":
            assert getattr(defaults, key) == default
    with pytest.raises(ValueError, match="must differ"):
        load_settings(overrides={"sms": {"dlr_port": 7000, "sendsms_port": 7000}})
